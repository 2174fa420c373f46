#include "common.h"
#include "cmd.h"
#include "config.h"
#include "confine.h"
#include "fileio.h"
#include "partialfile.h"
#include "promptfile.h"
#include "repo.h"
#include "strutil.h"
#include "tools.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * `pops prompt lint [files...]`: parse and compile every prompt (and the
 * partials it uses), print every problem with file:line:col, exit 2 if
 * any file has an error (a declared tool defined nowhere or badly, a
 * toolChoice naming none of them are errors: eval would refuse them).
 * Warnings (unresolved schema names, misspelt
 * keys, unknown model aliases, frontmatter in a partial) do not change
 * the exit status.
 */

struct lint_opts {
	pops_strv files;
};

POPS_CMD_OPTS_SIZE(prompt_lint, struct lint_opts);
#define O struct lint_opts
const pops_opt cmd_prompt_lint_opts[] = {
	OPT_ARGS(O, files, "file",
	         ".prompt files (default: every .prompt under the prompts directory)",
	         .complete = POPS_COMPLETE_FILE),
	OPT_END
};
#undef O

typedef struct lint_state {
	const pops_config *cfg;
	const char *root;
	int files, errors, warnings;
	int partial_frontmatter;  /* partials with frontmatter lines: one hint at the end */
} lint_state;

/*
 * A partial (`_x.prompt`) is its whole file as text, as dotprompt and
 * Genkit include it, so it is compiled as a template, not parsed as a
 * prompt. Frontmatter there is not an error (it renders, as text) but
 * almost never what the author meant, and a Genkit application would
 * send those lines to the model just as pops evals do: say so.
 */
static void lint_partial(lint_state *ls, const char *path, int walked)
{
	pops_template *t = NULL;
	unsigned fm_line = 0;
	size_t i;

	if (pops_partial_load_file(&t, &fm_line, path, ls->root, walked) < 0) {
		cmd_error(POPS_EXIT_USAGE, "%s", pops_error_last());
		ls->errors++;
		return;
	}
	if (fm_line) {
		cmd_warning("%s:%u: a partial is included as text: dotprompt includes these "
		            "frontmatter lines verbatim", path, fm_line);
		ls->warnings++;
		ls->partial_frontmatter++;
	}
	for (i = 0; i < pops_template_warning_count(t); i++) {
		cmd_warning("%s", pops_template_warning(t, i));
		ls->warnings++;
	}
	pops_template_free(t);
}

/*
 * A file under the prompts dir whose path is not a valid prompt name
 * (`my prompt.prompt`) is one every other command leaves out: an error
 * here, so it cannot pass lint and then be missing everywhere else.
 */
static void lint_name(lint_state *ls, const char *path)
{
	size_t rl = strlen(ls->root), len;
	const char *rel = path, *why;
	char *name;
	pops_buf q = POPS_BUF_INIT;

	if (!strncmp(path, ls->root, rl) && path[rl] == '/')
		rel = path + rl + 1;
	len = strlen(rel);
	if (len <= strlen(".prompt") || !(name = pops_strndup(rel, len - strlen(".prompt"))))
		return;
	if ((why = pops_repo_name_problem(name, 0))) {
		pops_buf_put_sanitized(&q, path, strlen(path), 0);
		cmd_error(POPS_EXIT_USAGE, "%s: not a valid prompt name: %s (pops leaves the file "
		          "out of every command; rename it)", q.ptr, why);
		ls->errors++;
	}
	pops_buf_dispose(&q);
	free(name);
}

/* the tools a prompt declares: defined (pops.yaml tools: or tools/NAME.json) and well formed */
static void lint_tools(lint_state *ls, const pops_prompt *p, const char *path)
{
	pops_tools_source src = { ls->cfg, NULL, NULL };
	cJSON *defs = NULL;

	if (!pops_prompt_tools(p) && !pops_prompt_tool_choice(p))
		return;
	if (!ls->cfg) {
		cmd_warning("%s: declares tools, but there is no pops.yaml to define them", path);
		ls->warnings++;
		return;
	}
	if (pops_tools_resolve(&defs, &src, pops_prompt_tools(p), path) < 0 ||
	    pops_tools_choice_check(pops_prompt_tool_choice(p), pops_prompt_tools(p), path) < 0) {
		cmd_error(POPS_EXIT_USAGE, "%s", pops_error_last());
		ls->errors++;
	}
	cJSON_Delete(defs);
}

/* walked: found under the prompts dir, so it must resolve inside it */
static void lint_file(lint_state *ls, const char *path, int walked)
{
	pops_prompt_options po = POPS_PROMPT_OPTIONS_INIT;
	pops_prompt *p = NULL;
	size_t i;

	ls->files++;
	if (walked)
		lint_name(ls, path);
	if (pops_partial_is_file(path)) {
		lint_partial(ls, path, walked);
		return;
	}
	po.confine = walked;
	if (pops_prompt_load_file(&p, path, ls->root, &po) < 0) {
		cmd_error(POPS_EXIT_USAGE, "%s", pops_error_last());
		ls->errors++;
		return;
	}
	for (i = 0; i < pops_prompt_warning_count(p); i++) {
		cmd_warning("%s", pops_prompt_warning(p, i));
		ls->warnings++;
	}
	if (ls->cfg && pops_prompt_model(p) && !strchr(pops_prompt_model(p), '/') &&
	    !pops_config_model(ls->cfg, pops_prompt_model(p))) {
		cmd_warning("%s: model '%s' is not an alias in %s (use an alias or provider/id)",
		            path, pops_prompt_model(p), ls->cfg->path);
		ls->warnings++;
	}
	lint_tools(ls, p, path);
	pops_prompt_free(p);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(lint_state *ls, const char *path, int depth);

/* every *.prompt under dir, sorted, depth-limited */
static int walk(lint_state *ls, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, a = 0, i;
	int ret = POPS_EXIT_OK;

	if (depth > 16 || !(d = opendir(dir)))
		return depth ? POPS_EXIT_OK : cmd_error(POPS_EXIT_RUNTIME, "cannot read '%s': %s", dir,
		                                      strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == a) {
			char **nn = realloc(names, (a = a ? a * 2 : 32) * sizeof(char *));

			if (!nn) {
				ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
				break;
			}
			names = nn;
		}
		if (!(names[n] = pops_strdup(e->d_name))) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(char *), by_name);
	for (i = 0; i < n; i++) {
		pops_buf path = POPS_BUF_INIT;

		if (ret == POPS_EXIT_OK && pops_path_join(&path, dir, names[i]) == 0) {
			if (pops_path_isdir(path.ptr))
				ret = walk_dir(ls, path.ptr, depth);
			else if (pops_ends_with(names[i], ".prompt"))
				lint_file(ls, path.ptr, 1);
		}
		pops_buf_dispose(&path);
		free(names[i]);
	}
	free(names);
	return ret;
}

/*
 * A directory in the walk. A symlinked one is not entered: one leading out
 * of the prompts dir is an error, as render refuses it; the files of one
 * inside are checked where they really are (and links to it cannot loop).
 */
static int walk_dir(lint_state *ls, const char *path, int depth)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (pops_confine_check(path, ls->root, path, ls->root) < 0) {
			ls->errors++;
			cmd_error(POPS_EXIT_USAGE, "%s", pops_error_last());
		}
		return POPS_EXIT_OK;
	}
	return walk(ls, path, depth + 1);
}

int cmd_prompt_lint(pops_ctx *ctx, void *o)
{
	struct lint_opts *opts = o;
	lint_state ls;
	pops_buf cwd = POPS_BUF_INIT, cfgpath = POPS_BUF_INIT, root = POPS_BUF_INIT;
	pops_config *cfg = NULL;
	int ret = POPS_EXIT_OK, error;
	size_t i;

	(void)ctx;
	memset(&ls, 0, sizeof(ls));
	if (pops_buf_grow(&cwd, 4096) == 0 && getcwd(cwd.ptr, cwd.asize - 1)) {
		cwd.size = strlen(cwd.ptr);
		error = pops_config_find(&cfgpath, cwd.ptr, NULL);
		if (!error && (error = pops_config_load(&cfg, cfgpath.ptr)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		pops_error_clear();
	}
	if (cfg && pops_path_join(&root, cfg->root, cfg->prompts_dir) == 0)
		ls.root = root.ptr;
	ls.cfg = cfg;
	if (opts->files.n) {
		for (i = 0; i < opts->files.n; i++)
			lint_file(&ls, opts->files.v[i], 0);
	} else if (ls.root) {
		if ((ret = walk(&ls, ls.root, 0)) != POPS_EXIT_OK)
			goto done;
	} else {
		ret = cmd_error(POPS_EXIT_USAGE, "no files given and no pops.yaml here");
		cmd_hint("name the .prompt files to check, or run it inside a pops project");
		goto done;
	}
	cmd_note("%d prompt file%s checked: %d error%s, %d warning%s", ls.files,
	           ls.files == 1 ? "" : "s", ls.errors, ls.errors == 1 ? "" : "s",
	           ls.warnings, ls.warnings == 1 ? "" : "s");
	if (ls.partial_frontmatter)
		cmd_hint("delete a partial's lines from '---' to '---': pops and dotprompt both "
		         "send them to the model");
	ret = ls.errors ? POPS_EXIT_USAGE : POPS_EXIT_OK;
done:
	pops_config_free(cfg);
	pops_buf_dispose(&root);
	pops_buf_dispose(&cfgpath);
	pops_buf_dispose(&cwd);
	return ret;
}
