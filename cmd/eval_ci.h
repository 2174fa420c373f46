#ifndef POPS_CMD_EVAL_CI_H
#define POPS_CMD_EVAL_CI_H
/*
 * CI-native output of pops eval run and pops eval merge
 * (--annotations, --html-url): GitHub workflow commands and the job
 * summary, or a GitLab Code Quality report. Under GitHub Actions
 * (GITHUB_ACTIONS=true) github is the default; --annotations none turns
 * it off.
 */
#include <stddef.h>
#include "cmd.h"
#include "eval_reports.h"
#include "report.h"

typedef struct eval_ci {
	int github;              /* workflow commands + $GITHUB_STEP_SUMMARY */
	const char *gitlab;      /* the Code Quality report's path, or NULL */
} eval_ci;

/*
 * Parse --annotations (`opt` may be NULL: the environment decides):
 * github, gitlab, gitlab:FILE or none. 0, or exit 2 with the message
 * printed. `ci` borrows from `opt`.
 */
int eval_ci_parse(eval_ci *ci, const char *opt);

/*
 * After the reports: annotations on the human output (fd 1, which is
 * stderr while a report goes to "-"), the Markdown summary appended to
 * $GITHUB_STEP_SUMMARY, the GitLab file. 0 or an exit code (printed).
 */
int eval_ci_write(pops_ctx *ctx, const eval_ci *ci, const pops_report_group *g, size_t n,
                  int complete, const char *html_url);
#endif
