#include "common.h"
#include "git.h"

#include <git2.h>

int pops_git_init(void)
{
	if (git_libgit2_init() < 0)
		return pops_git_error(-1, "cannot initialise libgit2");
	return POPS_OK;
}

void pops_git_shutdown(void)
{
	git_libgit2_shutdown();
}

int pops_git_error(int git_code, const char *what)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown error";
	int code;

	switch (git_code) {
	case GIT_ENOTFOUND: code = POPS_ENOTFOUND; break;
	case GIT_EAMBIGUOUS: code = POPS_EAMBIGUOUS; break;
	case GIT_EMODIFIED:
	case GIT_ELOCKED: code = POPS_EMODIFIED; break;
	case GIT_EEXISTS: code = POPS_EEXISTS; break;
	case GIT_EINVALIDSPEC: code = POPS_EINVALID; break;
	default: code = POPS_ERROR; break;
	}
	return pops_error_set(code, "%s: %s", what, msg);
}
