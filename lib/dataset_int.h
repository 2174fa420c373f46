#ifndef POPS_DATASET_INT_H
#define POPS_DATASET_INT_H
/*
 * Internals shared by lib/dataset.c (JSONL, YAML, rows) and
 * lib/dataset_csv.c. Not part of the public API.
 */
#include <stdio.h>
#include <cjson/cJSON.h>
#include "buf.h"
#include "dataset.h"
#include "yamldoc.h"

enum { FMT_JSONL, FMT_YAML, FMT_CSV };

#define DS_EOF (-1)
#define DS_CHUNK 65536

struct pops_dataset {
	int fmt;
	char *display;
	FILE *f;
	unsigned line;          /* lines consumed so far */
	/* our own read buffer: lines are cut out of it with memchr, and the
	 * CSV parser takes bytes from it, so nothing is read past a cap */
	char *rbuf;
	size_t rpos, rlen;
	int io_error;           /* a read failed (errno kept in io_errno) */
	int io_errno;
	/* JSONL */
	pops_buf lbuf;
	/* CSV */
	char **header;
	size_t nheader;
	/* YAML */
	pops_yaml_doc *doc;
	const cJSON *item;
};

/* Refill the read buffer; the next byte, or DS_EOF (end or io_error set). */
int pops_ds__fill(pops_dataset *ds);

/* The next byte (0..255) or DS_EOF; check ds->io_error at DS_EOF. */
static inline int pops_ds__getc(pops_dataset *ds)
{
	if (ds->rpos < ds->rlen)
		return (unsigned char)ds->rbuf[ds->rpos++];
	return pops_ds__fill(ds);
}

/* Give back the byte pops_ds__getc just returned (not after DS_EOF). */
static inline void pops_ds__ungetc(pops_dataset *ds)
{
	ds->rpos--;
}

/* POPS_ERROR naming the dataset, from the saved read errno. */
int pops_ds__io_error(pops_dataset *ds);

/* "file:line: invalid UTF-8 ..." when `s` is not UTF-8; else 0. */
int pops_ds__check_utf8(const pops_dataset *ds, unsigned line, const char *s,
                        size_t len, const char *what);

/* CSV: read and check the header row at open; next row; skip the header. */
int pops_ds__csv_header(pops_dataset *ds);
int pops_ds__csv_next(pops_dataset *ds, pops_case *out);
int pops_ds__csv_skip_header(pops_dataset *ds);
void pops_ds__csv_free(pops_dataset *ds);
#endif
