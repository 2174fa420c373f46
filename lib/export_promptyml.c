#include "common.h"
#include "export_int.h"
#include "promptfile.h"
#include "closure.h"
#include "strutil.h"

#include <strings.h>

/*
 * `pops export --format prompt-yml`: a released prompt as a GitHub Models
 * prompt file (NAME.prompt.yml: name, description, model,
 * modelParameters, responseFormat, jsonSchema, messages). GitHub's
 * templates are plain `{{key}}` replacement, so only a prompt whose
 * template is that (roles, comments, partials and `{{var}}` aside) can
 * be written faithfully; anything else is refused, naming the construct,
 * rather than written wrong.
 */

/*
 * Every `{{...}}` of `text` must be a plain variable, a role, a comment
 * or a partial (whose text the loader gives, checked the same way).
 * Variable names go into `vars` as "{{name}}", which is what the export
 * renders them to. 0 or POPS_EINVALID naming the first other construct.
 */
static int check_plain(cJSON *vars, const char *prompt, const char *where, const char *text,
                       pops_partial_loader load, void *payload, int depth)
{
	const char *p = text;
	pops_buf inner = POPS_BUF_INIT, sub = POPS_BUF_INIT, ph = POPS_BUF_INIT;
	int error = POPS_OK;

	if (depth > POPS_TEMPLATE_MAX_PARTIAL_DEPTH)
		return pops_error_set(POPS_EINVALID, "%s: partials nested too deep", prompt);
	while ((p = strstr(p, "{{"))) {
		const char *s = p + 2, *e;
		size_t n;

		if (p > text && p[-1] == '\\') {   /* an escaped, literal {{ */
			p += 2;
			continue;
		}
		if (*s == '{')
			s++;
		if (!(e = strstr(s, "}}")))
			break;
		pops_buf_clear(&inner);
		pops_buf_put(&inner, s, (size_t)(e - s));
		p = e + 2 + (*e == '}' && e[2] == '}');
		/* whitespace control changes nothing GitHub would see differently */
		while (inner.size && (inner.ptr[inner.size - 1] == '~' || isspace((unsigned char)inner.ptr[inner.size - 1])))
			pops_buf_truncate(&inner, inner.size - 1);
		s = inner.ptr;
		while (*s == '~' || isspace((unsigned char)*s))
			s++;
		if (*s == '!')
			continue;
		if (!strncmp(s, "role ", 5))
			continue;   /* the message boundaries, rendered below */
		if (*s == '>') {
			for (s++; isspace((unsigned char)*s); s++)
				;
			n = strcspn(s, " \t\r\n");
			pops_buf_clear(&sub);
			pops_buf_put(&sub, s, n);
			pops_buf_clear(&ph);
			if (!load || load(payload, sub.ptr, &ph) < 0) {
				error = pops_error_set(POPS_EINVALID, "%s: partial '%s' is not in the release",
				                       prompt, sub.ptr);
				goto done;
			}
			if ((error = check_plain(vars, prompt, sub.ptr, ph.ptr, load, payload, depth + 1)) < 0)
				goto done;
			continue;
		}
		n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (n && !s[n] && !isdigit((unsigned char)*s)) {
			if (!cJSON_GetObjectItemCaseSensitive(vars, s)) {
				pops_buf_clear(&ph);
				pops_buf_printf(&ph, "{{%s}}", s);
				cJSON_AddStringToObject(vars, s, ph.ptr);
			}
			continue;
		}
		error = pops_error_set(POPS_EINVALID, "%s: '{{%s}}' in %s: a GitHub Models prompt "
		                       "is plain {{variable}} text, without helpers, blocks or paths; "
		                       "export this prompt with --format files", prompt, s, where);
		goto done;
	}
done:
	pops_buf_dispose(&ph);
	pops_buf_dispose(&sub);
	pops_buf_dispose(&inner);
	return error;
}

/*
 * A YAML scalar for `s`: a literal block (`|`, `|-` or `|+` as the text
 * ends) when it spans lines, JSON quoting (also YAML) otherwise or when
 * a block could not hold it as it is.
 */
/* a plain YAML scalar reads back as this same string: words, no indicators */
static int plain_ok(const char *s)
{
	static const char *const words[] = { "true", "false", "null", "yes", "no", "on", "off",
	                                     "y", "n", NULL };
	size_t i, n = strlen(s);

	if (!n || !isalpha((unsigned char)s[0]) || s[n - 1] == ' ' ||
	    s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _./-")])
		return 0;
	for (i = 0; words[i]; i++)
		if (!strcasecmp(s, words[i]))
			return 0;
	return 1;
}

static void put_scalar(pops_buf *out, const char *s, unsigned indent)
{
	size_t len = strlen(s), trail = 0, i;
	int block = strchr(s, '\n') != NULL && len > 0 && s[0] != ' ' && s[0] != '\n';
	const char *line;
	cJSON *j;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') || s[i] == '\r')
			block = 0;
	if (!block && plain_ok(s)) {
		pops_buf_printf(out, "%s\n", s);
		return;
	}
	if (!block) {
		if ((j = cJSON_CreateString(s))) {
			char *t = cJSON_PrintUnformatted(j);

			pops_buf_puts(out, t ? t : "\"\"");
			free(t);
			cJSON_Delete(j);
		}
		pops_buf_putc(out, '\n');
		return;
	}
	while (trail < len && s[len - 1 - trail] == '\n')
		trail++;
	pops_buf_puts(out, trail == 0 ? "|-\n" : trail == 1 ? "|\n" : "|+\n");
	for (line = s; *line; ) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (n)
			pops_buf_printf(out, "%*s%.*s", (int)indent, "", (int)n, line);
		pops_buf_putc(out, '\n');
		if (!nl)
			break;
		line = nl + 1;
	}
}

/* the model (as GitHub's publisher/model) and the request settings GitHub's file has */
static int put_model(pops_buf *out, const struct pops_closure *c, const cJSON *cfg)
{
	pops_buf content = POPS_BUF_INIT;
	const cJSON *v;
	int params = 0, error = 0;

	if (c && c->model_id) {
		/* GitHub Models ids are publisher/model */
		pops_buf_puts(out, "model: ");
		pops_buf_clear(&content);
		if (!strchr(c->model_id, '/'))
			pops_buf_printf(&content, "%s/", c->provider_type ? c->provider_type : "openai");
		pops_buf_puts(&content, c->model_id);
		put_scalar(out, content.ptr, 2);
	}
	cJSON_ArrayForEach(v, cfg) {
		const char *to = !strcmp(v->string, "max_tokens") ? "maxTokens" :
		                 !strcmp(v->string, "temperature") ? "temperature" :
		                 !strcmp(v->string, "top_p") ? "topP" : NULL;

		if (!to || !cJSON_IsNumber(v))
			continue;   /* GitHub's file has no other request settings */
		if (!params++)
			pops_buf_puts(out, "modelParameters:\n");
		{
			/* cJSON's shortest form that reads back the same: 0.1, not 0.10000000000000001 */
			char *num = cJSON_PrintUnformatted(v);

			pops_buf_printf(out, "  %s: %s\n", to, num ? num : "0");
			free(num);
		}
	}
	if (pops_buf_oom(&content))
		error = pops_error_oom();
	pops_buf_dispose(&content);
	return error;
}

/* the response format of a prompt whose output is JSON, with its schema if it has one */
static void put_response_format(pops_buf *out, const cJSON *meta, const char *name)
{
	const cJSON *v;

	if ((v = cJSON_GetObjectItemCaseSensitive(meta, "output")) &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "format")) &&
	    !strcmp(cJSON_GetObjectItemCaseSensitive(v, "format")->valuestring, "json")) {
		const cJSON *schema = cJSON_GetObjectItemCaseSensitive(v, "schema");

		if (schema) {
			cJSON *js = cJSON_CreateObject();
			char *t;

			cJSON_AddStringToObject(js, "name", name);
			cJSON_AddItemToObject(js, "schema", cJSON_Duplicate(schema, 1));
			t = cJSON_PrintUnformatted(js);
			pops_buf_puts(out, "responseFormat: json_schema\njsonSchema: ");
			put_scalar(out, t ? t : "{}", 2);
			free(t);
			cJSON_Delete(js);
		} else {
			pops_buf_puts(out, "responseFormat: json_object\n");
		}
	}
}

/* the rendered messages, text only, with roles GitHub knows: 0, or POPS_EINVALID naming
 * the prompt when a message holds media or has another role */
static int put_messages(pops_buf *out, const cJSON *msgs, const char *name)
{
	pops_buf content = POPS_BUF_INIT;
	const cJSON *m;
	int error = 0;

	pops_buf_puts(out, "messages:\n");
	cJSON_ArrayForEach(m, msgs) {
		const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role"));
		const cJSON *part;

		pops_buf_clear(&content);
		cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(m, "content")) {
			const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(part, "text"));

			if (!t) {
				error = pops_error_set(POPS_EINVALID, "%s: a message holds media, which a GitHub "
				                       "Models prompt file cannot; export it with --format files",
				                       name);
				goto done;
			}
			pops_buf_puts(&content, t);
		}
		/* the line breaks around {{role}} markers are the template's, not the message's */
		while (content.size && isspace((unsigned char)content.ptr[content.size - 1]))
			pops_buf_truncate(&content, content.size - 1);
		{
			size_t lead = 0;

			while (lead < content.size && isspace((unsigned char)content.ptr[lead]))
				lead++;
			if (lead) {
				memmove(content.ptr, content.ptr + lead, content.size - lead + 1);
				content.size -= lead;
			}
		}
		if (!strcmp(role, "model"))
			role = "assistant";
		if (strcmp(role, "system") && strcmp(role, "user") && strcmp(role, "assistant")) {
			error = pops_error_set(POPS_EINVALID, "%s: role '%s' has no GitHub Models "
			                       "equivalent (system, user, assistant)", name, role);
			goto done;
		}
		pops_buf_printf(out, "  - role: %s\n    content: ", role);
		put_scalar(out, content.ptr, 6);
	}
	if (pops_buf_oom(&content))
		error = pops_error_oom();
done:
	pops_buf_dispose(&content);
	return error;
}

int pops_export__prompt_yml(pops_buf *out, const char *name, const char *text, size_t len,
                            const struct pops_closure *c,
                            int (*load)(void *payload, const char *name, pops_buf *out),
                            void *payload)
{
	pops_prompt_options po = POPS_PROMPT_OPTIONS_INIT;
	pops_render_options ro = POPS_RENDER_OPTIONS_INIT;
	pops_prompt *p = NULL;
	cJSON *vars = cJSON_CreateObject(), *msgs = NULL;
	const cJSON *meta, *v, *title, *cfg = c ? c->model_config : NULL;
	int error;

	POPS_CHECK_ALLOC(vars);
	po.load_partial = load;
	po.partial_payload = payload;
	if ((error = pops_prompt_parse(&p, text, len, name, &po)) < 0 ||
	    (error = check_plain(vars, name, "the prompt", pops_prompt_body(p), load, payload, 0)) < 0)
		goto done;
	/* each variable renders to "{{name}}", which GitHub replaces with the test's value */
	ro.no_validate = 1;
	ro.defaults = vars;   /* and never input.default: GitHub has no defaults */
	if ((error = pops_prompt_render(&msgs, p, NULL, &ro)) < 0)
		goto done;
	meta = pops_prompt_metadata(p);
	title = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(meta, "metadata"),
		                                 "github_models"), "name");
	pops_buf_puts(out, "name: ");
	put_scalar(out, cJSON_IsString(title) ? title->valuestring : name, 2);
	if ((v = cJSON_GetObjectItemCaseSensitive(meta, "description")) && cJSON_IsString(v)) {
		pops_buf_puts(out, "description: ");
		put_scalar(out, v->valuestring, 2);
	}
	if ((error = put_model(out, c, cfg)) < 0)
		goto done;
	put_response_format(out, meta, name);
	if ((error = put_messages(out, msgs, name)) < 0)
		goto done;
	if (pops_buf_oom(out))
		error = pops_error_oom();
done:
	cJSON_Delete(msgs);
	cJSON_Delete(vars);
	pops_prompt_free(p);
	return error;
}

/* partials for the prompt-yml converter: the bundle's, which every prompt shares */
struct part_set {
	const pops_export__part *v;
	size_t n;
};

static int load_part(void *payload, const char *name, pops_buf *out)
{
	const struct part_set *ps = payload;
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (!strcmp(ps->v[i].p->name, name))
			return pops_buf_set(out, ps->v[i].content.ptr, ps->v[i].content.size) < 0 ?
			       pops_error_oom() : POPS_OK;
	return pops_error_set(POPS_ENOTFOUND, "partial '%s' is not in the release", name);
}

/* a canary's own partials for the prompt-yml converter */
static int load_canary_part(void *payload, const char *name, pops_buf *out)
{
	const pops_export__item *it = payload;
	size_t i;

	for (i = 0; i < it->npartials; i++)
		if (!strcmp(it->partials[i].name, name))
			return pops_buf_set(out, it->pcontent[i].ptr, it->pcontent[i].size) < 0 ?
			       pops_error_oom() : POPS_OK;
	return pops_error_set(POPS_ENOTFOUND, "partial '%s' is not in the canary release", name);
}

/* `it`'s file becomes its GitHub Models prompt file; the partials are inlined */
static int yml_one(pops_export__item *it, int (*load)(void *, const char *, pops_buf *),
                   void *payload, pops_buf *yml)
{
	const pops_release_entry *e = it->e;
	int error;

	pops_buf_clear(yml);
	if ((error = pops_export__prompt_yml(yml, e->prompt, it->content.ptr, it->content.size,
	                                     e->closure_known ? &e->closure : NULL,
	                                     load, payload)) < 0)
		return error;
	pops_buf_clear(&it->file);
	pops_buf_printf(&it->file, "%s%s.prompt.yml", it->is_canary ? "@canary/" : "", e->prompt);
	if (pops_buf_set(&it->content, yml->ptr, yml->size) < 0 || pops_buf_oom(&it->file))
		return pops_error_oom();
	if (git_odb_hash(&it->file_blob, yml->ptr, yml->size, GIT_OBJECT_BLOB) < 0)
		return pops_error_set(POPS_ERROR, "cannot hash %s", it->file.ptr);
	return POPS_OK;
}

int pops_export__to_prompt_yml(pops_export__item *items, size_t n,
                               const pops_export__part *parts, size_t nparts)
{
	struct part_set ps = { parts, nparts };
	pops_buf yml = POPS_BUF_INIT;
	size_t i;
	int error = POPS_OK;

	for (i = 0; i < n && error == POPS_OK; i++) {
		error = yml_one(&items[i], load_part, &ps, &yml);
		if (error == POPS_OK && items[i].canary)
			error = yml_one(items[i].canary, load_canary_part, items[i].canary, &yml);
	}
	pops_buf_dispose(&yml);
	return error;
}
