#ifndef POPS_CMD_EVAL_REPORTS_H
#define POPS_CMD_EVAL_REPORTS_H
/*
 * The report files of pops eval run, pops eval merge and pops report
 * (--junit, --json, --md, --html: one row each in eval_report_kinds),
 * checked before anything runs: a report written over an
 * input of the run (`--json evals/triage.yaml`, meant as a switch) would
 * destroy it, and two reports on one file would leave only the last.
 * "-" writes a report to standard output; the human summary then goes to
 * stderr, so the two never mix.
 */
#include <stddef.h>
#include <cjson/cJSON.h>
#include "report.h"

/*
 * The option rows of the reports a run writes (eval run, eval score),
 * so both commands offer and describe them alike. The struct `O` has
 * fields junit, json, md, html, annotations and html_url; `failing`
 * names what an annotation points at (a string literal).
 */
#define EVAL_REPORT_OPTS(O, failing) \
	OPT_PATH(O, junit, "junit", "file", \
	         "write a JUnit XML report", .complete = POPS_COMPLETE_FILE), \
	OPT_PATH(O, json, "json", "file", \
	         "write a JSON report (every case)", .complete = POPS_COMPLETE_FILE), \
	OPT_PATH(O, md, "md", "file", \
	         "write a Markdown summary (PR comment, step summary)", \
	         .complete = POPS_COMPLETE_FILE), \
	OPT_PATH(O, html, "html", "file", \
	         "write a self-contained HTML report (opens offline)", .complete = POPS_COMPLETE_FILE), \
	OPT_STRING(O, annotations, "annotations", "github|gitlab[:file]|none", \
	           "CI annotations at the failing " failing " (default github under GitHub Actions)"), \
	OPT_STRING(O, html_url, "html-url", "url", \
	           "link the Markdown summary to the HTML report published there")

/* the report formats, in the order they are written */
enum { EVAL_REPORT_JUNIT, EVAL_REPORT_JSON, EVAL_REPORT_MD, EVAL_REPORT_HTML, EVAL_REPORT_N };

typedef struct eval_reports {
	const char *opt[EVAL_REPORT_N];    /* "--junit", ... of the reports asked for */
	const char *path[EVAL_REPORT_N];
	int kind[EVAL_REPORT_N];           /* EVAL_REPORT_* */
	size_t n;
	int real_stdout;        /* the original stdout while a report is "-", else -1 */
	int human;              /* fd 1 is stderr (the human output) */
	const char *html_url;   /* --html-url: the Markdown report links there; may be NULL */
} eval_reports;

/* the reports asked for: path[EVAL_REPORT_*], NULL = not asked for */
void eval_reports_init(eval_reports *r, const char *const path[EVAL_REPORT_N]);

/*
 * Write every report asked for from the groups (`extra`: the JSON
 * report's own members, may be NULL), each "-" on the real stdout.
 * 0 or the exit code of the first failure (message printed).
 */
int eval_reports_write(eval_reports *r, const pops_report_group *g, size_t n, int complete,
                       const cJSON *extra);

/*
 * Exit 2 (message printed) when two reports name one file, or a report
 * names an existing .prompt file (a prompt, partial or judge prompt: the
 * run's own are always .prompt files); else 0.
 */
int eval_reports_check(const eval_reports *r);

/*
 * Exit 2 (message printed) when a report would overwrite `input`, an
 * input of the run; `what` names it ("the suite", "the dataset").
 */
int eval_reports_not_input(const eval_reports *r, const char *input, const char *what);

/* With a "-" report: from now on the human output (fd 1) goes to stderr. 0 or exit 3. */
int eval_reports_stdout_begin(eval_reports *r);

/* Point fd 1 at the real stdout (real = 1, to write a "-" report) or back at stderr. */
void eval_reports_stdout_real(eval_reports *r, int real);

/* Restore fd 1. */
void eval_reports_stdout_end(eval_reports *r);
#endif
