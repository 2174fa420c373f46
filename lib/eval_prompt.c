#include "common.h"
#include <git2.h>
#include "assertion.h"
#include "eval_prompt.h"
#include "fileio.h"
#include "strutil.h"
#include "yamldoc.h"

/*
 * Until lib/promptfile is on main this module reads the frontmatter
 * itself and renders the body with the assertion templater ({{var}},
 * {{a.b}}) as one user message. Callers see only this header, so the
 * switch to promptfile happens here alone.
 */
struct pops_eval_prompt {
	char *name;
	char blob[GIT_OID_HEXSZ + 1];
	char *body;
	pops_yaml_doc *fm;
	const char *model;
	const cJSON *config;
	const cJSON *output_schema;
	cJSON *partials;
};

static int parse_bytes(pops_eval_prompt *p, const char *data, size_t len)
{
	const char *body = data, *end;
	int error = 0;

	if (len >= 4 && !strncmp(data, "---", 3) && (data[3] == '\n' || data[3] == '\r')) {
		const char *fm = data + 4;

		end = strstr(fm, "\n---");
		if (!end)
			return pops_error_set(POPS_EINVALID, "%s: frontmatter has no closing '---'", p->name);
		if ((error = pops_yaml_parse(&p->fm, fm, (size_t)(end - fm + 1), p->name, 1, NULL)) < 0)
			return error;
		body = end + 4;
		body += strcspn(body, "\n");
		if (*body)
			body++;
		{
			const cJSON *root = pops_yaml_root(p->fm), *it, *out;

			it = cJSON_GetObjectItemCaseSensitive(root, "model");
			p->model = cJSON_IsString(it) ? it->valuestring : NULL;
			it = cJSON_GetObjectItemCaseSensitive(root, "config");
			p->config = cJSON_IsObject(it) ? it : NULL;
			out = cJSON_GetObjectItemCaseSensitive(root, "output");
			it = cJSON_GetObjectItemCaseSensitive(out, "schema");
			p->output_schema = cJSON_IsObject(it) ? it : NULL;
		}
	}
	while (*body == '\n' || *body == '\r')
		body++;
	if (!(p->body = pops_strndup(body, len - (size_t)(body - data))))
		return pops_error_set(POPS_ERROR, "out of memory");
	return 0;
}

int pops_eval_prompt_parse(pops_eval_prompt **out, const char *data, size_t len,
                           const char *name)
{
	pops_eval_prompt *p = calloc(1, sizeof(*p));
	git_oid oid;
	int error = 0;

	*out = NULL;
	if (!p || !(p->name = pops_strdup(name)) || !(p->partials = cJSON_CreateObject())) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot hash %s", name);
		goto done;
	}
	git_oid_tostr(p->blob, sizeof(p->blob), &oid);
	error = parse_bytes(p, data, len);
done:
	if (error < 0)
		pops_eval_prompt_free(p);
	else
		*out = p;
	return error;
}

int pops_eval_prompt_load(pops_eval_prompt **out, pops_repo *repo, const char *address)
{
	pops_buf b = POPS_BUF_INIT;
	pops_resolved *res = NULL;
	int error;

	*out = NULL;
	if (pops_path_exists(address) && !pops_path_isdir(address)) {
		if ((error = pops_file_read(&b, address, POPS_PROMPT_MAX_BYTES)) == 0)
			error = pops_eval_prompt_parse(out, b.ptr, b.size, address);
		goto done;
	}
	if (!repo) {
		error = pops_error_set(POPS_ENOTFOUND, "prompt '%s' not found", address);
		goto done;
	}
	if ((error = pops_repo_resolve(&res, repo, address)) < 0)
		goto done;
	if ((error = pops_eval_prompt_parse(out, res->data, res->len, res->name)) < 0)
		goto done;
	git_oid_tostr((*out)->blob, sizeof((*out)->blob), &res->blob);
done:
	pops_resolved_free(res);
	pops_buf_dispose(&b);
	return error;
}

const char *pops_eval_prompt_name(const pops_eval_prompt *p) { return p->name; }
const char *pops_eval_prompt_blob(const pops_eval_prompt *p) { return p->blob; }
const char *pops_eval_prompt_model(const pops_eval_prompt *p) { return p->model; }
const cJSON *pops_eval_prompt_config(const pops_eval_prompt *p) { return p->config; }
const cJSON *pops_eval_prompt_output_schema(const pops_eval_prompt *p) { return p->output_schema; }
const cJSON *pops_eval_prompt_partials(const pops_eval_prompt *p) { return p->partials; }

int pops_eval_prompt_render(cJSON **out, const pops_eval_prompt *p, const cJSON *vars)
{
	pops_buf text = POPS_BUF_INIT;
	cJSON *msgs = NULL, *msg, *content, *part;
	int error;

	*out = NULL;
	if ((error = pops_assert_expand(&text, p->body, vars)) < 0)
		goto done;
	if (!(msgs = cJSON_CreateArray()) || !(msg = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(msgs, msg) || !cJSON_AddStringToObject(msg, "role", "user") ||
	    !(content = cJSON_AddArrayToObject(msg, "content")) || !(part = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(content, part) || !cJSON_AddStringToObject(part, "text", text.ptr)) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	*out = msgs;
	msgs = NULL;
done:
	cJSON_Delete(msgs);
	pops_buf_dispose(&text);
	return error;
}

void pops_eval_prompt_free(pops_eval_prompt *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->body);
	pops_yaml_free(p->fm);
	cJSON_Delete(p->partials);
	free(p);
}
