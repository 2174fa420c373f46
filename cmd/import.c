#include "common.h"
#include "cmd.h"
#include "config.h"
#include "fileio.h"
#include "import.h"
#include "strutil.h"
#include "promptfile.h"
#include "importcmd.h"

/*
 * `pops import promptfoo|dotprompt`: bring another tool's prompts and
 * tests into this project. The import is computed in memory, checked for
 * files it would overwrite, and only then written (each file atomically).
 * What cannot be mapped is listed, never dropped silently.
 */

POPS_CMD_OPTS_SIZE(import_promptfoo, struct import_opts);
#define O struct import_opts
const pops_opt cmd_import_promptfoo_opts[] = {
	IMPORT_COMMON_OPTS,
	IMPORT_MODEL_OPTS,
	OPT_ARG(O, source, "config",
	        "the promptfoo configuration (promptfooconfig.yaml)", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_FILE),
	OPT_END
};
#undef O

POPS_CMD_OPTS_SIZE(import_dotprompt, struct import_opts);
#define O struct import_opts
const pops_opt cmd_import_dotprompt_opts[] = {
	IMPORT_COMMON_OPTS,
	OPT_ARG(O, source, "dir",
	        "directory of .prompt files (searched recursively)", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_DIR),
	OPT_END
};
#undef O

POPS_CMD_OPTS_SIZE(import_github_models, struct import_opts);
#define O struct import_opts
const pops_opt cmd_import_github_models_opts[] = {
	IMPORT_COMMON_OPTS,
	IMPORT_MODEL_OPTS,
	OPT_ARG(O, source, "file",
	        "the GitHub Models prompt file (NAME.prompt.yml)", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_FILE),
	OPT_END
};
#undef O

const pops_cmd cmd_import_subcommands[] = {
	POPS_CMD_ROW("dotprompt", import_dotprompt, POPS_CMD_NEEDS_CONFIG,
	             "Copy a directory of dotprompt files into prompts/, checking each"),
	POPS_CMD_ROW("github-models", import_github_models, POPS_CMD_NEEDS_CONFIG,
	             "Turn a GitHub Models .prompt.yml into a prompt, a dataset and a suite"),
	POPS_CMD_ROW("langfuse", import_langfuse, POPS_CMD_NEEDS_CONFIG,
	             "Replay a Langfuse prompt export as commits, its labels as releases"),
	POPS_CMD_ROW("promptfoo", import_promptfoo, POPS_CMD_NEEDS_CONFIG,
	             "Turn a promptfoo config into prompts, a dataset and suites"),
	POPS_CMD_END
};

void cmd_import_put_line(const char *prefix, const char *s)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_put_sanitized(&b, s, strlen(s), 0);
	printf("%s%s\n", prefix, b.ptr);
	pops_buf_dispose(&b);
}

void cmd_import_put_lines(const char *heading, const char *text)
{
	const char *line, *nl;

	if (!*text)
		return;
	printf("%s\n", heading);
	for (line = text; (nl = strchr(line, '\n')); line = nl + 1) {
		pops_buf one = POPS_BUF_INIT;

		pops_buf_put(&one, line, (size_t)(nl - line));
		cmd_import_put_line("  ", one.ptr);
		pops_buf_dispose(&one);
	}
}

int cmd_import_config(pops_buf *text, pops_buf *report, const pops_config *cfg,
                      const pops_import *imp, const struct import_opts *opts)
{
	pops_import_config_options co = POPS_IMPORT_CONFIG_OPTIONS_INIT;
	pops_buf data = POPS_BUF_INIT;
	pops_config *check = NULL;
	int error;

	co.allow_floating = opts->allow_floating;
	co.force = opts->force;
	if ((error = pops_file_read(&data, cfg->path, POPS_CONFIG_MAX_BYTES)) < 0 ||
	    (error = pops_import_config(text, report, imp, cfg, data.ptr, data.size, &co)) < 0)
		goto done;
	if (text->size == data.size && !memcmp(text->ptr, data.ptr, data.size)) {
		pops_buf_clear(text);
		goto done;
	}
	if ((error = pops_config_parse(&check, text->ptr, text->size, cfg->path)) < 0)
		pops_error_prefix(error, "the import would leave pops.yaml invalid: ");
done:
	pops_config_free(check);
	pops_buf_dispose(&data);
	return error;
}

static int write_import(const pops_ctx *ctx, const pops_import *imp,
                        const struct import_opts *opts, const char *what)
{
	const pops_config *cfg = ctx->config;
	pops_buf path = POPS_BUF_INIT, newcfg = POPS_BUF_INIT, report = POPS_BUF_INIT;
	size_t i, conflicts = 0;
	int ret = POPS_EXIT_OK, error;

	if ((error = cmd_import_config(&newcfg, &report, cfg, imp, opts)) < 0) {
		ret = cmd_fail(error);
		cmd_hint("nothing was written");
		goto done;
	}
	for (i = 0; i < imp->nfiles; i++) {
		pops_buf_clear(&path);
		pops_path_join(&path, cfg->root, imp->files[i].path);
		if (!opts->force && !opts->dry_run && pops_path_exists(path.ptr)) {
			if (!conflicts++)
				cmd_error(POPS_EXIT_USAGE, "the import would overwrite existing files:");
			fprintf(stderr, "    %s\n", imp->files[i].path);
		}
	}
	if (conflicts) {
		cmd_hint("use --force to replace them, or --dry-run to see the whole import first");
		ret = POPS_EXIT_USAGE;
		goto done;
	}
	for (i = 0; i < imp->nfiles; i++) {
		const pops_import_file *f = &imp->files[i];
		char *slash;

		pops_buf_clear(&path);
		pops_path_join(&path, cfg->root, f->path);
		if (opts->dry_run) {
			cmd_import_put_line(pops_path_exists(path.ptr) ? "would overwrite " : "would write ",
			         f->path);
			continue;
		}
		slash = strrchr(path.ptr, '/');
		if (slash) {
			*slash = '\0';
			if (pops_mkdir_p(path.ptr, 0777) < 0) {
				ret = cmd_fail(POPS_ERROR);
				goto done;
			}
			*slash = '/';
		}
		if (pops_file_write_atomic(path.ptr, f->data.ptr, f->data.size, 0666) < 0) {
			ret = cmd_fail(POPS_ERROR);
			goto done;
		}
		cmd_import_put_line("wrote ", f->path);
	}
	if (newcfg.size && !opts->dry_run &&
	    pops_file_write_atomic(cfg->path, newcfg.ptr, newcfg.size, 0666) < 0) {
		ret = cmd_fail(POPS_ERROR);
		goto done;
	}
	printf("%s %zu prompt%s", opts->dry_run ? "would import" : "imported", imp->nprompts,
	       imp->nprompts == 1 ? "" : "s");
	if (imp->ncases)
		printf(" and %zu case%s", imp->ncases, imp->ncases == 1 ? "" : "s");
	printf(" from %s\n", what);
	if (report.size) {
		putchar('\n');
		cmd_import_put_lines(opts->dry_run ? "would update pops.yaml:" : "updated pops.yaml:", report.ptr);
	}
	cmd_import_print_notes(imp);
done:
	pops_buf_dispose(&report);
	pops_buf_dispose(&newcfg);
	pops_buf_dispose(&path);
	return ret;
}

void cmd_import_print_notes(const pops_import *imp)
{
	size_t i;

	if (!imp->nunmapped)
		return;
	printf("\nnot imported (%zu):\n", imp->nunmapped);
	for (i = 0; i < imp->nunmapped; i++)
		cmd_import_put_line("  ", imp->unmapped[i]);
	cmd_warning("%zu item%s could not be imported; see the list above", imp->nunmapped,
	            imp->nunmapped == 1 ? "" : "s");
}

void cmd_import_options(pops_import_options *io, const pops_config *cfg)
{
	io->prompts_dir = cfg->prompts_dir;
	io->evals_dir = cfg->evals_dir;
	io->datasets_dir = "datasets";
}

int cmd_import_promptfoo(pops_ctx *ctx, void *o)
{
	struct import_opts *opts = o;
	pops_import_options io = POPS_IMPORT_OPTIONS_INIT;
	pops_import *imp = NULL;
	int error, ret;

	cmd_import_options(&io, ctx->config);
	if ((error = pops_import_promptfoo(&imp, opts->source, &io)) < 0)
		return cmd_fail(error);
	ret = write_import(ctx, imp, opts, opts->source);
	pops_import_free(imp);
	return ret;
}

int cmd_import_github_models(pops_ctx *ctx, void *o)
{
	struct import_opts *opts = o;
	pops_import_options io = POPS_IMPORT_OPTIONS_INIT;
	pops_import *imp = NULL;
	int error, ret;

	cmd_import_options(&io, ctx->config);
	if ((error = pops_import_github_models(&imp, opts->source, &io)) < 0)
		return cmd_fail(error);
	ret = write_import(ctx, imp, opts, opts->source);
	pops_import_free(imp);
	return ret;
}

struct dp_check {
	const char *root;     /* the directory being imported */
	const char *relpath;  /* the prompt being checked, relative to root */
	pops_buf *warnings;   /* lines for the report */
};

/*
 * Partials for the check: `_name.prompt` beside the prompt, else at the
 * top of the imported directory ("a/b" reads a/_b.prompt there).
 */
static int load_partial(void *payload, const char *name, pops_buf *out)
{
	const struct dp_check *c = payload;
	const char *slash = strrchr(name, '/'), *dirend = strrchr(c->relpath, '/');
	pops_buf file = POPS_BUF_INIT, path = POPS_BUF_INIT;
	int error;

	if (strstr(name, ".."))
		return pops_error_set(POPS_EINVALID, "invalid partial name '%s'", name);
	if (slash)
		pops_buf_printf(&file, "%.*s/_%s.prompt", (int)(slash - name), name, slash + 1);
	else
		pops_buf_printf(&file, "_%s.prompt", name);
	if (dirend)
		pops_buf_printf(&path, "%s/%.*s/%s", c->root, (int)(dirend - c->relpath), c->relpath,
		                file.ptr);
	else
		pops_buf_printf(&path, "%s/%s", c->root, file.ptr);
	error = pops_file_read(out, path.ptr, POPS_PROMPT_MAX_BYTES);
	if (error == POPS_ENOTFOUND && dirend) {
		pops_buf_clear(&path);
		pops_buf_printf(&path, "%s/%s", c->root, file.ptr);
		error = pops_file_read(out, path.ptr, POPS_PROMPT_MAX_BYTES);
	}
	pops_buf_dispose(&path);
	pops_buf_dispose(&file);
	return error;
}

/*
 * A dotprompt file is imported when pops parses it (frontmatter, schemas,
 * template, partials). It is then rendered without variables: a file
 * that fails there (a helper the application registers in code, which
 * pops cannot run) is imported all the same, with the reason as a
 * warning, since the file is fine and the application still has it.
 */
static int check_dotprompt(void *payload, const char *relpath, const char *data, size_t len)
{
	const struct dp_check *outer = payload;
	struct dp_check c = { outer->root, relpath, outer->warnings };
	size_t i;
	pops_prompt_options po = POPS_PROMPT_OPTIONS_INIT;
	pops_render_options ro = POPS_RENDER_OPTIONS_INIT;
	pops_prompt *p = NULL;
	cJSON *msgs = NULL;
	int error;

	po.load_partial = load_partial;
	po.partial_payload = &c;
	ro.no_validate = 1;
	if ((error = pops_prompt_parse(&p, data, len, relpath, &po)) < 0)
		goto done;
	/* imported, but the user should know (helpers the app registers in code) */
	for (i = 0; i < pops_prompt_warning_count(p); i++)
		pops_buf_printf(c.warnings, "%s\n", pops_prompt_warning(p, i));
	if (pops_prompt_render(&msgs, p, NULL, &ro) < 0)
		pops_buf_printf(c.warnings, "%s (imported: it does not render in pops as it is)\n",
		                pops_error_last());
	error = POPS_OK;
done:
	cJSON_Delete(msgs);
	pops_prompt_free(p);
	return error;
}

struct import_opts *cmd_import_whole_opts(struct import_opts *all, const void *o, size_t have)
{
	memset(all, 0, sizeof(*all));
	memcpy(all, o, have);
	return all;
}

int cmd_import_dotprompt(pops_ctx *ctx, void *o)
{
	struct import_opts all;
	struct import_opts *opts = cmd_import_whole_opts(&all, o, offsetof(struct import_opts, allow_floating));
	pops_import_options io = POPS_IMPORT_OPTIONS_INIT;
	pops_import *imp = NULL;
	int error, ret;
	pops_buf warnings = POPS_BUF_INIT;
	struct dp_check check = { opts->source, NULL, &warnings };

	cmd_import_options(&io, ctx->config);
	if ((error = pops_import_dotprompt(&imp, opts->source, &io, check_dotprompt, &check)) < 0) {
		pops_buf_dispose(&warnings);
		return cmd_fail(error);
	}
	ret = write_import(ctx, imp, opts, opts->source);
	if (ret == POPS_EXIT_OK && warnings.size) {
		const char *line = warnings.ptr, *nl;

		printf("\nimported with warnings:\n");
		for (; (nl = strchr(line, '\n')); line = nl + 1) {
			pops_buf one = POPS_BUF_INIT;

			pops_buf_put(&one, line, (size_t)(nl - line));
			cmd_import_put_line("  ", one.ptr);
			pops_buf_dispose(&one);
		}
	}
	pops_buf_dispose(&warnings);
	pops_import_free(imp);
	return ret;
}
