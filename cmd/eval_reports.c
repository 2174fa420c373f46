#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmd.h"
#include "eval_reports.h"
#include "fileio.h"
#include "report_html.h"
#include "strutil.h"

static int write_junit(const eval_reports *r, const char *path, const pops_report_group *g,
                       size_t n, int complete, const cJSON *extra)
{
	(void)r;
	(void)extra;
	return pops_report_junit(path, g, n, complete);
}

static int write_json(const eval_reports *r, const char *path, const pops_report_group *g,
                      size_t n, int complete, const cJSON *extra)
{
	(void)r;
	return pops_report_json(path, g, n, complete, extra);
}

static int write_md(const eval_reports *r, const char *path, const pops_report_group *g,
                    size_t n, int complete, const cJSON *extra)
{
	(void)extra;
	return pops_report_md_link(path, g, n, complete, r->html_url);
}

static int write_html(const eval_reports *r, const char *path, const pops_report_group *g,
                      size_t n, int complete, const cJSON *extra)
{
	(void)r;
	(void)extra;
	return pops_report_html(path, g, n, complete);
}

static const struct {
	const char *opt;
	int (*write)(const eval_reports *r, const char *path, const pops_report_group *g,
	             size_t n, int complete, const cJSON *extra);
} eval_report_kinds[EVAL_REPORT_N] = {
	[EVAL_REPORT_JUNIT] = { "--junit", write_junit },
	[EVAL_REPORT_JSON] = { "--json", write_json },
	[EVAL_REPORT_MD] = { "--md", write_md },
	[EVAL_REPORT_HTML] = { "--html", write_html },
};

void eval_reports_init(eval_reports *r, const char *const path[EVAL_REPORT_N])
{
	memset(r, 0, sizeof(*r));
	r->real_stdout = -1;
	for (int i = 0; i < EVAL_REPORT_N; i++)
		if (path[i]) {
			r->opt[r->n] = eval_report_kinds[i].opt;
			r->kind[r->n] = i;
			r->path[r->n++] = path[i];
		}
}

int eval_reports_write(eval_reports *r, const pops_report_group *g, size_t n, int complete,
                       const cJSON *extra)
{
	int error = 0;

	for (size_t i = 0; i < r->n && error >= 0; i++) {
		eval_reports_stdout_real(r, !strcmp(r->path[i], "-"));
		error = eval_report_kinds[r->kind[i]].write(r, r->path[i], g, n, complete, extra);
		eval_reports_stdout_real(r, 0);
	}
	return error < 0 ? cmd_fail(error) : 0;
}

static int is_prompt_file(const char *path)
{
	struct stat st;

	return pops_ends_with(path, ".prompt") && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int eval_reports_check(const eval_reports *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const char *p = r->path[i];

		for (size_t j = 0; j < i; j++) {
			const char *q = r->path[j];

			if ((!strcmp(p, "-") || !strcmp(q, "-")) ? !strcmp(p, q) : pops_path_same(p, q))
				return cmd_error(POPS_EXIT_USAGE, "%s and %s both write '%s': give each "
				                 "report its own file", r->opt[j], r->opt[i], p);
		}
		if (strcmp(p, "-") && is_prompt_file(p)) {
			cmd_error(POPS_EXIT_USAGE, "%s '%s' is a prompt file: a report never "
			          "overwrites one", r->opt[i], p);
			cmd_hint("%s takes the report's file name, or - for standard output", r->opt[i]);
			return POPS_EXIT_USAGE;
		}
	}
	return 0;
}

int eval_reports_not_input(const eval_reports *r, const char *input, const char *what)
{
	for (size_t i = 0; i < r->n; i++) {
		if (!strcmp(r->path[i], "-") || !pops_path_same(r->path[i], input))
			continue;
		cmd_error(POPS_EXIT_USAGE, "%s '%s' is %s %s, an input of the run: a report never "
		          "overwrites one", r->opt[i], r->path[i], what, input);
		cmd_hint("%s takes the report's file name, or - for standard output", r->opt[i]);
		return POPS_EXIT_USAGE;
	}
	return 0;
}

int eval_reports_stdout_begin(eval_reports *r)
{
	size_t i;

	for (i = 0; i < r->n && strcmp(r->path[i], "-"); i++)
		;
	if (i == r->n)
		return 0;
	fflush(stdout);
	if ((r->real_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) < 0)
		return cmd_error(POPS_EXIT_RUNTIME, "cannot duplicate standard output: %s",
		                 strerror(errno));
	eval_reports_stdout_real(r, 0);
	return 0;
}

void eval_reports_stdout_real(eval_reports *r, int real)
{
	if (r->real_stdout < 0 || r->human == !real)
		return;
	fflush(stdout);
	dup2(real ? r->real_stdout : STDERR_FILENO, STDOUT_FILENO);
	r->human = !real;
}

void eval_reports_stdout_end(eval_reports *r)
{
	if (r->real_stdout < 0)
		return;
	eval_reports_stdout_real(r, 1);
	close(r->real_stdout);
	r->real_stdout = -1;
}
