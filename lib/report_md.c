#include "common.h"
#include "report.h"
#include "eval_run.h"
#include "metrics_class.h"
#include "strutil.h"
#include "jsonget.h"

/* kept free at the end of a bounded document: closing tags and the truncation note */
#define MD_RESERVE 512

/* failing cases listed per group; the rest are counted */
#define MD_MAX_FAILURES 25
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

/*
 * A bounded document: text goes out in units (a line, a table row), and
 * the first unit that does not fit cuts the document there; what comes
 * after is dropped (rows counted), except the closing tags of open
 * <details>, which the reserve pays for.
 */
struct md {
	pops_buf *out;
	size_t start, max;
	int cut;
	size_t dropped;    /* rows left out by the cut */
	int open;          /* <details> open */
	pops_buf u;        /* the unit being written */
};

static void md_flush(struct md *m, int row)
{
	if (!m->cut && m->out->size - m->start + m->u.size + MD_RESERVE > m->max)
		m->cut = 1;
	if (m->cut)
		m->dropped += row;
	else
		pops_buf_put(m->out, m->u.ptr, m->u.size);
	pops_buf_clear(&m->u);
}

static void md_line(struct md *m, const char *s)
{
	pops_buf_puts(&m->u, s);
	md_flush(m, 0);
}

/* <details> around what follows, `m->u` its summary text */
static void md_details_open(struct md *m)
{
	pops_buf t = POPS_BUF_INIT;

	pops_buf_printf(&t, "\n<details><summary>%s</summary>\n\n", m->u.ptr ? m->u.ptr : "");
	pops_buf_clear(&m->u);
	pops_buf_put(&m->u, t.ptr, t.size);
	pops_buf_dispose(&t);
	if (!m->cut) {
		md_flush(m, 0);
		m->open += !m->cut;
	} else {
		pops_buf_clear(&m->u);
	}
}

static void md_details_close(struct md *m)
{
	if (m->open) {
		pops_buf_puts(m->out, "\n</details>\n");
		m->open--;
	}
}

/* the text of a summary cell for `key`, a fraction shown as a percentage */
static void pct(pops_buf *b, const cJSON *s, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, key);

	if (cJSON_IsNumber(v))
		pops_buf_printf(b, "%.1f%%", 100 * v->valuedouble);
	else
		pops_buf_puts(b, "-");
}

static void summary_row(struct md *m, const cJSON *s)
{
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(s, "cost_usd");
	const cJSON *reused = cJSON_GetObjectItemCaseSensitive(s, "reused");
	int batch = !strcmp(pops_json_str(s, "mode", ""), "batch");
	pops_buf *b = &m->u;

	pops_buf_puts(b, "| ");
	cell(b, pops_json_str(s, "suite", ""));
	/* --affected: not run, answered by the evidence of that commit */
	if (cJSON_IsObject(reused))
		pops_buf_printf(b, " (reused from %.7s)", pops_json_str(reused, "commit", ""));
	pops_buf_puts(b, " | ");
	cell(b, pops_json_str(s, "model", ""));
	if (batch)
		pops_buf_puts(b, " (batch)");
	pops_buf_printf(b, " | %s ", bad(s) ? "❌" : "✅");
	cell(b, pops_json_str(s, "verdict", ""));
	pops_buf_puts(b, " | ");
	pct(b, s, "pass_rate");
	pops_buf_printf(b, " | %.1f–%.1f%% | ", 100 * pops_json_num(s, "ci_low", 0.0),
	                100 * pops_json_num(s, "ci_high", 0.0));
	pct(b, s, "threshold");
	pops_buf_printf(b, " | %.0f | %.0f | %.0f | ", pops_json_num(s, "cases", 0.0),
	                pops_json_num(s, "failed", 0.0), pops_json_num(s, "errors", 0.0));
	if (cJSON_IsNumber(cost))
		pops_buf_printf(b, "$%.4f%s", cost->valuedouble, batch ? " (batch price)" : "");
	else
		pops_buf_puts(b, "unpriced");
	if (batch && pops_json_num(s, "latency_n", 0.0) == 0)
		pops_buf_puts(b, " | n/a (batch) |\n");
	else
		pops_buf_printf(b, " | %.0f ms |\n", pops_json_num(s, "latency_p50", 0.0));
	md_flush(m, 1);
}

/* the index of the first group on the suite of group i */
static size_t first_of_suite(const pops_report_group *g, size_t i)
{
	const char *suite = pops_json_str(g[i].summary, "suite", "");
	size_t j;

	for (j = 0; j < i && strcmp(pops_json_str(g[j].summary, "suite", ""), suite); j++)
		;
	return j;
}

/* a suite fails when any of its groups does */
static int suite_bad(const pops_report_group *g, size_t n, size_t first)
{
	const char *suite = pops_json_str(g[first].summary, "suite", "");

	for (size_t j = first; j < n; j++)
		if (!strcmp(pops_json_str(g[j].summary, "suite", ""), suite) && bad(g[j].summary))
			return 1;
	return 0;
}

/* "✅ 3 suites passed" or "❌ 1 of 3 suites failed: evals/triage.yaml" */
static void verdict_line(struct md *m, const pops_report_group *g, size_t n, int complete)
{
	size_t suites = 0, failed = 0, i;

	for (i = 0; i < n; i++)
		if (first_of_suite(g, i) == i) {
			suites++;
			failed += suite_bad(g, n, i);
		}
	if (!failed) {
		pops_buf_printf(&m->u, "%s %zu suite%s passed", complete ? "✅" : "⚠️", suites,
		                suites == 1 ? "" : "s");
	} else {
		pops_buf_printf(&m->u, "❌ %zu of %zu suite%s failed:", failed, suites,
		                suites == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			if (first_of_suite(g, i) == i && suite_bad(g, n, i)) {
				pops_buf_putc(&m->u, ' ');
				cell(&m->u, pops_json_str(g[i].summary, "suite", ""));
				if (--failed)
					pops_buf_putc(&m->u, ',');
			}
	}
	if (!complete)
		pops_buf_puts(&m->u, " (incomplete run)");
	pops_buf_puts(&m->u, "\n" POPS_REPORT_MD_MARKER "\n");
	md_flush(m, 0);
}

/* a link destination: <...>, with what would end it percent-encoded */
static void link(pops_buf *b, const char *url)
{
	pops_buf_putc(b, '<');
	for (; *url; url++) {
		unsigned char c = (unsigned char)*url;

		if (c <= 0x20 || c == '<' || c == '>' || c == 0x7f)
			pops_buf_printf(b, "%%%02X", c);
		else
			pops_buf_putc(b, c);
	}
	pops_buf_putc(b, '>');
}

/* the tables: one per suite, failing suites first, a row per model */
/*
 * Under a suite's table: a run with a jury's agreement, Fleiss' kappa
 * over its jury cases (or, undefined, every judge agreeing on all).
 */
static void jury_line(struct md *m, const cJSON *s)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(s, "kappa");
	double v = cJSON_IsNumber(k) ? k->valuedouble : 0.0;

	if (!k)
		return;
	pops_buf_puts(&m->u, "\nJury agreement on ");
	cell(&m->u, pops_json_str(s, "model", ""));
	/* a rounding error below zero is not "-0.000" */
	if (cJSON_IsNumber(k))
		pops_buf_printf(&m->u, ": Fleiss' kappa %.3f over %.0f jury cases.\n",
		                v > -5e-4 && v < 5e-4 ? 0.0 : v, pops_json_num(s, "jury_cases", 0.0));
	else
		pops_buf_printf(&m->u, ": every judge gave the same verdict on all %.0f jury cases "
		                "(Fleiss' kappa undefined).\n", pops_json_num(s, "jury_cases", 0.0));
	md_flush(m, 0);
}

static void suite_tables(struct md *m, const pops_report_group *g, size_t n)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			const char *suite = pops_json_str(g[i].summary, "suite", "");

			if (first_of_suite(g, i) != i || suite_bad(g, n, i) != !pass)
				continue;
			pops_buf_printf(&m->u, "\n### %s ", suite_bad(g, n, i) ? "❌" : "✅");
			cell(&m->u, suite);
			pops_buf_puts(&m->u, "\n\n| suite | model | verdict | pass rate | 95% CI | threshold "
			              "| cases | failed | errors | cost | p50 latency |\n"
			              "|---|---|---|---|---|---|---|---|---|---|---|\n");
			md_flush(m, 0);
			for (size_t j = i; j < n; j++)
				if (!strcmp(pops_json_str(g[j].summary, "suite", ""), suite))
					summary_row(m, g[j].summary);
			for (size_t j = i; j < n; j++)
				if (!strcmp(pops_json_str(g[j].summary, "suite", ""), suite))
					jury_line(m, g[j].summary);
		}
}

/* what a group's reader sees above its cases: why it failed, its baseline */
static void group_notes(struct md *m, const cJSON *s)
{
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(s, "baseline");

	pops_buf_puts(&m->u, "\n**");
	cell(&m->u, pops_json_str(s, "suite", ""));
	pops_buf_puts(&m->u, "** on **");
	cell(&m->u, pops_json_str(s, "model", ""));
	pops_buf_puts(&m->u, "**");
	if (pops_json_str(s, "reason", "")[0]) {
		pops_buf_puts(&m->u, ": ");
		cell(&m->u, pops_json_str(s, "reason", ""));
	}
	pops_buf_puts(&m->u, "\n");
	md_flush(m, 0);
	if (cJSON_IsObject(base) && pops_json_str(base, "note", "")[0]) {
		pops_buf_puts(&m->u, "\n");
		cell(&m->u, pops_json_str(base, "note", ""));
		pops_buf_puts(&m->u, "\n");
		md_flush(m, 0);
	} else if (cJSON_IsObject(base)) {
		pops_buf_puts(&m->u, "\nBaseline ");
		cell(&m->u, pops_json_str(base, "ref", ""));
		pops_buf_printf(&m->u,
		                ": %.0f newly failing, %.0f newly passing, "
		                "McNemar p = %.3g: **%s**.\n",
		                pops_json_num(base, "newly_failing", 0.0),
		                pops_json_num(base, "newly_passing", 0.0),
		                pops_json_num(base, "p_value", 0.0),
		                pops_json_str(base, "verdict", ""));
		md_flush(m, 0);
	}
}

/* at most this many flipped cases are named; the JSON report has up to 200 and every record */
#define MD_MAX_FLIPS 20

/* which cases flipped, from the baseline's "flips" (a report before it had none: a note) */
static void group_flip_ids(struct md *m, const cJSON *base, double total)
{
	const cJSON *f, *list = cJSON_GetObjectItemCaseSensitive(base, "flips");
	size_t shown = 0;

	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list)) {
		md_line(m, "\nThe JSON report's cases and the baseline's evidence name them.\n");
		return;
	}
	md_line(m, "\n| case | flip |\n|---|---|\n");
	cJSON_ArrayForEach(f, list) {
		if (shown == MD_MAX_FLIPS)
			break;
		shown++;
		pops_buf_puts(&m->u, "| ");
		cell(&m->u, pops_json_str(f, "id", ""));
		/* repeats count from 0: the second run of a case is "repeat 2" */
		if (pops_json_num(f, "repeat", 0.0) >= 1)
			pops_buf_printf(&m->u, " (repeat %.0f)", pops_json_num(f, "repeat", 0.0) + 1);
		pops_buf_puts(&m->u, " | ");
		cell(&m->u, pops_json_str(f, "from", "?"));
		pops_buf_puts(&m->u, " → ");
		cell(&m->u, pops_json_str(f, "to", "?"));
		pops_buf_puts(&m->u, " |\n");
		md_flush(m, 1);
	}
	/* the count covers flips the bounded list left out */
	total = pops_json_num(base, "flips_count", total);
	if (total > (double)shown) {
		pops_buf_printf(&m->u, "\nand %.0f more.\n", total - (double)shown);
		md_flush(m, 0);
	}
}

/* the flips against the baseline, collapsed: which way, how many of the paired cases, which */
static void group_flips(struct md *m, const cJSON *s)
{
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(s, "baseline");
	double nf = pops_json_num(base, "newly_failing", 0.0), np = pops_json_num(base, "newly_passing", 0.0);

	if (!cJSON_IsObject(base) || pops_json_str(base, "note", "")[0] || (!nf && !np))
		return;
	pops_buf_printf(&m->u, "Flips against ");
	cell(&m->u, pops_json_str(base, "ref", ""));
	pops_buf_printf(&m->u, ": %.0f newly failing, %.0f newly passing", nf, np);
	md_details_open(m);
	pops_buf_printf(&m->u, "| flip | cases | of paired |\n|---|---|---|\n"
	                "| pass → fail | %.0f | %.0f |\n| fail → pass | %.0f | %.0f |\n",
	                nf, pops_json_num(base, "paired", 0.0), np, pops_json_num(base, "paired", 0.0));
	md_flush(m, 1);
	group_flip_ids(m, base, nf + np);
	md_details_close(m);
}

/* the failing and errored cases of group g, collapsed */
static int group_cases(struct md *m, const pops_report_group *g)
{
	const cJSON *s = g->summary;
	pops_buf line = POPS_BUF_INIT, all = POPS_BUF_INIT;
	cJSON *rec = NULL;
	size_t shown = 0, more;
	int r;

	pops_buf_printf(&m->u, "%.0f failing, %.0f errored: ", pops_json_num(s, "failed", 0.0),
	                pops_json_num(s, "errors", 0.0));
	cell(&m->u, pops_json_str(s, "suite", ""));
	pops_buf_puts(&m->u, " on ");
	cell(&m->u, pops_json_str(s, "model", ""));
	md_details_open(m);
	md_line(m, "| case | status | reason |\n|---|---|---|\n");
	rewind(g->spool);
	while ((r = pops_report_spool_next(g->spool, &rec, &line)) == 1) {
		if (!strcmp(pops_json_str(rec, "status", ""), "pass"))
			continue;
		if (++shown > MD_MAX_FAILURES)
			continue;
		/* every failed assertion: a reader should not have to rerun to see the second */
		pops_buf_clear(&all);
		pops_report_why(&all, rec, 0, &more);
		pops_report_tool_calls(&all, rec, "; tool calls: ", 0);
		pops_buf_puts(&m->u, "| ");
		cell(&m->u, pops_json_str(rec, "id", ""));
		pops_buf_printf(&m->u, " | %s | ", pops_json_str(rec, "status", ""));
		cell_max(&m->u, all.ptr ? all.ptr : "", MD_MAX_REASONS);
		pops_buf_puts(&m->u, " |\n");
		md_flush(m, 1);
	}
	if (r == 0 && shown > MD_MAX_FAILURES) {
		pops_buf_printf(&m->u, "\n%zu more not shown.\n", shown - MD_MAX_FAILURES);
		md_flush(m, 0);
	}
	md_details_close(m);
	cJSON_Delete(rec);
	pops_buf_dispose(&line);
	pops_buf_dispose(&all);
	return r < 0 ? r : 0;
}

/* under the tables, how each batched group's answers came: the Batch API, its price */
static void batch_notes(struct md *m, const pops_report_group *g, size_t n)
{
	pops_buf mode = POPS_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		pops_buf_clear(&mode);
		if (pops_eval_summary_mode(&mode, g[i].summary) <= 0)
			continue;
		pops_buf_puts(&m->u, "\n");
		cell(&m->u, pops_json_str(g[i].summary, "suite", ""));
		pops_buf_puts(&m->u, " on ");
		cell(&m->u, pops_json_str(g[i].summary, "model", ""));
		pops_buf_puts(&m->u, ": ");
		cell(&m->u, mode.ptr ? mode.ptr : "");
		pops_buf_puts(&m->u, ".\n");
		md_flush(m, 0);
	}
	pops_buf_dispose(&mode);
}

int pops_report_md_render(pops_buf *out, const pops_report_group *g, size_t n, int complete,
                          const char *html_url, size_t max)
{
	struct md m;
	int error = 0;

	memset(&m, 0, sizeof(m));
	m.out = out;
	m.start = out->size;
	m.max = max ? max < 1024 ? 1024 : max : POPS_REPORT_MD_MAX;
	verdict_line(&m, g, n, complete);
	if (!complete)
		md_line(&m, "\n**Incomplete run**: interrupted or stopped by the budget.\n");
	if (html_url && html_url[0]) {
		pops_buf_puts(&m.u, "\n[Full report (HTML)](");
		link(&m.u, html_url);
		pops_buf_puts(&m.u, ")\n");
		md_flush(&m, 0);
	}
	suite_tables(&m, g, n);
	batch_notes(&m, g, n);
	for (size_t i = 0; i < n; i++) {
		pops_class_md(&m.u, g[i].summary);
		md_flush(&m, 0);
	}
	for (int pass = 0; pass < 2 && !error; pass++)
		for (size_t i = 0; i < n && !error; i++) {
			const cJSON *s = g[i].summary;
			int cases = pops_json_num(s, "failed", 0.0) || pops_json_num(s, "errors", 0.0);

			if (bad(s) != !pass ||
			    !(bad(s) || cases || cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(s, "baseline"))))
				continue;
			group_notes(&m, s);
			group_flips(&m, s);
			if (cases && g[i].spool)
				error = group_cases(&m, &g[i]);
		}
	while (m.open)
		md_details_close(&m);
	if (m.cut)
		pops_buf_printf(out, "\n**Truncated**: %zu more row%s not shown; this summary is kept "
		                "under %zu characters (a PR comment's limit). The JSON report has "
		                "every case.\n", m.dropped, m.dropped == 1 ? "" : "s", m.max);
	pops_buf_dispose(&m.u);
	if (!error && pops_buf_oom(out))
		error = pops_error_oom();
	return error;
}

int pops_report_md_link(const char *path, const pops_report_group *g, size_t n, int complete,
                        const char *html_url)
{
	pops_report_file rf;
	pops_buf b = POPS_BUF_INIT;
	int error;

	if ((error = pops_report_file_open(&rf, path)) < 0)
		return error;
	if ((error = pops_report_md_render(&b, g, n, complete, html_url, 0)) < 0)
		pops_report_file_abort(&rf);
	else
		error = pops_report_file_finish(&rf, &b);
	pops_buf_dispose(&b);
	return error;
}

int pops_report_md(const char *path, const pops_report_group *g, size_t n,
                   int complete)
{
	return pops_report_md_link(path, g, n, complete, NULL);
}
