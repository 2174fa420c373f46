#include "common.h"
#include "cmd.h"
#include "config.h"
#include "export.h"
#include "version.h"

#include <git2.h>

struct export_opts {
	const char *env;
	const char *format;
	const char *dir;
};

static const char *const formats[] = { "files", "json", "prompt-yml", NULL };

POPS_CMD_OPTS_SIZE(export, struct export_opts);
#define O struct export_opts
const pops_opt cmd_export_opts[] = {
	OPT_STRING(O, env, "env", "env",
	           "the environment whose releases to export", .short_name = 'e',
	           .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_ENV),
	OPT_ENUM(O, format, "format", "files|json|prompt-yml", formats,
	         "prompt files plus manifest.json (default), manifest.json with the text inside, or GitHub Models .prompt.yml files"),
	OPT_ARG(O, dir, "dir",
	        "the directory to write (replaced atomically)", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_DIR),
	OPT_END
};
#undef O

int cmd_export(pops_ctx *ctx, void *o)
{
	struct export_opts *opts = o;
	pops_export_options xo = POPS_EXPORT_OPTIONS_INIT;
	pops_export_result r;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	if (!pops_config_env(ctx->config, opts->env, NULL))
		return cmd_error(POPS_EXIT_USAGE, "unknown environment '%s'", opts->env);
	xo.env = opts->env;
	xo.dir = opts->dir;
	xo.format = !opts->format || !strcmp(opts->format, "files") ? POPS_EXPORT_FILES :
	            !strcmp(opts->format, "json") ? POPS_EXPORT_JSON : POPS_EXPORT_PROMPT_YML;
	xo.cfg = ctx->config;
	xo.pops_version = POPS_VERSION;
	error = pops_export(&r, ctx->repo, &xo);
	if (error < 0) {
		int ret = cmd_fail(error);

		if (error == POPS_ENOTFOUND)
			cmd_hint("release something first: pops promote %s", opts->env);
		pops_export_result_dispose(&r);
		return ret;
	}
	printf("exported %zu prompt%s", r.count, r.count == 1 ? "" : "s");
	if (r.ncanary)
		printf(" (%zu with a canary)", r.ncanary);
	if (r.npartials)
		printf(" and %zu partial%s", r.npartials, r.npartials == 1 ? "" : "s");
	printf(" from %s (ledger %.12s) to %s\n", opts->env,
	       git_oid_tostr(hex, sizeof(hex), &r.ledger_commit), opts->dir);
	if (r.kept.size)
		cmd_warning("the previous export is left in '%s': files appeared in it during the "
		            "export, and export never deletes what it did not write", r.kept.ptr);
	pops_export_result_dispose(&r);
	return POPS_EXIT_OK;
}
