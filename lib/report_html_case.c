#include "common.h"
#include <stdint.h>
#include "jsonget.h"
#include "report.h"
#include "report_html_int.h"

/* texts whose word counts multiply past this are not diffed (time and memory) */
#define DIFF_MAX_CELLS (1024u * 1024u)

void pops_html__text(pops_buf *b, const char *s)
{
	if (s)
		pops_report_xml_escape(b, s, strlen(s), 0);
}

void pops_html__attr(pops_buf *b, const char *s)
{
	if (s)
		pops_report_xml_escape(b, s, strlen(s), 1);
}

void pops_html__json(pops_buf *b, const cJSON *v)
{
	char *s;

	if (!v)
		return;
	if (!(s = cJSON_PrintUnformatted(v))) {
		pops_buf_puts(b, "(out of memory)");
		return;
	}
	pops_html__text(b, s);
	free(s);
}

static void frag_part(pops_buf *b, const char *s)
{
	static const char safe[] = "._~!$()*+,;=:@/-";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr(safe, *p))
			pops_buf_putc(b, *p);
		else
			pops_buf_printf(b, "%%%02X", *p);
}

void pops_html__frag(pops_buf *b, const char *suite, const char *id, int repeat)
{
	frag_part(b, suite);
	if (*id)
		pops_buf_putc(b, '/');
	frag_part(b, id);
	if (repeat > 1)
		pops_buf_printf(b, "~%d", repeat);
}

static void output(pops_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > POPS_HTML_COLLAPSE) {
		pops_buf_printf(b, "<details class=\"long\"><summary>output, %.1f KB</summary><pre>",
		                (double)n / 1024);
		pops_html__text(b, s);
		pops_buf_puts(b, "</pre></details>");
		return;
	}
	pops_buf_puts(b, "<pre>");
	pops_html__text(b, s);
	pops_buf_puts(b, "</pre>");
}

/* ---- word diff: LCS over tokens, each a word or a run of white space ---- */

struct word {
	const char *p;
	size_t n;
};

static struct word *split_words(const char *s, size_t *n)
{
	size_t cap = 16, k = 0;
	struct word *w = malloc(cap * sizeof(*w));

	while (w && *s) {
		const char *start = s;
		int space = strchr(" \t\r\n", *s) != NULL;

		while (*s && (strchr(" \t\r\n", *s) != NULL) == space)
			s++;
		if (k == cap) {
			struct word *nw = realloc(w, (cap *= 2) * sizeof(*w));

			if (!nw) {
				free(w);
				return NULL;
			}
			w = nw;
		}
		w[k].p = start;
		w[k++].n = (size_t)(s - start);
	}
	*n = k;
	return w;
}

static int word_eq(const struct word *a, const struct word *b)
{
	return a->n == b->n && !memcmp(a->p, b->p, a->n);
}

/* append a token inside `tag` (NULL: common text), merging runs of one tag */
static void diff_piece(pops_buf *b, const char **open, const char *tag, const struct word *w)
{
	if (*open != tag) {
		if (*open)
			pops_buf_printf(b, "</%s>", *open);
		if (tag)
			pops_buf_printf(b, "<%s>", tag);
		*open = tag;
	}
	if (w)
		pops_report_xml_escape(b, w->p, w->n, 0);
}

static void diff_walk(pops_buf *b, const struct word *a, size_t na, const struct word *c, size_t nc,
                      const uint32_t *t)
{
	size_t i = 0, j = 0, w = nc + 1;
	const char *open = NULL;

	/* t[i*w+j]: LCS length of a[i..] and c[j..]; removals before additions */
	while (i < na || j < nc) {
		if (i < na && j < nc && word_eq(&a[i], &c[j])) {
			diff_piece(b, &open, NULL, &a[i++]);
			j++;
		} else if (i < na && (j == nc || t[(i + 1) * w + j] >= t[i * w + j + 1])) {
			diff_piece(b, &open, "del", &a[i++]);
		} else {
			diff_piece(b, &open, "ins", &c[j++]);
		}
	}
	diff_piece(b, &open, NULL, NULL);
}

void pops_html__diff(pops_buf *b, const char *a, const char *b2)
{
	size_t na = 0, nc = 0, i, j, w;
	struct word *wa = split_words(a, &na), *wc = split_words(b2, &nc);
	uint32_t *t = NULL;

	if (!wa || !wc || (na + 1) * (nc + 1) > DIFF_MAX_CELLS ||
	    !(t = calloc((na + 1) * (nc + 1), sizeof(*t)))) {
		pops_buf_puts(b, "<span class=\"note\">too long to diff word by word</span>");
		goto done;
	}
	w = nc + 1;
	for (i = na; i-- > 0;)
		for (j = nc; j-- > 0;)
			t[i * w + j] = word_eq(&wa[i], &wc[j]) ? t[(i + 1) * w + j + 1] + 1 :
			               t[(i + 1) * w + j] > t[i * w + j + 1] ? t[(i + 1) * w + j] :
			               t[i * w + j + 1];
	diff_walk(b, wa, na, wc, nc, t);
done:
	free(t);
	free(wa);
	free(wc);
}

const char *pops_html__baseline_output(const cJSON *rec)
{
	const cJSON *it, *base = cJSON_GetObjectItemCaseSensitive(rec, "baseline");

	if (pops_json_str(base, "output", NULL))
		return pops_json_str(base, "output", NULL);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rec, "asserts")) {
		const char *s = pops_json_str(it, "baseline_output", NULL);

		if (s)
			return s;
	}
	return NULL;
}

int pops_html__baseline_flip(const cJSON *rec)
{
	const char *was = pops_json_str(cJSON_GetObjectItemCaseSensitive(rec, "baseline"), "status", "");
	const char *now = pops_json_str(rec, "status", "");

	return (!strcmp(was, "pass") && !strcmp(now, "fail")) ||
	       (!strcmp(was, "fail") && !strcmp(now, "pass"));
}

/* ---- one result ---- */

/* the baseline's result of the case, when the record has it */
static void baseline_line(pops_buf *b, const cJSON *rec)
{
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(rec, "baseline");
	const char *st = pops_json_str(base, "status", "?");

	if (!cJSON_IsObject(base))
		return;
	pops_buf_puts(b, "<div class=\"kv baseline\">baseline: <span class=\"st st-");
	pops_html__attr(b, st);
	pops_buf_puts(b, "\">");
	pops_html__text(b, st);
	pops_buf_puts(b, "</span>");
	if (pops_html__baseline_flip(rec)) {
		pops_buf_puts(b, " <span class=\"flipmark\">");
		pops_html__text(b, st);
		pops_buf_puts(b, " → ");
		pops_html__text(b, pops_json_str(rec, "status", ""));
		pops_buf_puts(b, "</span>");
	}
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(base, "score")))
		pops_buf_printf(b, " · score %.2f", pops_json_num(base, "score", 0.0));
	if (!pops_json_str(base, "output", NULL) && strcmp(st, "error"))
		pops_buf_puts(b, " · its output is not in this report (stored evidence keeps pass/fail only)");
	pops_buf_puts(b, "</div>");
}

static void numbers_line(pops_buf *b, const cJSON *rec)
{
	const char *st = pops_json_str(rec, "status", "");
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(rec, "cost_usd");

	pops_buf_puts(b, "<div class=\"kv\"><span class=\"st st-");
	pops_html__attr(b, st);
	pops_buf_puts(b, "\">");
	pops_html__text(b, st);
	pops_buf_printf(b, "</span> %.0f ms", pops_json_num(rec, "latency_ms", 0.0));
	if (cJSON_IsNumber(cost))
		pops_buf_printf(b, " · $%.4f", cost->valuedouble);
	pops_buf_printf(b, " · %.0f→%.0f tok", pops_json_num(rec, "input_tokens", 0.0),
	                pops_json_num(rec, "output_tokens", 0.0));
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "cached")))
		pops_buf_puts(b, " · cached");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "batch")))
		pops_buf_puts(b, " · batch");
	pops_buf_puts(b, "</div>");
}

static void judges(pops_buf *b, const cJSON *a)
{
	const cJSON *j, *list = cJSON_GetObjectItemCaseSensitive(a, "judges");

	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list))
		return;
	pops_buf_puts(b, "<ul class=\"asserts judges\">");
	cJSON_ArrayForEach(j, list) {
		int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "pass"));

		pops_buf_printf(b, "<li class=\"%s\">%s judge ", ok ? "ok" : "no", ok ? "✓" : "✗");
		pops_html__text(b, pops_json_str(j, "model", "?"));
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "score")))
			pops_buf_printf(b, " (%.2f)", pops_json_num(j, "score", 0.0));
		pops_buf_puts(b, ": <span class=\"r\">");
		pops_html__text(b, pops_json_str(j, "reason", ""));
		pops_buf_puts(b, "</span></li>");
	}
	pops_buf_puts(b, "</ul>");
}

static void asserts(pops_buf *b, const cJSON *rec)
{
	const cJSON *a, *list = cJSON_GetObjectItemCaseSensitive(rec, "asserts");

	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list))
		return;
	pops_buf_puts(b, "<ul class=\"asserts\">");
	cJSON_ArrayForEach(a, list) {
		int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "pass"));
		const char *why = pops_json_str(a, "reason", "");

		pops_buf_printf(b, "<li class=\"%s\">%s ", ok ? "ok" : "no", ok ? "✓" : "✗");
		pops_html__text(b, pops_json_str(a, "type", "assertion"));
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(a, "score")))
			pops_buf_printf(b, " (%.2f)", pops_json_num(a, "score", 0.0));
		if (pops_json_str(a, "aggregate", NULL)) {
			pops_buf_puts(b, " ");
			pops_html__text(b, pops_json_str(a, "aggregate", NULL));
		}
		if (why[0]) {
			pops_buf_puts(b, ": <span class=\"r\">");
			pops_html__text(b, why);
			pops_buf_puts(b, "</span>");
		}
		judges(b, a);
		pops_buf_puts(b, "</li>");
	}
	pops_buf_puts(b, "</ul>");
}

static void tool_calls(pops_buf *b, const cJSON *rec)
{
	const cJSON *t, *list = cJSON_GetObjectItemCaseSensitive(rec, "tool_calls");

	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list))
		return;
	pops_buf_puts(b, "<div class=\"kv\">tool calls:</div><ul class=\"tools\">");
	cJSON_ArrayForEach(t, list) {
		const cJSON *args = cJSON_GetObjectItemCaseSensitive(t, "arguments");

		pops_buf_puts(b, "<li><code>");
		pops_html__text(b, pops_json_str(t, "name", "?"));
		pops_buf_puts(b, "(");
		if (cJSON_IsString(args))
			pops_html__text(b, args->valuestring);
		else
			pops_html__json(b, args);
		pops_buf_puts(b, ")</code></li>");
	}
	pops_buf_puts(b, "</ul>");
}

static void messages(pops_buf *b, const cJSON *rec)
{
	const cJSON *m, *list = cJSON_GetObjectItemCaseSensitive(rec, "messages");

	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list))
		return;
	pops_buf_printf(b, "<details><summary>conversation, %d earlier turns</summary>",
	                cJSON_GetArraySize(list));
	cJSON_ArrayForEach(m, list) {
		pops_buf_puts(b, "<div class=\"kv\">");
		pops_html__text(b, pops_json_str(m, "role", "?"));
		pops_buf_puts(b, "</div><pre>");
		pops_html__text(b, pops_json_str(m, "content", ""));
		pops_buf_puts(b, "</pre>");
	}
	pops_buf_puts(b, "</details>");
}

static void kv_json(pops_buf *b, const char *name, const cJSON *v)
{
	if (!v || cJSON_IsNull(v) || ((cJSON_IsObject(v) || cJSON_IsArray(v)) && !v->child))
		return;
	pops_buf_printf(b, "<div class=\"kv\">%s: <code>", name);
	if (cJSON_IsString(v))
		pops_html__text(b, v->valuestring);
	else
		pops_html__json(b, v);
	pops_buf_puts(b, "</code></div>");
}

static void why_line(pops_buf *b, const cJSON *rec)
{
	pops_buf why = POPS_BUF_INIT;
	size_t more;

	if (!strcmp(pops_json_str(rec, "status", ""), "pass"))
		return;
	pops_report_why(&why, rec, 0, &more);
	if (why.size) {
		pops_buf_puts(b, "<div class=\"why\">");
		pops_html__text(b, why.ptr);
		pops_buf_puts(b, "</div>");
	}
	if (pops_buf_oom(&why))
		pops_buf_puts(b, "(out of memory)");
	pops_buf_dispose(&why);
}

void pops_html__result(pops_buf *b, const cJSON *rec, int numbers, const char *base,
                       const char *base_name)
{
	const char *out = pops_json_str(rec, "output", NULL);

	if (numbers)
		numbers_line(b, rec);
	why_line(b, rec);
	baseline_line(b, rec);
	messages(b, rec);
	if (out)
		output(b, out);
	if (base && out && strcmp(base, out)) {
		/* a flip's diff is what a reviewer came for: open */
		pops_buf_printf(b, "<details class=\"diff\"%s><summary>diff against ",
		                pops_html__baseline_flip(rec) && base == pops_html__baseline_output(rec) ?
		                " open" : "");
		pops_html__text(b, base_name);
		pops_buf_puts(b, "</summary><pre>");
		pops_html__diff(b, base, out);
		pops_buf_puts(b, "</pre></details>");
	}
	asserts(b, rec);
	tool_calls(b, rec);
	if (pops_json_str(rec, "label", NULL) || pops_json_str(rec, "expected_label", NULL)) {
		pops_buf_puts(b, "<div class=\"kv\">label <code>");
		pops_html__text(b, pops_json_str(rec, "label", "(none)"));
		pops_buf_puts(b, "</code>, expected <code>");
		pops_html__text(b, pops_json_str(rec, "expected_label", "(none)"));
		pops_buf_puts(b, "</code></div>");
	}
	kv_json(b, "vars", cJSON_GetObjectItemCaseSensitive(rec, "vars"));
	kv_json(b, "meta", cJSON_GetObjectItemCaseSensitive(rec, "meta"));
	kv_json(b, "source", cJSON_GetObjectItemCaseSensitive(rec, "source"));
}
