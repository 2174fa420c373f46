#include "common.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "assertion_int.h"
#include "metrics_class.h"
#include "report.h"
#include "strutil.h"

/*
 * Labels in order of first sight; the matrix is POPS_CLASS_MAX_LABELS
 * square, counts[expected][predicted], so a new label never moves one.
 */
struct pops_class_metrics {
	char *labels[POPS_CLASS_MAX_LABELS];
	size_t nlabels;
	size_t cases;
	size_t counts[POPS_CLASS_MAX_LABELS][POPS_CLASS_MAX_LABELS];
};

int pops_class_new(pops_class_metrics **out)
{
	*out = calloc(1, sizeof(**out));
	POPS_CHECK_ALLOC(*out);
	return 0;
}

void pops_class_free(pops_class_metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nlabels; i++)
		free(m->labels[i]);
	free(m);
}

size_t pops_class_cases(const pops_class_metrics *m)
{
	return m->cases;
}

/* the index of `label`, added when new; -1 with the error set */
static long label_index(pops_class_metrics *m, const char *label)
{
	size_t i;

	for (i = 0; i < m->nlabels; i++)
		if (!strcmp(m->labels[i], label))
			return (long)i;
	if (m->nlabels == POPS_CLASS_MAX_LABELS) {
		pops_error_set(POPS_EINVALID, "more than %d distinct labels: does 'label' read the "
		               "class out of the output (a json-path such as $.category, or a regex "
		               "with one group)?", POPS_CLASS_MAX_LABELS);
		return -1;
	}
	if (!(m->labels[m->nlabels] = pops_strdup(label))) {
		pops_error_oom();
		return -1;
	}
	return (long)m->nlabels++;
}

int pops_class_add(pops_class_metrics *m, const char *expected, const char *predicted)
{
	long e = label_index(m, expected), p;

	if (e < 0)
		return pops_error_code();
	if ((p = label_index(m, predicted)) < 0)
		return pops_error_code();
	m->counts[e][p]++;
	m->cases++;
	return 0;
}

static int cmp_label(const void *a, const void *b, void *ctx)
{
	const pops_class_metrics *m = ctx;

	return strcmp(m->labels[*(const size_t *)a], m->labels[*(const size_t *)b]);
}

/* insertion sort: at most POPS_CLASS_MAX_LABELS items, and no qsort_r portability question */
static void sort_order(size_t *ord, const pops_class_metrics *m)
{
	size_t i, j;

	for (i = 0; i < m->nlabels; i++)
		ord[i] = i;
	for (i = 1; i < m->nlabels; i++)
		for (j = i; j > 0 && cmp_label(&ord[j - 1], &ord[j], (void *)m) > 0; j--) {
			size_t t = ord[j];

			ord[j] = ord[j - 1];
			ord[j - 1] = t;
		}
}

static double ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static double f1_of(double p, double r)
{
	return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

static cJSON *confusion(const pops_class_metrics *m, const size_t *ord)
{
	cJSON *c = cJSON_CreateObject(), *names, *matrix;
	size_t i, j;

	if (!c || !(names = cJSON_AddArrayToObject(c, "labels")) ||
	    !(matrix = cJSON_AddArrayToObject(c, "matrix")))
		goto oom;
	for (i = 0; i < m->nlabels; i++) {
		cJSON *row = cJSON_CreateArray();

		if (!row || !cJSON_AddItemToArray(matrix, row) ||
		    !cJSON_AddItemToArray(names, cJSON_CreateString(m->labels[ord[i]])))
			goto oom;
		for (j = 0; j < m->nlabels; j++)
			if (!cJSON_AddItemToArray(row, cJSON_CreateNumber((double)m->counts[ord[i]][ord[j]])))
				goto oom;
	}
	return c;
oom:
	cJSON_Delete(c);
	return NULL;
}

cJSON *pops_class_summary(const pops_class_metrics *m)
{
	cJSON *s = cJSON_CreateObject(), *labels, *conf;
	size_t ord[POPS_CLASS_MAX_LABELS];
	size_t i, j, tp_all = 0, macro_n = 0;
	double macro = 0;

	if (!s || !(labels = cJSON_AddArrayToObject(s, "labels")))
		goto oom;
	sort_order(ord, m);
	for (i = 0; i < m->nlabels; i++) {
		size_t k = ord[i], tp = m->counts[k][k], support = 0, predicted = 0;
		double p, r, f1;
		cJSON *o = cJSON_CreateObject();

		for (j = 0; j < m->nlabels; j++) {
			support += m->counts[k][j];
			predicted += m->counts[j][k];
		}
		p = ratio(tp, predicted);
		r = ratio(tp, support);
		f1 = f1_of(p, r);
		tp_all += tp;
		if (support) {
			macro += f1;
			macro_n++;
		}
		if (!o || !cJSON_AddItemToArray(labels, o) ||
		    !cJSON_AddStringToObject(o, "label", m->labels[k]) ||
		    !cJSON_AddNumberToObject(o, "precision", p) ||
		    !cJSON_AddNumberToObject(o, "recall", r) || !cJSON_AddNumberToObject(o, "f1", f1) ||
		    !cJSON_AddNumberToObject(o, "support", (double)support))
			goto oom;
	}
	/* one prediction per case: summed precision = summed recall = accuracy */
	if (!cJSON_AddNumberToObject(s, "macro_f1", macro_n ? macro / (double)macro_n : 0.0) ||
	    !cJSON_AddNumberToObject(s, "micro_f1", f1_of(ratio(tp_all, m->cases), ratio(tp_all, m->cases))) ||
	    !cJSON_AddNumberToObject(s, "accuracy", ratio(tp_all, m->cases)) ||
	    !(conf = confusion(m, ord)) || !cJSON_AddItemToObject(s, "confusion", conf))
		goto oom;
	return s;
oom:
	cJSON_Delete(s);
	return NULL;
}

static int put_trimmed(pops_buf *out, const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return pops_buf_set(out, s, len) < 0 ? pops_error_oom() : 1;
}

static int extract_path(pops_buf *out, const char *spec, const char *output, size_t len)
{
	cJSON *root = pops_assert__parse_output_json(output, len);
	const cJSON *v = root ? pops_assert__json_path(root, spec) : NULL;
	char *text = NULL;
	int got = 0;

	if (v && cJSON_IsString(v) && v->valuestring)
		got = put_trimmed(out, v->valuestring, strlen(v->valuestring));
	else if (v && (cJSON_IsNumber(v) || cJSON_IsBool(v))) {
		if (!(text = cJSON_PrintUnformatted(v)))
			got = pops_error_oom();
		else
			got = put_trimmed(out, text, strlen(text));
	}
	cJSON_free(text);
	cJSON_Delete(root);
	return got;
}

int pops_class_extract(pops_buf *out, const char *spec, const void *re,
                       const char *output, size_t len)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	int r, got = 0;

	pops_buf_clear(out);
	if (!re)
		return extract_path(out, spec, output, len);
	if (!(md = pcre2_match_data_create_from_pattern(re, NULL)))
		return pops_error_oom();
	r = pcre2_match(re, (PCRE2_SPTR)output, len, 0, 0, md, NULL);
	if (r > 0) {
		size_t g = r > 1 ? 1 : 0;

		ov = pcre2_get_ovector_pointer(md);
		if (ov[2 * g] != PCRE2_UNSET)
			got = put_trimmed(out, output + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
	pcre2_match_data_free(md);
	return got;
}

int pops_class_compile(void **re, const char *spec, const char *where)
{
	pcre2_code *c;
	uint32_t groups = 0;
	PCRE2_SIZE off;
	int errcode;

	*re = NULL;
	if (spec[0] == '$')
		return 0;
	c = pcre2_compile((PCRE2_SPTR)spec, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
	                  &errcode, &off, NULL);
	if (!c) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return pops_error_set(POPS_EINVALID, "%s: 'label' is neither a json-path ($.field) nor "
		                      "a valid regex: %s at offset %zu", where, (char *)msg, (size_t)off);
	}
	pcre2_pattern_info(c, PCRE2_INFO_CAPTURECOUNT, &groups);
	if (groups > 1) {
		pcre2_code_free(c);
		return pops_error_set(POPS_EINVALID, "%s: 'label' regex has %u groups: give it one, "
		                      "around the label (\"category: (\\\\w+)\")", where, (unsigned)groups);
	}
	pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	*re = c;
	return 0;
}

void pops_class_spec_free(void *re)
{
	pcre2_code_free(re);
}

static const cJSON *find_label(const cJSON *summary, const char *label)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(summary, "labels")) {
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(it, "label");

		if (cJSON_IsString(l) && !strcmp(l->valuestring, label))
			return it;
	}
	return NULL;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

int pops_class_gate(pops_buf *why, const cJSON *summary, double min_macro, const cJSON *min_f1)
{
	const cJSON *it;
	double macro = num(summary, "macro_f1");

	if (min_macro >= 0 && macro + 1e-12 < min_macro) {
		pops_buf_printf(why, "macro F1 %.2f is below threshold_macro_f1 %.2f", macro, min_macro);
		return 0;
	}
	cJSON_ArrayForEach(it, min_f1) {
		double f1 = num(find_label(summary, it->string), "f1");

		if (cJSON_IsNumber(it) && f1 + 1e-12 < it->valuedouble) {
			pops_buf_puts(why, "F1 of label '");
			pops_buf_put_sanitized(why, it->string, strlen(it->string), 0);
			pops_buf_printf(why, "' %.2f is below its min_f1 %.2f", f1, it->valuedouble);
			return 0;
		}
	}
	return 1;
}

static int add_delta(cJSON *arr, const char *label, const cJSON *now, const cJSON *before)
{
	double a = num(find_label(now, label), "f1"), b = num(find_label(before, label), "f1");
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return -1;
	}
	return cJSON_AddStringToObject(o, "label", label) && cJSON_AddNumberToObject(o, "f1", a) &&
	       cJSON_AddNumberToObject(o, "baseline_f1", b) &&
	       cJSON_AddNumberToObject(o, "delta", a - b) ? 0 : -1;
}

cJSON *pops_class_compare(const cJSON *now, const cJSON *before)
{
	cJSON *arr = cJSON_CreateArray();
	const cJSON *it;

	if (!arr)
		return NULL;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(now, "labels")) {
		const char *l = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "label"));

		if (l && add_delta(arr, l, now, before) < 0)
			goto oom;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(before, "labels")) {
		const char *l = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "label"));

		if (l && !find_label(now, l) && add_delta(arr, l, now, before) < 0)
			goto oom;
	}
	return arr;
oom:
	cJSON_Delete(arr);
	return NULL;
}

int pops_class_add_baseline(cJSON *summary, const cJSON *baseline)
{
	const cJSON *now = cJSON_GetObjectItemCaseSensitive(summary, "classification");
	const cJSON *before = cJSON_GetObjectItemCaseSensitive(baseline, "classification");
	cJSON *b = cJSON_GetObjectItemCaseSensitive(summary, "baseline"), *cmp;

	if (!cJSON_IsObject(now) || !cJSON_IsObject(before))
		return 0;
	if (!b && !(b = cJSON_AddObjectToObject(summary, "baseline")))
		return pops_error_oom();
	cJSON_DeleteItemFromObjectCaseSensitive(b, "classification");
	if (!(cmp = pops_class_compare(now, before)) || !cJSON_AddItemToObject(b, "classification", cmp)) {
		cJSON_Delete(cmp);
		return pops_error_oom();
	}
	return 0;
}

/* a table cell: one line, no column break */
static void md_cell(pops_buf *out, const char *s)
{
	pops_buf tmp = POPS_BUF_INIT;
	size_t i;

	pops_report_utf8_put(&tmp, s, strlen(s));
	for (i = 0; i < tmp.size; i++) {
		char c = tmp.ptr[i];

		if (c == '|')
			pops_buf_puts(out, "\\|");
		else if (c == '\n' || c == '\r')
			pops_buf_putc(out, ' ');
		else
			pops_buf_putc(out, c);
	}
	pops_buf_dispose(&tmp);
}

static const cJSON *delta_of(const cJSON *deltas, const char *label)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, deltas)
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "label")) ?
		            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "label")) : "", label))
			return it;
	return NULL;
}

static void md_labels(pops_buf *out, const cJSON *c, const cJSON *deltas)
{
	const cJSON *it;

	pops_buf_printf(out, "| label | precision | recall | F1 | support |%s\n|---|---|---|---|---|%s\n",
	                deltas ? " F1 vs baseline |" : "", deltas ? "---|" : "");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c, "labels")) {
		const char *l = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "label"));
		const cJSON *d = delta_of(deltas, l ? l : "");

		pops_buf_puts(out, "| ");
		md_cell(out, l ? l : "");
		pops_buf_printf(out, " | %.2f | %.2f | %.2f | %.0f |", num(it, "precision"),
		                num(it, "recall"), num(it, "f1"), num(it, "support"));
		if (deltas && d)
			pops_buf_printf(out, " %+.2f (was %.2f) |", num(d, "delta"), num(d, "baseline_f1"));
		else if (deltas)
			pops_buf_puts(out, " new |");
		pops_buf_putc(out, '\n');
	}
}

static void md_confusion(pops_buf *out, const cJSON *conf)
{
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(conf, "labels"), *it, *row, *n;
	int i = 0;

	pops_buf_puts(out, "\nConfusion matrix (rows: expected, columns: predicted):\n\n| |");
	cJSON_ArrayForEach(it, names) {
		pops_buf_putc(out, ' ');
		md_cell(out, cJSON_IsString(it) ? it->valuestring : "");
		pops_buf_puts(out, " |");
	}
	pops_buf_puts(out, "\n|---|");
	cJSON_ArrayForEach(it, names)
		pops_buf_puts(out, "---|");
	pops_buf_putc(out, '\n');
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(conf, "matrix")) {
		const cJSON *name = cJSON_GetArrayItem(names, i++);

		pops_buf_puts(out, "| **");
		md_cell(out, cJSON_IsString(name) ? name->valuestring : "");
		pops_buf_puts(out, "** |");
		cJSON_ArrayForEach(n, row)
			pops_buf_printf(out, " %.0f |", cJSON_IsNumber(n) ? n->valuedouble : 0.0);
		pops_buf_putc(out, '\n');
	}
}

void pops_class_md(pops_buf *out, const cJSON *summary)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(summary, "classification");
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(summary, "baseline");
	const cJSON *deltas = cJSON_GetObjectItemCaseSensitive(base, "classification");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "threshold_macro_f1");
	size_t cases = 0;
	const cJSON *it;

	if (!cJSON_IsObject(c))
		return;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c, "labels"))
		cases += (size_t)num(it, "support");
	pops_buf_puts(out, "\n### Classification: ");
	md_cell(out, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, "suite")) ?
	        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, "suite")) : "");
	pops_buf_puts(out, " on ");
	md_cell(out, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, "model")) ?
	        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, "model")) : "");
	pops_buf_printf(out, "\n\nMacro F1 **%.2f**", num(c, "macro_f1"));
	if (cJSON_IsNumber(t))
		pops_buf_printf(out, " (threshold %.2f)", t->valuedouble);
	pops_buf_printf(out, ", micro F1 %.2f, accuracy %.1f%% of %zu cases.\n\n",
	                num(c, "micro_f1"), 100 * num(c, "accuracy"), cases);
	md_labels(out, c, cJSON_IsArray(deltas) ? deltas : NULL);
	md_confusion(out, cJSON_GetObjectItemCaseSensitive(c, "confusion"));
}
