#include "common.h"
#include "eval_affected.h"
#include "evidence.h"
#include "jsonget.h"
#include "strutil.h"

/* ---- reusing evidence ---- */

int pops_eval_affected_has_notes(git_repository *repo)
{
	git_oid oid;

	if (git_reference_name_to_id(&oid, repo, POPS_EVIDENCE_REF) < 0) {
		git_error_clear();
		return 0;
	}
	return 1;
}

int pops_eval_affected_find(cJSON **found, char commit[GIT_OID_HEXSZ + 1],
                            git_repository *repo, const char *fingerprint)
{
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;
	git_oid at;
	int error;

	*found = NULL;
	commit[0] = 0;
	q.fingerprint = fingerprint;
	q.kind = "complete";
	error = pops_evidence_find(found, &at, repo, &q);
	if (error == POPS_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	/* an outage is no result: such a suite runs again */
	if (!strcmp(pops_json_str(*found, "verdict", "error"), "error") ||
	    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(*found, "cases"))) {
		cJSON_Delete(*found);
		*found = NULL;
		return 0;
	}
	git_oid_tostr(commit, GIT_OID_HEXSZ + 1, &at);
	return 1;
}

static int index_cb(void *payload, const git_oid *commit, const cJSON *r)
{
	cJSON *index = payload, *entry, *res;
	const char *fp = pops_json_str(r, "fingerprint", NULL);
	char hex[GIT_OID_HEXSZ + 1];

	if (!fp || strcmp(pops_evidence_kind(r), "complete"))
		return 0;
	entry = cJSON_GetObjectItemCaseSensitive(index, fp);
	if (entry && !pops_evidence_prefer(r, cJSON_GetObjectItemCaseSensitive(entry, "result")))
		return 0;
	git_oid_tostr(hex, sizeof(hex), commit);
	if (!(res = cJSON_Duplicate(r, 1)))
		return pops_error_oom();
	if (!entry && !(entry = cJSON_AddObjectToObject(index, fp))) {
		cJSON_Delete(res);
		return pops_error_oom();
	}
	cJSON_DeleteItemFromObjectCaseSensitive(entry, "commit");
	cJSON_DeleteItemFromObjectCaseSensitive(entry, "result");
	if (!cJSON_AddStringToObject(entry, "commit", hex) ||
	    !cJSON_AddItemToObject(entry, "result", res))
		return pops_error_oom();
	return 0;
}

int pops_eval_affected_index(cJSON **index, git_repository *repo)
{
	int error;

	if (!(*index = cJSON_CreateObject()))
		return pops_error_oom();
	if ((error = pops_evidence_foreach(repo, index_cb, *index)) < 0) {
		cJSON_Delete(*index);
		*index = NULL;
	}
	return error < 0 ? error : 0;
}

int pops_eval_affected_lookup(cJSON **found, char commit[GIT_OID_HEXSZ + 1],
                              const cJSON *index, const char *fingerprint)
{
	const cJSON *entry = cJSON_GetObjectItemCaseSensitive(index, fingerprint);
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(entry, "result");

	*found = NULL;
	commit[0] = 0;
	/* an outage is no result: such a suite runs again */
	if (!r || !strcmp(pops_json_str(r, "verdict", "error"), "error") ||
	    !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "cases")))
		return 0;
	if (!(*found = cJSON_Duplicate(r, 1)))
		return pops_error_oom();
	snprintf(commit, GIT_OID_HEXSZ + 1, "%s", pops_json_str(entry, "commit", ""));
	return 1;
}

static int copy_member(cJSON *to, const cJSON *from, const char *key, const char *as)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);

	if (!v)
		return 1;
	return cJSON_AddItemToObject(to, as ? as : key, cJSON_Duplicate(v, 1));
}

cJSON *pops_eval_affected_summary(const cJSON *ev, const char *commit, const char *alias)
{
	static const char *const keys[] = { "cases", "passed", "failed", "errors", "pass_rate",
		"ci_low", "ci_high", "threshold", "verdict", "cost_usd", NULL };
	cJSON *s = cJSON_CreateObject(), *reused = NULL;
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(ev, "case_results");
	int ok;
	size_t i;

	ok = s && cJSON_AddStringToObject(s, "suite", pops_json_str(ev, "suite", "")) &&
	     cJSON_AddStringToObject(s, "prompt", pops_json_str(ev, "prompt", "")) &&
	     cJSON_AddStringToObject(s, "model",
	                             alias ? alias : pops_json_str(ev, "model_alias", "")) &&
	     cJSON_AddStringToObject(s, "model_id", pops_json_str(ev, "model", "")) &&
	     copy_member(s, ev, "dataset", NULL);
	for (i = 0; ok && keys[i]; i++)
		ok = copy_member(s, ev, keys[i], NULL);
	if (ok && strcmp(pops_json_str(ev, "verdict", ""), "pass"))
		ok = cJSON_AddStringToObject(s, "reason", "the reused evidence did not pass") != NULL;
	ok = ok && cJSON_AddTrueToObject(s, "complete") &&
	     (reused = cJSON_AddObjectToObject(s, "reused")) &&
	     cJSON_AddStringToObject(reused, "commit", commit) &&
	     cJSON_AddStringToObject(reused, "date", pops_json_str(ev, "date", "")) &&
	     cJSON_AddStringToObject(reused, "fingerprint", pops_json_str(ev, "fingerprint", "")) &&
	     (!cJSON_IsObject(cases) ||
	      cJSON_AddItemToObject(reused, "cases", cJSON_Duplicate(cases, 1)));
	if (!ok) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

void pops_eval_affected_note(pops_buf *out, const cJSON *summary, const char *model)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(summary, "reused");
	const char *date = pops_json_str(r, "date", "");

	pops_buf_clear(out);
	pops_buf_puts(out, pops_json_str(summary, "suite", ""));
	if (model)
		pops_buf_printf(out, " [%s]", model);
	pops_buf_printf(out, ": evidence reused from %.7s", pops_json_str(r, "commit", ""));
	if (strlen(date) >= 10)
		pops_buf_printf(out, " (%.10s)", date);
	pops_buf_puts(out, ", not run");
}

/* ---- what changed since BASE ---- */

static int tree_of(git_tree **out, git_repository *repo, const char *rev)
{
	git_object *obj = NULL;
	int rc = git_revparse_single(&obj, repo, rev);

	if (rc == 0)
		rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_TREE);
	git_object_free(obj);
	if (rc < 0)
		git_error_clear();
	return rc;
}

/* pops.yaml relative to the work tree, or NULL (a bare repository, a config outside it) */
static char *config_rel(git_repository *repo, const pops_config *cfg)
{
	const char *wd = git_repository_workdir(repo);
	char *rwd = wd ? realpath(wd, NULL) : NULL, *rc = realpath(cfg->path, NULL), *out = NULL;
	size_t n = rwd ? strlen(rwd) : 0;

	if (rwd && rc && !strncmp(rc, rwd, n) && rc[n] == '/')
		out = pops_strdup(rc + n + 1);
	free(rwd);
	free(rc);
	return out;
}

/* pops.yaml as BASE has it; a missing or broken one leaves base_cfg NULL (every model changed) */
static void load_base_config(pops_eval_changes *c, git_repository *repo, git_tree *base)
{
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;

	if (git_tree_entry_bypath(&te, base, c->config_path) == 0 &&
	    git_blob_lookup(&blob, repo, git_tree_entry_id(te)) == 0 &&
	    pops_config_parse(&c->base_cfg, git_blob_rawcontent(blob),
	                      (size_t)git_blob_rawsize(blob), c->config_path) < 0)
		c->base_cfg = NULL;
	git_error_clear();
	git_blob_free(blob);
	git_tree_entry_free(te);
}

static int add_delta(pops_eval_changes *c, const git_diff_delta *d)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (d->status == GIT_DELTA_DELETED)
		return 0;
	git_oid_tostr(hex, sizeof(hex), &d->new_file.id);
	if (!cJSON_AddItemToArray(c->paths, cJSON_CreateString(d->new_file.path)))
		return pops_error_oom();
	if (!cJSON_GetObjectItemCaseSensitive(c->blobs, hex) &&
	    !cJSON_AddStringToObject(c->blobs, hex, d->new_file.path))
		return pops_error_oom();
	return 0;
}

int pops_eval_changes_load(pops_eval_changes *c, git_repository *repo, const char *base,
                           const pops_config *cfg)
{
	git_tree *old = NULL, *cur = NULL;
	git_diff *diff = NULL;
	char *conf = config_rel(repo, cfg);
	size_t i;
	int error = 0, config_changed = 0;

	memset(c, 0, sizeof(*c));
	c->base = base;
	if (!(c->paths = cJSON_CreateArray()) || !(c->blobs = cJSON_CreateObject())) {
		error = pops_error_oom();
		goto done;
	}
	if (tree_of(&old, repo, base) < 0 || tree_of(&cur, repo, "HEAD") < 0)
		goto done;
	if (git_diff_tree_to_tree(&diff, repo, old, cur, NULL) < 0) {
		const git_error *ge = git_error_last();

		error = pops_error_set(POPS_ERROR, "--affected %s: cannot diff with HEAD: %s", base,
		                       ge && ge->message ? ge->message : "git error");
		goto done;
	}
	c->resolved = 1;
	for (i = 0; i < git_diff_num_deltas(diff) && !error; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		error = add_delta(c, d);
		if (conf && !strcmp(d->new_file.path, conf))
			config_changed = 1;
	}
	if (!error && config_changed) {
		c->config_path = conf;
		conf = NULL;
		load_base_config(c, repo, old);
	}
done:
	free(conf);
	git_diff_free(diff);
	git_tree_free(old);
	git_tree_free(cur);
	return error;
}

/* one blob of the fingerprint: the changed path it is, once */
static void touch_blob(pops_buf *why, int *n, const pops_eval_changes *c, const cJSON *v)
{
	const char *path;

	if (!cJSON_IsString(v) || !(path = pops_json_str(c->blobs, v->valuestring, NULL)))
		return;
	/* the same file can be two fields (a judge prompt that is also a partial) */
	if (why->ptr && strstr(why->ptr, path))
		return;
	pops_buf_printf(why, "%s%s", (*n)++ ? ", " : "", path);
}

/* the same alias, provider, id and config in both configurations? */
static int same_model(const pops_config *a, const pops_config *b, const char *alias)
{
	const pops_model_cfg *ma = pops_config_model(a, alias), *mb = pops_config_model(b, alias);

	if (!ma || !mb)
		return !ma && !mb;
	return !strcmp(ma->provider ? ma->provider : "", mb->provider ? mb->provider : "") &&
	       !strcmp(ma->id ? ma->id : "", mb->id ? mb->id : "") &&
	       ((!ma->config && !mb->config) || cJSON_Compare(ma->config, mb->config, 1));
}

int pops_eval_changes_touch(pops_buf *why, const pops_eval_changes *c,
                            const pops_fingerprint *fp, const pops_config *cfg,
                            const char *alias)
{
	static const char *const fields[] = { "prompt_blob", "partial_blobs", "suite_blob",
		"dataset_blob", "judge_prompt_blob", "exec_blobs", NULL };
	size_t i;
	int n = 0;

	if (!c->resolved)
		return 0;
	for (i = 0; fields[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(fp->fields, fields[i]), *it;

		if (cJSON_IsString(v))
			touch_blob(why, &n, c, v);
		else
			cJSON_ArrayForEach(it, v)
				touch_blob(why, &n, c, it);
	}
	if (c->config_path && alias && (!c->base_cfg || !same_model(cfg, c->base_cfg, alias)))
		pops_buf_printf(why, "%s%s (model %s)", n++ ? ", " : "", c->config_path, alias);
	return n > 0;
}

void pops_eval_changes_dispose(pops_eval_changes *c)
{
	cJSON_Delete(c->paths);
	cJSON_Delete(c->blobs);
	free(c->config_path);
	pops_config_free(c->base_cfg);
	memset(c, 0, sizeof(*c));
}
