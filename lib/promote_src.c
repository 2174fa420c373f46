/*
 * Where promotion candidates come from: prompt files in commits, their
 * version numbers and models.
 *
 * Version numbers come from the repository module (lib/repo.h), so
 * "version" has one definition everywhere.
 */
#include "common.h"
#include "promote_int.h"
#include "casref.h"
#include "git.h"
#include "strutil.h"
#include "repo.h"

#include <stdlib.h>

int pops_promote__prompt_path(pops_buf *out, git_repository *repo,
                              const pops_config *cfg, const char *name)
{
	pops_repo *r = NULL;
	int error;

	if ((error = pops_repo_check_name(name)) < 0)
		return error;
	pops_buf_clear(out);
	if ((error = pops_repo_from(&r, repo, cfg)) == 0)
		error = pops_repo_name_to_path(out, r, name);
	pops_repo_free(r);
	return error;
}

/* blob id of `path` in `commit`; zero oid when absent */
static int blob_in(git_oid *out, git_repository *repo, const git_commit *commit,
                   const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = git_commit_tree(&tree, commit)) < 0)
		return pops_git_error(error, "cannot read a commit's tree");
	error = git_tree_entry_bypath(&te, tree, path);
	if (error == 0 && git_tree_entry_type(te) == GIT_OBJECT_BLOB)
		git_oid_cpy(out, git_tree_entry_id(te));
	git_tree_entry_free(te);
	git_tree_free(tree);
	(void)repo;
	return error == 0 || error == GIT_ENOTFOUND ? POPS_OK :
	       pops_git_error(error, "cannot read a commit's tree");
}

/*
 * Versions of prompt `name` (lib/repo: HEAD's first-parent history,
 * following renames), oldest first: the blob each version has and the
 * commit that made it. A prompt without committed versions, or a shallow
 * clone where numbers are unknown, gives an empty list.
 */
static int versions(git_oid **blobs, git_oid **commits, size_t *n,
                    git_repository *repo, const pops_config *cfg, const char *name)
{
	pops_repo *r = NULL;
	pops_versions *vs = NULL;
	git_oid *vb = NULL, *vc = NULL;
	size_t i, cnt;
	int error;

	*blobs = *commits = NULL;
	*n = 0;
	if ((error = pops_repo_from(&r, repo, cfg)) < 0)
		goto done;
	error = pops_repo_versions(&vs, r, name, 0);
	if (error == POPS_ENOTFOUND) {
		pops_error_clear();
		error = POPS_OK;
		goto done;
	}
	if (error < 0 || vs->shallow || !vs->n)
		goto done;
	cnt = vs->n;
	vb = calloc(cnt, sizeof(*vb));
	vc = calloc(cnt, sizeof(*vc));
	if (!vb || !vc) {
		error = pops_error_oom();
		goto done;
	}
	/* newest first with numbers cnt..1 */
	for (i = 0; i < cnt; i++) {
		git_oid_cpy(&vb[cnt - 1 - i], &vs->v[i].blob);
		git_oid_cpy(&vc[cnt - 1 - i], &vs->v[i].commit);
	}
	*blobs = vb;
	*commits = vc;
	*n = cnt;
	vb = vc = NULL;
done:
	free(vb);
	free(vc);
	pops_versions_free(vs);
	pops_repo_free(r);
	return error;
}

int pops_promote__version_blob(git_oid *blob_out, git_oid *commit_out,
                               git_repository *repo, const pops_config *cfg,
                               const char *name, long version)
{
	pops_buf path = POPS_BUF_INIT;
	git_oid *vb = NULL, *vc = NULL;
	size_t n = 0;
	int error;

	if ((error = pops_promote__prompt_path(&path, repo, cfg, name)) < 0 ||
	    (error = versions(&vb, &vc, &n, repo, cfg, name)) < 0)
		goto done;
	if (n == 0) {
		error = pops_error_set(POPS_ENOTFOUND, "unknown prompt '%s' (no committed %s)",
		                       name, path.ptr);
		goto done;
	}
	if (version < 1 || (size_t)version > n) {
		error = pops_error_set(POPS_ENOTFOUND, "'%s' has versions 1 to %zu, not %ld",
		                       name, n, version);
		goto done;
	}
	git_oid_cpy(blob_out, &vb[version - 1]);
	git_oid_cpy(commit_out, &vc[version - 1]);
	error = POPS_OK;
done:
	free(vb);
	free(vc);
	pops_buf_dispose(&path);
	return error;
}

int pops_promote_candidate(pops_release_entry **out, git_repository *repo,
                              const pops_config *cfg, const git_oid *commit,
                              const char *name, const char *env)
{
	pops_buf path = POPS_BUF_INIT;
	git_commit *c = NULL;
	git_blob *blob = NULL;
	git_oid blob_id, *vb = NULL, *vc = NULL;
	pops_release_entry *e = NULL;
	pops_config *at_cfg = NULL;
	pops_closure closure = POPS_CLOSURE_INIT;
	size_t n = 0, i;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	*out = NULL;
	if ((error = pops_promote__prompt_path(&path, repo, cfg, name)) < 0)
		goto done;
	if ((error = git_commit_lookup(&c, repo, commit)) < 0) {
		error = pops_git_error(error, "cannot read the source commit");
		goto done;
	}
	if ((error = blob_in(&blob_id, repo, c, path.ptr)) < 0)
		goto done;
	if (git_oid_is_zero(&blob_id)) {
		error = pops_error_set(POPS_ENOTFOUND, "unknown prompt '%s': no %s in commit %s",
		                       name, path.ptr, git_oid_tostr(hex, 13, commit));
		goto done;
	}
	if ((error = versions(&vb, &vc, &n, repo, cfg, name)) < 0 && error != POPS_ENOTFOUND)
		goto done;
	if (!(e = calloc(1, sizeof(*e)))) {
		error = pops_error_oom();
		goto done;
	}
	e->env = pops_strdup(env);
	e->prompt = pops_strdup(name);
	git_oid_cpy(&e->blob, &blob_id);
	git_oid_cpy(&e->source_commit, commit);
	/* the newest version with this content (0: not on HEAD's history) */
	for (i = n; i > 0; i--) {
		if (git_oid_equal(&vb[i - 1], &blob_id)) {
			e->version = (long)i;
			break;
		}
	}
	if ((error = git_blob_lookup(&blob, repo, &blob_id)) < 0) {
		error = pops_git_error(error, "cannot read the prompt");
		goto done;
	}
	/* the model pins committed with the prompt decide its model, not the work tree's */
	if ((error = pops_closure_config_at(&at_cfg, repo, cfg, commit)) < 0 ||
	    (error = pops_closure_compute(&closure, repo, at_cfg ? at_cfg : cfg, commit, name,
	                                  git_blob_rawcontent(blob),
	                                  (size_t)git_blob_rawsize(blob))) < 0 ||
	    (error = pops_release_entry_set_closure(e, &closure)) < 0)
		goto done;
	if (!e->env || !e->prompt) {
		error = pops_error_oom();
		goto done;
	}
	*out = e;
	e = NULL;
	error = POPS_OK;
done:
	pops_closure_dispose(&closure);
	pops_config_free(at_cfg);
	pops_release_entry_free(e);
	git_blob_free(blob);
	free(vb);
	free(vc);
	git_commit_free(c);
	pops_buf_dispose(&path);
	return error;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names_state {
	char **v;
	size_t n;
	int oom;
};

static int names_cb(const char *root, const git_tree_entry *te, void *payload)
{
	struct names_state *st = payload;
	const char *name = git_tree_entry_name(te);
	size_t len = strlen(name);
	pops_buf full = POPS_BUF_INIT;
	char **v;

	if (git_tree_entry_type(te) != GIT_OBJECT_BLOB || len <= 7 ||
	    strcmp(name + len - 7, ".prompt") || name[0] == '_')
		return 0;
	pops_buf_puts(&full, root);
	pops_buf_put(&full, name, len - 7);
	if (!pops_release_name_ok(full.ptr)) {
		pops_buf_dispose(&full);
		return 0;
	}
	if (pops_buf_oom(&full) || !(v = realloc(st->v, (st->n + 1) * sizeof(*v)))) {
		pops_buf_dispose(&full);
		st->oom = 1;
		return -1;
	}
	st->v = v;
	st->v[st->n++] = pops_buf_detach(&full);
	return 0;
}

int pops_promote_prompt_names(char ***out, size_t *n, git_repository *repo,
                              const pops_config *cfg, const git_oid *commit)
{
	struct names_state st = { NULL, 0, 0 };
	pops_buf dir = POPS_BUF_INIT;
	git_commit *c = NULL;
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *te = NULL;
	size_t i;
	int error;

	*out = NULL;
	*n = 0;
	{
		pops_repo *r = NULL;

		if ((error = pops_repo_from(&r, repo, cfg)) == 0)
			pops_buf_sets(&dir, pops_repo_prompts_prefix(r));
		pops_repo_free(r);
		if (error < 0)
			goto done;
	}
	if ((error = git_commit_lookup(&c, repo, commit)) < 0 ||
	    (error = git_commit_tree(&tree, c)) < 0) {
		error = pops_git_error(error, "cannot read the source commit");
		goto done;
	}
	if (dir.size) {
		error = git_tree_entry_bypath(&te, tree, dir.ptr);
		if (error == GIT_ENOTFOUND) {
			error = POPS_OK;
			goto done;
		}
		if (error < 0 || git_tree_entry_type(te) != GIT_OBJECT_TREE ||
		    (error = git_tree_lookup(&sub, repo, git_tree_entry_id(te))) < 0) {
			error = error < 0 ? pops_git_error(error, "cannot read the prompts directory") :
			        POPS_OK;
			goto done;
		}
	}
	if (git_tree_walk(sub ? sub : tree, GIT_TREEWALK_PRE, names_cb, &st) < 0 || st.oom) {
		error = pops_error_set(POPS_ERROR, "cannot list the prompts: out of memory");
		goto done;
	}
	if (st.n)
		qsort(st.v, st.n, sizeof(*st.v), name_cmp);
	*out = st.v;
	*n = st.n;
	st.v = NULL;
	st.n = 0;
	error = POPS_OK;
done:
	for (i = 0; i < st.n; i++)
		free(st.v[i]);
	free(st.v);
	git_tree_entry_free(te);
	git_tree_free(sub);
	git_tree_free(tree);
	git_commit_free(c);
	pops_buf_dispose(&dir);
	return error;
}

int pops_promote__whoami(pops_buf *out, git_repository *repo)
{
	git_signature *sig = NULL;
	int error;

	if ((error = pops_casref_signature(&sig, repo)) < 0)
		return error;
	pops_buf_printf(out, "%s <%s>", sig->name, sig->email);
	git_signature_free(sig);
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

int pops_promote__same_release(const pops_release_entry *a, const pops_release_entry *b)
{
	if (a->closure_known && b->closure_known)
		return pops_closure_equal(&a->closure, &b->closure);
	return git_oid_equal(&a->blob, &b->blob) &&
	       ((!a->model && !b->model) || (a->model && b->model && !strcmp(a->model, b->model)));
}

int pops_promote__upgrade_legacy(pops_release_entry *e, git_repository *repo,
                                 const pops_config *cfg)
{
	pops_closure c = POPS_CLOSURE_INIT;
	pops_config *at_cfg = NULL;
	git_blob *blob = NULL;
	int error = POPS_OK;

	if (e->closure_known || git_oid_is_zero(&e->source_commit))
		return POPS_OK;
	if (git_blob_lookup(&blob, repo, &e->blob) < 0 ||
	    pops_closure_config_at(&at_cfg, repo, cfg, &e->source_commit) < 0 ||
	    pops_closure_compute(&c, repo, at_cfg ? at_cfg : cfg, &e->source_commit, e->prompt,
	                         git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0 ||
	    !git_oid_equal(&c.blob, &e->blob)) {
		/* the release keeps what it recorded */
		pops_error_clear();
		git_error_clear();
		goto done;
	}
	/* the id the ledger recorded is what was released, whatever pops.yaml says now */
	if (e->model && (!c.model_id || strcmp(c.model_id, e->model)))
		goto done;
	error = pops_release_entry_set_closure(e, &c);
done:
	pops_config_free(at_cfg);
	git_blob_free(blob);
	pops_closure_dispose(&c);
	return error;
}

int pops_promote__describe(pops_promote_item *item)
{
	pops_buf b = POPS_BUF_INIT;
	const pops_release_entry *cur = item->current, *cand = item->entry;
	int error;

	free(item->changes);
	item->changes = NULL;
	error = pops_closure_describe_diff(&b, &cur->closure, cur->version, &cand->closure,
	                                   cand->version);
	/* a schema 1 record whose closure could not be recovered differs only in being one */
	if (error == 0 && !b.size)
		pops_buf_puts(&b, "release record upgraded");
	if (error == 0 && !(item->changes = pops_buf_detach(&b)))
		error = pops_error_oom();
	pops_buf_dispose(&b);
	return error;
}

int pops_promote_compare(int *same, pops_buf *changes, git_repository *repo,
                         const pops_config *cfg, pops_release_entry *current,
                         pops_release_entry *cand)
{
	pops_promote_item item;
	int error;

	*same = 0;
	if ((error = pops_promote__upgrade_legacy(current, repo, cfg)) < 0 ||
	    (error = pops_promote__upgrade_legacy(cand, repo, cfg)) < 0)
		return error;
	if ((*same = pops_promote__same_release(current, cand)) || !changes)
		return POPS_OK;
	memset(&item, 0, sizeof(item));
	item.current = current;
	item.entry = cand;
	if ((error = pops_promote__describe(&item)) == 0)
		pops_buf_puts(changes, item.changes);
	free(item.changes);
	return error;
}
