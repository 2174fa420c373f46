#ifndef POPS_RECORDS_H
#define POPS_RECORDS_H
#include <stddef.h>
#include <cjson/cJSON.h>
/*
 * Production records: what a deployed prompt was asked and answered, read
 * from the files teams already export, one record at a time. Memory is
 * bounded by the longest line (or array element, or CSV record), never by
 * the file: a 200 MB export reads at the peak of a 1 MB one.
 *
 * Formats (pops-suite(5), RECORDS):
 *   pops      JSONL, one object per line: vars, output, model, latency_ms,
 *             tokens {input, output}, cost, timestamp, trace_id, served,
 *             feedback {thumbs, score, correction}, metadata.
 *   otel      the OTLP JSON file exporter: one ExportTraceServiceRequest
 *             per line; every span with gen_ai.* attributes is a record
 *             (gen_ai.input.messages / gen_ai.output.messages attributes,
 *             or the older gen_ai.content.prompt / gen_ai.content.completion
 *             and gen_ai.user.message / gen_ai.choice events).
 *   langfuse  Langfuse trace or observation exports: a JSON array, JSONL,
 *             or CSV with a header row (camelCase as the UI writes it or
 *             snake_case as the blob export writes it).
 *
 * Every record is normalised to the pops JSONL shape (`json`), so callers
 * (dataset add, eval score) filter and read one vocabulary whatever the
 * source. A record that lacks a field is still returned with that field
 * absent, so callers can count "skipped: no output".
 */

typedef enum {
	POPS_RECORDS_AUTO = 0,
	POPS_RECORDS_POPS,
	POPS_RECORDS_OTEL,
	POPS_RECORDS_LANGFUSE
} pops_records_format;

/* Longest line, array element or CSV record accepted (bytes). */
#define POPS_RECORDS_MAX_RECORD (16u * 1024u * 1024u)

typedef struct pops_record {
	cJSON *json;            /* the normalised object, owned */
	/* borrowed from `json`; NULL (strings, vars) or -1 (numbers) when absent */
	const cJSON *vars;      /* object */
	const char *output;
	const char *model;
	const char *timestamp;
	const char *trace_id;
	const char *served;     /* "NAME@N:ENV", "NAME@N:ENV~canary" or "NAME@N" */
	const char *thumbs;     /* "up" or "down" */
	const char *correction;
	double latency_ms, cost, score;
	double tokens_in, tokens_out;
	const char *file;       /* borrowed from the reader, for messages */
	unsigned line;          /* 1-based line the record starts on */
} pops_record;

#define POPS_RECORD_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
	-1, -1, -1, -1, -1, NULL, 0 }

/* Free what a record owns and reset it to POPS_RECORD_INIT. */
void pops_record_dispose(pops_record *r);

/*
 * The value at a dotted path of the normalised record ("feedback.thumbs",
 * "latency_ms", "vars.category", "metadata.region"), or NULL.
 */
const cJSON *pops_record_get(const pops_record *r, const char *path);

/*
 * "pops", "otel", "langfuse" or "auto" -> *out. 0 or POPS_EINVALID
 * naming the accepted names.
 */
int pops_records_format_parse(pops_records_format *out, const char *name);

/* The name of a format ("pops", "otel", "langfuse"). */
const char *pops_records_format_name(pops_records_format fmt);

typedef struct pops_records pops_records;

/*
 * Open the records file `path` (a regular file). With POPS_RECORDS_AUTO
 * the format comes from the extension (.csv: Langfuse CSV) or the first
 * record: a JSON array or an object with Langfuse keys (traceId,
 * startTime, observations, ...): Langfuse; an object with resourceSpans:
 * OTel; anything else: pops. Returns 0, POPS_ENOTFOUND, POPS_EINVALID
 * ("file:line: ...") or POPS_ERROR.
 */
int pops_records_open(pops_records **out, const char *path, pops_records_format fmt);

/* The format being read (after detection). */
pops_records_format pops_records_format_of(const pops_records *rs);

/*
 * The next record into `out` (disposed first). Returns 1, 0 at the end,
 * POPS_EINVALID with "file:line: ..." (bad JSON, a field of the wrong
 * type, an over-long record) or POPS_ERROR on a read error.
 */
int pops_records_next(pops_records *rs, pops_record *out);

void pops_records_free(pops_records *rs);

/*
 * Split a served-version string "NAME@N[:ENV][~canary]" into its parts
 * (name and env are copied into the caller's buffers, cut to fit).
 * Returns 0 or POPS_EINVALID.
 */
int pops_served_parse(const char *s, char *name, size_t name_size, long *version,
                      char *env, size_t env_size, int *canary);
#endif
