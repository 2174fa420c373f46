#include "common.h"
#include "eval_merge.h"
#include "eval_run.h"
#include "evidence.h"
#include "jsonget.h"
#include "metrics_class.h"
#include "stats.h"
#include "strutil.h"

/* counts of the parts' summaries that add up (the case records do not have them) */
static const char *const summed[] = { "cached", "sent", "unsent", "rate_limited",
	"cost_spent_usd", "cost_saved_usd", NULL };

struct pops_eval_mgroup {
	cJSON *first;        /* the first part's summary for this suite and model */
	double sums[6];      /* of `summed` */
	FILE *spool;
	size_t cases, passed, failed, errors;
	double cost, in_tok, out_tok;
	int unpriced;
	double *lat;
	size_t nlat, alat;
	double *ttft;        /* streamed replies' time to first token (case records' ttft_ms) */
	size_t nttft, attft;
	double cached_tok;   /* input tokens the provider's prompt cache served */
	double duration;
	pops_class_metrics *cls; /* the records' label and expected_label, when classified */
	double cls_unlabelled;   /* of the parts' classification summaries */
	unsigned *jury;          /* per jury verdict: judges passing, failing (Fleiss' kappa) */
	size_t njury, ajury;
};

/* append `v` to a growing array of doubles */
static int push_num(double **v, size_t *n, size_t *cap, double x)
{
	if (*n == *cap) {
		size_t na = *cap ? 2 * *cap : 256;
		double *nv = realloc(*v, na * sizeof(*nv));

		POPS_CHECK_ALLOC(nv);
		*v = nv;
		*cap = na;
	}
	(*v)[(*n)++] = x;
	return 0;
}

/* the jury verdicts of assertion entries `list` (and of nested sets), as the runner counts them */
static int add_jury(struct pops_eval_mgroup *g, const cJSON *list)
{
	const cJSON *e, *j;

	cJSON_ArrayForEach(e, list) {
		const cJSON *judges = cJSON_GetObjectItemCaseSensitive(e, "judges");
		unsigned pass = 0, n = 0, err = 0;

		if (add_jury(g, cJSON_GetObjectItemCaseSensitive(e, "asserts")) < 0)
			return POPS_ERROR;
		/* a jury's entry judged without error (eval_run_judge.c jury_finish) */
		if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(e, "models")) || !cJSON_IsArray(judges))
			continue;
		cJSON_ArrayForEach(j, judges) {
			n++;
			pass += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "pass"));
			err += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "error"));
		}
		if (err || !n)
			continue;
		if (g->njury == g->ajury) {
			size_t na = g->ajury ? 2 * g->ajury : 256;
			unsigned *nv = realloc(g->jury, na * 2 * sizeof(*nv));

			POPS_CHECK_ALLOC(nv);
			g->jury = nv;
			g->ajury = na;
		}
		g->jury[2 * g->njury] = pass;
		g->jury[2 * g->njury + 1] = n - pass;
		g->njury++;
	}
	return 0;
}

/* a classified record (eval_run_class.c): its predicted and expected label */
static int add_label(struct pops_eval_mgroup *g, const cJSON *c)
{
	const char *label = pops_json_str(c, "label", NULL), *want = pops_json_str(c, "expected_label", NULL);
	int error;

	if (!label || !want || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(g->first, "classification")))
		return 0;
	if (!g->cls && (error = pops_class_new(&g->cls)) < 0)
		return error;
	return pops_class_add(g->cls, want, label);
}

static int add_case(struct pops_eval_mgroup *g, cJSON *c)
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
	/* the runner's rules (eval_run_score.c): errors have no latency or time to first token */
	g->cached_tok += pops_json_num(c, "cached_tokens", 0.0);
	if (strcmp(st, "error")) {
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(c, "latency_ms")) &&
		    push_num(&g->lat, &g->nlat, &g->alat, pops_json_num(c, "latency_ms", 0.0)) < 0)
			return POPS_ERROR;
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(c, "ttft_ms")) &&
		    push_num(&g->ttft, &g->nttft, &g->attft, pops_json_num(c, "ttft_ms", 0.0)) < 0)
			return POPS_ERROR;
	}
	if (add_jury(g, cJSON_GetObjectItemCaseSensitive(c, "asserts")) < 0 || add_label(g, c) < 0)
		return POPS_ERROR;
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

/*
 * Classification and jury agreement from every part's records, as one
 * run computes them (eval_run_class.c, eval_run_judge.c): the metrics,
 * the first part's thresholds and the summed unlabelled, the metrics
 * gate on a passing verdict; Fleiss' kappa over the jury verdicts.
 */
static int merged_metrics(cJSON *s, struct pops_eval_mgroup *g)
{
	const cJSON *c0 = cJSON_GetObjectItemCaseSensitive(g->first, "classification");
	const cJSON *min_f1 = cJSON_GetObjectItemCaseSensitive(c0, "min_f1");
	pops_buf why = POPS_BUF_INIT;
	double k, tmacro = pops_json_num(c0, "threshold_macro_f1", -1);
	cJSON *c;
	int error = 0;

	if (cJSON_IsObject(c0)) {
		if ((!g->cls && (error = pops_class_new(&g->cls)) < 0))
			return error;
		if (!(c = pops_class_summary(g->cls)) || !cJSON_AddItemToObject(s, "classification", c)) {
			cJSON_Delete(c);
			return pops_error_oom();
		}
		if (g->cls_unlabelled > 0)
			cJSON_AddNumberToObject(c, "unlabelled", g->cls_unlabelled);
		if (tmacro >= 0)
			cJSON_AddNumberToObject(c, "threshold_macro_f1", tmacro);
		if (min_f1)
			cJSON_AddItemToObject(c, "min_f1", cJSON_Duplicate(min_f1, 1));
		if (!strcmp(pops_json_str(s, "verdict", ""), "pass") &&
		    !pops_class_gate(&why, c, tmacro, min_f1)) {
			cJSON_ReplaceItemInObjectCaseSensitive(s, "verdict", cJSON_CreateString("fail"));
			cJSON_DeleteItemFromObjectCaseSensitive(s, "reason");
			cJSON_AddStringToObject(s, "reason", why.ptr ? why.ptr : "");
		}
		error = pops_buf_oom(&why) ? pops_error_oom() : 0;
		pops_buf_dispose(&why);
		if (error < 0)
			return error;
	}
	if (!g->njury)
		return 0;
	k = pops_stats_fleiss_kappa(g->jury, g->njury, 2);
	if (!cJSON_AddNumberToObject(s, "jury_cases", (double)g->njury) ||
	    !(k > -2 ? cJSON_AddNumberToObject(s, "kappa", k) : cJSON_AddNullToObject(s, "kappa")))
		return pops_error_oom();
	return 0;
}

/* the merged summary: the same rules as one run's (pops_eval_summary_scores) */
static cJSON *summarize(struct pops_eval_mgroup *g, int complete)
{
	cJSON *s = cJSON_Duplicate(g->first, 1);
	pops_eval_tally t;
	static const char *const drop[] = { "cases", "passed", "failed", "errors", "pass_rate",
		"ci_low", "ci_high", "verdict", "reason", "cost_usd", "input_tokens", "output_tokens",
		"latency_p50", "latency_p95", "latency_p99", "duration_s", "complete", "stopped",
		"baseline", "pass_at_k", "pass_hat_k", "planned", "cached", "sent", "unsent",
		"rate_limited", "cost_spent_usd", "cost_saved_usd", "ttft_p50", "ttft_p95", "ttft_p99",
		"cached_input_tokens", "cached_input_share", "classification", "kappa", "jury_cases",
		NULL };
	size_t i;
	int ok;

	if (!s)
		return NULL;
	/* --affected in every shard: the same stored evidence answered it, nothing ran */
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(g->first, "reused")) && !g->cases)
		return s;
	for (i = 0; drop[i]; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(s, drop[i]);
	memset(&t, 0, sizeof(t));
	t.cases = g->cases;
	t.passed = g->passed;
	t.failed = g->failed;
	t.errors = g->errors;
	t.threshold = pops_json_num(g->first, "threshold", 0.0);
	t.max_error_rate = pops_json_num(g->first, "max_error_rate", 0.0);
	ok = pops_eval_summary_scores(s, &t, 0) == 0 &&
	     (g->unpriced ? cJSON_AddNullToObject(s, "cost_usd") != NULL
	                  : cJSON_AddNumberToObject(s, "cost_usd", g->cost) != NULL);
	for (i = 0; ok && summed[i]; i++)
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(g->first, summed[i])))
			ok = cJSON_AddNumberToObject(s, summed[i], g->sums[i]) != NULL;
	ok = ok && pops_eval_summary_usage(s, g->in_tok, g->out_tok, g->lat, g->nlat, g->duration) == 0 &&
	     cJSON_AddBoolToObject(s, "complete", complete);
	/* time to first token and the prompt cache's share, from every part's cases */
	if (ok && g->nttft)
		ok = cJSON_AddNumberToObject(s, "ttft_p50", pops_stats_percentile(g->ttft, g->nttft, 50)) &&
		     cJSON_AddNumberToObject(s, "ttft_p95", pops_stats_percentile(g->ttft, g->nttft, 95)) &&
		     cJSON_AddNumberToObject(s, "ttft_p99", pops_stats_percentile(g->ttft, g->nttft, 99));
	if (ok && g->cached_tok > 0)
		ok = cJSON_AddNumberToObject(s, "cached_input_tokens", g->cached_tok) &&
		     cJSON_AddNumberToObject(s, "cached_input_share",
		                             g->in_tok > 0 ? g->cached_tok / g->in_tok : 0.0);
	if (ok)
		ok = merged_metrics(s, g) == 0;
	if (!ok) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

/* the group of suite and model of `it` (a summary or a case record); m->nmg when none */
static size_t group_of(const pops_eval_merge *m, const cJSON *it)
{
	size_t j;

	for (j = 0; j < m->nmg; j++)
		if (!strcmp(pops_json_str(m->mg[j].first, "suite", ""), pops_json_str(it, "suite", "")) &&
		    !strcmp(pops_json_str(m->mg[j].first, "model", ""), pops_json_str(it, "model", "")))
			break;
	return j;
}

/* a report's summaries: a new group per suite and model, and the counts that add up */
static int add_summaries(pops_eval_merge *m, const cJSON *summary)
{
	const cJSON *it;
	size_t j, k;

	cJSON_ArrayForEach(it, summary) {
		if ((j = group_of(m, it)) == m->nmg) {
			struct pops_eval_mgroup *n = realloc(m->mg, (m->nmg + 1) * sizeof(*m->mg));

			POPS_CHECK_ALLOC(n);
			m->mg = n;
			memset(&m->mg[m->nmg], 0, sizeof(*m->mg));
			m->nmg++;
			if (!(m->mg[j].first = cJSON_Duplicate(it, 1)) || !(m->mg[j].spool = tmpfile()))
				return pops_error_set(POPS_ERROR, "cannot create a temporary file");
		}
		/* shards run side by side: the merged wall time is the longest */
		if (pops_json_num(it, "duration_s", 0.0) > m->mg[j].duration)
			m->mg[j].duration = pops_json_num(it, "duration_s", 0.0);
		for (k = 0; summed[k]; k++)
			m->mg[j].sums[k] += pops_json_num(it, summed[k], 0.0);
		m->mg[j].cls_unlabelled += pops_json_num(cJSON_GetObjectItemCaseSensitive(it,
		                                         "classification"), "unlabelled", 0.0);
	}
	return 0;
}

static int add_doc(pops_eval_merge *m, cJSON *doc, const char *file)
{
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
	cJSON *it;
	size_t j;
	int error;

	if (!doc || !cJSON_IsNumber(sv) || sv->valueint != 1 ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "summary")) ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "cases")))
		return pops_error_set(POPS_EINVALID, "%s: not a pops eval JSON report (schema_version 1)",
		                      file);
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(doc, "complete")))
		m->complete = 0;
	if ((error = add_part(m->parts, doc, file)) < 0 ||
	    (error = add_summaries(m, cJSON_GetObjectItemCaseSensitive(doc, "summary"))) < 0)
		return error;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "cases")) {
		if ((j = group_of(m, it)) == m->nmg)
			return pops_error_set(POPS_EINVALID, "%s: a case names a suite and model missing "
			                      "from the summary", file);
		if ((error = add_case(&m->mg[j], it)) < 0)
			return error;
	}
	return 0;
}

int pops_eval_merge_add(pops_eval_merge *m, const char *data, size_t len, const char *file)
{
	cJSON *doc = cJSON_ParseWithLength(data, len);
	int error;

	if (!m->parts && !(m->parts = cJSON_CreateArray())) {
		cJSON_Delete(doc);
		return pops_error_oom();
	}
	error = add_doc(m, doc, file);
	cJSON_Delete(doc);
	return error;
}

int pops_eval_merge_finish(pops_eval_merge *m)
{
	size_t j;

	if (!(m->groups = calloc(m->nmg + 1, sizeof(*m->groups))))
		return pops_error_oom();
	for (j = 0; j < m->nmg; j++) {
		fflush(m->mg[j].spool);
		m->groups[j].spool = m->mg[j].spool;
		if (!(m->groups[j].summary = summarize(&m->mg[j], m->complete)))
			return pops_error_oom();
		m->ngroups++;
	}
	return 0;
}

void pops_eval_merge_dispose(pops_eval_merge *m)
{
	size_t j;

	for (j = 0; j < m->nmg; j++) {
		cJSON_Delete(m->mg[j].first);
		if (m->mg[j].spool)
			fclose(m->mg[j].spool);
		free(m->mg[j].lat);
		free(m->mg[j].ttft);
		free(m->mg[j].jury);
		pops_class_free(m->mg[j].cls);
	}
	for (j = 0; j < m->ngroups; j++)
		cJSON_Delete(m->groups[j].summary);
	free(m->mg);
	free(m->groups);
	cJSON_Delete(m->parts);
	memset(m, 0, sizeof(*m));
	m->complete = 1;
}

/* ---- the evidence of a whole shard set ---- */

static const cJSON *find_fp(const cJSON *evidence, const char *fp)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, evidence) {
		const char *f = pops_json_str(r, "fingerprint", NULL);

		if (f && !strcmp(f, fp))
			return r;
	}
	return NULL;
}

static int same_fingerprints(const cJSON *a, const cJSON *b)
{
	const cJSON *ea = cJSON_GetObjectItemCaseSensitive(a, "evidence");
	const cJSON *eb = cJSON_GetObjectItemCaseSensitive(b, "evidence"), *r;

	if (cJSON_GetArraySize(ea) != cJSON_GetArraySize(eb))
		return 0;
	cJSON_ArrayForEach(r, ea)
		if (!pops_json_str(r, "fingerprint", NULL) || !find_fp(eb, pops_json_str(r, "fingerprint", NULL)))
			return 0;
	return 1;
}

int pops_eval_merge_shard_set(const cJSON *parts, pops_buf *why)
{
	const cJSON *p, *first = parts ? parts->child : NULL;
	unsigned i, n = 0, ni;
	unsigned char *seen = NULL;
	int ok = 0;

	cJSON_ArrayForEach(p, parts) {
		const char *f = pops_json_str(p, "file", "?"),
		           *c = pops_json_str(p, "commit", NULL),
		           *c0 = pops_json_str(first, "commit", NULL);

		if (pops_shard_parse(&i, &ni, pops_json_str(p, "shard", NULL)) < 0) {
			pops_buf_printf(why, "%s is not a shard report (pops eval run --shard i/n --json)", f);
			goto done;
		}
		if (!seen) {
			n = ni;
			if (!(seen = calloc(n + 1, 1))) {
				pops_buf_puts(why, "out of memory");
				goto done;
			}
		}
		if (ni != n) {
			pops_buf_printf(why, "%s is shard %u/%u, not one of %u", f, i, ni, n);
			goto done;
		}
		if (seen[i]++) {
			pops_buf_printf(why, "shard %u/%u is given twice (%s)", i, n, f);
			goto done;
		}
		if (!c || !c0) {
			pops_buf_printf(why, "%s names no commit (it ran before the first commit)",
			                c ? pops_json_str(first, "file", "?") : f);
			goto done;
		}
		if (strcmp(c, c0)) {
			pops_buf_printf(why, "the shards evaluated different commits (%.12s in %s, %.12s in %s)",
			                c0, pops_json_str(first, "file", "?"), c, f);
			goto done;
		}
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "complete"))) {
			pops_buf_printf(why, "%s is incomplete (interrupted or stopped by --max-cost)", f);
			goto done;
		}
		/* the same suites, prompts, models and datasets: the same fingerprints */
		if (!same_fingerprints(first, p)) {
			pops_buf_printf(why, "%s and %s did not evaluate the same content (suite, prompt, model or dataset differ)",
			                pops_json_str(first, "file", "?"), f);
			goto done;
		}
	}
	for (i = 1; seen && i <= n; i++)
		if (!seen[i]) {
			pops_buf_printf(why, "shard %u/%u is missing: merge every shard to record the run", i, n);
			goto done;
		}
	ok = seen != NULL;
done:
	free(seen);
	return ok;
}

/*
 * The merged result's kind: every shard was partial by "--shard i/n"
 * alone when the set is whole, so it is complete unless a shard had
 * another reason (--filter, --dataset, ...): those stay, from every shard.
 */
static int merged_kind(cJSON *r, const cJSON *parts, const char *fp)
{
	cJSON *reasons = cJSON_CreateArray();
	const cJSON *p, *it, *have;

	if (!reasons)
		return -1;
	cJSON_ArrayForEach(p, parts)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
		                       find_fp(cJSON_GetObjectItemCaseSensitive(p, "evidence"), fp),
		                       "partial_reasons")) {
			if (!cJSON_IsString(it) || !strncmp(it->valuestring, "--shard ", 8))
				continue;
			cJSON_ArrayForEach(have, reasons)
				if (!strcmp(have->valuestring, it->valuestring))
					break;
			if (!have)
				cJSON_AddItemToArray(reasons, cJSON_CreateString(it->valuestring));
		}
	cJSON_DeleteItemFromObjectCaseSensitive(r, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(r, "partial_reasons");
	cJSON_AddStringToObject(r, "kind", cJSON_GetArraySize(reasons) ? "partial" : "complete");
	if (cJSON_GetArraySize(reasons))
		cJSON_AddItemToObject(r, "partial_reasons", reasons);
	else
		cJSON_Delete(reasons);
	return 0;
}

cJSON *pops_eval_merge_result(const cJSON *r0, const cJSON *parts, const pops_report_group *g,
                              size_t ng, const char *version)
{
	const char *fp = pops_json_str(r0, "fingerprint", NULL);
	cJSON *r = cJSON_Duplicate(r0, 1), *cases;
	const cJSON *sum = NULL, *p, *it;
	size_t i;

	for (i = 0; i < ng && !sum; i++) {
		const char *s = pops_json_str(g[i].summary, "suite", NULL),
		           *m = pops_json_str(g[i].summary, "model", NULL);
		const char *id = pops_json_str(g[i].summary, "model_id", NULL);

		if (s && m && id && pops_json_str(r0, "suite", NULL) &&
		    pops_json_str(r0, "model_alias", NULL) && pops_json_str(r0, "model", NULL) &&
		    !strcmp(s, pops_json_str(r0, "suite", NULL)) &&
		    !strcmp(m, pops_json_str(r0, "model_alias", NULL)) &&
		    !strcmp(id, pops_json_str(r0, "model", NULL)))
			sum = g[i].summary;
	}
	if (!r || !sum || merged_kind(r, parts, fp) < 0) {
		cJSON_Delete(r);
		return NULL;
	}
	if (pops_evidence_put_scores(r, sum) < 0) {
		cJSON_Delete(r);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(r, "case_results");
	cases = cJSON_AddObjectToObject(r, "case_results");
	cJSON_ArrayForEach(p, parts)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
		                       find_fp(cJSON_GetObjectItemCaseSensitive(p, "evidence"), fp),
		                       "case_results"))
			cJSON_AddItemToObject(cases, it->string, cJSON_Duplicate(it, 1));
	pops_evidence_put_date(r);
	cJSON_DeleteItemFromObjectCaseSensitive(r, "pops_version");
	cJSON_AddStringToObject(r, "pops_version", version);
	return r;
}
