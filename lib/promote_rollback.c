/* Rollback and approve: ledger commits that restore or bless a release. */
#include "common.h"
#include "promote_int.h"
#include "casref.h"
#include "git.h"
#include "strutil.h"

/* the id of `<env>/<prompt>.json` in ledger commit `c`; zero when absent */
static int state_of(git_oid *out, git_commit *c, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = git_commit_tree(&tree, c)) < 0)
		return pops_git_error(error, "cannot read the release ledger");
	error = git_tree_entry_bypath(&te, tree, path);
	if (error == 0)
		git_oid_cpy(out, git_tree_entry_id(te));
	git_tree_entry_free(te);
	git_tree_free(tree);
	return error == 0 || error == GIT_ENOTFOUND ? POPS_OK :
	       pops_git_error(error, "cannot read the release ledger");
}

/*
 * Walk the ledger's first-parent history from `tip` and find what to
 * restore for env/prompt: the state before the commit that set the
 * current one, or (version > 0) the newest earlier release of that
 * version whose blob differs from the current one.
 */
static int find_target(pops_release_entry **out, git_repository *repo, const git_oid *tip,
                       const char *env, const char *prompt, const pops_release_entry *current,
                       long version)
{
	pops_buf path = POPS_BUF_INIT;
	git_commit *c = NULL, *p = NULL;
	git_oid cur_state, st, last_seen;
	pops_release_entry *e = NULL;
	int error;

	*out = NULL;
	memset(&last_seen, 0, sizeof(last_seen));
	pops_buf_printf(&path, "%s/%s.json", env, prompt);
	if ((error = git_commit_lookup(&c, repo, tip)) < 0) {
		error = pops_git_error(error, "cannot read the release ledger");
		goto done;
	}
	if ((error = state_of(&cur_state, c, path.ptr)) < 0)
		goto done;
	while (c) {
		p = NULL;
		if (git_commit_parentcount(c) == 0)
			break;
		if ((error = git_commit_parent(&p, c, 0)) < 0) {
			error = pops_git_error(error, "cannot read the release ledger");
			goto done;
		}
		if ((error = state_of(&st, p, path.ptr)) < 0)
			goto done;
		if (version <= 0) {
			if (!git_oid_equal(&st, &cur_state)) {
				if (git_oid_is_zero(&st)) {
					error = pops_error_set(POPS_ENOTFOUND,
					                       "nothing to roll back to: the current release of '%s' in %s is its first",
					                       prompt, env);
					goto done;
				}
				error = pops_release_get(out, repo, git_commit_id(p), env, prompt);
				goto done;
			}
		} else if (!git_oid_is_zero(&st) && !git_oid_equal(&st, &last_seen)) {
			git_oid_cpy(&last_seen, &st);
			if ((error = pops_release_get(&e, repo, git_commit_id(p), env, prompt)) < 0)
				goto done;
			if (e->version == version && !pops_promote__same_release(e, current)) {
				*out = e;
				e = NULL;
				goto done;
			}
			pops_release_entry_free(e);
			e = NULL;
		}
		git_commit_free(c);
		c = p;
		p = NULL;
	}
	if (version > 0)
		error = pops_error_set(POPS_ENOTFOUND, "%s@%ld was never released to %s before",
		                       prompt, version, env);
	else
		error = pops_error_set(POPS_ENOTFOUND,
		                       "nothing to roll back to: the current release of '%s' in %s is its first",
		                       prompt, env);
done:
	pops_release_entry_free(e);
	git_commit_free(p);
	git_commit_free(c);
	pops_buf_dispose(&path);
	return error;
}

/* the prompt of env's newest promote or rollback */
static int latest_prompt(char **out, git_repository *repo, const char *env)
{
	pops_release_events log = { NULL, 0 };
	size_t i;
	int error;

	*out = NULL;
	if ((error = pops_release_log(&log, repo, env, NULL, 1)) < 0)
		return error;
	for (i = 0; i < log.n; i++) {
		if (log.v[i].prompt && (!strcmp(log.v[i].action, "promote") ||
		                        !strcmp(log.v[i].action, "rollback") ||
		                        !strcmp(log.v[i].action, "rollout"))) {
			if (!(*out = pops_strdup(log.v[i].prompt)))
				error = pops_error_oom();
			break;
		}
	}
	if (!*out && !error)
		error = pops_error_set(POPS_ENOTFOUND, "nothing has been released to %s yet", env);
	pops_release_events_dispose(&log);
	return error;
}

/* rollback during a rollout: the canary goes, the stable release stays */
static int end_rollout(pops_promote_item *item, const pops_rollback_options *opts,
                       const char *env)
{
	const pops_release_entry *cur = item->current;
	pops_buf changes = POPS_BUF_INIT;

	if (opts->to_version > 0 || opts->to_rev)
		return pops_error_set(POPS_EINVALID, "a canary rollout of %s is running in %s: "
		                      "'pops rollback %s %s' ends it and keeps @%ld (no --to then)",
		                      cur->prompt, env, env, cur->prompt, cur->version);
	if (!(item->entry = pops_release_entry_dup(cur)))
		return pops_error_oom();
	pops_release_entry_free(item->entry->canary);
	item->entry->canary = NULL;
	item->rollout = POPS_ROLLOUT_ABORT;
	pops_buf_printf(&changes, "canary @%ld (%u%%) ended, @%ld stays", cur->canary->version,
	                cur->rollout_percent, cur->version);
	if (pops_buf_oom(&changes)) {
		pops_buf_dispose(&changes);
		return pops_error_oom();
	}
	item->changes = pops_buf_detach(&changes);
	return POPS_OK;
}

static int plan_rollback(pops_promote_result *out, git_repository *repo,
                         const pops_rollback_options *opts, const char *env,
                         const git_oid *tip)
{
	char *latest = NULL;
	size_t i, n = opts->nprompts ? opts->nprompts : 1;
	git_oid rev;
	int error = POPS_OK;

	if (!opts->nprompts && (error = latest_prompt(&latest, repo, env)) < 0)
		return error;
	if (opts->to_rev && (error = pops_release_resolve_rev(&rev, repo, opts->to_rev)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		const char *name = opts->nprompts ? opts->prompts[i] : latest;
		pops_promote_item *v = realloc(out->v, (out->n + 1) * sizeof(*v)), *item;
		pops_release_entry *target = NULL;

		if (!v) {
			error = pops_error_oom();
			goto done;
		}
		out->v = v;
		item = &v[out->n++];
		memset(item, 0, sizeof(*item));
		if ((error = pops_release_get(&item->current, repo, tip, env, name)) < 0)
			goto done;
		if (item->current->canary) {
			if ((error = end_rollout(item, opts, env)) < 0)
				goto done;
			continue;
		}
		if (opts->to_rev) {
			error = pops_release_get(&target, repo, &rev, env, name);
			if (error == POPS_ENOTFOUND)
				error = pops_error_set(POPS_ENOTFOUND, "'%s' was not released to %s as of ledger revision '%s'",
				                       name, env, opts->to_rev);
		} else {
			error = find_target(&target, repo, tip, env, name, item->current,
			                    opts->to_version);
		}
		if (error < 0)
			goto done;
		/* a past state restores its stable release, never its rollout */
		pops_release_entry_free(target->canary);
		target->canary = NULL;
		item->entry = target;
		if (pops_promote__same_release(target, item->current)) {
			error = pops_error_set(POPS_EREFUSED, "%s already has that release of '%s' (@%ld)",
			                       env, name, target->version);
			goto done;
		}
		if ((error = pops_promote__describe(item)) < 0)
			goto done;
	}
done:
	free(latest);
	return error;
}

int pops_rollback(pops_promote_result *out, git_repository *repo,
                  const pops_config *cfg, const pops_rollback_options *opts)
{
	const pops_env_cfg *env;
	git_oid tip, head;
	unsigned attempt;
	size_t i;
	int error, any;

	memset(out, 0, sizeof(*out));
	if (!(env = pops_config_env(cfg, opts->env, NULL)))
		return pops_error_set(POPS_EINVALID, "unknown environment '%s'", opts->env);
	out->env = env->name;
	out->source = "ledger";
	for (attempt = 0; attempt < POPS_CAS_MAX_ATTEMPTS; attempt++) {
		pops_promote_result_dispose(out);
		out->attempts = attempt + 1;
		if ((error = pops_release_tip(&tip, repo)) < 0) {
			if (error == POPS_ENOTFOUND)
				error = pops_error_set(POPS_ENOTFOUND, "nothing has been released to %s yet",
				                       env->name);
			return error;
		}
		if ((error = plan_rollback(out, repo, opts, env->name, &tip)) < 0 || opts->dry_run)
			return error;
		if ((error = pops_promote__write_chain(&head, &any, repo, out, &tip, POPS_RELEASE_ROLLBACK,
		                                       opts->reason, 0)) < 0)
			return error;
		error = pops_release_publish(repo, &head, &tip, "rollback");
		if (error != POPS_EMODIFIED) {
			if (error == 0)
				for (i = 0; i < out->n; i++)
					out->v[i].recorded = 1;
			return error;
		}
		if (!pops_casref_wait(repo, POPS_RELEASE_REF, attempt))
			break;
	}
	return pops_casref_gave_up(repo, POPS_RELEASE_REF, POPS_CAS_MAX_ATTEMPTS);
}

/* the entry an approval address names: prompt@N, prompt:env, or prompt (HEAD) */
static int approval_entry(pops_release_entry **out, git_repository *repo,
                          const pops_config *cfg, const char *env, const char *address)
{
	const char *sep = address + strcspn(address, "@:");
	char *name = pops_strndup(address, (size_t)(sep - address));
	git_oid blob, commit;
	long version;
	int error;

	*out = NULL;
	POPS_CHECK_ALLOC(name);
	if (!pops_release_name_ok(name)) {
		error = pops_error_set(POPS_EINVALID, "'%s' is not a prompt address (use name@N)", address);
		goto done;
	}
	if (*sep == '@') {
		if (pops_parse_long(&version, sep + 1, 1, LONG_MAX) < 0) {
			error = pops_error_set(POPS_EINVALID, "'%s': the version after '@' must be a number from 1",
			                       address);
			goto done;
		}
		if ((error = pops_promote__version_blob(&blob, &commit, repo, cfg, name, version)) < 0 ||
		    (error = pops_promote_candidate(out, repo, cfg, &commit, name, env)) < 0)
			goto done;
	} else if (*sep == ':') {
		pops_release_entry *e = NULL;

		if (!pops_config_env(cfg, sep + 1, NULL)) {
			error = pops_error_set(POPS_EINVALID, "unknown environment '%s' in '%s'", sep + 1, address);
			goto done;
		}
		if ((error = pops_release_get(&e, repo, NULL, sep + 1, name)) < 0)
			goto done;
		/* prompt:env names the stable release, rollout or not */
		pops_release_entry_free(e->canary);
		e->canary = NULL;
		free(e->env);
		if (!(e->env = pops_strdup(env))) {
			pops_release_entry_free(e);
			error = pops_error_oom();
			goto done;
		}
		*out = e;
	} else {
		if (git_reference_name_to_id(&commit, repo, "HEAD") < 0) {
			error = pops_error_set(POPS_EINVALID, "HEAD has no commits yet");
			goto done;
		}
		error = pops_promote_candidate(out, repo, cfg, &commit, name, env);
	}
done:
	free(name);
	return error;
}

int pops_approve(pops_release_entry **out, git_repository *repo,
                 const pops_config *cfg, const char *env_name, const char *address)
{
	const pops_env_cfg *env;
	pops_release_entry *e = NULL;
	pops_release_events log = { NULL, 0 };
	pops_release_change ch;
	pops_buf me = POPS_BUF_INIT;
	const char *approvers[1];
	git_oid tip;
	unsigned attempt;
	size_t i, j;
	int error, have_tip;

	*out = NULL;
	if (!(env = pops_config_env(cfg, env_name, NULL)))
		return pops_error_set(POPS_EINVALID, "unknown environment '%s'", env_name);
	if ((error = approval_entry(&e, repo, cfg, env->name, address)) < 0 ||
	    (error = pops_promote__whoami(&me, repo)) < 0)
		goto done;
	for (attempt = 0; attempt < POPS_CAS_MAX_ATTEMPTS; attempt++) {
		error = pops_release_tip(&tip, repo);
		if (error < 0 && error != POPS_ENOTFOUND)
			goto done;
		have_tip = error == 0;
		pops_release_events_dispose(&log);
		if ((error = pops_release_log(&log, repo, env->name, e->prompt, 0)) < 0)
			goto done;
		for (i = 0; i < log.n; i++) {
			if (!pops_release_event_approves(&log.v[i], e))
				continue;
			for (j = 0; j < log.v[i].napprovers; j++) {
				if (!strcmp(log.v[i].approvers[j], me.ptr)) {
					error = pops_error_set(POPS_EEXISTS, "%s already approved %s@%ld for %s",
					                       me.ptr, e->prompt, e->version, env->name);
					goto done;
				}
			}
		}
		memset(&ch, 0, sizeof(ch));
		ch.action = POPS_RELEASE_APPROVE;
		ch.entry = e;
		approvers[0] = me.ptr;
		ch.approvers = approvers;
		ch.napprovers = 1;
		error = pops_release_commit(NULL, repo, have_tip ? &tip : NULL, &ch);
		if (error != POPS_EMODIFIED)
			break;
		if (!pops_casref_wait(repo, POPS_RELEASE_REF, attempt))
			break;
	}
	if (error == POPS_EMODIFIED)
		error = pops_casref_gave_up(repo, POPS_RELEASE_REF, POPS_CAS_MAX_ATTEMPTS);
	if (error == 0) {
		*out = e;
		e = NULL;
	}
done:
	pops_release_events_dispose(&log);
	pops_buf_dispose(&me);
	pops_release_entry_free(e);
	return error;
}
