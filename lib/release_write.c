/* Writing the ledger: entry JSON, the tree update, commit message and trailers. */
#include "common.h"
#include "release.h"
#include "release_int.h"
#include "casref.h"
#include "git.h"
#include "rollout.h"
#include "strutil.h"

#include <cjson/cJSON.h>

/* one-line trailer value: newlines and control characters cannot forge trailers */
static void put_trailer(pops_buf *b, const char *key, const char *value)
{
	const char *p;

	if (!value)
		return;
	pops_buf_printf(b, "%s: ", key);
	for (p = value; *p; p++)
		pops_buf_putc(b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
	pops_buf_putc(b, '\n');
}

#define ADD_STR_OR_NULL(o, k, v) \
	((v) ? cJSON_AddStringToObject(o, k, v) : cJSON_AddNullToObject(o, k))

/* "resolved_model" and "partials" of a release with a known closure */
static int add_closure(cJSON *obj, const pops_release_entry *e)
{
	cJSON *m = pops_closure_model_json(&e->closure);
	cJSON *parts = pops_closure_partials_json(&e->closure);

	if (!m || !parts || !cJSON_AddItemToObject(obj, "resolved_model", m)) {
		cJSON_Delete(m);
		cJSON_Delete(parts);
		return pops_error_oom();
	}
	if (!cJSON_AddItemToObject(obj, "partials", parts)) {
		cJSON_Delete(parts);
		return pops_error_oom();
	}
	return POPS_OK;
}

/* "rollout": {"percent","salt","since","canary":{...}} (release.h) */
static int add_rollout(cJSON *doc, const pops_release_entry *e)
{
	const pops_release_entry *c = e->canary;
	char hex[GIT_OID_HEXSZ + 1], since[21];
	cJSON *ro = cJSON_AddObjectToObject(doc, "rollout"), *co;

	pops_rollout_format_time(since, e->rollout_since);
	if (!ro || !cJSON_AddNumberToObject(ro, "percent", (double)e->rollout_percent) ||
	    !cJSON_AddStringToObject(ro, "salt", e->rollout_salt) ||
	    !cJSON_AddStringToObject(ro, "since", since) ||
	    !(co = cJSON_AddObjectToObject(ro, "canary")) ||
	    !cJSON_AddNumberToObject(co, "version", (double)c->version) ||
	    !cJSON_AddStringToObject(co, "blob", git_oid_tostr(hex, sizeof(hex), &c->blob)) ||
	    !ADD_STR_OR_NULL(co, "source_commit", git_oid_is_zero(&c->source_commit) ? NULL :
	                     git_oid_tostr(hex, sizeof(hex), &c->source_commit)) ||
	    !ADD_STR_OR_NULL(co, "model", c->model) ||
	    !ADD_STR_OR_NULL(co, "model_alias", c->model_alias))
		return pops_error_oom();
	if (add_closure(co, c) < 0 || !ADD_STR_OR_NULL(co, "evidence", c->evidence))
		return pops_error_oom();
	cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "schema_version"), 3);
	return POPS_OK;
}

static int entry_json(pops_buf *out, const pops_release_entry *e)
{
	char hex[GIT_OID_HEXSZ + 1];
	cJSON *doc = cJSON_CreateObject();
	char *text = NULL;
	int error = POPS_OK;

	if (!doc || !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
	    !cJSON_AddStringToObject(doc, "prompt", e->prompt) ||
	    !cJSON_AddNumberToObject(doc, "version", (double)e->version) ||
	    !cJSON_AddStringToObject(doc, "blob", git_oid_tostr(hex, sizeof(hex), &e->blob)) ||
	    !ADD_STR_OR_NULL(doc, "source_commit", git_oid_is_zero(&e->source_commit) ? NULL :
	                     git_oid_tostr(hex, sizeof(hex), &e->source_commit)) ||
	    !ADD_STR_OR_NULL(doc, "model", e->model) ||
	    !ADD_STR_OR_NULL(doc, "model_alias", e->model_alias) ||
	    !ADD_STR_OR_NULL(doc, "evidence", e->evidence) ||
	    !ADD_STR_OR_NULL(doc, "ledger_reason", e->reason)) {
		error = pops_error_oom();
		goto done;
	}
	/* a closure written once is schema 2; an entry that never had one stays 1 */
	if (e->closure_known) {
		if ((error = add_closure(doc, e)) < 0)
			goto done;
		cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "schema_version"), 2);
	}
	/* a rollout makes it schema 3; without one the bytes are exactly schema 2's */
	if (e->canary && (error = add_rollout(doc, e)) < 0)
		goto done;
	if (!(text = cJSON_Print(doc))) {
		error = pops_error_oom();
		goto done;
	}
	pops_buf_puts(out, text);
	pops_buf_putc(out, '\n');
done:
	cJSON_free(text);
	cJSON_Delete(doc);
	return error;
}
#undef ADD_STR_OR_NULL

static const char *const rollout_words[] = { NULL, "start", "set", "complete", "abort" };

/* the subject line (and blank line) of a ledger commit */
static void change_subject(pops_buf *m, const pops_release_change *c)
{
	const pops_release_entry *e = c->entry, *b = c->before;
	const char *forced = c->forced ? " (forced)" : "";

	switch (c->rollout) {
	case POPS_ROLLOUT_START:
		pops_buf_printf(m, "promote %s@%ld to %s as canary (%u%%)%s\n\n", e->prompt,
		                e->canary->version, e->env, e->rollout_percent, forced);
		return;
	case POPS_ROLLOUT_SET:
		pops_buf_printf(m, "rollout %s@%ld in %s: %u%% -> %u%%\n\n", e->prompt,
		                e->canary->version, e->env, b->rollout_percent, e->rollout_percent);
		return;
	case POPS_ROLLOUT_COMPLETE:
		pops_buf_printf(m, "promote %s@%ld to %s: rollout complete%s\n\n", e->prompt,
		                e->version, e->env, forced);
		return;
	case POPS_ROLLOUT_ABORT:
		pops_buf_printf(m, "rollback %s in %s: end canary @%ld, keep @%ld\n\n", e->prompt,
		                e->env, b->canary->version, e->version);
		return;
	case POPS_ROLLOUT_NONE:
		break;
	}
	switch (c->action) {
	case POPS_RELEASE_PROMOTE:
		pops_buf_printf(m, "promote %s@%ld to %s%s\n\n", e->prompt, e->version, e->env, forced);
		break;
	case POPS_RELEASE_ROLLBACK:
		pops_buf_printf(m, "rollback %s to @%ld in %s\n\n", e->prompt, e->version, e->env);
		break;
	case POPS_RELEASE_APPROVE:
		pops_buf_printf(m, "approve %s@%ld for %s\n\n", e->prompt, e->version, e->env);
		break;
	}
}

static void change_message(pops_buf *m, const pops_release_change *c)
{
	/* start and set introduce the canary: the release trailers describe it */
	const pops_release_entry *e = c->rollout == POPS_ROLLOUT_START ||
	                              c->rollout == POPS_ROLLOUT_SET ? c->entry->canary : c->entry;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	change_subject(m, c);
	/* the body says in words what changed; the trailers stay machine-readable */
	if (c->changes && *c->changes && c->action != POPS_RELEASE_APPROVE) {
		const char *p;

		for (p = c->changes; *p; p++)
			pops_buf_putc(m, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
		pops_buf_puts(m, "\n\n");
	}
	put_trailer(m, "Pops-Env", e->env);
	put_trailer(m, "Pops-Prompt", e->prompt);
	if (c->rollout != POPS_ROLLOUT_NONE) {
		put_trailer(m, "Pops-Rollout", rollout_words[c->rollout]);
		if (c->rollout == POPS_ROLLOUT_START || c->rollout == POPS_ROLLOUT_SET)
			pops_buf_printf(m, "Pops-Canary: %u\n", c->entry->rollout_percent);
		put_trailer(m, "Pops-Salt", c->rollout == POPS_ROLLOUT_START ||
		            c->rollout == POPS_ROLLOUT_SET ? c->entry->rollout_salt : c->before->rollout_salt);
	}
	pops_buf_printf(m, "Pops-Version: %ld\n", e->version);
	put_trailer(m, "Pops-Blob", git_oid_tostr(hex, sizeof(hex), &e->blob));
	if (!git_oid_is_zero(&e->source_commit))
		put_trailer(m, "Pops-Source", git_oid_tostr(hex, sizeof(hex), &e->source_commit));
	put_trailer(m, "Pops-Model", e->model);
	if (e->closure_known && e->closure.provider)
		put_trailer(m, "Pops-Provider", e->closure.provider);
	if (e->closure_known) {
		char digest[65];

		/* approvals and audits name the exact release, not just its prompt file */
		if (pops_closure_digest(digest, &e->closure) == 0)
			put_trailer(m, "Pops-Closure", digest);
	}
	for (i = 0; e->closure_known && i < e->closure.npartials; i++) {
		const pops_closure_partial *p = &e->closure.partials[i];
		pops_buf v = POPS_BUF_INIT;

		pops_buf_put(&v, p->file, strlen(p->file) - strlen(".prompt"));
		if (p->version > 0)
			pops_buf_printf(&v, "@%ld", p->version);
		pops_buf_printf(&v, " %s", git_oid_tostr(hex, sizeof(hex), &p->blob));
		put_trailer(m, "Pops-Partial", v.ptr);
		pops_buf_dispose(&v);
	}
	for (i = 0; i < c->nevidence; i++)
		put_trailer(m, "Pops-Evidence", c->evidence[i]);
	if (c->forced)
		put_trailer(m, "Pops-Forced", "yes");
	put_trailer(m, "Pops-Reason", c->reason);
	for (i = 0; i < c->napprovers; i++)
		put_trailer(m, "Approved-by", c->approvers[i]);
}

/* an empty tree, for the first ledger commit */
static int empty_tree(git_tree **out, git_repository *repo)
{
	git_treebuilder *tb = NULL;
	git_oid id;
	int error;

	if ((error = git_treebuilder_new(&tb, repo, NULL)) < 0 ||
	    (error = git_treebuilder_write(&id, tb)) < 0 ||
	    (error = git_tree_lookup(out, repo, &id)) < 0)
		error = pops_git_error(error, "cannot write the ledger tree");
	git_treebuilder_free(tb);
	return error;
}

static size_t npartials(const pops_release_entry *e)
{
	return e && e->closure_known ? e->closure.npartials : 0;
}

/* upserts of "<dir>/<file>" for every partial of `e`, from upd[*n] and files[*n] on */
static int partial_updates(git_tree_update *upd, pops_buf *files, size_t *n, const char *dir,
                           const pops_release_entry *e)
{
	size_t i;

	for (i = 0; i < npartials(e); i++) {
		const pops_closure_partial *p = &e->closure.partials[i];

		if (!pops_release__partial_file_ok(p->file))
			return pops_error_set(POPS_EINVALID, "unsafe partial file '%s'", p->file);
		pops_buf_printf(&files[*n], "%s/%s", dir, p->file);
		if (pops_buf_oom(&files[*n]))
			return pops_error_oom();
		upd[*n].action = GIT_TREE_UPDATE_UPSERT;
		git_oid_cpy(&upd[*n].id, &p->blob);
		upd[*n].filemode = GIT_FILEMODE_BLOB;
		upd[*n].path = files[*n].ptr;
		(*n)++;
	}
	return POPS_OK;
}

/* remove `path` from the tree when it is there */
static void remove_if_there(git_tree_update *upd, size_t *n, git_tree *base, const char *path)
{
	git_tree_entry *old = NULL;

	if (git_tree_entry_bypath(&old, base, path) == 0) {
		upd[*n].action = GIT_TREE_UPDATE_REMOVE;
		upd[*n].path = path;
		(*n)++;
	}
	git_tree_entry_free(old);
	git_error_clear();
}

static void upsert(git_tree_update *u, const char *path, const git_oid *id)
{
	u->action = GIT_TREE_UPDATE_UPSERT;
	git_oid_cpy(&u->id, id);
	u->filemode = GIT_FILEMODE_BLOB;
	u->path = path;
}

enum { P_JSON, P_PROMPT, P_PARTIALS, P_CANARY, P_CANARY_PARTIALS, P_N };

/*
 * The ledger tree with the entry's files replaced: its .prompt, its .json,
 * its @partials directory and a rollout's @canary.prompt and
 * @canary@partials (the old ones go first, so a partial the new release
 * no longer uses, or a canary that ended, is not kept).
 */
static int updated_tree(git_oid *out, git_repository *repo, git_tree *base,
                        const pops_release_entry *e)
{
	static const char *const suffix[P_N] = { ".json", ".prompt", "@partials", "@canary.prompt",
	                                         "@canary@partials" };
	git_tree_update upd[P_N], *pupd = NULL;
	pops_buf json = POPS_BUF_INIT, path[P_N], *files = NULL;
	git_oid json_id, mid;
	git_tree *empty = NULL, *middle = NULL;
	size_t i, nupd = 2, n2 = 0, np = npartials(e) + npartials(e->canary);
	int error;

	for (i = 0; i < P_N; i++)
		path[i] = (pops_buf)POPS_BUF_INIT;
	if ((error = entry_json(&json, e)) < 0)
		goto done;
	if ((error = git_blob_create_from_buffer(&json_id, repo, json.ptr, json.size)) < 0) {
		error = pops_git_error(error, "cannot write the ledger entry");
		goto done;
	}
	for (i = 0; i < P_N; i++) {
		pops_buf_printf(&path[i], "%s/%s%s", e->env, e->prompt, suffix[i]);
		if (pops_buf_oom(&path[i])) {
			error = pops_error_oom();
			goto done;
		}
	}
	if (!base) {
		if ((error = empty_tree(&empty, repo)) < 0)
			goto done;
		base = empty;
	}
	memset(upd, 0, sizeof(upd));
	upsert(&upd[0], path[P_PROMPT].ptr, &e->blob);
	upsert(&upd[1], path[P_JSON].ptr, &json_id);
	remove_if_there(upd, &nupd, base, path[P_PARTIALS].ptr);
	remove_if_there(upd, &nupd, base, path[P_CANARY_PARTIALS].ptr);
	if (e->canary)
		upsert(&upd[nupd++], path[P_CANARY].ptr, &e->canary->blob);
	else
		remove_if_there(upd, &nupd, base, path[P_CANARY].ptr);
	if ((error = git_tree_create_updated(np ? &mid : out, repo, base, nupd, upd)) < 0) {
		error = pops_git_error(error, "cannot write the ledger tree");
		goto done;
	}
	if (!np)
		goto done;
	/* a second pass: the removals above and these additions share a prefix */
	if (!(pupd = calloc(np, sizeof(*pupd))) || !(files = calloc(np, sizeof(*files)))) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 0; i < np; i++)
		files[i] = (pops_buf)POPS_BUF_INIT;
	if ((error = partial_updates(pupd, files, &n2, path[P_PARTIALS].ptr, e)) < 0 ||
	    (e->canary && (error = partial_updates(pupd, files, &n2, path[P_CANARY_PARTIALS].ptr,
	                                           e->canary)) < 0))
		goto done;
	if ((error = git_tree_lookup(&middle, repo, &mid)) < 0 ||
	    (error = git_tree_create_updated(out, repo, middle, n2, pupd)) < 0)
		error = pops_git_error(error, "cannot write the ledger tree");
done:
	for (i = 0; files && i < np; i++)
		pops_buf_dispose(&files[i]);
	free(files);
	free(pupd);
	git_tree_free(middle);
	git_tree_free(empty);
	for (i = 0; i < P_N; i++)
		pops_buf_dispose(&path[i]);
	pops_buf_dispose(&json);
	return error;
}

/* the rollout fields of a change are consistent (release.h, pops_release_commit) */
static int check_rollout(const pops_release_change *c)
{
	const pops_release_entry *e = c->entry, *x = e->canary;
	int starts = c->rollout == POPS_ROLLOUT_START || c->rollout == POPS_ROLLOUT_SET;

	if (x && (!pops_rollout_percent_ok((long)e->rollout_percent) ||
	          !pops_rollout_salt_ok(e->rollout_salt) || x->canary || !x->closure_known))
		return pops_error_set(POPS_EINVALID, "bad rollout of '%s' in '%s': share %u%% (1..99), "
		                      "salt '%.16s' (16 hex digits)", e->prompt, e->env,
		                      e->rollout_percent, e->rollout_salt);
	if ((starts && !x) || (c->rollout == POPS_ROLLOUT_SET && (!c->before || !c->before->canary)) ||
	    ((c->rollout == POPS_ROLLOUT_COMPLETE || c->rollout == POPS_ROLLOUT_ABORT) &&
	     (x || !c->before || !c->before->canary || !pops_rollout_salt_ok(c->before->rollout_salt))))
		return pops_error_set(POPS_EINVALID, "inconsistent rollout change for '%s' in '%s'",
		                      e->prompt, e->env);
	return POPS_OK;
}

int pops_release_write(git_oid *out, git_repository *repo, const git_oid *tip,
                       const pops_release_change *change)
{
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, commit_id;
	pops_buf msg = POPS_BUF_INIT;
	const git_commit *parents[1];
	int error;

	if (!pops_release_name_ok(change->entry->prompt) ||
	    !pops_release_name_ok(change->entry->env) || strchr(change->entry->env, '/'))
		return pops_error_set(POPS_EINVALID, "unsafe name '%s' in '%s'",
		                      change->entry->prompt, change->entry->env);
	if ((error = check_rollout(change)) < 0)
		return error;
	if ((error = pops_casref_signature(&sig, repo)) < 0)
		goto done;
	if (tip) {
		if ((error = git_commit_lookup(&parent, repo, tip)) < 0 ||
		    (error = git_commit_tree(&base, parent)) < 0) {
			error = pops_git_error(error, "cannot read the release ledger");
			goto done;
		}
	}
	if (change->action == POPS_RELEASE_APPROVE) {
		if (!base) {
			git_treebuilder *tb = NULL;

			if ((error = git_treebuilder_new(&tb, repo, NULL)) == 0)
				error = git_treebuilder_write(&tree_id, tb);
			git_treebuilder_free(tb);
			if (error < 0) {
				error = pops_git_error(error, "cannot write the ledger tree");
				goto done;
			}
		} else {
			git_oid_cpy(&tree_id, git_tree_id(base));
		}
	} else if ((error = updated_tree(&tree_id, repo, base, change->entry)) < 0) {
		goto done;
	}
	if ((error = git_tree_lookup(&tree, repo, &tree_id)) < 0) {
		error = pops_git_error(error, "cannot write the ledger tree");
		goto done;
	}
	change_message(&msg, change);
	if (pops_buf_oom(&msg)) {
		error = pops_error_oom();
		goto done;
	}
	parents[0] = parent;
	/* the commit is written unattached; only the CAS below publishes it */
	if ((error = git_commit_create(&commit_id, repo, NULL, sig, sig, NULL, msg.ptr, tree,
	                               parent ? 1 : 0, parents)) < 0) {
		error = pops_git_error(error, "cannot write the ledger commit");
		goto done;
	}
	git_oid_cpy(out, &commit_id);
done:
	pops_buf_dispose(&msg);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	git_signature_free(sig);
	return error;
}

int pops_release_publish(git_repository *repo, const git_oid *commit, const git_oid *tip,
                         const char *what)
{
	pops_buf msg = POPS_BUF_INIT;
	int error;

	pops_buf_printf(&msg, "pops: %s", what);
	error = pops_casref_update(repo, POPS_RELEASE_REF, commit, tip, msg.ptr);
	pops_buf_dispose(&msg);
	return error;
}

int pops_release_commit(git_oid *out, git_repository *repo, const git_oid *tip,
                        const pops_release_change *change)
{
	git_oid id;
	int error;

	if ((error = pops_release_write(&id, repo, tip, change)) < 0 ||
	    (error = pops_release_publish(repo, &id, tip, "release")) < 0)
		return error;
	if (out)
		git_oid_cpy(out, &id);
	return POPS_OK;
}
