#include "common.h"
#include <signal.h>
#include "cmd.h"
#include "config.h"
#include "eval_run.h"
#include "fileio.h"
#include "judge.h"
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
 */
struct judge_calibrate_opts {
	const char *labels;
	const char *suite;
	const char *model;
	long jobs;
	int no_cache;
};

POPS_CMD_OPTS_SIZE(judge_calibrate, struct judge_calibrate_opts);
#define O struct judge_calibrate_opts
const pops_opt cmd_judge_calibrate_opts[] = {
	OPT_PATH(O, labels, "labels", "file",
	         "human labels (JSONL: id, output, label pass|fail)", .flags = POPS_OPTF_REQUIRED,
	         .complete = POPS_COMPLETE_FILE),
	OPT_PATH(O, suite, "suite", "file",
	         "suite whose first judge assertion is calibrated", .flags = POPS_OPTF_REQUIRED,
	         .complete = POPS_COMPLETE_SUITE),
	OPT_STRING(O, model, "model", "alias",
	           "judge model instead of the assertion's", .complete = POPS_COMPLETE_MODEL),
	OPT_INT(O, jobs, "jobs", "n", 1, 4096, "requests in flight (default 8)", .short_name = 'j'),
	OPT_BOOL(O, no_cache, "no-cache", "neither read nor write the response cache"),
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
	pops_buf disagree;
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

static int next(void *payload, pops_provider_request *req)
{
	struct cal *c = payload;
	struct calreq *q = NULL;
	const cJSON *label, *out;
	ssize_t len;
	int error;

	for (;;) {
		if ((len = getline(&c->line, &c->cap, c->f)) < 0)
			return ferror(c->f) ? pops_error_os(c->path) : 0;
		c->lineno++;
		if (strspn(c->line, " \t\r\n") != (size_t)len)
			break;
	}
	q = calloc(1, sizeof(*q));
	POPS_CHECK_ALLOC(q);
	q->line = c->lineno;
	q->row = cJSON_ParseWithLength(c->line, (size_t)len);
	label = cJSON_GetObjectItemCaseSensitive(q->row, "label");
	out = cJSON_GetObjectItemCaseSensitive(q->row, "output");
	if (!cJSON_IsObject(q->row) || !cJSON_IsString(out) ||
	    !(cJSON_IsBool(label) || (cJSON_IsString(label) && (!strcmp(label->valuestring, "pass") ||
	                                                        !strcmp(label->valuestring, "fail"))))) {
		cJSON_Delete(q->row);
		free(q);
		return pops_error_set(POPS_EINVALID,
		    "%s:%u: each line needs \"output\" (string) and \"label\" (\"pass\" or \"fail\")",
		    c->path, c->lineno);
	}
	q->human = cJSON_IsTrue(label) || (cJSON_IsString(label) && !strcmp(label->valuestring, "pass"));
	{
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(q->row, "input");

		error = pops_judge_messages(&q->messages, c->jp, c->a->rubric,
		                            cJSON_IsString(in) ? in->valuestring : NULL, out->valuestring,
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
	} else if (pops_judge_parse(&pass, &score, &why, res->text, c->a->pass_score) < 0) {
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

int cmd_judge_calibrate(pops_ctx *ctx, void *o)
{
	struct judge_calibrate_opts *opts = o;
	pops_provider_options po = POPS_PROVIDER_OPTIONS_INIT;
	pops_suite *s = NULL;
	pops_buf b = POPS_BUF_INIT;
	struct cal c;
	pops_agreement ag;
	const char *alias;
	size_t i;
	int ret = POPS_EXIT_OK, error;
	struct sigaction sa, old_int;
	int sig_set = 0;

	memset(&c, 0, sizeof(c));
	c.disagree = (pops_buf)POPS_BUF_INIT;
	c.path = opts->labels;
	if ((error = pops_suite_load(&s, opts->suite)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	for (i = 0; i < s->nasserts && !c.a; i++)
		if (s->asserts[i]->type == POPS_ASSERT_JUDGE)
			c.a = s->asserts[i];
	if (!c.a) {
		ret = cmd_error(POPS_EXIT_USAGE, "%s: the suite has no 'judge' assertion to calibrate",
		                opts->suite);
		goto done;
	}
	alias = opts->model ? opts->model : c.a->model;
	{
		const pops_model_cfg *m = pops_config_model(ctx->config, alias);

		if (!m || !(c.prov = pops_config_provider(ctx->config, m->provider))) {
			ret = cmd_error(POPS_EXIT_USAGE, "unknown judge model '%s': add it under 'models:' in pops.yaml",
			                alias);
			goto done;
		}
		c.model_id = m->id;
	}
	if (c.a->prompt) {
		pops_buf path = POPS_BUF_INIT;

		pops_path_join(&path, ctx->config->root, c.a->prompt);
		error = pops_file_read(&b, path.ptr, POPS_PROMPT_MAX_BYTES);
		pops_buf_dispose(&path);
		if (error < 0 || (error = pops_eval_prompt_parse(&c.jp, b.ptr, b.size, c.a->prompt)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
	}
	if (!(c.schema = pops_judge_output_schema(c.a->pass_score > 0))) {
		ret = cmd_fail(pops_error_oom());
		goto done;
	}
	if (!(c.f = fopen(opts->labels, "r"))) {
		ret = errno == ENOENT ? cmd_error(POPS_EXIT_USAGE, "%s: labels file not found", opts->labels) :
		      cmd_fail(pops_error_os(opts->labels));
		goto done;
	}
	po.config = ctx->config;
	po.concurrency = opts->jobs ? (unsigned)opts->jobs : POPS_PROVIDER_CONCURRENCY;
	po.cache = opts->no_cache ? POPS_CACHE_OFF : POPS_CACHE_USE;
	pops_buf_clear(&b);
	pops_path_join(&b, ctx->config->root, ".pops/cache");
	po.cache_dir = b.ptr;
	po.cancel = &cal_cancel;
	cal_cancel = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sig_set = 1;
	error = pops_provider_run(&po, next, done, &c);
	if (error == POPS_EINTR || cal_cancel) {
		ret = cmd_error(POPS_EXIT_INTERRUPTED, "interrupted");
		goto done;
	}
	if (error < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	pops_stats_agreement(&ag, c.tp, c.tn, c.fp, c.fn);
	printf("judge %s (%s) on %zu labelled outputs", alias, c.model_id, c.tp + c.tn + c.fp + c.fn);
	if (c.errors)
		printf(", %zu not graded (errors)", c.errors);
	printf("\n");
	rate("TPR", ag.tpr, ag.tpr_lo, ag.tpr_hi);
	rate("TNR", ag.tnr, ag.tnr_lo, ag.tnr_hi);
	rate("accuracy", ag.accuracy, ag.acc_lo, ag.acc_hi);
	rate("Cohen's kappa", ag.kappa, ag.kappa_lo, ag.kappa_hi);
	if (c.disagree.size)
		printf("disagreements and errors:\n%s", c.disagree.ptr);
done:
	if (sig_set)
		sigaction(SIGINT, &old_int, NULL);
	if (c.f)
		fclose(c.f);
	free(c.line);
	cJSON_Delete(c.schema);
	pops_eval_prompt_free(c.jp);
	pops_buf_dispose(&c.disagree);
	pops_buf_dispose(&b);
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
