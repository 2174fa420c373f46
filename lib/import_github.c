#include "common.h"
#include "import_int.h"
#include "fileio.h"
#include "strutil.h"

/*
 * `pops import github-models FILE.prompt.yml`: a GitHub Models prompt
 * file (the format `gh models eval` runs: name, description, model,
 * modelParameters, responseFormat, jsonSchema, messages, testData,
 * evaluators) -> a .prompt file, a JSONL dataset from testData and a
 * suite from evaluators. Models run on the `github` provider (the OpenAI
 * protocol at models.github.ai, with GITHUB_TOKEN), as gh models does.
 *
 * Semantics follow gh models: messages replace exactly `{{key}}` with a
 * test value (anything else in braces is text, so it is escaped for
 * Handlebars); string evaluators compare case-insensitively except
 * equals; an llm evaluator passes when the choice it answers scores > 0.
 */

struct gh {
	pops_import *imp;
	const pops_import_options *opts;
	const char *file;
	pops_yaml_doc *doc;
	pops_buf name;       /* the pops prompt name, from the file name */
	pops_buf alias;      /* the model alias of the prompt, or empty */
};

static int note(struct gh *g, const cJSON *node, const char *fmt, ...) POPS_PRINTF(3, 4);

static int note(struct gh *g, const cJSON *node, const char *fmt, ...)
{
	pops_buf msg = POPS_BUF_INIT;
	unsigned line = node ? pops_yaml_line(g->doc, node) : 0;
	va_list ap;
	int error;

	va_start(ap, fmt);
	pops_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (line)
		error = pops_import__note(g->imp, "%s:%u: %s", g->file, line, msg.ptr);
	else
		error = pops_import__note(g->imp, "%s: %s", g->file, msg.ptr);
	pops_buf_dispose(&msg);
	return error;
}

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/*
 * GitHub Models ids are publisher/model ("openai/gpt-4o-mini"); older
 * files name OpenAI models bare, which the current endpoint refuses.
 */
static void github_id(pops_buf *out, const char *model)
{
	pops_buf_clear(out);
	if (!strchr(model, '/') && (pops_starts_with(model, "gpt-") || pops_starts_with(model, "o1") ||
	                            pops_starts_with(model, "o3") || pops_starts_with(model, "o4")))
		pops_buf_puts(out, "openai/");
	pops_buf_puts(out, model);
}

/* a model alias for a GitHub Models id: "openai/gpt-4o" -> "gpt-4o" */
static int need_model(struct gh *g, pops_buf *alias, const char *model, const cJSON *node,
                      int fallback_judge)
{
	pops_buf id = POPS_BUF_INIT, where = POPS_BUF_INIT;
	const char *slash;
	int error;

	github_id(&id, model);
	slash = strrchr(id.ptr, '/');
	if (fallback_judge)
		pops_buf_sets(alias, "judge");
	else if (!pops_import__sanitize(alias, slash ? slash + 1 : id.ptr))
		pops_buf_sets(alias, "github");
	pops_buf_printf(&where, "%s:%u", g->file, node ? pops_yaml_line(g->doc, node) : 0);
	error = pops_import__need_model(g->imp, alias->ptr, "github", id.ptr, NULL, where.ptr,
	                                fallback_judge);
	pops_buf_dispose(&where);
	pops_buf_dispose(&id);
	return error;
}

/* gh models replaces exactly {{key}}: other braces are text, so escape them */
static void put_content(pops_buf *out, const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		if (p[0] == '{' && p[1] == '{') {
			size_t n = 0;

			while (isalnum((unsigned char)p[2 + n]) || p[2 + n] == '_')
				n++;
			if (!(n && p[2 + n] == '}' && p[3 + n] == '}' &&
			      (isalpha((unsigned char)p[2]) || p[2] == '_'))) {
				pops_buf_puts(out, "\\{{");
				p++;
				continue;
			}
		}
		pops_buf_putc(out, *p);
	}
}

static int write_prompt(struct gh *g, const cJSON *root)
{
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages"), *m;
	const cJSON *mp = cJSON_GetObjectItemCaseSensitive(root, "modelParameters");
	const char *desc = str(root, "description"), *title = str(root, "name");
	const char *model = str(root, "model"), *rf = str(root, "responseFormat");
	pops_buf path = POPS_BUF_INIT, *f;
	cJSON *config = cJSON_CreateObject(), *schema = NULL;
	const cJSON *k;
	int error = POPS_OK;

	POPS_CHECK_ALLOC(config);
	if (!cJSON_IsArray(msgs) || !cJSON_GetArraySize(msgs)) {
		error = pops_error_set(POPS_EINVALID, "%s: not a GitHub Models prompt file (no "
		                       "'messages' list)", g->file);
		goto done;
	}
	if (model && (error = need_model(g, &g->alias, model,
	                                 cJSON_GetObjectItemCaseSensitive(root, "model"), 0)) < 0)
		goto done;
	/* modelParameters -> the request settings pops sends */
	cJSON_ArrayForEach(k, mp) {
		const char *to = !strcmp(k->string, "maxTokens") ? "max_tokens" :
		                 !strcmp(k->string, "temperature") ? "temperature" :
		                 !strcmp(k->string, "topP") ? "top_p" : NULL;

		if (to && cJSON_IsNumber(k))
			cJSON_AddNumberToObject(config, to, k->valuedouble);
		else if ((error = note(g, k, "modelParameters.%s is not imported (pops maps maxTokens, "
		                       "temperature, topP)", k->string)) < 0)
			goto done;
	}
	if (rf && !strcmp(rf, "json_schema")) {
		const char *js = str(root, "jsonSchema");
		cJSON *parsed = js ? cJSON_Parse(js) : NULL;

		schema = parsed ? cJSON_DetachItemFromObjectCaseSensitive(parsed, "schema") : NULL;
		cJSON_Delete(parsed);
		if (!schema && (error = note(g, cJSON_GetObjectItemCaseSensitive(root, "jsonSchema"),
		                             "jsonSchema is not a JSON string with a 'schema'; the "
		                             "output is JSON without a schema")) < 0)
			goto done;
	}
	pops_buf_printf(&path, "%s/%s.prompt", g->opts->prompts_dir, g->name.ptr);
	if (!(f = pops_import__add_file(g->imp, path.ptr))) {
		error = pops_error_oom();
		goto done;
	}
	pops_buf_puts(f, "---\n");
	if (desc || title) {
		pops_buf_puts(f, "description: ");
		pops_import__json_str(f, desc ? desc : title);
		pops_buf_putc(f, '\n');
	}
	if (g->alias.size)
		pops_buf_printf(f, "model: %s\n", g->alias.ptr);
	if (cJSON_GetArraySize(config)) {
		pops_buf_puts(f, "config: ");
		pops_import__json(f, config);
		pops_buf_putc(f, '\n');
	}
	if (rf && strcmp(rf, "text")) {
		pops_buf_puts(f, "output:\n  format: json\n");
		if (schema) {
			pops_buf_puts(f, "  schema: ");
			pops_import__json(f, schema);
			pops_buf_putc(f, '\n');
		}
	}
	if (title) {
		/* the display name, so an export can give it back */
		pops_buf_puts(f, "metadata:\n  github_models: {\"name\": ");
		pops_import__json_str(f, title);
		pops_buf_puts(f, "}\n");
	}
	pops_buf_puts(f, "---\n");
	cJSON_ArrayForEach(m, msgs) {
		const char *role = str(m, "role"), *content = str(m, "content");

		if (!role || !content) {
			if ((error = note(g, m, "a message without a role and a content is not "
			                  "imported")) < 0)
				goto done;
			continue;
		}
		pops_buf_printf(f, "{{role \"%s\"}}\n", !strcmp(role, "assistant") ? "model" : role);
		put_content(f, content);
		if (!*content || content[strlen(content) - 1] != '\n')
			pops_buf_putc(f, '\n');
	}
	g->imp->nprompts++;
	if (pops_buf_oom(f))
		error = pops_error_oom();
done:
	cJSON_Delete(schema);
	cJSON_Delete(config);
	pops_buf_dispose(&path);
	return error;
}

/* `s` as a PCRE2 literal, each metacharacter escaped (no \Q..\E: the text may hold \E) */
static void regex_quote(pops_buf *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\^$.|?*+()[]{}/", *s))
			pops_buf_putc(out, '\\');
		pops_buf_putc(out, *s);
	}
}

/* gh models' string evaluators: equals exact, the others case-insensitive */
static int string_eval(struct gh *g, cJSON *out, const cJSON *ev, const cJSON *s)
{
	const char *eq = str(s, "equals"), *co = str(s, "contains");
	const char *sw = str(s, "startsWith"), *ew = str(s, "endsWith");
	cJSON *a = cJSON_CreateObject();
	pops_buf re = POPS_BUF_INIT;
	const char *v = eq ? eq : co ? co : sw ? sw : ew;

	POPS_CHECK_ALLOC(a);
	if (eq) {
		cJSON_AddStringToObject(a, "type", "equals");
		cJSON_AddStringToObject(a, "value", eq);
	} else if (co) {
		cJSON_AddStringToObject(a, "type", "icontains");
		cJSON_AddStringToObject(a, "value", co);
	} else if (sw || ew) {
		/* starts-with is case-sensitive; gh models is not */
		pops_buf_puts(&re, "(?i)");
		if (sw)
			pops_buf_putc(&re, '^');
		regex_quote(&re, sw ? sw : ew);
		if (ew)
			pops_buf_puts(&re, "\\z");
		cJSON_AddStringToObject(a, "type", "regex");
		cJSON_AddStringToObject(a, "value", re.ptr);
	} else {
		cJSON_Delete(a);
		pops_buf_dispose(&re);
		return note(g, ev, "evaluator '%s': a string evaluator needs equals, contains, "
		            "startsWith or endsWith; not imported", str(ev, "name"));
	}
	if (str(ev, "name"))
		cJSON_AddStringToObject(a, "description", str(ev, "name"));
	cJSON_AddItemToArray(out, a);
	pops_buf_dispose(&re);
	if (v && strstr(v, "{{"))
		return note(g, ev, "evaluator '%s': its value holds '{{', which pops expands from the "
		            "case's variables (gh models does not)", str(ev, "name"));
	return POPS_OK;
}

/* gh models' llm templates name the response {{completion}}: say it in words */
static void rubric_text(pops_buf *out, const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		if (!strncmp(p, "{{completion}}", 14)) {
			pops_buf_puts(out, "<the output>");
			p += 13;
		} else if (!strncmp(p, "{{expected}}", 12)) {
			pops_buf_puts(out, "<the reference answer>");
			p += 11;
		} else if (!strncmp(p, "{{input}}", 9)) {
			pops_buf_puts(out, "<the input>");
			p += 8;
		} else {
			pops_buf_putc(out, *p);
		}
	}
}

/* a judge for an llm evaluator; choices scoring > 0 pass */
static int llm_eval(struct gh *g, cJSON *out, const cJSON *ev, const cJSON *llm,
                    const char *rubric, const char *system, int builtin)
{
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(llm, "choices"), *c;
	const char *model = llm ? str(llm, "modelId") : NULL;
	pops_buf text = POPS_BUF_INIT, alias = POPS_BUF_INIT, pass = POPS_BUF_INIT,
	         fail = POPS_BUF_INIT;
	cJSON *a = cJSON_CreateObject();
	int error = POPS_OK, numeric = 1, min_pass = 6;

	POPS_CHECK_ALLOC(a);
	cJSON_ArrayForEach(c, choices) {
		const char *ch = str(c, "choice");
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(c, "score");
		long n;

		if (!ch)
			continue;
		if (pops_parse_long(&n, ch, 1, 5) < 0)
			numeric = 0;
		else if (cJSON_IsNumber(sc) && sc->valuedouble > 0 && n < min_pass)
			min_pass = (int)n;
		pops_buf_printf(cJSON_IsNumber(sc) && sc->valuedouble > 0 ? &pass : &fail, "%s'%s'",
		                (cJSON_IsNumber(sc) && sc->valuedouble > 0 ? pass.size : fail.size) ?
		                ", " : "", ch);
	}
	pops_error_clear();
	if (system) {
		rubric_text(&text, system);
		pops_buf_puts(&text, "\n\n");
	}
	rubric_text(&text, rubric);
	while (text.size && isspace((unsigned char)text.ptr[text.size - 1]))
		pops_buf_truncate(&text, text.size - 1);
	if (!numeric && pass.size)
		pops_buf_printf(&text, "\n\nThe output passes when your answer to the above is one of "
		                "%s%s%s.", pass.ptr, fail.size ? "; it fails for " : "", fail.ptr);
	if ((error = need_model(g, &alias, builtin || !model ? "openai/gpt-4o" : model,
	                        llm ? cJSON_GetObjectItemCaseSensitive(llm, "modelId") : ev,
	                        builtin || !model)) < 0)
		goto done;
	cJSON_AddStringToObject(a, "type", "judge");
	cJSON_AddStringToObject(a, "model", alias.ptr);
	cJSON_AddStringToObject(a, "rubric", text.ptr);
	/* 1-5 choices are pops' scored verdict: the lowest choice that scored > 0 passes */
	if (numeric && min_pass <= 5)
		cJSON_AddNumberToObject(a, "pass_score", min_pass);
	/* gh models grades with whatever model the evaluator names, the tested one too */
	if (!strcmp(alias.ptr, g->alias.ptr))
		cJSON_AddTrueToObject(a, "allow_self_judge");
	if (str(ev, "name"))
		cJSON_AddStringToObject(a, "description", str(ev, "name"));
	cJSON_AddItemToArray(out, a);
	a = NULL;
done:
	cJSON_Delete(a);
	pops_buf_dispose(&fail);
	pops_buf_dispose(&pass);
	pops_buf_dispose(&alias);
	pops_buf_dispose(&text);
	return error;
}

/* gh models' built-in evaluators (`uses: github/<name>`), as pops rubrics on a 1-5 scale */
static const struct {
	const char *name, *rubric;
} builtins[] = {
	{ "similarity", "Score how equivalent in meaning the output is to the reference answer, "
	                "1 (not at all) to 5 (completely)." },
	{ "coherence", "Score how logically organised and easy to follow the output is as an "
	               "answer to the input, 1 (incoherent) to 5 (highly coherent)." },
	{ "fluency", "Score the output's grammar, vocabulary and readability, 1 (barely "
	             "comprehensible) to 5 (flawless and eloquent)." },
	{ "relevance", "Score how well the output addresses the input, 1 (off topic) to 5 "
	               "(fully relevant and complete)." },
	{ "groundedness", "Score how far the output's claims are supported by the context in the "
	                  "input, 1 (unsupported) to 5 (fully grounded)." },
};

static int map_evaluators(struct gh *g, cJSON *out, const cJSON *evs)
{
	const cJSON *ev;
	int error = POPS_OK;

	cJSON_ArrayForEach(ev, evs) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(ev, "string");
		const cJSON *llm = cJSON_GetObjectItemCaseSensitive(ev, "llm");
		const char *uses = str(ev, "uses");
		size_t i;

		if (cJSON_IsObject(s)) {
			error = string_eval(g, out, ev, s);
		} else if (cJSON_IsObject(llm) && str(llm, "prompt")) {
			error = llm_eval(g, out, ev, llm, str(llm, "prompt"), str(llm, "systemPrompt"), 0);
		} else if (uses && pops_starts_with(uses, "github/")) {
			for (i = 0; i < POPS_ARRAY_SIZE(builtins) && strcmp(builtins[i].name, uses + 7); i++)
				;
			if (i < POPS_ARRAY_SIZE(builtins)) {
				cJSON *choices = cJSON_Parse("{\"choices\":[{\"choice\":\"1\",\"score\":0},"
				                             "{\"choice\":\"2\",\"score\":0.25}]}");

				error = choices ? llm_eval(g, out, ev, choices, builtins[i].rubric, NULL, 1) :
				        pops_error_oom();
				cJSON_Delete(choices);
			} else {
				error = note(g, ev, "evaluator '%s': 'uses: %s' is not a built-in pops knows "
				             "(similarity, coherence, fluency, relevance, groundedness)",
				             str(ev, "name"), uses);
			}
		} else {
			error = note(g, ev, "evaluator '%s' has no string, llm or github/ evaluator; not "
			             "imported", str(ev, "name"));
		}
		if (error < 0)
			break;
	}
	return error;
}

static int write_tests(struct gh *g, const cJSON *root)
{
	const cJSON *td = cJSON_GetObjectItemCaseSensitive(root, "testData"), *t, *k;
	const cJSON *evs = cJSON_GetObjectItemCaseSensitive(root, "evaluators");
	pops_buf dataset = POPS_BUF_INIT, path = POPS_BUF_INIT, *f;
	cJSON *asserts = cJSON_CreateArray(), *a;
	size_t i;
	int error = POPS_OK, n = 0;

	POPS_CHECK_ALLOC(asserts);
	if (!cJSON_IsArray(td) && !cJSON_IsArray(evs))
		goto done;
	if (cJSON_GetArraySize(td)) {
		pops_buf_printf(&dataset, "%s/%s.jsonl", g->opts->datasets_dir, g->name.ptr);
		if (!(f = pops_import__add_file(g->imp, dataset.ptr)))
			goto oom;
		cJSON_ArrayForEach(t, td) {
			cJSON *row, *vars;
			pops_buf id = POPS_BUF_INIT;

			if (!cJSON_IsObject(t)) {
				if ((error = note(g, t, "testData[%d] is not a mapping; not imported", n)) < 0)
					goto done;
				continue;
			}
			if (!(row = cJSON_CreateObject()))
				goto oom;
			pops_buf_printf(&id, "case-%03d", ++n);
			cJSON_AddStringToObject(row, "id", id.ptr);
			pops_buf_dispose(&id);
			vars = cJSON_AddObjectToObject(row, "vars");
			/* structured rows: a test key named like a row field stays a variable */
			cJSON_ArrayForEach(k, t) {
				if (!strcmp(k->string, "expected"))
					cJSON_AddItemToObject(row, "expected", cJSON_Duplicate(k, 1));
				else
					cJSON_AddItemToObject(vars, k->string, cJSON_Duplicate(k, 1));
			}
			pops_import__json(f, row);
			pops_buf_putc(f, '\n');
			cJSON_Delete(row);
			g->imp->ncases++;
		}
	}
	if ((error = map_evaluators(g, asserts, evs)) < 0)
		goto done;
	pops_buf_printf(&path, "%s/%s.yaml", g->opts->evals_dir, g->name.ptr);
	if (!(f = pops_import__add_file(g->imp, path.ptr)))
		goto oom;
	pops_buf_puts(f, "# Imported from ");
	pops_buf_puts(f, g->file);
	pops_buf_puts(f, "\n# by 'pops import github-models'; gh models reports each evaluator of\n"
	                 "# each case, hence threshold 1 (all must pass).\n");
	if (g->imp->nunmapped)
		pops_buf_puts(f, "# Not imported (also listed by the import):\n");
	for (i = 0; i < g->imp->nunmapped; i++) {
		const char *c;

		pops_buf_puts(f, "#   ");
		for (c = g->imp->unmapped[i]; *c; c++)
			pops_buf_putc(f, *c == '\n' || *c == '\r' ? ' ' : *c);
		pops_buf_putc(f, '\n');
	}
	pops_buf_puts(f, "prompt: ");
	pops_import__json_str(f, g->name.ptr);
	pops_buf_putc(f, '\n');
	if (g->alias.size)
		pops_buf_printf(f, "model: %s\n", g->alias.ptr);
	if (dataset.size)
		pops_buf_printf(f, "dataset: %s\n", dataset.ptr);
	else
		pops_buf_puts(f, "tests: [{vars: {}}]   # the file had no testData\n");
	pops_buf_puts(f, "threshold: 1\n");
	if (cJSON_GetArraySize(asserts)) {
		pops_buf_puts(f, "assert:\n");
		cJSON_ArrayForEach(a, asserts) {
			pops_buf_puts(f, "  - ");
			pops_import__json(f, a);
			pops_buf_putc(f, '\n');
		}
	}
	if (pops_buf_oom(f))
		goto oom;
	goto done;
oom:
	error = pops_error_oom();
done:
	cJSON_Delete(asserts);
	pops_buf_dispose(&path);
	pops_buf_dispose(&dataset);
	return error;
}

int pops_import_github_models(pops_import **out, const char *path,
                              const pops_import_options *opts)
{
	static const pops_import_options defaults = POPS_IMPORT_OPTIONS_INIT;
	static const char *const known[] = {
		"name", "description", "model", "modelParameters", "responseFormat", "jsonSchema",
		"messages", "testData", "evaluators", NULL
	};
	struct gh g;
	pops_buf data = POPS_BUF_INIT, stem = POPS_BUF_INIT;
	const cJSON *root, *k;
	const char *base = strrchr(path, '/');
	int error;
	size_t i, n;

	*out = NULL;
	memset(&g, 0, sizeof(g));
	POPS_IMPORT_BUF_RESET(&g.name);
	POPS_IMPORT_BUF_RESET(&g.alias);
	g.opts = opts ? opts : &defaults;
	g.file = path;
	if (!(g.imp = pops_import__new())) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = pops_file_read(&data, path, POPS_CONFIG_MAX_BYTES)) < 0 ||
	    (error = pops_yaml_parse_file(&g.doc, data.ptr, data.size, path, NULL)) < 0)
		goto done;
	root = pops_yaml_root(g.doc);
	if (!cJSON_IsObject(root)) {
		error = pops_error_set(POPS_EINVALID, "%s: not a GitHub Models prompt file (expected "
		                       "a mapping)", path);
		goto done;
	}
	/* summarize.prompt.yml -> summarize */
	base = base ? base + 1 : path;
	n = strlen(base);
	for (i = 0; i < 4; i++) {
		static const char *const ext[] = { ".prompt.yml", ".prompt.yaml", ".yml", ".yaml" };

		if (pops_ends_with(base, ext[i])) {
			n -= strlen(ext[i]);
			break;
		}
	}
	pops_buf_set(&stem, base, n);
	if (!pops_import__sanitize(&g.name, stem.ptr))
		pops_buf_sets(&g.name, "prompt");
	cJSON_ArrayForEach(k, root) {
		for (i = 0; known[i] && strcmp(known[i], k->string); i++)
			;
		if (!known[i] && (error = note(&g, k, "key '%s' is not imported", k->string)) < 0)
			goto done;
	}
	if ((error = write_prompt(&g, root)) < 0 || (error = write_tests(&g, root)) < 0)
		goto done;
done:
	pops_yaml_free(g.doc);
	pops_buf_dispose(&g.alias);
	pops_buf_dispose(&g.name);
	pops_buf_dispose(&stem);
	pops_buf_dispose(&data);
	if (error < 0) {
		pops_import_free(g.imp);
		return error;
	}
	*out = g.imp;
	return POPS_OK;
}
