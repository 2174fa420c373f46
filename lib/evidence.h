#ifndef POPS_EVIDENCE_H
#define POPS_EVIDENCE_H

/*
 * Eval evidence: results of eval runs stored as git notes under
 * refs/notes/pops (pops-suite(5) EVIDENCE), attached to the commit that was
 * evaluated. A note's body is JSON:
 *
 *   {"schema_version":1,"results":[ R, ... ]}
 *
 * where each R carries the fingerprint fields (lib/fingerprint.h:
 * "prompt_blob", "partial_blobs", "model", "model_config", "suite_blob",
 * "dataset_blob", "judge_model", ...), the "fingerprint" itself, a
 * "kind" ("complete": the suite as configured; "partial", with
 * "partial_reasons" such as "--filter"), the counts ("passed", "failed"
 * and "errors" apart), "pass_rate", "verdict" ("pass", "fail", or
 * "error" when provider errors were over the suite's max_error_rate),
 * "date" and "case_results" (pops-suite(5) lists them all). Release
 * gates find complete results by fingerprint, so evidence follows the
 * exact content, not the commit it was run at. A result without "kind"
 * (pops before kinds) reads as complete, but its fingerprint is an old
 * one that no gate asks for.
 *
 * Judge calibrations (lib/judge_calib.h) live in the same notes as
 * results of kind "calibration", keyed by the judge fingerprint, with no
 * "prompt" or "prompt_blob": readers of eval results pass them by, and
 * a new calibration of the same judge replaces the old one in a note as
 * any result of the same fingerprint and kind does.
 */

#include <git2.h>
#include <cjson/cJSON.h>

#define POPS_EVIDENCE_REF "refs/notes/pops"

/*
 * Add `result` (a JSON object with a string "fingerprint") to the note on
 * `commit`. A result with the same fingerprint and kind already in that
 * note is replaced, others are kept; a complete result (not errored)
 * also drops the partial results of its fingerprint, which it covers;
 * observations (below) are kept as a bounded history instead.
 * An errored result (verdict "error") never replaces a pass or fail:
 * then nothing is written and POPS_EEXISTS says which result was kept. The note is read, changed and written back
 * as a new notes commit whose ref update is compare-and-swap; when
 * another writer updated refs/notes/pops meanwhile, the whole
 * read-modify-write is redone (pops_casref_retry: as long as the ref
 * keeps moving, up to POPS_CAS_RETRY_MS), so concurrent recorders never
 * lose each other's results.
 *
 * Returns 0; POPS_EEXISTS (above); POPS_EINVALID when `result` lacks a
 * fingerprint, or the existing note is not pops JSON (it is left as it
 * is); POPS_EMODIFIED
 * when the retries ran out (the ref stopped moving, or the time limit);
 * POPS_ERROR (git, memory).
 * Side effects: writes blob, tree and commit objects and moves
 * refs/notes/pops. `result` is copied, never taken.
 */
int pops_evidence_record(git_repository *repo, const git_oid *commit,
                         const cJSON *result);

/*
 * Observations are results of a series rather than verdicts on a
 * version: kind "production" (eval score, one per window of records) and
 * results with an "env" (eval run --env, rerun nightly on the same
 * fingerprint to see a pinned model drift). pops_evidence_record keeps
 * them side by side: eval trend needs the series, which replacing would
 * erase. A note keeps the newest POPS_EVIDENCE_HISTORY of each
 * fingerprint and kind (a note is read whole, so it must stay bounded:
 * 30 nightly runs are a month), and a rerun of the same production
 * window replaces its result. Gates read the newest (pops_evidence_prefer)
 * and never take production results: they are not pre-release evidence.
 */
#define POPS_EVIDENCE_HISTORY 30

/* 1 when `r` is an observation (above), else 0. */
int pops_evidence_observation(const cJSON *r);

/*
 * The scores of result `r`, taken from the run's `summary` (lib/report.h):
 * "cases","passed","failed","errors","pass_rate","ci_low","ci_high",
 * "threshold","verdict","cost_usd", each replaced (a member the summary
 * lacks is left out). The one list of them, for a run's result and a
 * merged shard set's. 0 or POPS_ERROR (memory).
 */
int pops_evidence_put_scores(cJSON *r, const cJSON *summary);

/* Set result `r`'s "date" to now (UTC, "YYYY-MM-DDTHH:MM:SSZ"), replacing it. 0 or POPS_ERROR. */
int pops_evidence_put_date(cJSON *r);

/*
 * Read the note on `commit`: `out` gets the whole parsed body (free with
 * cJSON_Delete). POPS_ENOTFOUND when the commit has no pops note,
 * POPS_EINVALID when the note is not pops JSON, POPS_ERROR otherwise.
 */
int pops_evidence_read(cJSON **out, git_repository *repo, const git_oid *commit);

typedef struct pops_evidence_query {
	const char *prompt_blob;  /* hex id of the prompt's blob, or NULL = any */
	const char *suite;        /* suite path as in pops.yaml, or NULL = any */
	const char *suite_blob;   /* hex, or NULL = any */
	const char *model;        /* model id (not alias), or NULL = any */
	const char *prompt;       /* prompt name, or NULL = any */
	const char *fingerprint;  /* hex, or NULL = any */
	const char *kind;         /* "complete", "partial", or NULL = any */
} pops_evidence_query;

#define POPS_EVIDENCE_QUERY_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL }

/* The kind of result `r`: its "kind", or "complete" when it has none. Borrowed. */
const char *pops_evidence_kind(const cJSON *r);

/*
 * 1 when result `r` should be shown or used rather than `best` (NULL:
 * always): a complete pass or fail beats a partial one, which beats an
 * errored run (an outage never hides a real score); between equals the
 * later "date" wins, and the later note on a tie.
 */
int pops_evidence_prefer(const cJSON *r, const cJSON *best);

/*
 * Find the preferred result (pops_evidence_prefer) in any note under
 * refs/notes/pops that matches every non-NULL field of `q` (prompt_blob
 * or fingerprint is required).
 * `out` gets a copy (free with cJSON_Delete); `commit_out`, when not
 * NULL, the commit the note is attached to. Notes that are not pops JSON
 * are skipped. Returns 0, POPS_ENOTFOUND (no match, or no notes at all),
 * POPS_EINVALID (neither prompt_blob nor fingerprint) or POPS_ERROR. Reads only.
 */
int pops_evidence_find(cJSON **out, git_oid *commit_out, git_repository *repo,
                       const pops_evidence_query *q);

/*
 * One pass over every note: `out` gets an object mapping each prompt
 * blob (hex) to the result pops_evidence_find would return for it
 * (pops_evidence_prefer), for results of prompt
 * `prompt` (NULL: any). For listing many versions at once. Free with
 * cJSON_Delete. 0 (the map may be empty) or POPS_ERROR.
 */
int pops_evidence_newest_by_blob(cJSON **out, git_repository *repo, const char *prompt);

/*
 * Call `fn` for every result in every pops note, with the annotated
 * commit. A non-zero return from `fn` stops the walk and is returned.
 * Notes that are not pops JSON are skipped. 0, or POPS_ERROR.
 */
int pops_evidence_foreach(git_repository *repo,
                          int (*fn)(void *payload, const git_oid *commit,
                                    const cJSON *result),
                          void *payload);

#endif
