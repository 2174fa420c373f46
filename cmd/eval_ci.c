#include "common.h"
#include <git2.h>
#include <stdlib.h>
#include "annotations.h"
#include "config.h"
#include "eval_ci.h"
#include "strutil.h"

int eval_ci_parse(eval_ci *ci, const char *opt)
{
	const char *gha = getenv("GITHUB_ACTIONS");

	memset(ci, 0, sizeof(*ci));
	if (!opt) {
		ci->github = gha && !strcmp(gha, "true");
		return 0;
	}
	if (!strcmp(opt, "github")) {
		ci->github = 1;
	} else if (!strcmp(opt, "gitlab")) {
		ci->gitlab = POPS_ANNOTATIONS_GITLAB_FILE;
	} else if (pops_starts_with(opt, "gitlab:") && opt[7] && strcmp(opt + 7, "-")) {
		ci->gitlab = opt + 7;
	} else if (strcmp(opt, "none")) {
		cmd_error(POPS_EXIT_USAGE, "--annotations '%s': expected github, gitlab, gitlab:FILE "
		          "or none", opt);
		cmd_hint("gitlab writes %s unless a file follows the colon",
		         POPS_ANNOTATIONS_GITLAB_FILE);
		return POPS_EXIT_USAGE;
	}
	return 0;
}

/* where the run's files are: the project root, and the top of the repository or CI workspace */
static void ci_paths(pops_annotations_paths *p, pops_ctx *ctx)
{
	const char *ws = getenv("GITHUB_WORKSPACE");

	if (!ws || !ws[0])
		ws = getenv("CI_PROJECT_DIR");
	p->root = ctx->config ? ctx->config->root : NULL;
	p->top = ctx->repo && git_repository_workdir(ctx->repo) ? git_repository_workdir(ctx->repo) :
	         ws && ws[0] == '/' ? ws : NULL;
}

/* the Markdown summary at the end of $GITHUB_STEP_SUMMARY; a failure is a warning, not a verdict */
static void step_summary(const pops_report_group *g, size_t n, int complete, const char *html_url)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	pops_buf b = POPS_BUF_INIT;
	FILE *f;

	if (!path || !path[0])
		return;
	if (pops_report_md_render(&b, g, n, complete, html_url, 0) < 0) {
		cmd_warning("GITHUB_STEP_SUMMARY: %s", pops_error_last());
	} else if (!(f = fopen(path, "a"))) {
		cmd_warning("cannot append the summary to GITHUB_STEP_SUMMARY '%s': %s", path,
		            strerror(errno));
	} else {
		int bad = fwrite(b.ptr, 1, b.size, f) != b.size;

		if (fclose(f) != 0 || bad)
			cmd_warning("cannot append the summary to GITHUB_STEP_SUMMARY '%s': %s", path,
			            strerror(errno));
	}
	pops_buf_dispose(&b);
}

int eval_ci_write(pops_ctx *ctx, const eval_ci *ci, const pops_report_group *g, size_t n,
                  int complete, const char *html_url)
{
	pops_annotations_paths paths;
	int error;

	ci_paths(&paths, ctx);
	if (ci->github) {
		pops_buf b = POPS_BUF_INIT;

		if ((error = pops_annotations_github(&b, g, n, &paths, 0)) < 0) {
			pops_buf_dispose(&b);
			return cmd_fail(error);
		}
		fflush(stdout);
		if (b.size && fwrite(b.ptr, 1, b.size, stdout) != b.size) {
			pops_buf_dispose(&b);
			return cmd_error(POPS_EXIT_RUNTIME, "cannot write to stdout: %s", strerror(errno));
		}
		pops_buf_dispose(&b);
		step_summary(g, n, complete, html_url);
	}
	if (ci->gitlab && (error = pops_annotations_gitlab(ci->gitlab, g, n, &paths)) < 0)
		return cmd_fail(error);
	return 0;
}
