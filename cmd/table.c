#include "common.h"
#include "table.h"
#include "strutil.h"
#include "cmd.h"

#include <stdarg.h>

void cmd_table_rowv(cmd_table *t, const char *const *cells)
{
	pops_buf b = POPS_BUF_INIT;
	char **row;
	size_t c = 0;

	if (t->oom)
		goto done;
	if (t->nrows == t->arows) {
		size_t a = t->arows ? t->arows * 2 : 16;
		char **v = realloc(t->cells, a * t->ncols * sizeof(*v));

		if (!v) {
			t->oom = 1;
			goto done;
		}
		t->cells = v;
		t->arows = a;
	}
	row = t->cells + t->nrows * t->ncols;
	for (; c < t->ncols; c++) {
		const char *s = cells[c] ? cells[c] : "-";

		pops_buf_clear(&b);
		pops_buf_put_sanitized(&b, s, strlen(s), 0);
		if (pops_buf_oom(&b) || !(row[c] = pops_strdup(b.ptr))) {
			/* the row is lost whole, and render says so */
			while (c--)
				free(row[c]);
			t->oom = 1;
			goto done;
		}
	}
	t->nrows++;
done:
	pops_buf_dispose(&b);
}

void cmd_table_row(cmd_table *t, ...)
{
	const char *cells[16];
	va_list ap;
	size_t c;

	assert(t->ncols <= POPS_ARRAY_SIZE(cells));
	va_start(ap, t);
	for (c = 0; c < t->ncols; c++)
		cells[c] = va_arg(ap, const char *);
	va_end(ap);
	cmd_table_rowv(t, cells);
}

int cmd_table_render(pops_buf *out, const cmd_table *t, const char *indent, size_t gap)
{
	size_t *width = NULL, r, c;
	int error = 0;

	if (t->oom || !(width = calloc(t->ncols + 1, sizeof(*width))))
		return -1;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t w = pops_utf8_width(s, strlen(s));

			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r < t->nrows; r++) {
		size_t line = out->size;

		pops_buf_puts(out, indent);
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t pad;

			pops_buf_puts(out, s);
			if (c + 1 == t->ncols)
				break;
			for (pad = width[c] - pops_utf8_width(s, strlen(s)) + gap; pad; pad--)
				pops_buf_putc(out, ' ');
		}
		/* empty trailing cells leave no blanks at the end of the line */
		while (out->size > line && out->ptr[out->size - 1] == ' ')
			pops_buf_truncate(out, out->size - 1);
		pops_buf_putc(out, '\n');
	}
	if (pops_buf_oom(out))
		error = -1;
	free(width);
	return error;
}

int cmd_table_render_tsv(pops_buf *out, const cmd_table *t, size_t first)
{
	size_t r, c, n;

	if (t->oom)
		return -1;
	for (r = first; r < t->nrows; r++) {
		const char *const *row = (const char *const *)t->cells + r * t->ncols;

		for (n = t->ncols; n > 1 && !*row[n - 1]; n--)
			;
		for (c = 0; c < n; c++) {
			if (c)
				pops_buf_putc(out, '\t');
			pops_buf_puts(out, row[c]);
		}
		pops_buf_putc(out, '\n');
	}
	return pops_buf_oom(out) ? -1 : 0;
}

int cmd_table_print(const cmd_table *t, int tty, int porcelain)
{
	pops_buf out = POPS_BUF_INIT;
	int error = porcelain || !tty ? cmd_table_render_tsv(&out, t, 1)
	                              : cmd_table_render(&out, t, "", 2);

	if (error == 0)
		fwrite(out.ptr, 1, out.size, stdout);
	pops_buf_dispose(&out);
	return error ? cmd_error(POPS_EXIT_RUNTIME, "out of memory") : POPS_EXIT_OK;
}

void cmd_table_dispose(cmd_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->arows = 0;
	t->oom = 0;
}
