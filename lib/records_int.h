#ifndef POPS_RECORDS_INT_H
#define POPS_RECORDS_INT_H
/*
 * Internals shared by lib/records.c (reader, pops JSONL), records_otel.c
 * and records_langfuse.c. Not part of the public API.
 */
#include <stdio.h>
#include <cjson/cJSON.h>
#include "buf.h"
#include "records.h"

#define RS_CHUNK 65536

enum { RS_LINES, RS_ARRAY, RS_CSV };

struct pops_records {
	pops_records_format fmt;
	int layout;             /* RS_LINES, RS_ARRAY (Langfuse JSON), RS_CSV */
	char *display;
	FILE *f;
	char *rbuf;
	size_t rpos, rlen;
	unsigned line;          /* newlines consumed so far */
	unsigned start_line;    /* line the current unit starts on */
	int eof;
	pops_buf unit;          /* the current line / element / CSV record */
	int array_done;
	/* OTel: spans of the current request, handed out one by one */
	cJSON *otel_doc;
	const cJSON *otel_rs, *otel_ss, *otel_span;
	unsigned otel_line;
	/* CSV */
	char **header;
	size_t nheader;
};

/* next byte or -1 at the end (errors: POPS_ERROR via rs__io) */
int pops_rs__getc(pops_records *rs);
/* the next non-blank line into rs->unit: 1, 0 at the end, or an error */
int pops_rs__line(pops_records *rs);
/* parse rs->unit as JSON (NULL after setting "file:line: invalid JSON") */
cJSON *pops_rs__parse_unit(pops_records *rs);
/* add `item` (taken) to `obj` under `key`; NULL items are ignored; 0 or OOM */
int pops_rs__put(cJSON *obj, const char *key, cJSON *item);
/* fill the typed fields of `out` from out->json; 0 or POPS_EINVALID */
int pops_rs__finish(pops_records *rs, pops_record *out);

/* OTel: next span record: 1, 0, error */
int pops_rs__otel_next(pops_records *rs, pops_record *out);
void pops_rs__otel_free(pops_records *rs);
/* Langfuse: an exported trace/observation object -> normalised record;
 * 1 for a record, 0 when the object is not one (a SPAN or EVENT) */
int pops_rs__langfuse_record(pops_records *rs, const cJSON *o, pops_record *out);
/* Langfuse: the next record from the JSON array / JSONL / CSV */
int pops_rs__langfuse_next(pops_records *rs, pops_record *out);
int pops_rs__csv_header(pops_records *rs);
void pops_rs__csv_free(pops_records *rs);
/* text of messages ([{role, content|parts}]) for `role` joined by blank lines, or NULL */
char *pops_rs__messages_text(const cJSON *msgs, const char *role, int last_only);
#endif
