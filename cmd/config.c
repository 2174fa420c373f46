#include "common.h"
#include "cmd.h"
#include "config.h"
#include "http_trace.h"

#include <cjson/cJSON.h>

/*
 * `pops config`: validate pops.yaml and show what pops understood from it,
 * with defaults filled in. Shows whether each API key variable is set,
 * never its value.
 */

struct config_opts {
	int json;
};

const pops_opt cmd_config_opts[] = {
	{ .type = POPS_OPT_BOOL, .name = "json", .offset = offsetof(struct config_opts, json),
	  .help = "print the configuration as JSON" },
	{ 0 }
};

static const char *key_state(const pops_provider_cfg *p)
{
	const char *v;

	if (!p->api_key_env)
		return "none";
	v = getenv(p->api_key_env);
	return v && *v ? "set" : "not set";
}

/*
 * base_url as pops config shows it: user information (a proxy's
 * "user:SECRET@") and key-like query values redacted, as POPS_DEBUG
 * traces them; NULL when out of memory. The caller frees.
 */
static char *shown_url(const char *url)
{
	pops_buf b = POPS_BUF_INIT;

	if (pops_http_redact_url(&b, url) < 0) {
		pops_buf_dispose(&b);
		return NULL;
	}
	return pops_buf_detach(&b);
}

static cJSON *to_json(const pops_config *cfg)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o;
	size_t i, j;

	cJSON_AddNumberToObject(root, "schema_version", 1);
	cJSON_AddStringToObject(root, "file", cfg->path);
	cJSON_AddStringToObject(root, "prompts", cfg->prompts_dir);
	cJSON_AddStringToObject(root, "evals", cfg->evals_dir);
	arr = cJSON_AddArrayToObject(root, "providers");
	for (i = 0; i < cfg->nproviders; i++) {
		const pops_provider_cfg *p = &cfg->providers[i];

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddStringToObject(o, "type", p->type);
		if (p->base_url) {
			char *u = shown_url(p->base_url);

			cJSON_AddStringToObject(o, "base_url", u ? u : "[redacted]");
			free(u);
		}
		if (p->api_key_env) {
			cJSON_AddStringToObject(o, "api_key_env", p->api_key_env);
			cJSON_AddBoolToObject(o, "api_key_set", !strcmp(key_state(p), "set"));
		}
		cJSON_AddItemToArray(arr, o);
	}
	arr = cJSON_AddArrayToObject(root, "models");
	for (i = 0; i < cfg->nmodels; i++) {
		const pops_model_cfg *m = &cfg->models[i];
		const pops_price_cfg *pr = pops_config_price(cfg, m->id);

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "alias", m->alias);
		cJSON_AddStringToObject(o, "provider", m->provider);
		cJSON_AddStringToObject(o, "id", m->id);
		if (pr) {
			cJSON *price = cJSON_AddObjectToObject(o, "price");

			cJSON_AddNumberToObject(price, "input", pr->input);
			cJSON_AddNumberToObject(price, "output", pr->output);
			cJSON_AddNumberToObject(price, "cached_input",
			                        pr->cached_input >= 0 ? pr->cached_input : pr->input);
		} else {
			cJSON_AddNullToObject(o, "price");
		}
		cJSON_AddItemToArray(arr, o);
	}
	arr = cJSON_AddArrayToObject(root, "environments");
	for (i = 0; i < cfg->nenvs; i++) {
		const pops_env_cfg *e = &cfg->envs[i];
		cJSON *req, *suites;

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", e->name);
		req = cJSON_AddObjectToObject(o, "require");
		if (e->from)
			cJSON_AddStringToObject(req, "from", e->from);
		suites = cJSON_AddArrayToObject(req, "suites");
		for (j = 0; j < e->nsuites; j++)
			cJSON_AddItemToArray(suites, cJSON_CreateString(e->suites[j]));
		if (e->min_pass_rate >= 0)
			cJSON_AddNumberToObject(req, "min_pass_rate", e->min_pass_rate);
		cJSON_AddBoolToObject(req, "no_regression", e->no_regression);
		cJSON_AddNumberToObject(req, "approvals", e->approvals);
		cJSON_AddItemToArray(arr, o);
	}
	return root;
}

static void print_text(const pops_ctx *ctx, const pops_config *cfg)
{
	const char *b = cmd_color(ctx, 1, "bold"), *r = cmd_color(ctx, 1, "reset");
	size_t i, j;

	printf("%sfile%s         %s\n", b, r, cfg->path);
	printf("%sprompts%s      %s/\n", b, r, cfg->prompts_dir);
	printf("%sevals%s        %s/\n", b, r, cfg->evals_dir);
	printf("%sproviders%s\n", b, r);
	for (i = 0; i < cfg->nproviders; i++) {
		const pops_provider_cfg *p = &cfg->providers[i];
		char *u = p->base_url ? shown_url(p->base_url) : NULL;

		printf("  %-12s %-9s %s", p->name, p->type,
		       !p->base_url ? "-" : u ? u : "[redacted]");
		free(u);
		if (p->api_key_env)
			printf("  (key from $%s: %s)", p->api_key_env, key_state(p));
		putchar('\n');
	}
	printf("%smodels%s\n", b, r);
	for (i = 0; i < cfg->nmodels; i++) {
		const pops_model_cfg *m = &cfg->models[i];
		const pops_price_cfg *pr = pops_config_price(cfg, m->id);

		printf("  %-12s %s/%s", m->alias, m->provider, m->id);
		if (pr)
			printf("  ($%g in, $%g out per Mtok)\n", pr->input, pr->output);
		else
			printf("  (unpriced)\n");
	}
	printf("%senvironments%s\n", b, r);
	for (i = 0; i < cfg->nenvs; i++) {
		const pops_env_cfg *e = &cfg->envs[i];
		int any = 0;

		printf("  %-12s", e->name);
		if (e->from)
			printf("%sfrom %s", any++ ? "; " : "", e->from);
		for (j = 0; j < e->nsuites; j++)
			printf("%s%s", j ? ", " : (any++ ? "; suites " : "suites "), e->suites[j]);
		if (e->min_pass_rate >= 0)
			printf("%smin_pass_rate %g", any++ ? "; " : "", e->min_pass_rate);
		if (e->no_regression)
			printf("%sno_regression", any++ ? "; " : "");
		if (e->approvals)
			printf("%s%d approvals", any++ ? "; " : "", e->approvals);
		if (!any)
			printf("no requirements");
		putchar('\n');
	}
}

int cmd_config(pops_ctx *ctx, void *o)
{
	struct config_opts *opts = o;
	cJSON *json;
	char *text;

	if (!opts->json) {
		print_text(ctx, ctx->config);
		return POPS_EXIT_OK;
	}
	json = to_json(ctx->config);
	text = json ? cJSON_Print(json) : NULL;
	cJSON_Delete(json);
	if (!text)
		return cmd_error(POPS_EXIT_RUNTIME, "out of memory");
	printf("%s\n", text);
	free(text);
	return POPS_EXIT_OK;
}
