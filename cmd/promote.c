#include "common.h"
#include "cmd.h"
#include "config.h"
#include "releasecmd.h"
#include "rollout.h"
#include "strutil.h"

#include <git2.h>

struct promote_opts {
	const char *env;
	pops_strv prompts;
	const char *from;
	int dry_run;
	int force;
	const char *reason;
	int json;
	long canary;
};

POPS_CMD_OPTS_SIZE(promote, struct promote_opts);
#define O struct promote_opts
const pops_opt cmd_promote_opts[] = {
	OPT_STRING(O, from, "from", "env|rev",
	           "take the prompts from this environment or commit (default: the previous environment, or HEAD)"),
	OPT_INT(O, canary, "canary", "pct", 1, 99,
	        "release as a canary to pct percent of keys; the current release stays stable"),
	OPT_BOOL(O, dry_run, "dry-run",
	         "check the gates and show what would be promoted; write nothing",
	         .short_name = 'n'),
	OPT_BOOL(O, force, "force",
	         "promote past unmet requirements (needs --reason; recorded in the ledger)",
	         .short_name = 'f'),
	OPT_STRING(O, reason, "reason", "text",
	           "why: recorded as Pops-Reason in the ledger", .short_name = 'm'),
	OPT_BOOL(O, json, "json", "print the result as JSON"),
	OPT_ARG(O, env, "env",
	        "the environment to promote to", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_ENV),
	OPT_ARGS(O, prompts, "prompt",
	         "prompts to promote (default: every prompt that differs)",
	         .complete = POPS_COMPLETE_PROMPT),
	OPT_END
};
#undef O

void cmd_release_label(pops_buf *out, const pops_release_entry *e)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (e->version > 0)
		pops_buf_printf(out, "%s@%ld", e->prompt, e->version);
	else
		pops_buf_printf(out, "%s (blob %.12s)", e->prompt,
		                git_oid_tostr(hex, sizeof(hex), &e->blob));
}

cJSON *cmd_release_entry_json(const pops_release_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	char hex[GIT_OID_HEXSZ + 1];

	if (!o)
		return NULL;
#define S(k, v) ((v) ? cJSON_AddStringToObject(o, k, v) : cJSON_AddNullToObject(o, k))
	if (!S("env", e->env) || !S("prompt", e->prompt) ||
	    !cJSON_AddNumberToObject(o, "version", (double)e->version) ||
	    !cJSON_AddStringToObject(o, "blob", git_oid_tostr(hex, sizeof(hex), &e->blob)) ||
	    !S("source_commit", git_oid_is_zero(&e->source_commit) ? NULL :
	       git_oid_tostr(hex, sizeof(hex), &e->source_commit)) ||
	    !S("model", e->model) || !S("model_alias", e->model_alias) ||
	    !S("evidence", e->evidence) || !S("ledger_reason", e->reason)) {
		cJSON_Delete(o);
		return NULL;
	}
#undef S
	/* a record from before closures knows neither: null, not an empty guess */
	if (e->closure_known) {
		cJSON *m = pops_closure_model_json(&e->closure), *p = pops_closure_partials_json(&e->closure);

		if (!m || !cJSON_AddItemToObject(o, "resolved_model", m)) {
			cJSON_Delete(m);
			m = NULL;
		}
		if (!p || !cJSON_AddItemToObject(o, "partials", p)) {
			cJSON_Delete(p);
			p = NULL;
		}
		if (!m || !p) {
			cJSON_Delete(o);
			return NULL;
		}
	} else if (!cJSON_AddNullToObject(o, "resolved_model") ||
	           !cJSON_AddNullToObject(o, "partials")) {
		cJSON_Delete(o);
		return NULL;
	}
	/* only an entry with a running rollout gains a key: others print as before */
	if (e->canary) {
		cJSON *ro = cJSON_AddObjectToObject(o, "rollout");
		char since[21];

		pops_rollout_format_time(since, e->rollout_since);
		if (!ro || !cJSON_AddNumberToObject(ro, "percent", (double)e->rollout_percent) ||
		    !cJSON_AddStringToObject(ro, "salt", e->rollout_salt) ||
		    !cJSON_AddStringToObject(ro, "since", since) ||
		    !cJSON_AddItemToObject(ro, "canary", cmd_release_entry_json(e->canary))) {
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

int cmd_release_print_json(cJSON *doc)
{
	char *text = doc ? cJSON_Print(doc) : NULL;

	cJSON_Delete(doc);
	if (!text)
		return cmd_error(POPS_EXIT_RUNTIME, "out of memory");
	printf("%s\n", text);
	cJSON_free(text);
	return POPS_EXIT_OK;
}

static cJSON *strv_json(char **v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; a && i < n; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(v[i]))) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

int cmd_release_print_result_json(const pops_promote_result *r, const char *action,
                                  const char *status, int dry_run)
{
	cJSON *doc = cJSON_CreateObject(), *arr;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i, j;
	int oom = !doc;

	if (!oom) {
		oom |= !cJSON_AddNumberToObject(doc, "schema_version", 1);
		oom |= !cJSON_AddStringToObject(doc, "action", action);
		oom |= !cJSON_AddStringToObject(doc, "env", r->env ? r->env : "");
		oom |= !(r->source ? cJSON_AddStringToObject(doc, "source", r->source) :
		         cJSON_AddNullToObject(doc, "source"));
		oom |= !cJSON_AddStringToObject(doc, "status", status);
		{
			int changed = 0;

			for (i = 0; i < r->n; i++)
				changed |= !r->v[i].up_to_date;
			oom |= !cJSON_AddBoolToObject(doc, "changed", changed && strcmp(status, "refused"));
		}
		oom |= !cJSON_AddBoolToObject(doc, "dry_run", dry_run);
		oom |= !(arr = cJSON_AddArrayToObject(doc, "prompts"));
	}
	for (i = 0; !oom && i < r->n; i++) {
		const pops_promote_item *it = &r->v[i];
		cJSON *o = it->entry ? cmd_release_entry_json(it->entry) : cJSON_CreateObject(), *un;

		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			oom = 1;
			break;
		}
		oom |= !(it->current ? cJSON_AddNumberToObject(o, "current_version",
		                                                 (double)it->current->version) :
		         cJSON_AddNullToObject(o, "current_version"));
		oom |= !cJSON_AddBoolToObject(o, "up_to_date", it->up_to_date);
		oom |= !cJSON_AddBoolToObject(o, "changed", !it->up_to_date);
		oom |= !(it->changes ? cJSON_AddStringToObject(o, "changes", it->changes) :
		         cJSON_AddNullToObject(o, "changes"));

		if (it->rollout != POPS_ROLLOUT_NONE) {
			static const char *const steps[] = { "", "start", "set", "complete", "abort" };

			oom |= !cJSON_AddStringToObject(o, "rollout_step", steps[it->rollout]);
			oom |= !(it->canary_percent ?
			         cJSON_AddNumberToObject(o, "canary_percent", (double)it->canary_percent) :
			         cJSON_AddNullToObject(o, "canary_percent"));
		}
		oom |= !cJSON_AddBoolToObject(o, "forced", it->forced);
		oom |= !cJSON_AddBoolToObject(o, "recorded", it->recorded);
		oom |= !(it->recorded ? cJSON_AddStringToObject(o, "ledger_commit",
		                                               git_oid_tostr(hex, sizeof(hex), &it->ledger_commit)) :
		         cJSON_AddNullToObject(o, "ledger_commit"));
		oom |= !cJSON_AddItemToObject(o, "evidence_results", strv_json(it->evidence, it->nevidence));
		oom |= !cJSON_AddItemToObject(o, "approvers", strv_json(it->approvers, it->napprovers));
		oom |= !(un = cJSON_AddArrayToObject(o, "unmet"));
		for (j = 0; !oom && j < it->nunmet; j++) {
			cJSON *u = cJSON_CreateObject();

			if (!u || !cJSON_AddItemToArray(un, u)) {
				cJSON_Delete(u);
				oom = 1;
				break;
			}
			oom |= !cJSON_AddStringToObject(u, "requirement", it->unmet[j].what);
			oom |= !(it->unmet[j].fix ? cJSON_AddStringToObject(u, "fix", it->unmet[j].fix) :
			         cJSON_AddNullToObject(u, "fix"));
		}
	}
	if (oom) {
		cJSON_Delete(doc);
		return cmd_error(POPS_EXIT_RUNTIME, "out of memory");
	}
	return cmd_release_print_json(doc);
}

static void print_refusal(const pops_promote_result *r, const struct promote_opts *opts)
{
	pops_buf label = POPS_BUF_INIT;
	size_t i, j;
	int any = 0;

	for (i = 0; i < r->n; i++) {
		const pops_promote_item *it = &r->v[i];

		if (!it->nunmet)
			continue;
		any = 1;
		pops_buf_clear(&label);
		cmd_release_label(&label, it->entry);
		fprintf(stderr, "%s -> %s:\n", label.ptr, r->env);
		for (j = 0; j < it->nunmet; j++) {
			fprintf(stderr, "  - %s\n", it->unmet[j].what);
			if (it->unmet[j].fix)
				fprintf(stderr, "    to satisfy: %s\n", it->unmet[j].fix);
		}
	}
	if (any && !opts->force)
		cmd_hint("to override, add --force --reason \"<why>\" (recorded in the ledger)");
	pops_buf_dispose(&label);
}

int cmd_promote(pops_ctx *ctx, void *o)
{
	struct promote_opts *opts = o;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	pops_buf label = POPS_BUF_INIT, what = POPS_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i, changed = 0;
	int error, ret = POPS_EXIT_OK;

	if (opts->force && (!opts->reason || !*opts->reason))
		return cmd_error(POPS_EXIT_USAGE, "--force needs --reason \"<why>\": the ledger records it");
	po.env = opts->env;
	po.prompts = opts->prompts.v;
	po.nprompts = opts->prompts.n;
	po.from = opts->from;
	po.dry_run = opts->dry_run;
	po.force = opts->force;
	po.reason = opts->reason;
	po.canary = (unsigned)opts->canary;
	error = pops_promote(&r, ctx->repo, ctx->config, &po);
	for (i = 0; i < r.n; i++)
		changed += !r.v[i].up_to_date;
	if (opts->json && (error == 0 || (error == POPS_EREFUSED && r.n))) {
		int refused = error == POPS_EREFUSED;
		int nothing = !refused && !changed;

		ret = cmd_release_print_result_json(&r, "promote",
		                                    nothing ? "nothing" : refused ? "refused" :
		                                    opts->dry_run ? "dry-run" : "promoted",
		                                    opts->dry_run);
		if (refused) {
			ret = cmd_fail(error);
			print_refusal(&r, opts);
		}
		goto done;
	}
	if (error == POPS_EREFUSED) {
		ret = cmd_fail(error);
		print_refusal(&r, opts);
		if (r.source && !strncmp(pops_error_last(), "'", 1) &&
		    strstr(pops_error_last(), "is not released in"))
			cmd_hint("promote it to %s first: pops promote %s <prompt>", r.source, r.source);
		if (strstr(pops_error_last(), "canary rollout of"))
			cmd_hint("see it with: pops rollout status %s", r.env);
		goto done;
	}
	if (error < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	for (i = 0; i < r.n; i++) {
		const pops_promote_item *it = &r.v[i];

		pops_buf_clear(&label);
		cmd_release_label(&label, it->entry);
		if (it->up_to_date) {
			/* worth saying when the user named it, or when it is all there is */
			if (opts->prompts.n || !changed)
				cmd_note("%s is already in %s (nothing to do)", label.ptr, r.env);
			continue;
		}
		if (it->rollout == POPS_ROLLOUT_START)
			pops_buf_printf(&label, " as canary (%u%%)", it->canary_percent);
		pops_buf_clear(&what);
		if (it->changes) {
			pops_buf_puts(&what, ": ");
			pops_buf_put_sanitized(&what, it->changes, strlen(it->changes), 0);
		}
		if (opts->dry_run && it->current)
			printf("would promote %s to %s (from %s, replacing @%ld)%s%s\n", label.ptr, r.env,
			       r.source, it->current->version,
			       it->nunmet ? " past unmet requirements" : "", what.ptr);
		else if (opts->dry_run)
			printf("would promote %s to %s (from %s)%s\n", label.ptr, r.env, r.source,
			       it->nunmet ? " past unmet requirements" : "");
		else
			printf("promoted %s to %s%s (ledger %.12s)%s\n", label.ptr, r.env,
			       it->forced ? " by force" : "",
			       git_oid_tostr(hex, sizeof(hex), &it->ledger_commit), what.ptr);
		if (it->forced)
			for (size_t j = 0; j < it->nunmet; j++)
				cmd_warning("forced past: %s", it->unmet[j].what);
	}
done:
	pops_buf_dispose(&what);
	pops_buf_dispose(&label);
	pops_promote_result_dispose(&r);
	return ret;
}
