#include "common.h"
#include "import_int.h"
#include "fileio.h"
#include "strutil.h"

#include <cjson/cJSON.h>

/*
 * `pops import promptfoo`: promptfooconfig.yaml -> prompts, model aliases,
 * one JSONL dataset and one suite per prompt. The mapping is documented
 * in import.h and pops-import(1); everything else becomes a note. Tests
 * and assertions are in import_promptfoo_cases.c.
 */

int pops_import__pf_note(struct pops_import_pf *pf, const cJSON *node, const char *fmt, ...)
{
	pops_buf msg = POPS_BUF_INIT;
	unsigned line = node ? pops_yaml_line(pf->doc, node) : 0;
	va_list ap;
	int error;

	va_start(ap, fmt);
	pops_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (line)
		error = pops_import__note(pf->imp, "%s:%u: %s", pf->cfg, line, msg.ptr);
	else
		error = pops_import__note(pf->imp, "%s: %s", pf->cfg, msg.ptr);
	pops_buf_dispose(&msg);
	return error;
}

int pops_import__sanitize(pops_buf *out, const char *s)
{
	int dash = 0;

	pops_buf_clear(out);
	for (; *s; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		    (c == '.' && out->size)) {
			pops_buf_putc(out, c);
			dash = 0;
		} else if (!dash && out->size) {
			pops_buf_putc(out, '-');
			dash = 1;
		}
	}
	while (out->size && (out->ptr[out->size - 1] == '-' || out->ptr[out->size - 1] == '.'))
		pops_buf_truncate(out, out->size - 1);
	return out->size > 0;
}

const char *pops_import__strip_file(const char *s)
{
	return pops_starts_with(s, "file://") ? s + 7 : s;
}

int pops_import__read_rel(pops_buf *out, struct pops_import_pf *pf, const char *name)
{
	pops_buf path = POPS_BUF_INIT;
	int error;

	name = pops_import__strip_file(name);
	if (name[0] == '/')
		pops_buf_sets(&path, name);
	else
		pops_path_join(&path, pf->dir.ptr, name);
	error = pops_file_read(out, path.ptr, POPS_PROMPT_MAX_BYTES);
	pops_buf_dispose(&path);
	return error;
}

/* ---- prompts ---- */

/* a unique prompt name from a hint (label, file name) or "prompt-N" */
static void prompt_name(pops_buf *out, struct pops_import_pf *pf, const char *hint)
{
	pops_buf base = POPS_BUF_INIT;
	const cJSON *p;
	int n = 1, taken;

	if (!hint || !pops_import__sanitize(&base, hint) || base.ptr[0] == '_')
		pops_buf_printf(&base, "%sprompt-%d", base.size ? "" : "",
		                cJSON_GetArraySize(pf->prompts) + 1);
	pops_buf_sets(out, base.ptr);
	do {
		taken = 0;
		cJSON_ArrayForEach(p, pf->prompts)
			if (!strcmp(cJSON_GetObjectItem(p, "name")->valuestring, out->ptr))
				taken = 1;
		if (taken) {
			pops_buf_clear(out);
			pops_buf_printf(out, "%s-%d", base.ptr, ++n);
		}
	} while (taken);
	pops_buf_dispose(&base);
}

/* chat JSON ([{role, content}]) -> role blocks; 0 when `text` is not one */
static int chat_to_body(pops_buf *body, const char *text)
{
	cJSON *msgs = NULL, *m;
	const char *p = text;
	int ok = 0;

	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	if (*p != '[' || !(msgs = cJSON_Parse(p)) || !cJSON_IsArray(msgs) ||
	    !cJSON_GetArraySize(msgs))
		goto done;
	cJSON_ArrayForEach(m, msgs) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");

		if (!cJSON_IsString(role) || !cJSON_IsString(content))
			goto done;
	}
	cJSON_ArrayForEach(m, msgs) {
		const char *role = cJSON_GetObjectItemCaseSensitive(m, "role")->valuestring;

		/* dotprompt calls the assistant "model" */
		pops_buf_printf(body, "{{role \"%s\"}}\n%s\n",
		                !strcmp(role, "assistant") ? "model" : role,
		                cJSON_GetObjectItemCaseSensitive(m, "content")->valuestring);
	}
	ok = 1;
done:
	cJSON_Delete(msgs);
	return ok;
}

/* Nunjucks that Handlebars does not share: tags and filters */
static int check_template(struct pops_import_pf *pf, const cJSON *node, const char *name,
                          const char *text)
{
	const char *p;
	int error = POPS_OK;

	if (strstr(text, "{%"))
		error = NOTE(pf, node, "prompt '%s' uses Nunjucks tags ({%% ... %%}), which "
		             "Handlebars lacks: rewrite them with {{#if}}/{{#each}}", name);
	for (p = text; !error && (p = strstr(p, "{{")); p += 2) {
		const char *end = strstr(p, "}}");
		const char *bar = strchr(p, '|');

		if (end && bar && bar < end) {
			error = NOTE(pf, node, "prompt '%s' uses a Nunjucks filter ('%.*s'): "
			             "Handlebars has none; the filter is left in the file",
			             name, (int)(end + 2 - p), p);
			break;
		}
	}
	return error;
}

static int add_prompt(struct pops_import_pf *pf, const cJSON *node, const char *hint,
                      const char *text, const char *where)
{
	pops_buf name = POPS_BUF_INIT, body = POPS_BUF_INIT;
	cJSON *o = cJSON_CreateObject();
	int error = POPS_OK;

	prompt_name(&name, pf, hint);
	if (!chat_to_body(&body, text)) {
		pops_buf_puts(&body, text);
		if (body.size && body.ptr[body.size - 1] != '\n')
			pops_buf_putc(&body, '\n');
	}
	if (!o || !cJSON_AddStringToObject(o, "name", name.ptr) ||
	    !cJSON_AddStringToObject(o, "body", body.ptr) ||
	    !cJSON_AddStringToObject(o, "where", where)) {
		cJSON_Delete(o);
		error = pops_error_oom();
		goto done;
	}
	cJSON_AddItemToArray(pf->prompts, o);
	error = check_template(pf, node, name.ptr, body.ptr);
done:
	pops_buf_dispose(&body);
	pops_buf_dispose(&name);
	return error;
}

/* basename without extension */
static void file_stem(pops_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/'), *dot;

	path = slash ? slash + 1 : path;
	dot = strrchr(path, '.');
	pops_buf_set(out, path, dot && dot != path ? (size_t)(dot - path) : strlen(path));
}

static int prompt_from_file(struct pops_import_pf *pf, const cJSON *node, const char *file,
                            const char *label)
{
	pops_buf data = POPS_BUF_INIT, stem = POPS_BUF_INIT, where = POPS_BUF_INIT;
	const char *name = pops_import__strip_file(file);
	int error;

	if (strpbrk(name, "*?[") || pops_ends_with(name, ".js") || pops_ends_with(name, ".py") ||
	    pops_ends_with(name, ".ts") || strchr(name, ':')) {
		error = NOTE(pf, node, "prompt '%s': globs and code-generated prompts (.js, .py, "
		             "function names) are not imported", file);
		goto done;
	}
	if ((error = pops_import__read_rel(&data, pf, name)) < 0) {
		error = NOTE(pf, node, "prompt '%s' not imported: %s", file, pops_error_last());
		goto done;
	}
	file_stem(&stem, name);
	pops_buf_printf(&where, "%s", name);
	if (!pops_ends_with(name, ".json") && strstr(data.ptr, "\n---\n")) {
		/* promptfoo reads several prompts from one text file split by --- */
		char *p = data.ptr, *sep;
		int i = 1;

		while (!error && p) {
			pops_buf one = POPS_BUF_INIT, hint = POPS_BUF_INIT;

			sep = strstr(p, "\n---\n");
			pops_buf_set(&one, p, sep ? (size_t)(sep - p) + 1 : strlen(p));
			pops_buf_printf(&hint, "%s-%d", label ? label : stem.ptr, i++);
			error = add_prompt(pf, node, hint.ptr, one.ptr, where.ptr);
			pops_buf_dispose(&hint);
			pops_buf_dispose(&one);
			p = sep ? sep + 5 : NULL;
		}
	} else {
		error = add_prompt(pf, node, label ? label : stem.ptr, data.ptr, where.ptr);
	}
done:
	pops_buf_dispose(&where);
	pops_buf_dispose(&stem);
	pops_buf_dispose(&data);
	return error;
}

static int map_prompt(struct pops_import_pf *pf, const cJSON *it, const char *label, int index)
{
	pops_buf where = POPS_BUF_INIT;
	int error;

	pops_buf_printf(&where, "prompts[%d]", index);
	if (cJSON_IsString(it)) {
		if (pops_starts_with(it->valuestring, "file://"))
			error = prompt_from_file(pf, it, it->valuestring, label);
		else
			error = add_prompt(pf, it, label, it->valuestring, where.ptr);
	} else if (cJSON_IsObject(it)) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
		const cJSON *raw = cJSON_GetObjectItemCaseSensitive(it, "raw");
		const cJSON *lab = cJSON_GetObjectItemCaseSensitive(it, "label");
		const char *l = cJSON_IsString(lab) ? lab->valuestring : label;

		if (cJSON_IsString(raw))
			error = add_prompt(pf, it, l, raw->valuestring, where.ptr);
		else if (cJSON_IsString(id) && pops_starts_with(id->valuestring, "file://"))
			error = prompt_from_file(pf, it, id->valuestring, l);
		else
			error = NOTE(pf, it, "%s: a prompt object needs 'raw' or a file:// 'id'",
			             where.ptr);
	} else {
		error = NOTE(pf, it, "%s: not a string or an object", where.ptr);
	}
	pops_buf_dispose(&where);
	return error;
}

static int map_prompts(struct pops_import_pf *pf, const cJSON *prompts)
{
	const cJSON *it;
	int error = POPS_OK, i = 0;

	if (cJSON_IsString(prompts))
		return map_prompt(pf, prompts, NULL, 0);
	if (cJSON_IsArray(prompts)) {
		cJSON_ArrayForEach(it, prompts)
			if ((error = map_prompt(pf, it, NULL, i++)) < 0)
				return error;
		return POPS_OK;
	}
	/* { "file://a.txt": "label", ... } */
	cJSON_ArrayForEach(it, prompts) {
		if (cJSON_IsString(it))
			error = prompt_from_file(pf, it, it->string, it->valuestring);
		else
			error = NOTE(pf, it, "prompts: '%s' should map to a label", it->string);
		if (error < 0)
			return error;
		i++;
	}
	return POPS_OK;
}

/* ---- providers ---- */

static const char *const request_config_keys[] = {
	"temperature", "max_tokens", "top_p", "seed", "stop", NULL
};

static int map_provider(struct pops_import_pf *pf, const cJSON *it)
{
	const char *id = NULL, *label = NULL, *prov, *model;
	const cJSON *config = NULL, *c;
	pops_buf alias = POPS_BUF_INIT, idbuf = POPS_BUF_INIT;
	cJSON *o = NULL, *cfg = NULL;
	int error = POPS_OK;

	if (cJSON_IsString(it)) {
		id = it->valuestring;
	} else if (cJSON_IsObject(it)) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "id");

		if (cJSON_IsString(v)) {
			id = v->valuestring;
			config = cJSON_GetObjectItemCaseSensitive(it, "config");
		} else if (cJSON_GetArraySize(it) == 1 && it->child->string) {
			/* { "openai:gpt-4o": { config: ... } } */
			id = it->child->string;
			config = cJSON_GetObjectItemCaseSensitive(it->child, "config");
			v = cJSON_GetObjectItemCaseSensitive(it->child, "label");
			label = cJSON_IsString(v) ? v->valuestring : NULL;
		}
		v = cJSON_GetObjectItemCaseSensitive(it, "label");
		if (cJSON_IsString(v))
			label = v->valuestring;
	}
	if (!id) {
		error = NOTE(pf, it, "providers: an entry without an id is not imported");
		goto done;
	}
	if (pf->mapping_judge)
		label = pf->judge;
	if (pops_starts_with(id, "openai:")) {
		prov = "openai";
		model = id + 7;
		if (pops_starts_with(model, "chat:"))
			model += 5;
	} else if (pops_starts_with(id, "anthropic:")) {
		prov = "anthropic";
		model = id + 10;
		if (pops_starts_with(model, "messages:"))
			model += 9;
	} else if (pops_starts_with(id, "ollama:")) {
		prov = "ollama";
		model = id + 7;
		if (pops_starts_with(model, "chat:"))
			model += 5;
	} else {
		error = NOTE(pf, it, "provider '%s' is not imported: pops maps openai:, "
		             "anthropic: and ollama: ids (declare others in pops.yaml by hand)", id);
		goto done;
	}
	if (pops_starts_with(model, "completion:") || !*model) {
		error = NOTE(pf, it, "provider '%s' is not imported: pops uses chat APIs only", id);
		goto done;
	}
	pops_buf_sets(&idbuf, model);
	if (!pops_import__sanitize(&alias, label ? label : model))
		pops_buf_sets(&alias, prov);
	cfg = cJSON_CreateObject();
	cJSON_ArrayForEach(c, config) {
		size_t k;

		for (k = 0; request_config_keys[k]; k++)
			if (!strcmp(c->string, request_config_keys[k]))
				break;
		if (request_config_keys[k])
			cJSON_AddItemToObject(cfg, c->string, cJSON_Duplicate(c, 1));
		else if ((error = NOTE(pf, c, "provider '%s': config '%s' is not imported "
		                       "(pops maps %s)", id, c->string,
		                       "temperature, max_tokens, top_p, seed, stop")) < 0)
			goto done;
	}
	if (!(o = cJSON_CreateObject()) || !cJSON_AddStringToObject(o, "alias", alias.ptr) ||
	    !cJSON_AddStringToObject(o, "provider", prov) ||
	    !cJSON_AddStringToObject(o, "id", idbuf.ptr)) {
		error = pops_error_oom();
		goto done;
	}
	pops_buf_clear(&idbuf);
	pops_buf_printf(&idbuf, "%s:%u", pf->cfg, pops_yaml_line(pf->doc, it));
	if ((error = pops_import__need_model(pf->imp, alias.ptr, prov,
	                                     cJSON_GetObjectItem(o, "id")->valuestring, cfg,
	                                     idbuf.ptr, pf->mapping_judge)) < 0)
		goto done;
	cJSON_AddItemToObject(o, "config", cfg);
	cfg = NULL;
	if (!pf->mapping_judge)
		cJSON_AddItemToArray(pf->aliases, o);
	else
		cJSON_Delete(o);
	o = NULL;
done:
	cJSON_Delete(o);
	cJSON_Delete(cfg);
	pops_buf_dispose(&idbuf);
	pops_buf_dispose(&alias);
	return error;
}

static int map_providers(struct pops_import_pf *pf, const cJSON *providers)
{
	const cJSON *it;
	int error;

	if (!providers)
		return POPS_OK;
	if (!cJSON_IsArray(providers))
		return map_provider(pf, providers);
	cJSON_ArrayForEach(it, providers)
		if ((error = map_provider(pf, it)) < 0)
			return error;
	return POPS_OK;
}

/*
 * promptfoo grades llm-rubric and friends with defaultTest.options.provider,
 * else its default grader; pops names the grader alias `judge`. It is a
 * fallback: a project whose pops.yaml has a judge keeps it.
 */
#define PROMPTFOO_DEFAULT_GRADER "openai:gpt-4.1-2025-04-14"

static int need_judge(struct pops_import_pf *pf, const cJSON *root)
{
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(root, "defaultTest"), "options");
	const cJSON *grader = cJSON_GetObjectItemCaseSensitive(opts, "provider");
	cJSON *dflt = NULL;
	int error;

	if (!pf->used_judge)
		return POPS_OK;
	if (!grader && !(grader = dflt = cJSON_CreateString(PROMPTFOO_DEFAULT_GRADER)))
		return pops_error_oom();
	pf->mapping_judge = 1;
	error = map_provider(pf, grader);
	pf->mapping_judge = 0;
	cJSON_Delete(dflt);
	return error;
}

static const char *const top_keys[] = {
	"description", "prompts", "providers", "tests", "defaultTest", NULL
};

static int write_prompts(struct pops_import_pf *pf)
{
	const cJSON *p, *first = cJSON_GetArrayItem(pf->aliases, 0);
	pops_buf path = POPS_BUF_INIT, desc = POPS_BUF_INIT;
	int error = POPS_OK;

	cJSON_ArrayForEach(p, pf->prompts) {
		const char *name = cJSON_GetObjectItem(p, "name")->valuestring;
		pops_buf *f;

		pops_buf_clear(&path);
		pops_buf_printf(&path, "%s/%s.prompt", pf->opts->prompts_dir, name);
		pops_buf_clear(&desc);
		pops_buf_printf(&desc, "Imported from %s (%s)", pf->cfg,
		                cJSON_GetObjectItem(p, "where")->valuestring);
		if (!(f = pops_import__add_file(pf->imp, path.ptr))) {
			error = pops_error_oom();
			break;
		}
		pops_buf_puts(f, "---\ndescription: ");
		pops_import__json_str(f, desc.ptr);
		pops_buf_putc(f, '\n');
		if (first)
			pops_buf_printf(f, "model: %s\n", cJSON_GetObjectItem(first, "alias")->valuestring);
		pops_buf_puts(f, "---\n");
		pops_buf_puts(f, cJSON_GetObjectItem(p, "body")->valuestring);
		pf->imp->nprompts++;
	}
	pops_buf_dispose(&desc);
	pops_buf_dispose(&path);
	return error;
}

int pops_import_promptfoo(pops_import **out, const char *config_path,
                          const pops_import_options *opts)
{
	static const pops_import_options defaults = POPS_IMPORT_OPTIONS_INIT;
	struct pops_import_pf pf;
	pops_buf data = POPS_BUF_INIT;
	const cJSON *root, *it;
	const char *slash;
	int error;

	*out = NULL;
	memset(&pf, 0, sizeof(pf));
	POPS_IMPORT_BUF_RESET(&pf.dir);
	POPS_IMPORT_BUF_RESET(&pf.stem);
	pf.opts = opts ? opts : &defaults;
	pf.cfg = config_path;
	pf.judge = "judge";
	if (!(pf.imp = pops_import__new()) || !(pf.prompts = cJSON_CreateArray()) ||
	    !(pf.aliases = cJSON_CreateArray()) || !(pf.rows = cJSON_CreateArray()) ||
	    !(pf.suite_asserts = cJSON_CreateArray())) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = pops_file_read(&data, config_path, POPS_CONFIG_MAX_BYTES)) < 0 ||
	    (error = pops_yaml_parse_file(&pf.doc, data.ptr, data.size, config_path, NULL)) < 0)
		goto done;
	root = pops_yaml_root(pf.doc);
	if (!cJSON_IsObject(root)) {
		error = pops_error_set(POPS_EINVALID,
		                       "%s: not a promptfoo configuration (expected a mapping)",
		                       config_path);
		goto done;
	}
	slash = strrchr(config_path, '/');
	if (slash)
		pops_buf_set(&pf.dir, config_path, slash == config_path ? 1 : (size_t)(slash - config_path));
	else
		pops_buf_sets(&pf.dir, ".");
	file_stem(&data, config_path);
	if (!pops_import__sanitize(&pf.stem, data.ptr))
		pops_buf_sets(&pf.stem, "promptfoo");

	cJSON_ArrayForEach(it, root) {
		size_t k;

		for (k = 0; top_keys[k] && strcmp(top_keys[k], it->string); k++)
			;
		if (!top_keys[k] && (error = NOTE(&pf, it, "key '%s' is not imported", it->string)) < 0)
			goto done;
	}
	if ((error = map_providers(&pf, cJSON_GetObjectItemCaseSensitive(root, "providers"))) < 0 ||
	    (error = map_prompts(&pf, cJSON_GetObjectItemCaseSensitive(root, "prompts"))) < 0)
		goto done;
	if (!cJSON_GetArraySize(pf.prompts)) {
		error = pops_error_set(POPS_EINVALID, "%s: no prompt could be imported%s", config_path,
		                       pf.imp->nunmapped ? " (see the notes)" : "");
		goto done;
	}
	if ((error = pops_import__pf_tests(&pf, root)) < 0 ||
	    (error = write_prompts(&pf)) < 0 ||
	    (error = pops_import__pf_write_suites(&pf)) < 0)
		goto done;
	error = need_judge(&pf, root);
done:
	cJSON_Delete(pf.suite_vars);
	cJSON_Delete(pf.suite_asserts);
	cJSON_Delete(pf.rows);
	cJSON_Delete(pf.aliases);
	cJSON_Delete(pf.prompts);
	pops_yaml_free(pf.doc);
	pops_buf_dispose(&pf.stem);
	pops_buf_dispose(&pf.dir);
	pops_buf_dispose(&data);
	if (error < 0) {
		pops_import_free(pf.imp);
		return error;
	}
	*out = pf.imp;
	return POPS_OK;
}
