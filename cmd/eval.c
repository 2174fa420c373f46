#include "common.h"
#include <dirent.h>
#include <math.h>
#include <git2.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmd.h"
#include "config.h"
#include "eval_ci.h"
#include "eval_out.h"
#include "eval_reports.h"
#include "eval_batch.h"
#include "eval_affected.h"
#include "eval_batches.h"
#include "eval_run.h"
#include "inputs.h"
#include "evidence.h"
#include "fileio.h"
#include "repo.h"
#include "report.h"
#include "strutil.h"
#include "version.h"

struct eval_run_opts {
	pops_strv suites;
	const char *prompt;
	const char *model;
	const char *dataset;
	long repeat;
	long jobs;
	double threshold;
	const char *filter;
	const char *baseline;
	const char *env;
	const char *junit, *json, *md, *html;
	const char *annotations, *html_url;
	double max_cost;
	int dry_run, verbose;
	pops_opt_shard shard;
	int record, replay, no_cache, no_store, stream;
	const char *affected;
	long sample, seed;
	const char *stratify;
	int batch;
	int no_cache_judge;
};

POPS_CMD_OPTS_SIZE(eval_run, struct eval_run_opts);
#define O struct eval_run_opts
const pops_opt cmd_eval_run_opts[] = {
	OPT_STRING(O, prompt, "prompt", "address",
	           "evaluate this prompt version instead of the suite's",
	           .complete = POPS_COMPLETE_ADDRESS),
	OPT_STRING(O, model, "model", "alias[,alias]",
	           "model(s) to run; several are compared side by side",
	           .complete = POPS_COMPLETE_MODEL),
	OPT_PATH(O, dataset, "dataset", "file",
	         "dataset instead of the suite's (JSONL, JSON, YAML, CSV)",
	         .complete = POPS_COMPLETE_FILE),
	OPT_INT(O, repeat, "repeat", "n", 1, 1000, "run each case n times (pass@k, pass^k)"),
	OPT_INT(O, jobs, "jobs", "n", 1, 4096, "requests in flight (default 8)", .short_name = 'j'),
	OPT_NUMBER(O, threshold, "threshold", "x", 0, 1,
	           "minimum pass rate, 0 to 1 (overrides the suites')"),
	OPT_STRING(O, filter, "filter", "pcre", "only cases whose id matches"),
	OPT_STRING(O, baseline, "baseline", "env|rev",
	           "compare with this release or revision (flips, McNemar)",
	           .complete = POPS_COMPLETE_ENV),
	EVAL_REPORT_OPTS(O, "cases' dataset lines"),
	OPT_STRING(O, env, "env", "env",
	           "evaluate what this environment serves (env~canary, env~stable)",
	           .complete = POPS_COMPLETE_ENV),
	OPT_NUMBER(O, max_cost, "max-cost", "usd", 0, LONG_MAX,
	           "stop starting requests before spending more"),
	OPT_BOOL(O, dry_run, "dry-run", "print the plan and cost estimate, call nothing"),
	OPT_BOOL(O, verbose, "verbose",
	         "show an excerpt of the model output for each failing case", .short_name = 'v'),
	OPT_SHARD(O, shard, "shard",
	           "run the i-th of n deterministic parts (see eval merge)"),
	OPT_BOOL(O, record, "record", "record responses to each suite's cassette"),
	OPT_BOOL(O, replay, "replay", "answer from recorded cassettes only (offline, no key)"),
	OPT_BOOL(O, no_cache, "no-cache", "neither read nor write the response cache"),
	OPT_BOOL(O, no_cache_judge, "no-cache-judge", "ask the judges afresh (their answers still refresh the cache)"),
	OPT_BOOL(O, stream, "stream", "stream every reply and record time to first token"),
	OPT_BOOL(O, no_store, "no-store", "do not record evidence in refs/notes/pops"),
	OPT_OPTIONAL(O, affected, "affected", "base",
	             "skip suites with complete evidence of their exact content; run what changed since base"),
	OPT_INT(O, sample, "sample", "n", 1, LONG_MAX, "a reproducible subset of n cases per suite"),
	OPT_INT(O, seed, "seed", "s", 0, LONG_MAX, "the --sample seed (default 0)"),
	OPT_STRING(O, stratify, "stratify", "field", "keep the proportions of this row field in --sample"),
	OPT_BOOL(O, batch, "batch", "send through the providers' Batch APIs (half price, resumable)"),
	OPT_ARGS(O, suites, "suite",
	         "suite files (default: every suite in the evals directory)",
	         .complete = POPS_COMPLETE_SUITE),
	OPT_END
};
#undef O

static volatile sig_atomic_t eval_cancel;

static void on_signal(int sig)
{
	eval_cancel = 1;
	/* a second Ctrl-C ends pops at once */
	signal(sig, SIG_DFL);
}

/* --dry-run --json: the plans, fingerprints included, for CI to act on ("-": stdout) */
static int write_plans(eval_reports *rep, const char *path, const pops_eval_batch *b)
{
	cJSON *doc = cJSON_CreateObject(), *plans = NULL;
	char *text = NULL;
	int ret = POPS_EXIT_OK, error, ok;
	size_t i;

	ok = doc && cJSON_AddNumberToObject(doc, "schema_version", 1) &&
	     cJSON_AddTrueToObject(doc, "dry_run") && (plans = cJSON_AddArrayToObject(doc, "plans"));
	for (i = 0; ok && i < b->nplans; i++)
		ok = cJSON_AddItemToArray(plans, pops_eval_run_plan_to_json(b->plans[i]));
	if (!ok || !cJSON_AddItemToObject(doc, "total", pops_eval_plan_total_to_json(&b->total)) ||
	    !(text = cJSON_Print(doc))) {
		ret = cmd_fail(pops_error_oom());
		goto done;
	}
	if (!strcmp(path, "-")) {
		eval_reports_stdout_real(rep, 1);
		if (fputs(text, stdout) == EOF || putchar('\n') == EOF || fflush(stdout) != 0)
			ret = cmd_error(POPS_EXIT_RUNTIME, "cannot write to stdout: %s", strerror(errno));
		eval_reports_stdout_real(rep, 0);
	} else if ((error = pops_file_write_atomic(path, text, strlen(text), 0666)) < 0) {
		ret = cmd_fail(error);
	}
done:
	cJSON_free(text);
	cJSON_Delete(doc);
	return ret;
}

/* a path a suite names, as the runner opens it: relative to the project root */
static char *root_path(const char *root, const char *path)
{
	pops_buf b = POPS_BUF_INIT;

	if (path[0] == '/')
		pops_buf_puts(&b, path);
	else
		pops_path_join(&b, root, path);
	return pops_buf_detach(&b);
}

static int not_input_at(const eval_reports *rep, const char *root, const char *path,
                        const char *what)
{
	char *full = root_path(root, path);
	int ret;

	if (!full)
		return cmd_fail(pops_error_oom());
	ret = eval_reports_not_input(rep, full, what);
	free(full);
	return ret;
}

/*
 * Before anything is sent: no report may overwrite a file the run reads
 * (pops.yaml, a suite, its dataset, cassette, prompt file, judge prompts
 * and exec scripts; prompt and partial files are refused by
 * eval_reports_check). Each suite is parsed here once more: cheap next
 * to a run, and a bad second suite now fails before the first spends.
 */
static int check_reports(pops_ctx *ctx, const struct eval_run_opts *opts, const pops_strv *suites,
                         const eval_reports *rep)
{
	const char *root = ctx->config->root;
	int ret;

	if ((ret = eval_reports_check(rep)) || !rep->n)
		return ret;
	if ((ret = eval_reports_not_input(rep, ctx->config->path, "the configuration")))
		return ret;
	if (opts->dataset && (ret = not_input_at(rep, root, opts->dataset, "the dataset")))
		return ret;
	if (opts->prompt && pops_path_exists(opts->prompt) &&
	    (ret = eval_reports_not_input(rep, opts->prompt, "the prompt")))
		return ret;
	for (size_t i = 0; i < suites->n && !ret; i++) {
		pops_suite *s = NULL;
		char *cassette = NULL;
		int error;

		if ((error = pops_eval_load_suite(&s, suites->v[i], root)) < 0)
			return cmd_fail(error);
		if (!(cassette = pops_eval_cassette_path(suites->v[i])))
			ret = cmd_fail(pops_error_oom());
		if (!ret)
			ret = eval_reports_not_input(rep, suites->v[i], "the suite");
		if (!ret)
			ret = eval_reports_not_input(rep, cassette, "the cassette");
		if (!ret && !opts->dataset && s->dataset)
			ret = not_input_at(rep, root, s->dataset, "the dataset");
		if (!ret && !opts->prompt && s->prompt && pops_path_exists(s->prompt))
			ret = eval_reports_not_input(rep, s->prompt, "the prompt");
		for (size_t k = 0; k < s->nasserts && !ret; k++) {
			const pops_assert *a = s->asserts[k];

			if (a->prompt)
				ret = not_input_at(rep, root, a->prompt, "the judge prompt");
			else if (a->argv && strchr(a->argv[0], '/'))
				ret = not_input_at(rep, root, a->argv[0], "the exec script");
		}
		free(cassette);
		pops_suite_free(s);
	}
	return ret;
}

/* what the batch tells as it goes: the progress bar, each group's block, each plan */
struct run_view {
	pops_ctx *ctx;
	eval_bar bar;
	int verbose;
};

static void on_event(void *payload, const pops_eval_event *ev)
{
	struct run_view *v = payload;

	switch (ev->kind) {
	case POPS_EVAL_STARTING:
		v->bar.label = ev->suite->path;
		break;
	case POPS_EVAL_RAN:
		eval_bar_clear(&v->bar);
		break;
	case POPS_EVAL_GROUP:
		eval_print_group(v->ctx, ev->group->summary, ev->group->spool, v->verbose);
		break;
	case POPS_EVAL_PLANNED:
		eval_print_plan(ev->plan);
		break;
	case POPS_EVAL_NOTE:
		cmd_note("%s", ev->note);
		break;
	}
}

/* --threshold, --max-cost and --shard (checked by the option table), and the --record/--replay conflict */
static int parse_numbers(pops_eval_options *eo, const struct eval_run_opts *opts)
{
	if (opts->record && opts->replay)
		return cmd_error(POPS_EXIT_USAGE, "--record and --replay cannot be used together");
	if (!opts->sample && (opts->seed || opts->stratify))
		return cmd_error(POPS_EXIT_USAGE, "--%s needs --sample N", opts->seed ? "seed" : "stratify");
	eo->sample = (size_t)opts->sample;
	eo->seed = opts->seed;
	eo->stratify = opts->stratify;
	eo->threshold = isnan(opts->threshold) ? -1 : opts->threshold;
	eo->max_cost = isnan(opts->max_cost) ? -1 : opts->max_cost;
	if (opts->shard.n) {
		eo->shard = opts->shard.i;
		eo->nshards = opts->shard.n;
	}
	return POPS_EXIT_OK;
}

/* no suite named: every one in the evals directory, saying which files were skipped */
static int find_suites(pops_strv *suites, char ***owned, const pops_config *cfg)
{
	char **skipped = NULL;
	size_t n = 0, nskipped = 0, i;
	int error;

	error = pops_eval_default_suites(owned, &n, &skipped, &nskipped, cfg);
	for (i = 0; i < nskipped; i++) {
		cmd_warning("skipping %s: not a regular file", skipped[i]);
		free(skipped[i]);
	}
	free(skipped);
	suites->v = (const char **)*owned;
	suites->n = n;
	return error < 0 ? cmd_fail(error) : POPS_EXIT_OK;
}

/* --model a,b: the aliases */
static int split_models(char ***out, size_t *n, const char *list)
{
	const char *p = list;

	while (p && *p) {
		size_t len = strcspn(p, ",");
		char **nm = realloc(*out, (*n + 1) * sizeof(**out));

		if (!nm)
			return cmd_fail(pops_error_oom());
		*out = nm;
		if (!((*out)[(*n)++] = pops_strndup(p, len)))
			return cmd_fail(pops_error_oom());
		p += len;
		if (*p == ',')
			p++;
	}
	return POPS_EXIT_OK;
}

/* what every run of the batch shares */
static void batch_options(pops_eval_batch_options *bo, pops_ctx *ctx,
                          const struct eval_run_opts *opts, const char *cache_dir,
                          struct run_view *view)
{
	pops_eval_options *eo = &bo->eo;
	pops_provider_options po = POPS_PROVIDER_OPTIONS_INIT;

	eo->config = ctx->config;
	eo->repo = ctx->project;
	eo->root = ctx->config->root;
	eo->prompt = opts->prompt;
	eo->dataset = opts->dataset;
	eo->repeat = opts->repeat;
	eo->filter = opts->filter;
	eo->baseline = opts->baseline;
	eo->no_cache_judge = opts->no_cache_judge;
	eo->env = opts->env;
	po.concurrency = opts->jobs ? (unsigned)opts->jobs : POPS_PROVIDER_CONCURRENCY;
	po.cache = opts->no_cache ? POPS_CACHE_OFF : POPS_CACHE_USE;
	po.cache_dir = cache_dir;
	po.cassette_mode = opts->record ? POPS_CASSETTE_RECORD :
	                   opts->replay ? POPS_CASSETTE_REPLAY : POPS_CASSETTE_NONE;
	po.cancel = &eval_cancel;
	po.stream = opts->stream;
	eo->popts = po;
	eo->engine = pops_provider_run;
	eval_batch_setup(eo, ctx, opts->batch, &view->bar);
	view->bar.enabled = eval_bar_wanted(ctx);
	eo->progress = eval_bar_update;
	eo->progress_payload = &view->bar;
	bo->dry_run = opts->dry_run;
	bo->store = !opts->no_store;
	bo->version = POPS_VERSION;
	bo->on_event = on_event;
	bo->payload = view;
}

/* the JSON report's own members; a shard's say what eval merge needs to record evidence */
static cJSON *json_extra(pops_ctx *ctx, const struct eval_run_opts *opts,
                         const pops_eval_options *eo, const pops_eval_batch *b)
{
	cJSON *extra = cJSON_CreateObject();

	cJSON_AddStringToObject(extra, "pops_version", POPS_VERSION);
	cJSON_AddBoolToObject(extra, "interrupted", b->interrupted);
	if (eo->nshards > 1) {
		char shard[32];

		snprintf(shard, sizeof(shard), "%u/%u", opts->shard.i, opts->shard.n);
		cJSON_AddStringToObject(extra, "shard", shard);
		pops_eval_shard_evidence(extra, ctx->repo, b);
	}
	return extra;
}

/* the reports: also for an interrupted run, marked incomplete ("-": the real stdout) */
static int write_reports(pops_ctx *ctx, eval_reports *rep, const struct eval_run_opts *opts,
                         const pops_eval_options *eo, const pops_eval_batch *b, const eval_ci *ci)
{
	int complete = !b->interrupted && !b->over_budget, ret;
	cJSON *extra = opts->json ? json_extra(ctx, opts, eo, b) : NULL;

	rep->html_url = opts->html_url;
	ret = eval_reports_write(rep, b->groups, b->n, complete, extra);
	cJSON_Delete(extra);
	return ret ? ret : eval_ci_write(ctx, ci, b->groups, b->n, complete, opts->html_url);
}

/* after the runs: comparison, reports, evidence, the verdict */
static int finish(pops_ctx *ctx, eval_reports *rep, const struct eval_run_opts *opts,
                  const pops_strv *suites, const pops_eval_options *eo, pops_eval_batch *b,
                  size_t nmodels, const eval_ci *ci)
{
	int ret, error;

	if (b->n > 1 && nmodels > 1)
		eval_print_compare(b->groups, b->evidence, b->n);
	if ((ret = write_reports(ctx, rep, opts, eo, b, ci)) != POPS_EXIT_OK)
		return ret;
	if (!opts->no_store && !b->interrupted &&
	    (error = eval_store_evidence(ctx, b->runs, b->n)) < 0)
		return cmd_fail(error);
	/* said once evidence exists: a run that stopped at load stored nothing to warn about */
	if (!opts->no_store && !b->interrupted)
		cmd_warn_uncommitted_suites(ctx, ctx->project, suites->v, suites->n, opts->prompt,
		                            opts->dataset, "the evidence of this run");
	if (b->budget >= 0)
		cmd_note("--max-cost $%g: $%.4f spent, judge calls and baseline runs included",
		         b->budget, b->spent);
	return eval_decide(ctx, b->groups, b->n, b->interrupted, b->over_budget);
}

/* --affected BASE: the files changed since BASE, one line */
static void print_changes(const pops_eval_changes *ch)
{
	const cJSON *it;
	int n = cJSON_GetArraySize(ch->paths), i = 0;

	if (!n) {
		printf("changed since %s: nothing\n", ch->base);
		return;
	}
	printf("changed since %s: %d file%s:", ch->base, n, n == 1 ? "" : "s");
	cJSON_ArrayForEach(it, ch->paths) {
		if (i++ == 20) {
			printf(" (and %d more)", n - 20);
			break;
		}
		printf("%s %s", i > 1 ? "," : "", it->valuestring);
	}
	putchar('\n');
}

/* --affected [BASE]: is there evidence here (a shallow clone may lack it), what changed since BASE */
static int affected_setup(pops_ctx *ctx, const struct eval_run_opts *opts,
                          pops_eval_batch_options *bo, pops_eval_changes *ch)
{
	int error;

	if (!opts->affected)
		return POPS_EXIT_OK;
	if (!ctx->repo || !ctx->project) {
		cmd_note("--affected: not in a git repository, so no evidence: every suite runs");
		return POPS_EXIT_OK;
	}
	bo->affected = 1;
	if (!pops_eval_affected_has_notes(ctx->repo))
		cmd_note("--affected: no evidence here (%s is missing; in a CI clone fetch it: "
		         "git fetch origin %s:%s): every suite runs", POPS_EVIDENCE_REF,
		         POPS_EVIDENCE_REF, POPS_EVIDENCE_REF);
	if (!*opts->affected)
		return POPS_EXIT_OK;
	if ((error = pops_eval_changes_load(ch, ctx->repo, opts->affected, ctx->config)) < 0)
		return cmd_fail(error);
	if (!ch->resolved) {
		cmd_note("--affected=%s: no such revision here (a shallow clone? fetch it, e.g. "
		         "fetch-depth: 0): changes not listed, evidence alone decides", opts->affected);
		return POPS_EXIT_OK;
	}
	bo->changes = ch;
	print_changes(ch);
	return POPS_EXIT_OK;
}

int cmd_eval_run(pops_ctx *ctx, void *o)
{
	struct eval_run_opts *opts = o;
	pops_eval_batch_options bo;
	pops_eval_batch b = POPS_EVAL_BATCH_INIT;
	pops_eval_changes changes = POPS_EVAL_CHANGES_INIT;
	struct run_view view;
	pops_strv suites = opts->suites;
	char **owned = NULL, **models = NULL, *cache_dir = NULL;
	size_t nmodels = 0, i;
	int ret, error;
	eval_reports rep;
	eval_ci ci;
	struct sigaction sa, old_int, old_term;

	memset(&bo, 0, sizeof(bo));
	memset(&view, 0, sizeof(view));
	view.ctx = ctx;
	view.verbose = opts->verbose;
	eval_cancel = 0;
	/* first of all: a signal during any blocking read (a suite, a dataset,
	 * a cassette) interrupts it, and the run ends with 130 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	eval_reports_init(&rep, (const char *const[EVAL_REPORT_N]){ opts->junit, opts->json, opts->md,
	                                                            opts->html });
	if ((ret = eval_batch_refuse(opts->batch, opts->record, opts->replay, opts->stream,
	                             opts->max_cost)) || (ret = parse_numbers(&bo.eo, opts)) ||
	    (ret = eval_ci_parse(&ci, opts->annotations)) ||
	    (!suites.n && (ret = find_suites(&suites, &owned, ctx->config))) ||
	    /* --dry-run --json writes the plans: the same rules */
	    (ret = check_reports(ctx, opts, &suites, &rep)) || (ret = eval_reports_stdout_begin(&rep)) ||
	    (ret = split_models(&models, &nmodels, opts->model)))
		goto done;
	cache_dir = root_path(ctx->config->root, ".pops/cache");
	batch_options(&bo, ctx, opts, cache_dir, &view);
	bo.suites = suites.v;
	bo.nsuites = suites.n;
	bo.models = (const char *const *)models;
	bo.nmodels = nmodels;
	if ((ret = affected_setup(ctx, opts, &bo, &changes)))
		goto done;
	if ((error = pops_eval_batch_run(&b, &bo)) < 0) {
		ret = cmd_fail(error);
	} else if (opts->dry_run) {
		eval_print_plan_total(&b.total);
		if (opts->json)
			ret = write_plans(&rep, opts->json, &b);
	} else {
		ret = finish(ctx, &rep, opts, &suites, &bo.eo, &b, nmodels, &ci);
	}
done:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	pops_eval_batch_dispose(&b);
	pops_eval_changes_dispose(&changes);
	for (i = 0; i < nmodels; i++)
		free(models[i]);
	free(models);
	if (owned) {
		for (i = 0; i < suites.n; i++)
			free(owned[i]);
		free(owned);
	}
	free(cache_dir);
	free((char *)bo.eo.batch_state);
	if (fflush(stdout) != 0 && ret == POPS_EXIT_OK)
		ret = cmd_error(POPS_EXIT_RUNTIME, "cannot write to stdout: %s", strerror(errno));
	eval_reports_stdout_end(&rep);
	return ret;
}
const pops_cmd cmd_eval_subcommands[] = {
	POPS_CMD_ROW("batches", eval_batches, POPS_CMD_NEEDS_CONFIG,
	             "List the provider batches --batch submitted; cancel one"),
	POPS_CMD_ROW("merge", eval_merge, 0,
	             "Combine shard results (--json files) into one report and gate"),
	POPS_CMD_ROW("run", eval_run, POPS_CMD_NEEDS_CONFIG,
	             "Run eval suites: score, gate, report, record evidence"),
	POPS_CMD_ROW("score", eval_score, POPS_CMD_NEEDS_CONFIG,
	             "Score recorded production outputs with a suite's assertions and judges"),
	POPS_CMD_ROW("trend", eval_trend, POPS_CMD_NEEDS_REPO,
	             "Pass rate per day or week from the evidence; flag a significant drop"),
	POPS_CMD_END
};
