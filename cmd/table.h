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

void cmd_table_dispose(cmd_table *t);

#endif
