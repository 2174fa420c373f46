#include "common.h"
#include <dirent.h>
#include <git2.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmd.h"
#include "config.h"
#include "eval_out.h"
#include "eval_reports.h"
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
	const char *threshold;
	const char *filter;
	const char *baseline;
	const char *junit, *json, *md;
	const char *max_cost;
	int dry_run, verbose;
	const char *shard;
	int record, replay, no_cache, no_store, stream;
};

POPS_CMD_OPTS_SIZE(eval_run, struct eval_run_opts);
const pops_opt cmd_eval_run_opts[] = {
	{ .type = POPS_OPT_STRING, .name = "prompt", .offset = offsetof(struct eval_run_opts, prompt),
	  .value_name = "address", .help = "evaluate this prompt version instead of the suite's",
	  .complete = POPS_COMPLETE_ADDRESS },
	{ .type = POPS_OPT_STRING, .name = "model", .offset = offsetof(struct eval_run_opts, model),
	  .value_name = "alias[,alias]", .help = "model(s) to run; several are compared side by side",
	  .complete = POPS_COMPLETE_MODEL },
	{ .type = POPS_OPT_PATH, .name = "dataset", .offset = offsetof(struct eval_run_opts, dataset),
	  .value_name = "file", .help = "dataset instead of the suite's (JSONL, JSON, YAML, CSV)",
	  .complete = POPS_COMPLETE_FILE },
	{ .type = POPS_OPT_INT, .name = "repeat", .offset = offsetof(struct eval_run_opts, repeat),
	  .value_name = "n", .help = "run each case n times (pass@k, pass^k)", .min = 1, .max = 1000 },
	{ .type = POPS_OPT_INT, .name = "jobs", .short_name = 'j',
	  .offset = offsetof(struct eval_run_opts, jobs), .value_name = "n",
	  .help = "requests in flight (default 8)", .min = 1, .max = 4096 },
	{ .type = POPS_OPT_STRING, .name = "threshold", .offset = offsetof(struct eval_run_opts, threshold),
	  .value_name = "x", .help = "minimum pass rate, 0 to 1 (overrides the suites')" },
	{ .type = POPS_OPT_STRING, .name = "filter", .offset = offsetof(struct eval_run_opts, filter),
	  .value_name = "pcre", .help = "only cases whose id matches" },
	{ .type = POPS_OPT_STRING, .name = "baseline", .offset = offsetof(struct eval_run_opts, baseline),
	  .value_name = "env|rev", .help = "compare with this release or revision (flips, McNemar)",
	  .complete = POPS_COMPLETE_ENV },
	{ .type = POPS_OPT_PATH, .name = "junit", .offset = offsetof(struct eval_run_opts, junit),
	  .value_name = "file", .help = "write a JUnit XML report", .complete = POPS_COMPLETE_FILE },
	{ .type = POPS_OPT_PATH, .name = "json", .offset = offsetof(struct eval_run_opts, json),
	  .value_name = "file", .help = "write a JSON report (every case)", .complete = POPS_COMPLETE_FILE },
	{ .type = POPS_OPT_PATH, .name = "md", .offset = offsetof(struct eval_run_opts, md),
	  .value_name = "file", .help = "write a Markdown summary (PR comment, step summary)",
	  .complete = POPS_COMPLETE_FILE },
	{ .type = POPS_OPT_STRING, .name = "max-cost", .offset = offsetof(struct eval_run_opts, max_cost),
	  .value_name = "usd", .help = "stop starting requests before spending more" },
	{ .type = POPS_OPT_BOOL, .name = "dry-run", .offset = offsetof(struct eval_run_opts, dry_run),
	  .help = "print the plan and cost estimate, call nothing" },
	{ .type = POPS_OPT_BOOL, .name = "verbose", .short_name = 'v',
	  .offset = offsetof(struct eval_run_opts, verbose),
	  .help = "show an excerpt of the model output for each failing case" },
	{ .type = POPS_OPT_STRING, .name = "shard", .offset = offsetof(struct eval_run_opts, shard),
	  .value_name = "i/n", .help = "run the i-th of n deterministic parts (see eval merge)" },
	{ .type = POPS_OPT_BOOL, .name = "record", .offset = offsetof(struct eval_run_opts, record),
	  .help = "record responses to each suite's cassette" },
	{ .type = POPS_OPT_BOOL, .name = "replay", .offset = offsetof(struct eval_run_opts, replay),
	  .help = "answer from recorded cassettes only (offline, no key)" },
	{ .type = POPS_OPT_BOOL, .name = "no-cache", .offset = offsetof(struct eval_run_opts, no_cache),
	  .help = "neither read nor write the response cache" },
	{ .type = POPS_OPT_BOOL, .name = "stream", .offset = offsetof(struct eval_run_opts, stream),
	  .help = "stream every reply and record time to first token" },
	{ .type = POPS_OPT_BOOL, .name = "no-store", .offset = offsetof(struct eval_run_opts, no_store),
	  .help = "do not record evidence in refs/notes/pops" },
	{ .type = POPS_OPT_ARGS, .name = "suite", .offset = offsetof(struct eval_run_opts, suites),
	  .help = "suite files (default: every suite in the evals directory)",
	  .complete = POPS_COMPLETE_SUITE },
	{ 0 }
};

static volatile sig_atomic_t eval_cancel;

static void on_signal(int sig)
{
	eval_cancel = 1;
	/* a second Ctrl-C ends pops at once */
	signal(sig, SIG_DFL);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* every *.yaml / *.yml in the evals directory, sorted, relative to the root */
static int default_suites(pops_strv *out, char ***owned, const pops_config *cfg)
{
	pops_buf dir = POPS_BUF_INIT, p = POPS_BUF_INIT;
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct stat st;
	int error = 0;

	pops_path_join(&dir, cfg->root, cfg->evals_dir ? cfg->evals_dir : "evals");
	if (!(d = opendir(dir.ptr))) {
		error = pops_error_set(POPS_ENOTFOUND, "no suites: the evals directory '%s' does not exist",
		                       cfg->evals_dir ? cfg->evals_dir : "evals");
		goto done;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (!pops_ends_with(e->d_name, ".yaml") &&
		                            !pops_ends_with(e->d_name, ".yml")))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));

			if (!nv) {
				error = pops_error_oom();
				break;
			}
			v = nv;
		}
		pops_buf_clear(&p);
		pops_path_join(&p, dir.ptr, e->d_name);
		/* a FIFO named *.yaml would block the run on its first read */
		if (stat(p.ptr, &st) < 0 || !S_ISREG(st.st_mode)) {
			cmd_warning("skipping %s/%s: not a regular file",
			            cfg->evals_dir ? cfg->evals_dir : "evals", e->d_name);
			continue;
		}
		v[n++] = pops_buf_detach(&p);
	}
	closedir(d);
	if (!error && n == 0)
		error = pops_error_set(POPS_ENOTFOUND, "no suites in '%s'",
		                       cfg->evals_dir ? cfg->evals_dir : "evals");
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	out->v = (const char **)v;
	out->n = n;
	*owned = v;
done:
	pops_buf_dispose(&dir);
	pops_buf_dispose(&p);
	return error;
}

/* a path as the project names it: relative to the root when inside it */
static char *project_path(const char *path, const char *root)
{
	char *real = realpath(path, NULL), *rroot = realpath(root, NULL), *out;
	size_t n = rroot ? strlen(rroot) : 0;

	if (real && rroot && !strncmp(real, rroot, n) && real[n] == '/')
		out = pops_strdup(real + n + 1);
	else
		out = pops_strdup(path);
	free(real);
	free(rroot);
	return out;
}

static int load_suite(pops_suite **out, const char *path, const char *root)
{
	pops_buf b = POPS_BUF_INIT;
	char *name = project_path(path, root);
	int error;

	POPS_CHECK_ALLOC(name);
	error = pops_file_read_regular(&b, path, POPS_CONFIG_MAX_BYTES);
	if (error == POPS_ENOTFOUND)
		error = pops_error_set(POPS_ENOTFOUND, "suite '%s' not found", path);
	if (!error)
		error = pops_suite_parse(out, b.ptr, b.size, name);
	free(name);
	pops_buf_dispose(&b);
	return error;
}

/* the suite's cassette: beside the suite, committed with it */
static char *cassette_path(const char *suite_file)
{
	pops_buf b = POPS_BUF_INIT;
	size_t n = strlen(suite_file);

	if (pops_ends_with(suite_file, ".yaml"))
		n -= 5;
	else if (pops_ends_with(suite_file, ".yml"))
		n -= 4;
	pops_buf_put(&b, suite_file, n);
	pops_buf_puts(&b, ".cassette.jsonl");
	return pops_buf_detach(&b);
}

/*
 * With several suites or models, what each run checks before its first
 * request (a dataset or exec program that is missing, an unknown alias)
 * is checked for all of them first: a bad second suite must not be found
 * after the first one has spent money and written evidence. One run
 * checks itself.
 */
static int check_all(pops_ctx *ctx, const pops_strv *suites, char **models, size_t nmodels,
                     pops_eval_options *eo)
{
	size_t i, m;
	int error = 0;

	if (suites->n * (nmodels ? nmodels : 1) < 2)
		return POPS_EXIT_OK;
	for (i = 0; i < suites->n && !error; i++) {
		pops_suite *s = NULL;
		char *cassette = NULL;

		if ((error = load_suite(&s, suites->v[i], ctx->config->root)) < 0)
			break;
		/* --replay: each suite's own cassette must be there */
		if (eo->popts.cassette_mode != POPS_CASSETTE_NONE &&
		    !(eo->popts.cassette = cassette = cassette_path(suites->v[i])))
			error = pops_error_oom();
		for (m = 0; m < (nmodels ? nmodels : 1) && !error; m++) {
			eo->model = nmodels ? models[m] : NULL;
			error = pops_eval_check(s, eo);
		}
		eo->popts.cassette = NULL;
		free(cassette);
		pops_suite_free(s);
	}
	eo->model = NULL;
	return error < 0 ? cmd_fail(error) : POPS_EXIT_OK;
}

/* --dry-run --json: the plans, fingerprints included, for CI to act on ("-": stdout) */
static int write_plans(eval_reports *rep, const char *path, const cJSON *plans, const cJSON *total)
{
	cJSON *doc = cJSON_CreateObject();
	char *text = NULL;
	int ret = POPS_EXIT_OK, error;

	if (!doc || !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
	    !cJSON_AddTrueToObject(doc, "dry_run") ||
	    !cJSON_AddItemToObject(doc, "plans", cJSON_Duplicate(plans, 1)) ||
	    !cJSON_AddItemToObject(doc, "total", cJSON_Duplicate(total, 1)) ||
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

		if ((error = load_suite(&s, suites->v[i], root)) < 0)
			return cmd_fail(error);
		if (!(cassette = cassette_path(suites->v[i])))
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

int cmd_eval_run(pops_ctx *ctx, void *o)
{
	struct eval_run_opts *opts = o;
	pops_eval_options eo;
	pops_provider_options po = POPS_PROVIDER_OPTIONS_INIT;
	pops_repo *repo = NULL;
	pops_strv suites = opts->suites;
	char **owned = NULL, **models = NULL, *cassette = NULL, *cache_dir = NULL;
	pops_report_group *groups = NULL;
	pops_eval_group **runs = NULL;
	const cJSON **evidence = NULL;
	cJSON *plans = cJSON_CreateArray();
	size_t nmodels = 0, ngroups = 0, i, m;
	int ret = POPS_EXIT_OK, error, interrupted = 0, over_budget = 0;
	double budget = -1, spent = 0, bspent = 0;
	eval_bar bar = { 0, 0, 0, NULL, 0 };
	eval_reports rep;
	struct sigaction sa, old_int, old_term;
	int sig_set = 0;

	memset(&eo, 0, sizeof(eo));
	eval_cancel = 0;
	/* first of all: a signal during any blocking read (a suite, a dataset,
	 * a cassette) interrupts it, and the run ends with 130 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sig_set = 1;
	eval_reports_init(&rep, opts->junit, opts->json, opts->md);
	if (!plans) {
		ret = cmd_fail(pops_error_oom());
		goto done;
	}
	if (opts->record && opts->replay) {
		ret = cmd_error(POPS_EXIT_USAGE, "--record and --replay cannot be used together");
		goto done;
	}
	eo.threshold = -1;
	eo.max_cost = -1;
	/* strings, not numbers: "absent" and 0 differ for these two */
	if (opts->threshold && (pops_parse_double(&eo.threshold, opts->threshold) < 0 ||
	                        eo.threshold < 0 || eo.threshold > 1)) {
		ret = cmd_error(POPS_EXIT_USAGE, "--threshold '%s': expected a number from 0 to 1",
		                opts->threshold);
		goto done;
	}
	if (opts->max_cost && (pops_parse_double(&eo.max_cost, opts->max_cost) < 0 ||
	                       eo.max_cost < 0)) {
		ret = cmd_error(POPS_EXIT_USAGE, "--max-cost '%s': expected dollars >= 0", opts->max_cost);
		goto done;
	}
	budget = eo.max_cost;
	if (opts->shard && pops_shard_parse(&eo.shard, &eo.nshards, opts->shard) < 0) {
		ret = cmd_error(POPS_EXIT_USAGE, "--shard '%s': expected i/n with 1 <= i <= n", opts->shard);
		goto done;
	}
	if ((error = pops_repo_from(&repo, ctx->repo, ctx->config)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if (!suites.n && (error = default_suites(&suites, &owned, ctx->config)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	/* --dry-run --json writes the plans: the same rules */
	if ((ret = check_reports(ctx, opts, &suites, &rep)) || (ret = eval_reports_stdout_begin(&rep)))
		goto done;
	/* models: "a,b" */
	if (opts->model) {
		const char *p = opts->model;

		while (*p) {
			size_t len = strcspn(p, ",");
			char **nm = realloc(models, (nmodels + 1) * sizeof(*models));

			if (!nm) {
				ret = cmd_fail(pops_error_oom());
				goto done;
			}
			models = nm;
			if (!(models[nmodels++] = pops_strndup(p, len))) {
				ret = cmd_fail(pops_error_oom());
				goto done;
			}
			p += len;
			if (*p == ',')
				p++;
		}
	}
	eo.config = ctx->config;
	eo.repo = repo;
	eo.root = ctx->config->root;
	eo.prompt = opts->prompt;
	eo.dataset = opts->dataset;
	eo.repeat = opts->repeat;
	eo.filter = opts->filter;
	eo.baseline = opts->baseline;
	{
		pops_buf cd = POPS_BUF_INIT;

		pops_path_join(&cd, ctx->config->root, ".pops/cache");
		cache_dir = pops_buf_detach(&cd);
	}
	po.concurrency = opts->jobs ? (unsigned)opts->jobs : POPS_PROVIDER_CONCURRENCY;
	po.cache = opts->no_cache ? POPS_CACHE_OFF : POPS_CACHE_USE;
	po.cache_dir = cache_dir;
	po.cassette_mode = opts->record ? POPS_CASSETTE_RECORD :
	                   opts->replay ? POPS_CASSETTE_REPLAY : POPS_CASSETTE_NONE;
	po.cancel = &eval_cancel;
	po.stream = opts->stream;
	eo.popts = po;
	eo.engine = pops_provider_run;
	bar.enabled = eval_bar_wanted(ctx);
	eo.progress = eval_bar_update;
	eo.progress_payload = &bar;

	ngroups = suites.n * (nmodels ? nmodels : 1);
	groups = calloc(ngroups + 1, sizeof(*groups));
	runs = calloc(ngroups + 1, sizeof(*runs));
	evidence = calloc(ngroups + 1, sizeof(*evidence));
	if (!groups || !runs || !evidence) {
		ret = cmd_fail(pops_error_oom());
		goto done;
	}
	ngroups = 0;
	if (!opts->dry_run && (ret = check_all(ctx, &suites, models, nmodels, &eo)) != POPS_EXIT_OK)
		goto done;
	for (i = 0; i < suites.n && !eval_cancel; i++) {
		pops_suite *s = NULL;

		if ((error = load_suite(&s, suites.v[i], ctx->config->root)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		free(cassette);
		cassette = cassette_path(suites.v[i]);
		eo.popts.cassette = po.cassette_mode != POPS_CASSETTE_NONE ? cassette : NULL;
		for (m = 0; m < (nmodels ? nmodels : 1) && !eval_cancel; m++) {
			eo.model = nmodels ? models[m] : NULL;
			if (opts->dry_run) {
				cJSON *plan = NULL;

				if ((error = pops_eval_plan(&plan, s, &eo)) < 0) {
					pops_suite_free(s);
					ret = cmd_fail(error);
					goto done;
				}
				eval_plan_evidence(ctx, plan);
				eval_print_plan(plan);
				cJSON_AddItemToArray(plans, plan);
				continue;
			}
			bar.label = s->path;
			error = pops_eval_run(&runs[ngroups], s, &eo);
			eval_bar_clear(&bar);
			if (error < 0) {
				pops_suite_free(s);
				ret = cmd_fail(error);
				goto done;
			}
			groups[ngroups].summary = runs[ngroups]->summary;
			groups[ngroups].spool = runs[ngroups]->spool;
			evidence[ngroups] = runs[ngroups]->evidence;
			spent += runs[ngroups]->spent;
			/* --max-cost is one budget for the whole command: what this run
			 * (judges, baselines) spent is gone for the next */
			if (eo.max_cost >= 0)
				eo.max_cost = budget - spent > 0 ? budget - spent : 0;
			if (opts->baseline && runs[ngroups]->complete &&
			    (error = eval_run_baseline(ctx, s, &eo, runs[ngroups], opts->baseline,
			                               !opts->no_store, &bspent)) < 0) {
				pops_suite_free(s);
				ret = cmd_fail(error);
				goto done;
			}
			spent += bspent;
			bspent = 0;
			if (eo.max_cost >= 0)
				eo.max_cost = budget - spent > 0 ? budget - spent : 0;
			over_budget |= runs[ngroups]->over_budget;
			interrupted |= runs[ngroups]->interrupted;
			eval_print_group(ctx, groups[ngroups].summary, groups[ngroups].spool, opts->verbose);
			ngroups++;
		}
		pops_suite_free(s);
	}
	if (opts->dry_run) {
		cJSON *total = eval_plan_total(plans);

		if (opts->json)
			ret = write_plans(&rep, opts->json, plans, total);
		cJSON_Delete(total);
		goto done;
	}
	if (eval_cancel)
		interrupted = 1;
	if (ngroups > 1 && nmodels > 1)
		eval_print_compare(groups, evidence, ngroups);
	/* reports: also for an interrupted run, marked incomplete */
	if (opts->junit) {
		eval_reports_stdout_real(&rep, !strcmp(opts->junit, "-"));
		error = pops_report_junit(opts->junit, groups, ngroups, !interrupted && !over_budget);
		eval_reports_stdout_real(&rep, 0);
		if (error < 0) {
			ret = cmd_fail(error);
			goto done;
		}
	}
	if (opts->json) {
		cJSON *extra = cJSON_CreateObject();

		cJSON_AddStringToObject(extra, "pops_version", POPS_VERSION);
		cJSON_AddBoolToObject(extra, "interrupted", interrupted);
		if (eo.nshards > 1) {
			/* what eval merge needs to record one full run's evidence */
			cJSON_AddStringToObject(extra, "shard", opts->shard);
			eval_shard_evidence(ctx, extra, runs, ngroups);
		}
		eval_reports_stdout_real(&rep, !strcmp(opts->json, "-"));
		error = pops_report_json(opts->json, groups, ngroups, !interrupted && !over_budget, extra);
		eval_reports_stdout_real(&rep, 0);
		cJSON_Delete(extra);
		if (error < 0) {
			ret = cmd_fail(error);
			goto done;
		}
	}
	if (opts->md) {
		eval_reports_stdout_real(&rep, !strcmp(opts->md, "-"));
		error = pops_report_md(opts->md, groups, ngroups, !interrupted && !over_budget);
		eval_reports_stdout_real(&rep, 0);
		if (error < 0) {
			ret = cmd_fail(error);
			goto done;
		}
	}
	if (!opts->no_store && !interrupted &&
	    (error = eval_store_evidence(ctx, runs, ngroups)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	/* said once evidence exists: a run that stopped at load stored nothing to warn about */
	if (!opts->no_store && !interrupted)
		cmd_warn_uncommitted_suites(ctx, repo, suites.v, suites.n, opts->prompt, opts->dataset,
		                            "the evidence of this run");
	if (budget >= 0)
		cmd_note("--max-cost $%g: $%.4f spent, judge calls and baseline runs included",
		           budget, spent);
	ret = eval_decide(ctx, groups, ngroups, interrupted, over_budget);
done:
	if (sig_set) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	cJSON_Delete(plans);
	for (i = 0; runs && runs[i]; i++)
		pops_eval_group_free(runs[i]);
	free(runs);
	free(groups);
	free((void *)evidence);
	for (i = 0; i < nmodels; i++)
		free(models[i]);
	free(models);
	if (owned) {
		for (i = 0; i < suites.n; i++)
			free(owned[i]);
		free(owned);
	}
	free(cassette);
	free(cache_dir);
	pops_repo_free(repo);
	if (fflush(stdout) != 0 && ret == POPS_EXIT_OK)
		ret = cmd_error(POPS_EXIT_RUNTIME, "cannot write to stdout: %s", strerror(errno));
	eval_reports_stdout_end(&rep);
	return ret;
}

const pops_cmd cmd_eval_subcommands[] = {
	POPS_CMD_ROW("merge", eval_merge, 0,
	             "Combine shard results (--json files) into one report and gate"),
	POPS_CMD_ROW("run", eval_run, POPS_CMD_NEEDS_CONFIG,
	             "Run eval suites: score, gate, report, record evidence"),
	POPS_CMD_END
};
