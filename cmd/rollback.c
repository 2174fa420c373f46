#include "common.h"
#include "cmd.h"
#include "config.h"
#include "releasecmd.h"
#include "strutil.h"

#include <git2.h>

struct rollback_opts {
	const char *env;
	pops_strv prompts;
	const char *to;
	const char *reason;
	int dry_run;
	int json;
};

POPS_CMD_OPTS_SIZE(rollback, struct rollback_opts);
#define O struct rollback_opts
const pops_opt cmd_rollback_opts[] = {
	OPT_STRING(O, to, "to", "@N|ledger-rev",
	           "restore version N as released before, or the release at a ledger commit"),
	OPT_STRING(O, reason, "reason", "text",
	           "why: recorded as Pops-Reason in the ledger", .short_name = 'm'),
	OPT_BOOL(O, dry_run, "dry-run",
	         "show what would be restored; write nothing", .short_name = 'n'),
	OPT_BOOL(O, json, "json", "print the result as JSON"),
	OPT_ARG(O, env, "env",
	        "the environment to roll back", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_ENV),
	OPT_ARGS(O, prompts, "prompt",
	         "prompts to roll back (default: the one changed last in the environment)",
	         .complete = POPS_COMPLETE_PROMPT),
	OPT_END
};
#undef O

int cmd_rollback(pops_ctx *ctx, void *o)
{
	struct rollback_opts *opts = o;
	pops_rollback_options ro = POPS_ROLLBACK_OPTIONS_INIT;
	pops_promote_result r;
	pops_buf from = POPS_BUF_INIT, to = POPS_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int error, ret = POPS_EXIT_OK;

	memset(&r, 0, sizeof(r));
	ro.env = opts->env;
	ro.prompts = opts->prompts.v;
	ro.nprompts = opts->prompts.n;
	ro.reason = opts->reason;
	ro.dry_run = opts->dry_run;
	if (opts->to && opts->to[0] == '@') {
		if (pops_parse_long(&ro.to_version, opts->to + 1, 1, LONG_MAX) < 0)
			return cmd_error(POPS_EXIT_USAGE, "--to '%s': expected @N with N >= 1, or a ledger revision",
			                 opts->to);
	} else if (opts->to) {
		ro.to_rev = opts->to;
	}
	error = pops_rollback(&r, ctx->repo, ctx->config, &ro);
	if (error < 0) {
		ret = cmd_fail(error);
		if (error == POPS_ENOTFOUND && strstr(pops_error_last(), "never"))
			cmd_hint("see what was released: pops release log %s", opts->env);
		goto done;
	}
	if (opts->json) {
		ret = cmd_release_print_result_json(&r, "rollback", opts->dry_run ? "dry-run" : "rolled-back",
		                                    opts->dry_run);
		goto done;
	}
	for (i = 0; i < r.n; i++) {
		pops_buf_clear(&from);
		pops_buf_clear(&to);
		cmd_release_label(&from, r.v[i].current);
		cmd_release_label(&to, r.v[i].entry);
		if (r.v[i].rollout == POPS_ROLLOUT_ABORT) {
			const pops_release_entry *cur = r.v[i].current;

			if (opts->dry_run)
				printf("would end the canary rollout of %s in %s: canary @%ld (%u%%) off, "
				       "%s stays\n", cur->prompt, r.env, cur->canary->version,
				       cur->rollout_percent, to.ptr);
			else
				printf("ended the canary rollout of %s in %s: canary @%ld (%u%%) off, "
				       "%s stays (ledger %.12s)\n", cur->prompt, r.env, cur->canary->version,
				       cur->rollout_percent, to.ptr,
				       git_oid_tostr(hex, sizeof(hex), &r.v[i].ledger_commit));
			continue;
		}
		if (opts->dry_run)
			printf("would roll back %s in %s: %s -> %s\n", r.v[i].entry->prompt, r.env,
			       from.ptr, to.ptr);
		else
			printf("rolled back %s in %s: %s -> %s (ledger %.12s)\n", r.v[i].entry->prompt,
			       r.env, from.ptr, to.ptr,
			       git_oid_tostr(hex, sizeof(hex), &r.v[i].ledger_commit));
	}
done:
	pops_buf_dispose(&from);
	pops_buf_dispose(&to);
	pops_promote_result_dispose(&r);
	return ret;
}
