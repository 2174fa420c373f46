#include "common.h"
#include <signal.h>
#include <git2.h>
#include "cmd.h"
#include "config.h"
#include "eval_run.h"
#include "fileio.h"
#include "evidence.h"
#include "judge.h"
#include "judge_calib.h"
#include "jsonget.h"
#include "records.h"
#include "stats.h"
#include "strutil.h"
#include "suite.h"

/*
 * pops judge calibrate: how far can this judge be trusted? Its verdicts
 * on outputs humans labelled are compared with the labels.
 *
 * Labels file (JSONL), one row per graded output:
 *   {"id": "c1", "output": "...", "label": "pass"|"fail", "vars": {...},
 *    "expected": ..., "input": "..."}
 * or production records (lib/records.h: pops JSONL, OTel, Langfuse) whose
 * user feedback is the label: thumbs up is pass, down is fail; records
 * without thumbs are counted and left out. A JSONL line without "label"
 * is read as a record.
 */
struct judge_calibrate_opts {
	const char *labels;
	const char *suite;
	const char *suite_arg;
	const char *model;
	const char *case_id;
	long jobs;
	long nth;
	int no_cache;
	int no_store;
	int json;
};

POPS_CMD_OPTS_SIZE(judge_calibrate, struct judge_calibrate_opts);
#define O struct judge_calibrate_opts
const pops_opt cmd_judge_calibrate_opts[] = {
	OPT_PATH(O, labels, "labels", "file",
	         "human labels (JSONL: id, output, label pass|fail), or records with thumbs feedback", .flags = POPS_OPTF_REQUIRED,
	         .complete = POPS_COMPLETE_FILE),
	OPT_PATH(O, suite, "suite", "file",
	         "suite whose judge is calibrated (or give it as the argument)",
	         .complete = POPS_COMPLETE_SUITE),
	OPT_STRING(O, model, "model", "alias",
	           "judge model instead of the assertion's (a jury's other judges)",
	           .complete = POPS_COMPLETE_MODEL),
	OPT_INT(O, nth, "assert", "n", 1, 100000,
	        "calibrate the suite's n-th judge assertion (default 1)"),
	OPT_STRING(O, case_id, "case", "id",
	           "calibrate a judge of this case's own assert: (a dataset row or inline test)"),
	OPT_INT(O, jobs, "jobs", "n", 1, 4096, "requests in flight (default 8)", .short_name = 'j'),
	OPT_BOOL(O, no_cache, "no-cache", "neither read nor write the response cache"),
	OPT_BOOL(O, no_store, "no-store", "do not record the calibration in refs/notes/pops"),
	OPT_BOOL(O, json, "json", "print the calibration as JSON"),
	OPT_ARG(O, suite_arg, "suite", "the suite (instead of --suite)",
	        .complete = POPS_COMPLETE_SUITE),
	OPT_END
};
#undef O

struct cal {
	FILE *f;
	const char *path;
	char *line;
	size_t cap;
	unsigned lineno;
	const pops_assert *a;
	const pops_provider_cfg *prov;
	const char *model_id;
	pops_eval_prompt *jp;
	cJSON *schema;
	size_t tp, tn, fp, fn, errors;
	size_t unlabelled;      /* records without thumbs feedback */
	pops_records *rs;       /* OTel or Langfuse records, else NULL (lines) */
	pops_record rec;
	pops_buf disagree;
	pops_assert **case_asserts;   /* --case: that case's own assertions, owned */
	size_t ncase_asserts;
};

struct calreq {
	cJSON *row;
	cJSON *messages;
	int human;
	unsigned line;
};

static volatile sig_atomic_t cal_cancel;

static void on_signal(int sig)
{
	cal_cancel = 1;
	signal(sig, SIG_DFL);
}

/* the next row (owned) and its line: a JSONL line, or an OTel/Langfuse record; 1, 0, error */
static int next_row(struct cal *c, cJSON **row, unsigned *line)
{
	ssize_t len;
	int got;

	if (c->rs) {
		if ((got = pops_records_next(c->rs, &c->rec)) != 1)
			return got;
		*row = c->rec.json;
		*line = c->rec.line;
		c->rec.json = NULL;
		pops_record_dispose(&c->rec);
		return 1;
	}
	for (;;) {
		if ((len = getline(&c->line, &c->cap, c->f)) < 0)
			return ferror(c->f) ? pops_error_os(c->path) : 0;
		c->lineno++;
		if (strspn(c->line, " \t\r\n") != (size_t)len)
			break;
	}
	*line = c->lineno;
	*row = cJSON_ParseWithLength(c->line, (size_t)len);
	return 1;
}

/*
 * The human label of `row`: "label" (pass/fail or a boolean), else a
 * record's feedback thumbs (up: pass, down: fail). 1 pass, 0 fail, -1
 * none (a record without thumbs), -2 a bad label.
 */
static int label_of(const cJSON *row)
{
	const cJSON *label = cJSON_GetObjectItemCaseSensitive(row, "label");
	const cJSON *fb = cJSON_GetObjectItemCaseSensitive(row, "feedback");
	const cJSON *thumbs = cJSON_GetObjectItemCaseSensitive(fb, "thumbs");

	if (cJSON_IsBool(label))
		return cJSON_IsTrue(label);
	if (label)
		return cJSON_IsString(label) && !strcmp(label->valuestring, "pass") ? 1 :
		       cJSON_IsString(label) && !strcmp(label->valuestring, "fail") ? 0 : -2;
	if (cJSON_IsString(thumbs) && !strcmp(thumbs->valuestring, "up"))
		return 1;
	if (cJSON_IsString(thumbs) && !strcmp(thumbs->valuestring, "down"))
		return 0;
	return -1;
}

static int next(void *payload, pops_provider_request *req)
{
	struct cal *c = payload;
	struct calreq *q = NULL;
	const cJSON *out;
	int error, human = -1, got;

	q = calloc(1, sizeof(*q));
	POPS_CHECK_ALLOC(q);
	for (;;) {
		if ((got = next_row(c, &q->row, &q->line)) != 1) {
			free(q);
			return got;
		}
		out = cJSON_GetObjectItemCaseSensitive(q->row, "output");
		if (cJSON_IsObject(q->row) && cJSON_IsString(out) && (human = label_of(q->row)) >= 0)
			break;
		if (cJSON_IsObject(q->row) && human == -1) {
			/* a record nobody gave a thumb: counted, not graded */
			c->unlabelled++;
			cJSON_Delete(q->row);
			continue;
		}
		cJSON_Delete(q->row);
		got = (int)q->line;
		free(q);
		return pops_error_set(POPS_EINVALID,
		    "%s:%u: each line needs \"output\" (string) and \"label\" (\"pass\" or \"fail\"), "
		    "or feedback {\"thumbs\": \"up\" or \"down\"}", c->path, (unsigned)got);
	}
	q->human = human;
	{
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(q->row, "input");

		/* a scale judge is asked as it judges: the scored prompt, score vs threshold */
		if (c->a->scale_max)
			error = pops_judge_messages_scale(&q->messages, c->jp, c->a->rubric,
			                                  cJSON_IsString(in) ? in->valuestring : NULL,
			                                  out->valuestring,
			                                  cJSON_GetObjectItemCaseSensitive(q->row, "expected"),
			                                  c->a->pass_score, c->a->scale_max);
		else
			error = pops_judge_messages(&q->messages, c->jp, c->a->rubric,
			                            cJSON_IsString(in) ? in->valuestring : NULL,
			                            out->valuestring,
			                            cJSON_GetObjectItemCaseSensitive(q->row, "expected"),
			                            c->a->pass_score);
	}
	if (error < 0) {
		cJSON_Delete(q->row);
		free(q);
		return error;
	}
	req->provider = c->prov;
	req->model_id = c->model_id;
	req->messages = q->messages;
	req->output_schema = c->schema;
	req->user = q;
	return 1;
}

static void note(struct cal *c, const struct calreq *q, const char *what, const char *why)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(q->row, "id");
	pops_buf line = POPS_BUF_INIT;

	if (!cJSON_IsString(id))
		id = cJSON_GetObjectItemCaseSensitive(q->row, "trace_id");

	if (cJSON_IsString(id))
		pops_buf_puts(&line, id->valuestring);
	else
		pops_buf_printf(&line, "line %u", q->line);
	pops_buf_printf(&line, ": %s", what);
	if (why && *why) {
		size_t n = strcspn(why, "\n");

		pops_buf_puts(&line, ": ");
		pops_buf_put(&line, why, n > 160 ? 160 : n);
	}
	pops_buf_puts(&c->disagree, "  ");
	pops_buf_put_sanitized(&c->disagree, line.ptr, line.size, 0);
	pops_buf_putc(&c->disagree, '\n');
	pops_buf_dispose(&line);
}

static int done(void *payload, pops_provider_result *res)
{
	struct cal *c = payload;
	struct calreq *q = res->user;
	pops_buf why = POPS_BUF_INIT;
	double score;
	int pass;

	if (res->status == POPS_EINTR) {
		/* not graded */
	} else if (res->status != POPS_OK) {
		c->errors++;
		note(c, q, "error", res->error);
	} else if (pops_judge_parse_scale(&pass, &score, &why, res->text, c->a->pass_score,
	                                  c->a->scale_max) < 0) {
		c->errors++;
		note(c, q, "error", pops_error_last());
	} else {
		if (pass && q->human)
			c->tp++;
		else if (!pass && !q->human)
			c->tn++;
		else if (pass)
			c->fp++;
		else
			c->fn++;
		if (pass != q->human)
			note(c, q, pass ? "judge pass, human fail" : "judge fail, human pass", why.ptr);
	}
	pops_buf_dispose(&why);
	cJSON_Delete(q->row);
	cJSON_Delete(q->messages);
	free(q);
	return 0;
}

static void rate(const char *name, double v, double lo, double hi)
{
	if (v < 0)
		printf("  %-14s undefined (no cases of that kind)\n", name);
	else
		printf("  %-14s %.3f (95%% CI %.3f–%.3f)\n", name, v, lo, hi);
}

/*
 * OTel spans and Langfuse exports are read as records; pops JSONL (labels
 * and records alike) line by line. Exit 0, or the error printed.
 */
static int open_records(struct cal *c, const char *path)
{
	int error = pops_records_open(&c->rs, path, POPS_RECORDS_AUTO);

	if (error < 0)
		return cmd_fail(error);
	if (pops_records_format_of(c->rs) == POPS_RECORDS_POPS) {
		pops_records_free(c->rs);
		c->rs = NULL;
	}
	return POPS_EXIT_OK;
}

/* pops_judge_calib_each_case: keep the assertions of the case --case names */
static int find_case(void *payload, const pops_case *c, pops_assert *const *ca, size_t nca)
{
	void **p = payload;
	struct cal *cal = p[0];
	const char *id = p[1];
	int error;

	(void)ca;
	(void)nca;
	if (cal->case_asserts || strcmp(c->id, id))
		return 0;
	error = pops_suite_case_asserts(&cal->case_asserts, &cal->ncase_asserts, c);
	return error;
}

/* the assertions judges are picked from: the suite's, or --case's own; exit code */
static int judge_source(struct cal *c, pops_ctx *ctx, const pops_suite *s,
                        const struct judge_calibrate_opts *opts,
                        pops_assert *const **as, size_t *n)
{
	void *p[2] = { c, (void *)opts->case_id };
	int error;

	*as = s->asserts;
	*n = s->nasserts;
	if (!opts->case_id)
		return POPS_EXIT_OK;
	if ((error = pops_judge_calib_each_case(s, ctx->config->root, find_case, p)) < 0)
		return cmd_fail(error);
	if (!c->case_asserts)
		return cmd_error(POPS_EXIT_USAGE, "%s: no case '%s' with a 'judge' assertion of its own "
		                 "(the suite's own judges are calibrated without --case)",
		                 s->path, opts->case_id);
	*as = c->case_asserts;
	*n = c->ncase_asserts;
	return POPS_EXIT_OK;
}

/* the suite's (or --case's) judge assertion to calibrate (the n-th, default the first) and its model */
static int pick_judge(struct cal *c, pops_ctx *ctx, const pops_suite *s,
                      const struct judge_calibrate_opts *opts, const char **alias)
{
	long want = opts->nth ? opts->nth : 1, seen = 0;
	const pops_model_cfg *m;
	pops_assert *const *as;
	const char *what = opts->case_id ? "case" : "suite";
	size_t i, n;
	int ret;

	if ((ret = judge_source(c, ctx, s, opts, &as, &n)) != POPS_EXIT_OK)
		return ret;
	/* a RAG preset reads each case's context, which labels do not carry: not calibrated here */
	for (i = 0; i < n && !c->a; i++)
		if (as[i]->type == POPS_ASSERT_JUDGE && !as[i]->preset && ++seen == want)
			c->a = as[i];
	if (!c->a && !seen)
		return cmd_error(POPS_EXIT_USAGE, "%s: the %s has no 'judge' assertion to calibrate",
		                 s->path, what);
	if (!c->a)
		return cmd_error(POPS_EXIT_USAGE, "%s: --assert %ld, but the %s has %ld 'judge' assertion%s",
		                 s->path, want, what, seen, seen == 1 ? "" : "s");
	*alias = opts->model ? opts->model : c->a->model;
	m = pops_config_model(ctx->config, *alias);
	if (!m || !(c->prov = pops_config_provider(ctx->config, m->provider)))
		return cmd_error(POPS_EXIT_USAGE, "unknown judge model '%s': add it under 'models:' in pops.yaml",
		                 *alias);
	c->model_id = m->id;
	return POPS_EXIT_OK;
}

/* the judge prompt file of the assertion, when it names one; exit code */
static int load_judge_prompt(struct cal *c, pops_ctx *ctx)
{
	pops_buf path = POPS_BUF_INIT, b = POPS_BUF_INIT;
	int error = 0;

	if (!c->a || !c->a->prompt)
		return POPS_EXIT_OK;
	pops_path_join(&path, ctx->config->root, c->a->prompt);
	error = pops_file_read(&b, path.ptr, POPS_PROMPT_MAX_BYTES);
	if (error == 0)
		error = pops_eval_prompt_parse(&c->jp, b.ptr, b.size, c->a->prompt);
	pops_buf_dispose(&path);
	pops_buf_dispose(&b);
	return error < 0 ? cmd_fail(error) : POPS_EXIT_OK;
}

/*
 * Record calibration `r` on HEAD (CAS, lib/evidence.h). No commit yet:
 * a warning, nothing written. Exit code.
 */
static int store_calibration(pops_ctx *ctx, const cJSON *r)
{
	git_oid head;
	int error;

	if (git_reference_name_to_id(&head, ctx->repo, "HEAD") < 0) {
		cmd_warning("no commit yet: calibration not recorded (commit, then run again)");
		return POPS_EXIT_OK;
	}
	if ((error = pops_evidence_record(ctx->repo, &head, r)) < 0)
		return cmd_fail(error);
	return POPS_EXIT_OK;
}

static void print_text(const struct cal *c, const char *alias, const cJSON *r)
{
	pops_agreement ag;

	pops_stats_agreement(&ag, c->tp, c->tn, c->fp, c->fn);
	printf("judge %s (%s) on %zu labelled outputs", alias, c->model_id, c->tp + c->tn + c->fp + c->fn);
	if (c->errors)
		printf(", %zu not graded (errors)", c->errors);
	if (c->unlabelled)
		printf(", %zu record%s without thumbs feedback left out", c->unlabelled,
		       c->unlabelled == 1 ? "" : "s");
	printf("\n");
	rate("TPR", ag.tpr, ag.tpr_lo, ag.tpr_hi);
	rate("TNR", ag.tnr, ag.tnr_lo, ag.tnr_hi);
	rate("accuracy", ag.accuracy, ag.acc_lo, ag.acc_hi);
	rate("Cohen's kappa", ag.kappa, ag.kappa_lo, ag.kappa_hi);
	printf("judge fingerprint %.12s\n", pops_json_str(r, "fingerprint", ""));
	if (c->disagree.size)
		printf("disagreements and errors:\n%s", c->disagree.ptr);
}

/* the result: recorded unless --no-store, then printed; exit code */
static int finish(struct cal *c, pops_ctx *ctx, const struct judge_calibrate_opts *opts,
                  const char *suite, const char *alias)
{
	pops_judge_calib_counts k;
	cJSON *fields = NULL, *r = NULL;
	char hex[65];
	char *text = NULL;
	int ret = POPS_EXIT_OK, error;

	k.tp = c->tp;
	k.tn = c->tn;
	k.fp = c->fp;
	k.fn = c->fn;
	k.errors = c->errors;
	if ((error = pops_judge_calib_fingerprint(hex, &fields, ctx->config, ctx->config->root, c->a,
	                                          alias)) < 0)
		return cmd_fail(error);
	if (!(r = pops_judge_calib_result(fields, hex, &k, suite, alias, opts->labels))) {
		ret = cmd_fail(pops_error_oom());
		goto done;
	}
	{
		/* which labels: their blob, so a calibration can be traced to the file graded */
		char bhex[GIT_OID_HEXSZ + 1];
		git_oid oid;

		if (git_odb_hashfile(&oid, opts->labels, GIT_OBJECT_BLOB) == 0 &&
		    !cJSON_AddStringToObject(r, "labels_blob", git_oid_tostr(bhex, sizeof(bhex), &oid))) {
			ret = cmd_fail(pops_error_oom());
			goto done;
		}
	}
	if (!opts->no_store && (ret = store_calibration(ctx, r)) != POPS_EXIT_OK)
		goto done;
	if (!opts->json) {
		print_text(c, alias, r);
		goto done;
	}
	if (!cJSON_AddNumberToObject(r, "unlabelled", (double)c->unlabelled) ||
	    !cJSON_AddBoolToObject(r, "stored", !opts->no_store) || !(text = cJSON_Print(r))) {
		ret = cmd_fail(pops_error_oom());
		goto done;
	}
	printf("%s\n", text);
done:
	cJSON_free(text);
	cJSON_Delete(r);
	cJSON_Delete(fields);
	return ret;
}

/* the labels: a pops JSONL file read line by line, or records; exit code */
static int open_labels(struct cal *c, const char *path)
{
	if (!(c->f = fopen(path, "r")))
		return errno == ENOENT ? cmd_error(POPS_EXIT_USAGE, "%s: labels file not found", path) :
		       cmd_fail(pops_error_os(path));
	return open_records(c, path);
}

/* ask the judge about every labelled output; exit code */
static int grade(struct cal *c, pops_ctx *ctx, const struct judge_calibrate_opts *opts)
{
	pops_provider_options po = POPS_PROVIDER_OPTIONS_INIT;
	pops_buf dir = POPS_BUF_INIT;
	struct sigaction sa, old_int;
	int error;

	po.config = ctx->config;
	po.concurrency = opts->jobs ? (unsigned)opts->jobs : POPS_PROVIDER_CONCURRENCY;
	po.cache = opts->no_cache ? POPS_CACHE_OFF : POPS_CACHE_USE;
	pops_path_join(&dir, ctx->config->root, ".pops/cache");
	po.cache_dir = dir.ptr;
	po.cancel = &cal_cancel;
	cal_cancel = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	error = pops_provider_run(&po, next, done, c);
	sigaction(SIGINT, &old_int, NULL);
	pops_buf_dispose(&dir);
	if (error == POPS_EINTR || cal_cancel)
		return cmd_error(POPS_EXIT_INTERRUPTED, "interrupted");
	return error < 0 ? cmd_fail(error) : POPS_EXIT_OK;
}

int cmd_judge_calibrate(pops_ctx *ctx, void *o)
{
	struct judge_calibrate_opts *opts = o;
	const char *suite = opts->suite ? opts->suite : opts->suite_arg;
	pops_suite *s = NULL;
	struct cal c;
	const char *alias = NULL;
	int ret = POPS_EXIT_OK, error;

	memset(&c, 0, sizeof(c));
	c.rec = (pops_record)POPS_RECORD_INIT;
	c.disagree = (pops_buf)POPS_BUF_INIT;
	c.path = opts->labels;
	if (!suite || (opts->suite && opts->suite_arg && strcmp(opts->suite, opts->suite_arg))) {
		ret = cmd_error(POPS_EXIT_USAGE, suite ? "give the suite once: '%s' or '%s'" :
		                "which suite? pops judge calibrate SUITE --labels FILE",
		                opts->suite, opts->suite_arg);
		goto done;
	}
	if ((error = pops_suite_load(&s, suite)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if ((ret = pick_judge(&c, ctx, s, opts, &alias)) != POPS_EXIT_OK || !c.a) {
		ret = ret ? ret : POPS_EXIT_USAGE;
		goto done;
	}
	if ((ret = load_judge_prompt(&c, ctx)) != POPS_EXIT_OK)
		goto done;
	c.schema = c.a->scale_max ? pops_judge_output_schema_scale(c.a->scale_max) :
	           pops_judge_output_schema(c.a->pass_score > 0);
	if (!c.schema) {
		ret = cmd_fail(pops_error_oom());
		goto done;
	}
	if ((ret = open_labels(&c, opts->labels)) != POPS_EXIT_OK ||
	    (ret = grade(&c, ctx, opts)) != POPS_EXIT_OK)
		goto done;
	ret = finish(&c, ctx, opts, suite, alias);
done:
	if (c.f)
		fclose(c.f);
	pops_records_free(c.rs);
	pops_record_dispose(&c.rec);
	free(c.line);
	cJSON_Delete(c.schema);
	pops_eval_prompt_free(c.jp);
	pops_buf_dispose(&c.disagree);
	pops_suite_asserts_free(c.case_asserts, c.ncase_asserts);
	pops_suite_free(s);
	if (fflush(stdout) != 0 && ret == POPS_EXIT_OK)
		ret = cmd_error(POPS_EXIT_RUNTIME, "cannot write to stdout: %s", strerror(errno));
	return ret;
}

const pops_cmd cmd_judge_subcommands[] = {
	POPS_CMD_ROW("calibrate", judge_calibrate, POPS_CMD_NEEDS_CONFIG,
	             "Compare judge verdicts with human labels (TPR, TNR, kappa)"),
	POPS_CMD_END
};
