#include "common.h"
#include "eval_run_int.h"
#include "fileio.h"
#include "strutil.h"
#include "wire.h"

/*
 * Load-time checks of one selected row: what would otherwise be found
 * per case, after requests were paid for, and reported as if the
 * provider had failed.
 */

/* "datasets/x.jsonl:7: row 'noq'" for messages */
static void row_where(pops_buf *b, const pops_case *c)
{
	pops_buf_clear(b);
	if (c->file && c->line)
		pops_buf_printf(b, "%s:%u: ", c->file, c->line);
	else if (c->file)
		pops_buf_printf(b, "%s: ", c->file);
	pops_buf_printf(b, "row '%s'", c->id);
}

/* "row 'noq' lacks 'question' (did you mean 'questoin'?)": `obj` is where it is missing */
static int lacks(const pops_case *c, const char *path, const char *name, const cJSON *obj)
{
	pops_buf where = POPS_BUF_INIT;
	const char **names = calloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof(*names));
	const char *s = NULL;
	const cJSON *it;
	size_t n = 0;

	if (names) {
		cJSON_ArrayForEach(it, obj)
			names[n++] = it->string;
		s = pops_suggest(name, names, POPS_SUGGEST_MAX_DISTANCE);
	}
	row_where(&where, c);
	pops_error_set(POPS_EINVALID, "%s lacks '%s'%s%s%s", where.ptr, path,
	               s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
	free(names);
	pops_buf_dispose(&where);
	return POPS_EINVALID;
}

/* each path the template reads everywhere must be in `vars`, as far as objects go */
static int check_paths(const pops_case *c, const cJSON *required, const cJSON *vars)
{
	const cJSON *path, *seg;
	pops_buf dotted = POPS_BUF_INIT;
	int error = 0;

	cJSON_ArrayForEach(path, required) {
		const cJSON *cur = vars;

		pops_buf_clear(&dotted);
		cJSON_ArrayForEach(seg, path) {
			const cJSON *next;

			if (!cJSON_IsString(seg) || !cJSON_IsObject(cur))
				break;   /* a string or a list: what it holds is not ours to guess */
			if (dotted.size)
				pops_buf_putc(&dotted, '.');
			pops_buf_puts(&dotted, seg->valuestring);
			if (!(next = cJSON_GetObjectItemCaseSensitive(cur, seg->valuestring))) {
				error = lacks(c, dotted.ptr, seg->valuestring, cur);
				goto done;
			}
			cur = next;
		}
	}
done:
	pops_buf_dispose(&dotted);
	return error;
}

/* the input the prompt renders with: input.default under the row's vars (shallow, as dotprompt) */
static cJSON *merged_input(const cJSON *def, const cJSON *vars)
{
	cJSON *m = cJSON_IsObject(def) ? cJSON_Duplicate(def, 1) : cJSON_CreateObject();
	const cJSON *it;

	cJSON_ArrayForEach(it, vars) {
		cJSON *dup = cJSON_Duplicate(it, 1);

		if (!m || !dup) {
			cJSON_Delete(dup);
			cJSON_Delete(m);
			return NULL;
		}
		cJSON_DeleteItemFromObjectCaseSensitive(m, it->string);
		cJSON_AddItemToObject(m, it->string, dup);
	}
	return m;
}

static int check_asserts(const pops_case *c, pops_assert **a, size_t n, const cJSON *scope)
{
	pops_buf where = POPS_BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < n && !error; i++)
		if ((error = pops_assert_check_scope(a[i], scope)) < 0) {
			row_where(&where, c);
			pops_error_prefix(error, "%s: ", where.ptr);
		}
	pops_buf_dispose(&where);
	return error;
}

int pops_eval__check_row(struct runner *r, pops_case *c, pops_assert **ca, size_t nca)
{
	const cJSON *schema = pops_eval_prompt_input_schema(r->prompt), *it;
	cJSON *input = NULL, *msgs = NULL, *scope = NULL;
	pops_buf where = POPS_BUF_INIT;
	int error;

	if ((error = pops_suite_apply_vars(r->s, c)) < 0)
		goto done;
	if (!(input = merged_input(pops_eval_prompt_input_default(r->prompt), c->vars))) {
		error = pops_error_oom();
		goto done;
	}
	/* the schema's required fields first: the render would name them without the row */
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(schema, "required"))
		if (cJSON_IsString(it) && !cJSON_GetObjectItemCaseSensitive(input, it->valuestring)) {
			error = lacks(c, it->valuestring, it->valuestring, input);
			goto done;
		}
	if ((error = check_paths(c, pops_eval_prompt_required(r->prompt), input)) < 0)
		goto done;
	/* whatever else stops a render (types against input.schema, helpers) stops it for this row */
	if ((error = pops_eval_prompt_render(&msgs, r->prompt, c->vars)) < 0) {
		if (error != POPS_ERROR) {
			row_where(&where, c);
			pops_error_prefix(error, "%s: ", where.ptr);
		}
		goto done;
	}
	if (!(scope = pops_case_scope(c))) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = check_asserts(c, r->s->asserts, r->s->nasserts, scope)) < 0)
		goto done;
	error = check_asserts(c, ca, nca, scope);
done:
	cJSON_Delete(scope);
	cJSON_Delete(msgs);
	cJSON_Delete(input);
	pops_buf_dispose(&where);
	return error;
}

int pops_eval__check_provider(const struct runner *r, const pops_provider_cfg *p, const char *alias)
{
	const pops_provider_options *po = &r->o->popts;
	const cJSON *c;

	if (!pops_wire_known_type(p->type))
		return pops_error_set(POPS_EINVALID,
		    "model '%s': provider '%s' has unknown type '%s' (use openai, anthropic, ollama, exec or replay)",
		    alias, p->name, p->type);
	/* replay answers from the cassette, offline and without a key */
	if (po->cassette_mode == POPS_CASSETTE_REPLAY) {
		if (po->cassette && !pops_path_exists(po->cassette))
			return pops_error_set(POPS_EINVALID,
			    "%s: cassette '%s' does not exist; record it first with --record",
			    r->s->path, po->cassette);
		return 0;
	}
	if (!strcmp(p->type, "replay")) {
		pops_buf path = POPS_BUF_INIT;
		int missing;

		if (!cJSON_IsString(c = cJSON_GetObjectItemCaseSensitive(p->node, "cassette")))
			return pops_error_set(POPS_EINVALID,
			    "provider '%s' of type replay needs 'cassette: <file>'", p->name);
		if (c->valuestring[0] != '/' && r->o->config->root)
			pops_path_join(&path, r->o->config->root, c->valuestring);
		else
			pops_buf_puts(&path, c->valuestring);
		missing = !pops_path_exists(path.ptr);
		pops_buf_dispose(&path);
		return missing ? pops_error_set(POPS_EINVALID,
		                     "provider '%s': cassette '%s' does not exist; record it first with --record",
		                     p->name, c->valuestring) : 0;
	}
	if (!strcmp(p->type, "exec") || !p->api_key_env)
		return 0;
	{
		const char *v = getenv(p->api_key_env);

		/* the variable's name, never its value */
		if (!v || !*v)
			return pops_error_set(POPS_EINVALID,
			    "environment variable %s is not set (provider '%s' of model '%s' reads its API key from it)",
			    p->api_key_env, p->name, alias);
	}
	return 0;
}

int pops_eval__note_judge(struct runner *r, const pops_provider_cfg *p, const char *alias)
{
	struct judge_model *v;
	size_t i;

	for (i = 0; i < r->njudges; i++)
		if (r->judges[i].prov == p)
			return 0;
	v = realloc(r->judges, (r->njudges + 1) * sizeof(*v));
	POPS_CHECK_ALLOC(v);
	r->judges = v;
	v[r->njudges].alias = pops_strdup(alias);
	POPS_CHECK_ALLOC(v[r->njudges].alias);
	v[r->njudges++].prov = p;
	return 0;
}

int pops_eval__check_providers(struct runner *r)
{
	size_t i;
	int error;

	if ((error = pops_eval__check_provider(r, r->prov, r->alias)) < 0)
		return error;
	for (i = 0; i < r->njudges; i++)
		if ((error = pops_eval__check_provider(r, r->judges[i].prov, r->judges[i].alias)) < 0)
			return pops_error_prefix(error, "judge: ");
	return 0;
}
