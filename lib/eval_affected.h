#ifndef POPS_EVAL_AFFECTED_H
#define POPS_EVAL_AFFECTED_H

/*
 * `pops eval run --affected [BASE]`: evaluate only what changed.
 *
 * A suite on a model whose evidence fingerprint at HEAD (the one the
 * run would record and the promotion gate asks for: lib/fingerprint.h)
 * already has complete, scored evidence in refs/notes/pops is not run:
 * its results are taken from that evidence, so reports and the gate see
 * the whole picture. With BASE (a revision), the paths changed between
 * BASE and HEAD are listed, and a suite whose fingerprint inputs are
 * among them runs even when evidence would answer it.
 */

#include <git2.h>
#include <cjson/cJSON.h>
#include "buf.h"
#include "config.h"
#include "fingerprint.h"
#include "suite.h"

/*
 * Stored complete evidence of exactly `fingerprint`, not an errored run
 * (verdict "error"): 1 with *found (free with cJSON_Delete) and `commit`
 * (the annotated commit, 40 hex digits), 0 when there is none (or no
 * notes at all), or POPS_ERROR. Reads refs/notes/pops.
 */
int pops_eval_affected_find(cJSON **found, char commit[GIT_OID_HEXSZ + 1],
                            git_repository *repo, const char *fingerprint);

/*
 * The same answers for many fingerprints from one pass over the notes:
 * `*index` gets {"<fingerprint>": {"commit": hex, "result": R}} of each
 * fingerprint's preferred complete result (pops_evidence_prefer). Free
 * with cJSON_Delete. 0 or POPS_ERROR.
 */
int pops_eval_affected_index(cJSON **index, git_repository *repo);

/* pops_eval_affected_find's answer from an index: 1 (copies), 0, or POPS_ERROR. */
int pops_eval_affected_lookup(cJSON **found, char commit[GIT_OID_HEXSZ + 1],
                              const cJSON *index, const char *fingerprint);

/* 1 when `repo` has a refs/notes/pops ref (a shallow CI clone often has not), else 0. */
int pops_eval_affected_has_notes(git_repository *repo);

/*
 * The summary (lib/report.h shape) of a suite answered by evidence `ev`
 * recorded on `commit`: suite, prompt, model (`alias`, else the
 * evidence's "model_alias"), model_id, the counts, pass rate, interval,
 * threshold, verdict, reason and cost from the evidence, "complete": true,
 * and "reused": {"commit","date","fingerprint","cases"} ("cases": the
 * evidence's case_results, {"id#repeat": passed}). NULL out of memory.
 */
cJSON *pops_eval_affected_summary(const cJSON *ev, const char *commit, const char *alias);

/*
 * The line said for a reused suite: "evals/x.yaml: evidence reused from
 * 4f2a91c (2026-11-30), not run" (with " [model]" when `model` is not
 * NULL), into `out` (cleared first).
 */
void pops_eval_affected_note(pops_buf *out, const cJSON *summary, const char *model);

/* what changed between BASE and HEAD */
typedef struct pops_eval_changes {
	const char *base;        /* as given (borrowed) */
	int resolved;            /* 0: BASE or HEAD is not there (shallow clone): all run */
	cJSON *paths;            /* array of the paths added or modified since BASE */
	cJSON *blobs;            /* {"<blob hex at HEAD>": "path"} of those paths */
	char *config_path;       /* pops.yaml relative to the work tree, when it changed */
	pops_config *base_cfg;   /* pops.yaml at BASE when it changed (and parsed), else NULL */
} pops_eval_changes;

#define POPS_EVAL_CHANGES_INIT { NULL, 0, NULL, NULL, NULL, NULL }

/*
 * Diff the trees of `base` and HEAD in `repo`. `cfg` is the
 * configuration at HEAD (its path tells which changed file is
 * pops.yaml). A `base` that does not resolve leaves c->resolved 0 and
 * returns 0 (the caller says so and runs everything). 0 or POPS_ERROR.
 */
int pops_eval_changes_load(pops_eval_changes *c, git_repository *repo, const char *base,
                           const pops_config *cfg);

/*
 * Which of the changes are inputs of fingerprint `fp` (fields, lib/fingerprint.h)
 * of a run on model `alias` with configuration `cfg`: a changed file
 * whose blob at HEAD is one of the fingerprint's blobs (prompt,
 * partials, suite, dataset, judge prompt, exec scripts), and pops.yaml
 * when the model alias's provider, id or config differ from BASE's.
 * Appends them, comma separated, to `why`; 1 when any, else 0.
 */
int pops_eval_changes_touch(pops_buf *why, const pops_eval_changes *c,
                            const pops_fingerprint *fp, const pops_config *cfg,
                            const char *alias);

void pops_eval_changes_dispose(pops_eval_changes *c);

#endif
