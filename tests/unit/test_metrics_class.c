#include "unit.h"
#include <math.h>
#include "common.h"
#include "metrics_class.h"

#define NEAR(a, b) CHECK(fabs((a) - (b)) < 1e-9)

static double field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -99;
}

static const cJSON *label(const cJSON *s, size_t i)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "labels"), (int)i);
}

/*
 * By hand: expected a,a,a,a,b,b,b,c,c predicted a,a,a,b,a,b,b,c,(none).
 * a: tp 3 of 4 predicted, 4 expected: P = R = F1 = 0.75.
 * b: tp 2 of 3 and 3: 2/3 each. c: tp 1 of 1 predicted, 2 expected:
 * P 1, R 0.5, F1 2/3. (none): never expected, F1 0, support 0.
 * Macro F1 over labels with support: (0.75 + 2/3 + 2/3) / 3; accuracy
 * and micro F1 6/9.
 */
TEST(class_metrics_match_hand_computed)
{
	static const char *const pairs[][2] = {
		{ "a", "a" }, { "a", "a" }, { "a", "a" }, { "a", "b" }, { "b", "a" },
		{ "b", "b" }, { "b", "b" }, { "c", "c" }, { "c", POPS_CLASS_NONE },
	};
	pops_class_metrics *m = NULL;
	cJSON *s, *conf;
	char *mat;
	size_t i;

	CHECK(pops_class_new(&m) == 0);
	for (i = 0; i < POPS_ARRAY_SIZE(pairs); i++)
		CHECK(pops_class_add(m, pairs[i][0], pairs[i][1]) == 0);
	CHECK(pops_class_cases(m) == 9);
	CHECK((s = pops_class_summary(m)) != NULL);
	NEAR(field(s, "accuracy"), 6.0 / 9.0);
	NEAR(field(s, "micro_f1"), 6.0 / 9.0);
	NEAR(field(s, "macro_f1"), (0.75 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0);
	CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(label(s, 0), "label")), "(none)"));
	NEAR(field(label(s, 0), "support"), 0);
	NEAR(field(label(s, 0), "f1"), 0);
	NEAR(field(label(s, 1), "precision"), 0.75);
	NEAR(field(label(s, 1), "recall"), 0.75);
	NEAR(field(label(s, 1), "support"), 4);
	NEAR(field(label(s, 2), "f1"), 2.0 / 3.0);
	NEAR(field(label(s, 3), "precision"), 1.0);
	NEAR(field(label(s, 3), "recall"), 0.5);
	NEAR(field(label(s, 3), "f1"), 2.0 / 3.0);
	conf = cJSON_GetObjectItemCaseSensitive(s, "confusion");
	mat = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(conf, "matrix"));
	/* rows expected, columns predicted, both (none), a, b, c */
	CHECK(!strcmp(mat, "[[0,0,0,0],[0,3,1,0],[0,1,2,0],[1,0,0,1]]"));
	cJSON_free(mat);
	cJSON_Delete(s);
	pops_class_free(m);
}

TEST(class_gate_and_compare)
{
	pops_class_metrics *m = NULL, *b = NULL;
	cJSON *s, *bs, *min, *cmp;
	pops_buf why = POPS_BUF_INIT;

	CHECK(pops_class_new(&m) == 0 && pops_class_new(&b) == 0);
	CHECK(pops_class_add(m, "x", "x") == 0 && pops_class_add(m, "y", "x") == 0);
	CHECK(pops_class_add(b, "x", "x") == 0 && pops_class_add(b, "y", "y") == 0);
	s = pops_class_summary(m);
	bs = pops_class_summary(b);
	/* x: P 1/2 R 1 F1 2/3; y: 0; macro 1/3 */
	CHECK(pops_class_gate(&why, s, 0.3, NULL) == 1);
	CHECK(pops_class_gate(&why, s, 0.5, NULL) == 0);
	CHECK(strstr(why.ptr, "macro F1 0.33 is below threshold_macro_f1 0.50") != NULL);
	min = cJSON_Parse("{\"x\": 0.6, \"y\": 0.1}");
	pops_buf_clear(&why);
	CHECK(pops_class_gate(&why, s, -1, min) == 0);
	CHECK(strstr(why.ptr, "label 'y' 0.00 is below its min_f1 0.10") != NULL);
	cmp = pops_class_compare(s, bs);
	CHECK(cJSON_GetArraySize(cmp) == 2);
	NEAR(field(cJSON_GetArrayItem(cmp, 1), "delta"), -1.0);
	NEAR(field(cJSON_GetArrayItem(cmp, 0), "baseline_f1"), 1.0);
	cJSON_Delete(cmp);
	cJSON_Delete(min);
	cJSON_Delete(s);
	cJSON_Delete(bs);
	pops_buf_dispose(&why);
	pops_class_free(m);
	pops_class_free(b);
}

TEST(class_extract_path_and_regex)
{
	pops_buf out = POPS_BUF_INIT;
	void *re = NULL;
	const char *j = "```json\n{\"category\": \" billing \", \"n\": 3}\n```";

	CHECK(pops_class_compile(&re, "$.category", "t.yaml:1") == 0 && re == NULL);
	CHECK(pops_class_extract(&out, "$.category", NULL, j, strlen(j)) == 1);
	CHECK(!strcmp(out.ptr, "billing"));
	CHECK(pops_class_extract(&out, "$.n", NULL, j, strlen(j)) == 1 && !strcmp(out.ptr, "3"));
	CHECK(pops_class_extract(&out, "$.none", NULL, j, strlen(j)) == 0);
	CHECK(pops_class_extract(&out, "$.category", NULL, "not json", 8) == 0);
	CHECK(pops_class_compile(&re, "Label: (\\w+)", "t.yaml:1") == 0 && re);
	CHECK(pops_class_extract(&out, NULL, re, "x\nLabel: spam\n", 14) == 1);
	CHECK(!strcmp(out.ptr, "spam"));
	CHECK(pops_class_extract(&out, NULL, re, "nothing", 7) == 0);
	pops_class_spec_free(re);
	CHECK(pops_class_compile(&re, "(a)(b)", "t.yaml:4") == POPS_EINVALID);
	CHECK(strstr(pops_error_last(), "t.yaml:4: 'label' regex has 2 groups") != NULL);
	CHECK(pops_class_compile(&re, "(", "t.yaml:5") == POPS_EINVALID);
	pops_buf_dispose(&out);
}

TEST(class_label_cap)
{
	pops_class_metrics *m = NULL;
	char l[16];
	int i;

	CHECK(pops_class_new(&m) == 0);
	for (i = 0; i < POPS_CLASS_MAX_LABELS; i++) {
		snprintf(l, sizeof(l), "l%d", i);
		CHECK(pops_class_add(m, l, l) == 0);
	}
	CHECK(pops_class_add(m, "l0", "new") == POPS_EINVALID);
	CHECK(strstr(pops_error_last(), "more than 200 distinct labels") != NULL);
	CHECK(pops_class_cases(m) == POPS_CLASS_MAX_LABELS);
	pops_class_free(m);
}
