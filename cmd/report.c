#include "common.h"
#include "cmd.h"
#include "eval_reports.h"
#include "fileio.h"
#include "report_load.h"

/*
 * pops report: re-render a JSON report (a run's, or eval merge's of a
 * shard set) as HTML, Markdown or JUnit after the run, without calling
 * anything: the JSON report is the one full record.
 */
struct report_opts {
	const char *file;
	const char *junit, *md, *html;
};

POPS_CMD_OPTS_SIZE(report, struct report_opts);
#define O struct report_opts
const pops_opt cmd_report_opts[] = {
	OPT_PATH(O, html, "html", "file",
	         "write the self-contained HTML report", .complete = POPS_COMPLETE_FILE),
	OPT_PATH(O, md, "md", "file",
	         "write the Markdown summary", .complete = POPS_COMPLETE_FILE),
	OPT_PATH(O, junit, "junit", "file",
	         "write the JUnit XML report", .complete = POPS_COMPLETE_FILE),
	OPT_ARG(O, file, "report.json",
	        "a JSON report written by 'pops eval run --json' or 'pops eval merge --json'",
	        .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_FILE),
	OPT_END
};
#undef O

int cmd_report(pops_ctx *ctx, void *o)
{
	struct report_opts *opts = o;
	const char *paths[EVAL_REPORT_N] = { opts->junit, NULL, opts->md, opts->html };
	pops_report_loaded l = POPS_REPORT_LOADED_INIT;
	pops_buf data = POPS_BUF_INIT;
	eval_reports rep;
	int ret, error;

	(void)ctx;
	eval_reports_init(&rep, paths);
	if (!rep.n) {
		cmd_error(POPS_EXIT_USAGE, "nothing to write for '%s'", opts->file);
		cmd_hint("give --html FILE, --md FILE or --junit FILE (- for standard output)");
		return POPS_EXIT_USAGE;
	}
	if ((ret = eval_reports_check(&rep)) ||
	    (ret = eval_reports_not_input(&rep, opts->file, "the report")) ||
	    (ret = eval_reports_stdout_begin(&rep)))
		goto done;
	if ((error = pops_file_read(&data, opts->file, 0)) < 0 ||
	    (error = pops_report_load(&l, data.ptr, data.size, opts->file)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	pops_buf_dispose(&data);
	ret = eval_reports_write(&rep, l.groups, l.n, l.complete, NULL);
done:
	pops_report_loaded_dispose(&l);
	pops_buf_dispose(&data);
	fflush(stdout);
	eval_reports_stdout_end(&rep);
	return ret;
}
