#ifndef POPS_REPORT_LOAD_H
#define POPS_REPORT_LOAD_H
#include <cjson/cJSON.h>
#include "report.h"
/*
 * A JSON report (pops_report_json's, or eval merge's) back into report
 * groups, so any writer can re-render it after the run: `pops report
 * FILE.json --html OUT`. Each summary becomes a group with a temporary
 * spool of its case records (each without the "suite" and "model" keys
 * the JSON report added), in the report's order; a case is written out
 * and freed as it is read, so only the parsed document is in memory.
 */
typedef struct pops_report_loaded {
	cJSON *summaries;           /* the "summary" array; the groups borrow from it */
	pops_report_group *groups;
	size_t n;
	int complete;               /* the report's "complete" */
} pops_report_loaded;

#define POPS_REPORT_LOADED_INIT { NULL, NULL, 0, 1 }

/*
 * Load `data[0..len)`, read from `file` (named in messages). 0;
 * POPS_EINVALID "<file>: not a pops eval JSON report (...)" when it is no
 * JSON, or lacks schema_version 1, "summary" or "cases", or a summary
 * lacks "suite" and "model"; "<file>: case '<id>' names suite '<s>' on
 * '<m>', which has no summary"; POPS_ERROR (memory, temporary files).
 * Dispose `out` whatever the result.
 */
int pops_report_load(pops_report_loaded *out, const char *data, size_t len, const char *file);

void pops_report_loaded_dispose(pops_report_loaded *l);
#endif
