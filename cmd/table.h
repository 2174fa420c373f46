#ifndef POPS_CMD_TABLE_H
#define POPS_CMD_TABLE_H

#include "common.h"

/*
 * Aligned text tables for the commands that print rows (prompt list,
 * release list, model list, ...): cells are sanitized as they are added
 * and columns padded by display width (pops_utf8_width), not bytes, so
 * `grüße` or `日本` lines up. The last column is never padded, and a line
 * never ends in blanks.
 *
 *   cmd_table t = CMD_TABLE_INIT(3);
 *   cmd_table_row(&t, "NAME", "VERSION", "DESCRIPTION");
 *   cmd_table_row(&t, name, ver, desc);           (NULL prints as "-")
 *   cmd_table_render(&out, &t, "", 2);
 *   cmd_table_dispose(&t);
 */
typedef struct cmd_table {
	size_t ncols;
	char **cells;     /* nrows * ncols, owned */
	size_t nrows, arows;
	int oom;          /* a row was lost: render reports it */
} cmd_table;

#define CMD_TABLE_INIT(n) { (n), NULL, 0, 0, 0 }

/* Add a row of exactly t->ncols cells (const char *, NULL = "-"). */
void cmd_table_row(cmd_table *t, ...);

/* The same from an array of t->ncols cells. */
void cmd_table_rowv(cmd_table *t, const char *const *cells);

/*
 * Append the table to `out`, each line starting with `indent` and
 * columns `gap` spaces apart. Returns 0, or -1 when memory ran out
 * (here or while adding rows).
 */
int cmd_table_render(pops_buf *out, const cmd_table *t, const char *indent, size_t gap);

/*
 * The rows from `first` on as tab-separated lines, the stable format
 * for scripts (--porcelain): no padding, and empty cells at the end of
 * a row are left out. Returns 0 or -1 (out of memory).
 */
int cmd_table_render_tsv(pops_buf *out, const cmd_table *t, size_t first);

/*
 * Print the table to stdout: aligned with its header row on a terminal,
 * or as TSV without the header (row 0) when `porcelain` is set or stdout
 * is not a terminal, so what scripts read never changes shape. Returns
 * a POPS_EXIT_* code.
 */
int cmd_table_print(const cmd_table *t, int tty, int porcelain);

void cmd_table_dispose(cmd_table *t);

#endif
