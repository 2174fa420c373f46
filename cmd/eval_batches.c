/*
 * `pops eval run --batch` glue, and `pops eval batches [--cancel ID]
 * [--json]`: the batches the state file (lib/batch_state.h) records,
 * with their live status from the provider while they run.
 */
#include "common.h"
#include <math.h>
#include "batch.h"
#include "batch_state.h"
#include "eval_batches.h"
#include "jsonget.h"
#include "strutil.h"

int eval_batch_refuse(int batch, int record, int replay, int stream, double max_cost)
{
	const char *other = record ? "--record" : replay ? "--replay" : stream ? "--stream" :
	                    !isnan(max_cost) ? "--max-cost" : NULL;

	if (!batch || !other)
		return POPS_EXIT_OK;
	return cmd_error(POPS_EXIT_USAGE, "--batch and %s do not go together (%s)", other,
	                 !strcmp(other, "--stream") ? "a batch answer is never streamed" :
	                 !strcmp(other, "--max-cost") ? "a submitted batch cannot be stopped halfway; "
	                 "see the cost with --dry-run" : "a cassette answers one request at a time");
}

static void batch_note(void *payload, const char *line)
{
	eval_bar *bar = payload;

	if (bar)
		eval_bar_clear(bar);
	cmd_note("%s", line);
}

static long env_num(const char *name, long dflt)
{
	const char *v = getenv(name);
	long n;

	return v && *v && pops_parse_long(&n, v, 0, LONG_MAX) == 0 ? n : dflt;
}

void eval_batch_setup(pops_eval_options *eo, pops_ctx *ctx, int batch, eval_bar *bar)
{
	if (!batch)
		return;
	eo->batch = 1;
	eo->batch_state = pops_batch_state_path(ctx->config->root);
	eo->batch_poll_ms = env_num("POPS_BATCH_POLL_MS", 0);
	eo->batch_poll_max_ms = env_num("POPS_BATCH_POLL_MAX_MS", 0);
	eo->batch_max_polls = (unsigned)env_num("POPS_BATCH_MAX_POLLS", 0);
	eo->batch_max_requests = (size_t)env_num("POPS_BATCH_MAX_REQUESTS", 0);
	eo->batch_note = batch_note;
	eo->batch_note_payload = bar;
}

struct eval_batches_opts {
	const char *cancel;
	int json;
};

POPS_CMD_OPTS_SIZE(eval_batches, struct eval_batches_opts);
#define O struct eval_batches_opts
const pops_opt cmd_eval_batches_opts[] = {
	OPT_STRING(O, cancel, "cancel", "id", "ask the provider to cancel this batch"),
	OPT_BOOL(O, json, "json", "print the batches as JSON"),
	OPT_END
};
#undef O

static volatile sig_atomic_t batches_cancel;

/* the live status of an entry still running; its new status is recorded */
static void refresh(pops_ctx *ctx, const char *path, cJSON *e)
{
	const pops_provider_cfg *p = pops_config_provider(ctx->config, pops_json_str(e, "provider", ""));
	pops_provider_options po = POPS_PROVIDER_OPTIONS_INIT;
	pops_batch_status st;

	memset(&st, 0, sizeof(st));
	po.cancel = &batches_cancel;
	po.max_retries = 1;
	if (!p || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "collected")))
		return;
	if (pops_batch_get(&st, p, pops_json_str(e, "id", ""), &po) < 0) {
		cmd_warning("batch %s: %s", pops_json_str(e, "id", "?"), pops_error_last());
		return;
	}
	cJSON_ReplaceItemInObjectCaseSensitive(e, "status", cJSON_CreateString(st.status));
	if (st.total >= 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(e, "done");
		cJSON_DeleteItemFromObjectCaseSensitive(e, "failed");
		cJSON_AddNumberToObject(e, "done", (double)(st.succeeded + st.failed));
		cJSON_AddNumberToObject(e, "failed", (double)st.failed);
	}
	pops_batch_state_update(path, p->name, st.id, st.status, 0);
	pops_batch_status_dispose(&st);
}

static int print_list(const cJSON *state, int json)
{
	const cJSON *e, *list = cJSON_GetObjectItemCaseSensitive(state, "batches");
	char *text;

	if (json) {
		if (!(text = cJSON_Print(list)))
			return cmd_fail(pops_error_oom());
		puts(text);
		cJSON_free(text);
		return POPS_EXIT_OK;
	}
	if (!cJSON_GetArraySize(list)) {
		cmd_note("no batches recorded (pops eval run --batch submits them)");
		return POPS_EXIT_OK;
	}
	printf("%-32s %-12s %-12s %9s %-20s %s\n", "ID", "PROVIDER", "STATUS", "REQUESTS",
	       "SUBMITTED", "SUITE");
	cJSON_ArrayForEach(e, list) {
		char counts[64];

		if (cJSON_GetObjectItemCaseSensitive(e, "done"))
			snprintf(counts, sizeof(counts), "%.0f/%.0f", pops_json_num(e, "done", 0),
			         pops_json_num(e, "requests", 0));
		else
			snprintf(counts, sizeof(counts), "%.0f", pops_json_num(e, "requests", 0));
		printf("%-32s %-12s %-12s %9s %-20s %s%s\n", pops_json_str(e, "id", "?"),
		       pops_json_str(e, "provider", "?"), pops_json_str(e, "status", "?"), counts,
		       pops_json_str(e, "submitted", ""), pops_json_str(e, "suite", ""),
		       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "collected")) ? " (collected)" : "");
	}
	return POPS_EXIT_OK;
}

static int cancel_one(pops_ctx *ctx, const char *path, const cJSON *state, const char *id)
{
	const cJSON *e = pops_batch_state_find(state, id);
	const pops_provider_cfg *p;
	pops_provider_options po = POPS_PROVIDER_OPTIONS_INIT;
	pops_batch_status st;
	int error;

	if (!e)
		return cmd_error(POPS_EXIT_USAGE, "no batch '%s' in %s (pops eval batches lists them)", id,
		                 path);
	if (!(p = pops_config_provider(ctx->config, pops_json_str(e, "provider", ""))))
		return cmd_error(POPS_EXIT_USAGE, "batch %s: provider '%s' is not in pops.yaml", id,
		                 pops_json_str(e, "provider", ""));
	memset(&st, 0, sizeof(st));
	po.cancel = &batches_cancel;
	if ((error = pops_batch_cancel(&st, p, id, &po)) < 0)
		return cmd_fail(error);
	error = pops_batch_state_update(path, p->name, id, st.status, 0);
	if (!error)
		printf("batch %s (%s): %s\n", id, p->name, st.status);
	pops_batch_status_dispose(&st);
	return error < 0 ? cmd_fail(error) : POPS_EXIT_OK;
}

int cmd_eval_batches(pops_ctx *ctx, void *o)
{
	struct eval_batches_opts *opts = o;
	char *path = pops_batch_state_path(ctx->config->root);
	cJSON *state = NULL, *e;
	int ret, error;

	if (!path)
		return cmd_fail(pops_error_oom());
	if ((error = pops_batch_state_load(&state, path)) < 0) {
		ret = cmd_fail(error);
	} else if (opts->cancel) {
		ret = cancel_one(ctx, path, state, opts->cancel);
	} else {
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(state, "batches"))
			refresh(ctx, path, e);
		ret = print_list(state, opts->json);
	}
	cJSON_Delete(state);
	free(path);
	return ret;
}
