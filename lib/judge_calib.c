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
