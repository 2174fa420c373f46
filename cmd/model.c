#include "common.h"
#include "cmd.h"
#include "config.h"
#include "fileio.h"
#include "http.h"
#include "models.h"
#include "provider.h"
#include "strutil.h"
#include "table.h"
#include "wire.h"

#include <cjson/cJSON.h>
#include <time.h>

/*
 * `pops model pin|list|check|ping`: the aliases in pops.yaml and the
 * exact model snapshots behind them.
 */

struct model_opts {
	const char *alias;
	const char *target;
	int allow_floating;
	int json;
	int porcelain;
	int online;
	int strict;
	long timeout;
	long retries;
	int cache;
	long count;
	long jobs;
	const char *record;
	const char *replay;
};

POPS_CMD_OPTS_SIZE(model_pin, struct model_opts);
#define O struct model_opts
const pops_opt cmd_model_pin_opts[] = {
	OPT_BOOL(O, allow_floating, "allow-floating",
	         "pin an id that moves (like 'latest') and record that it was on purpose"),
	OPT_ARG(O, alias, "alias",
	        "the alias prompts and suites use", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_MODEL),
	OPT_ARG(O, target, "provider/id",
	        "a provider from pops.yaml and the provider's model id",
	        .flags = POPS_OPTF_REQUIRED),
	OPT_END
};
#undef O

POPS_CMD_OPTS_SIZE(model_list, struct model_opts);
#define O struct model_opts
const pops_opt cmd_model_list_opts[] = {
	OPT_BOOL(O, json, "json", "print the list as JSON"),
	OPT_BOOL(O, porcelain, "porcelain", "tab-separated rows, no header, even on a terminal"),
	OPT_END
};
#undef O

POPS_CMD_OPTS_SIZE(model_check, struct model_opts);
#define O struct model_opts
const pops_opt cmd_model_check_opts[] = {
	OPT_BOOL(O, online, "online",
	         "also ask each provider's model list whether the ids exist (network)"),
	OPT_BOOL(O, json, "json", "print the findings as JSON"),
	OPT_BOOL(O, porcelain, "porcelain", "tab-separated rows, no header, even on a terminal"),
	OPT_BOOL(O, strict, "strict",
	         "count warnings (allowed floating ids, unpriced models) as problems: exit 1"),
	OPT_END
};
#undef O

POPS_CMD_OPTS_SIZE(model_ping, struct model_opts);
#define O struct model_opts
const pops_opt cmd_model_ping_opts[] = {
	OPT_DURATION(O, timeout, "timeout", "duration", "give up after this long (default 30s)"),
	OPT_INT(O, retries, "max-attempts", "n", 1, 20,
	        "attempts before giving up, retries included (default 3)"),
	OPT_INT(O, count, "count", "n", 1, 1000000,
	        "send n requests (repeat indexes 0..n-1), one line each", .short_name = 'n'),
	OPT_INT(O, jobs, "jobs", "n", 1, 4096,
	        "requests in flight at once (default 1)", .short_name = 'j'),
	OPT_BOOL(O, cache, "cache", "answer from and fill the response cache (.pops/cache)"),
	OPT_PATH(O, record, "record", "file",
	         "record the response into this cassette", .complete = POPS_COMPLETE_FILE),
	OPT_PATH(O, replay, "replay", "file",
	         "answer from this cassette only (no network)", .complete = POPS_COMPLETE_FILE),
	OPT_ARG(O, alias, "alias",
	        "the model alias to call", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_MODEL),
	OPT_END
};
#undef O

const pops_cmd cmd_model_subcommands[] = {
	POPS_CMD_ROW("check", model_check, POPS_CMD_NEEDS_CONFIG,
	             "Report floating, retired, unpriced (and with --online, unknown) model ids"),
	POPS_CMD_ROW("list", model_list, POPS_CMD_NEEDS_CONFIG,
	             "List model aliases, their pinned ids and prices"),
	POPS_CMD_ROW("pin", model_pin, POPS_CMD_NEEDS_CONFIG,
	             "Pin an alias to an exact model snapshot in pops.yaml"),
	POPS_CMD_ROW("ping", model_ping, POPS_CMD_NEEDS_CONFIG,
	             "Send one tiny request to a model and report latency and tokens"),
	POPS_CMD_END
};

static const char *provider_type(const pops_config *cfg, const char *name)
{
	const pops_provider_cfg *p = pops_config_provider(cfg, name);

	return p ? p->type : "";
}

int cmd_model_pin(pops_ctx *ctx, void *o)
{
	struct model_opts *opts = o;
	pops_config *cfg = ctx->config, *check = NULL;
	pops_buf data = POPS_BUF_INIT, out = POPS_BUF_INIT, prov = POPS_BUF_INIT;
	const char *slash = strchr(opts->target, '/'), *id, *reason;
	const pops_provider_cfg *p;
	int ret = POPS_EXIT_OK, error;

	if (!slash || slash == opts->target || !slash[1]) {
		ret = cmd_error(POPS_EXIT_USAGE, "'%s' is not <provider>/<id>", opts->target);
		cmd_hint("for example: pops model pin fast openai/gpt-4o-mini-2024-07-18");
		goto done;
	}
	pops_buf_put(&prov, opts->target, (size_t)(slash - opts->target));
	id = slash + 1;
	if (!(p = pops_config_provider(cfg, prov.ptr))) {
		ret = cmd_error(POPS_EXIT_USAGE, "%s: no provider '%s' in 'providers'", cfg->path, prov.ptr);
		cmd_hint("add it under 'providers:' first (see pops.yaml(5))");
		goto done;
	}
	if (pops_model_floating(p->type, id, &reason) && !opts->allow_floating) {
		ret = cmd_error(POPS_EXIT_USAGE, "refusing to pin floating model id '%s': %s", id, reason);
		if (pops_model_snapshot(id))
			cmd_hint("pin the dated snapshot: pops model pin %s %s/%s (or pass --allow-floating "
			         "if moving weights are what you want)", opts->alias, prov.ptr,
			         pops_model_snapshot(id));
		else
			cmd_hint("pin a dated snapshot, or pass --allow-floating if moving weights are what you want");
		goto done;
	}
	if ((error = pops_file_read(&data, cfg->path, POPS_CONFIG_MAX_BYTES)) < 0 ||
	    (error = pops_model_pin_text(&out, data.ptr, data.size, opts->alias, prov.ptr, id,
	                                 opts->allow_floating && pops_model_floating(p->type, id, &reason))) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	/* never write a file pops itself would reject */
	if ((error = pops_config_parse(&check, out.ptr, out.size, cfg->path)) < 0) {
		ret = cmd_fail(error);
		cmd_hint("pops.yaml was left unchanged");
		goto done;
	}
	if ((error = pops_file_write_atomic(cfg->path, out.ptr, out.size, 0666)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	printf("pinned %s to %s/%s\n", opts->alias, prov.ptr, id);
done:
	pops_config_free(check);
	pops_buf_dispose(&prov);
	pops_buf_dispose(&data);
	pops_buf_dispose(&out);
	return ret;
}

static cJSON *price_json(const pops_price_cfg *pr)
{
	cJSON *o;

	if (!pr)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "input", pr->input);
	cJSON_AddNumberToObject(o, "output", pr->output);
	if (pr->cached_input >= 0)
		cJSON_AddNumberToObject(o, "cached_input", pr->cached_input);
	else
		cJSON_AddNullToObject(o, "cached_input");
	return o;
}

int cmd_model_list(pops_ctx *ctx, void *o)
{
	struct model_opts *opts = o;
	const pops_config *cfg = ctx->config;
	cmd_table t = CMD_TABLE_INIT(4);
	pops_buf model = POPS_BUF_INIT, price = POPS_BUF_INIT;
	size_t i;
	int ret;

	if (opts->json) {
		cJSON *root = cJSON_CreateObject(), *arr;
		char *s;

		cJSON_AddNumberToObject(root, "schema_version", 1);
		arr = cJSON_AddArrayToObject(root, "models");
		for (i = 0; i < cfg->nmodels; i++) {
			const pops_model_cfg *m = &cfg->models[i];
			const char *reason;
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "alias", m->alias);
			cJSON_AddStringToObject(e, "provider", m->provider);
			cJSON_AddStringToObject(e, "type", provider_type(cfg, m->provider));
			cJSON_AddStringToObject(e, "id", m->id);
			cJSON_AddBoolToObject(e, "floating",
			                      pops_model_floating(provider_type(cfg, m->provider), m->id, &reason));
			cJSON_AddBoolToObject(e, "allow_floating", m->allow_floating);
			cJSON_AddItemToObject(e, "price", price_json(pops_config_price(cfg, m->id)));
			cJSON_AddItemToArray(arr, e);
		}
		s = cJSON_Print(root);
		if (s)
			puts(s);
		free(s);
		cJSON_Delete(root);
		return POPS_EXIT_OK;
	}
	if (!cfg->nmodels) {
		cmd_note("no model aliases in %s; add one with 'pops model pin <alias> <provider>/<id>'",
		           cfg->path);
		return POPS_EXIT_OK;
	}
	cmd_table_row(&t, "ALIAS", "MODEL", "PRICE", "NOTE");
	for (i = 0; i < cfg->nmodels; i++) {
		const pops_model_cfg *m = &cfg->models[i];
		const pops_price_cfg *pr = pops_config_price(cfg, m->id);
		const char *reason, *note = "";

		pops_buf_clear(&model);
		pops_buf_clear(&price);
		pops_buf_printf(&model, "%s/%s", m->provider, m->id);
		if (pr)
			pops_buf_printf(&price, "$%g/$%g per 1M in/out", pr->input, pr->output);
		else
			pops_buf_puts(&price, "unpriced");
		if (pops_model_floating(provider_type(cfg, m->provider), m->id, &reason))
			note = m->allow_floating ? "floating (allowed)" : "floating";
		cmd_table_row(&t, m->alias, model.ptr, price.ptr, note);
	}
	ret = cmd_table_print(&t, ctx->stdout_tty, opts->porcelain);
	cmd_table_dispose(&t);
	pops_buf_dispose(&price);
	pops_buf_dispose(&model);
	return ret;
}

/* --online: fetch each provider's model list once */
typedef struct online {
	const pops_config *cfg;
	size_t next_provider;
	cJSON **lists;          /* per provider: array of ids, or NULL */
	char **errors;
} online;

static int online_next(void *payload, pops_http_job **out)
{
	online *on = payload;

	while (on->next_provider < on->cfg->nproviders) {
		size_t i = on->next_provider++;
		const pops_provider_cfg *p = &on->cfg->providers[i];
		pops_buf url = POPS_BUF_INIT;
		pops_http_job *job;
		const char *kh, *kp, *key = p->api_key_env ? getenv(p->api_key_env) : NULL;

		if (pops_wire_models_url(&url, p) < 0) {
			pops_buf_dispose(&url);
			continue;
		}
		job = pops_http_job_new();
		POPS_CHECK_ALLOC(job);
		job->url = pops_buf_detach(&url);
		job->user = (void *)(uintptr_t)i;
		if (!strcmp(p->type, "anthropic"))
			pops_http_job_header(job, "anthropic-version", POPS_ANTHROPIC_VERSION);
		pops_wire_key_header(p, &kh, &kp);
		if (kh && key && *key) {
			pops_buf v = POPS_BUF_INIT;

			pops_buf_printf(&v, "%s%s", kp, key);
			pops_http_job_header(job, kh, v.ptr);
			memset(v.ptr, 0, v.size);
			pops_buf_dispose(&v);
		}
		*out = job;
		return 1;
	}
	return 0;
}

static int online_done(void *payload, pops_http_job *job)
{
	online *on = payload;
	size_t i = (size_t)(uintptr_t)job->user;
	cJSON *root = NULL, *ids = cJSON_CreateArray();
	const cJSON *it, *list;
	pops_buf msg = POPS_BUF_INIT;

	if (job->status != POPS_OK || job->http_status != 200) {
		pops_buf_printf(&msg, "%s", job->error ? job->error : "request failed");
		on->errors[i] = pops_buf_detach(&msg);
		cJSON_Delete(ids);
		pops_http_job_free(job);
		return 0;
	}
	root = cJSON_ParseWithLength(job->response.ptr, job->response.size);
	list = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (!list)
		list = cJSON_GetObjectItemCaseSensitive(root, "models");
	cJSON_ArrayForEach(it, list) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");

		if (!cJSON_IsString(id))
			id = cJSON_GetObjectItemCaseSensitive(it, "name");
		if (cJSON_IsString(id))
			cJSON_AddItemToArray(ids, cJSON_CreateString(id->valuestring));
	}
	if (!cJSON_IsArray(list)) {
		on->errors[i] = pops_strdup("the model list reply has no 'data' or 'models' array");
		cJSON_Delete(ids);
	} else {
		on->lists[i] = ids;
	}
	cJSON_Delete(root);
	pops_http_job_free(job);
	return 0;
}

static int listed(const cJSON *ids, const char *id)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, ids)
		if (!strcmp(it->valuestring, id))
			return 1;
	return 0;
}

static void finding(cJSON *arr, cmd_table *t, int json, const char *level, const char *alias,
                    const char *id, const char *msg)
{
	if (json) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "level", level);
		cJSON_AddStringToObject(f, "alias", alias);
		cJSON_AddStringToObject(f, "id", id);
		cJSON_AddStringToObject(f, "message", msg);
		cJSON_AddItemToArray(arr, f);
		return;
	}
	cmd_table_row(t, level, alias, id, msg);
}

int cmd_model_check(pops_ctx *ctx, void *o)
{
	struct model_opts *opts = o;
	const pops_config *cfg = ctx->config;
	online on;
	cmd_table t = CMD_TABLE_INIT(4);
	cJSON *arr = cJSON_CreateArray();
	pops_buf msg = POPS_BUF_INIT;
	char today[16];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, problems = 0, warnings = 0;
	int ret = POPS_EXIT_OK, net_failed = 0;

	memset(&on, 0, sizeof(on));
	cmd_table_row(&t, "LEVEL", "ALIAS", "ID", "FINDING");
	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	if (opts->online) {
		pops_http_options ho = { 4, 30000, 120000, 2, 500, 5000, POPS_PROVIDER_MAX_BODY, NULL };
		int error;

		on.cfg = cfg;
		on.lists = calloc(cfg->nproviders + 1, sizeof(*on.lists));
		on.errors = calloc(cfg->nproviders + 1, sizeof(*on.errors));
		if (!on.lists || !on.errors) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			goto done;
		}
		if ((error = pops_http_run(&ho, online_next, online_done, &on)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
	}
	for (i = 0; i < cfg->nmodels; i++) {
		const pops_model_cfg *m = &cfg->models[i];
		const pops_provider_cfg *p = pops_config_provider(cfg, m->provider);
		const char *reason, *date, *repl;
		int r;

		pops_buf_clear(&msg);
		if (p && pops_model_floating(p->type, m->id, &reason)) {
			pops_buf_printf(&msg, "floating id: %s%s", reason,
			                m->allow_floating ? " (allowed by allow_floating)" : "");
			finding(arr, &t, opts->json, m->allow_floating ? "warning" : "problem", m->alias, m->id, msg.ptr);
			if (m->allow_floating)
				warnings++;
			else
				problems++;
			pops_buf_clear(&msg);
		}
		if ((r = pops_model_retired(m->id, today, &date, &repl))) {
			pops_buf_printf(&msg, "%s %s%s%s", r == 1 ? "retired on" : "retires on", date,
			                repl ? "; consider " : "", repl ? repl : "");
			finding(arr, &t, opts->json, r == 1 ? "problem" : "warning", m->alias, m->id, msg.ptr);
			if (r == 1)
				problems++;
			else
				warnings++;
			pops_buf_clear(&msg);
		}
		if (!pops_config_price(cfg, m->id)) {
			finding(arr, &t, opts->json, "warning", m->alias, m->id,
			        "unpriced: costs will be reported as unpriced (add it under 'pricing:')");
			warnings++;
		}
		if (opts->online && p) {
			size_t k = (size_t)(p - cfg->providers);

			if (on.errors[k]) {
				pops_buf_printf(&msg, "cannot read provider '%s' model list: %s", p->name, on.errors[k]);
				finding(arr, &t, opts->json, "error", m->alias, m->id, msg.ptr);
				net_failed = 1;
			} else if (on.lists[k] && !listed(on.lists[k], m->id)) {
				pops_buf_printf(&msg, "not in provider '%s' model list", p->name);
				finding(arr, &t, opts->json, "problem", m->alias, m->id, msg.ptr);
				problems++;
			}
		}
	}
	if (opts->json) {
		cJSON *root = cJSON_CreateObject();
		char *s;

		cJSON_AddNumberToObject(root, "schema_version", 1);
		cJSON_AddNumberToObject(root, "problems", (double)problems);
		cJSON_AddNumberToObject(root, "warnings", (double)warnings);
		cJSON_AddBoolToObject(root, "strict", opts->strict);
		cJSON_AddItemToObject(root, "findings", arr);
		arr = NULL;
		s = cJSON_Print(root);
		if (s)
			puts(s);
		free(s);
		cJSON_Delete(root);
	} else {
		if (t.nrows > 1 && (ret = cmd_table_print(&t, ctx->stdout_tty, opts->porcelain)))
			goto done;
		cmd_note("%zu model%s checked: %zu problem%s, %zu warning%s%s", cfg->nmodels,
		           cfg->nmodels == 1 ? "" : "s", problems, problems == 1 ? "" : "s",
		           warnings, warnings == 1 ? "" : "s",
		           opts->strict && warnings ? " (--strict: warnings count as problems)" : "");
	}
	/* --strict, for CI: a warning is something to fix too */
	ret = net_failed ? POPS_EXIT_PROVIDER :
	      problems || (opts->strict && warnings) ? POPS_EXIT_NEGATIVE : POPS_EXIT_OK;
done:
	/* one of the two arrays may be missing after an out-of-memory */
	if (on.lists && on.errors)
		for (i = 0; i < cfg->nproviders; i++) {
			cJSON_Delete(on.lists[i]);
			free(on.errors[i]);
		}
	free(on.lists);
	free(on.errors);
	cmd_table_dispose(&t);
	cJSON_Delete(arr);
	pops_buf_dispose(&msg);
	return ret;
}

struct ping {
	const pops_model_cfg *m;
	pops_provider_request req;
	long count, given;
	int worst;              /* exit code of the worst failure */
};

static int ping_next(void *payload, pops_provider_request *req)
{
	struct ping *pg = payload;

	if (pg->given >= pg->count)
		return 0;
	*req = pg->req;
	req->repeat = (unsigned)pg->given++;
	return 1;
}

static int ping_done(void *payload, pops_provider_result *res)
{
	struct ping *pg = payload;
	const pops_model_cfg *m = pg->m;

	if (res->status != POPS_OK) {
		int code = res->status == POPS_EINVALID ? POPS_EXIT_USAGE : POPS_EXIT_PROVIDER;

		cmd_error(code, "%s (%s/%s): %s", m->alias, m->provider, m->id,
		          res->error ? res->error : "request failed");
		if (!pg->worst || code == POPS_EXIT_USAGE)
			pg->worst = code;
		return 0;
	}
	printf("%s\t%s/%s\tlatency_ms=%.0f\tinput_tokens=%ld\toutput_tokens=%ld\tcached_tokens=%ld\t",
	       m->alias, m->provider, m->id, res->latency_ms, res->input_tokens, res->output_tokens,
	       res->cached_tokens);
	if (res->priced)
		printf("cost_usd=%.6f", res->cost_usd);
	else
		printf("cost=unpriced");
	printf("\tattempts=%u%s\n", res->attempts, res->cache_hit ? "\tcached" : "");
	return 0;
}

int cmd_model_ping(pops_ctx *ctx, void *o)
{
	struct model_opts *opts = o;
	const pops_config *cfg = ctx->config;
	const pops_model_cfg *m = pops_config_model(cfg, opts->alias);
	pops_provider_options po = POPS_PROVIDER_OPTIONS_INIT;
	struct ping pg;
	pops_buf cdir = POPS_BUF_INIT;
	cJSON *msgs = NULL, *conf = NULL;
	int ret = POPS_EXIT_OK, error;

	memset(&pg, 0, sizeof(pg));
	if (opts->record && opts->replay) {
		ret = cmd_error(POPS_EXIT_USAGE, "--record and --replay cannot be used together");
		goto done;
	}
	if (!m) {
		ret = cmd_error(POPS_EXIT_USAGE, "%s: no model alias '%s'", cfg->path, opts->alias);
		cmd_hint("see 'pops model list'");
		goto done;
	}
	msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":[{\"text\":\"Reply with the word pong.\"}]}]");
	conf = m->config ? cJSON_Duplicate(m->config, 1) : cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(conf, "max_tokens");
	cJSON_AddNumberToObject(conf, "max_tokens", 16);
	pg.m = m;
	pg.req.provider = pops_config_provider(cfg, m->provider);
	pg.req.model_id = m->id;
	pg.req.messages = msgs;
	pg.req.config = conf;
	pg.count = opts->count > 0 ? opts->count : 1;
	po.config = cfg;
	po.concurrency = opts->jobs > 0 ? (unsigned)opts->jobs : 1;
	po.cache = POPS_CACHE_OFF;
	if (opts->cache) {
		pops_buf_printf(&cdir, "%s/.pops/cache", cfg->root);
		po.cache = POPS_CACHE_USE;
		po.cache_dir = cdir.ptr;
	}
	if (opts->record) {
		po.cassette_mode = POPS_CASSETTE_RECORD;
		po.cassette = opts->record;
	} else if (opts->replay) {
		po.cassette_mode = POPS_CASSETTE_REPLAY;
		po.cassette = opts->replay;
	}
	po.max_retries = opts->retries > 0 ? (unsigned)opts->retries - 1 : 2;
	po.retry_base_ms = 200;
	po.deadline_ms = opts->timeout > 0 ? opts->timeout : 30000;
	po.timeout_ms = opts->timeout;   /* 0: the provider's own timeout */
	if ((error = pops_provider_run(&po, ping_next, ping_done, &pg)) < 0 && error != POPS_EINTR) {
		ret = cmd_fail(error);
		goto done;
	}
	ret = pg.worst;
done:
	pops_buf_dispose(&cdir);
	cJSON_Delete(msgs);
	cJSON_Delete(conf);
	return ret;
}
