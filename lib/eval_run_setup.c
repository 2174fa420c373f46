#include "common.h"
#include "confine.h"
#include "embed.h"
#include "eval_run_int.h"
#include "eval_sample.h"
#include "fileio.h"
#include "strutil.h"

/*
 * Before the first request: the runner's setup (prompt, model, provider,
 * judges, filter, dataset, fingerprint) and the prepass over every row.
 * Everything here can fail the run without sending anything.
 */

int pops_eval_in_shard(const char *id, unsigned shard, unsigned nshards)
{
	if (nshards <= 1)
		return 1;
	return pops_fnv1a(id) % nshards == shard - 1;
}

int pops_eval__model(const pops_config *cfg, const char *alias,
                     const pops_provider_cfg **prov, const char **id)
{
	const pops_model_cfg *m = pops_config_model(cfg, alias);
	const char *slash;

	if (m) {
		*prov = pops_config_provider(cfg, m->provider);
		*id = m->id;
		if (!*prov)
			return pops_error_set(POPS_EINVALID, "model '%s' names unknown provider '%s'",
			                      alias, m->provider);
		return 0;
	}
	/* "provider/id" names a model without an alias */
	if ((slash = strchr(alias, '/'))) {
		char *pname = pops_strndup(alias, (size_t)(slash - alias));

		*prov = pname ? pops_config_provider(cfg, pname) : NULL;
		free(pname);
		if (*prov) {
			*id = slash + 1;
			return 0;
		}
	}
	{
		const char **names = calloc(cfg->nmodels + 1, sizeof(*names));
		const char *s = NULL;
		size_t i;

		if (names) {
			for (i = 0; i < cfg->nmodels; i++)
				names[i] = cfg->models[i].alias;
			s = pops_suggest(alias, names, 2);
		}
		pops_error_set(POPS_EINVALID, "unknown model '%s'%s%s%s: add it under 'models:' in pops.yaml",
		               alias, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
		free(names);
	}
	return POPS_EINVALID;
}

/* the next row from the dataset or the inline tests: 1, 0 at end, or error */
int pops_eval__source_next(struct runner *r, pops_case *c)
{
	if (r->ds && !r->ds_done) {
		int got = pops_dataset_next(r->ds, c);

		if (got != 0)
			return got;
		r->ds_done = 1;   /* then the suite's inline tests */
	}
	if (!r->inline_row)
		return 0;
	{
		const cJSON *row = r->inline_row;
		int e;

		r->inline_row = row->next;
		e = pops_case_from_json(c, row, r->s->path, pops_suite_line(r->s, row));
		return e < 0 ? e : 1;
	}
}

static int source_rewind(struct runner *r)
{
	r->inline_row = r->s->tests ? r->s->tests->child : NULL;
	r->ds_done = 0;
	return r->ds ? pops_dataset_rewind(r->ds) : 0;
}

static int filtered(struct runner *r, const pops_case *c)
{
	return !r->filter || pcre2_match(r->filter, (PCRE2_SPTR)c->id, strlen(c->id), 0, 0,
	                                 r->filter_md, NULL) >= 0;
}

int pops_eval__selected(struct runner *r, const pops_case *c)
{
	return filtered(r, c) && pops_eval_in_shard(c->id, r->o->shard, r->o->nshards) &&
	       (!r->sample || pops_sample_has(r->sample, c->id));
}

/* --sample: one pass over the rows --filter and --shard select, choosing; then rewind */
static int choose_sample(struct runner *r)
{
	pops_case c = POPS_CASE_INIT;
	pops_sample *sample = pops_sample_new(r->o->sample, r->o->seed);
	char stratum[256];
	int got = 0, error = 0;

	if (!sample)
		return pops_error_oom();
	while (!error && (got = pops_eval__source_next(r, &c)) == 1) {
		if (!pops_eval__selected(r, &c))
			continue;
		stratum[0] = 0;
		if (r->o->stratify)
			pops_sample_stratum(stratum, sizeof(stratum), c.vars, c.metadata, c.meta,
			                    r->o->stratify);
		error = pops_sample_add(sample, c.id, stratum);
	}
	pops_case_dispose(&c);
	if (!error && got < 0)
		error = got;
	if (!error)
		error = pops_sample_choose(sample);
	if (error < 0) {
		pops_sample_free(sample);
		return error;
	}
	/* the set is complete only now: selected() asks it from here on */
	r->sample = sample;
	return source_rewind(r);
}

/*
 * An exec script the suite names by a relative path ("./check.sh",
 * "scripts/check.py") is a file of the project: it must resolve inside
 * the root, as a regular file. Programs found on PATH and absolute
 * commands are the machine's, not the suite's.
 */
static int check_exec(struct runner *r, const pops_assert *a)
{
	pops_buf full = POPS_BUF_INIT;
	char *real = NULL;
	int error;

	if (!r->o->root || a->argv[0][0] == '/' || !strchr(a->argv[0], '/'))
		return 0;
	if ((error = pops_path_join(&full, r->o->root, a->argv[0])) == 0)
		error = pops_confine_project_open(&real, full.ptr, r->o->root, a->argv[0]);
	free(real);
	pops_buf_dispose(&full);
	/* a missing program is the fingerprint's to report ("exec program ... not found") */
	if (error == POPS_ENOTFOUND)
		return 0;
	return error < 0 ? pops_error_prefix(error, "%s:%u: exec: ", a->file, a->line) : 0;
}

/*
 * A similar assertion's embeddings model: its 'model', else pops.yaml's
 * 'embeddings:', an alias of an openai or ollama provider (its key is
 * checked with the judges'). Sets r->has_similar. 0 or POPS_EINVALID.
 */
static int check_similar(struct runner *r, const pops_assert *a)
{
	const char *alias = a->model ? a->model : r->o->config->embeddings;
	const pops_provider_cfg *p;
	const char *id;

	if (!alias)
		return pops_error_set(POPS_EINVALID, "%s:%u: '%s' needs an embeddings model: give it "
		                      "'model: <alias>' or set 'embeddings: <alias>' in pops.yaml",
		                      a->file, a->line, a->name);
	if (pops_eval__model(r->o->config, alias, &p, &id) < 0)
		return pops_error_prefix(POPS_EINVALID, "%s:%u: %s: ", a->file, a->line,
		                         a->model ? "model" : "pops.yaml embeddings");
	if (!pops_embed_type_ok(p->type))
		return pops_error_set(POPS_EINVALID, "%s:%u: the embeddings model '%s' is on provider "
		                      "'%s' of type %s, which has no embeddings endpoint: use an openai "
		                      "or ollama provider", a->file, a->line, alias, p->name, p->type);
	r->has_similar = 1;
	return pops_eval__note_judge(r, p, alias) < 0 ? POPS_ERROR : 0;
}

/*
 * Assertions, before anything is sent: exec scripts inside the project;
 * judges known and, unless allowed, not the model under test; judge
 * prompts loaded (inside the project)
 */
static int check_asserts(struct runner *r, pops_assert **a, size_t n)
{
	pops_eval_prompt *jp;
	size_t i;
	int error;

	for (i = 0; i < n; i++) {
		const pops_provider_cfg *p;
		const char *id;

		if (a[i]->type == POPS_ASSERT_EXEC && (error = check_exec(r, a[i])) < 0)
			return error;
		if (a[i]->type == POPS_ASSERT_EXEC)
			r->has_exec = 1;
		if (pops_assert_needs_embeddings(a[i]) && (error = check_similar(r, a[i])) < 0)
			return error;
		if (!pops_assert_needs_model(a[i]))
			continue;
		if (a[i]->type == POPS_ASSERT_PAIRWISE) {
			if (r->skip_pairwise)
				continue;
			if (!r->o->baseline)
				return pops_error_set(POPS_EINVALID,
				    "%s:%u: 'pairwise' compares each output with the baseline's: pass --baseline env|rev",
				    a[i]->file, a[i]->line);
			r->has_pairwise = 1;
		}
		r->has_judges = 1;
		if (pops_eval__model(r->o->config, a[i]->model, &p, &id) < 0)
			return pops_error_prefix(POPS_EINVALID, "%s:%u: ", a[i]->file, a[i]->line);
		/* now, not in the judge pass: a bad judge prompt must fail before
		 * the model under test is paid for */
		if (a[i]->prompt && (error = pops_eval__judge_prompt(&jp, r, a[i]->prompt,
		                                  a[i]->type == POPS_ASSERT_PAIRWISE)) < 0)
			return pops_error_prefix(error, "%s:%u: judge prompt: ", a[i]->file, a[i]->line);
		if (pops_eval__note_judge(r, p, a[i]->model) < 0)
			return POPS_ERROR;
		/* a jury's other judges: known aliases, checked like the first */
		for (size_t j = 1; j < a[i]->nmodels; j++) {
			const pops_provider_cfg *pj;
			const char *idj;

			if (pops_eval__model(r->o->config, a[i]->models[j], &pj, &idj) < 0)
				return pops_error_prefix(POPS_EINVALID, "%s:%u: ", a[i]->file, a[i]->line);
			if (pops_eval__note_judge(r, pj, a[i]->models[j]) < 0)
				return POPS_ERROR;
			if (r->o->max_cost >= 0 && !pops_config_price(r->o->config, idj))
				return pops_error_set(POPS_EINVALID,
				    "%s:%u: --max-cost needs a price for the judge '%s' (%s): add it under 'pricing:' in pops.yaml",
				    a[i]->file, a[i]->line, a[i]->models[j], idj);
			if (!strcmp(idj, r->model_id) && !a[i]->allow_self_judge)
				return pops_error_set(POPS_EINVALID,
				    "%s:%u: the judge '%s' is the model under test: pick another judge or set 'allow_self_judge: true'",
				    a[i]->file, a[i]->line, a[i]->models[j]);
		}
		/* --max-cost counts the judges' calls: their price must be known */
		if (r->o->max_cost >= 0 && !pops_config_price(r->o->config, id))
			return pops_error_set(POPS_EINVALID,
			    "%s:%u: --max-cost needs a price for the judge '%s' (%s): add it under 'pricing:' in pops.yaml",
			    a[i]->file, a[i]->line, a[i]->model, id);
		if (!strcmp(id, r->model_id) && !a[i]->allow_self_judge)
			return pops_error_set(POPS_EINVALID,
			    "%s:%u: the judge '%s' is the model under test: pick another judge or set 'allow_self_judge: true'",
			    a[i]->file, a[i]->line, a[i]->model);
	}
	return 0;
}

/* an unknown alias named where it was written: --model, the suite's line, the prompt */
static int model_origin(const struct runner *r, int error)
{
	const pops_suite *s = r->s;
	const cJSON *node;

	if (r->o->model)
		return pops_error_prefix(error, "--model %s: ", r->o->model);
	if (s->model) {
		node = cJSON_GetObjectItemCaseSensitive(pops_yaml_root(s->doc), "model");
		return pops_error_prefix(error, "%s:%u: ", s->path, pops_suite_line(s, node));
	}
	return pops_error_prefix(error, "%s: the prompt '%s' names it: ", s->path,
	                         pops_eval_prompt_name(r->prompt));
}

/*
 * The prompt's tools: a release's as released (its closure has them),
 * else resolved from pops.yaml and tools/ of the work tree, as a
 * closure of the work tree would have them.
 */
static int setup_tools(struct runner *r, const pops_closure *rel)
{
	pops_tools_source src = { r->o->config, NULL, NULL };

	if (rel && rel->tools) {
		r->tools = cJSON_Duplicate(rel->tools, 1);
		POPS_CHECK_ALLOC(r->tools);
		return 0;
	}
	return pops_closure_tools(&r->tools, &src, pops_eval_prompt_tools(r->prompt),
	                          pops_eval_prompt_tool_choice(r->prompt),
	                          pops_eval_prompt_name(r->prompt));
}

const cJSON *pops_eval__tool_defs(const struct runner *r)
{
	return cJSON_GetObjectItemCaseSensitive(r->tools, "definitions");
}

const char *pops_eval__tool_choice(const struct runner *r)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(r->tools, "choice");

	return cJSON_IsString(c) ? c->valuestring : NULL;
}

/*
 * --env: the suite's prompt as `env` serves it ("triage:prod~canary");
 * the suite must name its prompt by name. 0 or POPS_EINVALID.
 */
static int env_address(pops_buf *out, const pops_suite *s, const pops_eval_options *o)
{
	pops_address a;

	if (o->prompt)
		return pops_error_set(POPS_EINVALID, "--env and --prompt cannot be used together");
	if (!pops_address_env_ref(o->config, o->env, NULL))
		return pops_error_set(POPS_EINVALID, "--env %s: no such environment in pops.yaml",
		                      o->env);
	if (pops_address_parse(&a, s->prompt) < 0)
		return pops_error_set(POPS_EINVALID,
		                      "%s: --env needs the suite's prompt named by name, not '%s'",
		                      s->path, s->prompt);
	pops_buf_printf(out, "%s:%s", a.name, o->env);
	pops_address_dispose(&a);
	return pops_buf_oom(out) ? pops_error_oom() : 0;
}

int pops_eval__setup(struct runner *r, const pops_suite *s, const pops_eval_options *o)
{
	const char *address = o->prompt ? o->prompt : s->prompt;
	const char *dataset = o->dataset ? o->dataset : s->dataset;
	const char *id = NULL, *type;
	const pops_closure *rel;
	pops_buf env = POPS_BUF_INIT;
	int error;

	r->s = s;
	r->o = o;
	r->repeat = o->repeat > 0 ? o->repeat : s->repeat;
	r->threshold = o->threshold >= 0 ? o->threshold : s->threshold;
	r->max_cost = o->max_cost;
	if (o->env && (error = env_address(&env, s, o)) < 0) {
		pops_buf_dispose(&env);
		return error;
	}
	error = pops_eval_prompt_load(&r->prompt, o->repo, o->env ? env.ptr : address);
	pops_buf_dispose(&env);
	if (error < 0)
		return pops_error_prefix(error, "%s: ", s->path);
	rel = pops_eval_prompt_release(r->prompt);
	if (rel && rel->provider && (!o->model || o->release_model || o->env)) {
		/* a release runs exactly as released: its provider, model id and config,
		 * whatever the alias points at today (the gates expect just that) */
		if (!(r->prov = pops_config_provider(o->config, rel->provider)))
			return pops_error_set(POPS_EINVALID,
			    "%s: '%s' was released with provider '%s', which pops.yaml no longer has",
			    s->path, address, rel->provider);
		r->alias = rel->model_alias ? rel->model_alias : rel->model_id;
		if (!(r->model_id = pops_strdup(rel->model_id)) ||
		    !(r->config = rel->model_config ? cJSON_Duplicate(rel->model_config, 1) :
		                  cJSON_CreateObject()))
			return pops_error_oom();
		(void)type;
	} else {
		r->alias = o->model ? o->model : s->model ? s->model : pops_eval_prompt_model(r->prompt);
		if (!r->alias)
			return pops_error_set(POPS_EINVALID,
			                      "%s: no model: set 'model:' in the suite or pass --model", s->path);
		if ((error = pops_eval__model(o->config, r->alias, &r->prov, &id)) < 0)
			return model_origin(r, error);
		r->model_id = pops_strdup(id);
		POPS_CHECK_ALLOC(r->model_id);
		/* request config: the model's defaults, then the prompt's own (as gates compute it) */
		if ((error = pops_fingerprint_model(&type, &id, &r->config, o->config, r->alias,
		                                    pops_eval_prompt_config(r->prompt))) < 0)
			return error;
	}
	if ((error = pops_eval__baseline_probe(r)) < 0)
		return error;
	r->skip_pairwise = o->skip_pairwise || r->no_baseline;
	r->output_schema = pops_eval_prompt_output_schema(r->prompt);
	if ((error = setup_tools(r, rel)) < 0)
		return pops_error_prefix(error, "%s: ", s->path);
	if (o->max_cost >= 0 && !pops_config_price(o->config, r->model_id))
		return pops_error_set(POPS_EINVALID,
		    "--max-cost needs a price for '%s': add it under 'pricing:' in pops.yaml", r->model_id);
	if ((error = check_asserts(r, s->asserts, s->nasserts)) < 0)
		return error;
	if (o->filter) {
		int ec;
		PCRE2_SIZE off;

		r->filter = pcre2_compile((PCRE2_SPTR)o->filter, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
		                          &ec, &off, NULL);
		if (!r->filter) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(ec, msg, sizeof(msg));
			return pops_error_set(POPS_EINVALID, "--filter '%s': %s at offset %zu",
			                      o->filter, (char *)msg, (size_t)off);
		}
		r->filter_md = pcre2_match_data_create_from_pattern(r->filter, NULL);
		POPS_CHECK_ALLOC(r->filter_md);
	}
	if (dataset) {
		pops_buf p = POPS_BUF_INIT;

		if (dataset[0] != '/' && o->root)
			pops_path_join(&p, o->root, dataset);
		else
			pops_buf_puts(&p, dataset);
		r->dataset_path = pops_buf_detach(&p);
		POPS_CHECK_ALLOC(r->dataset_path);
		/* the suite's dataset is the project's (--dataset is the user's own choice) */
		if (!o->dataset && o->root) {
			char *real = NULL;

			if ((error = pops_confine_project_open(&real, r->dataset_path, o->root,
			                                       dataset)) < 0)
				return error == POPS_ENOTFOUND ?
				       pops_error_set(POPS_ENOTFOUND, "%s: dataset '%s' not found", s->path,
				                      dataset) :
				       pops_error_prefix(error, "%s: dataset: ", s->path);
			free(r->dataset_path);
			r->dataset_path = real;
		}
		if ((error = pops_dataset_open(&r->ds, r->dataset_path, dataset)) < 0)
			return error == POPS_ENOTFOUND ?
			       pops_error_set(POPS_ENOTFOUND, "%s: dataset '%s' not found", s->path, dataset) :
			       error;
	}
	r->inline_row = s->tests ? s->tests->child : NULL;
	r->dataset_name = dataset;
	/* before anything is sent: a field that cannot be computed stops the run */
	return pops_eval__fingerprint(r, NULL);
}

int pops_eval__fingerprint(struct runner *r, const char *pairwise_baseline_blob)
{
	pops_fingerprint_input in = POPS_FINGERPRINT_INPUT_INIT;

	in.cfg = r->o->config;
	in.root = r->o->root;
	in.suite = r->s;
	in.dataset = r->dataset_name;
	in.prompt = pops_eval_prompt_name(r->prompt);
	in.prompt_blob = pops_eval_prompt_blob(r->prompt);
	in.partials = pops_eval_prompt_partials(r->prompt);
	in.provider_type = r->prov ? r->prov->type : NULL;
	in.model_id = r->model_id;
	in.model_config = r->config;
	in.tools = r->tools;
	in.pairwise_baseline_blob = pairwise_baseline_blob;
	return pops_fingerprint_compute(&r->fp, &in);
}

/* where each case id was first seen: an open-addressing hash set */
struct seen_id {
	char *id;
	const char *file;
	unsigned line;
};

struct id_set {
	struct seen_id *v;
	size_t n, cap;   /* cap: a power of two, kept at least twice n */
};

static void id_set_free(struct id_set *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->v[i].id);
	free(set->v);
}

static struct seen_id *id_slot(struct seen_id *v, size_t cap, const char *id)
{
	size_t i = (size_t)pops_fnv1a(id) & (cap - 1);

	while (v[i].id && strcmp(v[i].id, id))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

/*
 * Evidence and the reports key results by "id#repeat": two rows with one
 * id would be one case there. 0, or POPS_EINVALID naming both rows.
 */
static int id_once(struct id_set *set, const pops_case *c)
{
	struct seen_id *slot;

	if (2 * (set->n + 1) > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		struct seen_id *v = calloc(cap, sizeof(*v));

		POPS_CHECK_ALLOC(v);
		for (size_t i = 0; i < set->cap; i++)
			if (set->v[i].id)
				*id_slot(v, cap, set->v[i].id) = set->v[i];
		free(set->v);
		set->v = v;
		set->cap = cap;
	}
	slot = id_slot(set->v, set->cap, c->id);
	if (slot->id)
		return pops_error_set(POPS_EINVALID, "%s:%u: duplicate case id '%s' (also at %s:%u): "
		                      "give each row its own id", c->file ? c->file : "dataset",
		                      c->line, c->id, slot->file ? slot->file : "dataset", slot->line);
	slot->id = pops_strdup(c->id);
	POPS_CHECK_ALLOC(slot->id);
	slot->file = c->file;
	slot->line = c->line;
	set->n++;
	return 0;
}

/*
 * First pass: count the selected cases and check every row (shape, own
 * assertions, judges, unique ids, the variables the prompt reads,
 * assertion values for this row), so a bad row fails the run before it
 * costs money.
 */
int pops_eval__prepass(struct runner *r)
{
	pops_case c = POPS_CASE_INIT;
	pops_assert **ca = NULL;
	struct id_set ids = { NULL, 0, 0 };
	size_t nca = 0;
	int got, error = 0;

	if (r->o->sample && !r->sample && (error = choose_sample(r)) < 0)
		return error;
	while ((got = pops_eval__source_next(r, &c)) == 1) {
		if ((error = id_once(&ids, &c)) < 0)
			goto done;
		/* a --filter that leaves nothing out still evaluates the whole suite */
		if (!filtered(r, &c))
			r->filtered_out++;
		if (!pops_eval__selected(r, &c))
			continue;
		if ((error = pops_suite_case_asserts(&ca, &nca, &c)) < 0)
			goto done;
		if ((error = check_asserts(r, ca, nca)) == 0)
			error = pops_eval__check_row(r, &c, ca, nca);
		pops_suite_asserts_free(ca, nca);
		ca = NULL;
		if (error < 0)
			goto done;
		r->total_cases++;
	}
	if (got < 0) {
		error = got;
		goto done;
	}
	error = source_rewind(r);
done:
	id_set_free(&ids);
	pops_case_dispose(&c);
	return error;
}

int pops_eval_check(const pops_suite *s, const pops_eval_options *o)
{
	struct runner r;
	int error;

	memset(&r, 0, sizeof(r));
	r.line = (pops_buf)POPS_BUF_INIT;
	r.tmp = (pops_buf)POPS_BUF_INIT;
	if ((error = pops_eval__setup(&r, s, o)) == 0 && (error = pops_eval__prepass(&r)) == 0)
		error = pops_eval__check_providers(&r);
	pops_eval__dispose(&r);
	return error;
}

int pops_eval_fingerprint(pops_fingerprint *out, const pops_suite *s, const pops_eval_options *o)
{
	struct runner r;
	int error;

	pops_fingerprint_dispose(out);
	memset(&r, 0, sizeof(r));
	r.line = (pops_buf)POPS_BUF_INIT;
	r.tmp = (pops_buf)POPS_BUF_INIT;
	if ((error = pops_eval__setup(&r, s, o)) == 0) {
		*out = r.fp;
		memset(&r.fp, 0, sizeof(r.fp));
	}
	pops_eval__dispose(&r);
	return error;
}

