#include "common.h"
#include "project.h"
#include "config.h"
#include "fileio.h"
#include "git.h"

#include <git2.h>

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
		error = pops_error_set(POPS_ERROR, "out of memory");
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
	if ((error = pops_mkdir_p(opts->dir, 0777)) < 0)
		goto done;

	if ((error = pops_git_init()) < 0)
		goto done;
	git_ok = 1;
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
