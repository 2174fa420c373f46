#include "common.h"
#include "cmd.h"
#include "eval_out.h"
#include "eval_reports.h"
#include "fileio.h"
#include "report.h"
#include "stats.h"
#include "strutil.h"
#include "jsonget.h"

/*
 * pops eval merge: CI matrix jobs each run `pops eval run --shard i/n
 * --json part-i.json`; this combines the parts into the reports and the
 * gate decision one unsharded run would have given.
 */
struct eval_merge_opts {
	pops_strv files;
	const char *junit, *json, *md;
	int no_store;
};

POPS_CMD_OPTS_SIZE(eval_merge, struct eval_merge_opts);
const pops_opt cmd_eval_merge_opts[] = {
	{ .type = POPS_OPT_PATH, .name = "junit", .offset = offsetof(struct eval_merge_opts, junit),
	  .value_name = "file", .help = "write the merged JUnit XML report", .complete = POPS_COMPLETE_FILE },
	{ .type = POPS_OPT_PATH, .name = "json", .offset = offsetof(struct eval_merge_opts, json),
	  .value_name = "file", .help = "write the merged JSON report", .complete = POPS_COMPLETE_FILE },
	{ .type = POPS_OPT_PATH, .name = "md", .offset = offsetof(struct eval_merge_opts, md),
	  .value_name = "file", .help = "write the merged Markdown summary", .complete = POPS_COMPLETE_FILE },
	{ .type = POPS_OPT_BOOL, .name = "no-store", .offset = offsetof(struct eval_merge_opts, no_store),
	  .help = "do not record the merged shards' evidence in refs/notes/pops" },
	{ .type = POPS_OPT_ARGS, .name = "report", .offset = offsetof(struct eval_merge_opts, files),
	  .flags = POPS_OPTF_REQUIRED, .help = "JSON reports written by 'pops eval run --json'",
	  .complete = POPS_COMPLETE_FILE },
	{ 0 }
};

/* counts of the parts' summaries that add up (the case records do not have them) */
static const char *const summed[] = { "cached", "sent", "unsent", "rate_limited",
	"cost_spent_usd", "cost_saved_usd", NULL };

struct mgroup {
	cJSON *first;        /* the first part's summary for this suite and model */
	double sums[6];      /* of `summed` */
	FILE *spool;
	size_t cases, passed, failed, errors;
	double cost, in_tok, out_tok;
	int unpriced;
	double *lat;
	size_t nlat, alat;
	double duration;
};

static int add_case(struct mgroup *g, cJSON *c)
{
	const char *st = pops_json_str(c, "status", "");
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(c, "cost_usd");
	char *line;

	g->cases++;
	if (!strcmp(st, "pass"))
		g->passed++;
	else if (!strcmp(st, "fail"))
		g->failed++;
	else
		g->errors++;
	if (cJSON_IsNumber(cost))
		g->cost += cost->valuedouble;
	else
		g->unpriced = 1;
	g->in_tok += pops_json_num(c, "input_tokens", 0.0);
	g->out_tok += pops_json_num(c, "output_tokens", 0.0);
	if (strcmp(st, "error")) {
		if (g->nlat == g->alat) {
			size_t na = g->alat ? 2 * g->alat : 256;
			double *nl = realloc(g->lat, na * sizeof(*nl));

			POPS_CHECK_ALLOC(nl);
			g->lat = nl;
			g->alat = na;
		}
		g->lat[g->nlat++] = pops_json_num(c, "latency_ms", 0.0);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(c, "suite");
	cJSON_DeleteItemFromObjectCaseSensitive(c, "model");
	line = cJSON_PrintUnformatted(c);
	POPS_CHECK_ALLOC(line);
	fprintf(g->spool, "%s\n", line);
	free(line);
	return 0;
}

/* what eval_merge_store needs of one report: its shard, commit and evidence */
static int add_part(cJSON *parts, cJSON *doc, const char *file)
{
	cJSON *p = cJSON_CreateObject();
	static const char *const keys[] = { "shard", "commit", "complete", NULL };
	size_t i;

	if (!p || !parts || !cJSON_AddItemToArray(parts, p)) {
		cJSON_Delete(p);
		return pops_error_oom();
	}
	cJSON_AddStringToObject(p, "file", file);
	for (i = 0; keys[i]; i++)
		if (cJSON_GetObjectItemCaseSensitive(doc, keys[i]))
			cJSON_AddItemToObject(p, keys[i], cJSON_Duplicate(
			    cJSON_GetObjectItemCaseSensitive(doc, keys[i]), 1));
	if (cJSON_GetObjectItemCaseSensitive(doc, "evidence"))
		cJSON_AddItemToObject(p, "evidence",
		                      cJSON_DetachItemFromObjectCaseSensitive(doc, "evidence"));
	return 0;
}

/* the merged summary: the same rules as one run's (lib/eval_run_summary.c) */
static cJSON *summarize(struct mgroup *g, int complete)
{
	cJSON *s = cJSON_Duplicate(g->first, 1);
	size_t scored = g->passed + g->failed;
	double lo, hi, rate = scored ? (double)g->passed / (double)scored : 0.0;
	double thr = pops_json_num(g->first, "threshold", 0.0),
	       mer = pops_json_num(g->first, "max_error_rate", 0.0);
	double er = g->cases ? (double)g->errors / (double)g->cases : 0.0;
	pops_buf why = POPS_BUF_INIT;
	const char *verdict;
	static const char *const drop[] = { "cases", "passed", "failed", "errors", "pass_rate",
		"ci_low", "ci_high", "verdict", "reason", "cost_usd", "input_tokens", "output_tokens",
		"latency_p50", "latency_p95", "latency_p99", "duration_s", "complete", "stopped",
		"baseline", "pass_at_k", "pass_hat_k", "planned", "cached", "sent", "unsent",
		"rate_limited", "cost_spent_usd", "cost_saved_usd", NULL };
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; drop[i]; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(s, drop[i]);
	pops_stats_wilson(&lo, &hi, g->passed, scored);
	if (g->cases && er > mer) {
		verdict = "error";
		pops_buf_printf(&why, "%zu of %zu runs failed with errors (%.1f%%), above max_error_rate ",
		                g->errors, g->cases, 100 * er);
		pops_buf_put_percent(&why, mer);
	} else if (!scored) {
		verdict = "fail";
		pops_buf_puts(&why, "no case was scored");
	} else if (rate + 1e-12 < thr) {
		verdict = "fail";
		pops_buf_printf(&why, "pass rate %.1f%% is below the threshold ", 100 * rate);
		pops_buf_put_percent(&why, thr);
	} else {
		verdict = "pass";
	}
	cJSON_AddNumberToObject(s, "cases", (double)g->cases);
	cJSON_AddNumberToObject(s, "passed", (double)g->passed);
	cJSON_AddNumberToObject(s, "failed", (double)g->failed);
	cJSON_AddNumberToObject(s, "errors", (double)g->errors);
	cJSON_AddNumberToObject(s, "pass_rate", rate);
	cJSON_AddNumberToObject(s, "ci_low", lo);
	cJSON_AddNumberToObject(s, "ci_high", hi);
	cJSON_AddStringToObject(s, "verdict", verdict);
	if (why.size)
		cJSON_AddStringToObject(s, "reason", why.ptr);
	if (g->unpriced)
		cJSON_AddNullToObject(s, "cost_usd");
	else
		cJSON_AddNumberToObject(s, "cost_usd", g->cost);
	for (i = 0; summed[i]; i++)
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(g->first, summed[i])))
			cJSON_AddNumberToObject(s, summed[i], g->sums[i]);
	cJSON_AddNumberToObject(s, "input_tokens", g->in_tok);
	cJSON_AddNumberToObject(s, "output_tokens", g->out_tok);
	cJSON_AddNumberToObject(s, "latency_p50", pops_stats_percentile(g->lat, g->nlat, 50));
	cJSON_AddNumberToObject(s, "latency_p95", pops_stats_percentile(g->lat, g->nlat, 95));
	cJSON_AddNumberToObject(s, "latency_p99", pops_stats_percentile(g->lat, g->nlat, 99));
	cJSON_AddNumberToObject(s, "duration_s", g->duration);
	cJSON_AddBoolToObject(s, "complete", complete);
	pops_buf_dispose(&why);
	return s;
}

int cmd_eval_merge(pops_ctx *ctx, void *o)
{
	struct eval_merge_opts *opts = o;
	struct mgroup *mg = NULL;
	pops_report_group *groups = NULL;
	pops_buf b = POPS_BUF_INIT;
	cJSON *doc = NULL, *parts = cJSON_CreateArray();
	size_t ng = 0, i, j, k;
	int ret = POPS_EXIT_OK, error, complete = 1;
	eval_reports rep;

	eval_reports_init(&rep, opts->junit, opts->json, opts->md);
	if ((ret = eval_reports_check(&rep)))
		goto done;
	for (i = 0; i < opts->files.n && !ret; i++)
		ret = eval_reports_not_input(&rep, opts->files.v[i], "the report");
	if (ret || (ret = eval_reports_stdout_begin(&rep)))
		goto done;
	for (i = 0; i < opts->files.n; i++) {
		const char *f = opts->files.v[i];
		const cJSON *it, *sv;

		if ((error = pops_file_read(&b, f, 0)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		cJSON_Delete(doc);
		doc = cJSON_ParseWithLength(b.ptr, b.size);
		sv = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
		if (!doc || !cJSON_IsNumber(sv) || sv->valueint != 1 ||
		    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "summary")) ||
		    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "cases"))) {
			ret = cmd_error(POPS_EXIT_USAGE, "%s: not a pops eval JSON report (schema_version 1)", f);
			goto done;
		}
		if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "complete")))
			complete = 0;
		if ((error = add_part(parts, doc, f)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "summary")) {
			for (j = 0; j < ng; j++)
				if (!strcmp(pops_json_str(mg[j].first, "suite", ""), pops_json_str(it, "suite", "")) &&
				    !strcmp(pops_json_str(mg[j].first, "model", ""), pops_json_str(it, "model", "")))
					break;
			if (j == ng) {
				struct mgroup *n = realloc(mg, (ng + 1) * sizeof(*mg));

				if (!n) {
					ret = cmd_fail(pops_error_oom());
					goto done;
				}
				mg = n;
				memset(&mg[ng], 0, sizeof(*mg));
				if (!(mg[ng].first = cJSON_Duplicate(it, 1)) || !(mg[ng].spool = tmpfile())) {
					ng++;
					ret = cmd_fail(pops_error_set(POPS_ERROR, "cannot create a temporary file"));
					goto done;
				}
				ng++;
			}
			/* shards run side by side: the merged wall time is the longest */
			if (pops_json_num(it, "duration_s", 0.0) > mg[j].duration)
				mg[j].duration = pops_json_num(it, "duration_s", 0.0);
			for (k = 0; summed[k]; k++)
				mg[j].sums[k] += pops_json_num(it, summed[k], 0.0);
		}
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "cases")) {
			for (j = 0; j < ng; j++)
				if (!strcmp(pops_json_str(mg[j].first, "suite", ""), pops_json_str(it, "suite", "")) &&
				    !strcmp(pops_json_str(mg[j].first, "model", ""), pops_json_str(it, "model", "")))
					break;
			if (j == ng) {
				ret = cmd_error(POPS_EXIT_USAGE, "%s: a case names a suite and model missing from the summary", f);
				goto done;
			}
			if ((error = add_case(&mg[j], (cJSON *)it)) < 0) {
				ret = cmd_fail(error);
				goto done;
			}
		}
	}
	if (!(groups = calloc(ng + 1, sizeof(*groups)))) {
		ret = cmd_fail(pops_error_oom());
		goto done;
	}
	for (j = 0; j < ng; j++) {
		fflush(mg[j].spool);
		groups[j].spool = mg[j].spool;
		if (!(groups[j].summary = summarize(&mg[j], complete))) {
			ret = cmd_fail(pops_error_oom());
			goto done;
		}
		eval_print_group(ctx, groups[j].summary, groups[j].spool, 0);
	}
	for (i = 0, error = 0; i < rep.n && error >= 0; i++) {
		eval_reports_stdout_real(&rep, !strcmp(rep.path[i], "-"));
		if (rep.path[i] == opts->junit)
			error = pops_report_junit(opts->junit, groups, ng, complete);
		else if (rep.path[i] == opts->json)
			error = pops_report_json(opts->json, groups, ng, complete, NULL);
		else
			error = pops_report_md(opts->md, groups, ng, complete);
		eval_reports_stdout_real(&rep, 0);
	}
	if (error < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if (!opts->no_store && (error = eval_merge_store(parts, groups, ng)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	ret = eval_decide(ctx, groups, ng, 0, !complete);
done:
	for (j = 0; j < ng; j++) {
		cJSON_Delete(mg[j].first);
		if (mg[j].spool)
			fclose(mg[j].spool);
		free(mg[j].lat);
		if (groups)
			cJSON_Delete(groups[j].summary);
	}
	free(mg);
	free(groups);
	cJSON_Delete(doc);
	cJSON_Delete(parts);
	pops_buf_dispose(&b);
	fflush(stdout);
	eval_reports_stdout_end(&rep);
	return ret;
}
