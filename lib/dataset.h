#ifndef POPS_DATASET_H
#define POPS_DATASET_H
#include <stddef.h>
#include <cjson/cJSON.h>
/*
 * Eval datasets: JSONL, JSON (an array of rows, or {"tests": [...]} as
 * promptfoo writes), YAML and CSV (RFC 4180, header row = variable
 * names). JSONL and CSV are read one row at a time from the file, so a
 * run's memory does not grow with the dataset; JSON and YAML (capped at
 * POPS_YAML_MAX_BYTES) are parsed whole.
 *
 * A row is either structured, `{id, vars, expected, assert, metadata, meta,
 * threshold, description}` (recognised by a `vars` object; other keys are errors),
 * or flat, where every key except id/expected/assert/metadata/meta/threshold/
 * description is a variable. CSV rows are flat with string values; a CSV
 * `meta` column holds a JSON object (or nothing).
 *
 * `meta` is provenance (`pops dataset add`: source, trace_id, timestamp,
 * served): an object kept with the case for reports, never a variable,
 * never rendered, and not part of the derived case id.
 *
 * Case ids are stable across runs: the explicit `id` (string or integer),
 * else 12 hex digits of a hash of the row's canonical JSON.
 */
typedef struct pops_case {
	char *id;
	cJSON *vars;      /* object, never NULL after a successful read */
	cJSON *expected;  /* NULL when the row has none */
	cJSON *asserts;   /* array of raw assertion objects, or NULL */
	cJSON *metadata;  /* or NULL */
	double threshold; /* row's own minimum weighted score, or -1 */
	const char *file; /* borrowed from the dataset (or caller), for messages */
	unsigned line;    /* 1-based line the row starts on; 0 unknown */
	cJSON *meta;      /* provenance object, or NULL; never rendered */
	cJSON *messages;  /* a conversation's earlier turns [{"role","content"}] (role user,
	                     assistant or system; content a string), or NULL */
} pops_case;

#define POPS_CASE_INIT { NULL, NULL, NULL, NULL, NULL, -1.0, NULL, 0, NULL, NULL }

/* Free what a case owns and reset it to POPS_CASE_INIT. */
void pops_case_dispose(pops_case *c);

/*
 * Fill `out` from a parsed row object (which stays the caller's). `file`
 * and `line` go into messages. Returns 0 or POPS_EINVALID
 * ("file:line: ...").
 */
int pops_case_from_json(pops_case *out, const cJSON *row, const char *file,
                        unsigned line);

/*
 * A variables object for templates: the case vars plus `expected` (when
 * the row has one and vars do not define it). Caller frees with
 * cJSON_Delete. NULL on out of memory.
 */
cJSON *pops_case_scope(const pops_case *c);

typedef struct pops_dataset pops_dataset;

/*
 * Open the dataset at `path`; the format comes from the extension
 * (.jsonl/.ndjson, .json, .yaml/.yml, .csv). `display` is the name used in
 * messages (NULL = path). Returns 0, POPS_ENOTFOUND (no file),
 * POPS_EINVALID (unknown extension, YAML syntax, CSV header) or
 * POPS_ERROR.
 */
int pops_dataset_open(pops_dataset **out, const char *path, const char *display);

/*
 * Read the next row into `out` (disposed first). Returns 1 for a row,
 * 0 at the end, or POPS_EINVALID with "file:line: ..." (bad JSON line,
 * ragged CSV row, bad row shape), or POPS_ERROR on I/O errors.
 */
int pops_dataset_next(pops_dataset *ds, pops_case *out);

/* Start again from the first row. 0 or POPS_ERROR. */
int pops_dataset_rewind(pops_dataset *ds);

void pops_dataset_free(pops_dataset *ds);
#endif
