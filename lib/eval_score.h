#ifndef POPS_EVAL_SCORE_H
#define POPS_EVAL_SCORE_H
/*
 * `pops eval score`: a suite's assertions and judges applied to outputs
 * production already gave (lib/records.h), without calling the model
 * under test. Each record is one case (id: its trace id, else
 * "record-N", N its 1-based index); the suite's dataset and inline tests
 * are not read. Judges are called as in a run, through the engine and
 * the cache. Records stream in twice (a scan, then scoring), so memory
 * does not grow with the file beyond a double of latency per record.
 *
 * A record that cannot be scored is skipped, counted by reason and
 * never silently dropped: "no output" (the record has none), "missing
 * vars" (the suite's judges need the prompt rendered from the record's
 * vars, unless the record's vars carry the user's "input" text, as
 * OTel and Langfuse records without the app's vars do; or an assertion
 * template reads a variable it lacks).
 */
#include "eval_run.h"
#include "records.h"

typedef struct pops_eval_score_options {
	pops_eval_options eo;        /* config, repo, root, popts, engine (the judges'),
	                                progress; model/prompt/dataset/filter are ignored */
	const char *outputs;         /* the records file */
	pops_records_format format;  /* POPS_RECORDS_AUTO: detected */
	const char *env;             /* the closure served in this env (ENV, ENV~canary,
	                                ENV~stable); NULL: the records' served version */
} pops_eval_score_options;

/*
 * Score the records of o->outputs against suite `s`. The prompt scored
 * against: with o->env, what the env serves (its release: blob,
 * partials, model); else the served version the records carry
 * ("NAME@N:ENV" while ENV still serves N: that release; otherwise
 * "NAME@N"); records with no served version: the suite's prompt.
 *
 * `*out` gets a group (lib/eval_run.h) whose summary is a run's, plus
 * "source":"production", "records" (read), "skipped" ({reason: count},
 * only reasons met), "window":{"from","to"} (the earliest and latest
 * record timestamps, UTC "YYYY-MM-DDTHH:MM:SSZ"; absent when no record
 * has one), "served" (when all records agree) and "env" (o->env). Case
 * records carry "model_id" (the record's model), "source":{"file","trace_id","timestamp",
 * "served"}, "feedback" and "meta" (the record's metadata) when known.
 * Its evidence is of kind "production" for the scored closure's
 * fingerprint (no dataset), with the window and no case_results;
 * NULL when the records name several served versions (which one
 * would it be about?) or no record was scored.
 *
 * Returns 0, or before anything is sent POPS_EINVALID/POPS_ENOTFOUND
 * (a bad records file, served version of another prompt, unknown env,
 * an unusable judge), or POPS_ERROR.
 */
int pops_eval_score(pops_eval_group **out, const pops_suite *s, const pops_eval_score_options *o);

/*
 * A record timestamp as seconds since the epoch: RFC 3339
 * ("2026-11-30T10:00:00Z", fractions and "+01:00" offsets allowed, a
 * space for the T) or a number of seconds, milliseconds or nanoseconds
 * (by magnitude). 0, or POPS_EINVALID.
 */
int pops_eval_score_time(long long *out, const char *s);
#endif
