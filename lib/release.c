#include "common.h"
#include "release.h"
#include "casref.h"
#include "git.h"
#include "strutil.h"
#include "repo.h"

#include <cjson/cJSON.h>

#define LEDGER_MAX_JSON (1u * 1024 * 1024)

void pops_release_entry_free(pops_release_entry *e)
{
	if (!e)
		return;
	free(e->env);
	free(e->prompt);
	free(e->model);
	free(e->model_alias);
	free(e->evidence);
	free(e->reason);
	pops_closure_dispose(&e->closure);
	free(e);
}

pops_release_entry *pops_release_entry_dup(const pops_release_entry *e)
{
	pops_release_entry *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	*d = *e;
	memset(&d->closure, 0, sizeof(d->closure));
	if (pops_closure_copy(&d->closure, &e->closure) < 0) {
		d->env = d->prompt = d->model = d->model_alias = d->evidence = d->reason = NULL;
		pops_release_entry_free(d);
		return NULL;
	}
	d->env = pops_strdup(e->env);
	d->prompt = pops_strdup(e->prompt);
	d->model = pops_strdup(e->model);
	d->model_alias = pops_strdup(e->model_alias);
	d->evidence = pops_strdup(e->evidence);
	d->reason = pops_strdup(e->reason);
	if ((e->env && !d->env) || (e->prompt && !d->prompt) || (e->model && !d->model) ||
	    (e->model_alias && !d->model_alias) || (e->evidence && !d->evidence) ||
	    (e->reason && !d->reason)) {
		pops_release_entry_free(d);
		return NULL;
	}
	return d;
}

int pops_release_entry_set_closure(pops_release_entry *e, const pops_closure *c)
{
	char *model = NULL, *alias = NULL;
	int error;

	if ((c->model_id && !(model = pops_strdup(c->model_id))) ||
	    (c->model_alias && !(alias = pops_strdup(c->model_alias)))) {
		free(model);
		return pops_error_oom();
	}
	if ((error = pops_closure_copy(&e->closure, c)) < 0) {
		free(model);
		free(alias);
		return error;
	}
	free(e->model);
	free(e->model_alias);
	e->model = model;
	e->model_alias = alias;
	git_oid_cpy(&e->blob, &c->blob);
	e->closure_known = 1;
	return POPS_OK;
}

void pops_release_list_dispose(pops_release_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		pops_release_entry_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int pops_release_name_ok(const char *name)
{
	return pops_repo_name_ok(name);
}

int pops_release_tip(git_oid *out, git_repository *repo)
{
	int error = pops_casref_read(out, repo, POPS_RELEASE_REF);

	if (error == POPS_ENOTFOUND)
		return pops_error_set(POPS_ENOTFOUND, "nothing has been released yet (no %s)",
		                      POPS_RELEASE_REF);
	return error;
}

static int ledger_tree(git_tree **out, git_repository *repo, const git_oid *ledger,
                       git_oid *ledger_out)
{
	git_commit *c = NULL;
	git_oid tip;
	int error;

	*out = NULL;
	if (!ledger) {
		if ((error = pops_release_tip(&tip, repo)) < 0)
			return error;
		ledger = &tip;
	}
	if (ledger_out)
		git_oid_cpy(ledger_out, ledger);
	if ((error = git_commit_lookup(&c, repo, ledger)) < 0)
		return pops_git_error(error, "cannot read the release ledger");
	error = git_commit_tree(out, c);
	git_commit_free(c);
	return error < 0 ? pops_git_error(error, "cannot read the release ledger tree") : POPS_OK;
}

static int corrupt(const git_oid *ledger, const char *env, const char *prompt,
                   const char *what)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), ledger);
	return pops_error_set(POPS_ERROR,
	                      "corrupt ledger entry '%s/%s.json' in %s %.12s: %s",
	                      env, prompt, POPS_RELEASE_REF, hex, what);
}

static char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(it) ? pops_strdup(it->valuestring) : NULL;
}

/* a partial's file as the ledger keeps it: "_x.prompt" or "dir/_x.prompt", nothing else */
static int partial_file_ok(const char *file)
{
	const char *base = strrchr(file, '/');

	base = base ? base + 1 : file;
	return pops_release_name_ok(file) && base[0] == '_' && pops_ends_with(base, ".prompt") &&
	       strlen(base) > strlen("_.prompt");
}

/*
 * The closure fields of a schema 2 entry. A schema 1 entry keeps what it
 * knows (blob, model id) with closure_known 0.
 */
static int parse_closure(pops_release_entry *e, const cJSON *doc, pops_buf *what)
{
	const cJSON *partials = cJSON_GetObjectItemCaseSensitive(doc, "partials");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(doc, "resolved_model");
	size_t i;
	int error;

	git_oid_cpy(&e->closure.blob, &e->blob);
	if ((!partials || cJSON_IsNull(partials)) && (!model || cJSON_IsNull(model))) {
		if ((e->model && !(e->closure.model_id = pops_strdup(e->model))) ||
		    (e->model_alias && !(e->closure.model_alias = pops_strdup(e->model_alias))))
			return pops_error_oom();
		return POPS_OK;
	}
	if (!partials || !model) {
		pops_buf_puts(what, partials ? "\"resolved_model\" is missing" : "\"partials\" is missing");
		return POPS_EINVALID;
	}
	if ((error = pops_closure_from_json(&e->closure, partials, model, what)) < 0)
		return error;
	for (i = 0; i < e->closure.npartials; i++) {
		const pops_closure_partial *p = &e->closure.partials[i];

		if (!partial_file_ok(p->file) || pops_repo_check_name(p->name) < 0) {
			pops_error_clear();
			pops_buf_puts(what, "a partial has an unsafe name or file");
			return POPS_EINVALID;
		}
	}
	e->closure_known = 1;
	return POPS_OK;
}

/* every partial of the release is in the ledger tree, with its blob */
static int check_partials(const pops_release_entry *e, git_tree *tree, const git_oid *ledger)
{
	pops_buf what = POPS_BUF_INIT, path = POPS_BUF_INIT;
	git_tree_entry *te = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int error = POPS_OK;

	for (i = 0; e->closure_known && i < e->closure.npartials; i++) {
		const pops_closure_partial *p = &e->closure.partials[i];

		pops_buf_clear(&path);
		pops_buf_printf(&path, "%s/%s@partials/%s", e->env, e->prompt, p->file);
		if (git_tree_entry_bypath(&te, tree, path.ptr) < 0 ||
		    git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB ||
		    !git_oid_equal(git_tree_entry_id(te), &p->blob)) {
			git_error_clear();
			pops_buf_printf(&what, "partial %s is missing from the release (no %s with blob %.12s)",
			                p->name, path.ptr, git_oid_tostr(hex, sizeof(hex), &p->blob));
			error = corrupt(ledger, e->env, e->prompt, what.ptr);
			break;
		}
		git_tree_entry_free(te);
		te = NULL;
	}
	git_tree_entry_free(te);
	pops_buf_dispose(&path);
	pops_buf_dispose(&what);
	return error;
}

int pops_release_parse_entry(pops_release_entry **out, const char *data, size_t len,
                             const char *env, const char *prompt, pops_buf *what)
{
	pops_release_entry *e = NULL;
	cJSON *doc = NULL;
	const cJSON *it;
	int error = POPS_EINVALID;

	*out = NULL;
	if (len > LEDGER_MAX_JSON || !(doc = cJSON_ParseWithLength(data, len)) ||
	    !cJSON_IsObject(doc)) {
		pops_buf_puts(what, "not valid JSON");
		goto done;
	}
	if (!(e = calloc(1, sizeof(*e))) || !(e->env = pops_strdup(env)) ||
	    !(e->prompt = pops_strdup(prompt))) {
		error = pops_error_oom();
		goto done;
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "version");
	if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1e9) {
		pops_buf_puts(what, "\"version\" is not a number");
		goto done;
	}
	e->version = (long)it->valuedouble;
	it = cJSON_GetObjectItemCaseSensitive(doc, "blob");
	if (!cJSON_IsString(it) || git_oid_fromstr(&e->blob, it->valuestring) < 0) {
		pops_buf_puts(what, "\"blob\" is not an object id");
		goto done;
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "source_commit");
	if (cJSON_IsString(it) && git_oid_fromstr(&e->source_commit, it->valuestring) < 0) {
		pops_buf_puts(what, "\"source_commit\" is not an object id");
		goto done;
	}
	e->model = json_str(doc, "model");
	e->model_alias = json_str(doc, "model_alias");
	e->evidence = json_str(doc, "evidence");
	e->reason = json_str(doc, "ledger_reason");
	if ((error = parse_closure(e, doc, what)) < 0)
		goto done;
	*out = e;
	e = NULL;
	error = POPS_OK;
done:
	pops_release_entry_free(e);
	cJSON_Delete(doc);
	return error;
}

/* parse `<env>/<prompt>.json` in `tree`, checking it against the .prompt entry */
static int read_entry(pops_release_entry **out, git_repository *repo, git_tree *tree,
                      const git_oid *ledger, const char *env, const char *prompt)
{
	pops_buf path = POPS_BUF_INIT;
	pops_buf what = POPS_BUF_INIT;
	git_tree_entry *json_te = NULL, *prompt_te = NULL;
	git_blob *blob = NULL;
	pops_release_entry *e = NULL;
	int error;

	*out = NULL;
	pops_buf_printf(&path, "%s/%s.json", env, prompt);
	error = git_tree_entry_bypath(&json_te, tree, path.ptr);
	if (error == GIT_ENOTFOUND) {
		error = pops_error_set(POPS_ENOTFOUND, "'%s' has never been released to '%s'",
		                       prompt, env);
		goto done;
	} else if (error < 0) {
		error = pops_git_error(error, "cannot read the release ledger");
		goto done;
	}
	pops_buf_clear(&path);
	pops_buf_printf(&path, "%s/%s.prompt", env, prompt);
	if (git_tree_entry_bypath(&prompt_te, tree, path.ptr) < 0) {
		error = corrupt(ledger, env, prompt, "its .prompt file is missing");
		goto done;
	}
	if (git_tree_entry_type(json_te) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(json_te)) < 0) {
		error = corrupt(ledger, env, prompt, "not a readable file");
		goto done;
	}
	error = pops_release_parse_entry(&e, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
	                                 env, prompt, &what);
	if (error == POPS_EINVALID) {
		error = corrupt(ledger, env, prompt, what.ptr);
		goto done;
	} else if (error < 0) {
		goto done;
	}
	if (!git_oid_equal(&e->blob, git_tree_entry_id(prompt_te))) {
		error = corrupt(ledger, env, prompt, "\"blob\" does not match the released .prompt file");
		goto done;
	}
	if ((error = check_partials(e, tree, ledger)) < 0)
		goto done;
	*out = e;
	e = NULL;
	error = POPS_OK;
done:
	pops_release_entry_free(e);
	git_blob_free(blob);
	git_tree_entry_free(prompt_te);
	git_tree_entry_free(json_te);
	pops_buf_dispose(&what);
	pops_buf_dispose(&path);
	return error;
}

int pops_release_get(pops_release_entry **out, git_repository *repo,
                     const git_oid *ledger, const char *env, const char *prompt)
{
	git_tree *tree = NULL;
	git_oid at;
	int error;

	*out = NULL;
	if ((error = ledger_tree(&tree, repo, ledger, &at)) < 0) {
		if (error == POPS_ENOTFOUND)
			pops_error_set(POPS_ENOTFOUND, "'%s' has never been released to '%s'",
			               prompt, env);
		return error;
	}
	error = read_entry(out, repo, tree, &at, env, prompt);
	git_tree_free(tree);
	return error;
}

struct walk_state {
	pops_release_list *out;
	git_repository *repo;
	git_tree *root;
	const git_oid *ledger;
	const char *env;   /* walking one environment's subtree */
	int error;
};

static int list_add(pops_release_list *l, pops_release_entry *e)
{
	pops_release_entry **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v) {
		pops_release_entry_free(e);
		return pops_error_oom();
	}
	l->v = v;
	l->v[l->n++] = e;
	return POPS_OK;
}

/*
 * A pushed ledger is untrusted input: every name in it must be one pops
 * could have written (prompt-name segments, "<name>@partials" directories,
 * .json/.prompt files) and every file a plain blob, so nothing read from
 * it can name a path outside where it is written (export) or smuggle a
 * symlink or submodule in.
 */
int pops_release_tree_name_ok(const char *root, const char *name, unsigned mode)
{
	size_t len = strlen(name);
	int in_partials = strstr(root, "@partials/") != NULL;

	if (strchr(name, '/') || !*name)
		return 0;
	if (mode == GIT_FILEMODE_TREE) {
		if (len > 9 && !strcmp(name + len - 9, "@partials") && !in_partials && *root) {
			char *base = pops_strndup(name, len - 9);
			int ok = base && pops_release_name_ok(base);

			free(base);
			return ok;
		}
		return pops_release_name_ok(name);
	}
	if (mode != GIT_FILEMODE_BLOB || !*root || !pops_release_name_ok(name))
		return 0;
	if (in_partials)
		return name[0] == '_' && pops_ends_with(name, ".prompt") && len > 8;
	return (len > 5 && pops_ends_with(name, ".json")) ||
	       (len > 7 && pops_ends_with(name, ".prompt"));
}

static int walk_cb(const char *root, const git_tree_entry *te, void *payload)
{
	struct walk_state *st = payload;
	const char *name = git_tree_entry_name(te), *slash;
	pops_buf env = POPS_BUF_INIT, prompt = POPS_BUF_INIT;
	pops_release_entry *e = NULL;
	size_t len = strlen(name);

	/* under one environment, `root` is relative to it */
	if (!pops_release_tree_name_ok(st->env && !*root ? st->env : root, name,
	                               (unsigned)git_tree_entry_filemode(te))) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), st->ledger);
		st->error = pops_error_set(POPS_ERROR,
		                           "ledger entry %s%s%s%s is corrupt (in %s %.12s): not a name "
		                           "or file pops writes; inspect it with 'git ls-tree -r %s'",
		                           st->env ? st->env : "", st->env ? "/" : "", root, name,
		                           POPS_RELEASE_REF, hex, POPS_RELEASE_REF);
		return -1;
	}
	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB || len <= 5 ||
	    strcmp(name + len - 5, ".json"))
		return 0;
	/* partial files are read with their release's entry */
	if (strstr(root, "@partials/"))
		return 0;
	if (st->env) {
		/* root is "" or "<dirs>/" inside the environment */
		pops_buf_puts(&env, st->env);
		pops_buf_puts(&prompt, root);
	} else {
		/* root is "<env>/" or "<env>/<dirs>/"; files at the top are not entries */
		if (!(slash = strchr(root, '/')))
			return 0;
		pops_buf_put(&env, root, (size_t)(slash - root));
		pops_buf_puts(&prompt, slash + 1);
	}
	pops_buf_put(&prompt, name, len - 5);
	st->error = read_entry(&e, st->repo, st->root, st->ledger, env.ptr, prompt.ptr);
	if (st->error == POPS_OK)
		st->error = list_add(st->out, e);
	pops_buf_dispose(&env);
	pops_buf_dispose(&prompt);
	return st->error < 0 ? -1 : 0;
}

int pops_release_list_entries(pops_release_list *out, git_repository *repo,
                              const git_oid *ledger, const char *env)
{
	struct walk_state st;
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *te = NULL;
	git_oid at;
	int error;

	if ((error = ledger_tree(&tree, repo, ledger, &at)) < 0)
		return error == POPS_ENOTFOUND ? POPS_OK : error;
	memset(&st, 0, sizeof(st));
	st.out = out;
	st.repo = repo;
	st.root = tree;
	st.ledger = &at;
	st.env = env;
	if (env) {
		error = git_tree_entry_bypath(&te, tree, env);
		if (error == GIT_ENOTFOUND) {
			error = POPS_OK;
			goto done;
		}
		if (error < 0 || git_tree_entry_type(te) != GIT_OBJECT_TREE ||
		    (error = git_tree_lookup(&sub, repo, git_tree_entry_id(te))) < 0) {
			error = pops_git_error(error < 0 ? error : -1, "cannot read the release ledger");
			goto done;
		}
	}
	error = git_tree_walk(sub ? sub : tree, GIT_TREEWALK_PRE, walk_cb, &st);
	if (st.error < 0)
		error = st.error;
	else if (error < 0)
		error = pops_git_error(error, "cannot read the release ledger");
done:
	git_tree_entry_free(te);
	git_tree_free(sub);
	git_tree_free(tree);
	return error;
}

int pops_release_read_blob(pops_buf *out, git_repository *repo,
                           const pops_release_entry *e)
{
	git_blob *blob = NULL;
	int error;

	if ((error = git_blob_lookup(&blob, repo, &e->blob)) < 0)
		return pops_git_error(error, "cannot read the released prompt");
	error = pops_buf_set(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return error < 0 ? pops_error_oom() : POPS_OK;
}

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

static int entry_json(pops_buf *out, const pops_release_entry *e)
{
	char hex[GIT_OID_HEXSZ + 1];
	cJSON *doc = cJSON_CreateObject();
	char *text = NULL;
	int error = POPS_OK;

#define ADD_STR_OR_NULL(k, v) ((v) ? cJSON_AddStringToObject(doc, k, v) : cJSON_AddNullToObject(doc, k))
	if (!doc || !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
	    !cJSON_AddStringToObject(doc, "prompt", e->prompt) ||
	    !cJSON_AddNumberToObject(doc, "version", (double)e->version) ||
	    !cJSON_AddStringToObject(doc, "blob", git_oid_tostr(hex, sizeof(hex), &e->blob)) ||
	    !ADD_STR_OR_NULL("source_commit", git_oid_is_zero(&e->source_commit) ? NULL :
	                     git_oid_tostr(hex, sizeof(hex), &e->source_commit)) ||
	    !ADD_STR_OR_NULL("model", e->model) ||
	    !ADD_STR_OR_NULL("model_alias", e->model_alias) ||
	    !ADD_STR_OR_NULL("evidence", e->evidence) ||
	    !ADD_STR_OR_NULL("ledger_reason", e->reason)) {
		error = pops_error_oom();
		goto done;
	}
#undef ADD_STR_OR_NULL
	/* a closure written once is schema 2; an entry that never had one stays 1 */
	if (e->closure_known) {
		cJSON *m = pops_closure_model_json(&e->closure);
		cJSON *parts = pops_closure_partials_json(&e->closure);

		if (!m || !parts || !cJSON_AddItemToObject(doc, "resolved_model", m)) {
			cJSON_Delete(m);
			cJSON_Delete(parts);
			error = pops_error_oom();
			goto done;
		}
		if (!cJSON_AddItemToObject(doc, "partials", parts)) {
			cJSON_Delete(parts);
			error = pops_error_oom();
			goto done;
		}
		cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "schema_version"), 2);
	}
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

static void change_message(pops_buf *m, const pops_release_change *c)
{
	const pops_release_entry *e = c->entry;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	switch (c->action) {
	case POPS_RELEASE_PROMOTE:
		pops_buf_printf(m, "promote %s@%ld to %s%s\n\n", e->prompt, e->version, e->env,
		                c->forced ? " (forced)" : "");
		break;
	case POPS_RELEASE_ROLLBACK:
		pops_buf_printf(m, "rollback %s to @%ld in %s\n\n", e->prompt, e->version, e->env);
		break;
	case POPS_RELEASE_APPROVE:
		pops_buf_printf(m, "approve %s@%ld for %s\n\n", e->prompt, e->version, e->env);
		break;
	}
	/* the body says in words what changed; the trailers stay machine-readable */
	if (c->changes && *c->changes && c->action != POPS_RELEASE_APPROVE) {
		const char *p;

		for (p = c->changes; *p; p++)
			pops_buf_putc(m, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
		pops_buf_puts(m, "\n\n");
	}
	put_trailer(m, "Pops-Env", e->env);
	put_trailer(m, "Pops-Prompt", e->prompt);
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

/*
 * The ledger tree with the entry's files replaced: its .prompt, its .json
 * and its @partials directory (the old one goes first, so a partial the
 * new release no longer uses is not kept).
 */
static int updated_tree(git_oid *out, git_repository *repo, git_tree *base,
                        const pops_release_entry *e)
{
	git_tree_update upd[3], *pupd = NULL;
	pops_buf json = POPS_BUF_INIT, jpath = POPS_BUF_INIT, ppath = POPS_BUF_INIT,
	         dpath = POPS_BUF_INIT, *files = NULL;
	git_oid json_id, mid;
	git_tree *empty = NULL, *middle = NULL;
	git_tree_entry *old = NULL;
	size_t i, nupd = 2, np = e->closure_known ? e->closure.npartials : 0;
	int error;

	if ((error = entry_json(&json, e)) < 0)
		goto done;
	if ((error = git_blob_create_from_buffer(&json_id, repo, json.ptr, json.size)) < 0) {
		error = pops_git_error(error, "cannot write the ledger entry");
		goto done;
	}
	pops_buf_printf(&jpath, "%s/%s.json", e->env, e->prompt);
	pops_buf_printf(&ppath, "%s/%s.prompt", e->env, e->prompt);
	pops_buf_printf(&dpath, "%s/%s@partials", e->env, e->prompt);
	if (pops_buf_oom(&jpath) || pops_buf_oom(&ppath) || pops_buf_oom(&dpath)) {
		error = pops_error_oom();
		goto done;
	}
	if (!base) {
		if ((error = empty_tree(&empty, repo)) < 0)
			goto done;
		base = empty;
	}
	memset(upd, 0, sizeof(upd));
	upd[0].action = GIT_TREE_UPDATE_UPSERT;
	git_oid_cpy(&upd[0].id, &e->blob);
	upd[0].filemode = GIT_FILEMODE_BLOB;
	upd[0].path = ppath.ptr;
	upd[1].action = GIT_TREE_UPDATE_UPSERT;
	git_oid_cpy(&upd[1].id, &json_id);
	upd[1].filemode = GIT_FILEMODE_BLOB;
	upd[1].path = jpath.ptr;
	if (git_tree_entry_bypath(&old, base, dpath.ptr) == 0) {
		upd[2].action = GIT_TREE_UPDATE_REMOVE;
		upd[2].path = dpath.ptr;
		nupd = 3;
	}
	git_error_clear();
	if ((error = git_tree_create_updated(np ? &mid : out, repo, base, nupd, upd)) < 0) {
		error = pops_git_error(error, "cannot write the ledger tree");
		goto done;
	}
	if (!np)
		goto done;
	/* a second pass: the removal above and these additions share a prefix */
	if (!(pupd = calloc(np, sizeof(*pupd))) || !(files = calloc(np, sizeof(*files)))) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 0; i < np; i++) {
		const pops_closure_partial *p = &e->closure.partials[i];

		if (!partial_file_ok(p->file)) {
			error = pops_error_set(POPS_EINVALID, "unsafe partial file '%s'", p->file);
			goto done;
		}
		files[i] = (pops_buf)POPS_BUF_INIT;
		pops_buf_printf(&files[i], "%s/%s", dpath.ptr, p->file);
		if (pops_buf_oom(&files[i])) {
			error = pops_error_oom();
			goto done;
		}
		pupd[i].action = GIT_TREE_UPDATE_UPSERT;
		git_oid_cpy(&pupd[i].id, &p->blob);
		pupd[i].filemode = GIT_FILEMODE_BLOB;
		pupd[i].path = files[i].ptr;
	}
	if ((error = git_tree_lookup(&middle, repo, &mid)) < 0 ||
	    (error = git_tree_create_updated(out, repo, middle, np, pupd)) < 0)
		error = pops_git_error(error, "cannot write the ledger tree");
done:
	for (i = 0; files && i < np; i++)
		pops_buf_dispose(&files[i]);
	free(files);
	free(pupd);
	git_tree_entry_free(old);
	git_tree_free(middle);
	git_tree_free(empty);
	pops_buf_dispose(&dpath);
	pops_buf_dispose(&ppath);
	pops_buf_dispose(&jpath);
	pops_buf_dispose(&json);
	return error;
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


int pops_release_read_partial(pops_buf *out, git_repository *repo, const pops_config *cfg,
                              const pops_release_entry *e, const char *name)
{
	pops_repo *r = NULL;
	pops_buf path = POPS_BUF_INIT, file = POPS_BUF_INIT;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	const git_oid *id = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int error;

	if (e->closure_known) {
		for (i = 0; i < e->closure.npartials; i++)
			if (!strcmp(e->closure.partials[i].name, name))
				id = &e->closure.partials[i].blob;
		if (!id) {
			error = pops_error_set(POPS_ENOTFOUND, "partial '%s' is not part of the release of "
			                       "'%s' in %s", name, e->prompt, e->env);
			goto done;
		}
	} else {
		/* schema 1: the partials are those of the source commit */
		if (git_oid_is_zero(&e->source_commit) ||
		    git_commit_lookup(&c, repo, &e->source_commit) < 0 ||
		    git_commit_tree(&tree, c) < 0) {
			git_error_clear();
			error = pops_error_set(POPS_ERROR, "cannot load partial '%s': the source commit "
			                       "of the release of '%s' in %s is not in this repository "
			                       "(git fetch?)", name, e->prompt, e->env);
			goto done;
		}
		if ((error = pops_repo_from(&r, repo, cfg)) < 0 ||
		    (error = pops_closure_partial_file(&file, name)) < 0)
			goto done;
		/* a tree path: no leading slash when the prompts dir is the root */
		if (*pops_repo_prompts_prefix(r))
			pops_buf_printf(&path, "%s/", pops_repo_prompts_prefix(r));
		pops_buf_puts(&path, file.ptr);
		if (git_tree_entry_bypath(&te, tree, path.ptr) < 0 ||
		    git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB) {
			git_error_clear();
			error = pops_error_set(POPS_ENOTFOUND, "partial '%s' not found (no %s at %.12s)",
			                       name, path.ptr,
			                       git_oid_tostr(hex, sizeof(hex), &e->source_commit));
			goto done;
		}
		id = git_tree_entry_id(te);
	}
	if (git_blob_lookup(&blob, repo, id) < 0) {
		error = pops_error_set(POPS_ERROR, "partial '%s' of the release of '%s' in %s is "
		                       "missing (blob %.12s): the ledger is incomplete", name, e->prompt,
		                       e->env, git_oid_tostr(hex, sizeof(hex), id));
		goto done;
	}
	error = pops_buf_set(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0 ?
	        pops_error_oom() : POPS_OK;
done:
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	git_commit_free(c);
	pops_buf_dispose(&file);
	pops_buf_dispose(&path);
	pops_repo_free(r);
	return error;
}
