#include "unit.h"
#include "provider.h"

static const char yaml[] =
	"version: 1\n"
	"pricing:\n"
	"  m1: { input: 1.0, output: 2.0, cached_input: 0.5 }\n"
	"  m2: { input: 1.0, output: 2.0 }\n";

TEST(cost_uses_pricing_and_unpriced_is_never_zero)
{
	pops_config *cfg = NULL;
	pops_provider_result r;

	CHECK_INT(pops_config_parse(&cfg, yaml, sizeof(yaml) - 1, "pops.yaml"), 0);
	memset(&r, 0, sizeof(r));
	r.input_tokens = 1000000;
	r.cached_tokens = 400000;
	r.output_tokens = 500000;
	pops_provider_price(&r, cfg, "m1");
	CHECK_INT(r.priced, 1);
	CHECK(r.cost_usd > 1.799999 && r.cost_usd < 1.800001);  /* 0.6 + 0.2 + 1.0 */
	pops_provider_price(&r, cfg, "m2");
	CHECK(r.cost_usd > 1.999999 && r.cost_usd < 2.000001);  /* cached at the input price */
	pops_provider_price(&r, cfg, "unknown-model");
	CHECK_INT(r.priced, 0);
	r.input_tokens = -1;
	pops_provider_price(&r, cfg, "m1");
	CHECK_INT(r.priced, 0);
	pops_config_free(cfg);
}

static int next_bad(void *payload, pops_provider_request *req)
{
	int *n = payload;
	static pops_provider_cfg p = { "x", "carrier-pigeon", NULL, NULL, NULL };
	static pops_provider_cfg q = { "y", "openai", "http://127.0.0.1:1", "POPS_TEST_UNSET_KEY_VAR", NULL };

	if (*n >= 2)
		return 0;
	req->provider = (*n)++ ? &q : &p;
	req->model_id = "m";
	return 1;
}

static char got_errors[2][200];
static int got_status[2], got_n;

static int done_bad(void *payload, pops_provider_result *res)
{
	(void)payload;
	if (got_n < 2) {
		got_status[got_n] = res->status;
		snprintf(got_errors[got_n++], sizeof(got_errors[0]), "%s", res->error ? res->error : "");
	}
	return 0;
}

TEST(unknown_type_and_missing_key_are_per_request_errors)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	int n = 0;

	unsetenv("POPS_TEST_UNSET_KEY_VAR");
	o.cache = POPS_CACHE_OFF;
	CHECK_INT(pops_provider_run(&o, next_bad, done_bad, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(got_n, 2);
	CHECK_INT(got_status[0], POPS_EINVALID);
	CHECK(strstr(got_errors[0], "unknown provider type 'carrier-pigeon'"));
	CHECK_INT(got_status[1], POPS_EINVALID);
	CHECK_STR(got_errors[1], "environment variable POPS_TEST_UNSET_KEY_VAR is not set (provider 'y' reads its API key from it)");
}

static int next_count(void *payload, pops_provider_request *req)
{
	int *n = payload;

	(*n)++;
	(void)req;
	return 0;
}

static int done_none(void *payload, pops_provider_result *res)
{
	(void)payload;
	(void)res;
	return 0;
}

TEST(a_set_cancel_flag_stops_before_taking_requests)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	volatile sig_atomic_t cancel = 1;
	int n = 0;

	o.cache = POPS_CACHE_OFF;
	o.cancel = &cancel;
	CHECK_INT(pops_provider_run(&o, next_count, done_none, &n), POPS_EINTR);
	CHECK_INT(n, 0);
}

static int stop_budget(void *payload, double spent)
{
	(void)payload;
	return spent >= 0;
}

TEST(a_budget_hook_that_says_stop_takes_no_request)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	int n = 0;

	o.cache = POPS_CACHE_OFF;
	o.budget = stop_budget;
	CHECK_INT(pops_provider_run(&o, next_count, done_none, &n), 0);
	CHECK_INT(n, 0);
}

TEST(replay_without_a_cassette_file_is_invalid)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	int n = 0;

	o.cassette_mode = POPS_CASSETTE_REPLAY;
	CHECK_INT(pops_provider_run(&o, next_count, done_none, &n), POPS_EINVALID);
	CHECK_ERR_HAS("need a cassette file");
}

/* three requests to a port nothing listens on, one at a time */
static int next_refused(void *payload, pops_provider_request *req)
{
	int *n = payload;
	static pops_provider_cfg p = { "down", "openai", "http://127.0.0.1:1/v1", NULL, NULL };
	static cJSON *msgs;

	if (!msgs)
		msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]");
	if (*n >= 3)
		return 0;
	(*n)++;
	req->provider = &p;
	req->model_id = "m";
	req->messages = msgs;
	return 1;
}

static int refused_unsent, refused_attempts[3], refused_n;
static char refused_error[200];

static int done_refused(void *payload, pops_provider_result *res)
{
	(void)payload;
	if (refused_n < 3)
		refused_attempts[refused_n++] = (int)res->attempts;
	if (res->unsent) {
		refused_unsent++;
		snprintf(refused_error, sizeof(refused_error), "%s", res->error);
	}
	return 0;
}

TEST(a_provider_that_refuses_connections_is_not_called_again)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	int n = 0;

	o.cache = POPS_CACHE_OFF;
	o.concurrency = 1;
	o.retry_base_ms = 1;
	CHECK_INT(pops_provider_run(&o, next_refused, done_refused, &n), 0);
	CHECK_INT(refused_n, 3);
	/* the first is retried only POPS_PROVIDER_DOWN_RETRIES times, the rest never sent */
	CHECK_INT(refused_attempts[0], 1 + POPS_PROVIDER_DOWN_RETRIES);
	CHECK_INT(refused_attempts[1], 0);
	CHECK_INT(refused_unsent, 2);
	CHECK_STR(refused_error, "not sent: provider 'down': connection refused at 127.0.0.1:1");
}
