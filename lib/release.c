#include "common.h"
#include "release.h"
#include "casref.h"
#include "git.h"
#include "strutil.h"
#include "repo.h"
#include "release_int.h"
#include "rollout.h"

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
	pops_release_entry_free(e->canary);
	free(e);
}

pops_release_entry *pops_release_entry_dup(const pops_release_entry *e)
{
	pops_release_entry *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	*d = *e;
	memset(&d->closure, 0, sizeof(d->closure));
	d->canary = NULL;
	if (pops_closure_copy(&d->closure, &e->closure) < 0) {
		d->env = d->prompt = d->model = d->model_alias = d->evidence = d->reason = NULL;
		pops_release_entry_free(d);
		return NULL;
	}
	if (e->canary && !(d->canary = pops_release_entry_dup(e->canary))) {
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

/* a string field that may be absent or null: -1 only on out of memory */
static int opt_str(char **out, const cJSON *obj, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	return !cJSON_IsString(it) || (*out = pops_strdup(it->valuestring)) ? 0 : -1;
}

/* a partial's file as the ledger keeps it: "_x.prompt" or "dir/_x.prompt", nothing else */
int pops_release__partial_file_ok(const char *file)
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
static int parse_closure(pops_release_entry *e, const cJSON *doc, const char *pfx,
                         pops_buf *what)
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
		pops_buf_printf(what, "\"%s%s\" is missing", pfx, partials ? "resolved_model" : "partials");
		return POPS_EINVALID;
	}
	if ((error = pops_closure_from_json(&e->closure, partials, model, what)) < 0)
		return error;
	for (i = 0; i < e->closure.npartials; i++) {
		const pops_closure_partial *p = &e->closure.partials[i];

		if (!pops_release__partial_file_ok(p->file) || pops_repo_check_name(p->name) < 0) {
			pops_error_clear();
			pops_buf_printf(what, "a partial in \"%spartials\" has an unsafe name or file", pfx);
			return POPS_EINVALID;
		}
	}
	e->closure_known = 1;
	return POPS_OK;
}

/*
 * Every partial of the release (`side`: "" or "@canary") is in the
 * ledger tree under <env>/<prompt><side>@partials, with its blob.
 */
static int check_partials(const pops_release_entry *e, const char *side, git_tree *tree,
                          const git_oid *ledger)
{
	pops_buf what = POPS_BUF_INIT, path = POPS_BUF_INIT;
	git_tree_entry *te = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int error = POPS_OK;

	for (i = 0; e->closure_known && i < e->closure.npartials; i++) {
		const pops_closure_partial *p = &e->closure.partials[i];

		pops_buf_clear(&path);
		pops_buf_printf(&path, "%s/%s%s@partials/%s", e->env, e->prompt, side, p->file);
		if (git_tree_entry_bypath(&te, tree, path.ptr) < 0 ||
		    git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB ||
		    !git_oid_equal(git_tree_entry_id(te), &p->blob)) {
			git_error_clear();
			pops_buf_printf(&what, "%spartial %s is missing from the release (no %s with "
			                "blob %.12s)", *side ? "canary " : "", p->name, path.ptr,
			                git_oid_tostr(hex, sizeof(hex), &p->blob));
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

/*
 * The fields one side of a release has (the stable side at the top of
 * the entry, the canary side in "rollout"."canary"); `pfx` names where
 * in messages ("" or "rollout.canary.").
 */
static int parse_side(pops_release_entry *e, const cJSON *obj, const char *pfx, pops_buf *what)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, "version");

	if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1e9) {
		pops_buf_printf(what, "\"%sversion\" is not a number", pfx);
		return POPS_EINVALID;
	}
	e->version = (long)it->valuedouble;
	it = cJSON_GetObjectItemCaseSensitive(obj, "blob");
	if (!cJSON_IsString(it) || git_oid_fromstr(&e->blob, it->valuestring) < 0) {
		pops_buf_printf(what, "\"%sblob\" is not an object id", pfx);
		return POPS_EINVALID;
	}
	it = cJSON_GetObjectItemCaseSensitive(obj, "source_commit");
	if (cJSON_IsString(it) && git_oid_fromstr(&e->source_commit, it->valuestring) < 0) {
		pops_buf_printf(what, "\"%ssource_commit\" is not an object id", pfx);
		return POPS_EINVALID;
	}
	if (opt_str(&e->model, obj, "model") < 0 || opt_str(&e->model_alias, obj, "model_alias") < 0 ||
	    opt_str(&e->evidence, obj, "evidence") < 0)
		return pops_error_oom();
	return parse_closure(e, obj, pfx, what);
}

/* "rollout": {"percent","salt","since","canary":{...}} of a schema 3 entry */
static int parse_rollout(pops_release_entry *e, const cJSON *ro, pops_buf *what)
{
	const cJSON *it;
	pops_release_entry *c;

	if (!cJSON_IsObject(ro)) {
		pops_buf_puts(what, "\"rollout\" is not an object");
		return POPS_EINVALID;
	}
	it = cJSON_GetObjectItemCaseSensitive(ro, "percent");
	if (!cJSON_IsNumber(it) || it->valuedouble != (double)(long)it->valuedouble ||
	    !pops_rollout_percent_ok((long)it->valuedouble)) {
		pops_buf_printf(what, "\"rollout.percent\" is not a whole number from %u to %u",
		                POPS_ROLLOUT_MIN_PERCENT, POPS_ROLLOUT_MAX_PERCENT);
		return POPS_EINVALID;
	}
	e->rollout_percent = (unsigned)it->valuedouble;
	it = cJSON_GetObjectItemCaseSensitive(ro, "salt");
	if (!cJSON_IsString(it) || !pops_rollout_salt_ok(it->valuestring)) {
		pops_buf_puts(what, "\"rollout.salt\" is not 16 lowercase hex digits");
		return POPS_EINVALID;
	}
	memcpy(e->rollout_salt, it->valuestring, sizeof(e->rollout_salt));
	it = cJSON_GetObjectItemCaseSensitive(ro, "since");
	if (!cJSON_IsString(it) || pops_rollout_parse_time(&e->rollout_since, it->valuestring) < 0) {
		pops_buf_puts(what, "\"rollout.since\" is not a UTC time like 2026-12-02T13:00:00Z");
		return POPS_EINVALID;
	}
	it = cJSON_GetObjectItemCaseSensitive(ro, "canary");
	if (!cJSON_IsObject(it)) {
		pops_buf_puts(what, "\"rollout.canary\" is missing");
		return POPS_EINVALID;
	}
	if (!(c = e->canary = calloc(1, sizeof(*c))) || !(c->env = pops_strdup(e->env)) ||
	    !(c->prompt = pops_strdup(e->prompt)))
		return pops_error_oom();
	if (parse_side(c, it, "rollout.canary.", what) < 0)
		return POPS_EINVALID;
	if (!c->closure_known) {
		pops_buf_puts(what, "\"rollout.canary\" has no \"resolved_model\" and \"partials\"");
		return POPS_EINVALID;
	}
	return POPS_OK;
}

int pops_release_parse_entry(pops_release_entry **out, const char *data, size_t len,
                             const char *env, const char *prompt, pops_buf *what)
{
	pops_release_entry *e = NULL;
	cJSON *doc = NULL;
	const cJSON *ro, *sv;
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
	if ((error = parse_side(e, doc, "", what)) < 0)
		goto done;
	if (opt_str(&e->reason, doc, "ledger_reason") < 0) {
		error = pops_error_oom();
		goto done;
	}
	ro = cJSON_GetObjectItemCaseSensitive(doc, "rollout");
	sv = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
	/* schema 3 is exactly "an entry with a rollout": neither comes alone */
	if ((ro && !cJSON_IsNull(ro)) != (cJSON_IsNumber(sv) && sv->valuedouble == 3)) {
		pops_buf_puts(what, ro && !cJSON_IsNull(ro) ? "\"rollout\" needs \"schema_version\": 3"
		                                            : "\"schema_version\" 3 without \"rollout\"");
		error = POPS_EINVALID;
		goto done;
	}
	if (ro && !cJSON_IsNull(ro) && (error = parse_rollout(e, ro, what)) < 0)
		goto done;
	*out = e;
	e = NULL;
	error = POPS_OK;
done:
	pops_release_entry_free(e);
	cJSON_Delete(doc);
	return error;
}

/* the canary's .prompt file is in the tree with the blob its entry names, and its partials */
static int check_canary(const pops_release_entry *e, git_tree *tree, const git_oid *ledger)
{
	pops_buf path = POPS_BUF_INIT;
	git_tree_entry *te = NULL;
	int error = POPS_OK;

	if (!e->canary)
		return POPS_OK;
	pops_buf_printf(&path, "%s/%s@canary.prompt", e->env, e->prompt);
	if (git_tree_entry_bypath(&te, tree, path.ptr) < 0 ||
	    git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB) {
		git_error_clear();
		error = corrupt(ledger, e->env, e->prompt, "its rollout's canary file @canary.prompt "
		                "is missing");
	} else if (!git_oid_equal(&e->canary->blob, git_tree_entry_id(te))) {
		error = corrupt(ledger, e->env, e->prompt, "\"rollout.canary.blob\" does not match "
		                "the released @canary.prompt file");
	} else {
		error = check_partials(e->canary, "@canary", tree, ledger);
	}
	git_tree_entry_free(te);
	pops_buf_dispose(&path);
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
	if ((error = check_partials(e, "", tree, ledger)) < 0 ||
	    (error = check_canary(e, tree, ledger)) < 0)
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
/* 1 when `name` is "<prompt name><suffix>" */
static int name_with_suffix(const char *name, size_t len, const char *suffix)
{
	size_t slen = strlen(suffix);
	char *base;
	int ok;

	if (len <= slen || strcmp(name + len - slen, suffix))
		return 0;
	base = pops_strndup(name, len - slen);
	ok = base && pops_release_name_ok(base);
	free(base);
	return ok;
}

int pops_release_tree_name_ok(const char *root, const char *name, unsigned mode)
{
	size_t len = strlen(name);
	int in_partials = strstr(root, "@partials/") != NULL;

	if (strchr(name, '/') || !*name)
		return 0;
	if (mode == GIT_FILEMODE_TREE) {
		if (!in_partials && *root && (name_with_suffix(name, len, "@canary@partials") ||
		                              name_with_suffix(name, len, "@partials")))
			return 1;
		return pops_release_name_ok(name);
	}
	if (mode != GIT_FILEMODE_BLOB || !*root)
		return 0;
	/* a rollout's canary prompt sits beside the stable one */
	if (!in_partials && name_with_suffix(name, len, "@canary.prompt"))
		return 1;
	if (!pops_release_name_ok(name))
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
