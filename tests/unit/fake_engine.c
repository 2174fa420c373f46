#include "common.h"
#include "fake_engine.h"
#include <unistd.h>
#include "eval_run.h"
#include "fileio.h"
#include "report.h"
#include "strutil.h"

/*
 * The runner against an in-process fake engine: replies are a function
 * of the request (the rendered text echoed back), so results are exact.
 */
char fe_dir[] = "/tmp/pops-evalrun-XXXXXX";
pops_config *fe_cfg;
volatile sig_atomic_t fe_cancel;
int fe_cancel_after = -1;      /* set fe_cancel after this many results */
size_t fe_calls;

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

int fe_engine(const pops_provider_options *o, pops_provider_next_fn next,
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
			fe_calls++;
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
		if (++delivered == fe_cancel_after)
			fe_cancel = 1;
	}
	return 0;
}


void fe_put(const char *name, const char *text)
{
	pops_buf p = POPS_BUF_INIT;

	pops_path_join(&p, fe_dir, name);
	pops_file_write_atomic(p.ptr, text, strlen(text), 0644);
	pops_buf_dispose(&p);
}

void fe_setup(void)
{
	static const char yaml[] =
		"version: 1\n"
		"providers: { fake: { type: openai, base_url: http://127.0.0.1:1/v1 } }\n"
		"models:\n  fast: { provider: fake, id: m-1 }\n  judge: { provider: fake, id: j-1 }\n"
		"  free: { provider: fake, id: unpriced-1 }\n"
		"pricing: { m-1: { input: 1, output: 2 }, j-1: { input: 1, output: 1 } }\n";

	if (fe_cfg)
		return;
	if (!mkdtemp(fe_dir))
		return;
	fe_put("p.prompt", "---\nmodel: fast\n---\nSay {{word}}\n");
	fe_put("d.jsonl",
	    "{\"id\":\"a\",\"vars\":{\"word\":\"apple\"},\"expected\":\"apple\"}\n"
	    "{\"id\":\"b\",\"vars\":{\"word\":\"good pear\"},\"expected\":\"pear\"}\n"
	    "{\"id\":\"c\",\"vars\":{\"word\":\"fig\"},\"expected\":\"plum\"}\n"
	    "{\"id\":\"d\",\"vars\":{\"word\":\"boom\"},\"expected\":\"x\"}\n");
	pops_config_parse(&fe_cfg, yaml, strlen(yaml), "/tmp/pops.yaml");
}

int fe_run_suite(pops_eval_group **g, const char *suite_yaml, pops_eval_options *o)
{
	pops_suite *s = NULL;
	pops_buf path = POPS_BUF_INIT;
	int e;

	pops_path_join(&path, fe_dir, "s.yaml");
	e = pops_suite_parse(&s, suite_yaml, strlen(suite_yaml), path.ptr);
	if (e == 0)
		e = pops_eval_run(g, s, o);
	pops_suite_free(s);
	pops_buf_dispose(&path);
	return e;
}

pops_eval_options fe_opts(void)
{
	pops_eval_options o;

	memset(&o, 0, sizeof(o));
	o.config = fe_cfg;
	o.root = fe_dir;
	o.threshold = -1;
	o.max_cost = -1;
	o.popts.concurrency = 4;
	o.engine = fe_engine;
	fe_cancel = 0;
	fe_cancel_after = -1;
	o.popts.cancel = &fe_cancel;
	return o;
}

double fe_num(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItem(o, k)->valuedouble;
}

char *fe_suite_text(const char *rest)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_printf(&b, "prompt: \"%s/p.prompt\"\ndataset: d.jsonl\n%s", fe_dir, rest);
	return pops_buf_detach(&b);
}

