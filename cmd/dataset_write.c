#include "common.h"
#include "datasetcmd.h"
#include "dataset.h"
#include "fileio.h"
#include "jsonget.h"
#include "strutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Appending rows to a dataset in its own format (datasetcmd.h): JSONL
 * lines, JSON array items, YAML block-list items (scalars in JSON
 * double-quoted style, which YAML reads as they are), CSV records (new
 * columns are added to the header and as empty fields of the old rows).
 */

/* ---- normalised hash ---- */

static void norm(pops_buf *b, const cJSON *v)
{
	const cJSON *it;
	char *s = NULL;
	const char *text;

	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		int obj = cJSON_IsObject(v);

		pops_buf_putc(b, obj ? '{' : '[');
		cJSON_ArrayForEach(it, v) {
			if (obj && (cJSON_IsNull(it) || (cJSON_IsString(it) && !it->valuestring[0])))
				continue;
			if (obj) {
				pops_buf_puts(b, it->string);
				pops_buf_putc(b, '\x1f');
			}
			norm(b, it);
			pops_buf_putc(b, '\x1e');
		}
		pops_buf_putc(b, obj ? '}' : ']');
		return;
	}
	text = cJSON_IsString(v) ? v->valuestring : (s = cJSON_PrintUnformatted(v));
	if (text) {
		int space = 0, any = 0;

		for (; *text; text++) {
			if (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r') {
				space = 1;
				continue;
			}
			if (space && any)
				pops_buf_putc(b, ' ');
			space = 0;
			any = 1;
			pops_buf_putc(b, *text);
		}
	}
	cJSON_free(s);
}

uint64_t dataset_vars_hash(const cJSON *vars)
{
	cJSON *sorted = pops_json_sorted_copy(vars);
	pops_buf b = POPS_BUF_INIT;
	uint64_t h;

	norm(&b, sorted ? sorted : vars);
	cJSON_Delete(sorted);
	h = pops_fnv1a(b.ptr ? b.ptr : "");
	pops_buf_dispose(&b);
	return h;
}

/* ---- YAML ---- */

static void yaml_indent(pops_buf *b, int n)
{
	while (n-- > 0)
		pops_buf_putc(b, ' ');
}

static void yaml_scalar(pops_buf *b, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);   /* JSON strings are YAML double-quoted scalars */

	pops_buf_puts(b, s ? s : "null");
	cJSON_free(s);
}

/* a key: plain when it is an identifier, else double-quoted */
static void yaml_key(pops_buf *b, const char *k)
{
	const char *p = k;
	cJSON key = { 0 };

	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_') {
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
		       (*p >= '0' && *p <= '9') || *p == '-')
			p++;
		if (!*p && strcmp(k, "true") && strcmp(k, "false") && strcmp(k, "null") &&
		    strcmp(k, "yes") && strcmp(k, "no") && strcmp(k, "on") && strcmp(k, "off")) {
			pops_buf_puts(b, k);
			return;
		}
	}
	key.type = cJSON_String;
	key.valuestring = (char *)k;
	yaml_scalar(b, &key);
}

/* `v` as the value after "key:" or "- " at `indent` */
static void yaml_value(pops_buf *b, const cJSON *v, int indent)
{
	const cJSON *it;

	if ((!cJSON_IsObject(v) && !cJSON_IsArray(v)) || !v->child) {
		pops_buf_putc(b, ' ');
		if (cJSON_IsObject(v) || cJSON_IsArray(v))
			pops_buf_puts(b, cJSON_IsObject(v) ? "{}" : "[]");
		else
			yaml_scalar(b, v);
		pops_buf_putc(b, '\n');
		return;
	}
	pops_buf_putc(b, '\n');
	cJSON_ArrayForEach(it, v) {
		yaml_indent(b, indent);
		if (cJSON_IsObject(v)) {
			yaml_key(b, it->string);
			pops_buf_putc(b, ':');
		} else {
			pops_buf_putc(b, '-');
		}
		yaml_value(b, it, indent + 2);
	}
}

static void yaml_row(pops_buf *b, const cJSON *row)
{
	const cJSON *it;
	int first = 1;

	cJSON_ArrayForEach(it, row) {
		pops_buf_puts(b, first ? "- " : "  ");
		first = 0;
		yaml_key(b, it->string);
		pops_buf_putc(b, ':');
		yaml_value(b, it, 4);
	}
}

/* ---- CSV ---- */

static void csv_cell(pops_buf *b, const cJSON *v)
{
	char *s = NULL;
	const char *t = "";
	size_t n;

	if (cJSON_IsString(v))
		t = v->valuestring;
	else if (v && !cJSON_IsNull(v))
		t = s = cJSON_PrintUnformatted(v);
	if (!t)
		t = "";
	n = strlen(t);
	if (strpbrk(t, ",\"\r\n") || (n && (t[0] == ' ' || t[n - 1] == ' '))) {
		pops_buf_putc(b, '"');
		for (; *t; t++) {
			if (*t == '"')
				pops_buf_putc(b, '"');
			pops_buf_putc(b, *t);
		}
		pops_buf_putc(b, '"');
	} else {
		pops_buf_puts(b, t);
	}
	cJSON_free(s);
}

/* where each CSV record of `text` ends (offsets of its '\n' or the end) */
static size_t csv_next_end(const char *t, size_t len, size_t at)
{
	int q = 0;

	for (; at < len; at++) {
		if (t[at] == '"')
			q = !q;
		else if (t[at] == '\n' && !q)
			return at;
	}
	return len;
}

/* the value of row column `col`: vars.col, or the row's expected / meta */
static const cJSON *csv_value(const cJSON *row, const char *col)
{
	const cJSON *vars = cJSON_GetObjectItemCaseSensitive(row, "vars");

	if (!strcmp(col, "expected") || !strcmp(col, "meta"))
		return cJSON_GetObjectItemCaseSensitive(row, col);
	return cJSON_GetObjectItemCaseSensitive(vars, col);
}

static int have_col(const cJSON *cols, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cols)
		if (!strcmp(c->valuestring, name))
			return 1;
	return 0;
}

/* the header names of the first record of `t` (parsed the RFC 4180 way) */
static int csv_header(cJSON *cols, const char *t, size_t end)
{
	pops_buf f = POPS_BUF_INIT;
	size_t i;
	int q = 0;

	for (i = 0; i <= end; i++) {
		char c = i < end ? t[i] : ',';

		if (q) {
			if (c == '"' && i + 1 < end && t[i + 1] == '"')
				pops_buf_putc(&f, t[++i]);
			else if (c == '"')
				q = 0;
			else
				pops_buf_putc(&f, c);
		} else if (c == '"') {
			q = 1;
		} else if (c == ',') {
			if (f.size && f.ptr[f.size - 1] == '\r')
				pops_buf_truncate(&f, f.size - 1);
			if (!cJSON_AddItemToArray(cols, cJSON_CreateString(f.ptr ? f.ptr : "")))
				break;
			pops_buf_clear(&f);
		} else {
			pops_buf_putc(&f, c);
		}
	}
	pops_buf_dispose(&f);
	if (cols->child && !strncmp(cols->child->valuestring, "\xef\xbb\xbf", 3))
		cJSON_SetValuestring(cols->child, cols->child->valuestring + 3);
	return 0;
}

static int csv_build(pops_buf *out, const pops_buf *old, const cJSON *rows)
{
	cJSON *cols = cJSON_CreateArray();
	const cJSON *row, *c, *v;
	size_t ncols, extra, at, end;

	POPS_CHECK_ALLOC(cols);
	end = old->size ? csv_next_end(old->ptr, old->size, 0) : 0;
	if (old->size)
		csv_header(cols, old->ptr, end);
	ncols = (size_t)cJSON_GetArraySize(cols);
	cJSON_ArrayForEach(row, rows) {
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(row, "vars"))
			if (!have_col(cols, v->string))
				cJSON_AddItemToArray(cols, cJSON_CreateString(v->string));
		if (cJSON_GetObjectItemCaseSensitive(row, "expected") && !have_col(cols, "expected"))
			cJSON_AddItemToArray(cols, cJSON_CreateString("expected"));
	}
	if (!have_col(cols, "meta"))
		cJSON_AddItemToArray(cols, cJSON_CreateString("meta"));
	extra = (size_t)cJSON_GetArraySize(cols) - ncols;
	/* the header, then the old records with an empty field per new column */
	cJSON_ArrayForEach(c, cols) {
		if (c != cols->child)
			pops_buf_putc(out, ',');
		csv_cell(out, c);
	}
	pops_buf_putc(out, '\n');
	for (at = end + 1; old->size && at < old->size; at = end + 1) {
		size_t n;

		end = csv_next_end(old->ptr, old->size, at);
		n = end - at;
		if (n && old->ptr[at + n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		pops_buf_put(out, old->ptr + at, n);
		for (size_t k = 0; k < extra; k++)
			pops_buf_putc(out, ',');
		pops_buf_putc(out, '\n');
	}
	cJSON_ArrayForEach(row, rows) {
		cJSON_ArrayForEach(c, cols) {
			if (c != cols->child)
				pops_buf_putc(out, ',');
			csv_cell(out, csv_value(row, c->valuestring));
		}
		pops_buf_putc(out, '\n');
	}
	cJSON_Delete(cols);
	return 0;
}

/* ---- JSON ---- */

static int json_build(pops_buf *out, const pops_buf *old, const cJSON *rows, const char *path)
{
	cJSON *doc = old->size ? cJSON_ParseWithLength(old->ptr, old->size) : cJSON_CreateArray();
	cJSON *list = doc;
	const cJSON *row;
	char *s;

	if (cJSON_IsObject(doc))
		list = cJSON_GetObjectItemCaseSensitive(doc, "tests");
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(doc);
		return pops_error_set(POPS_EINVALID, "%s: not a JSON list of rows (or {\"tests\": [...]})", path);
	}
	cJSON_ArrayForEach(row, rows)
		cJSON_AddItemToArray(list, cJSON_Duplicate(row, 1));
	s = cJSON_Print(doc);
	cJSON_Delete(doc);
	POPS_CHECK_ALLOC(s);
	pops_buf_puts(out, s);
	pops_buf_putc(out, '\n');
	cJSON_free(s);
	return 0;
}

/* ---- the file ---- */

static int build(pops_buf *out, const char *path, const cJSON *rows)
{
	pops_buf old = POPS_BUF_INIT;
	const cJSON *row;
	int error = 0;

	if (pops_path_exists(path) &&
	    (error = pops_file_read_regular(&old, path, (size_t)1 << 30)) < 0)
		return error;
	if (pops_ends_with(path, ".csv")) {
		error = csv_build(out, &old, rows);
	} else if (pops_ends_with(path, ".json")) {
		error = json_build(out, &old, rows, path);
	} else {
		int yaml = pops_ends_with(path, ".yaml") || pops_ends_with(path, ".yml");

		pops_buf_put(out, old.ptr ? old.ptr : "", old.size);
		if (old.size && old.ptr && old.ptr[old.size - 1] != '\n')
			pops_buf_putc(out, '\n');
		cJSON_ArrayForEach(row, rows) {
			if (yaml) {
				yaml_row(out, row);
			} else {
				char *s = cJSON_PrintUnformatted(row);

				pops_buf_puts(out, s ? s : "");
				pops_buf_putc(out, '\n');
				cJSON_free(s);
			}
		}
	}
	pops_buf_dispose(&old);
	if (!error && pops_buf_oom(out))
		error = pops_error_oom();
	return error;
}

/* the temp file beside `path`, ending in its extension (the format) */
static int temp_name(pops_buf *tmp, const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');

	pops_buf_clear(tmp);
	pops_buf_put(tmp, path, (size_t)(base - path));
	pops_buf_printf(tmp, ".%.*s.pops-add-%ld%s", (int)(dot ? (size_t)(dot - base) : strlen(base)),
	                base, (long)getpid(), dot ? dot : "");
	return pops_buf_oom(tmp) ? pops_error_oom() : 0;
}

static int count_rows(const char *tmp, const char *display, size_t *n)
{
	pops_dataset *ds;
	pops_case c = POPS_CASE_INIT;
	int r;

	*n = 0;
	if ((r = pops_dataset_open(&ds, tmp, display)) < 0)
		return r;
	while ((r = pops_dataset_next(ds, &c)) > 0)
		(*n)++;
	pops_case_dispose(&c);
	pops_dataset_free(ds);
	return r;
}

int dataset_append(const char *path, const cJSON *rows, size_t old_rows)
{
	pops_buf out = POPS_BUF_INIT, tmp = POPS_BUF_INIT;
	size_t n = 0, want = old_rows + (size_t)cJSON_GetArraySize(rows);
	struct stat st;
	int error, fd = -1;
	mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;

	if ((error = build(&out, path, rows)) < 0 || (error = temp_name(&tmp, path)) < 0)
		goto done;
	if ((fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) {
		error = pops_error_os(tmp.ptr);
		goto done;
	}
	if ((error = pops_write_all(fd, out.ptr, out.size, tmp.ptr)) < 0)
		goto done;
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		error = pops_error_os(tmp.ptr);
		goto done;
	}
	fd = -1;
	if ((error = count_rows(tmp.ptr, path, &n)) < 0) {
		error = pops_error_prefix(error, "%s: rows cannot be appended to this layout (a YAML "
		                          "dataset must be a block list of rows): ", path);
		goto done;
	}
	if (n != want) {
		error = pops_error_set(POPS_EINVALID,
		    "%s: appending would leave %zu rows instead of %zu: its layout cannot be appended "
		    "to (write it as a block list of rows)", path, n, want);
		goto done;
	}
	if (rename(tmp.ptr, path) < 0)
		error = pops_error_os(path);
done:
	if (fd >= 0)
		close(fd);
	if (error < 0 && tmp.ptr)
		unlink(tmp.ptr);
	pops_buf_dispose(&out);
	pops_buf_dispose(&tmp);
	return error;
}
