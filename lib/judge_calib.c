/*
 * Judge calibrations kept as evidence (see judge_calib.h): the judge
 * fingerprint, the result a calibration records, and finding it again.
 */
#include "common.h"
#include "judge_calib.h"
#include "evidence.h"
#include "fingerprint.h"
#include "jsonget.h"
#include "stats.h"
#include "confine.h"
#include "fileio.h"
#include "strutil.h"

int pops_judge_calib_fingerprint(char hex[65], cJSON **fields_out, const pops_config *cfg,
                                 const char *root, const pops_assert *a, const char *alias)
{
	cJSON *j = NULL, *f = NULL;
	int error;

	if (fields_out)
		*fields_out = NULL;
	if ((error = pops_fingerprint_judge(&j, cfg, root, a, alias)) < 0)
		return error;
	if (!(f = cJSON_CreateObject()) ||
	    !cJSON_AddItemToObject(f, "judge_model",
	                           cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "model"), 1)) ||
	    !cJSON_AddItemToObject(f, "judge_config",
	                           cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "config"), 1)) ||
	    !cJSON_AddItemToObject(f, "judge_prompt_blob",
	                           cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(j, "prompt_blob"), 1)) ||
	    !cJSON_AddItemToObject(f, "rubric", a->rubric ? cJSON_CreateString(a->rubric) :
	                           cJSON_CreateNull()) ||
	    !cJSON_AddNumberToObject(f, "pass_score", a->pass_score) ||
	    !cJSON_AddNumberToObject(f, "scale_max", a->scale_max) ||
	    !cJSON_AddNumberToObject(f, "scoring_version", POPS_SCORING_VERSION))
		goto oom;
	cJSON_Delete(j);
	if ((error = pops_fingerprint_hash(hex, f)) < 0) {
		cJSON_Delete(f);
		return error;
	}
	if (fields_out)
		*fields_out = f;
	else
		cJSON_Delete(f);
	return POPS_OK;
oom:
	cJSON_Delete(j);
	cJSON_Delete(f);
	return pops_error_oom();
}

/* a number, or null when `undefined` */
static int put_rate(cJSON *r, const char *name, double v, int undefined)
{
	return cJSON_AddItemToObject(r, name, undefined ? cJSON_CreateNull() : cJSON_CreateNumber(v)) ?
	       0 : -1;
}

cJSON *pops_judge_calib_result(const cJSON *fields, const char *hex,
                               const pops_judge_calib_counts *k, const char *suite,
                               const char *alias, const char *labels)
{
	cJSON *r = cJSON_Duplicate(fields, 1);
	size_t n = k->tp + k->tn + k->fp + k->fn;
	pops_agreement ag;

	pops_stats_agreement(&ag, k->tp, k->tn, k->fp, k->fn);
	if (!r || !cJSON_AddStringToObject(r, "kind", POPS_JUDGE_CALIB_KIND) ||
	    !cJSON_AddStringToObject(r, "fingerprint", hex) ||
	    !cJSON_AddStringToObject(r, "suite", suite) ||
	    !cJSON_AddStringToObject(r, "judge", alias) ||
	    !cJSON_AddStringToObject(r, "labels", labels) ||
	    !cJSON_AddNumberToObject(r, "n", (double)n) ||
	    !cJSON_AddNumberToObject(r, "tp", (double)k->tp) ||
	    !cJSON_AddNumberToObject(r, "tn", (double)k->tn) ||
	    !cJSON_AddNumberToObject(r, "fp", (double)k->fp) ||
	    !cJSON_AddNumberToObject(r, "fn", (double)k->fn) ||
	    !cJSON_AddNumberToObject(r, "errors", (double)k->errors) ||
	    put_rate(r, "tpr", ag.tpr, ag.tpr < 0) || put_rate(r, "tnr", ag.tnr, ag.tnr < 0) ||
	    put_rate(r, "accuracy", ag.accuracy, ag.accuracy < 0) ||
	    put_rate(r, "kappa", ag.kappa, !n) || put_rate(r, "kappa_low", ag.kappa_lo, !n) ||
	    put_rate(r, "kappa_high", ag.kappa_hi, !n) ||
	    pops_evidence_put_date(r) < 0) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

int pops_judge_calib_find(cJSON **out, git_repository *repo, const char *hex)
{
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;

	q.fingerprint = hex;
	q.kind = POPS_JUDGE_CALIB_KIND;
	return pops_evidence_find(out, NULL, repo, &q);
}

int pops_judge_calib_kappa(double *kappa, const cJSON *r)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(r, "kappa");

	if (!cJSON_IsNumber(k)) {
		*kappa = -2;
		return 0;
	}
	*kappa = k->valuedouble;
	return 1;
}

/* `c`'s own assertions, to `fn` when one of them is a judge */
static int case_judges(const pops_case *c, pops_judge_calib_case_fn fn, void *payload)
{
	pops_assert **ca = NULL;
	size_t n = 0, i;
	int error;

	if (!c->asserts)
		return 0;
	if ((error = pops_suite_case_asserts(&ca, &n, c)) < 0)
		return error;
	for (i = 0; i < n && ca[i]->type != POPS_ASSERT_JUDGE; i++)
		;
	if (i < n)
		error = fn(payload, c, ca, n);
	pops_suite_asserts_free(ca, n);
	return error;
}

/* the suite's dataset, as pops eval run opens it */
static int open_dataset(pops_dataset **ds, const pops_suite *s, const char *root)
{
	pops_buf path = POPS_BUF_INIT;
	char *real = NULL;
	int error;

	*ds = NULL;
	if ((error = pops_path_join(&path, root ? root : ".", s->dataset)) < 0)
		goto done;
	if ((error = pops_confine_project_open(&real, path.ptr, root ? root : ".", s->dataset)) < 0) {
		if (error == POPS_ENOTFOUND)
			error = pops_error_set(POPS_ENOTFOUND, "%s: dataset '%s' not found", s->path,
			                       s->dataset);
		goto done;
	}
	error = pops_dataset_open(ds, real, s->dataset);
done:
	free(real);
	pops_buf_dispose(&path);
	return error;
}

int pops_judge_calib_each_case(const pops_suite *s, const char *root,
                               pops_judge_calib_case_fn fn, void *payload)
{
	pops_dataset *ds = NULL;
	pops_case c = POPS_CASE_INIT;
	const cJSON *row;
	int error = 0, got;

	if (s->dataset) {
		if ((error = open_dataset(&ds, s, root)) < 0)
			return error;
		while ((got = pops_dataset_next(ds, &c)) == 1)
			if ((error = case_judges(&c, fn, payload)) < 0)
				goto done;
		if (got < 0) {
			error = got;
			goto done;
		}
	}
	cJSON_ArrayForEach(row, s->tests) {
		pops_case_dispose(&c);
		if ((error = pops_case_from_json(&c, row, s->path, pops_suite_line(s, row))) < 0 ||
		    (error = case_judges(&c, fn, payload)) < 0)
			goto done;
	}
done:
	pops_case_dispose(&c);
	pops_dataset_free(ds);
	return error;
}
