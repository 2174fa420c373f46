#include "common.h"
#include "cmd.h"
#include "table.h"
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

POPS_CMD_OPTS_SIZE(config, struct config_opts);
#define O struct config_opts
const pops_opt cmd_config_opts[] = {
	OPT_BOOL(O, json, "json", "print the configuration as JSON"),
	OPT_END
};
#undef O

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

/* one section's rows, aligned by display width under its heading */
static int print_section(const pops_ctx *ctx, const char *title, cmd_table *t)
{
	pops_buf out = POPS_BUF_INIT;
	int error;

	printf("%s%s%s\n", cmd_color(ctx, 1, "bold"), title, cmd_color(ctx, 1, "reset"));
	if ((error = cmd_table_render(&out, t, "  ", 2)) == 0)
		fwrite(out.ptr, 1, out.size, stdout);
	pops_buf_dispose(&out);
	cmd_table_dispose(t);
	return error;
}

static int print_text(const pops_ctx *ctx, const pops_config *cfg)
{
	const char *b = cmd_color(ctx, 1, "bold"), *r = cmd_color(ctx, 1, "reset");
	cmd_table t = CMD_TABLE_INIT(4);
	pops_buf x = POPS_BUF_INIT, y = POPS_BUF_INIT;
	size_t i, j;
	int error = 0;

	printf("%sfile%s         %s\n", b, r, cfg->path);
	printf("%sprompts%s      %s/\n", b, r, cfg->prompts_dir);
	printf("%sevals%s        %s/\n", b, r, cfg->evals_dir);
	for (i = 0; i < cfg->nproviders; i++) {
		const pops_provider_cfg *p = &cfg->providers[i];
		char *u = p->base_url ? shown_url(p->base_url) : NULL;

		pops_buf_clear(&x);
		if (p->api_key_env)
			pops_buf_printf(&x, "(key from $%s: %s)", p->api_key_env, key_state(p));
		/* a base_url's user information and key-like query values are redacted */
		cmd_table_row(&t, p->name, p->type, !p->base_url ? "-" : u ? u : "[redacted]", x.ptr);
		free(u);
	}
	error |= print_section(ctx, "providers", &t);
	t = (cmd_table)CMD_TABLE_INIT(3);
	for (i = 0; i < cfg->nmodels; i++) {
		const pops_model_cfg *m = &cfg->models[i];
		const pops_price_cfg *pr = pops_config_price(cfg, m->id);

		pops_buf_clear(&x);
		pops_buf_clear(&y);
		pops_buf_printf(&x, "%s/%s", m->provider, m->id);
		if (pr)
			pops_buf_printf(&y, "($%g in, $%g out per Mtok)", pr->input, pr->output);
		else
			pops_buf_puts(&y, "(unpriced)");
		cmd_table_row(&t, m->alias, x.ptr, y.ptr);
	}
	error |= print_section(ctx, "models", &t);
	t = (cmd_table)CMD_TABLE_INIT(2);
	for (i = 0; i < cfg->nenvs; i++) {
		const pops_env_cfg *e = &cfg->envs[i];
		int any = 0;

		pops_buf_clear(&x);
		if (e->from)
			pops_buf_printf(&x, "%sfrom %s", any++ ? "; " : "", e->from);
		for (j = 0; j < e->nsuites; j++)
			pops_buf_printf(&x, "%s%s", j ? ", " : (any++ ? "; suites " : "suites "),
			                e->suites[j]);
		if (e->min_pass_rate >= 0)
			pops_buf_printf(&x, "%smin_pass_rate %g", any++ ? "; " : "", e->min_pass_rate);
		if (e->no_regression)
			pops_buf_printf(&x, "%sno_regression", any++ ? "; " : "");
		if (e->approvals)
			pops_buf_printf(&x, "%s%d approval%s", any++ ? "; " : "", e->approvals,
			                e->approvals == 1 ? "" : "s");
		if (!any)
			pops_buf_puts(&x, "no requirements");
		cmd_table_row(&t, e->name, x.ptr);
	}
	error |= print_section(ctx, "environments", &t);
	pops_buf_dispose(&y);
	error |= pops_buf_oom(&x);
	pops_buf_dispose(&x);
	return error ? cmd_error(POPS_EXIT_RUNTIME, "out of memory") : POPS_EXIT_OK;
}

int cmd_config(pops_ctx *ctx, void *o)
{
	struct config_opts *opts = o;
	cJSON *json;
	char *text;

	if (!opts->json)
		return print_text(ctx, ctx->config);
	json = to_json(ctx->config);
	text = json ? cJSON_Print(json) : NULL;
	cJSON_Delete(json);
	if (!text)
		return cmd_error(POPS_EXIT_RUNTIME, "out of memory");
	printf("%s\n", text);
	free(text);
	return POPS_EXIT_OK;
}
