#include "common.h"
#include "report.h"
#include "metrics_class.h"
#include "strutil.h"
#include "jsonget.h"

#define MD_MAX_FAILURES 10
/* a case's reasons, all its failed assertions: longer than a cell, still bounded */
#define MD_MAX_REASONS 2000

/*
 * table cells: one line, no pipes, no control characters, valid UTF-8
 * (a reason can quote model output), cut at 160 bytes on a character
 * boundary
 */
static void cell_max(pops_buf *b, const char *s, size_t max)
{
	size_t n = strcspn(s, "\r\n"), i, cut = n > max ? max : n;
	pops_buf t = POPS_BUF_INIT;

	/* a character is at most 4 bytes: back up at most 3 */
	for (i = 0; i < 3 && cut < n && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80; i++)
		cut--;
	for (i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '|')
			pops_buf_puts(&t, "\\|");
		else if (c < 0x20 || c == 0x7f)
			pops_buf_putc(&t, '?');
		else
			pops_buf_putc(&t, c);
	}
	pops_report_utf8_put(b, t.ptr, t.size);
	pops_buf_dispose(&t);
	if (n > cut)
		pops_buf_puts(b, "...");
}

static void cell(pops_buf *b, const char *s)
{
	cell_max(b, s, 160);
}

/* groups that failed their gate come first: a reviewer reads those */
static int bad(const cJSON *s)
{
	return strcmp(pops_json_str(s, "verdict", ""), "pass") != 0;
}

int pops_report_md(const char *path, const pops_report_group *g, size_t n,
                   int complete)
{
	pops_report_file rf;
	pops_buf b = POPS_BUF_INIT, line = POPS_BUF_INIT, all = POPS_BUF_INIT;
	cJSON *rec = NULL;
	size_t i, more;
	int error, pass, r;

	if ((error = pops_report_file_open(&rf, path)) < 0)
		return error;
	pops_buf_puts(&b, "## pops eval\n\n");
	if (!complete)
		pops_buf_puts(&b, "**Incomplete run**: interrupted or stopped by the budget.\n\n");
	pops_buf_puts(&b, "| | suite | model | pass rate | 95% CI | cases | failed | errors | cost | p50 latency |\n"
	                  "|---|---|---|---|---|---|---|---|---|---|\n");
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			const cJSON *s = g[i].summary, *cost = cJSON_GetObjectItemCaseSensitive(s, "cost_usd");

			if (bad(s) != !pass)
				continue;
			pops_buf_printf(&b, "| %s | ", bad(s) ? "❌" : "✅");
			cell(&b, pops_json_str(s, "suite", ""));
			pops_buf_puts(&b, " | ");
			cell(&b, pops_json_str(s, "model", ""));
			pops_buf_printf(&b, " | %.1f%% | %.1f–%.1f%% | %.0f | %.0f | %.0f | ",
			                100 * pops_json_num(s, "pass_rate", 0.0),
			                100 * pops_json_num(s, "ci_low", 0.0),
			                100 * pops_json_num(s, "ci_high", 0.0),
			                pops_json_num(s, "cases", 0.0),
			                pops_json_num(s, "failed", 0.0),
			                pops_json_num(s, "errors", 0.0));
			if (cJSON_IsNumber(cost))
				pops_buf_printf(&b, "$%.4f", cost->valuedouble);
			else
				pops_buf_puts(&b, "unpriced");
			pops_buf_printf(&b, " | %.0f ms |\n", pops_json_num(s, "latency_p50", 0.0));
		}
	for (i = 0; i < n; i++)
		pops_class_md(&b, g[i].summary);
	for (i = 0; i < n; i++) {
		const cJSON *s = g[i].summary, *base = cJSON_GetObjectItemCaseSensitive(s, "baseline");
		size_t shown = 0;

		if (bad(s) || cJSON_IsObject(base) || pops_json_num(s, "failed", 0.0) ||
		    pops_json_num(s, "errors", 0.0)) {
			pops_buf_puts(&b, "\n### ");
			cell(&b, pops_json_str(s, "suite", ""));
			pops_buf_puts(&b, " on ");
			cell(&b, pops_json_str(s, "model", ""));
			pops_buf_puts(&b, "\n\n");
			if (pops_json_str(s, "reason", "")[0]) {
				cell(&b, pops_json_str(s, "reason", ""));
				pops_buf_puts(&b, "\n\n");
			}
			if (cJSON_IsObject(base) && pops_json_str(base, "note", "")[0]) {
				cell(&b, pops_json_str(base, "note", ""));
				pops_buf_puts(&b, "\n\n");
			} else if (cJSON_IsObject(base)) {
				pops_buf_puts(&b, "Baseline ");
				cell(&b, pops_json_str(base, "ref", ""));
				pops_buf_printf(&b,
				                ": %.0f newly failing, %.0f newly passing, "
				                "McNemar p = %.3g: **%s**.\n\n",
				                pops_json_num(base, "newly_failing", 0.0),
				                pops_json_num(base, "newly_passing", 0.0),
				                pops_json_num(base, "p_value", 0.0),
				                pops_json_str(base, "verdict", ""));
			}
		}
		if (!pops_json_num(s, "failed", 0.0) && !pops_json_num(s, "errors", 0.0))
			continue;
		pops_buf_puts(&b, "| case | status | reason |\n|---|---|---|\n");
		rewind(g[i].spool);
		while ((r = pops_report_spool_next(g[i].spool, &rec, &line)) == 1) {
			if (!strcmp(pops_json_str(rec, "status", ""), "pass"))
				continue;
			if (++shown > MD_MAX_FAILURES)
				continue;
			/* every failed assertion: a reader should not have to rerun to see the second */
			pops_buf_clear(&all);
			pops_report_why(&all, rec, 0, &more);
			pops_buf_puts(&b, "| ");
			cell(&b, pops_json_str(rec, "id", ""));
			pops_buf_printf(&b, " | %s | ", pops_json_str(rec, "status", ""));
			cell_max(&b, all.ptr, MD_MAX_REASONS);
			pops_buf_puts(&b, " |\n");
		}
		if (r < 0) {
			error = r;
			goto done;
		}
		if (shown > MD_MAX_FAILURES)
			pops_buf_printf(&b, "\n%zu more not shown.\n", shown - MD_MAX_FAILURES);
	}
	error = pops_report_file_finish(&rf, &b);
done:
	if (error < 0)
		pops_report_file_abort(&rf);
	cJSON_Delete(rec);
	pops_buf_dispose(&b);
	pops_buf_dispose(&line);
	pops_buf_dispose(&all);
	return error;
}
