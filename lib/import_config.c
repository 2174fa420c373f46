#include "common.h"
#include "import_int.h"
#include "configedit.h"
#include "models.h"
#include "strutil.h"

/*
 * An import's needs applied to pops.yaml: the providers, model aliases
 * and environments the imported prompts and suites name, so that the
 * project runs as imported. Edits go through configedit.h, as `pops
 * model pin` does, and the same floating-id rule holds.
 */

/* `{ type: openai, base_url: ..., api_key_env: ... }` */
static void provider_entry(pops_buf *out, const cJSON *p)
{
	const char *keys[] = { "type", "base_url", "api_key_env" };
	size_t i;
	int first = 1;

	pops_buf_puts(out, "{ ");
	for (i = 0; i < POPS_ARRAY_SIZE(keys); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, keys[i]);

		if (!cJSON_IsString(v))
			continue;
		pops_buf_printf(out, "%s%s: ", first ? "" : ", ", keys[i]);
		/* names as pops init writes them; anything else quoted */
		if (v->valuestring[0] && !v->valuestring[strspn(v->valuestring,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")])
			pops_buf_puts(out, v->valuestring);
		else
			pops_import__json_str(out, v->valuestring);
		first = 0;
	}
	pops_buf_puts(out, " }");
}

/* `{ provider: openai, id: "x", config: {...}, allow_floating: true }` */
static void model_entry(pops_buf *out, const cJSON *m, int floating)
{
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(m, "config");

	pops_buf_printf(out, "{ provider: %s, id: ",
	                cJSON_GetObjectItemCaseSensitive(m, "provider")->valuestring);
	pops_import__json_str(out, cJSON_GetObjectItemCaseSensitive(m, "id")->valuestring);
	if (config) {
		pops_buf_puts(out, ", config: ");
		pops_import__json(out, config);
	}
	pops_buf_puts(out, floating ? ", allow_floating: true }" : " }");
}

/* the type of provider `name`: pops.yaml's when it has one, else the import's */
static const char *provider_type(const pops_import *imp, const pops_config *cfg,
                                 const char *name)
{
	const pops_provider_cfg *pc = pops_config_provider(cfg, name);
	const cJSON *p;

	if (pc)
		return pc->type;
	cJSON_ArrayForEach(p, imp->providers)
		if (!strcmp(cJSON_GetObjectItem(p, "name")->valuestring, name))
			return cJSON_GetObjectItem(p, "type")->valuestring;
	return "";
}

/* apply one edit to `text`, through `tmp` */
static int edit(pops_buf *text, pops_buf *tmp, int error)
{
	if (error < 0)
		return error;
	return pops_buf_set(text, tmp->ptr, tmp->size) < 0 ?
	       pops_error_oom() : POPS_OK;
}

int pops_import_config(pops_buf *out, pops_buf *report, const pops_import *imp,
                       const pops_config *cfg, const char *yaml, size_t len,
                       const pops_import_config_options *o)
{
	static const pops_import_config_options defaults = POPS_IMPORT_CONFIG_OPTIONS_INIT;
	pops_buf tmp = POPS_BUF_INIT, entry = POPS_BUF_INIT;
	const cJSON *p, *m, *e;
	int error = POPS_OK;

	if (!o)
		o = &defaults;
	pops_buf_clear(report);
	if (pops_buf_set(out, yaml, len) < 0)
		return pops_error_oom();
	/* refuse before editing anything: a floating id, an alias taken */
	cJSON_ArrayForEach(m, imp->models) {
		const char *alias = cJSON_GetObjectItem(m, "alias")->valuestring;
		const char *prov = cJSON_GetObjectItem(m, "provider")->valuestring;
		const char *id = cJSON_GetObjectItem(m, "id")->valuestring;
		const char *where = cJSON_GetObjectItem(m, "where")->valuestring, *why;
		const pops_model_cfg *have = pops_config_model(cfg, alias);

		if (have && (cJSON_IsTrue(cJSON_GetObjectItem(m, "fallback")) ||
		             (!strcmp(have->provider, prov) && !strcmp(have->id, id))))
			continue;
		if (pops_model_floating(provider_type(imp, cfg, prov), id, &why) && !o->allow_floating) {
			const char *snap = pops_model_snapshot(id);

			error = pops_error_set(POPS_EINVALID, "%s%srefusing to pin floating model id '%s' "
			                       "(alias '%s'): %s; %s%s%s, or pass --allow-floating",
			                       where, *where ? ": " : "", id, alias, why,
			                       snap ? "use the dated snapshot '" : "name a dated snapshot",
			                       snap ? snap : "", snap ? "'" : "");
			goto done;
		}
		if (have && !o->force) {
			error = pops_error_set(POPS_EINVALID, "%s: model '%s' is %s/%s; the import "
			                       "would make it %s/%s: use --force to replace it",
			                       cfg->path, alias, have->provider, have->id, prov, id);
			goto done;
		}
	}
	cJSON_ArrayForEach(p, imp->providers) {
		const char *name = cJSON_GetObjectItem(p, "name")->valuestring;

		if (pops_config_provider(cfg, name))
			continue;
		pops_buf_clear(&entry);
		provider_entry(&entry, p);
		if ((error = edit(out, &tmp, pops_configedit_set(&tmp, out->ptr, out->size, "providers",
		                                                 name, entry.ptr))) < 0)
			goto done;
		pops_buf_printf(report, "added provider %s: %s\n", name, entry.ptr);
	}
	cJSON_ArrayForEach(m, imp->models) {
		const char *alias = cJSON_GetObjectItem(m, "alias")->valuestring;
		const char *prov = cJSON_GetObjectItem(m, "provider")->valuestring;
		const char *id = cJSON_GetObjectItem(m, "id")->valuestring, *why;
		const pops_model_cfg *have = pops_config_model(cfg, alias);

		if (have && cJSON_IsTrue(cJSON_GetObjectItem(m, "fallback"))) {
			pops_buf_printf(report, "kept model %s: %s/%s (the import would use %s/%s)\n",
			                alias, have->provider, have->id, prov, id);
			continue;
		}
		if (have && !strcmp(have->provider, prov) && !strcmp(have->id, id))
			continue;
		pops_buf_clear(&entry);
		model_entry(&entry, m, pops_model_floating(provider_type(imp, cfg, prov), id, &why));
		if ((error = edit(out, &tmp, pops_configedit_set(&tmp, out->ptr, out->size, "models",
		                                                 alias, entry.ptr))) < 0)
			goto done;
		pops_buf_printf(report, "%s model %s: %s/%s\n", have ? "replaced" : "added", alias,
		                prov, id);
	}
	cJSON_ArrayForEach(e, imp->environments) {
		if (pops_config_env(cfg, e->valuestring, NULL))
			continue;
		if ((error = edit(out, &tmp, pops_configedit_add_env(&tmp, out->ptr, out->size,
		                                                     e->valuestring))) < 0)
			goto done;
		pops_buf_printf(report, "added environment %s (last in the promotion order)\n",
		                e->valuestring);
	}
	if (pops_buf_oom(report) || pops_buf_oom(&entry))
		error = pops_error_oom();
done:
	pops_buf_dispose(&entry);
	pops_buf_dispose(&tmp);
	return error;
}
