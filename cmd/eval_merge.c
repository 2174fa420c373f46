#include "common.h"
#include "cmd.h"
#include "eval_ci.h"
#include "eval_merge.h"
#include "eval_out.h"
#include "eval_reports.h"
#include "fileio.h"
#include "report.h"
#include "strutil.h"
#include "jsonget.h"

/*
 * pops eval merge: CI matrix jobs each run `pops eval run --shard i/n
 * --json part-i.json`; this combines the parts into the reports and the
 * gate decision one unsharded run would have given.
 */
struct eval_merge_opts {
	pops_strv files;
	const char *junit, *json, *md, *html;
	const char *annotations, *html_url;
	int no_store;
};

POPS_CMD_OPTS_SIZE(eval_merge, struct eval_merge_opts);
#define O struct eval_merge_opts
const pops_opt cmd_eval_merge_opts[] = {
	OPT_PATH(O, junit, "junit", "file",
	         "write the merged JUnit XML report", .complete = POPS_COMPLETE_FILE),
	OPT_PATH(O, json, "json", "file",
	         "write the merged JSON report", .complete = POPS_COMPLETE_FILE),
	OPT_PATH(O, md, "md", "file",
	         "write the merged Markdown summary", .complete = POPS_COMPLETE_FILE),
	OPT_PATH(O, html, "html", "file",
	         "write the merged self-contained HTML report", .complete = POPS_COMPLETE_FILE),
	OPT_STRING(O, annotations, "annotations", "github|gitlab[:file]|none",
	           "CI annotations at the failing cases' dataset lines (default github under GitHub Actions)"),
	OPT_STRING(O, html_url, "html-url", "url",
	           "link the Markdown summary to the HTML report published there"),
	OPT_BOOL(O, no_store, "no-store",
	         "do not record the merged shards' evidence in refs/notes/pops"),
	OPT_ARGS(O, files, "report",
	         "JSON reports written by 'pops eval run --json'", .flags = POPS_OPTF_REQUIRED,
	         .complete = POPS_COMPLETE_FILE),
	OPT_END
};
#undef O

int cmd_eval_merge(pops_ctx *ctx, void *o)
{
	struct eval_merge_opts *opts = o;
	pops_eval_merge m = POPS_EVAL_MERGE_INIT;
	pops_buf b = POPS_BUF_INIT;
	size_t i;
	int ret = POPS_EXIT_OK, error = 0;
	eval_reports rep;
	const char *paths[EVAL_REPORT_N] = { opts->junit, opts->json, opts->md, opts->html };
	eval_ci ci;

	eval_reports_init(&rep, paths);
	rep.html_url = opts->html_url;
	if ((ret = eval_ci_parse(&ci, opts->annotations)) || (ret = eval_reports_check(&rep)))
		goto done;
	for (i = 0; i < opts->files.n && !ret; i++)
		ret = eval_reports_not_input(&rep, opts->files.v[i], "the report");
	if (ret || (ret = eval_reports_stdout_begin(&rep)))
		goto done;
	for (i = 0; i < opts->files.n && !error; i++)
		if ((error = pops_file_read(&b, opts->files.v[i], 0)) == 0)
			error = pops_eval_merge_add(&m, b.ptr, b.size, opts->files.v[i]);
	if (error < 0 || (error = pops_eval_merge_finish(&m)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	for (i = 0; i < m.ngroups; i++)
		eval_print_group(ctx, m.groups[i].summary, m.groups[i].spool, 0);
	if ((ret = eval_reports_write(&rep, m.groups, m.ngroups, m.complete, NULL)) ||
	    (ret = eval_ci_write(ctx, &ci, m.groups, m.ngroups, m.complete, opts->html_url)))
		goto done;
	if (!opts->no_store && (error = eval_merge_store(m.parts, m.groups, m.ngroups)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	ret = eval_decide(ctx, m.groups, m.ngroups, 0, !m.complete);
done:
	pops_eval_merge_dispose(&m);
	pops_buf_dispose(&b);
	fflush(stdout);
	eval_reports_stdout_end(&rep);
	return ret;
}
