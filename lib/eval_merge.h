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
#include "buf.h"
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

/*
 * The evidence of a merged shard set, one unsharded run's. `parts` is
 * pops_eval_merge's m->parts: 1 when they are a complete and consistent
 * shard set (every part a shard i/n of the same n, each i once, all of
 * the same commit, all complete, with the same fingerprints); else 0
 * with the reason in `why`, and nothing may be recorded.
 */
int pops_eval_merge_shard_set(const cJSON *parts, pops_buf *why);

/*
 * The result to record for first-shard result `r0` (one of the first
 * part's "evidence"): `r0` with the merged counts of the summary in `g`
 * of the same suite, alias and model (pops_evidence_put_scores), the
 * case results of every shard, "kind" complete unless a shard was
 * partial for another reason than --shard (those reasons stay), a new
 * "date" and "pops_version" `version`. NULL when no summary matches
 * (or out of memory). The caller frees it.
 */
cJSON *pops_eval_merge_result(const cJSON *r0, const cJSON *parts, const pops_report_group *g,
                              size_t ng, const char *version);

#endif
