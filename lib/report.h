#ifndef POPS_REPORT_H
#define POPS_REPORT_H
#include <stdio.h>
#include <cjson/cJSON.h>
#include "buf.h"
/*
 * Eval reports: JUnit XML, JSON and Markdown. The runner keeps results
 * out of memory: each group (one suite on one model) has a spool file of
 * case records, one compact JSON object per line, and a summary object.
 * The writers stream the spools, so a 100,000-case report costs no more
 * memory than a 10-case one.
 *
 * A case record: {"id","repeat","status":"pass|fail|error","vars",
 * "expected","output","error","asserts":[{"type","pass","error","score",
 * "reason"}],"score","latency_ms","input_tokens","output_tokens",
 * "cost_usd"|null,"attempts","cached"}, and "line" (1-based line of the
 * row in the summary's "dataset"; in "file", the suite, for a suite's
 * inline tests) when known. With --baseline, "baseline": {"status",
 * "output","score"}: the baseline's result of the same id and repeat
 * (absent when the baseline has no such case): a baseline run of this
 * invocation gives pass|fail|error, its output and score when it has
 * them; stored evidence gives "status" pass|fail only, no output
 * (lib/eval_flips.h pops_eval_baseline_cases).
 * A summary: {"suite","prompt","model","model_id","dataset" (as the suite
 * or --dataset names it, relative to the project root; absent for inline
 * tests only),"repeat","cases" (runs
 * executed: case x repeat),"passed",
 * "failed","errors","pass_rate","ci_low","ci_high","threshold","verdict",
 * "cost_usd","input_tokens","output_tokens","latency_p50","latency_p95",
 * "latency_p99","duration_s", and optional "baseline" and "reason"}.
 * "baseline" (lib/eval_flips.h pops_eval_add_baseline): {"ref","source"
 * ("run"|"evidence"),"pass_rate","paired","newly_failing","newly_passing",
 * "p_value","verdict","min_detectable_drop","flips":[{"id","repeat",
 * "from","to"}] (at most 200, case order),"flips_count"}, or {"ref",
 * "source":"none","verdict":"new prompt","note"} when the baseline has
 * no such prompt.
 */
typedef struct pops_report_group {
	cJSON *summary;   /* borrowed */
	FILE *spool;      /* borrowed; rewound and read by the writers */
} pops_report_group;

/*
 * A file written through a temporary in the same directory and renamed
 * into place by pops_report_file_commit, so a reader (or a CI step after
 * a crash) sees the old report or the whole new one.
 */
typedef struct pops_report_file {
	FILE *f;
	char *path;
	char *tmp;
} pops_report_file;

/*
 * 0 or POPS_ERROR (message names the path). `path` "-" is the process's
 * standard output (file descriptor 1, written in place). A new file gets
 * mode 0666 minus the umask; a replaced one keeps its mode.
 */
int pops_report_file_open(pops_report_file *rf, const char *path);
/* Flush, fsync, rename. 0 or POPS_ERROR; the temporary is removed on failure. */
int pops_report_file_commit(pops_report_file *rf);
/*
 * The common end of a writer: write the buffered `tail` (may be NULL),
 * then commit. A `tail` that ran out of memory is not written: the file
 * is aborted and POPS_ERROR returned, so a truncated report never
 * replaces the old one. Write errors surface in the commit.
 */
int pops_report_file_finish(pops_report_file *rf, const pops_buf *tail);
/* Drop the temporary (after a failure). Safe on a committed file. */
void pops_report_file_abort(pops_report_file *rf);

/*
 * Read the next case record from a spool into `*out` (replacing it).
 * 1 for a record, 0 at the end, POPS_ERROR on a damaged spool.
 */
int pops_report_spool_next(FILE *spool, cJSON **out, pops_buf *line);

/*
 * Append case record `rec` to `spool` as one compact JSON line (what
 * pops_report_spool_next reads back). 0; POPS_ENOMEM; POPS_ERROR when
 * the write fails (the message names the result spool).
 */
int pops_report_spool_write(FILE *spool, const cJSON *rec);

/*
 * Append `s[0..len)` to `out` as XML character data or attribute text:
 * markup escaped, invalid UTF-8 replaced by U+FFFD, characters XML 1.0
 * forbids (NUL and other controls, U+FFFE/U+FFFF) dropped. With
 * `attr`, tab/CR/LF become character references.
 */
void pops_report_xml_escape(pops_buf *out, const char *s, size_t len, int attr);

/*
 * Reports are UTF-8 whatever a model printed: append `s[0..len)` with
 * each invalid sequence (a stray byte, an overlong form, a surrogate)
 * replaced by U+FFFD; or make every string and key of `item` (may be
 * NULL) and everything under it valid in place (0 or POPS_ERROR, out of
 * memory). cJSON prints bytes as they are, so a JSON report of
 * raw model output would not load.
 */
void pops_report_utf8_put(pops_buf *out, const char *s, size_t len);
int pops_report_utf8_fix(cJSON *item);

/*
 * Write the reports. `complete` = 0 marks them incomplete (interrupted or
 * stopped by --max-cost). Each returns 0 or POPS_ERROR; the file is
 * replaced atomically or left as it was. `path` "-" writes to standard
 * output.
 */
/*
 * Why a case record did not pass, one line: its error, else the reason of
 * each failed assertion joined by "; ". A case scored with weights or a
 * case threshold below 1 starts with its score: "score 0.40 < 0.60: ".
 * At most `max` reasons (0 = all); *more gets how many were left out.
 * Appends to `out`.
 */
void pops_report_why(pops_buf *out, const cJSON *rec, size_t max, size_t *more);

/*
 * A case record's tool calls ("tool_calls", lib/tools.h), when it has
 * some: `prefix` then "lookup({\"id\":7}), send({})" appended to `out`
 * (XML-escaped character data when `xml`); nothing when it has none.
 */
void pops_report_tool_calls(pops_buf *out, const cJSON *rec, const char *prefix, int xml);

int pops_report_junit(const char *path, const pops_report_group *g, size_t n,
                      int complete);
int pops_report_json(const char *path, const pops_report_group *g, size_t n,
                     int complete, const cJSON *extra);
int pops_report_md(const char *path, const pops_report_group *g, size_t n,
                   int complete);

/*
 * The Markdown summary, written for a sticky PR comment and the job
 * summary: the marker POPS_REPORT_MD_MARKER (a hidden HTML comment, so
 * a CI step can find its comment and update it), a one-line verdict
 * ("✅ 3 suites passed", "❌ 1 of 3 suites failed: evals/triage.yaml"),
 * a link to `html_url` (may be NULL), a table per suite (a row per
 * model), then per failing group collapsed <details> with its failing
 * cases and its flips against a baseline. At most `max` bytes (0 =
 * POPS_REPORT_MD_MAX, GitHub's comment limit; never under 1024): past
 * it the document is cut at a row boundary, open <details> closed, and
 * a note says how many rows were left out. Appends to `out`; 0 or
 * POPS_ERROR (damaged spool, out of memory).
 */
#define POPS_REPORT_MD_MAX 60000
#define POPS_REPORT_MD_MARKER "<!-- pops-report -->"
int pops_report_md_render(pops_buf *out, const pops_report_group *g, size_t n, int complete,
                          const char *html_url, size_t max);
/* pops_report_md with a link to the HTML report (`html_url` may be NULL) */
int pops_report_md_link(const char *path, const pops_report_group *g, size_t n, int complete,
                        const char *html_url);
#endif
