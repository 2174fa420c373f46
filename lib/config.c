#include "common.h"
#include "config.h"
#include "fileio.h"
#include "shape.h"
#include "strutil.h"
#include "jsonget.h"

#include <unistd.h>

static const char *const provider_types[] = {
	"openai", "anthropic", "ollama", "exec", "replay", NULL
};

/* base_url defaults by provider type; exec and replay have none */
static const struct {
	const char *type;
	const char *base_url;
} default_urls[] = {
	{ "openai", "https://api.openai.com/v1" },
	{ "anthropic", "https://api.anthropic.com" },
	{ "ollama", "http://127.0.0.1:11434" },
};

static const pops_shape string_value = { "", POPS_SHAPE_STRING, NULL, 0, NULL, 0, 0 };
static const pops_shape any_value = { "", POPS_SHAPE_ANY, NULL, 0, NULL, 0, 0 };

static const pops_shape provider_fields[] = {
	{ "type", POPS_SHAPE_STRING, NULL, POPS_SHAPE_REQUIRED, provider_types, 0, 0 },
	{ "base_url", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "api_key_env", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "api_version", POPS_SHAPE_STRING, NULL, 0, NULL, 0, 0 },
	{ "headers", POPS_SHAPE_MAP, &string_value, 0, NULL, 0, 0 },
	{ "timeout", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0.001, 86400 },
	{ "max_concurrency", POPS_SHAPE_INT, NULL, POPS_SHAPE_RANGE, NULL, 1, 4096 },
	{ "command", POPS_SHAPE_STRING_OR_LIST, NULL, 0, NULL, 0, 0 },
	{ "cassette", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};
static const pops_shape provider_shape = { "", POPS_SHAPE_OBJECT, provider_fields, 0, NULL, 0, 0 };

static const pops_shape model_fields[] = {
	{ "provider", POPS_SHAPE_STRING, NULL, POPS_SHAPE_REQUIRED | POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "id", POPS_SHAPE_STRING, NULL, POPS_SHAPE_REQUIRED | POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "config", POPS_SHAPE_MAP, &any_value, 0, NULL, 0, 0 },
	{ "allow_floating", POPS_SHAPE_BOOL, NULL, 0, NULL, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};
static const pops_shape model_shape = { "", POPS_SHAPE_OBJECT, model_fields, 0, NULL, 0, 0 };

static const pops_shape price_fields[] = {
	{ "input", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_REQUIRED | POPS_SHAPE_RANGE, NULL, 0, 1e6 },
	{ "output", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_REQUIRED | POPS_SHAPE_RANGE, NULL, 0, 1e6 },
	{ "cached_input", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1e6 },
	{ "cache_write", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1e6 },
	{ "batch_input", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1e6 },
	{ "batch_output", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1e6 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};
static const pops_shape price_shape = { "", POPS_SHAPE_OBJECT, price_fields, 0, NULL, 0, 0 };

static const pops_shape calibrated_fields[] = {
	{ "min_kappa", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_REQUIRED | POPS_SHAPE_RANGE, NULL, -1, 1 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};
static const pops_shape require_fields[] = {
	{ "from", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "suites", POPS_SHAPE_STRING_OR_LIST, NULL, 0, NULL, 0, 0 },
	{ "min_pass_rate", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1 },
	{ "no_regression", POPS_SHAPE_BOOL, NULL, 0, NULL, 0, 0 },
	{ "approvals", POPS_SHAPE_INT, NULL, POPS_SHAPE_RANGE, NULL, 0, 100 },
	{ "calibrated_judges", POPS_SHAPE_OBJECT, calibrated_fields, 0, NULL, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};
static const pops_shape env_fields[] = {
	{ "name", POPS_SHAPE_STRING, NULL, POPS_SHAPE_REQUIRED | POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "require", POPS_SHAPE_OBJECT, require_fields, 0, NULL, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};
static const pops_shape env_shape = { "", POPS_SHAPE_OBJECT, env_fields, 0, NULL, 0, 0 };

static const pops_shape top_fields[] = {
	{ "version", POPS_SHAPE_INT, NULL, POPS_SHAPE_REQUIRED | POPS_SHAPE_RANGE, NULL, 1, 1 },
	{ "prompts", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "evals", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "providers", POPS_SHAPE_MAP, &provider_shape, 0, NULL, 0, 0 },
	{ "models", POPS_SHAPE_MAP, &model_shape, 0, NULL, 0, 0 },
	{ "pricing", POPS_SHAPE_MAP, &price_shape, 0, NULL, 0, 0 },
	{ "environments", POPS_SHAPE_LIST, &env_shape, 0, NULL, 0, 0 },
	{ "tools", POPS_SHAPE_MAP, &any_value, 0, NULL, 0, 0 },   /* checked by lib/tools.c */
	{ "embeddings", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};
static const pops_shape top_shape = { "", POPS_SHAPE_OBJECT, top_fields, 0, NULL, 0, 0 };

/*
 * Names end up in refs, tree paths and file names (ledger entries,
 * exports), so they are kept to a safe alphabet.
 */
static int valid_name(const char *s)
{
	if (!*s || *s == '-' || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static int valid_env_var(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* a directory named in pops.yaml must stay inside the project */
static int valid_rel_dir(const char *s)
{
	const char *p = s;

	if (*s == '/')
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

static int load_providers(pops_config *cfg, const cJSON *root)
{
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "providers"), *it;
	size_t n = (size_t)cJSON_GetArraySize(map), i = 0, k;

	if (!n)
		return POPS_OK;
	cfg->providers = calloc(n, sizeof(*cfg->providers));
	POPS_CHECK_ALLOC(cfg->providers);
	cJSON_ArrayForEach(it, map) {
		pops_provider_cfg *p = &cfg->providers[i++];

		p->name = it->string;
		p->node = it;
		p->type = pops_json_str(it, "type", "");
		p->api_key_env = pops_json_str(it, "api_key_env", NULL);
		p->base_url = pops_json_str(it, "base_url", NULL);
		for (k = 0; !p->base_url && k < POPS_ARRAY_SIZE(default_urls); k++)
			if (!strcmp(default_urls[k].type, p->type))
				p->base_url = default_urls[k].base_url;
		if (!valid_name(p->name))
			return pops_shape_error(cfg->doc, it,
			                        "provider name '%s' may only use letters, digits, '-', '_' and '.'",
			                        p->name);
		if (p->api_key_env && !valid_env_var(p->api_key_env))
			return pops_shape_error(cfg->doc, it,
			                        "'providers.%s.api_key_env' must name an environment variable (like OPENAI_API_KEY), not hold a key",
			                        p->name);
		if (!strcmp(p->type, "exec") &&
		    !cJSON_GetObjectItemCaseSensitive(it, "command"))
			return pops_shape_error(cfg->doc, it,
			                        "provider '%s' of type exec needs 'command'", p->name);
	}
	cfg->nproviders = n;
	return POPS_OK;
}

static int load_models(pops_config *cfg, const cJSON *root)
{
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "models"), *it;
	size_t n = (size_t)cJSON_GetArraySize(map), i = 0;

	if (!n)
		return POPS_OK;
	cfg->models = calloc(n, sizeof(*cfg->models));
	POPS_CHECK_ALLOC(cfg->models);
	cfg->nmodels = n;
	cJSON_ArrayForEach(it, map) {
		pops_model_cfg *m = &cfg->models[i++];

		m->alias = it->string;
		m->node = it;
		m->provider = pops_json_str(it, "provider", "");
		m->id = pops_json_str(it, "id", "");
		m->config = cJSON_GetObjectItemCaseSensitive(it, "config");
		m->allow_floating = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "allow_floating"));
		if (!valid_name(m->alias))
			return pops_shape_error(cfg->doc, it,
			                        "model alias '%s' may only use letters, digits, '-', '_' and '.'",
			                        m->alias);
		if (!pops_config_provider(cfg, m->provider))
			return pops_shape_error(cfg->doc, cJSON_GetObjectItemCaseSensitive(it, "provider"),
			                        "model '%s' uses provider '%s', which is not defined under 'providers'",
			                        m->alias, m->provider);
	}
	return POPS_OK;
}

static int load_prices(pops_config *cfg, const cJSON *root)
{
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "pricing"), *it;
	size_t n = (size_t)cJSON_GetArraySize(map), i = 0;

	if (!n)
		return POPS_OK;
	cfg->prices = calloc(n, sizeof(*cfg->prices));
	POPS_CHECK_ALLOC(cfg->prices);
	cfg->nprices = n;
	cJSON_ArrayForEach(it, map) {
		pops_price_cfg *p = &cfg->prices[i++];

		p->model_id = it->string;
		p->input = pops_json_num(it, "input", 0);
		p->output = pops_json_num(it, "output", 0);
		p->cached_input = pops_json_num(it, "cached_input", -1);
		p->cache_write = pops_json_num(it, "cache_write", -1);
		p->batch_input = pops_json_num(it, "batch_input", -1);
		p->batch_output = pops_json_num(it, "batch_output", -1);
	}
	return POPS_OK;
}

static int load_envs(pops_config *cfg, const cJSON *root)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "environments"), *it;
	size_t n = (size_t)cJSON_GetArraySize(list), i = 0, j;

	if (!list) {
		/* no environments key: the documented default order */
		static const char *const names[] = { "dev", "staging", "prod" };

		cfg->envs = calloc(3, sizeof(*cfg->envs));
		POPS_CHECK_ALLOC(cfg->envs);
		for (i = 0; i < 3; i++) {
			cfg->envs[i].name = names[i];
			cfg->envs[i].min_pass_rate = -1;
		}
		cfg->nenvs = 3;
		return POPS_OK;
	}
	if (!n)
		return POPS_OK;
	cfg->envs = calloc(n, sizeof(*cfg->envs));
	POPS_CHECK_ALLOC(cfg->envs);
	cJSON_ArrayForEach(it, list) {
		pops_env_cfg *e = &cfg->envs[i];
		const cJSON *req = cJSON_GetObjectItemCaseSensitive(it, "require");
		const cJSON *suites = cJSON_GetObjectItemCaseSensitive(req, "suites");

		e->node = it;
		e->name = pops_json_str(it, "name", "");
		e->from = pops_json_str(req, "from", NULL);
		e->min_pass_rate = pops_json_num(req, "min_pass_rate", -1);
		e->no_regression = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "no_regression"));
		e->approvals = (int)pops_json_num(req, "approvals", 0);
		{
			const cJSON *cal = cJSON_GetObjectItemCaseSensitive(req, "calibrated_judges");

			e->calibrated_judges = cal != NULL;
			e->min_kappa = pops_json_num(cal, "min_kappa", 0);
		}
		if (!valid_name(e->name))
			return pops_shape_error(cfg->doc, it,
			                        "environment name '%s' may only use letters, digits, '-', '_' and '.'",
			                        e->name);
		for (j = 0; j < i; j++)
			if (!strcmp(cfg->envs[j].name, e->name))
				return pops_shape_error(cfg->doc, it,
				                        "environment '%s' is defined twice", e->name);
		if (e->from) {
			for (j = 0; j < i; j++)
				if (!strcmp(cfg->envs[j].name, e->from))
					break;
			if (j == i)
				return pops_shape_error(cfg->doc, cJSON_GetObjectItemCaseSensitive(req, "from"),
				                        "environment '%s' requires 'from: %s', which is not an earlier environment",
				                        e->name, e->from);
		}
		if (cJSON_IsString(suites)) {
			e->nsuites = 1;
		} else if (cJSON_IsArray(suites)) {
			e->nsuites = (size_t)cJSON_GetArraySize(suites);
		}
		if (e->nsuites) {
			const cJSON *s;
			size_t k = 0;

			e->suites = calloc(e->nsuites, sizeof(*e->suites));
			POPS_CHECK_ALLOC(e->suites);
			if (cJSON_IsString(suites))
				e->suites[0] = suites->valuestring;
			else
				cJSON_ArrayForEach(s, suites)
					e->suites[k++] = s->valuestring;
		}
		i++;
		cfg->nenvs = i;
	}
	return POPS_OK;
}

static int set_root(pops_config *cfg, const char *path)
{
	const char *slash = strrchr(path, '/');

	cfg->path = pops_strdup(path);
	if (!slash)
		cfg->root = pops_strdup(".");
	else if (slash == path)
		cfg->root = pops_strdup("/");
	else
		cfg->root = pops_strndup(path, (size_t)(slash - path));
	if (!cfg->path || !cfg->root)
		return pops_error_oom();
	return POPS_OK;
}

int pops_config_parse(pops_config **out, const char *data, size_t len,
                      const char *path)
{
	pops_config *cfg = NULL;
	const cJSON *root;
	int error;

	*out = NULL;
	cfg = calloc(1, sizeof(*cfg));
	POPS_CHECK_ALLOC(cfg);
	if ((error = set_root(cfg, path)) < 0)
		goto done;
	if ((error = pops_yaml_parse(&cfg->doc, data, len, path, 0, NULL)) < 0)
		goto done;
	root = pops_yaml_root(cfg->doc);
	if (cJSON_IsNull(root)) {
		error = pops_error_set(POPS_EINVALID, "%s: file is empty; expected at least 'version: 1'",
		                       path);
		goto done;
	}
	if ((error = pops_shape_check(cfg->doc, root, &top_shape, NULL)) < 0)
		goto done;

	cfg->prompts_dir = pops_json_str(root, "prompts", "prompts");
	cfg->evals_dir = pops_json_str(root, "evals", "evals");
	cfg->embeddings = pops_json_str(root, "embeddings", NULL);
	if (!valid_rel_dir(cfg->prompts_dir) || !valid_rel_dir(cfg->evals_dir)) {
		const cJSON *bad = valid_rel_dir(cfg->prompts_dir)
		                       ? cJSON_GetObjectItemCaseSensitive(root, "evals")
		                       : cJSON_GetObjectItemCaseSensitive(root, "prompts");

		error = pops_shape_error(cfg->doc, bad,
		                         "'%s' must be a relative path inside the project (no '..', not absolute)",
		                         bad->string);
		goto done;
	}
	if ((error = load_providers(cfg, root)) < 0 ||
	    (error = load_models(cfg, root)) < 0 ||
	    (error = load_prices(cfg, root)) < 0 ||
	    (error = load_envs(cfg, root)) < 0)
		goto done;

done:
	if (error < 0) {
		pops_config_free(cfg);
		return error;
	}
	*out = cfg;
	return POPS_OK;
}

int pops_config_load(pops_config **out, const char *path)
{
	pops_buf data = POPS_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = pops_file_read(&data, path, POPS_CONFIG_MAX_BYTES)) < 0)
		goto done;
	error = pops_config_parse(out, data.ptr, data.size, path);
done:
	pops_buf_dispose(&data);
	return error;
}

int pops_config_find(pops_buf *out, const char *start, const char *stop)
{
	pops_buf dir = POPS_BUF_INIT;
	int error = POPS_ENOTFOUND;
	size_t stoplen = stop ? strlen(stop) : 0;

	while (stoplen > 1 && stop[stoplen - 1] == '/')
		stoplen--;
	pops_buf_sets(&dir, start);
	while (dir.size > 1 && dir.ptr[dir.size - 1] == '/')
		pops_buf_truncate(&dir, dir.size - 1);

	for (;;) {
		char *slash;

		pops_buf_clear(out);
		pops_path_join(out, dir.ptr, POPS_CONFIG_FILE);
		if (pops_buf_oom(out)) {
			error = pops_error_oom();
			break;
		}
		if (access(out->ptr, F_OK) == 0) {
			error = POPS_OK;
			break;
		}
		if (stop && dir.size <= stoplen)
			break;
		slash = strrchr(dir.ptr, '/');
		if (!slash || dir.size <= 1)
			break;
		pops_buf_truncate(&dir, slash == dir.ptr ? 1 : (size_t)(slash - dir.ptr));
	}
	if (error == POPS_ENOTFOUND) {
		pops_buf_clear(out);
		pops_error_set(POPS_ENOTFOUND,
		               "no %s found in '%s' or its parent directories", POPS_CONFIG_FILE,
		               start);
	}
	pops_buf_dispose(&dir);
	return error;
}

const pops_model_cfg *pops_config_model(const pops_config *cfg, const char *alias)
{
	size_t i;

	for (i = 0; i < cfg->nmodels; i++)
		if (!strcmp(cfg->models[i].alias, alias))
			return &cfg->models[i];
	return NULL;
}

const pops_provider_cfg *pops_config_provider(const pops_config *cfg,
                                              const char *name)
{
	size_t i;

	/* a config being loaded has entries not filled yet: their name is NULL */
	for (i = 0; i < cfg->nproviders; i++)
		if (cfg->providers[i].name && !strcmp(cfg->providers[i].name, name))
			return &cfg->providers[i];
	return NULL;
}

const pops_price_cfg *pops_config_price(const pops_config *cfg,
                                        const char *model_id)
{
	size_t i;

	for (i = 0; i < cfg->nprices; i++)
		if (!strcmp(cfg->prices[i].model_id, model_id))
			return &cfg->prices[i];
	return NULL;
}

const pops_env_cfg *pops_config_env(const pops_config *cfg, const char *name,
                                    size_t *index_out)
{
	size_t i;

	for (i = 0; i < cfg->nenvs; i++) {
		if (!strcmp(cfg->envs[i].name, name)) {
			if (index_out)
				*index_out = i;
			return &cfg->envs[i];
		}
	}
	return NULL;
}

void pops_config_free(pops_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nenvs; i++)
		free(cfg->envs[i].suites);
	free(cfg->envs);
	free(cfg->prices);
	free(cfg->models);
	free(cfg->providers);
	pops_yaml_free(cfg->doc);
	free(cfg->root);
	free(cfg->path);
	free(cfg);
}

const char *pops_config_template(void)
{
	return
"# pops project file. Reference: man 5 pops.yaml\n"
"version: 1\n"
"\n"
"# Directory of .prompt files; partials are named _name.prompt.\n"
"prompts: prompts\n"
"# Directory of eval suites (YAML).\n"
"evals: evals\n"
"\n"
"# Where models are served. API keys are read from the environment\n"
"# variable named by api_key_env and never written anywhere.\n"
"providers:\n"
"  openai:    { type: openai, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY }\n"
"  anthropic: { type: anthropic, api_key_env: ANTHROPIC_API_KEY }\n"
"  # Ollama, vLLM, llama.cpp server and LiteLLM speak the OpenAI protocol:\n"
"  local:     { type: openai, base_url: http://127.0.0.1:11434/v1 }\n"
"\n"
"# Model aliases used by prompts and suites. Pin exact snapshots\n"
"# (pops model pin ALIAS PROVIDER/ID), never floating names like *-latest.\n"
"models:\n"
"  fast:  { provider: openai, id: gpt-4o-mini-2024-07-18 }\n"
"  judge: { provider: anthropic, id: claude-sonnet-4-5-20250929 }\n"
"\n"
"# USD per million tokens. A model without a price is reported as\n"
"# unpriced, never as free.\n"
"pricing:\n"
"  gpt-4o-mini-2024-07-18:     { input: 0.15, output: 0.60, cached_input: 0.075 }\n"
"  claude-sonnet-4-5-20250929: { input: 3.00, output: 15.00, cached_input: 0.30 }\n"
"\n"
"# Promotion goes left to right; each environment may require evidence.\n"
"environments:\n"
"  - name: dev\n"
"  - name: staging\n"
"    # require: { suites: [evals/smoke.yaml] }\n"
"  - name: prod\n"
"    # require: { from: staging, suites: [evals/full.yaml], min_pass_rate: 0.95, no_regression: true }\n";
}
