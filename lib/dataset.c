#include "common.h"
#include <cjson/cJSON.h>
#include "dataset_int.h"
#include "defaults.h"
#include "fileio.h"
#include "strutil.h"
#include "yamldoc.h"

#include <unistd.h>

static const char *const row_keys[] = {
	"id", "vars", "expected", "assert", "metadata", "meta", "threshold", "description",
	"messages", NULL
};

void pops_case_dispose(pops_case *c)
{
	free(c->id);
	cJSON_Delete(c->vars);
	cJSON_Delete(c->expected);
	cJSON_Delete(c->asserts);
	cJSON_Delete(c->metadata);
	cJSON_Delete(c->meta);
	cJSON_Delete(c->messages);
	memset(c, 0, sizeof(*c));
	c->threshold = -1.0;
}

static int is_row_key(const char *k)
{
	size_t i;

	for (i = 0; row_keys[i]; i++)
		if (!strcmp(k, row_keys[i]))
			return 1;
	return 0;
}

/* FNV-1a 64: a stable, dependency-free hash for ids derived from rows */
static int dup_into(cJSON **dst, const cJSON *src)
{
	if (!src)
		return 0;
	POPS_CHECK_ALLOC((*dst = cJSON_Duplicate(src, 1)));
	return 0;
}

/*
 * The row's `meta`: an object, or (a CSV cell) JSON text of one, or
 * empty. 0 or POPS_EINVALID.
 */
static int take_meta(pops_case *out, const cJSON *row, const char *file, unsigned line)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(row, "meta");

	if (!m || cJSON_IsNull(m) || (cJSON_IsString(m) && !m->valuestring[0]))
		return 0;
	if (cJSON_IsString(m))
		out->meta = cJSON_Parse(m->valuestring);
	else if (cJSON_IsObject(m))
		POPS_CHECK_ALLOC((out->meta = cJSON_Duplicate(m, 1)));
	if (!cJSON_IsObject(out->meta)) {
		cJSON_Delete(out->meta);
		out->meta = NULL;
		return pops_error_set(POPS_EINVALID, "%s:%u: 'meta' must be an object (in CSV: JSON text of one)",
		                      file, line);
	}
	return 0;
}

/* one turn of `messages`: {role: user|assistant|system, content: string}, nothing else */
static int turn_ok(const cJSON *t)
{
	const cJSON *role = cJSON_GetObjectItemCaseSensitive(t, "role");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(t, "content");

	return cJSON_IsObject(t) && cJSON_GetArraySize(t) == 2 && cJSON_IsString(role) &&
	       cJSON_IsString(content) && (!strcmp(role->valuestring, "user") ||
	                                   !strcmp(role->valuestring, "assistant") ||
	                                   !strcmp(role->valuestring, "system"));
}

/*
 * The row's `messages`: a conversation's earlier turns, a list of
 * {role, content} (in CSV: JSON text of one), or empty. 0 or
 * POPS_EINVALID.
 */
static int take_messages(pops_case *out, const cJSON *row, const char *file, unsigned line)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(row, "messages"), *t;
	size_t i = 0;

	if (!m || cJSON_IsNull(m) || (cJSON_IsString(m) && !m->valuestring[0]))
		return 0;
	if (cJSON_IsString(m))
		out->messages = cJSON_Parse(m->valuestring);
	else if (cJSON_IsArray(m))
		POPS_CHECK_ALLOC((out->messages = cJSON_Duplicate(m, 1)));
	if (!cJSON_IsArray(out->messages)) {
		cJSON_Delete(out->messages);
		out->messages = NULL;
		return pops_error_set(POPS_EINVALID, "%s:%u: 'messages' must be a list of earlier turns "
		                      "{role, content} (in CSV: JSON text of one)", file, line);
	}
	cJSON_ArrayForEach(t, out->messages) {
		i++;
		if (!turn_ok(t))
			return pops_error_set(POPS_EINVALID, "%s:%u: 'messages' turn %zu must be {role, "
			                      "content} with role user, assistant or system and content a "
			                      "string", file, line, i);
	}
	return 0;
}

/* the row as hashed for a derived id: without `meta`, so provenance never moves ids */
static char *id_text(const cJSON *row)
{
	cJSON *copy;
	char *s;

	if (!cJSON_GetObjectItemCaseSensitive(row, "meta"))
		return cJSON_PrintUnformatted(row);
	if (!(copy = cJSON_Duplicate(row, 1)))
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "meta");
	s = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	return s;
}

int pops_case_from_json(pops_case *out, const cJSON *row, const char *file,
                        unsigned line)
{
	const cJSON *it, *id, *vars;
	pops_buf b = POPS_BUF_INIT;
	char *canon = NULL;
	int error = 0;

	pops_case_dispose(out);
	out->file = file;
	out->line = line;
	if (!cJSON_IsObject(row)) {
		error = pops_error_set(POPS_EINVALID, "%s:%u: a row must be an object", file, line);
		goto done;
	}
	vars = cJSON_GetObjectItemCaseSensitive(row, "vars");
	if (vars) {
		if (!cJSON_IsObject(vars)) {
			error = pops_error_set(POPS_EINVALID, "%s:%u: 'vars' must be an object",
			                       file, line);
			goto done;
		}
		cJSON_ArrayForEach(it, row) {
			if (!is_row_key(it->string)) {
				const char *s = pops_suggest(it->string, row_keys, 2);

				error = pops_error_set(POPS_EINVALID,
				    "%s:%u: unknown key '%s' in row%s%s%s", file, line, it->string,
				    s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
				goto done;
			}
		}
		if ((error = dup_into(&out->vars, vars)) < 0)
			goto done;
	} else {
		if (!(out->vars = cJSON_CreateObject())) {
			error = pops_error_oom();
			goto done;
		}
		cJSON_ArrayForEach(it, row) {
			cJSON *copy;

			if (is_row_key(it->string))
				continue;
			if (!(copy = cJSON_Duplicate(it, 1)) ||
			    !cJSON_AddItemToObject(out->vars, it->string, copy)) {
				cJSON_Delete(copy);
				error = pops_error_oom();
				goto done;
			}
		}
	}
	if ((error = dup_into(&out->expected,
	                      cJSON_GetObjectItemCaseSensitive(row, "expected"))) < 0 ||
	    (error = dup_into(&out->metadata,
	                      cJSON_GetObjectItemCaseSensitive(row, "metadata"))) < 0 ||
	    (error = take_meta(out, row, file, line)) < 0 ||
	    (error = take_messages(out, row, file, line)) < 0)
		goto done;
	it = cJSON_GetObjectItemCaseSensitive(row, "assert");
	if (it) {
		if (!cJSON_IsArray(it)) {
			error = pops_error_set(POPS_EINVALID, "%s:%u: 'assert' must be a list",
			                       file, line);
			goto done;
		}
		if ((error = dup_into(&out->asserts, it)) < 0)
			goto done;
	}
	it = cJSON_GetObjectItemCaseSensitive(row, "threshold");
	if (it) {
		if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1) {
			error = pops_error_set(POPS_EINVALID, "%s:%u: 'threshold' must be a number from 0 to 1",
			                       file, line);
			goto done;
		}
		out->threshold = it->valuedouble;
	}
	id = cJSON_GetObjectItemCaseSensitive(row, "id");
	if (id && cJSON_IsString(id) && id->valuestring[0]) {
		out->id = pops_strdup(id->valuestring);
	} else if (id && cJSON_IsNumber(id) &&
	           /* converting a double outside long long's range is undefined */
	           id->valuedouble >= -0x1p63 && id->valuedouble < 0x1p63 &&
	           id->valuedouble == (double)(long long)id->valuedouble) {
		pops_buf_printf(&b, "%lld", (long long)id->valuedouble);
		out->id = pops_buf_detach(&b);
	} else if (id && !cJSON_IsNull(id)) {
		error = pops_error_set(POPS_EINVALID,
		                       "%s:%u: 'id' must be a non-empty string or an integer",
		                       file, line);
		goto done;
	} else {
		if (!(canon = id_text(row))) {
			error = pops_error_oom();
			goto done;
		}
		pops_buf_printf(&b, "%012llx",
		                (unsigned long long)(pops_fnv1a(canon) & 0xffffffffffffULL));
		out->id = pops_buf_detach(&b);
	}
	if (!out->id)
		error = pops_error_oom();
done:
	free(canon);
	pops_buf_dispose(&b);
	if (error < 0) {
		pops_case_dispose(out);
	}
	return error;
}

cJSON *pops_case_scope(const pops_case *c)
{
	cJSON *scope = c->vars ? cJSON_Duplicate(c->vars, 1) : cJSON_CreateObject();

	if (!scope)
		return NULL;
	if (c->expected && !cJSON_GetObjectItemCaseSensitive(scope, "expected")) {
		cJSON *e = cJSON_Duplicate(c->expected, 1);

		if (!e || !cJSON_AddItemToObject(scope, "expected", e)) {
			cJSON_Delete(e);
			cJSON_Delete(scope);
			return NULL;
		}
	}
	return scope;
}

/* ---- reading ---- */

#define MB (1024u * 1024u)

int pops_ds__fill(pops_dataset *ds)
{
	size_t n;

	if (ds->io_error)
		return DS_EOF;
	errno = 0;
	n = fread(ds->rbuf, 1, DS_CHUNK, ds->f);
	if (n == 0) {
		if (ferror(ds->f)) {
			ds->io_error = 1;
			ds->io_errno = errno ? errno : EIO;
		}
		return DS_EOF;
	}
	ds->rpos = 1;
	ds->rlen = n;
	return (unsigned char)ds->rbuf[0];
}

int pops_ds__io_error(pops_dataset *ds)
{
	errno = ds->io_errno;
	return pops_error_os(ds->display);
}

int pops_ds__check_utf8(const pops_dataset *ds, unsigned line, const char *s,
                        size_t len, const char *what)
{
	size_t bad = 0;

	if (pops_utf8_valid(s, len, &bad))
		return 0;
	return pops_error_set(POPS_EINVALID,
	    "%s:%u: invalid UTF-8 in %s at byte %zu; datasets are UTF-8 text: "
	    "convert the file (e.g. iconv -f latin1 -t utf-8)", ds->display, line, what, bad + 1);
}

/*
 * The next line, without its newline, into ds->lbuf. Returns 1, 0 at the
 * end, or an error. A line longer than POPS_DATASET_MAX_ROW_BYTES is
 * refused as soon as the cap is passed, so a huge line never sits in
 * memory whole.
 */
static int read_line(pops_dataset *ds)
{
	pops_buf_clear(&ds->lbuf);
	for (;;) {
		const char *p, *nl;
		size_t take;

		if (ds->rpos == ds->rlen) {
			if (pops_ds__fill(ds) == DS_EOF) {
				if (ds->io_error)
					return pops_ds__io_error(ds);
				return ds->lbuf.size > 0;
			}
			ds->rpos = 0;
		}
		p = ds->rbuf + ds->rpos;
		nl = memchr(p, '\n', ds->rlen - ds->rpos);
		take = nl ? (size_t)(nl - p) : ds->rlen - ds->rpos;
		if (take > POPS_DATASET_MAX_ROW_BYTES - ds->lbuf.size)
			return pops_error_set(POPS_EINVALID,
			    "%s:%u: line longer than %u MB; shorten the row, or keep big documents in "
			    "files the prompt does not inline (a longer row could not be rendered into "
			    "a prompt)", ds->display, ds->line + 1, POPS_DATASET_MAX_ROW_BYTES / MB);
		if (pops_buf_put(&ds->lbuf, p, take) < 0)
			return pops_error_oom();
		ds->rpos += take + (nl ? 1 : 0);
		if (nl)
			return 1;
	}
}

/*
 * An upper bound of the JSON values on a line (1 + commas + openers
 * outside strings), to refuse a row whose tree would be huge before
 * cJSON builds it. Stops counting past `max`.
 */
static size_t count_values(const char *s, size_t len, size_t max)
{
	size_t n = 1, i;
	int in_str = 0;

	for (i = 0; i < len && n <= max; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == ',' || c == '[' || c == '{') {
			n++;
		}
	}
	return n;
}

/*
 * Column (1-based) of a \u0000 escape in JSON text, or 0. cJSON decodes it
 * into a C string that ends there, so "safe\u0000; DROP" would run as
 * "safe": silently another case. An escaped backslash (\\u0000) is text.
 */
static size_t nul_escape(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && len - i >= 6 && !memcmp(s + i + 2, "0000", 4))
			return i + 1;
		i++;   /* the escaped character, a backslash included */
	}
	return 0;
}

/* NUL bytes, UTF-8 and size of a non-blank line; 0 or POPS_EINVALID */
static int check_line(const pops_dataset *ds, const char *s, size_t len)
{
	size_t col;
	int error;

	if (memchr(s, '\0', len))
		return pops_error_set(POPS_EINVALID,
		    "%s:%u: contains a NUL byte; datasets are UTF-8 text", ds->display, ds->line);
	if ((col = nul_escape(s, len)))
		return pops_error_set(POPS_EINVALID,
		    "%s:%u:%zu: \\u0000 (a NUL character) in a value; datasets are text",
		    ds->display, ds->line, col);
	if ((error = pops_ds__check_utf8(ds, ds->line, s, len, "the line")) < 0)
		return error;
	if (count_values(s, len, POPS_DATASET_MAX_VALUES) > POPS_DATASET_MAX_VALUES)
		return pops_error_set(POPS_EINVALID,
		    "%s:%u: more than %u JSON values in one row; split the row or shorten its lists",
		    ds->display, ds->line, POPS_DATASET_MAX_VALUES);
	return 0;
}

/* ---- JSONL ---- */

static int jsonl_next(pops_dataset *ds, pops_case *out)
{
	cJSON *row = NULL;
	const char *s, *p;
	size_t len;
	int r;

	for (;;) {
		if ((r = read_line(ds)) <= 0)
			return r;
		ds->line++;
		s = ds->lbuf.ptr;
		len = ds->lbuf.size;
		/* a UTF-8 byte order mark is not part of the first row */
		if (ds->line == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
			s += 3;
			len -= 3;
		}
		/* a NUL is never blank: check it before skipping blank lines */
		if (memchr(s, '\0', len))
			break;
		for (p = s; *p == ' ' || *p == '\t' || *p == '\r'; p++)
			;
		if (*p)
			break;
	}
	if ((r = check_line(ds, s, len)) < 0)
		return r;
	row = cJSON_ParseWithLength(s, len);
	if (!row) {
		const char *at = cJSON_GetErrorPtr();
		size_t col = at && at >= s && at <= s + len ? (size_t)(at - s) + 1 : 1;

		return pops_error_set(POPS_EINVALID, "%s:%u:%zu: invalid JSON: each line must be one JSON object",
		                      ds->display, ds->line, col);
	}
	r = pops_case_from_json(out, row, ds->display, ds->line);
	cJSON_Delete(row);
	return r < 0 ? r : 1;
}

/* ---- YAML and JSON: one document, read whole ---- */

static int yaml_open(pops_dataset *ds, const char *path)
{
	pops_buf b = POPS_BUF_INIT;
	const cJSON *root;
	const char *kind = pops_yaml_name_is_json(path) ? "JSON" : "YAML";
	int error, fd;

	if ((fd = pops_file_open_regular(path)) < 0)
		return fd == POPS_ENOTFOUND ? fd : pops_error_prefix(fd, "dataset: ");
	close(fd);
	if ((error = pops_file_read(&b, path, POPS_YAML_MAX_BYTES)) < 0) {
		if (error == POPS_EINVALID && !pops_path_isdir(path))
			error = pops_error_set(POPS_EINVALID,
			    "%s: a %s dataset is read whole and is limited to %u MB; use JSONL or CSV "
			    "for bigger datasets (they are read row by row)", ds->display, kind,
			    POPS_YAML_MAX_BYTES / MB);
		goto done;
	}
	/* by the real path: the display name may lack the extension */
	if ((error = pops_yaml_name_is_json(path)
	             ? pops_yaml_parse_json(&ds->doc, b.ptr, b.size, ds->display, NULL)
	             : pops_yaml_parse(&ds->doc, b.ptr, b.size, ds->display, 0, NULL)) < 0)
		goto done;
	root = pops_yaml_root(ds->doc);
	/* promptfoo's tests.json / tests.yaml: a list, or {tests: [...]} */
	if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "tests"))
		root = cJSON_GetObjectItemCaseSensitive(root, "tests");
	if (!cJSON_IsArray(root) && !cJSON_IsNull(root)) {
		error = pops_error_set(POPS_EINVALID, "%s:%u: a %s dataset must be a list of rows",
		                       ds->display, pops_yaml_line(ds->doc, root), kind);
		goto done;
	}
	ds->item = cJSON_IsArray(root) ? root->child : NULL;
done:
	pops_buf_dispose(&b);
	return error;
}

static int yaml_next(pops_dataset *ds, pops_case *out)
{
	const cJSON *row = ds->item;
	int r;

	if (!row)
		return 0;
	ds->item = row->next;
	r = pops_case_from_json(out, row, ds->display, pops_yaml_line(ds->doc, row));
	return r < 0 ? r : 1;
}

int pops_dataset_open(pops_dataset **out, const char *path, const char *display)
{
	pops_dataset *ds = NULL;
	int error = 0, fd;

	*out = NULL;
	if (!(ds = calloc(1, sizeof(*ds)))) {
		error = pops_error_oom();
		goto done;
	}
	{
		pops_buf empty = POPS_BUF_INIT;

		ds->lbuf = empty;
	}
	if (!(ds->display = pops_strdup(display ? display : path))) {
		error = pops_error_oom();
		goto done;
	}
	if (pops_ends_with(path, ".jsonl") || pops_ends_with(path, ".ndjson"))
		ds->fmt = FMT_JSONL;
	else if (pops_ends_with(path, ".yaml") || pops_ends_with(path, ".yml") ||
	         pops_yaml_name_is_json(path))
		ds->fmt = FMT_YAML;
	else if (pops_ends_with(path, ".csv"))
		ds->fmt = FMT_CSV;
	else {
		error = pops_error_set(POPS_EINVALID,
		    "%s: unknown dataset format: use .jsonl, .json, .yaml or .csv", ds->display);
		goto done;
	}
	if (ds->fmt == FMT_YAML) {
		if (!pops_path_exists(path))
			error = pops_error_set(POPS_ENOTFOUND, "%s: dataset not found", ds->display);
		else
			error = yaml_open(ds, path);
		goto done;
	}
	/* a regular file: a FIFO would block the open, and the runner reads a
	 * dataset twice (rewind), which a pipe cannot do */
	if ((fd = pops_file_open_regular(path)) < 0) {
		error = fd == POPS_ENOTFOUND ?
		        pops_error_set(POPS_ENOTFOUND, "%s: dataset not found", ds->display) :
		        pops_error_prefix(fd, "dataset: ");
		goto done;
	}
	if (!(ds->f = fdopen(fd, "rb"))) {
		close(fd);
		error = pops_error_os(ds->display);
		goto done;
	}
	if (!(ds->rbuf = malloc(DS_CHUNK))) {
		error = pops_error_oom();
		goto done;
	}
	if (ds->fmt == FMT_CSV)
		error = pops_ds__csv_header(ds);
done:
	if (error < 0)
		pops_dataset_free(ds);
	else
		*out = ds;
	return error;
}

int pops_dataset_next(pops_dataset *ds, pops_case *out)
{
	pops_case_dispose(out);
	switch (ds->fmt) {
	case FMT_JSONL: return jsonl_next(ds, out);
	case FMT_CSV: return pops_ds__csv_next(ds, out);
	default: return yaml_next(ds, out);
	}
}

int pops_dataset_rewind(pops_dataset *ds)
{
	if (ds->fmt == FMT_YAML) {
		const cJSON *root = pops_yaml_root(ds->doc);

		if (cJSON_IsObject(root))
			root = cJSON_GetObjectItemCaseSensitive(root, "tests");
		ds->item = cJSON_IsArray(root) ? root->child : NULL;
		return 0;
	}
	if (fseek(ds->f, 0, SEEK_SET) < 0)
		return pops_error_os(ds->display);
	clearerr(ds->f);
	ds->rpos = ds->rlen = 0;
	ds->io_error = 0;
	ds->line = 0;
	if (ds->fmt == FMT_CSV)
		return pops_ds__csv_skip_header(ds);   /* the header again */
	return 0;
}

void pops_dataset_free(pops_dataset *ds)
{
	if (!ds)
		return;
	if (ds->f)
		fclose(ds->f);
	free(ds->rbuf);
	pops_buf_dispose(&ds->lbuf);
	pops_ds__csv_free(ds);
	pops_yaml_free(ds->doc);
	free(ds->display);
	free(ds);
}
