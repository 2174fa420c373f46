#include "common.h"
#include <cjson/cJSON.h>
#include "dataset.h"
#include "fileio.h"
#include "strutil.h"
#include "yamldoc.h"

enum { FMT_JSONL, FMT_YAML, FMT_CSV };

struct pops_dataset {
	int fmt;
	char *display;
	FILE *f;
	unsigned line;          /* lines consumed so far */
	/* JSONL */
	char *lbuf;
	size_t lcap;
	/* CSV */
	char **header;
	size_t nheader;
	/* YAML */
	pops_yaml_doc *doc;
	const cJSON *item;
};

static const char *const row_keys[] = {
	"id", "vars", "expected", "assert", "metadata", "threshold", "description", NULL
};

void pops_case_dispose(pops_case *c)
{
	free(c->id);
	cJSON_Delete(c->vars);
	cJSON_Delete(c->expected);
	cJSON_Delete(c->asserts);
	cJSON_Delete(c->metadata);
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
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static int dup_into(cJSON **dst, const cJSON *src)
{
	if (!src)
		return 0;
	if (!(*dst = cJSON_Duplicate(src, 1)))
		return pops_error_set(POPS_ERROR, "out of memory");
	return 0;
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
			error = pops_error_set(POPS_ERROR, "out of memory");
			goto done;
		}
		cJSON_ArrayForEach(it, row) {
			cJSON *copy;

			if (is_row_key(it->string))
				continue;
			if (!(copy = cJSON_Duplicate(it, 1)) ||
			    !cJSON_AddItemToObject(out->vars, it->string, copy)) {
				cJSON_Delete(copy);
				error = pops_error_set(POPS_ERROR, "out of memory");
				goto done;
			}
		}
	}
	if ((error = dup_into(&out->expected,
	                      cJSON_GetObjectItemCaseSensitive(row, "expected"))) < 0 ||
	    (error = dup_into(&out->metadata,
	                      cJSON_GetObjectItemCaseSensitive(row, "metadata"))) < 0)
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
	} else if (id && cJSON_IsNumber(id) && id->valuedouble == (double)(long long)id->valuedouble) {
		pops_buf_printf(&b, "%lld", (long long)id->valuedouble);
		out->id = pops_buf_detach(&b);
	} else if (id && !cJSON_IsNull(id)) {
		error = pops_error_set(POPS_EINVALID,
		                       "%s:%u: 'id' must be a non-empty string or an integer",
		                       file, line);
		goto done;
	} else {
		if (!(canon = cJSON_PrintUnformatted(row))) {
			error = pops_error_set(POPS_ERROR, "out of memory");
			goto done;
		}
		pops_buf_printf(&b, "%012llx",
		                (unsigned long long)(fnv1a(canon) & 0xffffffffffffULL));
		out->id = pops_buf_detach(&b);
	}
	if (!out->id)
		error = pops_error_set(POPS_ERROR, "out of memory");
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

/* ---- CSV (RFC 4180) ---- */

/*
 * Read one record into `fields` (a growing array of malloc'd strings).
 * Returns 1 with a record, 0 at end of file, or an error. Quoted fields
 * may hold commas, doubled quotes and line breaks; CRLF and LF both end a
 * record.
 */
static int csv_record(pops_dataset *ds, char ***fields, size_t *n, size_t *cap)
{
	pops_buf field = POPS_BUF_INIT;
	int c, quoted = 0, in_quotes = 0, any = 0, error = 0;
	unsigned start = ds->line + 1;

	*n = 0;
	for (;;) {
		c = getc(ds->f);
		if (c == EOF) {
			if (ferror(ds->f)) {
				error = pops_error_os(ds->display);
				goto done;
			}
			if (in_quotes) {
				error = pops_error_set(POPS_EINVALID,
				    "%s:%u: unterminated quoted field", ds->display, start);
				goto done;
			}
			if (!any)
				goto done;   /* clean end */
			c = '\n';
		}
		any = 1;
		if (in_quotes) {
			if (c == '"') {
				int d = getc(ds->f);

				if (d == '"') {
					pops_buf_putc(&field, '"');
					continue;
				}
				if (d != EOF)
					ungetc(d, ds->f);
				in_quotes = 0;
				continue;
			}
			if (c == '\n')
				ds->line++;
			pops_buf_putc(&field, c);
			continue;
		}
		if (c == '"' && field.size == 0 && !quoted) {
			in_quotes = quoted = 1;
			continue;
		}
		if (c == '\r') {
			int d = getc(ds->f);

			if (d != '\n' && d != EOF)
				ungetc(d, ds->f);
			c = '\n';
		}
		if (c == ',' || c == '\n') {
			if (*n == *cap) {
				size_t nc = *cap ? *cap * 2 : 16;
				char **nf = realloc(*fields, nc * sizeof(*nf));

				if (!nf) {
					error = pops_error_set(POPS_ERROR, "out of memory");
					goto done;
				}
				*fields = nf;
				*cap = nc;
			}
			if (pops_buf_oom(&field) || !((*fields)[(*n)++] = pops_buf_detach(&field))) {
				error = pops_error_set(POPS_ERROR, "out of memory");
				goto done;
			}
			if (c == '\n') {
				ds->line++;
				/* a blank line is no record */
				if (*n == 1 && !(*fields)[0][0] && !quoted) {
					free((*fields)[0]);
					*n = 0;
					any = 0;
					start = ds->line + 1;
					continue;
				}
				error = 1;
				goto done;
			}
			quoted = 0;
			continue;
		}
		if (quoted) {
			error = pops_error_set(POPS_EINVALID,
			    "%s:%u: text after a closing quote (quote the whole field and double inner quotes)",
			    ds->display, ds->line + 1);
			goto done;
		}
		pops_buf_putc(&field, c);
	}
done:
	pops_buf_dispose(&field);
	return error;
}

static void free_fields(char **f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(f[i]);
}

static int csv_header(pops_dataset *ds)
{
	size_t cap = 0, i, j;
	int r;

	r = csv_record(ds, &ds->header, &ds->nheader, &cap);
	if (r < 0)
		return r;
	if (r == 0)
		return pops_error_set(POPS_EINVALID, "%s:1: empty CSV file: the first row must name the variables",
		                      ds->display);
	/* a UTF-8 byte order mark is not part of the first name */
	if (!strncmp(ds->header[0], "\xef\xbb\xbf", 3))
		memmove(ds->header[0], ds->header[0] + 3, strlen(ds->header[0] + 3) + 1);
	for (i = 0; i < ds->nheader; i++) {
		if (!ds->header[i][0])
			return pops_error_set(POPS_EINVALID, "%s:1: column %zu has an empty name",
			                      ds->display, i + 1);
		for (j = 0; j < i; j++)
			if (!strcmp(ds->header[i], ds->header[j]))
				return pops_error_set(POPS_EINVALID, "%s:1: duplicate column '%s'",
				                      ds->display, ds->header[i]);
	}
	return 0;
}

static int csv_next(pops_dataset *ds, pops_case *out)
{
	char **fields = NULL;
	size_t n = 0, cap = 0, i;
	cJSON *row = NULL;
	unsigned line;
	int r;

	r = csv_record(ds, &fields, &n, &cap);
	line = ds->line;
	if (r <= 0)
		goto done;
	if (n != ds->nheader) {
		r = pops_error_set(POPS_EINVALID, "%s:%u: row has %zu fields but the header has %zu",
		                   ds->display, line, n, ds->nheader);
		goto done;
	}
	if (!(row = cJSON_CreateObject())) {
		r = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		if (!cJSON_AddStringToObject(row, ds->header[i], fields[i])) {
			r = pops_error_set(POPS_ERROR, "out of memory");
			goto done;
		}
	r = pops_case_from_json(out, row, ds->display, line);
	if (r == 0)
		r = 1;
done:
	free_fields(fields, n);
	free(fields);
	cJSON_Delete(row);
	return r;
}

/* ---- JSONL ---- */

static int jsonl_next(pops_dataset *ds, pops_case *out)
{
	ssize_t len;
	cJSON *row = NULL;
	const char *p;
	int r;

	for (;;) {
		errno = 0;
		len = getline(&ds->lbuf, &ds->lcap, ds->f);
		if (len < 0) {
			if (ferror(ds->f))
				return pops_error_os(ds->display);
			return 0;
		}
		ds->line++;
		for (p = ds->lbuf; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
			;
		if (*p)
			break;
	}
	if ((size_t)len != strlen(ds->lbuf))
		return pops_error_set(POPS_EINVALID, "%s:%u: NUL byte in line", ds->display, ds->line);
	row = cJSON_ParseWithLength(ds->lbuf, (size_t)len);
	if (!row) {
		const char *at = cJSON_GetErrorPtr();
		size_t col = at && at >= ds->lbuf && at <= ds->lbuf + len ? (size_t)(at - ds->lbuf) + 1 : 1;

		return pops_error_set(POPS_EINVALID, "%s:%u:%zu: invalid JSON: each line must be one JSON object",
		                      ds->display, ds->line, col);
	}
	r = pops_case_from_json(out, row, ds->display, ds->line);
	cJSON_Delete(row);
	return r < 0 ? r : 1;
}

/* ---- YAML ---- */

static int yaml_open(pops_dataset *ds, const char *path)
{
	pops_buf b = POPS_BUF_INIT;
	const cJSON *root;
	int error;

	if ((error = pops_file_read(&b, path, POPS_YAML_MAX_BYTES)) < 0)
		goto done;
	if ((error = pops_yaml_parse(&ds->doc, b.ptr, b.size, ds->display, 0, NULL)) < 0)
		goto done;
	root = pops_yaml_root(ds->doc);
	if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "tests"))
		root = cJSON_GetObjectItemCaseSensitive(root, "tests");
	if (!cJSON_IsArray(root) && !cJSON_IsNull(root)) {
		error = pops_error_set(POPS_EINVALID, "%s:%u: a YAML dataset must be a list of rows",
		                       ds->display, pops_yaml_line(ds->doc, root));
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
	int error = 0;

	*out = NULL;
	if (!(ds = calloc(1, sizeof(*ds))) || !(ds->display = pops_strdup(display ? display : path))) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	if (pops_ends_with(path, ".jsonl") || pops_ends_with(path, ".ndjson"))
		ds->fmt = FMT_JSONL;
	else if (pops_ends_with(path, ".yaml") || pops_ends_with(path, ".yml"))
		ds->fmt = FMT_YAML;
	else if (pops_ends_with(path, ".csv"))
		ds->fmt = FMT_CSV;
	else {
		error = pops_error_set(POPS_EINVALID,
		    "%s: unknown dataset format: use .jsonl, .yaml or .csv", ds->display);
		goto done;
	}
	if (ds->fmt == FMT_YAML) {
		if (!pops_path_exists(path))
			error = pops_error_set(POPS_ENOTFOUND, "%s: dataset not found", ds->display);
		else
			error = yaml_open(ds, path);
		goto done;
	}
	if (!(ds->f = fopen(path, "rb"))) {
		if (errno == ENOENT)
			error = pops_error_set(POPS_ENOTFOUND, "%s: dataset not found", ds->display);
		else
			error = pops_error_os(ds->display);
		goto done;
	}
	if (ds->fmt == FMT_CSV)
		error = csv_header(ds);
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
	case FMT_CSV: return csv_next(ds, out);
	default: return yaml_next(ds, out);
	}
}

int pops_dataset_rewind(pops_dataset *ds)
{
	size_t n = 0, cap = 0;
	char **skip = NULL;
	int r = 0;

	if (ds->fmt == FMT_YAML) {
		const cJSON *root = pops_yaml_root(ds->doc);

		if (cJSON_IsObject(root))
			root = cJSON_GetObjectItemCaseSensitive(root, "tests");
		ds->item = cJSON_IsArray(root) ? root->child : NULL;
		return 0;
	}
	if (fseek(ds->f, 0, SEEK_SET) < 0)
		return pops_error_os(ds->display);
	ds->line = 0;
	if (ds->fmt == FMT_CSV) {
		r = csv_record(ds, &skip, &n, &cap);   /* the header again */
		free_fields(skip, n);
		free(skip);
	}
	return r < 0 ? r : 0;
}

void pops_dataset_free(pops_dataset *ds)
{
	if (!ds)
		return;
	if (ds->f)
		fclose(ds->f);
	free(ds->lbuf);
	free_fields(ds->header, ds->nheader);
	free(ds->header);
	pops_yaml_free(ds->doc);
	free(ds->display);
	free(ds);
}
