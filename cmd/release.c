#include "common.h"
#include "cmd.h"
#include "config.h"
#include "releasecmd.h"
#include "rollout.h"
#include "strutil.h"
#include "table.h"

#include <git2.h>
#include <time.h>

struct release_log_opts {
	const char *env;
	const char *prompt;
	int json;
	long max;
};

POPS_CMD_OPTS_SIZE(release_log, struct release_log_opts);
#define O struct release_log_opts
const pops_opt cmd_release_log_opts[] = {
	OPT_BOOL(O, json, "json", "print the log as JSON"),
	OPT_INT(O, max, "max-count", "n", 1, LONG_MAX, "show at most n entries", .short_name = 'n'),
	OPT_ARG(O, env, "env", "only this environment", .complete = POPS_COMPLETE_ENV),
	OPT_ARG(O, prompt, "prompt", "only this prompt", .complete = POPS_COMPLETE_PROMPT),
	OPT_END
};
#undef O

struct release_list_opts {
	int json;
};

POPS_CMD_OPTS_SIZE(release_list, struct release_list_opts);
#define O struct release_list_opts
const pops_opt cmd_release_list_opts[] = {
	OPT_BOOL(O, json, "json", "print the list as JSON"),
	OPT_END
};
#undef O

const pops_cmd cmd_release_subcommands[] = {
	POPS_CMD_ROW("list", release_list, POPS_CMD_NEEDS_CONFIG,
	             "What each environment has released, and whether HEAD is ahead"),
	POPS_CMD_ROW("log", release_log, POPS_CMD_NEEDS_CONFIG,
	             "The audit trail: every promote, rollback, rollout step and approval"),
	POPS_CMD_END
};

/* 2026-11-24T12:00:00+01:00 in the committer's zone */
static void iso_date(char *out, size_t size, long long t, int tz_minutes)
{
	time_t local = (time_t)(t + (long long)tz_minutes * 60);
	struct tm tm;
	int off = tz_minutes < 0 ? -tz_minutes : tz_minutes;

	if (!gmtime_r(&local, &tm)) {
		snprintf(out, size, "?");
		return;
	}
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         tz_minutes < 0 ? '-' : '+', off / 60, off % 60);
}

static cJSON *event_json(const pops_release_event *ev)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char hex[GIT_OID_HEXSZ + 1], date[64];
	size_t i;
	int oom = !o;

	if (oom)
		return NULL;
#define S(k, v) ((v) ? cJSON_AddStringToObject(o, k, v) : cJSON_AddNullToObject(o, k))
	iso_date(date, sizeof(date), ev->time, ev->tz_offset);
	oom |= !S("commit", git_oid_tostr(hex, sizeof(hex), &ev->commit));
	oom |= !S("action", ev->action);
	oom |= !S("subject", ev->subject);
	oom |= !S("env", ev->env);
	oom |= !S("prompt", ev->prompt);
	oom |= !(ev->version > 0 ? cJSON_AddNumberToObject(o, "version", (double)ev->version) :
	         cJSON_AddNullToObject(o, "version"));
	oom |= !S("blob", ev->blob);
	oom |= !S("source_commit", ev->source);
	oom |= !S("model", ev->model);
	oom |= !cJSON_AddBoolToObject(o, "forced", ev->forced);
	oom |= !S("reason", ev->reason);
	oom |= !S("author", ev->author_name);
	oom |= !S("email", ev->author_email);
	oom |= !cJSON_AddStringToObject(o, "date", date);
	oom |= !(a = cJSON_AddArrayToObject(o, "evidence"));
	for (i = 0; !oom && i < ev->nevidence; i++)
		oom |= !cJSON_AddItemToArray(a, cJSON_CreateString(ev->evidence[i]));
	oom |= !S("provider", ev->provider);
	oom |= !S("changes", ev->changes);
	oom |= !(a = cJSON_AddArrayToObject(o, "partials"));
	for (i = 0; !oom && i < ev->npartials; i++)
		oom |= !cJSON_AddItemToArray(a, cJSON_CreateString(ev->partials[i]));
	oom |= !(a = cJSON_AddArrayToObject(o, "approved_by"));
	for (i = 0; !oom && i < ev->napprovers; i++)
		oom |= !cJSON_AddItemToArray(a, cJSON_CreateString(ev->approvers[i]));
	oom |= !S("rollout", ev->rollout);
	oom |= !(ev->canary_percent ? cJSON_AddNumberToObject(o, "canary_percent", ev->canary_percent) :
	         cJSON_AddNullToObject(o, "canary_percent"));
	oom |= !S("salt", ev->salt);
#undef S
	if (oom) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void print_event(const pops_ctx *ctx, const pops_release_event *ev)
{
	char hex[GIT_OID_HEXSZ + 1], date[64];
	size_t i;

	iso_date(date, sizeof(date), ev->time, ev->tz_offset);
	printf("%sledger %s%s\n", cmd_color(ctx, 1, "yellow"),
	       git_oid_tostr(hex, sizeof(hex), &ev->commit), cmd_color(ctx, 1, "reset"));
	printf("Author: %s <%s>\nDate:   %s\n\n    %s\n", ev->author_name, ev->author_email,
	       date, ev->subject);
	if (ev->source || ev->model) {
		printf("    ");
		if (ev->source)
			printf("source %.12s", ev->source);
		if (ev->model)
			printf("%smodel %s", ev->source ? "  " : "", ev->model);
		printf("\n");
	}
	if (ev->rollout) {
		printf("    rollout %s", ev->rollout);
		if (ev->canary_percent)
			printf("  canary %d%%", ev->canary_percent);
		if (ev->salt)
			printf("  salt %s", ev->salt);
		printf("\n");
	}
	if (ev->changes)
		printf("    changed: %s\n", ev->changes);
	for (i = 0; i < ev->npartials; i++)
		printf("    partial %s\n", ev->partials[i]);
	for (i = 0; i < ev->nevidence; i++)
		printf("    evidence %s\n", ev->evidence[i]);
	if (ev->forced)
		printf("    FORCED past unmet requirements\n");
	if (ev->reason)
		printf("    reason: %s\n", ev->reason);
	for (i = 0; i < ev->napprovers; i++)
		printf("    approved by %s\n", ev->approvers[i]);
	printf("\n");
}

int cmd_release_log(pops_ctx *ctx, void *o)
{
	struct release_log_opts *opts = o;
	pops_release_events log = { NULL, 0 };
	cJSON *doc = NULL, *arr = NULL;
	size_t i, n;
	int error, ret = POPS_EXIT_OK;

	if (opts->env && !pops_config_env(ctx->config, opts->env, NULL)) {
		pops_release_events all = { NULL, 0 };
		int known = 0;

		/* an environment dropped from pops.yaml keeps its history */
		if (pops_release_log(&all, ctx->repo, opts->env, NULL, 0) == 0 && all.n)
			known = 1;
		pops_release_events_dispose(&all);
		if (!known)
			return cmd_error(POPS_EXIT_USAGE, "unknown environment '%s'", opts->env);
	}
	if ((error = pops_release_log(&log, ctx->repo, opts->env, opts->prompt, 0)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	n = opts->max > 0 && (size_t)opts->max < log.n ? (size_t)opts->max : log.n;
	if (opts->json) {
		if (!(doc = cJSON_CreateObject()) || !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
		    !(arr = cJSON_AddArrayToObject(doc, "entries"))) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			goto done;
		}
		for (i = 0; i < n; i++) {
			cJSON *e = event_json(&log.v[i]);

			if (!e || !cJSON_AddItemToArray(arr, e)) {
				cJSON_Delete(e);
				ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
				goto done;
			}
		}
		ret = cmd_release_print_json(doc);
		doc = NULL;
		goto done;
	}
	if (!log.n)
		cmd_note("nothing released%s%s%s%s yet", opts->prompt ? " for " : "",
		           opts->prompt ? opts->prompt : "", opts->env ? " to " : "",
		           opts->env ? opts->env : "");
	for (i = 0; i < n; i++)
		print_event(ctx, &log.v[i]);
done:
	cJSON_Delete(doc);
	pops_release_events_dispose(&log);
	return ret;
}

/* "rollout: summarize in prod: stable @3, canary @4 at 10% since ..." for an entry with one */
static void rollout_line(pops_buf *out, const pops_release_entry *r)
{
	char since[21];

	if (!r->canary)
		return;
	pops_rollout_format_time(since, r->rollout_since);
	pops_buf_printf(out, "rollout: %s in %s: stable @%ld, canary @%ld at %u%% since %s\n",
	                r->prompt, r->env, r->version, r->canary->version, r->rollout_percent, since);
}

int cmd_release_list(pops_ctx *ctx, void *o)
{
	struct release_list_opts *opts = o;
	pops_release_list l = { NULL, 0 };
	cJSON *doc = NULL, *envs = NULL;
	git_oid head;
	pops_buf changes = POPS_BUF_INIT, head_txt = POPS_BUF_INIT, out = POPS_BUF_INIT;
	cmd_table table = CMD_TABLE_INIT(6);
	pops_buf rollouts = POPS_BUF_INIT;
	int have_head, ret = POPS_EXIT_OK, error, any = 0;
	size_t e, i;

	have_head = git_reference_name_to_id(&head, ctx->repo, "HEAD") == 0;
	if (opts->json && (!(doc = cJSON_CreateObject()) ||
	                   !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
	                   !(envs = cJSON_AddArrayToObject(doc, "environments")))) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		goto done;
	}
	/* rows are collected, so columns fit what they hold (names in any script) */
	if (!opts->json)
		cmd_table_row(&table, "ENV", "PROMPT", "VERSION", "SOURCE", "MODEL", "HEAD");
	for (e = 0; e < ctx->config->nenvs; e++) {
		const char *env = ctx->config->envs[e].name;
		cJSON *eo = NULL, *rel = NULL;

		pops_release_list_dispose(&l);
		if ((error = pops_release_list_entries(&l, ctx->repo, NULL, env)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		if (opts->json) {
			if (!(eo = cJSON_CreateObject()) || !cJSON_AddItemToArray(envs, eo) ||
			    !cJSON_AddStringToObject(eo, "name", env) ||
			    !(rel = cJSON_AddArrayToObject(eo, "releases"))) {
				ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
				goto done;
			}
		}
		for (i = 0; i < l.n; i++) {
			const pops_release_entry *r = l.v[i];
			pops_release_entry *at_head = NULL;
			char hex[GIT_OID_HEXSZ + 1];
			int ahead = 0;

			any = 1;
			pops_buf_clear(&changes);
			if (have_head &&
			    pops_promote_candidate(&at_head, ctx->repo, ctx->config, &head, r->prompt,
			                              env) == 0) {
				int same = 1;

				if ((error = pops_promote_compare(&same, &changes, ctx->repo, ctx->config,
				                                  l.v[i], at_head)) < 0) {
					pops_release_entry_free(at_head);
					ret = cmd_fail(error);
					goto done;
				}
				ahead = !same;
			}
			pops_error_clear();
			if (!at_head)
				pops_buf_sets(&head_txt, "not at HEAD");
			else if (!ahead)
				pops_buf_sets(&head_txt, "same");
			else
				pops_buf_sets(&head_txt, changes.ptr);
			if (opts->json) {
				cJSON *ro = cmd_release_entry_json(r);

				if (!ro || !cJSON_AddItemToArray(rel, ro) ||
				    !cJSON_AddBoolToObject(ro, "head_ahead", ahead) ||
				    !(ahead ? cJSON_AddStringToObject(ro, "head_changes", changes.ptr) :
				      cJSON_AddNullToObject(ro, "head_changes")) ||
				    !(at_head && at_head->version > 0 ?
				      cJSON_AddNumberToObject(ro, "head_version", (double)at_head->version) :
				      cJSON_AddNullToObject(ro, "head_version"))) {
					pops_release_entry_free(at_head);
					ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
					goto done;
				}
			} else {
				char ver[32];

				snprintf(ver, sizeof(ver), "@%ld", r->version);
				git_oid_tostr(hex, 13, &r->source_commit);
				cmd_table_row(&table, env, r->prompt, ver,
				              git_oid_is_zero(&r->source_commit) ? NULL : hex,
				              r->model, head_txt.ptr);
				rollout_line(&rollouts, r);
			}
			pops_release_entry_free(at_head);
		}
	}
	if (opts->json) {
		ret = cmd_release_print_json(doc);
		doc = NULL;
	} else if (!any) {
		cmd_note("nothing released yet; see 'pops promote -h'");
	} else if (cmd_table_render(&out, &table, "", 2) < 0) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
	} else {
		/* the VERSION column is the stable side; each rollout gets its line */
		fwrite(out.ptr, 1, out.size, stdout);
		if (rollouts.size)
			printf("\n%s", rollouts.ptr);
	}
done:
	pops_buf_dispose(&rollouts);
	cmd_table_dispose(&table);
	pops_buf_dispose(&out);
	pops_buf_dispose(&head_txt);
	pops_buf_dispose(&changes);
	cJSON_Delete(doc);
	pops_release_list_dispose(&l);
	return ret;
}
