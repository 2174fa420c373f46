#ifndef POPS_CMD_DATASETCMD_H
#define POPS_CMD_DATASETCMD_H
/*
 * `pops dataset add` internals shared by cmd/dataset.c (selection,
 * sampling, dedupe, report) and cmd/dataset_write.c (appending in the
 * dataset's own format).
 */
#include <stdint.h>
#include <cjson/cJSON.h>
#include "buf.h"

/* 64-bit hash of `vars` normalised: keys sorted, scalars as text, blanks
 * collapsed, empty values dropped (a CSV row and its JSONL twin agree) */
uint64_t dataset_vars_hash(const cJSON *vars);

/*
 * Append `rows` (an array of {vars, expected?, meta} objects) to the
 * dataset at `path` in its format (by extension: .jsonl/.ndjson, .json,
 * .yaml/.yml, .csv); the file need not exist. `old_rows` is how many rows
 * it has now: the result is re-read and must have old_rows + the new
 * ones. Written to a temp file beside it, then renamed over it; nothing
 * changes on error. 0 or a lib error code (message set).
 */
int dataset_append(const char *path, const cJSON *rows, size_t old_rows);
#endif
