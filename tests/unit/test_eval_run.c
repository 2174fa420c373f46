#include "unit.h"
#include <unistd.h>
#include "eval_run.h"
#include "fileio.h"
#include "report.h"
#include "strutil.h"

/*
 * The runner against an in-process fake engine: replies are a function
 * of the request (the rendered text echoed back), so results are exact.
 */
static char dir[] = "/tmp/pops-evalrun-XXXXXX";
static pops_config *cfg;
static volatile sig_atomic_t cancel_flag;
static int cancel_after = -1;      /* set cancel_flag after this many results */
static size_t fake_calls;

static const char *req_text(const pops_provider_request *req)
{
	const cJSON *m = cJSON_GetArrayItem(req->messages, 0);
	const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "content"), 0);

	return cJSON_GetObjectItem(c, "text")->valuestring;
}

static void fake_reply(pops_provider_result *res, const pops_provider_request *req)
{
	const char *t = req_text(req);
	pops_buf b = POPS_BUF_INIT;

	memset(res, 0, sizeof(*res));
	res->user = req->user;
	res->latency_ms = 10 + (double)strlen(t);
	res->input_tokens = 10;
	res->output_tokens = 5;
	res->priced = 1;
	res->cost_usd = 0.001;
	res->attempts = 1;
	if (strstr(t, "boom")) {
		res->status = POPS_EPROVIDER;
		res->error = pops_strdup("HTTP 500 after 3 attempts");
		return;
	}
	res->status = POPS_OK;
	if (req->output_schema) {
		/* the judge: grade outputs with "good"; answer prose for "prose" */
		if (strstr(t, "prose"))
			pops_buf_puts(&b, "I think this is fine.");
		else
			pops_buf_printf(&b, "Reasoning...\n{\"reasoning\":\"r\",\"verdict\":\"%s\"}",
			                strstr(t, "good") ? "pass" : "fail");
	} else {
		pops_buf_printf(&b, "echo: %s", t);
	}
	res->text = pops_buf_detach(&b);
	res->finish_reason = pops_strdup("stop");
}

static void fake_dispose(pops_provider_result *res)
{
	void *user = res->user;

	free(res->error);
	free(res->text);
	free(res->finish_reason);
	free(res->raw);
	memset(res, 0, sizeof(*res));
	res->user = user;
}

static int fake_engine(const pops_provider_options *o, pops_provider_next_fn next,
                       pops_provider_done_fn done, void *payload)
{
	pops_provider_result q[8];
	size_t n = 0, i, conc = o->concurrency && o->concurrency < 8 ? o->concurrency : 8;
	double spent = 0;
	int stop = 0, r, delivered = 0;

	for (;;) {
		while (!stop && n < conc) {
			pops_provider_request req;

			if ((o->cancel && *o->cancel) || (o->budget && o->budget(payload, spent))) {
				stop = 1;
				break;
			}
			memset(&req, 0, sizeof(req));
			if ((r = next(payload, &req)) < 0)
				return r;
			if (r == 0) {
				stop = 1;
				break;
			}
			fake_calls++;
			fake_reply(&q[n++], &req);
		}
		if (!n)
			break;
		if (o->cancel && *o->cancel) {
			for (i = 0; i < n; i++) {
				fake_dispose(&q[i]);
				q[i].status = POPS_EINTR;
				done(payload, &q[i]);
			}
			return POPS_EINTR;
		}
		spent += q[0].priced ? q[0].cost_usd : 0;
		r = done(payload, &q[0]);
		fake_dispose(&q[0]);
		memmove(q, q + 1, (n - 1) * sizeof(*q));
		n--;
		if (r < 0)
			return r;
		if (++delivered == cancel_after)
			cancel_flag = 1;
	}
	return 0;
}


static void put(const char *name, const char *text)
{
	pops_buf p = POPS_BUF_INIT;

	pops_path_join(&p, dir, name);
	pops_file_write_atomic(p.ptr, text, strlen(text), 0644);
	pops_buf_dispose(&p);
}

static void setup(void)
{
	static const char yaml[] =
		"version: 1\n"
		"providers: { fake: { type: openai, base_url: http://127.0.0.1:1/v1 } }\n"
		"models:\n  fast: { provider: fake, id: m-1 }\n  judge: { provider: fake, id: j-1 }\n"
		"  free: { provider: fake, id: unpriced-1 }\n"
		"pricing: { m-1: { input: 1, output: 2 }, j-1: { input: 1, output: 1 } }\n";

	if (cfg)
		return;
	if (!mkdtemp(dir))
		return;
	put("p.prompt", "---\nmodel: fast\n---\nSay {{word}}\n");
	put("d.jsonl",
	    "{\"id\":\"a\",\"vars\":{\"word\":\"apple\"},\"expected\":\"apple\"}\n"
	    "{\"id\":\"b\",\"vars\":{\"word\":\"good pear\"},\"expected\":\"pear\"}\n"
	    "{\"id\":\"c\",\"vars\":{\"word\":\"fig\"},\"expected\":\"plum\"}\n"
	    "{\"id\":\"d\",\"vars\":{\"word\":\"boom\"},\"expected\":\"x\"}\n");
	pops_config_parse(&cfg, yaml, strlen(yaml), "/tmp/pops.yaml");
}

static int run_suite(pops_eval_group **g, const char *suite_yaml, pops_eval_options *o)
{
	pops_suite *s = NULL;
	pops_buf path = POPS_BUF_INIT;
	int e;

	pops_path_join(&path, dir, "s.yaml");
	e = pops_suite_parse(&s, suite_yaml, strlen(suite_yaml), path.ptr);
	if (e == 0)
		e = pops_eval_run(g, s, o);
	pops_suite_free(s);
	pops_buf_dispose(&path);
	return e;
}

static pops_eval_options opts(void)
{
	pops_eval_options o;

	memset(&o, 0, sizeof(o));
	o.config = cfg;
	o.root = dir;
	o.threshold = -1;
	o.max_cost = -1;
	o.popts.concurrency = 4;
	o.engine = fake_engine;
	cancel_flag = 0;
	cancel_after = -1;
	o.popts.cancel = &cancel_flag;
	return o;
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItem(o, k)->valuedouble;
}

static char *suite_text(const char *rest)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_printf(&b, "prompt: \"%s/p.prompt\"\ndataset: d.jsonl\n%s", dir, rest);
	return pops_buf_detach(&b);
}

TEST(runner_scores_cases_and_keeps_errors_apart)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	setup();
	CHECK(cfg);
	o = opts();
	y = suite_text("threshold: 0.6\nmax_error_rate: 0.5\nassert:\n  - {type: icontains, value: \"{{expected}}\"}\n");
	CHECK_INT(run_suite(&g, y, &o), 0);
	free(y);
	CHECK_INT(num(g->summary, "cases"), 4);
	CHECK_INT(num(g->summary, "passed"), 2);
	CHECK_INT(num(g->summary, "failed"), 1);
	CHECK_INT(num(g->summary, "errors"), 1);
	/* errors are neither passes nor failures: 2 / 3 */
	CHECK(num(g->summary, "pass_rate") > 0.66 && num(g->summary, "pass_rate") < 0.67);
	CHECK_STR(cJSON_GetObjectItem(g->summary, "verdict")->valuestring, "pass");
	CHECK(num(g->summary, "cost_usd") > 0.0039 && num(g->summary, "cost_usd") < 0.0041);
	CHECK(g->complete);
	CHECK_STR(cJSON_GetObjectItem(g->evidence, "model")->valuestring, "m-1");
	CHECK_INT(strlen(cJSON_GetObjectItem(g->evidence, "fingerprint")->valuestring), 64);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(g->evidence, "case_results"), "a#0")));
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(g->evidence, "case_results"), "c#0")));
	CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(g->evidence, "case_results"), "d#0"));
	pops_eval_group_free(g);
}

TEST(runner_error_rate_over_limit_gives_error_verdict)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	setup();
	o = opts();
	y = suite_text("threshold: 0.1\nassert:\n  - {type: contains, value: echo}\n");
	CHECK_INT(run_suite(&g, y, &o), 0);
	free(y);
	CHECK_STR(cJSON_GetObjectItem(g->summary, "verdict")->valuestring, "error");
	CHECK(strstr(cJSON_GetObjectItem(g->summary, "reason")->valuestring, "1 of 4 runs failed with errors"));
	pops_eval_group_free(g);
}

TEST(runner_judge_prose_is_an_error_never_a_pass)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	pops_buf line = POPS_BUF_INIT;
	cJSON *rec = NULL;
	char *y;
	int n = 0;

	setup();
	o = opts();
	o.filter = "^[abc]$";
	y = suite_text("threshold: 0\nassert:\n  - {type: judge, model: judge, rubric: \"is it fine\"}\n"
	               "tests:\n  - {id: p, vars: {word: prose}}\n");
	o.dataset = NULL;
	CHECK_INT(run_suite(&g, y, &o), 0);
	free(y);
	CHECK_INT(num(g->summary, "passed"), 1);   /* b: "good pear" */
	CHECK_INT(num(g->summary, "failed"), 2);   /* a, c */
	CHECK_INT(num(g->summary, "errors"), 0);   /* p filtered out */
	rewind(g->spool);
	while (pops_report_spool_next(g->spool, &rec, &line) == 1)
		n++;
	CHECK_INT(n, 3);
	pops_eval_group_free(g);
	cJSON_Delete(rec);
	pops_buf_dispose(&line);

	o = opts();
	o.filter = "^p$";
	y = suite_text("assert:\n  - {type: judge, model: judge, rubric: \"is it fine\"}\n"
	               "tests:\n  - {id: p, vars: {word: prose}}\n");
	CHECK_INT(run_suite(&g, y, &o), 0);
	free(y);
	CHECK_INT(num(g->summary, "errors"), 1);
	CHECK_INT(num(g->summary, "passed"), 0);
	pops_eval_group_free(g);
}

TEST(runner_refuses_self_judging_before_any_request)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	setup();
	o = opts();
	fake_calls = 0;
	y = suite_text("assert:\n  - {type: judge, model: fast, rubric: r}\n");
	CHECK_INT(run_suite(&g, y, &o), POPS_EINVALID);
	CHECK_ERR_HAS("is the model under test");
	CHECK_INT(fake_calls, 0);
	free(y);
	y = suite_text("assert:\n  - {type: judge, model: fast, rubric: r, allow_self_judge: true}\n");
	CHECK_INT(run_suite(&g, y, &o), 0);
	pops_eval_group_free(g);
	free(y);
}

TEST(runner_bad_row_fails_before_any_request)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	setup();
	put("bad.jsonl", "{\"id\":\"a\",\"word\":\"x\"}\n{\"id\":\"b\",\"assert\":[{\"type\":\"nope\"}]}\n");
	o = opts();
	o.dataset = "bad.jsonl";
	fake_calls = 0;
	y = suite_text("");
	CHECK_INT(run_suite(&g, y, &o), POPS_EINVALID);
	CHECK_ERR_HAS("bad.jsonl:2: unknown assertion type 'nope'");
	CHECK_INT(fake_calls, 0);
	o.dataset = "missing.jsonl";
	CHECK_INT(run_suite(&g, y, &o), POPS_ENOTFOUND);
	CHECK_ERR_HAS("dataset 'missing.jsonl' not found");
	o.dataset = NULL;
	o.model = "fsat";
	CHECK_INT(run_suite(&g, y, &o), POPS_EINVALID);
	CHECK_ERR_HAS("unknown model 'fsat' (did you mean 'fast'?)");
	free(y);
}

TEST(runner_shards_partition_the_cases)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y = NULL;
	double total = 0;
	unsigned i;

	setup();
	y = suite_text("threshold: 0\nmax_error_rate: 1\n");
	for (i = 1; i <= 3; i++) {
		o = opts();
		o.shard = i;
		o.nshards = 3;
		CHECK_INT(run_suite(&g, y, &o), 0);
		total += num(g->summary, "cases");
		pops_eval_group_free(g);
	}
	free(y);
	CHECK_INT(total, 4);
}

TEST(runner_repeats_and_reports_pass_at_k)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	setup();
	o = opts();
	o.repeat = 3;
	o.filter = "^[abc]$";
	y = suite_text("threshold: 0\nassert:\n  - {type: icontains, value: \"{{expected}}\"}\n");
	CHECK_INT(run_suite(&g, y, &o), 0);
	free(y);
	CHECK_INT(num(g->summary, "cases"), 9);
	CHECK_INT(num(g->summary, "passed"), 6);
	CHECK(num(g->summary, "pass_at_k") > 0.66 && num(g->summary, "pass_at_k") < 0.67);
	pops_eval_group_free(g);
}

TEST(runner_cancel_marks_incomplete)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	setup();
	o = opts();
	o.popts.concurrency = 1;
	cancel_after = 2;
	y = suite_text("threshold: 0\nmax_error_rate: 1\n");
	CHECK_INT(run_suite(&g, y, &o), 0);
	free(y);
	CHECK(!g->complete);
	CHECK(g->interrupted);
	CHECK_INT(num(g->summary, "cases"), 2);
	CHECK_STR(cJSON_GetObjectItem(g->summary, "stopped")->valuestring, "interrupted");
	pops_eval_group_free(g);
}

TEST(runner_max_cost_stops_and_unpriced_is_refused)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	setup();
	o = opts();
	o.popts.concurrency = 1;
	o.max_cost = 0.0025;
	y = suite_text("threshold: 0\nmax_error_rate: 1\n");
	CHECK_INT(run_suite(&g, y, &o), 0);
	CHECK(!g->complete);
	CHECK(g->over_budget);
	CHECK(num(g->summary, "cases") < 4);
	CHECK(num(g->summary, "cost_usd") <= 0.0025);
	pops_eval_group_free(g);
	o.model = "free";
	CHECK_INT(run_suite(&g, y, &o), POPS_EINVALID);
	CHECK_ERR_HAS("--max-cost needs a price for 'unpriced-1'");
	free(y);
}

TEST(plan_counts_requests_and_estimates_cost)
{
	pops_suite *s = NULL;
	pops_eval_options o;
	cJSON *plan = NULL;
	char *y;

	setup();
	o = opts();
	o.repeat = 2;
	y = suite_text("assert:\n  - {type: judge, model: judge, rubric: r}\n");
	CHECK_INT(pops_suite_parse(&s, y, strlen(y), "s.yaml"), 0);
	fake_calls = 0;
	CHECK_INT(pops_eval_plan(&plan, s, &o), 0);
	CHECK_INT(fake_calls, 0);
	CHECK_INT(num(plan, "requests"), 8);
	CHECK_INT(num(plan, "judge_requests"), 8);
	CHECK_INT(num(plan, "output_tokens_est"), 8 * 256);
	CHECK(num(plan, "cost_usd_est") > 0);
	cJSON_Delete(plan);
	pops_suite_free(s);
	free(y);
}
