/*
 * pops rollout: a canary rollout after pops promote --canary started it:
 * change its share, complete it (the canary becomes stable, gates again),
 * or see where each stands. Ending one early is pops rollback.
 */
#include "common.h"
#include "cmd.h"
#include "config.h"
#include "releasecmd.h"
#include "rollout.h"
#include "strutil.h"
#include "table.h"

#include <git2.h>

struct rollout_set_opts {
	const char *env;
	const char *prompt;
	const char *percent;
	const char *reason;
	int dry_run;
	int json;
};

POPS_CMD_OPTS_SIZE(rollout_set, struct rollout_set_opts);
#define O struct rollout_set_opts
const pops_opt cmd_rollout_set_opts[] = {
	OPT_STRING(O, reason, "reason", "text",
	           "why: recorded as Pops-Reason in the ledger", .short_name = 'm'),
	OPT_BOOL(O, dry_run, "dry-run", "show what would change; write nothing", .short_name = 'n'),
	OPT_BOOL(O, json, "json", "print the result as JSON"),
	OPT_ARG(O, env, "env",
	        "the environment of the rollout", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_ENV),
	OPT_ARG(O, prompt, "prompt",
	        "the prompt rolled out", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_PROMPT),
	OPT_ARG(O, percent, "percent",
	        "the canary's new share of keys, 1 to 99", .flags = POPS_OPTF_REQUIRED),
	OPT_END
};
#undef O

struct rollout_complete_opts {
	const char *env;
	const char *prompt;
	int force;
	const char *reason;
	int dry_run;
	int json;
};

POPS_CMD_OPTS_SIZE(rollout_complete, struct rollout_complete_opts);
#define O struct rollout_complete_opts
const pops_opt cmd_rollout_complete_opts[] = {
	OPT_BOOL(O, force, "force",
	         "complete past unmet requirements (needs --reason; recorded in the ledger)",
	         .short_name = 'f'),
	OPT_STRING(O, reason, "reason", "text",
	           "why: recorded as Pops-Reason in the ledger", .short_name = 'm'),
	OPT_BOOL(O, dry_run, "dry-run",
	         "check the gates and show what would happen; write nothing", .short_name = 'n'),
	OPT_BOOL(O, json, "json", "print the result as JSON"),
	OPT_ARG(O, env, "env",
	        "the environment of the rollout", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_ENV),
	OPT_ARG(O, prompt, "prompt",
	        "the prompt whose canary becomes stable", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_PROMPT),
	OPT_END
};
#undef O

struct rollout_status_opts {
	const char *env;
	int json;
};

POPS_CMD_OPTS_SIZE(rollout_status, struct rollout_status_opts);
#define O struct rollout_status_opts
const pops_opt cmd_rollout_status_opts[] = {
	OPT_BOOL(O, json, "json", "print the rollouts as JSON"),
	OPT_ARG(O, env, "env", "only this environment", .complete = POPS_COMPLETE_ENV),
	OPT_END
};
#undef O

const pops_cmd cmd_rollout_subcommands[] = {
	POPS_CMD_ROW("complete", rollout_complete, POPS_CMD_NEEDS_CONFIG,
	             "Make the canary the stable release (the gates are checked again)"),
	POPS_CMD_ROW("set", rollout_set, POPS_CMD_NEEDS_CONFIG,
	             "Change the canary's share of keys"),
	POPS_CMD_ROW("status", rollout_status, POPS_CMD_NEEDS_CONFIG,
	             "Show each running rollout: stable, canary, share, since"),
	POPS_CMD_END
};

/* the unmet requirements of a refused completion, on stderr */
static void print_unmet(const pops_promote_result *r, int force)
{
	size_t i, j;

	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->v[i].nunmet; j++) {
			fprintf(stderr, "  - %s\n", r->v[i].unmet[j].what);
			if (r->v[i].unmet[j].fix)
				fprintf(stderr, "    to satisfy: %s\n", r->v[i].unmet[j].fix);
		}
	if (!force)
		cmd_hint("to override, add --force --reason \"<why>\" (recorded in the ledger)");
}

int cmd_rollout_set(pops_ctx *ctx, void *o)
{
	struct rollout_set_opts *opts = o;
	pops_rollout_options ro = POPS_ROLLOUT_OPTIONS_INIT;
	pops_promote_result r;
	char hex[GIT_OID_HEXSZ + 1];
	long pct;
	int error, ret = POPS_EXIT_OK;

	memset(&r, 0, sizeof(r));
	if (pops_parse_long(&pct, opts->percent, POPS_ROLLOUT_MIN_PERCENT,
	                    POPS_ROLLOUT_MAX_PERCENT) < 0)
		return cmd_error(POPS_EXIT_USAGE, "percent '%s': the canary's share is a whole number "
		                 "from 1 to 99 (to end the rollout: pops rollout complete, or pops "
		                 "rollback)", opts->percent);
	ro.env = opts->env;
	ro.prompt = opts->prompt;
	ro.percent = (unsigned)pct;
	ro.reason = opts->reason;
	ro.dry_run = opts->dry_run;
	if ((error = pops_rollout_set(&r, ctx->repo, ctx->config, &ro)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if (opts->json) {
		ret = cmd_release_print_result_json(&r, "rollout set", r.v[0].up_to_date ? "nothing" :
		                                    opts->dry_run ? "dry-run" : "set", opts->dry_run);
		goto done;
	}
	if (r.v[0].up_to_date)
		cmd_note("the canary of %s in %s is at %u%% already (nothing to do)", opts->prompt,
		         r.env, ro.percent);
	else if (opts->dry_run)
		printf("would set the canary %s@%ld in %s: %u%% -> %u%%\n", opts->prompt,
		       r.v[0].entry->version, r.env, r.v[0].current->rollout_percent, ro.percent);
	else
		printf("canary %s@%ld in %s: %u%% -> %u%% (ledger %.12s)\n", opts->prompt,
		       r.v[0].entry->version, r.env, r.v[0].current->rollout_percent, ro.percent,
		       git_oid_tostr(hex, sizeof(hex), &r.v[0].ledger_commit));
done:
	pops_promote_result_dispose(&r);
	return ret;
}

int cmd_rollout_complete(pops_ctx *ctx, void *o)
{
	struct rollout_complete_opts *opts = o;
	pops_rollout_options ro = POPS_ROLLOUT_OPTIONS_INIT;
	pops_promote_result r;
	char hex[GIT_OID_HEXSZ + 1];
	int error, ret = POPS_EXIT_OK;

	memset(&r, 0, sizeof(r));
	if (opts->force && (!opts->reason || !*opts->reason))
		return cmd_error(POPS_EXIT_USAGE, "--force needs --reason \"<why>\": the ledger records it");
	ro.env = opts->env;
	ro.prompt = opts->prompt;
	ro.force = opts->force;
	ro.reason = opts->reason;
	ro.dry_run = opts->dry_run;
	error = pops_rollout_complete(&r, ctx->repo, ctx->config, &ro);
	if (opts->json && (error == 0 || (error == POPS_EREFUSED && r.n))) {
		ret = cmd_release_print_result_json(&r, "rollout complete", error ? "refused" :
		                                    opts->dry_run ? "dry-run" : "completed", opts->dry_run);
		if (error) {
			ret = cmd_fail(error);
			print_unmet(&r, opts->force);
		}
		goto done;
	}
	if (error < 0) {
		ret = cmd_fail(error);
		if (error == POPS_EREFUSED)
			print_unmet(&r, opts->force);
		goto done;
	}
	if (opts->dry_run)
		printf("would complete the rollout of %s in %s: @%ld replaces @%ld%s\n", opts->prompt,
		       r.env, r.v[0].entry->version, r.v[0].current->version,
		       r.v[0].nunmet ? " past unmet requirements" : "");
	else
		printf("completed the rollout of %s in %s: @%ld is stable%s (ledger %.12s)\n",
		       opts->prompt, r.env, r.v[0].entry->version, r.v[0].forced ? " by force" : "",
		       git_oid_tostr(hex, sizeof(hex), &r.v[0].ledger_commit));
	for (size_t j = 0; r.v[0].forced && j < r.v[0].nunmet; j++)
		cmd_warning("forced past: %s", r.v[0].unmet[j].what);
done:
	pops_promote_result_dispose(&r);
	return ret;
}

/* {"env","prompt","stable":{entry},"canary":{entry},"percent","salt","since"} */
static cJSON *rollout_json(const pops_release_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	char since[21];

	pops_rollout_format_time(since, e->rollout_since);
	if (!o || !cJSON_AddStringToObject(o, "env", e->env) ||
	    !cJSON_AddStringToObject(o, "prompt", e->prompt) ||
	    !cJSON_AddNumberToObject(o, "stable_version", (double)e->version) ||
	    !cJSON_AddNumberToObject(o, "canary_version", (double)e->canary->version) ||
	    !cJSON_AddNumberToObject(o, "percent", (double)e->rollout_percent) ||
	    !cJSON_AddStringToObject(o, "salt", e->rollout_salt) ||
	    !cJSON_AddStringToObject(o, "since", since) ||
	    !cJSON_AddItemToObject(o, "stable", cmd_release_entry_json(e)) ||
	    !cJSON_AddItemToObject(o, "canary", cmd_release_entry_json(e->canary))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int cmd_rollout_status(pops_ctx *ctx, void *o)
{
	struct rollout_status_opts *opts = o;
	pops_release_list l = { NULL, 0 };
	cmd_table table = CMD_TABLE_INIT(6);
	pops_buf out = POPS_BUF_INIT;
	cJSON *doc = NULL, *arr = NULL;
	size_t e, i, n = 0;
	int error, ret = POPS_EXIT_OK;

	if (opts->env && !pops_config_env(ctx->config, opts->env, NULL))
		return cmd_error(POPS_EXIT_USAGE, "unknown environment '%s'", opts->env);
	if (opts->json && (!(doc = cJSON_CreateObject()) ||
	                   !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
	                   !(arr = cJSON_AddArrayToObject(doc, "rollouts")))) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		goto done;
	}
	cmd_table_row(&table, "ENV", "PROMPT", "STABLE", "CANARY", "SHARE", "SINCE");
	for (e = 0; e < ctx->config->nenvs; e++) {
		const char *env = ctx->config->envs[e].name;

		if (opts->env && strcmp(opts->env, env))
			continue;
		pops_release_list_dispose(&l);
		if ((error = pops_release_list_entries(&l, ctx->repo, NULL, env)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		for (i = 0; i < l.n; i++) {
			const pops_release_entry *r = l.v[i];
			char st[32], ca[32], pct[8], since[21];
			cJSON *ro;

			if (!r->canary)
				continue;
			n++;
			if (opts->json) {
				if (!(ro = rollout_json(r)) || !cJSON_AddItemToArray(arr, ro)) {
					cJSON_Delete(ro);
					ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
					goto done;
				}
				continue;
			}
			snprintf(st, sizeof(st), "@%ld", r->version);
			snprintf(ca, sizeof(ca), "@%ld", r->canary->version);
			snprintf(pct, sizeof(pct), "%u%%", r->rollout_percent);
			pops_rollout_format_time(since, r->rollout_since);
			cmd_table_row(&table, env, r->prompt, st, ca, pct, since);
		}
	}
	if (opts->json) {
		ret = cmd_release_print_json(doc);
		doc = NULL;
	} else if (!n) {
		cmd_note("no canary rollout is running%s%s; start one with pops promote --canary",
		         opts->env ? " in " : "", opts->env ? opts->env : "");
	} else if (cmd_table_render(&out, &table, "", 2) < 0) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
	} else {
		fwrite(out.ptr, 1, out.size, stdout);
	}
done:
	cmd_table_dispose(&table);
	pops_buf_dispose(&out);
	cJSON_Delete(doc);
	pops_release_list_dispose(&l);
	return ret;
}
