#include "common.h"
#include "inputs.h"
#include "config.h"
#include "fileio.h"
#include "repo.h"
#include "strutil.h"
#include "suite.h"

#include <stdlib.h>
#include <sys/stat.h>

typedef struct input {
	char *path;     /* as shown: relative to the current directory when it can be */
	char *real;     /* for telling two spellings of one file apart */
	const char *role;
} input;

typedef struct inputs {
	input *v;
	size_t n;
} inputs;

/* `real` as the user would type it from here, when it is below here */
static const char *shown(const char *real, const char *path)
{
	char *cwd = realpath(".", NULL);
	size_t n = cwd ? strlen(cwd) : 0;
	const char *out = path;

	if (cwd && !strncmp(real, cwd, n) && real[n] == '/')
		out = real + n + 1;
	free(cwd);
	return out;
}

/*
 * Only regular files: anything else (a FIFO, a device) the run refuses
 * itself, and reading it here could block before it gets the chance.
 */
static int regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* a file out of memory loses is one warning fewer: the run then fails on memory itself */
static void add(inputs *in, const char *path, const char *role)
{
	char *real = NULL;
	input *v;
	size_t i;

	if (!regular(path) || !(real = realpath(path, NULL)))
		goto done; /* missing or not a file: the run itself says so */
	path = shown(real, path);
	for (i = 0; i < in->n; i++)
		if (!strcmp(in->v[i].real, real))
			goto done;
	if (!(v = realloc(in->v, (in->n + 1) * sizeof(*v))))
		goto done;
	in->v = v;
	if (!(v[in->n].path = pops_strdup(path)))
		goto done;
	v[in->n].real = real;
	v[in->n].role = role;
	in->n++;
	real = NULL;
done:
	free(real);
}

static void add_joined(inputs *in, const char *root, const char *path, const char *role)
{
	pops_buf p = POPS_BUF_INIT;

	if (path[0] == '/' || !strcmp(root, "."))
		pops_buf_puts(&p, path);
	else
		pops_path_join(&p, root, path);
	if (!pops_buf_oom(&p))
		add(in, p.ptr, role);
	pops_buf_dispose(&p);
}

/* the work tree file a prompt address reads, if it reads one */
static void add_prompt(inputs *in, pops_repo *repo, const char *address)
{
	pops_address a;
	pops_buf rel = POPS_BUF_INIT;

	if (pops_path_exists(address) && !pops_path_isdir(address)) {
		add(in, address, "prompt");
		return;
	}
	if (pops_address_parse(&a, address) < 0) {
		pops_error_clear();
		return;
	}
	if (a.kind == POPS_ADDR_WORKTREE && pops_repo_name_to_path(&rel, repo, a.name) == 0)
		add_joined(in, pops_repo_workdir(repo), rel.ptr, "prompt");
	pops_error_clear();
	pops_address_dispose(&a);
	pops_buf_dispose(&rel);
}

static void add_suite(inputs *in, pops_repo *repo, const pops_config *cfg, const char *path,
                      const char *prompt, const char *dataset)
{
	pops_suite *s = NULL;

	add(in, path, "suite");
	if (!regular(path) || pops_suite_load(&s, path) < 0) {
		pops_error_clear();
		return; /* the run reports a bad suite itself */
	}
	if (dataset || s->dataset)
		add_joined(in, cfg->root, dataset ? dataset : s->dataset, "dataset");
	if (prompt || s->prompt)
		add_prompt(in, repo, prompt ? prompt : s->prompt);
	pops_suite_free(s);
}

static size_t warn(inputs *in, pops_repo *repo, const char *what)
{
	pops_buf q = POPS_BUF_INIT;
	size_t i, warned = 0;

	for (i = 0; i < in->n; i++) {
		pops_path_state st;

		if (pops_repo_path_state(&st, repo, in->v[i].path) < 0) {
			pops_error_clear();
			continue;
		}
		if (st == POPS_PATH_COMMITTED || st == POPS_PATH_OUTSIDE)
			continue;
		pops_buf_clear(&q);
		pops_buf_put_sanitized(&q, in->v[i].path, strlen(in->v[i].path), 0);
		cmd_warning("%s (%s) is %s: %s describes a file no commit holds", q.ptr,
		            in->v[i].role, pops_path_state_name(st), what);
		warned++;
	}
	if (warned)
		cmd_hint("commit %s first (git add, git commit), so the evidence describes what a "
		         "commit holds", warned == 1 ? "it" : "them");
	for (i = 0; i < in->n; i++) {
		free(in->v[i].path);
		free(in->v[i].real);
	}
	free(in->v);
	pops_buf_dispose(&q);
	return warned;
}

size_t cmd_warn_uncommitted_suites(pops_ctx *ctx, pops_repo *repo,
                                   const char *const *suites, size_t nsuites,
                                   const char *prompt, const char *dataset, const char *what)
{
	inputs in = { NULL, 0 };
	size_t i;

	add(&in, ctx->config->path, "project file");
	for (i = 0; i < nsuites; i++)
		add_suite(&in, repo, ctx->config, suites[i], prompt, dataset);
	return warn(&in, repo, what);
}

size_t cmd_warn_uncommitted_gates(pops_ctx *ctx, pops_repo *repo)
{
	const pops_config *cfg = ctx->config;
	inputs in = { NULL, 0 };
	size_t e, i;

	add(&in, cfg->path, "project file");
	for (e = 0; e < cfg->nenvs; e++)
		for (i = 0; i < cfg->envs[e].nsuites; i++) {
			pops_buf p = POPS_BUF_INIT;

			/* gate suites are named relative to the project root */
			pops_path_join(&p, cfg->root, cfg->envs[e].suites[i]);
			if (!pops_buf_oom(&p))
				add_suite(&in, repo, cfg, p.ptr, NULL, NULL);
			pops_buf_dispose(&p);
		}
	return warn(&in, repo, "the evidence the gates read");
}
