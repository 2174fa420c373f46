#include "common.h"
#include "cmd.h"
#include "config.h"
#include "git.h"
#include "repo.h"
#include "strutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * `pops __complete <word>...`: the words after "pops" up to and
 * including the one being completed (possibly empty). Prints one
 * candidate per line, or the directive ":file" / ":dir" when the shell
 * should complete paths itself. Reads only the command and option
 * tables, pops.yaml and the prompts and evals directories.
 */

struct complete_opts {
	pops_strv words;
};

POPS_CMD_OPTS_SIZE(complete, struct complete_opts);
#define O struct complete_opts
const pops_opt cmd_complete_opts[] = {
	OPT_ARGS(O, words, "word", "the command line so far; the last word is completed"),
	OPT_END
};
#undef O

/*
 * Candidates are collected one per line in `out`, so that the caller can
 * print them as they are or behind a "--option=" prefix.
 */
static void put_if_prefix(pops_buf *out, const char *cand, const char *prefix)
{
	if (pops_starts_with(cand, prefix)) {
		pops_buf_puts(out, cand);
		pops_buf_putc(out, '\n');
	}
}

/*
 * Model aliases; `--model a,b` takes a list, so after a comma the last
 * alias is completed behind what was typed, skipping aliases already in
 * the list.
 */
static void put_models(pops_buf *out, const pops_config *cfg, const char *word)
{
	const char *last = strrchr(word, ',');
	size_t head = last ? (size_t)(last - word) + 1 : 0, i;

	for (i = 0; i < cfg->nmodels; i++) {
		const char *alias = cfg->models[i].alias;
		size_t n = strlen(alias);
		const char *p;
		int listed = 0;

		if (!pops_starts_with(alias, word + head))
			continue;
		/* already in the list? (whole comma-separated items only) */
		for (p = word; p < word + head; p += strcspn(p, ",") + 1)
			if (strcspn(p, ",") == n && !strncmp(p, alias, n))
				listed = 1;
		if (listed)
			continue;
		pops_buf_put(out, word, head);
		pops_buf_puts(out, alias);
		pops_buf_putc(out, '\n');
	}
}

/* print each line of `cands` behind `prefix` */
static void print_candidates(const pops_buf *cands, const char *prefix)
{
	const char *p = cands->ptr, *nl;

	while ((nl = strchr(p, '\n'))) {
		printf("%s%.*s\n", prefix, (int)(nl - p), p);
		p = nl + 1;
	}
}

static pops_config *load_config(void)
{
	pops_buf path = POPS_BUF_INIT;
	pops_config *cfg = NULL;
	char cwd[PATH_MAX];

	/* an absolute start, so that parents of a subdirectory are searched */
	if (getcwd(cwd, sizeof(cwd)) && pops_config_find(&path, cwd, NULL) == 0)
		pops_config_load(&cfg, path.ptr);
	pops_buf_dispose(&path);
	return cfg;
}

/* prompt names under dir (recursively), skipping partials */
static void walk_prompts(pops_buf *out, const char *dir, const char *rel, const char *prefix,
                         const char *suffix, int depth)
{
	DIR *d;
	struct dirent *e;
	pops_buf path = POPS_BUF_INIT, name = POPS_BUF_INIT;

	if (depth > 8 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		pops_buf_clear(&path);
		pops_buf_printf(&path, "%s/%s", dir, e->d_name);
		pops_buf_clear(&name);
		pops_buf_printf(&name, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (stat(path.ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk_prompts(out, path.ptr, name.ptr, prefix, suffix, depth + 1);
		} else if (e->d_name[0] != '_' && pops_ends_with(e->d_name, suffix)) {
			pops_buf_truncate(&name, name.size - strlen(suffix));
			put_if_prefix(out, name.ptr, prefix);
		}
	}
	closedir(d);
	pops_buf_dispose(&name);
	pops_buf_dispose(&path);
}

/* name@latest, name@-1, name@1..N for `word` = "name@..." */
static void complete_versions(pops_buf *out, const char *word, size_t namelen)
{
	pops_repo *repo = NULL;
	pops_versions *vs = NULL;
	pops_buf name = POPS_BUF_INIT, cand = POPS_BUF_INIT;
	long n = 0, i;

	pops_buf_put(&name, word, namelen);
	if (pops_git_init() < 0)
		goto done;
	if (pops_repo_open(&repo, NULL) == 0 &&
	    pops_repo_versions(&vs, repo, name.ptr, 1) == 0 && vs->n)
		n = vs->v[0].number;   /* 0 in a shallow clone: no numbers */
	if (vs && vs->n) {
		pops_buf_printf(&cand, "%s@latest", name.ptr);
		put_if_prefix(out, cand.ptr, word);
	}
	if (n > 1) {
		pops_buf_clear(&cand);
		pops_buf_printf(&cand, "%s@-1", name.ptr);
		put_if_prefix(out, cand.ptr, word);
	}
	for (i = 1; i <= n; i++) {
		pops_buf_clear(&cand);
		pops_buf_printf(&cand, "%s@%ld", name.ptr, i);
		put_if_prefix(out, cand.ptr, word);
	}
	pops_versions_free(vs);
	pops_repo_free(repo);
	pops_git_shutdown();
	pops_error_clear();
done:
	pops_buf_dispose(&cand);
	pops_buf_dispose(&name);
}

static void complete_value(pops_buf *out, pops_complete_kind kind, const char *word,
                           const char *const *choices)
{
	pops_config *cfg = NULL;
	pops_buf dir = POPS_BUF_INIT, pre = POPS_BUF_INIT;
	size_t i;

	switch (kind) {
	case POPS_COMPLETE_FILE:
		pops_buf_puts(out, ":file\n");
		return;
	case POPS_COMPLETE_DIR:
		pops_buf_puts(out, ":dir\n");
		return;
	case POPS_COMPLETE_COMMAND: {
		const pops_cmd *c;

		for (c = pops_commands; c->name; c++)
			if (!(c->flags & POPS_CMD_HIDDEN))
				put_if_prefix(out, c->name, word);
		return;
	}
	case POPS_COMPLETE_NONE:
		for (; choices && *choices; choices++)
			put_if_prefix(out, *choices, word);
		return;
	default:
		break;
	}
	if (!(cfg = load_config()))
		return;
	switch (kind) {
	case POPS_COMPLETE_ENV:
		for (i = 0; i < cfg->nenvs; i++)
			put_if_prefix(out, cfg->envs[i].name, word);
		break;
	case POPS_COMPLETE_MODEL:
		put_models(out, cfg, word);
		break;
	case POPS_COMPLETE_SUITE:
		pops_buf_printf(&dir, "%s/%s", cfg->root, cfg->evals_dir);
		pops_buf_printf(&pre, "%s/", cfg->evals_dir);
		if (pops_starts_with(word, pre.ptr) || pops_starts_with(pre.ptr, word)) {
			/* print paths as typed from the project root */
			DIR *d = opendir(dir.ptr);
			struct dirent *e;

			while (d && (e = readdir(d))) {
				pops_buf p = POPS_BUF_INIT;

				if (e->d_name[0] == '.' ||
				    !(pops_ends_with(e->d_name, ".yaml") || pops_ends_with(e->d_name, ".yml")))
					continue;
				pops_buf_printf(&p, "%s%s", pre.ptr, e->d_name);
				put_if_prefix(out, p.ptr, word);
				pops_buf_dispose(&p);
			}
			if (d)
				closedir(d);
		}
		break;
	case POPS_COMPLETE_PROMPT:
	case POPS_COMPLETE_ADDRESS: {
		const char *colon = kind == POPS_COMPLETE_ADDRESS ? strchr(word, ':') : NULL;
		const char *at = kind == POPS_COMPLETE_ADDRESS ? strchr(word, '@') : NULL;

		if (at && !colon) {
			complete_versions(out, word, (size_t)(at - word));
			break;
		}
		if (colon) {
			/* name:env, and name:env~stable|~canary once a ~ is typed */
			static const char *const sides[] = { "", "~stable", "~canary" };
			const int tilde = strchr(colon, '~') != NULL;

			for (i = 0; i < cfg->nenvs; i++)
				for (size_t k = tilde ? 1 : 0; k < (tilde ? 3u : 1u); k++) {
					pops_buf_clear(&pre);
					pops_buf_put(&pre, word, (size_t)(colon - word) + 1);
					pops_buf_puts(&pre, cfg->envs[i].name);
					pops_buf_puts(&pre, sides[k]);
					put_if_prefix(out, pre.ptr, word);
				}
			break;
		}
		pops_buf_printf(&dir, "%s/%s", cfg->root, cfg->prompts_dir);
		walk_prompts(out, dir.ptr, "", word, ".prompt", 0);
		break;
	}
	default:
		break;
	}
	pops_buf_dispose(&pre);
	pops_buf_dispose(&dir);
	pops_config_free(cfg);
}

static void complete_options(pops_buf *out, const pops_opt *opts, const char *word)
{
	pops_buf b = POPS_BUF_INIT;

	for (; opts->type; opts++) {
		if (opts->type == POPS_OPT_ARG || opts->type == POPS_OPT_ARGS ||
		    (opts->flags & POPS_OPTF_HIDDEN))
			continue;
		pops_buf_clear(&b);
		pops_buf_printf(&b, "--%s", opts->name);
		put_if_prefix(out, b.ptr, word);
	}
	put_if_prefix(out, "--help", word);
	pops_buf_dispose(&b);
}

static const pops_opt *find_opt(const pops_opt *opts, const char *word)
{
	for (; opts->type; opts++) {
		if (opts->type == POPS_OPT_ARG || opts->type == POPS_OPT_ARGS)
			continue;
		if (word[0] == '-' && word[1] == '-' && !strcmp(word + 2, opts->name))
			return opts;
		if (word[0] == '-' && word[1] == opts->short_name && !word[2] && word[1])
			return opts;
	}
	return NULL;
}

/* "-Cdir": the row of -C, with the value after the letter in *value */
static const pops_opt *find_short_prefix(const pops_opt *opts, const char *word, const char **value)
{
	for (; opts->type; opts++)
		if (opts->short_name && word[1] == opts->short_name && word[2] &&
		    pops_opt_takes_value(opts)) {
			*value = word + 2;
			return opts;
		}
	return NULL;
}

/* `--name=partial`: the value's candidates behind a `--name=` prefix */
static void complete_inline_value(pops_buf *out, pops_buf *prefix,
                                  const pops_opt *opts, const char *cur)
{
	const char *eq = strchr(cur, '=');
	const pops_opt *opt;

	pops_buf_put(prefix, cur, (size_t)(eq - cur));
	opt = find_opt(opts, prefix->ptr);
	if (!opt || !pops_opt_takes_value(opt)) {
		pops_buf_clear(prefix);
		return;
	}
	if (opt->complete == POPS_COMPLETE_FILE || opt->complete == POPS_COMPLETE_DIR) {
		/* a directive, not a candidate: the shell completes after '=' */
		pops_buf_clear(prefix);
		complete_value(out, opt->complete, eq + 1, opt->choices);
		return;
	}
	pops_buf_putc(prefix, '=');
	complete_value(out, opt->complete, eq + 1, opt->choices);
}

static void complete_words(pops_buf *out, pops_buf *prefix, const char **w, size_t n)
{
	size_t i = 0, npos = 0;
	const pops_cmd *cmd, *c;
	const pops_opt *opt;
	const char *cur = w[n - 1];
	int only_args = 0;

	/* global options (pops_global_opts); -C changes where pops.yaml is looked for */
	while (i + 1 < n && w[i][0] == '-' && w[i][1]) {
		const pops_opt *g = find_opt(pops_global_opts, w[i]);
		const char *dir = NULL;

		if (!g && w[i][1] != '-')      /* -Cdir */
			g = find_short_prefix(pops_global_opts, w[i], &dir);
		if (g && pops_opt_takes_value(g) && !dir) {
			if (i + 2 >= n) {
				complete_value(out, g->complete, cur, g->choices);
				return;
			}
			dir = w[++i];
		}
		if (g && g->complete == POPS_COMPLETE_DIR && dir && *dir && chdir(dir) < 0)
			return;
		i++;
	}
	if (i == n - 1) {
		if (cur[0] == '-')
			complete_options(out, pops_global_opts, cur);
		else
			complete_value(out, POPS_COMPLETE_COMMAND, cur, NULL);
		return;
	}
	cmd = pops_cmd_find(pops_commands, w[i++]);
	if (!cmd || (cmd->flags & POPS_CMD_HIDDEN))
		return;
	if (cmd->sub) {
		if (i == n - 1) {
			for (c = cmd->sub; c->name; c++)
				if (!(c->flags & POPS_CMD_HIDDEN))
					put_if_prefix(out, c->name, cur);
			return;
		}
		if (!(cmd = pops_cmd_find(cmd->sub, w[i++])))
			return;
	}
	/* `pops help <group> <sub>`: the group's subcommands */
	if (cmd->run == cmd_help && i + 1 == n - 1 && w[i][0] != '-') {
		const pops_cmd *g = pops_cmd_find(pops_commands, w[i]);

		for (c = g ? g->sub : NULL; c && c->name; c++)
			if (!(c->flags & POPS_CMD_HIDDEN))
				put_if_prefix(out, c->name, cur);
		return;
	}
	/* the words before the current one: options, their values, positionals */
	for (; i < n - 1; i++) {
		if (!only_args && !strcmp(w[i], "--")) {
			only_args = 1;
			continue;
		}
		opt = !only_args && w[i][0] == '-' ? find_opt(cmd->opts, w[i]) : NULL;
		if (opt && pops_opt_takes_value(opt)) {
			if (i + 1 == n - 1) {
				/* the current word is this option's value */
				complete_value(out, opt->complete, cur, opt->choices);
				return;
			}
			i++;
		} else if (only_args || w[i][0] != '-') {
			npos++;
		}
	}
	if (!only_args && cur[0] == '-') {
		if (cur[1] == '-' && strchr(cur, '='))
			complete_inline_value(out, prefix, cmd->opts, cur);
		else
			complete_options(out, cmd->opts, cur);
		return;
	}
	for (opt = cmd->opts; opt->type; opt++) {
		if (opt->type == POPS_OPT_ARGS || (opt->type == POPS_OPT_ARG && !npos--)) {
			complete_value(out, opt->complete, cur, NULL);
			return;
		}
	}
}

int cmd_complete(pops_ctx *ctx, void *o)
{
	struct complete_opts *opts = o;
	pops_buf out = POPS_BUF_INIT, prefix = POPS_BUF_INIT;

	(void)ctx;
	if (opts->words.n) {
		complete_words(&out, &prefix, opts->words.v, opts->words.n);
		if (!strcmp(out.ptr, ":file\n") || !strcmp(out.ptr, ":dir\n"))
			fputs(out.ptr, stdout);
		else
			print_candidates(&out, prefix.ptr);
	}
	pops_buf_dispose(&prefix);
	pops_buf_dispose(&out);
	return POPS_EXIT_OK;
}
