#include "common.h"
#include <cjson/cJSON.h>
#include "dataset_int.h"
#include "defaults.h"

/* CSV datasets (RFC 4180): header row = variable names, rows are flat. */

#define MB (1024u * 1024u)

struct record {
	char **v;       /* malloc'd fields */
	size_t n, cap;
	unsigned line;  /* where the record starts */
};

static void record_clear(struct record *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		free(rec->v[i]);
	rec->n = 0;
}

static void record_free(struct record *rec)
{
	record_clear(rec);
	free(rec->v);
	rec->v = NULL;
	rec->cap = 0;
}

static int add_field(pops_dataset *ds, struct record *rec, pops_buf *field)
{
	int error;

	if (rec->n == POPS_DATASET_MAX_COLUMNS)
		return pops_error_set(POPS_EINVALID,
		    "%s:%u: more than %u columns; each column is a template variable: "
		    "drop the columns the prompt does not use", ds->display, ds->line + 1,
		    POPS_DATASET_MAX_COLUMNS);
	if (rec->n == rec->cap) {
		size_t nc = rec->cap ? rec->cap * 2 : 16;
		char **nv = realloc(rec->v, nc * sizeof(*nv));

		POPS_CHECK_ALLOC(nv);
		rec->v = nv;
		rec->cap = nc;
	}
	if (pops_buf_oom(field))
		return pops_error_oom();
	if ((error = pops_ds__check_utf8(ds, ds->line + 1, field->ptr, field->size,
	                                 "a field")) < 0)
		return error;
	rec->v[rec->n] = pops_buf_detach(field);
	POPS_CHECK_ALLOC(rec->v[rec->n]);
	rec->n++;
	return 0;
}

static int too_long(const pops_dataset *ds, unsigned start, int in_quotes)
{
	if (in_quotes)
		return pops_error_set(POPS_EINVALID,
		    "%s:%u: record longer than %u MB: the quoted field it opens is never closed? "
		    "Check the quotes (inner quotes are doubled), or shorten the row",
		    ds->display, start, POPS_DATASET_MAX_ROW_BYTES / MB);
	return pops_error_set(POPS_EINVALID,
	    "%s:%u: record longer than %u MB; shorten the row (a longer one could not be "
	    "rendered into a prompt)", ds->display, start, POPS_DATASET_MAX_ROW_BYTES / MB);
}

/*
 * Read one record into `rec`. Returns 1 with a record, 0 at end of file,
 * or an error. Quoted fields may hold commas, doubled quotes and line
 * breaks; CRLF and LF both end a record. Nothing is buffered past
 * POPS_DATASET_MAX_ROW_BYTES or POPS_DATASET_MAX_COLUMNS.
 */
static int csv_record(pops_dataset *ds, struct record *rec)
{
	pops_buf field = POPS_BUF_INIT;
	int c, quoted = 0, in_quotes = 0, any = 0, error = 0;
	unsigned start = ds->line + 1;
	size_t bytes = 0;

	record_clear(rec);
	for (;;) {
		c = pops_ds__getc(ds);
		if (c == DS_EOF) {
			if (ds->io_error) {
				error = pops_ds__io_error(ds);
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
		} else if (++bytes > POPS_DATASET_MAX_ROW_BYTES) {
			error = too_long(ds, start, in_quotes);
			goto done;
		} else if (c == 0) {
			error = pops_error_set(POPS_EINVALID,
			    "%s:%u: contains a NUL byte; datasets are UTF-8 text",
			    ds->display, ds->line + 1);
			goto done;
		}
		any = 1;
		if (in_quotes) {
			if (c == '"') {
				int d = pops_ds__getc(ds);

				if (d == '"') {
					bytes++;
					pops_buf_putc(&field, '"');
					continue;
				}
				if (d != DS_EOF)
					pops_ds__ungetc(ds);
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
			int d = pops_ds__getc(ds);

			if (d != '\n' && d != DS_EOF)
				pops_ds__ungetc(ds);
			c = '\n';
		}
		if (c == ',' || c == '\n') {
			if ((error = add_field(ds, rec, &field)) < 0)
				goto done;
			if (c == '\n') {
				ds->line++;
				/* a blank line is no record */
				if (rec->n == 1 && !rec->v[0][0] && !quoted) {
					record_clear(rec);
					any = 0;
					bytes = 0;
					start = ds->line + 1;
					continue;
				}
				rec->line = start;
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

struct column {
	const char *name;
	size_t i;
};

static int column_cmp(const void *a, const void *b)
{
	const struct column *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/*
 * Duplicate names by sorting (name, position): O(n log n), where a
 * pairwise check took minutes on a 200,000-column header. Reports the
 * first column that repeats an earlier one, as a left-to-right scan would.
 */
static int check_duplicates(const pops_dataset *ds)
{
	struct column *cols;
	size_t i, dup = SIZE_MAX, first = 0;

	if (ds->nheader < 2)
		return 0;
	cols = malloc(ds->nheader * sizeof(*cols));
	POPS_CHECK_ALLOC(cols);
	for (i = 0; i < ds->nheader; i++) {
		cols[i].name = ds->header[i];
		cols[i].i = i;
	}
	qsort(cols, ds->nheader, sizeof(*cols), column_cmp);
	for (i = 1; i < ds->nheader; i++)
		if (cols[i].i < dup && !strcmp(cols[i].name, cols[i - 1].name)) {
			dup = cols[i].i;
			first = cols[i - 1].i;
		}
	free(cols);
	if (dup == SIZE_MAX)
		return 0;
	return pops_error_set(POPS_EINVALID, "%s:1: duplicate column '%s' (columns %zu and %zu)",
	                      ds->display, ds->header[dup], first + 1, dup + 1);
}

int pops_ds__csv_header(pops_dataset *ds)
{
	struct record rec = { NULL, 0, 0, 0 };
	size_t i;
	int r;

	r = csv_record(ds, &rec);
	ds->header = rec.v;
	ds->nheader = rec.n;
	if (r < 0)
		return r;
	if (r == 0)
		return pops_error_set(POPS_EINVALID, "%s:1: empty CSV file: the first row must name the variables",
		                      ds->display);
	/* a UTF-8 byte order mark is not part of the first name */
	if (!strncmp(ds->header[0], "\xef\xbb\xbf", 3))
		memmove(ds->header[0], ds->header[0] + 3, strlen(ds->header[0] + 3) + 1);
	for (i = 0; i < ds->nheader; i++)
		if (!ds->header[i][0])
			return pops_error_set(POPS_EINVALID, "%s:1: column %zu has an empty name",
			                      ds->display, i + 1);
	return check_duplicates(ds);
}

int pops_ds__csv_next(pops_dataset *ds, pops_case *out)
{
	struct record rec = { NULL, 0, 0, 0 };
	cJSON *row = NULL;
	unsigned line;
	size_t i;
	int r;

	r = csv_record(ds, &rec);
	line = rec.line;
	if (r <= 0)
		goto done;
	if (rec.n != ds->nheader) {
		r = pops_error_set(POPS_EINVALID, "%s:%u: row has %zu fields but the header has %zu",
		                   ds->display, line, rec.n, ds->nheader);
		goto done;
	}
	if (!(row = cJSON_CreateObject())) {
		r = pops_error_oom();
		goto done;
	}
	for (i = 0; i < rec.n; i++)
		if (!cJSON_AddStringToObject(row, ds->header[i], rec.v[i])) {
			r = pops_error_oom();
			goto done;
		}
	r = pops_case_from_json(out, row, ds->display, line);
	if (r == 0)
		r = 1;
done:
	record_free(&rec);
	cJSON_Delete(row);
	return r;
}

int pops_ds__csv_skip_header(pops_dataset *ds)
{
	struct record rec = { NULL, 0, 0, 0 };
	int r = csv_record(ds, &rec);

	record_free(&rec);
	return r < 0 ? r : 0;
}

void pops_ds__csv_free(pops_dataset *ds)
{
	struct record rec = { ds->header, ds->nheader, ds->nheader, 0 };

	record_free(&rec);
	ds->header = NULL;
	ds->nheader = 0;
}
