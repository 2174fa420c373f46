#include "common.h"
#include "repo.h"
#include "repo_int.h"
#include "release.h"
#include "rollout.h"
#include "git.h"
#include "strutil.h"

/*
 * Addresses: name, name@N, name@latest, name@-N, name:env (and
 * name:env~stable, name:env~canary during a rollout), name#rev. Names
 * cannot contain '@', ':' or '#', so the first of them starts the
 * suffix; environment names have no '~'.
 */

static int bad_address(const char *text, const char *why)
{
	pops_buf q = POPS_BUF_INIT;
	int error;

	pops_buf_put_sanitized(&q, text, strlen(text), 0);
	error = pops_error_set(POPS_EINVALID, "invalid address '%s': %s", q.ptr, why);
	pops_buf_dispose(&q);
	return error;
}

void pops_address_dispose(pops_address *addr)
{
	if (!addr)
		return;
	free(addr->name);
	free(addr->env);
	free(addr->rev);
	memset(addr, 0, sizeof(*addr));
}

/* "env", "env~stable" or "env~canary" (environment names have no '~') */
static int parse_env(pops_address *out, const char *text, const char *s)
{
	const char *tilde = strchr(s, '~');

	if (!(out->env = pops_strndup(s, tilde ? (size_t)(tilde - s) : strlen(s))))
		return pops_error_oom();
	if (!*out->env || strpbrk(out->env, "@:#") || pops_repo__check_segments(out->env, 1) < 0) {
		pops_error_clear();
		return bad_address(text, "after ':' give an environment name");
	}
	if (!tilde)
		out->side = POPS_SIDE_NONE;
	else if (!strcmp(tilde + 1, "stable"))
		out->side = POPS_SIDE_STABLE;
	else if (!strcmp(tilde + 1, "canary"))
		out->side = POPS_SIDE_CANARY;
	else
		return bad_address(text, "after '~' give 'stable' or 'canary' (the sides of a "
		                   "canary rollout)");
	return POPS_OK;
}

int pops_address_parse(pops_address *out, const char *text)
{
	size_t nlen = strcspn(text, "@:#");
	const char *suffix = text + nlen;
	int error = POPS_OK;

	memset(out, 0, sizeof(*out));
	out->name = pops_strndup(text, nlen);
	POPS_CHECK_ALLOC(out->name);
	if ((error = pops_repo_check_name(out->name)) < 0)
		goto done;
	switch (*suffix) {
	case '\0':
		out->kind = POPS_ADDR_WORKTREE;
		break;
	case '@':
		suffix++;
		if (!strcmp(suffix, "latest")) {
			out->kind = POPS_ADDR_LATEST;
		} else if (*suffix == '-') {
			out->kind = POPS_ADDR_RELATIVE;
			if (pops_parse_long(&out->number, suffix + 1, 1, LONG_MAX) < 0 ||
			    !isdigit((unsigned char)suffix[1]))
				error = bad_address(text, "use @-N with N >= 1 (@-1 = the version "
				                    "before the newest)");
		} else {
			out->kind = POPS_ADDR_VERSION;
			if (pops_parse_long(&out->number, suffix, 1, LONG_MAX) < 0 ||
			    !isdigit((unsigned char)*suffix))
				error = bad_address(text, "after '@' use a version number >= 1, "
				                    "'latest' or -N");
		}
		break;
	case ':':
		out->kind = POPS_ADDR_ENV;
		error = parse_env(out, text, suffix + 1);
		break;
	case '#':
		out->kind = POPS_ADDR_REV;
		if (!(out->rev = pops_strdup(suffix + 1))) {
			error = pops_error_oom();
			break;
		}
		if (!*out->rev)
			error = bad_address(text, "after '#' give a revision");
		else if (!pops_utf8_valid(out->rev, strlen(out->rev), NULL) ||
		         strpbrk(out->rev, "\n\r\t"))
			error = bad_address(text, "the revision has control characters");
		else {
			const char *p;

			for (p = out->rev; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					error = bad_address(text, "the revision has control characters");
		}
		break;
	}
done:
	if (error < 0)
		pops_address_dispose(out);
	return error;
}

int pops_address_env_ref(const pops_config *cfg, const char *ref, pops_addr_side *side)
{
	const char *tilde = strchr(ref, '~');
	pops_addr_side sd = POPS_SIDE_NONE;
	char *env;
	int found;

	if (side)
		*side = POPS_SIDE_NONE;
	if (!tilde)
		return pops_config_env(cfg, ref, NULL) != NULL;
	if (!strcmp(tilde + 1, "stable"))
		sd = POPS_SIDE_STABLE;
	else if (!strcmp(tilde + 1, "canary"))
		sd = POPS_SIDE_CANARY;
	else
		return 0;
	if (!(env = pops_strndup(ref, (size_t)(tilde - ref))))
		return 0;
	found = pops_config_env(cfg, env, NULL) != NULL;
	free(env);
	if (found && side)
		*side = sd;
	return found;
}

void pops_resolved_free(pops_resolved *res)
{
	if (!res)
		return;
	free(res->address);
	free(res->name);
	free(res->path);
	free(res->data);
	free(res->env);
	cJSON_Delete(res->release);
	git_tree_free(res->tree__);
	pops_release_entry_free(res->entry__);
	free(res);
}

static int check_env(const pops_repo *repo, const char *env)
{
	const pops_config *cfg = repo->cfg;
	const char *names[64];
	const char *guess;
	size_t i, n = 0;

	if (!cfg || !cfg->nenvs || pops_config_env(cfg, env, NULL))
		return POPS_OK;
	for (i = 0; i < cfg->nenvs && n + 1 < POPS_ARRAY_SIZE(names); i++)
		names[n++] = cfg->envs[i].name;
	names[n] = NULL;
	guess = pops_suggest(env, names, POPS_SUGGEST_MAX_DISTANCE);
	if (guess)
		return pops_error_set(POPS_EINVALID, "unknown environment '%s' (did you mean '%s'?)",
		                      env, guess);
	return pops_error_set(POPS_EINVALID, "unknown environment '%s' (pops.yaml lists the "
	                      "environments)", env);
}

/* a request key to serve (pops_repo_resolve_key), or none */
typedef struct serve_key {
	const char *key;   /* NULL: none */
	size_t len;
} serve_key;

/*
 * Which side of `e` the address (or the key) reads, filling res->side,
 * rollout_percent, rollout_salt and bucket. Without a rollout the
 * release is the stable side (as promote --from env~stable takes it);
 * ~canary is then POPS_ENOTFOUND.
 */
static int pick_side(pops_resolved *res, const pops_address *addr, const serve_key *key,
                     const pops_release_entry *e)
{
	if (!e->canary) {
		if (addr->side == POPS_SIDE_CANARY)
			return pops_error_set(POPS_ENOTFOUND, "%s has no rollout in %s", addr->name,
			                      addr->env);
		res->side = POPS_SIDE_NONE;
		return POPS_OK;
	}
	res->rollout_percent = e->rollout_percent;
	memcpy(res->rollout_salt, e->rollout_salt, sizeof(res->rollout_salt));
	res->rollout_salt[sizeof(res->rollout_salt) - 1] = '\0';
	if (key->key) {
		res->bucket = pops_rollout_bucket(res->rollout_salt, key->key, key->len);
		res->side = res->bucket < e->rollout_percent * 100u ? POPS_SIDE_CANARY :
		            POPS_SIDE_STABLE;
	} else {
		res->side = addr->side == POPS_SIDE_CANARY ? POPS_SIDE_CANARY : POPS_SIDE_STABLE;
	}
	return POPS_OK;
}

/* the ledger tip's commit and tree; POPS_ENOTFOUND when nothing was promoted */
static int ledger_tree(git_oid *ledger, git_tree **tree, pops_repo *repo,
                       const pops_address *addr)
{
	git_commit *c = NULL;
	int error;

	error = git_reference_name_to_id(ledger, repo->git, POPS_RELEASES_REF);
	if (error == GIT_ENOTFOUND)
		return pops_error_set(POPS_ENOTFOUND, "no release of '%s' in env '%s' (nothing "
		                      "has been promoted yet)", addr->name, addr->env);
	else if (error < 0)
		return pops_git_error(error, "cannot read " POPS_RELEASES_REF);
	if ((error = git_commit_lookup(&c, repo->git, ledger)) < 0 ||
	    (error = git_commit_tree(tree, c)) < 0)
		error = pops_git_error(error, "cannot read " POPS_RELEASES_REF);
	git_commit_free(c);
	return error;
}

static int resolve_env(pops_resolved *res, pops_repo *repo, const pops_address *addr,
                       const serve_key *key, pops_buf *data)
{
	git_oid ledger;
	git_commit *src = NULL;
	git_tree *tree = NULL;
	pops_release_entry *e = NULL;
	pops_buf path = POPS_BUF_INIT, json = POPS_BUF_INIT, what = POPS_BUF_INIT;
	int error;

	if ((error = check_env(repo, addr->env)) < 0 ||
	    (error = ledger_tree(&ledger, &tree, repo, addr)) < 0)
		goto done;
	/* the validated release record: its closure says which partials render it */
	error = pops_release_get(&e, repo->git, &ledger, addr->env, addr->name);
	if (error == POPS_ENOTFOUND)
		error = pops_error_set(POPS_ENOTFOUND, "no release of '%s' in env '%s'",
		                       addr->name, addr->env);
	if (error < 0 || (error = pick_side(res, addr, key, e)) < 0)
		goto done;
	if (res->side == POPS_SIDE_CANARY) {
		/* the canary side is a release of its own: its blob, partials and model */
		res->entry__ = e->canary;
		e->canary = NULL;
	} else {
		res->entry__ = e;
		e = NULL;
	}
	pops_buf_printf(&path, "%s/%s%s%s", addr->env, addr->name,
	                res->side == POPS_SIDE_CANARY ? "@canary" : "", POPS_PROMPT_EXT);
	pops_buf_printf(&what, "release of '%s' in env '%s'", addr->name, addr->env);
	if ((error = pops_repo__read_tree_path(data, &res->blob, repo, tree, path.ptr,
	                                       what.ptr)) < 0)
		goto done;
	if (!git_oid_equal(&res->entry__->blob, &res->blob)) {
		error = pops_error_set(POPS_ERROR, "%s: the release record of '%s' in %s does not "
		                       "match its prompt file", POPS_RELEASES_REF, addr->name, addr->env);
		goto done;
	}
	pops_buf_clear(&path);
	pops_buf_printf(&path, "%s/%s.json", addr->env, addr->name);
	if ((error = pops_repo__read_tree_path(&json, NULL, repo, tree, path.ptr, what.ptr)) < 0)
		goto done;
	if (!(res->release = cJSON_ParseWithLength(json.ptr, json.size)) ||
	    !cJSON_IsObject(res->release)) {
		error = pops_error_set(POPS_ERROR, "%s:%s: the release record is not a JSON object",
		                       POPS_RELEASES_REF, path.ptr);
		goto done;
	}
	res->version = res->entry__->version;
	git_oid_cpy(&res->commit, &res->entry__->source_commit);
	if (!git_oid_is_zero(&res->commit) &&
	    git_commit_lookup(&src, repo->git, &res->commit) == 0 &&
	    git_commit_tree(&res->tree__, src) == 0)
		res->has_commit = 1;
	else
		res->partials_missing__ = 1;
	git_error_clear();
	/* the prompt's path at the source commit, for partial look-ups */
	pops_repo_name_to_path(&path, repo, addr->name);
	res->path = pops_buf_detach(&path);
done:
	pops_release_entry_free(e);
	git_commit_free(src);
	git_tree_free(tree);
	pops_buf_dispose(&what);
	pops_buf_dispose(&json);
	pops_buf_dispose(&path);
	return error;
}

int pops_resolved_served(pops_buf *out, const pops_resolved *res)
{
	pops_buf_clear(out);
	pops_buf_puts(out, res->name);
	if (res->version > 0)
		pops_buf_printf(out, "@%ld", res->version);
	pops_buf_printf(out, ":%s%s", res->env ? res->env : "",
	                res->side == POPS_SIDE_CANARY ? "~canary" :
	                res->side == POPS_SIDE_STABLE ? "~stable" : "");
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

/*
 * The version a #rev address shows: the newest version with the same
 * bytes whose commit is `rev` or one of its ancestors. A revision on a
 * branch that did not touch the prompt shows the version it inherited; a
 * revision whose prompt differs from every version (an unmerged edit)
 * has none (0), as do shallow clones. Best effort: errors mean 0.
 */
static long rev_version(pops_repo *repo, const char *name, const git_oid *rev,
                        const git_oid *blob)
{
	pops_versions *vs = NULL;
	long number = 0;
	size_t i;

	if (pops_repo__versions(&vs, repo, name, 0, 1) < 0)
		goto done;
	for (i = 0; i < vs->n; i++) {
		const pops_version *v = &vs->v[i];

		if (git_oid_cmp(&v->blob, blob))
			continue;
		if (!git_oid_cmp(&v->commit, rev) ||
		    git_graph_descendant_of(repo->git, rev, &v->commit) == 1) {
			number = v->number;
			break;
		}
	}
done:
	pops_versions_free(vs);
	pops_error_clear();
	git_error_clear();
	return number;
}

static int resolve_rev(pops_resolved *res, pops_repo *repo, const pops_address *addr,
                       pops_buf *data)
{
	git_object *obj = NULL, *peeled = NULL;
	pops_buf path = POPS_BUF_INIT, what = POPS_BUF_INIT;
	int error;

	error = git_revparse_single(&obj, repo->git, addr->rev);
	if (error == GIT_EAMBIGUOUS) {
		error = pops_error_set(POPS_EAMBIGUOUS, "revision '%s' is ambiguous: give more "
		                       "characters of the commit id", addr->rev);
		goto done;
	} else if (error == GIT_ENOTFOUND || error == GIT_EINVALIDSPEC) {
		error = pops_error_set(POPS_ENOTFOUND, "unknown revision '%s'", addr->rev);
		goto done;
	} else if (error < 0) {
		error = pops_git_error(error, addr->rev);
		goto done;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		error = pops_error_set(POPS_EINVALID, "revision '%s' is not a commit", addr->rev);
		goto done;
	}
	git_oid_cpy(&res->commit, git_object_id(peeled));
	res->has_commit = 1;
	if ((error = git_commit_tree(&res->tree__, (git_commit *)peeled)) < 0) {
		error = pops_git_error(error, addr->rev);
		goto done;
	}
	pops_repo_name_to_path(&path, repo, addr->name);
	pops_buf_printf(&what, "prompt '%s' at '%s'", addr->name, addr->rev);
	if ((error = pops_repo__read_tree_path(data, &res->blob, repo, res->tree__, path.ptr,
	                                       what.ptr)) < 0)
		goto done;
	res->path = pops_buf_detach(&path);
	res->version = rev_version(repo, addr->name, &res->commit, &res->blob);
done:
	git_object_free(peeled);
	git_object_free(obj);
	pops_buf_dispose(&what);
	pops_buf_dispose(&path);
	return error;
}

static int resolve_version(pops_resolved *res, pops_repo *repo, const pops_address *addr,
                           pops_buf *data)
{
	pops_versions *vs = NULL;
	const pops_version *v = NULL;
	git_commit *c = NULL;
	pops_buf what = POPS_BUF_INIT;
	size_t max = 0;
	long latest;
	int error;

	if (addr->kind == POPS_ADDR_LATEST)
		max = 1;
	else if (addr->kind == POPS_ADDR_RELATIVE)
		max = addr->number < LONG_MAX ? (size_t)addr->number + 1 : 0;
	if ((error = pops_repo__versions(&vs, repo, addr->name, max, 1)) < 0)
		goto done;
	latest = vs->v[0].number;
	if (addr->kind == POPS_ADDR_LATEST) {
		v = &vs->v[0];
	} else if (addr->kind == POPS_ADDR_RELATIVE) {
		if ((size_t)addr->number < vs->n)
			v = &vs->v[addr->number];
		else {
			error = pops_error_set(POPS_ENOTFOUND, "'%s@-%ld' does not exist: '%s' has %s%zu "
			                       "version%s", addr->name, addr->number, addr->name,
			                       vs->shallow ? "at least " : "", vs->n,
			                       vs->n == 1 ? "" : "s");
			goto done;
		}
	} else {
		if (vs->shallow) {
			error = pops_error_set(POPS_EINVALID, "cannot count the versions of '%s' in a "
			                       "shallow clone: use @latest, @-N or #rev, or run 'git "
			                       "fetch --unshallow'", addr->name);
			goto done;
		}
		if (addr->number > latest) {
			error = pops_error_set(POPS_ENOTFOUND, "version %ld of '%s' does not exist "
			                       "(latest is %ld)", addr->number, addr->name, latest);
			goto done;
		}
		v = &vs->v[latest - addr->number];
	}
	res->version = v->number;
	git_oid_cpy(&res->commit, &v->commit);
	res->has_commit = 1;
	if ((error = git_commit_lookup(&c, repo->git, &v->commit)) < 0 ||
	    (error = git_commit_tree(&res->tree__, c)) < 0) {
		error = pops_git_error(error, "cannot read a version's commit");
		goto done;
	}
	pops_buf_printf(&what, "prompt '%s'", addr->name);
	if ((error = pops_repo__read_tree_path(data, &res->blob, repo, res->tree__, v->path,
	                                       what.ptr)) < 0)
		goto done;
	if (!(res->path = pops_strdup(v->path)))
		error = pops_error_oom();
done:
	git_commit_free(c);
	pops_versions_free(vs);
	pops_buf_dispose(&what);
	return error;
}

static int resolve(pops_resolved **out, pops_repo *repo, const char *address,
                   const serve_key *key)
{
	pops_resolved *res = NULL;
	pops_address addr;
	pops_buf data = POPS_BUF_INIT, path = POPS_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = pops_address_parse(&addr, address)) < 0)
		return error;
	if (key->key && (addr.kind != POPS_ADDR_ENV || addr.side != POPS_SIDE_NONE)) {
		error = bad_address(address, "a request key picks a side only of name:env (an "
		                    "environment, without ~stable or ~canary)");
		goto done;
	}
	if (!(res = calloc(1, sizeof(*res))) || !(res->address = pops_strdup(address)) ||
	    !(res->name = pops_strdup(addr.name))) {
		error = pops_error_oom();
		goto done;
	}
	res->kind = addr.kind;
	res->repo__ = repo;
	switch (addr.kind) {
	case POPS_ADDR_WORKTREE:
		if ((error = pops_repo_read_worktree(&data, repo, addr.name)) < 0)
			goto done;
		if ((error = git_odb_hash(&res->blob, data.ptr, data.size, GIT_OBJECT_BLOB)) < 0) {
			error = pops_git_error(error, "cannot hash the prompt");
			goto done;
		}
		pops_repo_name_to_path(&path, repo, addr.name);
		res->path = pops_buf_detach(&path);
		break;
	case POPS_ADDR_VERSION:
	case POPS_ADDR_LATEST:
	case POPS_ADDR_RELATIVE:
		error = resolve_version(res, repo, &addr, &data);
		break;
	case POPS_ADDR_ENV:
		if (!(res->env = pops_strdup(addr.env)))
			error = pops_error_oom();
		else
			error = resolve_env(res, repo, &addr, key, &data);
		break;
	case POPS_ADDR_REV:
		error = resolve_rev(res, repo, &addr, &data);
		break;
	}
	if (error < 0)
		goto done;
	res->len = data.size;
	if (!(res->data = pops_buf_detach(&data)) || !res->path) {
		error = pops_error_oom();
		goto done;
	}
	*out = res;
	res = NULL;
done:
	pops_resolved_free(res);
	pops_address_dispose(&addr);
	pops_buf_dispose(&path);
	pops_buf_dispose(&data);
	return error;
}

int pops_repo_resolve(pops_resolved **out, pops_repo *repo, const char *address)
{
	serve_key none = { NULL, 0 };

	return resolve(out, repo, address, &none);
}

int pops_repo_resolve_key(pops_resolved **out, pops_repo *repo, const char *address,
                          const char *key, size_t key_len)
{
	serve_key k = { key ? key : "", key_len };

	return resolve(out, repo, address, &k);
}

int pops_resolved_load_partial(void *payload, const char *name, pops_buf *out)
{
	pops_resolved *res = payload;
	pops_repo *repo = res->repo__;
	pops_buf path = POPS_BUF_INIT, what = POPS_BUF_INIT;
	const char *slash;
	int error;

	if ((error = pops_repo_check_name(name)) < 0)
		return error;
	if (res->entry__ && res->entry__->closure_known)
		return pops_release_read_partial(out, repo->git, repo->cfg, res->entry__, name);
	if (res->partials_missing__)
		return pops_error_set(POPS_ERROR, "cannot load partial '%s': the source commit of "
		                      "the release is not in this repository (git fetch?)", name);
	slash = strrchr(name, '/');
	if (*repo->prefix)
		pops_buf_printf(&path, "%s/", repo->prefix);
	if (slash)
		pops_buf_put(&path, name, (size_t)(slash - name) + 1);
	pops_buf_printf(&path, "_%s%s", slash ? slash + 1 : name, POPS_PROMPT_EXT);
	pops_buf_printf(&what, "partial '%s'", name);
	if (pops_buf_oom(&path) || pops_buf_oom(&what))
		error = pops_error_oom();
	else if (res->tree__)
		error = pops_repo__read_tree_path(out, NULL, repo, res->tree__, path.ptr, what.ptr);
	else
		error = pops_repo__read_worktree_path(out, repo, path.ptr, what.ptr);
	pops_buf_dispose(&what);
	pops_buf_dispose(&path);
	return error;
}
