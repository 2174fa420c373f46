/* Promote, roll back, approve: plan from the ledger tip, check, write, CAS. */
#include "common.h"
#include "promote_int.h"
#include "casref.h"
#include "git.h"
#include "strutil.h"
#include "repo.h"
#include "rollout.h"

#include <time.h>

void pops_promote_result_dispose(pops_promote_result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		pops_promote__item_reset(&r->v[i]);
		free(r->v[i].changes);
		pops_release_entry_free(r->v[i].entry);
		pops_release_entry_free(r->v[i].current);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static int unknown_env(const pops_config *cfg, const char *name)
{
	pops_buf list = POPS_BUF_INIT;
	const char *names[64];
	const char *guess;
	size_t i, n = 0;

	for (i = 0; i < cfg->nenvs; i++) {
		pops_buf_printf(&list, "%s%s", i ? ", " : "", cfg->envs[i].name);
		if (n + 1 < POPS_ARRAY_SIZE(names))
			names[n++] = cfg->envs[i].name;
	}
	names[n] = NULL;
	guess = pops_suggest(name, names, POPS_SUGGEST_MAX_DISTANCE);
	if (guess)
		pops_error_set(POPS_EINVALID, "unknown environment '%s' (did you mean '%s'?)", name, guess);
	else
		pops_error_set(POPS_EINVALID, "unknown environment '%s' (pops.yaml has: %s)", name,
		               list.size ? list.ptr : "none");
	pops_buf_dispose(&list);
	return POPS_EINVALID;
}

static pops_promote_item *add_item(pops_promote_result *r)
{
	pops_promote_item *v = realloc(r->v, (r->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	r->v = v;
	memset(&v[r->n], 0, sizeof(*v));
	return &v[r->n++];
}

/* replace a string field of an entry; 0 or POPS_ERROR */
static int set_str(char **field, const char *value)
{
	char *d = value ? pops_strdup(value) : NULL;

	if (value && !d)
		return pops_error_oom();
	free(*field);
	*field = d;
	return POPS_OK;
}

static int current_of(pops_release_entry **out, git_repository *repo, const git_oid *tip,
                      const char *env, const char *prompt)
{
	int error;

	*out = NULL;
	if (!tip)
		return POPS_OK;
	error = pops_release_get(out, repo, tip, env, prompt);
	return error == POPS_ENOTFOUND ? POPS_OK : error;
}

struct source {
	const char *env;        /* promote from this environment's releases */
	int canary;             /* ENV~canary: the canary side of its rollouts */
	git_oid commit;         /* or from this commit */
};

/* keep one side of a source environment's release: the stable one, or (~canary) its canary */
static int take_side(pops_release_entry **cand, const struct source *src, const char *name)
{
	pops_release_entry *e = *cand, *c = e->canary;

	e->canary = NULL;
	if (!src->canary) {
		pops_release_entry_free(c);
		return POPS_OK;
	}
	pops_release_entry_free(e);
	*cand = c;
	if (!c)
		return pops_error_set(POPS_ENOTFOUND, "%s has no rollout in %s", name, src->env);
	return POPS_OK;
}

/*
 * What a rollout changes for a planned item: with --canary, the item is
 * a canary beside the stable release (refused without one, or when it
 * is that release); without, a running rollout is in the way.
 */
static int plan_rollout(pops_promote_item *item, const pops_promote_options *opts,
                        const char *env)
{
	const pops_release_entry *cur = item->current, *cand = item->entry;

	if (!opts->canary) {
		if (cur && cur->canary && !item->up_to_date)
			return pops_error_set(POPS_EREFUSED, "a canary rollout of %s is running in %s: "
			                      "pops rollout complete, pops rollback, or pops promote --canary",
			                      cand->prompt, env);
		return POPS_OK;
	}
	if (!cur)
		return pops_error_set(POPS_EREFUSED, "%s has no release in %s: nothing to keep as "
		                      "stable; promote without --canary first", cand->prompt, env);
	if (item->up_to_date)
		return pops_error_set(POPS_EREFUSED, "%s@%ld is the stable release of %s in %s "
		                      "already (up to date): nothing to roll out", cand->prompt,
		                      cand->version, cand->prompt, env);
	item->rollout = POPS_ROLLOUT_START;
	item->canary_percent = opts->canary;
	/* the same canary again: a re-run of the same command has nothing to do */
	item->up_to_date = cur->canary && pops_promote__same_release(cur->canary, cand) &&
	                   cur->rollout_percent == opts->canary;
	return POPS_OK;
}

static int plan_promote(pops_promote_result *out, git_repository *repo,
                        const pops_config *cfg, const pops_env_cfg *env,
                        const pops_promote_options *opts, const struct source *src,
                        const git_oid *tip)
{
	pops_release_list src_list = { NULL, 0 };
	char **names = NULL;
	size_t nnames = 0, i;
	int error = POPS_OK;

	if (!opts->nprompts) {
		if (src->env) {
			if ((error = pops_release_list_entries(&src_list, repo, tip, src->env)) < 0)
				goto done;
			for (i = 0; i < src_list.n; i++) {
				char **v;

				if (src->canary && !src_list.v[i]->canary)
					continue;   /* ENV~canary: the prompts with a rollout */
				v = realloc(names, (nnames + 1) * sizeof(*v));

				if (!v || !(v[nnames] = pops_strdup(src_list.v[i]->prompt))) {
					if (v)
						names = v;
					error = pops_error_oom();
					goto done;
				}
				names = v;
				nnames++;
			}
		} else if ((error = pops_promote_prompt_names(&names, &nnames, repo, cfg,
		                                              &src->commit)) < 0) {
			goto done;
		}
	}
	for (i = 0; i < (opts->nprompts ? opts->nprompts : nnames); i++) {
		const char *name = opts->nprompts ? opts->prompts[i] : names[i];
		pops_promote_item *item;
		pops_release_entry *cand = NULL;

		if ((error = pops_repo_check_name(name)) < 0)
			goto done;
		if (src->env) {
			error = tip ? pops_release_get(&cand, repo, tip, src->env, name) : POPS_ENOTFOUND;
			if (error == POPS_ENOTFOUND) {
				error = pops_error_set(POPS_EREFUSED,
				                       "'%s' is not released in %s, so there is nothing to promote to %s",
				                       name, src->env, env->name);
				goto done;
			}
			if (error < 0 || (error = take_side(&cand, src, name)) < 0)
				goto done;
			if ((error = set_str(&cand->env, env->name)) < 0 ||
			    (error = set_str(&cand->reason, NULL)) < 0 ||
			    (error = set_str(&cand->evidence, NULL)) < 0) {
				pops_release_entry_free(cand);
				goto done;
			}
		} else if ((error = pops_promote_candidate(&cand, repo, cfg, &src->commit, name,
		                                              env->name)) < 0) {
			goto done;
		}
		if (!(item = add_item(out))) {
			pops_release_entry_free(cand);
			error = pops_error_oom();
			goto done;
		}
		item->entry = cand;
		if ((error = current_of(&item->current, repo, tip, env->name, name)) < 0 ||
		    (error = pops_promote__upgrade_legacy(cand, repo, cfg)) < 0 ||
		    (item->current &&
		     (error = pops_promote__upgrade_legacy(item->current, repo, cfg)) < 0))
			goto done;
		item->up_to_date = item->current && pops_promote__same_release(item->current, cand);
		if ((error = plan_rollout(item, opts, env->name)) < 0)
			goto done;
		if (item->current && !item->up_to_date && (error = pops_promote__describe(item)) < 0)
			goto done;
		if (!item->up_to_date &&
		    (error = pops_promote__check_gates(item, repo, cfg, env, tip)) < 0)
			goto done;
	}
done:
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	pops_release_list_dispose(&src_list);
	return error;
}

/*
 * The ledger entry an item with a rollout step records into `*full`
 * (NULL: item->entry as it is) and the state it changes in `*before`.
 */
static int rollout_entry(pops_release_entry **full, const pops_release_entry **before,
                         const pops_promote_item *item)
{
	const pops_release_entry *cur = item->current;
	pops_release_entry *e = NULL;
	int error;

	*full = NULL;
	*before = cur && cur->canary ? cur : NULL;
	if (item->rollout != POPS_ROLLOUT_START && item->rollout != POPS_ROLLOUT_SET)
		return POPS_OK;
	if (!cur || !(e = pops_release_entry_dup(cur)))
		return cur ? pops_error_oom() : pops_error_set(POPS_ERROR, "a rollout without a stable release");
	if (item->rollout == POPS_ROLLOUT_START) {
		/* a new canary; a running rollout keeps its salt, so keys keep their buckets */
		pops_release_entry_free(e->canary);
		if (!(e->canary = pops_release_entry_dup(item->entry))) {
			pops_release_entry_free(e);
			return pops_error_oom();
		}
		pops_release_entry_free(e->canary->canary);
		e->canary->canary = NULL;
		e->rollout_since = (long long)time(NULL);
		if (!cur->canary && (error = pops_rollout_salt_new(e->rollout_salt)) < 0) {
			pops_release_entry_free(e);
			return error;
		}
	}
	e->rollout_percent = item->canary_percent;
	*full = e;
	return POPS_OK;
}

/*
 * --from ENV, ENV~stable or ENV~canary into `src` (`*env_out` owns the
 * name); anything else (a revision such as HEAD~2) leaves src->env NULL.
 */
static int from_side(struct source *src, char **env_out, const pops_config *cfg,
                     const char *from)
{
	const char *tilde = strrchr(from, '~');
	char *name;

	if (pops_config_env(cfg, from, NULL)) {
		src->env = from;
		return POPS_OK;
	}
	if (!tilde || !(name = pops_strndup(from, (size_t)(tilde - from))))
		return tilde ? pops_error_oom() : POPS_OK;
	if (!pops_config_env(cfg, name, NULL)) {
		free(name);
		return POPS_OK;
	}
	if (strcmp(tilde + 1, "canary") && strcmp(tilde + 1, "stable")) {
		free(name);
		return pops_error_set(POPS_EINVALID, "--from '%s': after '~' use canary or stable", from);
	}
	src->env = *env_out = name;
	src->canary = !strcmp(tilde + 1, "canary");
	return POPS_OK;
}

/* write one commit per item that changes, chained on `tip`; `head_out` the last */
int pops_promote__write_chain(git_oid *head_out, int *any, git_repository *repo,
                              pops_promote_result *r, const git_oid *tip,
                              pops_release_action action, const char *reason, int force)
{
	git_oid parent, id;
	int have_parent = tip != NULL, error;
	size_t i;

	*any = 0;
	if (tip)
		git_oid_cpy(&parent, tip);
	for (i = 0; i < r->n; i++) {
		pops_promote_item *item = &r->v[i];
		pops_release_change ch;
		pops_release_entry *full = NULL;

		if (item->up_to_date)
			continue;
		memset(&ch, 0, sizeof(ch));
		item->forced = force && item->nunmet > 0;
		/* a new share is no new release: the canary keeps its evidence */
		if ((action == POPS_RELEASE_PROMOTE && item->rollout != POPS_ROLLOUT_SET &&
		     (error = set_str(&item->entry->evidence,
		                      item->nevidence ? item->evidence[0] : NULL)) < 0) ||
		    (error = set_str(&item->entry->reason, reason)) < 0 ||
		    (error = rollout_entry(&full, &ch.before, item)) < 0)
			return error;
		if (full && (error = set_str(&full->reason, reason)) < 0) {
			pops_release_entry_free(full);
			return error;
		}
		ch.action = action;
		ch.entry = full ? full : item->entry;
		ch.rollout = item->rollout;
		ch.reason = reason;
		ch.forced = item->forced;
		ch.approvers = (const char *const *)item->approvers;
		ch.napprovers = item->napprovers;
		ch.evidence = (const char *const *)item->evidence;
		ch.nevidence = item->nevidence;
		ch.changes = item->changes;
		error = pops_release_write(&id, repo, have_parent ? &parent : NULL, &ch);
		pops_release_entry_free(full);
		if (error < 0)
			return error;
		git_oid_cpy(&item->ledger_commit, &id);
		git_oid_cpy(&parent, &id);
		have_parent = 1;
		*any = 1;
	}
	git_oid_cpy(head_out, &parent);
	return POPS_OK;
}

int pops_promote(pops_promote_result *out, git_repository *repo,
                 const pops_config *cfg, const pops_promote_options *opts)
{
	const pops_env_cfg *env;
	struct source src;
	git_object *obj = NULL, *peeled = NULL;
	char *from_env = NULL;
	git_oid tip, head;
	size_t idx, i, changes, unmet;
	unsigned attempt;
	int have_tip, error = POPS_OK, any;

	memset(out, 0, sizeof(*out));
	memset(&src, 0, sizeof(src));
	if (!(env = pops_config_env(cfg, opts->env, &idx)))
		return unknown_env(cfg, opts->env);
	out->env = env->name;
	if (opts->force && (!opts->reason || !*opts->reason))
		return pops_error_set(POPS_EINVALID, "--force needs --reason: the ledger records why");
	if (opts->canary && !pops_rollout_percent_ok((long)opts->canary))
		return pops_error_set(POPS_EINVALID, "--canary %u: the share is a whole percent from "
		                      "1 to 99", opts->canary);
	if (opts->from && (error = from_side(&src, &from_env, cfg, opts->from)) < 0)
		goto done;
	if (src.env && !strcmp(src.env, env->name)) {
		error = pops_error_set(POPS_EINVALID, "cannot promote %s from itself", env->name);
		goto done;
	}
	if (src.env) {
		/* ENV or ENV~side: take its releases */
	} else if (opts->from) {
		error = git_revparse_single(&obj, repo, opts->from);
		if (error < 0 || git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
			error = pops_error_set(POPS_EINVALID,
			                       "--from '%s' is neither an environment nor a commit", opts->from);
			goto done;
		}
		git_oid_cpy(&src.commit, git_object_id(peeled));
	} else if (idx > 0) {
		src.env = cfg->envs[idx - 1].name;
	} else {
		error = git_reference_name_to_id(&head, repo, "HEAD");
		if (error < 0) {
			error = pops_error_set(POPS_EINVALID, "HEAD has no commits: commit the prompts first");
			goto done;
		}
		git_oid_cpy(&src.commit, &head);
	}
	out->source = opts->from ? opts->from : src.env ? src.env : "HEAD";

	for (attempt = 0; attempt < POPS_CAS_MAX_ATTEMPTS; attempt++) {
		out->attempts = attempt + 1;
		pops_promote_result_dispose(out);
		error = pops_release_tip(&tip, repo);
		if (error < 0 && error != POPS_ENOTFOUND)
			goto done;
		have_tip = error == 0;
		if ((error = plan_promote(out, repo, cfg, env, opts, &src, have_tip ? &tip : NULL)) < 0)
			goto done;
		changes = unmet = 0;
		for (i = 0; i < out->n; i++) {
			if (!out->v[i].up_to_date)
				changes++;
			if (out->v[i].nunmet)
				unmet++;
		}
		if (!out->n) {
			error = pops_error_set(POPS_EREFUSED, "nothing to promote to %s: %s", env->name,
			                       src.env ? "the source environment has no releases" :
			                       "no prompts at the source commit");
			goto done;
		}
		/* releasing what the target has is done already: a re-run succeeds */
		if (!changes) {
			error = POPS_OK;
			goto done;
		}
		if (unmet && !opts->force) {
			error = pops_error_set(POPS_EREFUSED, "promotion to %s refused: %zu prompt%s %s unmet requirements",
			                       env->name, unmet, unmet == 1 ? "" : "s",
			                       unmet == 1 ? "has" : "have");
			goto done;
		}
		if (opts->dry_run) {
			error = POPS_OK;
			goto done;
		}
		if ((error = pops_promote__write_chain(&head, &any, repo, out, have_tip ? &tip : NULL,
		                         POPS_RELEASE_PROMOTE, opts->reason, opts->force)) < 0)
			goto done;
		error = pops_release_publish(repo, &head, have_tip ? &tip : NULL, "promote");
		if (error != POPS_EMODIFIED) {
			if (error == 0)
				for (i = 0; i < out->n; i++)
					out->v[i].recorded = !out->v[i].up_to_date;
			goto done;
		}
		if (!pops_casref_wait(repo, POPS_RELEASE_REF, attempt))
			break;
	}
	error = pops_casref_gave_up(repo, POPS_RELEASE_REF, POPS_CAS_MAX_ATTEMPTS);
done:
	free(from_env);
	git_object_free(peeled);
	git_object_free(obj);
	return error;
}
