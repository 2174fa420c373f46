#include "unit.h"
#include "project.h"
#include "fileio.h"
#include "git.h"

#include <git2.h>
#include <sys/wait.h>
#include <unistd.h>

static void rm_rf(const char *path)
{
	/* tests run on their own temp dirs only */
	char *argv[] = { "rm", "-rf", (char *)path, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

TEST(project_init_creates_repo_config_and_dirs)
{
	char tmpl[] = "/tmp/pops-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	pops_init_options o = POPS_INIT_OPTIONS_INIT;
	pops_init_result r;
	pops_buf p = POPS_BUF_INIT;

	CHECK(dir != NULL);
	pops_path_join(&p, dir, "proj");
	o.dir = p.ptr;
	CHECK_INT(pops_project_init(&r, &o), 0);
	CHECK_INT(r.created_repo, 1);
	CHECK_INT(r.updated_gitignore, 1);
	pops_buf_puts(&p, "/prompts");
	CHECK(pops_path_isdir(p.ptr));
	pops_buf_truncate(&p, p.size - 8);
	/* again: refused, nothing changes */
	CHECK_INT(pops_project_init(&r, &o), POPS_EEXISTS);
	CHECK_ERR_HAS("already exists");
	o.force = 1;
	CHECK_INT(pops_project_init(&r, &o), 0);
	CHECK_INT(r.created_repo, 0);
	CHECK_INT(r.replaced_config, 1);
	CHECK_INT(r.updated_gitignore, 0);
	rm_rf(dir);
	pops_buf_dispose(&p);
}

TEST(git_errors_map_to_pops_codes)
{
	git_repository *repo = NULL;
	int gerr;

	CHECK_INT(pops_git_init(), 0);
	gerr = git_repository_open_ext(&repo, "/nonexistent-pops-dir", 0, NULL);
	CHECK(gerr < 0);
	CHECK_INT(pops_git_error(gerr, "cannot open"), POPS_ENOTFOUND);
	CHECK_ERR_HAS("cannot open: ");
	CHECK_INT(pops_git_error(GIT_EMODIFIED, "update ref"), POPS_EMODIFIED);
	CHECK_INT(pops_git_error(GIT_EAMBIGUOUS, "rev"), POPS_EAMBIGUOUS);
	pops_git_shutdown();
}
