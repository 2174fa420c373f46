#include "common.h"
#include "cmd.h"
#include "config.h"
#include "strutil.h"

#include <dirent.h>
#include <sys/stat.h>

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

const pops_opt cmd_complete_opts[] = {
	{ .type = POPS_OPT_ARGS, .name = "word", .offset = offsetof(struct complete_opts, words),
	  .help = "the command line so far; the last word is completed" },
	{ 0 }
};

static void put_if_prefix(const char *cand, const char *prefix)
{
	if (pops_starts_with(cand, prefix))
		printf("%s\n", cand);
}

static pops_config *load_config(void)
{
	pops_buf path = POPS_BUF_INIT;
	pops_config *cfg = NULL;

	if (pops_config_find(&path, ".", NULL) == 0)
		pops_config_load(&cfg, path.ptr);
	pops_buf_dispose(&path);
	return cfg;
}

/* prompt names under dir (recursively), skipping partials */
static void walk_prompts(const char *dir, const char *rel, const char *prefix,
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
			walk_prompts(path.ptr, name.ptr, prefix, suffix, depth + 1);
		} else if (e->d_name[0] != '_' && pops_ends_with(e->d_name, suffix)) {
			pops_buf_truncate(&name, name.size - strlen(suffix));
			put_if_prefix(name.ptr, prefix);
		}
	}
	closedir(d);
	pops_buf_dispose(&name);
	pops_buf_dispose(&path);
}

static void complete_value(pops_complete_kind kind, const char *word,
                           const char *const *choices)
{
	pops_config *cfg = NULL;
	pops_buf dir = POPS_BUF_INIT, pre = POPS_BUF_INIT;
	size_t i;

	switch (kind) {
	case POPS_COMPLETE_FILE:
		puts(":file");
		return;
	case POPS_COMPLETE_DIR:
		puts(":dir");
		return;
	case POPS_COMPLETE_COMMAND: {
		const pops_cmd *c;

		for (c = pops_commands; c->name; c++)
			if (!(c->flags & POPS_CMD_HIDDEN))
				put_if_prefix(c->name, word);
		return;
	}
	case POPS_COMPLETE_NONE:
		for (; choices && *choices; choices++)
			put_if_prefix(*choices, word);
		return;
	default:
		break;
	}
	if (!(cfg = load_config()))
		return;
	switch (kind) {
	case POPS_COMPLETE_ENV:
		for (i = 0; i < cfg->nenvs; i++)
			put_if_prefix(cfg->envs[i].name, word);
		break;
	case POPS_COMPLETE_MODEL:
		for (i = 0; i < cfg->nmodels; i++)
			put_if_prefix(cfg->models[i].alias, word);
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
				put_if_prefix(p.ptr, word);
				pops_buf_dispose(&p);
			}
			if (d)
				closedir(d);
		}
		break;
	case POPS_COMPLETE_PROMPT:
	case POPS_COMPLETE_ADDRESS: {
		const char *colon = kind == POPS_COMPLETE_ADDRESS ? strchr(word, ':') : NULL;

		if (colon) {
			/* name:env */
			for (i = 0; i < cfg->nenvs; i++) {
				pops_buf_clear(&pre);
				pops_buf_put(&pre, word, (size_t)(colon - word) + 1);
				pops_buf_puts(&pre, cfg->envs[i].name);
				put_if_prefix(pre.ptr, word);
			}
			break;
		}
		pops_buf_printf(&dir, "%s/%s", cfg->root, cfg->prompts_dir);
		walk_prompts(dir.ptr, "", word, ".prompt", 0);
		break;
	}
	default:
		break;
	}
	pops_buf_dispose(&pre);
	pops_buf_dispose(&dir);
	pops_config_free(cfg);
}

static void complete_options(const pops_opt *opts, const char *word)
{
	pops_buf b = POPS_BUF_INIT;

	for (; opts->type; opts++) {
		if (opts->type == POPS_OPT_ARG || opts->type == POPS_OPT_ARGS ||
		    (opts->flags & POPS_OPTF_HIDDEN))
			continue;
		pops_buf_clear(&b);
		pops_buf_printf(&b, "--%s", opts->name);
		put_if_prefix(b.ptr, word);
	}
	put_if_prefix("--help", word);
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

int cmd_complete(pops_ctx *ctx, void *o)
{
	struct complete_opts *opts = o;
	const char **w = opts->words.v;
	size_t n = opts->words.n, i = 0, npos = 0;
	const pops_cmd *cmd, *c;
	const pops_opt *opt;
	const char *cur;

	(void)ctx;
	if (!n)
		return POPS_EXIT_OK;
	cur = w[n - 1];
	/* skip global options */
	while (i + 1 < n && w[i][0] == '-') {
		if (!strcmp(w[i], "-C") && i + 2 < n)
			i++;
		i++;
	}
	if (i == n - 1) {
		if (cur[0] == '-') {
			put_if_prefix("--version", cur);
			put_if_prefix("--help", cur);
			put_if_prefix("-C", cur);
			return POPS_EXIT_OK;
		}
		if (i > 0 && !strcmp(w[i - 1], "-C")) {
			puts(":dir");
			return POPS_EXIT_OK;
		}
		complete_value(POPS_COMPLETE_COMMAND, cur, NULL);
		return POPS_EXIT_OK;
	}
	cmd = pops_cmd_find(pops_commands, w[i++]);
	if (!cmd)
		return POPS_EXIT_OK;
	if (cmd->sub) {
		if (i == n - 1) {
			for (c = cmd->sub; c->name; c++)
				if (!(c->flags & POPS_CMD_HIDDEN))
					put_if_prefix(c->name, cur);
			return POPS_EXIT_OK;
		}
		cmd = pops_cmd_find(cmd->sub, w[i++]);
		if (!cmd)
			return POPS_EXIT_OK;
	}
	/* walk the words before the current one: options and positionals */
	for (; i < n - 1; i++) {
		opt = w[i][0] == '-' ? find_opt(cmd->opts, w[i]) : NULL;
		if (opt && pops_opt_takes_value(opt) && !strchr(w[i], '='))
			i++; /* its value */
		else if (w[i][0] != '-')
			npos++;
	}
	/* the previous word is an option waiting for its value */
	if (n >= 2 && w[n - 2][0] == '-' && (opt = find_opt(cmd->opts, w[n - 2])) &&
	    pops_opt_takes_value(opt)) {
		complete_value(opt->complete, cur, opt->choices);
		return POPS_EXIT_OK;
	}
	if (cur[0] == '-') {
		complete_options(cmd->opts, cur);
		return POPS_EXIT_OK;
	}
	for (opt = cmd->opts; opt->type; opt++) {
		if (opt->type == POPS_OPT_ARGS || (opt->type == POPS_OPT_ARG && !npos--)) {
			complete_value(opt->complete, cur, NULL);
			break;
		}
	}
	return POPS_EXIT_OK;
}
