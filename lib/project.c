#include "common.h"
#include "project.h"
#include "config.h"
#include "fileio.h"
#include "git.h"

#include <git2.h>
#include <stdlib.h>

#define CACHE_IGNORE ".pops/cache/"

/* add the cache directory to .gitignore unless it is already there */
static int ensure_gitignore(const char *dir, int *updated)
{
	pops_buf path = POPS_BUF_INIT, data = POPS_BUF_INIT;
	int error;
	const char *p;

	*updated = 0;
	if ((error = pops_path_join(&path, dir, ".gitignore")) < 0)
		goto done;
	error = pops_file_read(&data, path.ptr, POPS_CONFIG_MAX_BYTES);
	if (error < 0 && error != POPS_ENOTFOUND)
		goto done;
	error = POPS_OK;
	for (p = data.ptr; *p; ) {
		size_t n = strcspn(p, "\n");

		if ((n == strlen(CACHE_IGNORE) && !strncmp(p, CACHE_IGNORE, n)) ||
		    (n == strlen("/" CACHE_IGNORE) && !strncmp(p, "/" CACHE_IGNORE, n)))
			goto done;
		p += n;
		if (*p)
			p++;
	}
	if (data.size && data.ptr[data.size - 1] != '\n')
		pops_buf_putc(&data, '\n');
	pops_buf_puts(&data, "# pops response cache (see 'pops cache')\n" CACHE_IGNORE "\n");
	if (pops_buf_oom(&data)) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = pops_file_write_atomic(path.ptr, data.ptr, data.size, 0666)) < 0)
		goto done;
	*updated = 1;
done:
	pops_buf_dispose(&data);
	pops_buf_dispose(&path);
	return error;
}

/*
 * The pops.yaml of a project of the same repository that encloses `dir`
 * (dir itself has none), into `out`; POPS_ENOTFOUND when there is none.
 * Looked up from the nearest directory of `dir` that exists, since init
 * may be about to create it, and never above that repository's work
 * tree: a pops.yaml outside the repository is no project of its.
 */
static int enclosing_project(pops_buf *out, const char *dir)
{
	pops_buf at = POPS_BUF_INIT;
	git_repository *repo = NULL;
	char *real = NULL;
	const char *workdir;
	int error = POPS_ENOTFOUND;

	pops_buf_sets(&at, dir);
	while (!pops_path_isdir(at.ptr)) {
		char *slash = strrchr(at.ptr, '/');

		if (!slash) {
			pops_buf_sets(&at, ".");
			break;
		}
		pops_buf_truncate(&at, slash == at.ptr ? 1 : (size_t)(slash - at.ptr));
	}
	if (pops_buf_oom(&at)) {
		error = pops_error_oom();
		goto done;
	}
	if (!(real = realpath(at.ptr, NULL)) || pops_git_open(&repo, real) < 0 ||
	    !(workdir = git_repository_workdir(repo)))
		goto done;
	error = pops_config_find(out, real, workdir);
done:
	if (error == POPS_ENOTFOUND)
		pops_error_clear();
	git_repository_free(repo);
	free(real);
	pops_buf_dispose(&at);
	return error;
}

int pops_project_init(pops_init_result *out, const pops_init_options *opts)
{
	static const char *const dirs[] = { "prompts", "evals", "datasets" };
	pops_buf cfg = POPS_BUF_INIT, sub = POPS_BUF_INIT;
	git_repository *repo = NULL;
	const char *tmpl = pops_config_template();
	int error, git_ok = 0, gerr;
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((error = pops_path_join(&cfg, opts->dir, POPS_CONFIG_FILE)) < 0)
		goto done;
	if (pops_path_exists(cfg.ptr)) {
		if (!opts->force) {
			error = pops_error_set(POPS_EEXISTS, "'%s' already exists", cfg.ptr);
			goto done;
		}
		out->replaced_config = 1;
	}
	if ((error = pops_git_init()) < 0)
		goto done;
	git_ok = 1;
	/*
	 * A pops.yaml above `dir` in the same repository makes `dir` part of
	 * that project: a second one there would split its prompts and
	 * evals from the first's, and the repository's one releases ledger
	 * would then hold both. Only on request.
	 */
	if (!opts->force && !out->replaced_config) {
		pops_buf found = POPS_BUF_INIT;

		error = enclosing_project(&found, opts->dir);
		if (error == 0) {
			out->nested = 1;
			error = pops_error_set(POPS_EEXISTS, "'%s' is inside the pops project of '%s'",
			                       opts->dir, found.ptr);
		} else if (error == POPS_ENOTFOUND) {
			error = POPS_OK;
		}
		pops_buf_dispose(&found);
		if (error < 0)
			goto done;
	}
	if ((error = pops_mkdir_p(opts->dir, 0777)) < 0)
		goto done;

	gerr = pops_git_open(&repo, opts->dir);
	if (gerr == GIT_ENOTFOUND) {
		if ((gerr = git_repository_init(&repo, opts->dir, 0)) < 0) {
			error = pops_git_error(gerr, "cannot create git repository");
			goto done;
		}
		out->created_repo = 1;
	} else if (gerr < 0) {
		error = pops_git_error(gerr, "cannot open git repository");
		goto done;
	}

	if ((error = pops_file_write_atomic(cfg.ptr, tmpl, strlen(tmpl), 0666)) < 0)
		goto done;
	for (i = 0; i < POPS_ARRAY_SIZE(dirs); i++) {
		pops_buf_clear(&sub);
		if ((error = pops_path_join(&sub, opts->dir, dirs[i])) < 0 ||
		    (error = pops_mkdir_p(sub.ptr, 0777)) < 0)
			goto done;
	}
	error = ensure_gitignore(opts->dir, &out->updated_gitignore);

done:
	git_repository_free(repo);
	if (git_ok)
		pops_git_shutdown();
	pops_buf_dispose(&sub);
	pops_buf_dispose(&cfg);
	return error;
}
