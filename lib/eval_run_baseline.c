#include "common.h"
#include <git2.h>
#include "eval_run_int.h"
#include "report.h"
#include "strutil.h"

/*
 * The baseline for 'pairwise': the prompt released in the --baseline
 * environment (or at that git revision) runs first on the same cases,
 * and its final records are indexed by "id#repeat" (key and spool
 * offset only, so memory stays small) for the judge pass to look up.
 */

struct bkey {
	char *key;
	long off;
};

static int cmp_bkey(const void *a, const void *b)
{
	return strcmp(((const struct bkey *)a)->key, ((const struct bkey *)b)->key);
}

static int key_of(pops_buf *b, const char *id, unsigned repeat)
{
	pops_buf_clear(b);
	pops_buf_printf(b, "%s#%u", id, repeat);
	return pops_buf_oom(b) ? pops_error_oom() : 0;
}

static int index_spool(struct runner *r)
{
	FILE *f = r->bg->spool;
	pops_buf line = POPS_BUF_INIT, key = POPS_BUF_INIT;
	cJSON *rec = NULL;
	size_t cap = 0;
	long off;
	int got = 0, error = 0;

	rewind(f);
	while ((off = ftell(f)) >= 0 && (got = pops_report_spool_next(f, &rec, &line)) == 1) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
		const cJSON *rep = cJSON_GetObjectItemCaseSensitive(rec, "repeat");

		if (!cJSON_IsString(id) || !cJSON_IsNumber(rep))
			continue;
		if (r->nbidx == cap) {
			struct bkey *n = realloc(r->bidx, (cap = cap ? cap * 2 : 64) * sizeof(*n));

			if (!n) {
				error = pops_error_oom();
				goto done;
			}
			r->bidx = n;
		}
		if ((error = key_of(&key, id->valuestring, (unsigned)rep->valuedouble)) < 0)
			goto done;
		r->bidx[r->nbidx].key = pops_buf_detach(&key);
		r->bidx[r->nbidx++].off = off;
	}
	if (off < 0 || got < 0) {
		error = off < 0 ? pops_error_os("baseline spool") : got;
		goto done;
	}
	qsort(r->bidx, r->nbidx, sizeof(*r->bidx), cmp_bkey);
done:
	cJSON_Delete(rec);
	pops_buf_dispose(&line);
	pops_buf_dispose(&key);
	return error;
}

int pops_eval_baseline_ref(const pops_config *cfg, pops_repo *repo, const char *ref)
{
	const char **names = NULL, *s = NULL;
	git_object *obj = NULL, *commit = NULL;
	size_t i;
	int ok;

	if (pops_address_env_ref(cfg, ref, NULL))
		return 0;
	ok = repo && git_revparse_single(&obj, pops_repo_git(repo), ref) == 0 &&
	     git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) == 0;
	git_object_free(commit);
	git_object_free(obj);
	git_error_clear();
	if (ok)
		return 0;
	if ((names = calloc(cfg->nenvs + 1, sizeof(*names)))) {
		for (i = 0; i < cfg->nenvs; i++)
			names[i] = cfg->envs[i].name;
		s = pops_suggest(ref, names, POPS_SUGGEST_MAX_DISTANCE);
	}
	pops_error_set(POPS_EINVALID, "--baseline '%s' is neither an environment in pops.yaml%s%s%s "
	               "nor a git revision", ref, s ? " (did you mean '" : "", s ? s : "",
	               s ? "'?)" : "");
	free(names);
	return POPS_EINVALID;
}

int pops_eval_baseline_address(pops_buf *out, const pops_config *cfg, const char *name,
                               const char *ref)
{
	pops_buf_clear(out);
	if (pops_address_env_ref(cfg, ref, NULL))
		pops_buf_printf(out, "%s:%s", name, ref);
	else
		pops_buf_printf(out, "%s#%s", name, ref);
	return pops_buf_oom(out) ? pops_error_oom() : 0;
}

/* --baseline env~side: 1 when the prompt is released in env, so the side is what is missing */
static int released_without_side(const struct runner *r)
{
	pops_addr_side side;
	pops_resolved *res = NULL;
	pops_buf addr = POPS_BUF_INIT, why = POPS_BUF_INIT;
	int found;

	if (!pops_address_env_ref(r->o->config, r->o->baseline, &side) || side == POPS_SIDE_NONE)
		return 0;
	/* the look-up must not replace the message of the failure it explains */
	pops_buf_puts(&why, pops_error_last());
	pops_buf_printf(&addr, "%s:%.*s", pops_eval_prompt_name(r->prompt),
	                (int)strcspn(r->o->baseline, "~"), r->o->baseline);
	found = !pops_buf_oom(&addr) && pops_repo_resolve(&res, r->o->repo, addr.ptr) == 0;
	pops_error_set(POPS_ENOTFOUND, "%s", why.ptr);
	pops_resolved_free(res);
	pops_buf_dispose(&why);
	pops_buf_dispose(&addr);
	return found;
}

/* the run's prompt as the baseline has it */
static int baseline_address(pops_buf *out, const struct runner *r)
{
	return pops_eval_baseline_address(out, r->o->config, pops_eval_prompt_name(r->prompt),
	                                  r->o->baseline);
}

int pops_eval__baseline_probe(struct runner *r)
{
	pops_eval_prompt *bp = NULL;
	pops_buf addr = POPS_BUF_INIT;
	int error;

	if (!r->o->baseline || r->o->skip_pairwise)
		return 0;
	if ((error = pops_eval_baseline_ref(r->o->config, r->o->repo, r->o->baseline)) < 0 ||
	    (error = baseline_address(&addr, r)) < 0)
		goto done;
	error = pops_eval_prompt_load(&bp, r->o->repo, addr.ptr);
	if (error == POPS_ENOTFOUND && released_without_side(r)) {
		/* env~canary with no rollout running is a mistake, not a new prompt */
		pops_error_prefix(error, "--baseline %s: ", r->o->baseline);
	} else if (error == POPS_ENOTFOUND) {
		/* a pull request that adds the prompt: nothing to compare with */
		r->no_baseline = 1;
		pops_error_clear();
		error = 0;
	} else if (error < 0) {
		pops_error_prefix(error, "--baseline %s: ", r->o->baseline);
	}
done:
	pops_eval_prompt_free(bp);
	pops_buf_dispose(&addr);
	return error;
}

int pops_eval__baseline_start(struct runner *r)
{
	pops_eval_options bo = *r->o;
	pops_buf addr = POPS_BUF_INIT;
	int error;

	if ((error = baseline_address(&addr, r)) < 0)
		goto done;
	bo.prompt = addr.ptr;
	bo.model = r->alias;
	/* an environment's outputs come from what it released, model included */
	bo.release_model = pops_address_env_ref(r->o->config, r->o->baseline, NULL);
	bo.baseline = NULL;
	bo.skip_pairwise = 1;
	if ((error = pops_eval_run(&r->bg, r->s, &bo)) < 0) {
		error = pops_error_prefix(error, "--baseline %s: ", r->o->baseline);
		goto done;
	}
	if (r->bg->interrupted)
		r->interrupted = 1;
	/* --max-cost: what the baseline spent counts as this run's */
	r->budget_spent += r->bg->spent;
	if (r->bg->over_budget)
		r->over_budget = 1;
	error = index_spool(r);
done:
	pops_buf_dispose(&addr);
	return error;
}

int pops_eval__baseline_record(struct runner *r, const char *id, unsigned repeat, cJSON **out)
{
	pops_buf key = POPS_BUF_INIT;
	struct bkey probe, *hit;
	int error;

	*out = NULL;
	if (!r->bg || !r->nbidx)
		return 0;
	if ((error = key_of(&key, id, repeat)) < 0)
		goto done;
	probe.key = key.ptr;
	hit = bsearch(&probe, r->bidx, r->nbidx, sizeof(*r->bidx), cmp_bkey);
	if (!hit) {
		error = 0;
		goto done;
	}
	if (fseek(r->bg->spool, hit->off, SEEK_SET) != 0) {
		error = pops_error_os("baseline spool");
		goto done;
	}
	pops_buf_clear(&key);
	error = pops_report_spool_next(r->bg->spool, out, &key);
	if (error == 0)
		error = pops_error_set(POPS_ERROR, "baseline spool: record vanished");
done:
	pops_buf_dispose(&key);
	return error;
}

void pops_eval__baseline_free(struct runner *r)
{
	size_t i;

	for (i = 0; i < r->nbidx; i++)
		free(r->bidx[i].key);
	free(r->bidx);
	r->bidx = NULL;
	r->nbidx = 0;
	pops_eval_group_free(r->bg);
	r->bg = NULL;
}
