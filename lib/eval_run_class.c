#include "common.h"
#include "eval_run_int.h"
#include "metrics_class.h"
#include "report.h"
#include "jsonget.h"

/*
 * Classification metrics of a run (the suite's metrics.classification):
 * each scored record gets its "label" (read from the output) and
 * "expected_label" (the suite's template expanded), counted into
 * r->cls; the summary gets the metrics and their gate.
 */

/* {vars..., expected} of a record, for the expected label's template; borrowed items */
static cJSON *record_scope(const cJSON *rec)
{
	cJSON *scope = cJSON_CreateObject();
	const cJSON *it, *exp = cJSON_GetObjectItemCaseSensitive(rec, "expected");

	if (!scope)
		return NULL;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rec, "vars"))
		if (!cJSON_AddItemReferenceToObject(scope, it->string, (cJSON *)it))
			goto oom;
	if (exp && !cJSON_AddItemReferenceToObject(scope, "expected", (cJSON *)exp))
		goto oom;
	return scope;
oom:
	cJSON_Delete(scope);
	return NULL;
}

int pops_eval__classify(struct runner *r, cJSON *rec)
{
	const pops_suite_class *sc = &r->s->cls;
	const char *out = pops_json_str(rec, "output", NULL);
	pops_buf want = POPS_BUF_INIT, got = POPS_BUF_INIT;
	cJSON *scope = NULL;
	int error, found;

	if (!sc->label || !out || !strcmp(pops_json_str(rec, "status", "error"), "error"))
		return 0;
	if (!r->cls && (error = pops_class_new(&r->cls)) < 0)
		return error;
	if (!(scope = record_scope(rec)) || pops_assert_expand(&want, sc->expected, scope) < 0) {
		error = pops_error_oom();
		goto done;
	}
	if ((found = pops_class_extract(&got, sc->label, sc->re, out, strlen(out))) < 0) {
		error = found;
		goto done;
	}
	if (!want.size) {
		/* no true label: nothing to score it against */
		r->cls_unlabelled++;
		error = 0;
		goto done;
	}
	if ((error = pops_class_add(r->cls, want.ptr, found ? got.ptr : POPS_CLASS_NONE)) < 0) {
		error = pops_error_prefix(error, "%s: metrics.classification: ", r->s->path);
		goto done;
	}
	error = cJSON_AddStringToObject(rec, "label", found ? got.ptr : POPS_CLASS_NONE) &&
	        cJSON_AddStringToObject(rec, "expected_label", want.ptr) ? 0 : pops_error_oom();
done:
	cJSON_Delete(scope);
	pops_buf_dispose(&want);
	pops_buf_dispose(&got);
	return error;
}

int pops_eval__class_summary(cJSON *s, struct runner *r)
{
	const pops_suite_class *sc = &r->s->cls;
	pops_buf why = POPS_BUF_INIT;
	cJSON *c;
	int error = 0;

	if (!sc->label)
		return 0;
	if (!r->cls && (error = pops_class_new(&r->cls)) < 0)
		return error;
	if (!(c = pops_class_summary(r->cls)) || !cJSON_AddItemToObject(s, "classification", c)) {
		cJSON_Delete(c);
		return pops_error_oom();
	}
	if (r->cls_unlabelled)
		cJSON_AddNumberToObject(c, "unlabelled", (double)r->cls_unlabelled);
	if (sc->threshold_macro_f1 >= 0)
		cJSON_AddNumberToObject(c, "threshold_macro_f1", sc->threshold_macro_f1);
	if (sc->min_f1)
		cJSON_AddItemToObject(c, "min_f1", cJSON_Duplicate(sc->min_f1, 1));
	/* the metrics gate beside the pass rate: a passing suite can still fail here */
	if (!strcmp(pops_json_str(s, "verdict", ""), "pass") &&
	    !pops_class_gate(&why, c, sc->threshold_macro_f1, sc->min_f1)) {
		cJSON_ReplaceItemInObjectCaseSensitive(s, "verdict", cJSON_CreateString("fail"));
		cJSON_DeleteItemFromObjectCaseSensitive(s, "reason");
		cJSON_AddStringToObject(s, "reason", why.ptr);
	}
	if (pops_buf_oom(&why))
		error = pops_error_oom();
	pops_buf_dispose(&why);
	return error;
}
