/*
 * pops eval score: a suite's assertions and judges on outputs production
 * already gave (lib/eval_score.h, pops-eval(1) SCORE). Reports, exit
 * codes and evidence as for eval run; the evidence is of kind
 * production, which gates never take and eval trend shows.
 */
#include "common.h"
#include <signal.h>
#include "cmd.h"
#include "eval_batch.h"
#include "eval_out.h"
#include "eval_ci.h"
#include "eval_reports.h"
#include "eval_score.h"
#include "fileio.h"
#include "jsonget.h"
#include "report.h"
#include "strutil.h"
#include "version.h"

struct eval_score_opts {
	const char *suite;
	const char *outputs;
	const char *format;
	const char *env;
	const char *junit, *json, *md, *html;
	const char *annotations, *html_url;
	long jobs;
	int no_cache, no_store, verbose;
};

POPS_CMD_OPTS_SIZE(eval_score, struct eval_score_opts);
#define O struct eval_score_opts
const pops_opt cmd_eval_score_opts[] = {
	OPT_PATH(O, outputs, "outputs", "file",
	         "the recorded outputs (pops JSONL, OTel JSON, Langfuse JSON/CSV)",
	         .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_FILE),
	OPT_STRING(O, format, "format", "auto|pops|otel|langfuse",
	           "the records' format (default: detected)"),
	OPT_STRING(O, env, "env", "env",
	           "score against what this environment serves (env~canary, env~stable)",
	           .complete = POPS_COMPLETE_ENV),
	EVAL_REPORT_OPTS(O, "records"),
	OPT_INT(O, jobs, "jobs", "n", 1, 4096, "judge requests in flight (default 8)",
	        .short_name = 'j'),
	OPT_BOOL(O, no_cache, "no-cache", "neither read nor write the judges' response cache"),
	OPT_BOOL(O, no_store, "no-store", "do not record evidence in refs/notes/pops"),
	OPT_BOOL(O, verbose, "verbose",
	         "show an excerpt of the output for each failing record", .short_name = 'v'),
	OPT_ARG(O, suite, "suite", "the suite whose assertions and judges score the records",
	        .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_SUITE),
	OPT_END
};
#undef O

static volatile sig_atomic_t score_cancel;

static void on_signal(int sig)
{
	score_cancel = 1;
	signal(sig, SIG_DFL);
}

/* "412 records, 17 skipped: no output" */
static void print_records(const cJSON *summary)
{
	const cJSON *sk = cJSON_GetObjectItemCaseSensitive(summary, "skipped"), *it;
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(summary, "skipped_example");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(summary, "window");
	double n = pops_json_num(summary, "records", 0), skipped = 0;

	cJSON_ArrayForEach(it, sk)
		skipped += cJSON_IsNumber(it) ? it->valuedouble : 0;
	printf("%.0f record%s", n, n == 1 ? "" : "s");
	if (skipped) {
		const char *sep = ": ";

		printf(", %.0f skipped", skipped);
		cJSON_ArrayForEach(it, sk) {
			printf("%s%.0f %s", sep, it->valuedouble, it->string);
			sep = ", ";
		}
	}
	if (w)
		printf(" (%s to %s)", pops_json_str(w, "from", "?"), pops_json_str(w, "to", "?"));
	putchar('\n');
	cJSON_ArrayForEach(it, ex)
		printf("  skipped (%s), first: %s\n", it->string,
		       cJSON_IsString(it) ? it->valuestring : "");
}

static int write_reports(pops_ctx *ctx, eval_reports *rep, const struct eval_score_opts *opts,
                         const eval_ci *ci, const pops_report_group *g, int complete)
{
	cJSON *extra = NULL;
	int ret;

	if (opts->json) {
		if (!(extra = cJSON_CreateObject()))
			return cmd_fail(pops_error_oom());
		cJSON_AddStringToObject(extra, "pops_version", POPS_VERSION);
		cJSON_AddBoolToObject(extra, "interrupted", !complete);
		cJSON_AddStringToObject(extra, "source", "production");
	}
	rep->html_url = opts->html_url;
	ret = eval_reports_write(rep, g, 1, complete, extra);
	cJSON_Delete(extra);
	return ret ? ret : eval_ci_write(ctx, ci, g, 1, complete, opts->html_url);
}

/* the options of the score: the judges' engine, cache and cancel flag */
static int score_options(pops_eval_score_options *so, pops_ctx *ctx,
                         const struct eval_score_opts *opts, const char *cache_dir)
{
	pops_provider_options po = POPS_PROVIDER_OPTIONS_INIT;

	memset(so, 0, sizeof(*so));
	if (opts->format && pops_records_format_parse(&so->format, opts->format) < 0)
		return cmd_error(POPS_EXIT_USAGE, "--format: %s", pops_error_last());
	so->outputs = opts->outputs;
	so->env = opts->env;
	so->eo.config = ctx->config;
	so->eo.repo = ctx->project;
	so->eo.root = ctx->config->root;
	so->eo.threshold = -1;
	so->eo.max_cost = -1;
	po.concurrency = opts->jobs ? (unsigned)opts->jobs : POPS_PROVIDER_CONCURRENCY;
	po.cache = opts->no_cache ? POPS_CACHE_OFF : POPS_CACHE_USE;
	po.cache_dir = cache_dir;
	po.cancel = &score_cancel;
	so->eo.popts = po;
	so->eo.engine = pops_provider_run;
	return POPS_EXIT_OK;
}

/* the checks before anything is read or sent: reports never overwrite an input */
static int check_inputs(pops_ctx *ctx, const struct eval_score_opts *opts, eval_reports *rep)
{
	int ret;

	if ((ret = eval_reports_check(rep)) || !rep->n)
		return ret;
	if ((ret = eval_reports_not_input(rep, ctx->config->path, "the configuration")) ||
	    (ret = eval_reports_not_input(rep, opts->suite, "the suite")))
		return ret;
	return eval_reports_not_input(rep, opts->outputs, "the records");
}

static int score(pops_ctx *ctx, const struct eval_score_opts *opts, eval_reports *rep,
                 const eval_ci *ci, pops_eval_group **g, const char *cache_dir)
{
	pops_eval_score_options so;
	pops_suite *s = NULL;
	pops_report_group rg;
	int ret, error;

	if ((ret = score_options(&so, ctx, opts, cache_dir)))
		return ret;
	if ((error = pops_eval_load_suite(&s, opts->suite, ctx->config->root)) < 0)
		return cmd_fail(error);
	error = pops_eval_score(g, s, &so);
	pops_suite_free(s);
	if (error < 0)
		return cmd_fail(error);
	print_records((*g)->summary);
	eval_print_group(ctx, (*g)->summary, (*g)->spool, opts->verbose);
	rg.summary = (*g)->summary;
	rg.spool = (*g)->spool;
	if ((ret = write_reports(ctx, rep, opts, ci, &rg, (*g)->complete)))
		return ret;
	if (!opts->no_store && !(*g)->interrupted && (*g)->evidence &&
	    (error = eval_store_evidence(ctx, g, 1)) < 0)
		return cmd_fail(error);
	if (!(*g)->evidence && !opts->no_store && !(*g)->interrupted)
		cmd_note("no production evidence recorded: %s",
		         pops_json_num((*g)->summary, "cases", 0) == 0 ? "no record was scored" :
		         "the records were served by more than one version (split the file, or pass --env)");
	return eval_decide(ctx, &rg, 1, (*g)->interrupted, 0);
}

int cmd_eval_score(pops_ctx *ctx, void *o)
{
	struct eval_score_opts *opts = o;
	pops_eval_group *g = NULL;
	pops_buf cache_dir = POPS_BUF_INIT;
	struct sigaction sa, old_int, old_term;
	eval_reports rep;
	eval_ci ci;
	int ret;

	score_cancel = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	eval_reports_init(&rep, (const char *const[EVAL_REPORT_N]){ opts->junit, opts->json, opts->md,
	                                                            opts->html });
	if (!(ret = eval_ci_parse(&ci, opts->annotations)) && !(ret = check_inputs(ctx, opts, &rep)) &&
	    !(ret = eval_reports_stdout_begin(&rep))) {
		if (pops_path_join(&cache_dir, ctx->config->root, ".pops/cache") < 0)
			ret = cmd_fail(pops_error_oom());
		else
			ret = score(ctx, opts, &rep, &ci, &g, cache_dir.ptr);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	pops_eval_group_free(g);
	pops_buf_dispose(&cache_dir);
	if (fflush(stdout) != 0 && ret == POPS_EXIT_OK)
		ret = cmd_error(POPS_EXIT_RUNTIME, "cannot write to stdout: %s", strerror(errno));
	eval_reports_stdout_end(&rep);
	return ret;
}
