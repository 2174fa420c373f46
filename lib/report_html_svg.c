#include "common.h"
#include <math.h>
#include "jsonget.h"
#include "report.h"
#include "report_html_int.h"

#define BAR_W 120.0
#define HIST_BINS 20
#define HIST_W 100.0
#define HIST_H 32.0

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

void pops_html__wilson(pops_buf *b, double rate, double lo, double hi, double threshold)
{
	rate = clamp01(rate);
	lo = clamp01(lo);
	hi = clamp01(hi);
	pops_buf_printf(b, "<svg class=\"wilson\" width=\"%.0f\" height=\"14\" viewBox=\"0 0 %.0f 14\" "
	                "role=\"img\"><title>pass rate %.1f%%, 95%% Wilson interval %.1f–%.1f%%",
	                BAR_W, BAR_W, 100 * rate, 100 * lo, 100 * hi);
	if (threshold >= 0)
		pops_buf_printf(b, ", threshold %.1f%%", 100 * threshold);
	pops_buf_printf(b, "</title><rect class=\"bg\" x=\"0\" y=\"3\" width=\"%.0f\" height=\"8\"/>"
	                "<rect class=\"ci\" x=\"%.1f\" y=\"3\" width=\"%.1f\" height=\"8\"/>"
	                "<rect class=\"rate\" x=\"%.1f\" y=\"1\" width=\"2\" height=\"12\"/>",
	                BAR_W, lo * BAR_W, (hi - lo) * BAR_W, rate * (BAR_W - 2));
	if (threshold >= 0)
		pops_buf_printf(b, "<line class=\"thr\" x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"14\"/>",
		                clamp01(threshold) * BAR_W, clamp01(threshold) * BAR_W);
	pops_buf_puts(b, "</svg>");
}

/* one pass over the spool: the largest latency (binning) or the bin counts */
static int hist_pass(FILE *spool, double *max, size_t *bins)
{
	pops_buf line = POPS_BUF_INIT;
	cJSON *rec = NULL;
	int r;

	rewind(spool);
	while ((r = pops_report_spool_next(spool, &rec, &line)) == 1) {
		double ms = pops_json_num(rec, "latency_ms", -1.0);

		if (ms < 0 || !strcmp(pops_json_str(rec, "status", ""), "error"))
			continue;
		if (!bins) {
			*max = ms > *max ? ms : *max;
		} else {
			size_t i = *max > 0 ? (size_t)(ms / *max * HIST_BINS) : 0;

			bins[i < HIST_BINS ? i : HIST_BINS - 1]++;
		}
	}
	cJSON_Delete(rec);
	pops_buf_dispose(&line);
	rewind(spool);
	return r;
}

int pops_html__histogram(pops_buf *b, FILE *spool)
{
	size_t bins[HIST_BINS] = { 0 }, top = 0, i;
	double max = 0, bw = HIST_W / HIST_BINS;
	int r;

	if ((r = hist_pass(spool, &max, NULL)) < 0 || (r = hist_pass(spool, &max, bins)) < 0)
		return r;
	for (i = 0; i < HIST_BINS; i++)
		top = bins[i] > top ? bins[i] : top;
	pops_buf_printf(b, "<svg class=\"hist\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	                "role=\"img\"><title>latency histogram, 0–%.0f ms</title>",
	                HIST_W, HIST_H + 12, HIST_W, HIST_H + 12, max);
	for (i = 0; i < HIST_BINS && top; i++) {
		double h = (double)bins[i] / (double)top * HIST_H;

		if (!bins[i])
			continue;
		pops_buf_printf(b, "<rect class=\"bin\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
		                "<title>%.0f–%.0f ms: %zu</title></rect>",
		                (double)i * bw, HIST_H - h, bw - 1, h < 1 ? 1 : h,
		                max * (double)i / HIST_BINS, max * (double)(i + 1) / HIST_BINS, bins[i]);
	}
	pops_buf_printf(b, "<line class=\"axis\" x1=\"0\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
	                "<text x=\"0\" y=\"%.0f\">0</text>"
	                "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.0f ms</text></svg>",
	                HIST_H, HIST_W, HIST_H, HIST_H + 11, HIST_W, HIST_H + 11, max);
	return 0;
}

static void confusion(pops_buf *b, const cJSON *conf)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(conf, "labels"), *row, *l, *v;
	int i = 0;

	if (!cJSON_IsArray(labels))
		return;
	pops_buf_puts(b, "<table class=\"confusion\"><caption>confusion matrix (rows: expected, "
	                 "columns: predicted)</caption><thead><tr><th></th>");
	cJSON_ArrayForEach(l, labels) {
		pops_buf_puts(b, "<th>");
		pops_html__text(b, cJSON_IsString(l) ? l->valuestring : "?");
		pops_buf_puts(b, "</th>");
	}
	pops_buf_puts(b, "</tr></thead><tbody>");
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(conf, "matrix")) {
		const cJSON *name = cJSON_GetArrayItem(labels, i++);

		pops_buf_puts(b, "<tr><th>");
		pops_html__text(b, cJSON_IsString(name) ? name->valuestring : "?");
		pops_buf_puts(b, "</th>");
		cJSON_ArrayForEach(v, row)
			pops_buf_printf(b, "<td class=\"num\">%.0f</td>", cJSON_IsNumber(v) ? v->valuedouble : 0.0);
		pops_buf_puts(b, "</tr>");
	}
	pops_buf_puts(b, "</tbody></table>");
}

void pops_html__classification(pops_buf *b, const cJSON *cls)
{
	const cJSON *l;

	if (!cJSON_IsObject(cls))
		return;
	pops_buf_printf(b, "<h4>classification</h4><p class=\"kv\">accuracy %.3f · macro F1 %.3f · "
	                "micro F1 %.3f</p><table class=\"classes\"><thead><tr><th>label</th>"
	                "<th class=\"num\">precision</th><th class=\"num\">recall</th>"
	                "<th class=\"num\">F1</th><th class=\"num\">support</th></tr></thead><tbody>",
	                pops_json_num(cls, "accuracy", 0.0), pops_json_num(cls, "macro_f1", 0.0),
	                pops_json_num(cls, "micro_f1", 0.0));
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(cls, "labels")) {
		pops_buf_puts(b, "<tr><td>");
		pops_html__text(b, pops_json_str(l, "label", "?"));
		pops_buf_printf(b, "</td><td class=\"num\">%.3f</td><td class=\"num\">%.3f</td>"
		                "<td class=\"num\">%.3f</td><td class=\"num\">%.0f</td></tr>",
		                pops_json_num(l, "precision", 0.0), pops_json_num(l, "recall", 0.0),
		                pops_json_num(l, "f1", 0.0), pops_json_num(l, "support", 0.0));
	}
	pops_buf_puts(b, "</tbody></table>");
	confusion(b, cJSON_GetObjectItemCaseSensitive(cls, "confusion"));
}

/* ---- trend ---- */

#define TR_W 640.0
#define TR_H 160.0
#define TR_PAD 28.0

static double tr_x(int i, int n)
{
	return TR_PAD + (n > 1 ? (TR_W - 2 * TR_PAD) * i / (n - 1) : (TR_W - 2 * TR_PAD) / 2);
}

static double tr_y(double rate)
{
	return TR_PAD / 2 + (1 - clamp01(rate)) * (TR_H - TR_PAD * 1.5);
}

static void trend_chart(pops_buf *b, const cJSON *ws, int n)
{
	const cJSON *w;
	int i;

	pops_buf_printf(b, "<svg class=\"trend\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	                "role=\"img\"><title>pass rate per window with its 95%% Wilson band</title>",
	                TR_W, TR_H, TR_W, TR_H);
	pops_buf_puts(b, "<polygon class=\"band\" points=\"");
	for (i = 0; i < n; i++)
		pops_buf_printf(b, "%.1f,%.1f ", tr_x(i, n),
		                tr_y(pops_json_num(cJSON_GetArrayItem(ws, i), "ci_high", 0.0)));
	for (i = n; i-- > 0;)
		pops_buf_printf(b, "%.1f,%.1f ", tr_x(i, n),
		                tr_y(pops_json_num(cJSON_GetArrayItem(ws, i), "ci_low", 0.0)));
	pops_buf_puts(b, "\"/><polyline class=\"line\" points=\"");
	for (i = 0; i < n; i++)
		pops_buf_printf(b, "%.1f,%.1f ", tr_x(i, n),
		                tr_y(pops_json_num(cJSON_GetArrayItem(ws, i), "pass_rate", 0.0)));
	pops_buf_puts(b, "\"/>");
	i = 0;
	cJSON_ArrayForEach(w, ws) {
		int flagged = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "flagged"));

		pops_buf_printf(b, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\"><title>",
		                flagged ? "flag" : "rate", tr_x(i, n),
		                tr_y(pops_json_num(w, "pass_rate", 0.0)), flagged ? 5 : 3);
		pops_html__text(b, pops_json_str(w, "start", ""));
		pops_buf_printf(b, ": %.1f%%%s</title></circle>", 100 * pops_json_num(w, "pass_rate", 0.0),
		                flagged ? ", flagged: a significant drop" : "");
		i++;
	}
	pops_buf_printf(b, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>"
	                "<text x=\"2\" y=\"%.1f\">100%%</text><text x=\"2\" y=\"%.1f\">0%%</text>",
	                TR_PAD, tr_y(0), TR_W - TR_PAD, tr_y(0), tr_y(1) + 4, tr_y(0));
	if (n) {
		pops_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\">", TR_PAD, TR_H - 2);
		pops_html__text(b, pops_json_str(cJSON_GetArrayItem(ws, 0), "start", ""));
		pops_buf_printf(b, "</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", TR_W - TR_PAD,
		                TR_H - 2);
		pops_html__text(b, pops_json_str(cJSON_GetArrayItem(ws, n - 1), "start", ""));
		pops_buf_puts(b, "</text>");
	}
	pops_buf_puts(b, "</svg>");
}

void pops_html__trend_series(pops_buf *b, const cJSON *series)
{
	const cJSON *ws = cJSON_GetObjectItemCaseSensitive(series, "windows"), *w;
	int n = cJSON_IsArray(ws) ? cJSON_GetArraySize(ws) : 0;

	pops_buf_puts(b, "<section class=\"series\"><h2>");
	pops_html__text(b, pops_json_str(series, "suite", ""));
	pops_buf_puts(b, " <span class=\"muted\">");
	pops_html__text(b, pops_json_str(series, "prompt", ""));
	pops_buf_puts(b, "</span></h2>");
	trend_chart(b, ws, n);
	pops_buf_puts(b, "<table class=\"windows\"><thead><tr><th>window</th><th class=\"num\">cases</th>"
	                 "<th class=\"num\">passed</th><th class=\"num\">failed</th>"
	                 "<th class=\"num\">errors</th><th class=\"num\">pass rate</th><th>95% CI</th>"
	                 "<th>flagged</th></tr></thead><tbody>");
	cJSON_ArrayForEach(w, ws) {
		pops_buf_puts(b, "<tr><td>");
		pops_html__text(b, pops_json_str(w, "start", ""));
		pops_buf_printf(b, "</td><td class=\"num\">%.0f</td><td class=\"num\">%.0f</td>"
		                "<td class=\"num\">%.0f</td><td class=\"num\">%.0f</td>"
		                "<td class=\"num\">%.1f%%</td><td>%.1f–%.1f%%</td><td>%s</td></tr>",
		                pops_json_num(w, "cases", 0.0), pops_json_num(w, "passed", 0.0),
		                pops_json_num(w, "failed", 0.0), pops_json_num(w, "errors", 0.0),
		                100 * pops_json_num(w, "pass_rate", 0.0), 100 * pops_json_num(w, "ci_low", 0.0),
		                100 * pops_json_num(w, "ci_high", 0.0),
		                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "flagged")) ? "yes" : "");
	}
	pops_buf_puts(b, "</tbody></table></section>");
}
