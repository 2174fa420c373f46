#include "common.h"
#include "eval_run.h"
#include "jsonget.h"
#include "report_html.h"
#include "report_html_int.h"
#include "strutil.h"

/* the buffer goes to the file whenever it holds this much: memory stays flat */
#define FLUSH_AT (64 * 1024)

struct html {
	pops_report_file rf;
	pops_buf b, line, name;
	const pops_report_group *g;
	size_t n;
	char **shortname;   /* per group: the suite's name in fragments */
	size_t *members;    /* scratch: the groups of one suite */
};

/* one record offset of a spool, by "id#repeat" */
struct ient {
	char *key;
	long off;
	int seen;
};

struct index {
	struct ient *v;
	size_t n;
};

static int flush(struct html *h)
{
	if (pops_buf_oom(&h->b))
		return pops_error_oom();
	if (h->b.size && fwrite(h->b.ptr, 1, h->b.size, h->rf.f) != h->b.size)
		return pops_error_os(h->rf.path);
	pops_buf_clear(&h->b);
	return 0;
}

static int maybe_flush(struct html *h)
{
	return h->b.size >= FLUSH_AT || pops_buf_oom(&h->b) ? flush(h) : 0;
}

static const char *suite_of(const struct html *h, size_t i)
{
	return pops_json_str(h->g[i].summary, "suite", "");
}

/* "evals/summarize.yaml" -> "summarize"; the whole path when two suites would share it */
static int short_names(struct html *h)
{
	size_t i, j;

	if (!(h->shortname = calloc(h->n + 1, sizeof(char *))) ||
	    !(h->members = calloc(h->n + 1, sizeof(size_t))))
		return pops_error_oom();
	for (i = 0; i < h->n; i++) {
		const char *s = suite_of(h, i), *base = strrchr(s, '/');
		const char *dot;

		base = base ? base + 1 : s;
		dot = strrchr(base, '.');
		h->shortname[i] = dot && dot > base ? pops_strndup(base, (size_t)(dot - base)) :
		                  pops_strdup(base);
		POPS_CHECK_ALLOC(h->shortname[i]);
	}
	for (i = 0; i < h->n; i++)
		for (j = 0; j < h->n; j++)
			if (strcmp(suite_of(h, i), suite_of(h, j)) &&
			    !strcmp(h->shortname[i], h->shortname[j]) && strcmp(h->shortname[i], suite_of(h, i))) {
				free(h->shortname[i]);
				h->shortname[i] = pops_strdup(suite_of(h, i));
				POPS_CHECK_ALLOC(h->shortname[i]);
			}
	return 0;
}

static int bad(const cJSON *s)
{
	return strcmp(pops_json_str(s, "verdict", ""), "pass") != 0;
}

static void num_cell(pops_buf *b, const char *key, double v, const char *text)
{
	pops_buf_printf(b, "<td class=\"num\" data-k=\"%s\" data-v=\"%.17g\">%s</td>", key, v, text);
}

static void count_cell(pops_buf *b, const cJSON *s, const char *key)
{
	char t[64];
	double v = pops_json_num(s, key, 0.0);

	snprintf(t, sizeof(t), "%.0f", v);
	num_cell(b, key, v, t);
}

static void ms_cell(pops_buf *b, const cJSON *s, const char *key)
{
	char t[64];
	double v = pops_json_num(s, key, 0.0);

	/* --batch: no answer had a latency of its own, a 0 would be a lie */
	if (!strcmp(pops_json_str(s, "mode", ""), "batch") && pops_json_num(s, "latency_n", 0.0) == 0) {
		pops_buf_printf(b, "<td class=\"num muted\" data-k=\"%s\">n/a</td>", key);
		return;
	}
	snprintf(t, sizeof(t), "%.0f ms", v);
	num_cell(b, key, v, t);
}

/* --batch: the mode line under the model (Batch API, batches, the batch price) */
static int mode_note(pops_buf *b, const cJSON *s)
{
	pops_buf mode = POPS_BUF_INIT;

	if (pops_eval_summary_mode(&mode, s) > 0) {
		if (pops_buf_oom(&mode))
			return pops_error_oom();
		pops_buf_puts(b, "<br><span class=\"muted\" data-k=\"mode\">");
		pops_html__text(b, mode.ptr);
		pops_buf_puts(b, "</span>");
	}
	pops_buf_dispose(&mode);
	return 0;
}

static int summary_row(struct html *h, size_t i)
{
	const cJSON *s = h->g[i].summary, *cost = cJSON_GetObjectItemCaseSensitive(s, "cost_usd");
	const cJSON *thr = cJSON_GetObjectItemCaseSensitive(s, "threshold");
	pops_buf *b = &h->b;
	char t[64];

	pops_buf_puts(b, "<tr class=\"group\" data-suite=\"");
	pops_html__attr(b, suite_of(h, i));
	pops_buf_puts(b, "\" data-model=\"");
	pops_html__attr(b, pops_json_str(s, "model", ""));
	pops_buf_printf(b, "\"><td class=\"%s\" data-k=\"verdict\">%s ", bad(s) ? "v-fail" : "v-pass",
	                bad(s) ? "✗" : "✓");
	pops_html__text(b, pops_json_str(s, "verdict", "?"));
	pops_buf_puts(b, "</td><td><a href=\"#suite-");
	pops_html__frag(b, h->shortname[i], "", 0);
	pops_buf_puts(b, "\">");
	pops_html__text(b, suite_of(h, i));
	pops_buf_puts(b, "</a></td><td>");
	pops_html__text(b, pops_json_str(s, "model", ""));
	if (mode_note(b, s) < 0)
		return POPS_ERROR;
	pops_buf_printf(b, "</td><td class=\"num\" data-k=\"pass_rate\" data-v=\"%.17g\">%.1f%% ",
	                pops_json_num(s, "pass_rate", 0.0), 100 * pops_json_num(s, "pass_rate", 0.0));
	pops_html__wilson(b, pops_json_num(s, "pass_rate", 0.0), pops_json_num(s, "ci_low", 0.0),
	                  pops_json_num(s, "ci_high", 0.0), cJSON_IsNumber(thr) ? thr->valuedouble : -1);
	pops_buf_printf(b, "<br><span class=\"muted\">%.1f–%.1f%%", 100 * pops_json_num(s, "ci_low", 0.0),
	                100 * pops_json_num(s, "ci_high", 0.0));
	if (cJSON_IsNumber(thr))
		pops_buf_printf(b, ", threshold %.1f%%", 100 * thr->valuedouble);
	pops_buf_puts(b, "</span></td>");
	count_cell(b, s, "cases");
	count_cell(b, s, "passed");
	count_cell(b, s, "failed");
	count_cell(b, s, "errors");
	count_cell(b, s, "cached");
	if (cJSON_IsNumber(cost)) {
		snprintf(t, sizeof(t), "$%.4f", cost->valuedouble);
		num_cell(b, "cost_usd", cost->valuedouble, t);
	} else {
		pops_buf_puts(b, "<td class=\"num\" data-k=\"cost_usd\">unpriced</td>");
	}
	snprintf(t, sizeof(t), "%.0f / %.0f", pops_json_num(s, "input_tokens", 0.0),
	         pops_json_num(s, "output_tokens", 0.0));
	num_cell(b, "tokens", pops_json_num(s, "input_tokens", 0.0) + pops_json_num(s, "output_tokens", 0.0), t);
	ms_cell(b, s, "latency_p50");
	ms_cell(b, s, "latency_p95");
	ms_cell(b, s, "latency_p99");
	pops_buf_puts(b, "<td>");
	if (pops_html__histogram(b, h->g[i].spool) < 0)
		return POPS_ERROR;
	pops_buf_puts(b, "</td></tr>\n");
	return maybe_flush(h);
}

static int summary(struct html *h)
{
	size_t i, pass;
	int error;

	pops_buf_puts(&h->b, "<section id=\"summary\"><h2>Summary</h2><table class=\"summary\"><thead><tr>"
	                     "<th>verdict</th><th>suite</th><th>model</th><th>pass rate, 95% CI</th>"
	                     "<th class=\"num\">cases</th><th class=\"num\">passed</th>"
	                     "<th class=\"num\">failed</th><th class=\"num\">errors</th>"
	                     "<th class=\"num\">cached</th><th class=\"num\">cost</th>"
	                     "<th class=\"num\">tokens in / out</th><th class=\"num\">p50</th>"
	                     "<th class=\"num\">p95</th><th class=\"num\">p99</th><th>latency</th>"
	                     "</tr></thead><tbody>\n");
	/* failing groups first, as in the Markdown summary: a reviewer reads those */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < h->n; i++)
			if (bad(h->g[i].summary) == !pass && (error = summary_row(h, i)) < 0)
				return error;
	pops_buf_puts(&h->b, "</tbody></table></section>\n");
	return 0;
}

static void controls(struct html *h)
{
	size_t i, j;
	pops_buf *b = &h->b;

	/* shown by the script: without it there is nothing to filter with */
	pops_buf_puts(b, "<div id=\"controls\" hidden><label>status <select id=\"f-status\">"
	                 "<option value=\"\">all</option><option value=\"fail\">fail</option>"
	                 "<option value=\"error\">error</option><option value=\"flip\">flip</option>"
	                 "<option value=\"pass\">pass</option></select></label>"
	                 "<label>text <input id=\"f-text\" type=\"search\" "
	                 "placeholder=\"vars, output, reasons\"></label>"
	                 "<label>suite <select id=\"f-suite\"><option value=\"\">all</option>");
	for (i = 0; i < h->n; i++) {
		for (j = 0; j < i && strcmp(suite_of(h, i), suite_of(h, j)); j++)
			;
		if (j < i)
			continue;
		pops_buf_puts(b, "<option value=\"");
		pops_html__attr(b, suite_of(h, i));
		pops_buf_puts(b, "\">");
		pops_html__text(b, suite_of(h, i));
		pops_buf_puts(b, "</option>");
	}
	pops_buf_puts(b, "</select></label><label>sort <select id=\"f-sort\"><option value=\"\">case order"
	                 "</option><option value=\"data-latency\">latency, slowest first</option>"
	                 "<option value=\"data-cost\">cost, highest first</option></select></label>"
	                 "<span id=\"f-shown\" class=\"muted\"></span></div>\n");
}

/* ---- the index of a spool, for the matrix ---- */

static void index_dispose(struct index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free(ix->v[i].key);
	free(ix->v);
	memset(ix, 0, sizeof(*ix));
}

static char *key_of(const cJSON *rec)
{
	pops_buf k = POPS_BUF_INIT;

	pops_buf_printf(&k, "%s#%.0f", pops_json_str(rec, "id", ""), pops_json_num(rec, "repeat", 1.0));
	if (pops_buf_oom(&k)) {
		pops_buf_dispose(&k);
		return NULL;
	}
	return pops_buf_detach(&k);
}

static int ient_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ient *)a)->key, ((const struct ient *)b)->key);
}

static int index_build(struct index *ix, FILE *spool, pops_buf *line)
{
	cJSON *rec = NULL;
	size_t cap = 0;
	long off;
	int r;

	rewind(spool);
	while ((off = ftell(spool)) >= 0 && (r = pops_report_spool_next(spool, &rec, line)) == 1) {
		if (ix->n == cap) {
			struct ient *v = realloc(ix->v, (cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!v) {
				cJSON_Delete(rec);
				return pops_error_oom();
			}
			ix->v = v;
		}
		ix->v[ix->n].off = off;
		ix->v[ix->n].seen = 0;
		if (!(ix->v[ix->n].key = key_of(rec))) {
			cJSON_Delete(rec);
			return pops_error_oom();
		}
		ix->n++;
	}
	cJSON_Delete(rec);
	if (off < 0)
		return pops_error_os("result spool");
	if (r < 0)
		return r;
	if (ix->n)
		qsort(ix->v, ix->n, sizeof(*ix->v), ient_cmp);
	return 0;
}

static struct ient *index_find(struct index *ix, const char *key)
{
	struct ient k = { (char *)key, 0, 0 };

	return ix->n ? bsearch(&k, ix->v, ix->n, sizeof(*ix->v), ient_cmp) : NULL;
}

static int index_read(FILE *spool, const struct ient *e, cJSON **out, pops_buf *line)
{
	int r;

	if (fseek(spool, e->off, SEEK_SET) != 0)
		return pops_error_os("result spool");
	if ((r = pops_report_spool_next(spool, out, line)) == 0)
		return pops_error_set(POPS_ERROR, "damaged result spool");
	return r < 0 ? r : 0;
}

/* ---- case rows ---- */

/* a record's run of its case, counted from 1 (records count repeats from 0) */
static int run_of(const cJSON *rec)
{
	return (int)pops_json_num(rec, "repeat", 0.0) + 1;
}

/* the row's start and its id cell; 1 when its statuses differ (a flip) */
static int row_open(struct html *h, const char *shortname, cJSON *const *recs, size_t k,
                     size_t order)
{
	const cJSON *first = NULL;
	const char *st[3] = { "pass", "fail", "error" };
	int has[3] = { 0, 0, 0 }, kinds = 0, flip, bflip = 0;
	double lat = 0, cost = 0;
	size_t i, j;
	pops_buf *b = &h->b;

	for (i = 0; i < k; i++) {
		if (!recs[i])
			continue;
		first = first ? first : recs[i];
		for (j = 0; j < 3; j++)
			if (!strcmp(pops_json_str(recs[i], "status", ""), st[j]) && !has[j]++)
				kinds++;
		lat = pops_json_num(recs[i], "latency_ms", 0.0) > lat ? pops_json_num(recs[i], "latency_ms", 0.0) : lat;
		cost += pops_json_num(recs[i], "cost_usd", 0.0);
		bflip |= pops_html__baseline_flip(recs[i]);
	}
	/* statuses that differ between models, or a result the baseline's was not */
	flip = kinds > 1 || bflip;
	pops_buf_printf(b, "<div class=\"case%s\" role=\"row\" id=\"", flip ? " flip" : "");
	pops_html__frag(b, shortname, pops_json_str(first, "id", ""), run_of(first));
	pops_buf_puts(b, "\" data-suite=\"");
	pops_html__attr(b, pops_json_str(h->g[h->members[0]].summary, "suite", ""));
	pops_buf_puts(b, "\" data-status=\"");
	for (j = 0, i = 0; j < 3; j++)
		if (has[j])
			pops_buf_printf(b, "%s%s", i++ ? " " : "", st[j]);
	pops_buf_printf(b, "\" data-flip=\"%d\" data-latency=\"%.17g\" data-cost=\"%.17g\" "
	                "data-order=\"%zu\"><div class=\"id\"><a href=\"#", flip, lat, cost, order);
	pops_html__frag(b, shortname, pops_json_str(first, "id", ""), run_of(first));
	pops_buf_puts(b, "\">");
	pops_html__text(b, pops_json_str(first, "id", ""));
	pops_buf_puts(b, "</a>");
	if (run_of(first) > 1)
		pops_buf_printf(b, " <span class=\"muted\">repeat %d</span>", run_of(first));
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(first, "line")))
		pops_buf_printf(b, " <span class=\"muted\">line %.0f</span>", pops_json_num(first, "line", 0.0));
	if (flip)
		pops_buf_printf(b, " <span class=\"flipmark\">flip%s</span>", bflip ? " against the baseline" : "");
	pops_buf_puts(b, "</div>");
	return flip;
}

/* what a diff against member `i`'s baseline is called: "the baseline prod" */
static const char *base_name(struct html *h, size_t i)
{
	const char *ref = pops_json_str(cJSON_GetObjectItemCaseSensitive(h->g[h->members[i]].summary,
	                                                                  "baseline"), "ref", NULL);

	pops_buf_clear(&h->name);
	pops_buf_printf(&h->name, "the baseline%s%s", ref ? " " : "", ref ? ref : "");
	return pops_buf_oom(&h->name) ? "the baseline" : h->name.ptr;
}

static void single_row(struct html *h, const char *shortname, cJSON *rec, size_t order)
{
	const char *st = pops_json_str(rec, "status", "");
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(rec, "cost_usd");
	pops_buf *b = &h->b;

	row_open(h, shortname, &rec, 1, order);
	pops_buf_puts(b, "<div><span class=\"st st-");
	pops_html__attr(b, st);
	pops_buf_puts(b, "\">");
	pops_html__text(b, st);
	pops_buf_printf(b, "</span>%s</div><div class=\"num\">%.0f ms</div><div class=\"num\">",
	                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "cached")) ?
	                " <span class=\"muted\">cached</span>" : "",
	                pops_json_num(rec, "latency_ms", 0.0));
	if (cJSON_IsNumber(cost))
		pops_buf_printf(b, "$%.4f", cost->valuedouble);
	pops_buf_printf(b, "</div><div class=\"num\">%.0f / %.0f</div><div>",
	                pops_json_num(rec, "input_tokens", 0.0), pops_json_num(rec, "output_tokens", 0.0));
	pops_html__result(b, rec, 0, pops_html__baseline_output(rec), base_name(h, 0));
	pops_buf_puts(b, "</div></div>\n");
}

static void matrix_row(struct html *h, const char *shortname, cJSON *const *recs, size_t k,
                       size_t order)
{
	const char *base0 = recs[0] ? pops_json_str(recs[0], "output", NULL) : NULL;
	pops_buf *b = &h->b;
	size_t i;
	/* a diff against the first model where it matters: where the verdicts differ */
	int flip = row_open(h, shortname, recs, k, order);

	for (i = 0; i < k; i++) {
		const char *base = pops_html__baseline_output(recs[i] ? recs[i] : recs[0]);

		pops_buf_puts(b, "<div>");
		if (!recs[i])
			pops_buf_puts(b, "<span class=\"muted\">not run</span>");
		else if (base)
			pops_html__result(b, recs[i], 1, base, base_name(h, i));
		else
			pops_html__result(b, recs[i], 1, i && flip ? base0 : NULL,
			                  pops_json_str(h->g[h->members[0]].summary, "model", ""));
		pops_buf_puts(b, "</div>");
	}
	pops_buf_puts(b, "</div>\n");
}

static void table_head(struct html *h, size_t k)
{
	pops_buf *b = &h->b;
	size_t i;

	/* rows are grids, not table rows: each lays out (content-visibility) only when shown */
	if (k == 1) {
		pops_buf_puts(b, "<div class=\"cases single\" role=\"table\"><div class=\"head\" role=\"row\">"
		                 "<div>case</div><div>status</div><div class=\"num\">latency</div>"
		                 "<div class=\"num\">cost</div><div class=\"num\">tokens</div><div>output, "
		                 "assertions</div></div><div class=\"body\">\n");
		return;
	}
	pops_buf_printf(b, "<div class=\"cases matrix\" role=\"table\" style=\"--models: %zu\">"
	                "<div class=\"head\" role=\"row\"><div>case</div>", k);
	for (i = 0; i < k; i++) {
		pops_buf_puts(b, "<div>");
		pops_html__text(b, pops_json_str(h->g[h->members[i]].summary, "model", ""));
		pops_buf_puts(b, "</div>");
	}
	pops_buf_puts(b, "</div><div class=\"body\">\n");
}

static int single_cases(struct html *h, const char *shortname)
{
	FILE *spool = h->g[h->members[0]].spool;
	cJSON *rec = NULL;
	size_t order = 0;
	int r, error = 0;

	rewind(spool);
	while (!error && (r = pops_report_spool_next(spool, &rec, &h->line)) == 1) {
		single_row(h, shortname, rec, order++);
		error = maybe_flush(h);
	}
	cJSON_Delete(rec);
	return error < 0 ? error : r < 0 ? r : 0;
}

/* the rows of the other models' cases the first model did not run */
static int matrix_rest(struct html *h, const char *shortname, struct index *ix, cJSON **recs,
                       size_t k, size_t *order)
{
	size_t i, j, e;
	int error = 0;

	for (i = 1; i < k && !error; i++)
		for (e = 0; e < ix[i].n && !error; e++) {
			struct ient *hit;

			if (ix[i].v[e].seen)
				continue;
			for (j = 0; j < k; j++) {
				cJSON_Delete(recs[j]);
				recs[j] = NULL;
				hit = j < i ? NULL : j == i ? &ix[i].v[e] : index_find(&ix[j], ix[i].v[e].key);
				if (hit && !hit->seen) {
					hit->seen = 1;
					if ((error = index_read(h->g[h->members[j]].spool, hit, &recs[j], &h->line)) < 0)
						break;
				}
			}
			if (!error) {
				matrix_row(h, shortname, recs, k, (*order)++);
				error = maybe_flush(h);
			}
		}
	return error;
}

static int matrix_cases(struct html *h, const char *shortname, size_t k)
{
	struct index *ix = calloc(k, sizeof(*ix));
	cJSON **recs = calloc(k, sizeof(*recs));
	FILE *first = h->g[h->members[0]].spool;
	size_t i, order = 0;
	int r = 0, error = 0;

	if (!ix || !recs) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 1; i < k && !error; i++)
		error = index_build(&ix[i], h->g[h->members[i]].spool, &h->line);
	rewind(first);
	/* the spool's position moves with the lookups: keep the first's by offset */
	for (long off = 0; !error; off = ftell(first)) {
		if (off < 0 || fseek(first, off, SEEK_SET) != 0) {
			error = pops_error_os("result spool");
			break;
		}
		if ((r = pops_report_spool_next(first, &recs[0], &h->line)) != 1)
			break;
		off = ftell(first);
		for (i = 1; i < k && !error; i++) {
			char *key = key_of(recs[0]);
			struct ient *hit = key ? index_find(&ix[i], key) : NULL;

			cJSON_Delete(recs[i]);
			recs[i] = NULL;
			if (!key)
				error = pops_error_oom();
			else if (hit && !hit->seen && (hit->seen = 1))
				error = index_read(h->g[h->members[i]].spool, hit, &recs[i], &h->line);
			free(key);
		}
		if (!error) {
			matrix_row(h, shortname, recs, k, order++);
			error = maybe_flush(h);
		}
		if (!error && fseek(first, off, SEEK_SET) != 0)
			error = pops_error_os("result spool");
	}
	if (!error && r < 0)
		error = r;
	if (!error)
		error = matrix_rest(h, shortname, ix, recs, k, &order);
done:
	for (i = 0; ix && i < k; i++)
		index_dispose(&ix[i]);
	for (i = 0; recs && i < k; i++)
		cJSON_Delete(recs[i]);
	free(ix);
	free(recs);
	return error;
}

/* links to the cases the baseline's "flips" names (at most 20; the rows are marked anyway) */
static void flip_links(struct html *h, const cJSON *base, const char *shortname)
{
	const cJSON *f, *list = cJSON_GetObjectItemCaseSensitive(base, "flips");
	double total = pops_json_num(base, "flips_count", (double)cJSON_GetArraySize(list));
	size_t shown = 0;
	pops_buf *b = &h->b;

	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list))
		return;
	pops_buf_puts(b, "<p class=\"kv flips\">flipped:");
	cJSON_ArrayForEach(f, list) {
		const char *id = pops_json_str(f, "id", "");
		int rep = run_of(f);

		if (shown++ == 20)
			break;
		pops_buf_puts(b, shown > 1 ? ", <a href=\"#" : " <a href=\"#");
		pops_html__frag(b, shortname, id, rep);
		pops_buf_puts(b, "\">");
		pops_html__text(b, id);
		if (rep > 1)
			pops_buf_printf(b, " ~%d", rep);
		pops_buf_puts(b, "</a> <span class=\"muted\">");
		pops_html__text(b, pops_json_str(f, "from", ""));
		pops_buf_puts(b, " → ");
		pops_html__text(b, pops_json_str(f, "to", ""));
		pops_buf_puts(b, "</span>");
	}
	shown = shown > 20 ? 20 : shown;
	if (total > (double)shown)
		pops_buf_printf(b, " and %.0f more", total - (double)shown);
	pops_buf_puts(b, "</p>");
}

/* what a group's summary says beyond the numbers */
static void group_notes(struct html *h, const cJSON *s, const char *shortname)
{
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(s, "baseline");
	const cJSON *reused = cJSON_GetObjectItemCaseSensitive(s, "reused");
	pops_buf *b = &h->b;

	pops_buf_puts(b, "<div class=\"group\"><h3>");
	pops_html__text(b, pops_json_str(s, "model", ""));
	pops_buf_printf(b, " <span class=\"%s\">", bad(s) ? "v-fail" : "v-pass");
	pops_html__text(b, pops_json_str(s, "verdict", ""));
	pops_buf_puts(b, "</span></h3>");
	if (pops_json_str(s, "reason", "")[0]) {
		pops_buf_puts(b, "<p class=\"why\">");
		pops_html__text(b, pops_json_str(s, "reason", ""));
		pops_buf_puts(b, "</p>");
	}
	if (cJSON_IsObject(base)) {
		pops_buf_puts(b, "<p class=\"kv\">baseline ");
		pops_html__text(b, pops_json_str(base, "ref", ""));
		if (pops_json_str(base, "note", NULL)) {
			pops_buf_puts(b, ": ");
			pops_html__text(b, pops_json_str(base, "note", NULL));
		} else {
			pops_buf_printf(b, ": %.0f newly failing, %.0f newly passing, McNemar p = %.3g: ",
			                pops_json_num(base, "newly_failing", 0.0),
			                pops_json_num(base, "newly_passing", 0.0), pops_json_num(base, "p_value", 1.0));
			pops_html__text(b, pops_json_str(base, "verdict", ""));
		}
		pops_buf_puts(b, "</p>");
		flip_links(h, base, shortname);
	}
	if (cJSON_IsObject(reused)) {
		pops_buf_puts(b, "<p class=\"kv\">not run: evidence reused from ");
		pops_html__text(b, pops_json_str(reused, "commit", ""));
		pops_buf_puts(b, " ");
		pops_html__text(b, pops_json_str(reused, "date", ""));
		pops_buf_puts(b, "</p>");
	}
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s, "kappa"))) {
		double k = pops_json_num(s, "kappa", 0.0);

		pops_buf_printf(b, "<p class=\"kv\">jury agreement: Fleiss' kappa %.3f over %.0f "
		                "jury cases</p>", k > -5e-4 && k < 5e-4 ? 0.0 : k,
		                pops_json_num(s, "jury_cases", 0.0));
	} else if (cJSON_GetObjectItemCaseSensitive(s, "kappa")) {
		pops_buf_printf(b, "<p class=\"kv\">jury agreement: every judge gave the same verdict "
		                "on all %.0f jury cases</p>", pops_json_num(s, "jury_cases", 0.0));
	}
	pops_html__classification(b, cJSON_GetObjectItemCaseSensitive(s, "classification"));
	pops_buf_puts(b, "</div>\n");
}

/* one suite: its groups' notes, then its cases (a matrix over several models) */
static int suite_section(struct html *h, size_t first)
{
	const char *suite = suite_of(h, first);
	size_t i, k = 0;
	int error;

	for (i = first; i < h->n; i++)
		if (!strcmp(suite_of(h, i), suite))
			h->members[k++] = i;
	pops_buf_puts(&h->b, "<section class=\"suite\" id=\"suite-");
	pops_html__frag(&h->b, h->shortname[first], "", 0);
	pops_buf_puts(&h->b, "\" data-suite=\"");
	pops_html__attr(&h->b, suite);
	pops_buf_puts(&h->b, "\"><h2>");
	pops_html__text(&h->b, suite);
	pops_buf_puts(&h->b, "</h2>\n");
	for (i = 0; i < k; i++)
		group_notes(h, h->g[h->members[i]].summary, h->shortname[first]);
	table_head(h, k);
	if ((error = k == 1 ? single_cases(h, h->shortname[first]) :
	             matrix_cases(h, h->shortname[first], k)) < 0)
		return error;
	pops_buf_puts(&h->b, "</div></div></section>\n");
	return flush(h);
}

static int document(struct html *h, int complete)
{
	size_t i, j, cases = 0;
	int error;

	for (i = 0; i < h->n; i++)
		cases += (size_t)pops_json_num(h->g[i].summary, "cases", 0.0);
	pops_html__head(&h->b, "pops eval report");
	pops_buf_printf(&h->b, "<header><h1>pops eval report</h1><p class=\"muted\">%zu suite×model "
	                "groups, %zu case runs</p>", h->n, cases);
	if (!complete)
		pops_buf_puts(&h->b, "<p class=\"incomplete\"><strong>Incomplete run</strong>: interrupted "
		                     "or stopped by the budget.</p>");
	pops_buf_puts(&h->b, "</header>\n");
	if ((error = summary(h)) < 0)
		return error;
	controls(h);
	for (i = 0; i < h->n; i++) {
		for (j = 0; j < i && strcmp(suite_of(h, i), suite_of(h, j)); j++)
			;
		if (j == i && (error = suite_section(h, i)) < 0)
			return error;
	}
	pops_html__tail(&h->b);
	return flush(h);
}

int pops_report_html(const char *path, const pops_report_group *g, size_t n, int complete)
{
	struct html h;
	pops_buf init = POPS_BUF_INIT;
	size_t i;
	int error;

	memset(&h, 0, sizeof(h));
	h.g = g;
	h.n = n;
	h.b = h.line = h.name = init;
	if ((error = pops_report_file_open(&h.rf, path)) < 0)
		return error;
	if ((error = short_names(&h)) == 0 && (error = document(&h, complete)) == 0)
		error = pops_report_file_finish(&h.rf, NULL);
	if (error < 0)
		pops_report_file_abort(&h.rf);
	for (i = 0; h.shortname && i < n; i++)
		free(h.shortname[i]);
	free(h.shortname);
	free(h.members);
	pops_buf_dispose(&h.b);
	pops_buf_dispose(&h.line);
	pops_buf_dispose(&h.name);
	return error;
}

int pops_report_html_trend(const char *path, const cJSON *trend)
{
	pops_report_file rf;
	pops_buf b = POPS_BUF_INIT;
	const cJSON *s, *series = cJSON_GetObjectItemCaseSensitive(trend, "series");
	int error;

	if ((error = pops_report_file_open(&rf, path)) < 0)
		return error;
	pops_html__head(&b, "pops eval trend");
	pops_buf_printf(&b, "<header><h1>pops eval trend</h1><p class=\"muted\">windows of %.0f "
	                "day(s); a flagged window is a significant drop (alpha %.3g, Holm-adjusted)"
	                "</p></header>\n", pops_json_num(trend, "window_days", 1.0),
	                pops_json_num(trend, "alpha", 0.05));
	if (!cJSON_GetArraySize(series))
		pops_buf_puts(&b, "<p>No evidence to chart.</p>");
	cJSON_ArrayForEach(s, series)
		pops_html__trend_series(&b, s);
	pops_buf_puts(&b, "\n</body></html>\n");
	error = pops_report_file_finish(&rf, &b);
	pops_buf_dispose(&b);
	return error;
}
