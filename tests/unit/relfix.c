#define _XOPEN_SOURCE 700
#include "unit.h"
#include "relfix.h"
#include "fileio.h"
#include "git.h"
#include "config.h"

#include <ftw.h>
#include <unistd.h>

int relfix_init(relfix *f)
{
	const char *tmp = getenv("TMPDIR");
	git_config *cfg = NULL;

	memset(f, 0, sizeof(*f));
	pops_buf_printf(&f->dir, "%s/pops-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (pops_buf_oom(&f->dir) || !mkdtemp(f->dir.ptr))
		return -1;
	if (pops_git_init() < 0)
		return -1;
	if (git_repository_init(&f->repo, f->dir.ptr, 0) < 0)
		return -1;
	if (git_repository_config(&cfg, f->repo) < 0)
		return -1;
	git_config_set_string(cfg, "user.name", "Unit Tester");
	git_config_set_string(cfg, "user.email", "unit@example.com");
	git_config_free(cfg);
	return 0;
}

int relfix_commit(relfix *f, git_oid *out, const char *path, const char *content,
                  const char *message)
{
	git_index *idx = NULL;
	git_oid tree_id, commit_id, parent_id;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	pops_buf full = POPS_BUF_INIT, dir = POPS_BUF_INIT;
	int error = -1;
	char *slash;

	pops_path_join(&full, f->dir.ptr, path);
	if (content) {
		pops_buf_sets(&dir, full.ptr);
		if ((slash = strrchr(dir.ptr, '/')))
			*slash = '\0';
		if (pops_mkdir_p(dir.ptr, 0777) < 0 ||
		    pops_file_write_atomic(full.ptr, content, strlen(content), 0644) < 0)
			goto done;
	} else {
		unlink(full.ptr);
	}
	if (git_repository_index(&idx, f->repo) < 0)
		goto done;
	if (content ? git_index_add_bypath(idx, path) < 0 : git_index_remove_bypath(idx, path) < 0)
		goto done;
	if (git_index_write(idx) < 0 || git_index_write_tree(&tree_id, idx) < 0 ||
	    git_tree_lookup(&tree, f->repo, &tree_id) < 0 ||
	    git_signature_now(&sig, "Unit Tester", "unit@example.com") < 0)
		goto done;
	if (git_reference_name_to_id(&parent_id, f->repo, "HEAD") == 0 &&
	    git_commit_lookup(&parent, f->repo, &parent_id) < 0)
		goto done;
	if (git_commit_create_v(&commit_id, f->repo, "HEAD", sig, sig, NULL, message, tree,
	                        parent ? 1 : 0, parent) < 0)
		goto done;
	if (out)
		git_oid_cpy(out, &commit_id);
	error = 0;
done:
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(idx);
	pops_buf_dispose(&dir);
	pops_buf_dispose(&full);
	return error;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

void relfix_dispose(relfix *f)
{
	if (f->repo) {
		git_repository_free(f->repo);
		f->repo = NULL;
	}
	if (f->dir.size)
		nftw(f->dir.ptr, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	pops_buf_dispose(&f->dir);
	pops_git_shutdown();
}

int relfix_config(relfix *f, struct pops_config **out, const char *envs_yaml)
{
	pops_buf yaml = POPS_BUF_INIT, path = POPS_BUF_INIT;
	int error;

	pops_buf_puts(&yaml, "version: 1\nprompts: prompts\nevals: evals\n"
	              "providers:\n  openai: { type: openai, api_key_env: OPENAI_API_KEY }\n"
	              "models:\n  fast: { provider: openai, id: gpt-x-2024-01-01 }\n");
	pops_buf_puts(&yaml, envs_yaml ? envs_yaml :
	              "environments:\n  - name: dev\n  - name: staging\n  - name: prod\n");
	pops_path_join(&path, f->dir.ptr, "pops.yaml");
	error = pops_config_parse(out, yaml.ptr, yaml.size, path.ptr);
	pops_buf_dispose(&path);
	pops_buf_dispose(&yaml);
	return error;
}
