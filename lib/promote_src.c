/*
 * Where promotion candidates come from: prompt files in commits, their
 * version numbers and models.
 *
 * NOTE: versions are counted here on HEAD's first-parent history until the
 * repository module (lib/repo.h, issue 5) lands; then this file switches to
 * its API so there is one definition of "version".
 */
#include "common.h"
#include "promote_src.h"
#include "casref.h"
#include "git.h"
#include "strutil.h"
#include "yamldoc.h"

#include <stdlib.h>

int pops_promote__repo_path(pops_buf *out, git_repository *repo,
                            const pops_config *cfg, const char *rel)
{
	const char *workdir = git_repository_workdir(repo);
	char *wd = NULL, *root = NULL;
	size_t wlen;
	int error = POPS_OK;

	pops_buf_clear(out);
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	/* pops.yaml may live below the work tree root: paths in it are relative to it */
	if (workdir && cfg->root && (wd = realpath(workdir, NULL)) &&
	    (root = realpath(cfg->root, NULL))) {
		wlen = strlen(wd);
		if (!strncmp(root, wd, wlen) && root[wlen] == '/')
			pops_buf_printf(out, "%s/", root + wlen + 1);
	}
	pops_buf_puts(out, rel);
	while (out->size && out->ptr[out->size - 1] == '/')
		pops_buf_truncate(out, out->size - 1);
	if (pops_buf_oom(out))
		error = pops_error_set(POPS_ERROR, "out of memory");
	free(root);
	free(wd);
	return error;
}

int pops_promote__prompt_path(pops_buf *out, git_repository *repo,
                              const pops_config *cfg, const char *name)
{
	pops_buf rel = POPS_BUF_INIT;
	const char *dir = cfg->prompts_dir ? cfg->prompts_dir : "prompts";
	int error;

	if (!pops_release_name_ok(name))
		return pops_error_set(POPS_EINVALID,
		                      "'%s' is not a valid prompt name (letters, digits, '-', '_', '.', '/')",
		                      name);
	if (!strcmp(dir, ".") || !*dir)
		pops_buf_printf(&rel, "%s.prompt", name);
	else
		pops_buf_printf(&rel, "%s/%s.prompt", dir, name);
	error = pops_promote__repo_path(out, repo, cfg, rel.ptr);
	pops_buf_dispose(&rel);
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
 * Versions of `path` on HEAD's first-parent history, oldest first: the
 * blob each version has and the commit that made it.
 */
static int versions(git_oid **blobs, git_oid **commits, size_t *n,
                    git_repository *repo, const char *path)
{
	git_oid head, cur_blob, parent_blob;
	git_commit *c = NULL, *p = NULL;
	git_oid *vb = NULL, *vc = NULL;
	size_t cnt = 0, i;
	int error;

	*blobs = *commits = NULL;
	*n = 0;
	if ((error = git_reference_name_to_id(&head, repo, "HEAD")) < 0) {
		error = error == GIT_ENOTFOUND || error == GIT_EUNBORNBRANCH ?
		        pops_error_set(POPS_ENOTFOUND, "HEAD has no commits yet") :
		        pops_git_error(error, "cannot read HEAD");
		goto done;
	}
	if ((error = git_commit_lookup(&c, repo, &head)) < 0) {
		error = pops_git_error(error, "cannot read HEAD");
		goto done;
	}
	if ((error = blob_in(&cur_blob, repo, c, path)) < 0)
		goto done;
	while (c) {
		git_oid *nb, *nc;

		p = NULL;
		if (git_commit_parentcount(c) > 0 && (error = git_commit_parent(&p, c, 0)) < 0) {
			/* a shallow clone ends here: count what we can see */
			p = NULL;
		}
		memset(&parent_blob, 0, sizeof(parent_blob));
		if (p && (error = blob_in(&parent_blob, repo, p, path)) < 0)
			goto done;
		if (!git_oid_is_zero(&cur_blob) && !git_oid_equal(&cur_blob, &parent_blob)) {
			nb = realloc(vb, (cnt + 1) * sizeof(*vb));
			if (nb)
				vb = nb;
			nc = realloc(vc, (cnt + 1) * sizeof(*vc));
			if (nc)
				vc = nc;
			if (!nb || !nc) {
				error = pops_error_set(POPS_ERROR, "out of memory");
				goto done;
			}
			git_oid_cpy(&vb[cnt], &cur_blob);
			git_oid_cpy(&vc[cnt], git_commit_id(c));
			cnt++;
		}
		git_commit_free(c);
		c = p;
		p = NULL;
		git_oid_cpy(&cur_blob, &parent_blob);
	}
	/* collected newest first: reverse */
	for (i = 0; i < cnt / 2; i++) {
		git_oid t = vb[i];

		vb[i] = vb[cnt - 1 - i];
		vb[cnt - 1 - i] = t;
		t = vc[i];
		vc[i] = vc[cnt - 1 - i];
		vc[cnt - 1 - i] = t;
	}
	*blobs = vb;
	*commits = vc;
	*n = cnt;
	vb = vc = NULL;
	error = POPS_OK;
done:
	free(vb);
	free(vc);
	git_commit_free(p);
	git_commit_free(c);
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
	    (error = versions(&vb, &vc, &n, repo, path.ptr)) < 0)
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

/* the frontmatter's `model:` resolved through pops.yaml aliases */
static int model_of(pops_release_entry *e, const pops_config *cfg, const char *data,
                    size_t len, const char *name)
{
	pops_yaml_doc *doc = NULL;
	const char *end, *body, *p, *nl;
	const cJSON *m;
	const pops_model_cfg *mc;
	int error = POPS_OK;

	if (len < 4 || strncmp(data, "---", 3) || (data[3] != '\n' && data[3] != '\r'))
		return POPS_OK;
	body = data + 4;
	end = NULL;
	for (p = body; p < data + len; p = nl + 1) {
		if ((size_t)(data + len - p) >= 3 && !strncmp(p, "---", 3)) {
			end = p;
			break;
		}
		if (!(nl = memchr(p, '\n', (size_t)(data + len - p))))
			break;
	}
	if (!end)
		return POPS_OK;
	if (pops_yaml_parse(&doc, body, (size_t)(end - body), name, 1, NULL) < 0) {
		/* a prompt that does not parse has no model to record; lint reports it */
		pops_error_clear();
		return POPS_OK;
	}
	m = cJSON_GetObjectItemCaseSensitive(pops_yaml_root(doc), "model");
	if (cJSON_IsString(m) && *m->valuestring) {
		const char *v = m->valuestring, *slash = strchr(v, '/');

		if ((mc = pops_config_model(cfg, v))) {
			e->model = pops_strdup(mc->id);
			e->model_alias = pops_strdup(v);
		} else {
			e->model = pops_strdup(slash ? slash + 1 : v);
		}
		if (!e->model)
			error = pops_error_set(POPS_ERROR, "out of memory");
	}
	pops_yaml_free(doc);
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
	if ((error = versions(&vb, &vc, &n, repo, path.ptr)) < 0 && error != POPS_ENOTFOUND)
		goto done;
	if (!(e = calloc(1, sizeof(*e)))) {
		error = pops_error_set(POPS_ERROR, "out of memory");
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
	if ((error = model_of(e, cfg, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
	                      path.ptr)) < 0)
		goto done;
	if (!e->env || !e->prompt) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	*out = e;
	e = NULL;
	error = POPS_OK;
done:
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
	if ((error = pops_promote__repo_path(&dir, repo, cfg,
	                                     cfg->prompts_dir ? cfg->prompts_dir : "prompts")) < 0)
		goto done;
	if ((error = git_commit_lookup(&c, repo, commit)) < 0 ||
	    (error = git_commit_tree(&tree, c)) < 0) {
		error = pops_git_error(error, "cannot read the source commit");
		goto done;
	}
	if (dir.size && strcmp(dir.ptr, ".")) {
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
	return pops_buf_oom(out) ? pops_error_set(POPS_ERROR, "out of memory") : POPS_OK;
}
