/* Canary rollouts after the start: a new share, or the canary made stable. */
#include "common.h"
#include "promote_int.h"
#include "casref.h"
#include "repo.h"
#include "rollout.h"
#include "strutil.h"

/* the one item of a rollout command: current = the entry with its rollout, entry = its canary */
static int rollout_item(pops_promote_result *out, git_repository *repo, const git_oid *tip,
                        const char *env, const char *prompt, pops_promote_item **item_out)
{
	pops_promote_item *item;
	int error;

	*item_out = NULL;
	if (!(out->v = calloc(1, sizeof(*out->v))))
		return pops_error_oom();
	out->n = 1;
	item = *item_out = &out->v[0];
	error = tip ? pops_release_get(&item->current, repo, tip, env, prompt) : POPS_ENOTFOUND;
	if (error == POPS_ENOTFOUND || (error == 0 && !item->current->canary))
		return pops_error_set(POPS_ENOTFOUND, "%s has no rollout in %s", prompt, env);
	if (error < 0)
		return error;
	if (!(item->entry = pops_release_entry_dup(item->current->canary)))
		return pops_error_oom();
	return POPS_OK;
}

static int plan_set(pops_promote_result *out, git_repository *repo, const pops_config *cfg,
                    const pops_env_cfg *env, const pops_rollout_options *opts, const git_oid *tip)
{
	pops_promote_item *item = NULL;
	pops_buf changes = POPS_BUF_INIT;
	int error;

	(void)cfg;
	if ((error = rollout_item(out, repo, tip, env->name, opts->prompt, &item)) < 0 || !item)
		return error < 0 ? error : POPS_ERROR;
	item->rollout = POPS_ROLLOUT_SET;
	item->canary_percent = opts->percent;
	item->up_to_date = item->current->rollout_percent == opts->percent;
	pops_buf_printf(&changes, "canary share %u%% -> %u%%", item->current->rollout_percent,
	                opts->percent);
	if (pops_buf_oom(&changes)) {
		pops_buf_dispose(&changes);
		return pops_error_oom();
	}
	item->changes = pops_buf_detach(&changes);
	return POPS_OK;
}

static int plan_complete(pops_promote_result *out, git_repository *repo, const pops_config *cfg,
                         const pops_env_cfg *env, const pops_rollout_options *opts,
                         const git_oid *tip)
{
	pops_promote_item *item = NULL;
	int error;

	if ((error = rollout_item(out, repo, tip, env->name, opts->prompt, &item)) < 0 || !item)
		return error < 0 ? error : POPS_ERROR;
	item->rollout = POPS_ROLLOUT_COMPLETE;
	/* the canary as a release of its own: the stable one it replaces is `current` */
	if ((error = pops_promote__describe(item)) < 0)
		return error;
	/* the gate again: evidence gathered while the canary ran counts now */
	return pops_promote__check_gates(item, repo, cfg, env, tip);
}

typedef int (*plan_fn)(pops_promote_result *out, git_repository *repo, const pops_config *cfg,
                       const pops_env_cfg *env, const pops_rollout_options *opts,
                       const git_oid *tip);

/* plan, check, write one ledger commit, compare-and-swap; re-plan after a lost race */
static int run(pops_promote_result *out, git_repository *repo, const pops_config *cfg,
               const pops_rollout_options *opts, plan_fn plan, const char *what)
{
	const pops_env_cfg *env;
	git_oid tip, head;
	unsigned attempt;
	int error, have_tip, any;

	memset(out, 0, sizeof(*out));
	if (!(env = pops_config_env(cfg, opts->env, NULL)))
		return pops_error_set(POPS_EINVALID, "unknown environment '%s'", opts->env);
	out->env = env->name;
	out->source = opts->env;
	if (opts->force && (!opts->reason || !*opts->reason))
		return pops_error_set(POPS_EINVALID, "--force needs --reason: the ledger records why");
	if (!opts->prompt)
		return pops_error_set(POPS_EINVALID, "which prompt?");
	if ((error = pops_repo_check_name(opts->prompt)) < 0)
		return error;
	for (attempt = 0; attempt < POPS_CAS_MAX_ATTEMPTS; attempt++) {
		pops_promote_result_dispose(out);
		out->attempts = attempt + 1;
		error = pops_release_tip(&tip, repo);
		if (error < 0 && error != POPS_ENOTFOUND)
			return error;
		have_tip = error == 0;
		if ((error = plan(out, repo, cfg, env, opts, have_tip ? &tip : NULL)) < 0)
			return error;
		if (out->v[0].up_to_date)
			return POPS_OK;
		if (out->v[0].nunmet && !opts->force)
			return pops_error_set(POPS_EREFUSED, "completing the rollout of %s in %s refused: "
			                      "unmet requirements", opts->prompt, env->name);
		if (opts->dry_run)
			return POPS_OK;
		if ((error = pops_promote__write_chain(&head, &any, repo, out, &tip, POPS_RELEASE_PROMOTE,
		                                       opts->reason, opts->force)) < 0)
			return error;
		error = pops_release_publish(repo, &head, &tip, what);
		if (error != POPS_EMODIFIED) {
			out->v[0].recorded = error == 0;
			return error;
		}
		if (!pops_casref_wait(repo, POPS_RELEASE_REF, attempt))
			break;
	}
	return pops_casref_gave_up(repo, POPS_RELEASE_REF, POPS_CAS_MAX_ATTEMPTS);
}

int pops_rollout_set(pops_promote_result *out, git_repository *repo,
                     const pops_config *cfg, const pops_rollout_options *opts)
{
	if (!pops_rollout_percent_ok((long)opts->percent)) {
		memset(out, 0, sizeof(*out));
		return pops_error_set(POPS_EINVALID, "a canary share is a whole percent from 1 to 99 "
		                      "(not %u): to end the rollout use pops rollout complete or "
		                      "pops rollback", opts->percent);
	}
	return run(out, repo, cfg, opts, plan_set, "rollout set");
}

int pops_rollout_complete(pops_promote_result *out, git_repository *repo,
                          const pops_config *cfg, const pops_rollout_options *opts)
{
	return run(out, repo, cfg, opts, plan_complete, "rollout complete");
}
