#ifndef POPS_EVAL_MERGE_H
#define POPS_EVAL_MERGE_H

/*
 * pops eval merge: CI matrix jobs each run `pops eval run --shard i/n
 * --json part-i.json`; this combines the parts' JSON reports (lib/report.h)
 * into the groups one unsharded run would have given: case records put
 * together per suite and model, summaries rebuilt by the runner's own
 * rules (pops_eval_summary_scores), the counts a case record lacks
 * (cached, sent, ...) added up, the wall time the longest shard's.
 */

#include <stdio.h>
#include <cjson/cJSON.h>
#include "report.h"

struct pops_eval_mgroup;

typedef struct pops_eval_merge {
	cJSON *parts;              /* per report: {"file","shard","commit","complete",
	                            * "evidence"}, what recording the evidence needs */
	int complete;              /* every report was complete */
	pops_report_group *groups; /* after pops_eval_merge_finish: the merged groups */
	size_t ngroups;
	struct pops_eval_mgroup *mg; /* internal: the groups being merged */
	size_t nmg;
} pops_eval_merge;

#define POPS_EVAL_MERGE_INIT { NULL, 1, NULL, 0, NULL, 0 }

/*
 * Add the JSON report `data` (read from `file`, which names it in
 * messages). Returns 0; POPS_EINVALID "<file>: not a pops eval JSON
 * report (schema_version 1)" or "<file>: a case names a suite and model
 * missing from the summary"; POPS_ERROR (memory, a temporary file).
 */
int pops_eval_merge_add(pops_eval_merge *m, const char *data, size_t len, const char *file);

/*
 * Build the merged summaries into m->groups (each with its spool of case
 * records, rewound). 0 or POPS_ERROR.
 */
int pops_eval_merge_finish(pops_eval_merge *m);

void pops_eval_merge_dispose(pops_eval_merge *m);

#endif
