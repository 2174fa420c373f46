#include "common.h"
#include <math.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "eval_out.h"
#include "table.h"
#include "stats.h"
#include "strutil.h"
#include "assertion.h"
#include "jsonget.h"

#define BAR_WIDTH 24
#define SHOW_FAILURES 5
#define SHOW_REASONS 3      /* failed assertions shown per case; the rest are counted */
#define EXCERPT_BYTES 200   /* -v: model output shown per failing case */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int eval_bar_wanted(const pops_ctx *ctx)
{
	const char *term = getenv("TERM"), *ci = getenv("CI");

	if (!ctx->stderr_tty)
		return 0;
	/* a dumb terminal cannot erase a line; colour (NO_COLOR) is not
	 * the point here: the bar has none */
	if (term && !strcmp(term, "dumb"))
		return 0;
	/* CI runners that give jobs a pseudo-terminal (docker -t) would
	 * keep every redraw in the log */
	if (ci && *ci && strcmp(ci, "false") && strcmp(ci, "0"))
		return 0;
	return 1;
}

/* columns of the terminal on stderr, or 80 when it does not say */
static size_t term_width(void)
{
	struct winsize ws;

	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void put_duration(pops_buf *b, double s)
{
	unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);

	if (t < 60)
		pops_buf_printf(b, "%lus", t);
	else if (t < 3600)
		pops_buf_printf(b, "%lum%02lus", t / 60, t % 60);
	else
		pops_buf_printf(b, "%luh%02lum", t / 3600, t / 60 % 60);
}

void eval_bar_update(void *payload, const pops_eval_progress *p)
{
	eval_bar *bar = payload;
	pops_buf text = POPS_BUF_INIT, line = POPS_BUF_INIT;
	double t = now_s(), frac;
	size_t i, fill, width;

	if (!bar->enabled)
		return;
	if (!bar->started)
		bar->started = t;
	if (t - bar->last < 0.1 && p->done < p->total)
		return;
	bar->last = t;
	pops_buf_printf(&text, "%zu/%zu  pass %zu  fail %zu  error %zu", p->done, p->total,
	                p->passed, p->failed, p->errors);
	if (!p->unpriced)
		pops_buf_printf(&text, "  $%.4f", p->cost_usd);
	if (p->done && p->done < p->total) {
		pops_buf_puts(&text, "  ETA ");
		put_duration(&text, (t - bar->started) / (double)p->done *
		                    (double)(p->total - p->done));
	}
	/* one line that never wraps (a wrapped line cannot be redrawn with
	 * \r): the bar goes first, then the text is cut */
	width = term_width() - 1;
	pops_buf_putc(&line, '\r');
	if (text.size + BAR_WIDTH + 3 <= width) {
		frac = p->total ? (double)p->done / (double)p->total : 0.0;
		fill = (size_t)(frac * BAR_WIDTH);
		pops_buf_putc(&line, '[');
		for (i = 0; i < BAR_WIDTH; i++)
			pops_buf_putc(&line, i < fill ? '#' : '.');
		pops_buf_puts(&line, "] ");
	}
	pops_buf_put(&line, text.ptr, text.size < width ? text.size : width);
	pops_buf_puts(&line, "\x1b[K");
	bar->drawn = 1;
	fwrite(line.ptr, 1, line.size, stderr);
	fflush(stderr);
	pops_buf_dispose(&text);
	pops_buf_dispose(&line);
}

void eval_bar_clear(eval_bar *bar)
{
	if (bar->enabled && bar->drawn) {
		fputs("\r\x1b[K", stderr);
		fflush(stderr);
	}
	bar->started = bar->last = 0;
	bar->drawn = 0;
}

/* text from files or models, made safe for the terminal */
static void safe(FILE *f, const char *s)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_put_sanitized(&b, s, strlen(s), 0);
	fputs(b.ptr, f);
	pops_buf_dispose(&b);
}

/* -v: what the model said, one line, cut on a character boundary */
static void excerpt(const char *out)
{
	pops_buf b = POPS_BUF_INIT;
	size_t n = strlen(out), cut = n > EXCERPT_BYTES ? EXCERPT_BYTES : n, i;

	for (i = 0; i < 3 && cut < n && cut > 0 && ((unsigned char)out[cut] & 0xc0) == 0x80; i++)
		cut--;
	pops_buf_put(&b, out, cut);
	pops_assert_one_line(&b);
	fputs("          output: ", stdout);
	safe(stdout, b.ptr);
	puts(cut < n ? "..." : "");
	pops_buf_dispose(&b);
}

void eval_print_group(const pops_ctx *ctx, const cJSON *s, FILE *spool, int verbose)
{
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(s, "cost_usd");
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(s, "baseline");
	const char *verdict = pops_json_str(s, "verdict", "");
	const char *on = cmd_color(ctx, 1, !strcmp(verdict, "pass") ? "green" : "red");
	const char *off = cmd_color(ctx, 1, "reset");
	pops_buf line = POPS_BUF_INIT, why = POPS_BUF_INIT;
	cJSON *rec = NULL;
	size_t shown = 0;

	safe(stdout, pops_json_str(s, "suite", ""));
	fputs("  ", stdout);
	safe(stdout, pops_json_str(s, "prompt", ""));
	fputs(" on ", stdout);
	safe(stdout, pops_json_str(s, "model", ""));
	printf(" (");
	safe(stdout, pops_json_str(s, "model_id", ""));
	printf(")%s\n", cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "complete")) ?
	       "  [incomplete]" : "");
	printf("  %.0f run%s: %.0f passed, %.0f failed, %.0f error%s; %.0f cached, %.0f sent",
	       pops_json_num(s, "cases", 0.0), pops_json_num(s, "cases", 0.0) == 1 ? "" : "s",
	       pops_json_num(s, "passed", 0.0), pops_json_num(s, "failed", 0.0),
	       pops_json_num(s, "errors", 0.0), pops_json_num(s, "errors", 0.0) == 1 ? "" : "s",
	       pops_json_num(s, "cached", 0.0), pops_json_num(s, "sent", 0.0));
	if (pops_json_num(s, "unsent", 0.0))
		printf(", %.0f not sent", pops_json_num(s, "unsent", 0.0));
	putchar('\n');
	pops_buf_clear(&line);
	pops_buf_put_percent(&line, pops_json_num(s, "threshold", 0.0));
	printf("  pass rate %.1f%% (95%% CI %.1f–%.1f%%), threshold %s: %s%s%s\n",
	       100 * pops_json_num(s, "pass_rate", 0.0), 100 * pops_json_num(s, "ci_low", 0.0),
	       100 * pops_json_num(s, "ci_high", 0.0), line.ptr, on, verdict, off);
	if (cJSON_GetObjectItemCaseSensitive(s, "pass_at_k"))
		printf("  pass@%.0f %.3f, pass^%.0f %.3f\n", pops_json_num(s, "repeat", 0.0),
		       pops_json_num(s, "pass_at_k", 0.0), pops_json_num(s, "repeat", 0.0),
		       pops_json_num(s, "pass_hat_k", 0.0));
	/* what this run paid apart from what the cache answered for free */
	if (cJSON_IsNumber(cost) && pops_json_num(s, "cached", 0.0))
		printf("  cost $%.4f spent, $%.4f saved by the cache", pops_json_num(s, "cost_spent_usd", 0.0),
		       pops_json_num(s, "cost_saved_usd", 0.0));
	else if (cJSON_IsNumber(cost))
		printf("  cost $%.4f", cost->valuedouble);
	else
		printf("  cost unpriced");
	printf(", tokens %.0f in / %.0f out, latency p50 %.0f ms p95 %.0f ms p99 %.0f ms, %.1f s\n",
	       pops_json_num(s, "input_tokens", 0.0), pops_json_num(s, "output_tokens", 0.0),
	       pops_json_num(s, "latency_p50", 0.0), pops_json_num(s, "latency_p95", 0.0),
	       pops_json_num(s, "latency_p99", 0.0), pops_json_num(s, "duration_s", 0.0));
	if (cJSON_GetObjectItemCaseSensitive(s, "ttft_p50"))
		printf("  time to first token p50 %.0f ms p95 %.0f ms p99 %.0f ms\n",
		       pops_json_num(s, "ttft_p50", 0.0), pops_json_num(s, "ttft_p95", 0.0),
		       pops_json_num(s, "ttft_p99", 0.0));
	if (cJSON_GetObjectItemCaseSensitive(s, "cached_input_share"))
		printf("  prompt cache: %.0f of %.0f input tokens (%.0f%%)\n",
		       pops_json_num(s, "cached_input_tokens", 0.0), pops_json_num(s, "input_tokens", 0.0),
		       100.0 * pops_json_num(s, "cached_input_share", 0.0));
	if (pops_json_num(s, "rate_limited", 0.0) > 0)
		printf("  rate limited: %.0f %s 429, and pops started fewer requests at once\n",
		       pops_json_num(s, "rate_limited", 0.0),
		       pops_json_num(s, "rate_limited", 0.0) == 1 ? "reply was" : "replies were");
	if (cJSON_IsObject(base) && pops_json_str(base, "note", "")[0]) {
		fputs("  ", stdout);
		safe(stdout, pops_json_str(base, "note", ""));
		fputc('\n', stdout);
	} else if (cJSON_IsObject(base)) {
		printf("  baseline ");
		safe(stdout, pops_json_str(base, "ref", ""));
		printf(" (%s): %.0f newly failing, %.0f newly passing of %.0f paired, McNemar p = %.3g: %s",
		       pops_json_str(base, "source", ""), pops_json_num(base, "newly_failing", 0.0),
		       pops_json_num(base, "newly_passing", 0.0),
		       pops_json_num(base, "paired", 0.0), pops_json_num(base, "p_value", 0.0),
		       pops_json_str(base, "verdict", ""));
		printf(" (smallest detectable drop %.1f%%)\n",
		       100 * pops_json_num(base, "min_detectable_drop", 0.0));
	}
	if (spool && (pops_json_num(s, "failed", 0.0) || pops_json_num(s, "errors", 0.0))) {
		rewind(spool);
		while (shown < SHOW_FAILURES && pops_report_spool_next(spool, &rec, &line) == 1) {
			const char *st = pops_json_str(rec, "status", "");
			size_t more;

			if (!strcmp(st, "pass"))
				continue;
			/* every failed assertion counts: the first three, then how many more */
			pops_buf_clear(&why);
			pops_report_why(&why, rec, SHOW_REASONS, &more);
			if (more)
				pops_buf_printf(&why, " (+%zu more)", more);
			printf("    %s ", !strcmp(st, "fail") ? "FAIL " : "ERROR");
			safe(stdout, pops_json_str(rec, "id", ""));
			if (pops_json_num(s, "repeat", 0.0) > 1)
				printf("#%.0f", pops_json_num(rec, "repeat", 0.0));
			fputs(": ", stdout);
			safe(stdout, why.ptr);
			fputc('\n', stdout);
			if (verbose && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "output")))
				excerpt(pops_json_str(rec, "output", ""));
			shown++;
		}
		if (pops_json_num(s, "failed", 0.0) + pops_json_num(s, "errors", 0.0) > shown)
			printf("    ... %.0f more (see --junit/--json/--md)\n",
			       pops_json_num(s, "failed", 0.0) + pops_json_num(s, "errors", 0.0) - (double)shown);
		fseek(spool, 0, SEEK_END);
	}
	cJSON_Delete(rec);
	pops_buf_dispose(&line);
	pops_buf_dispose(&why);
}

struct kv {
	const char *k;
	int v;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

static struct kv *sorted(const cJSON *obj, size_t *n)
{
	const cJSON *it;
	struct kv *v;
	size_t i = 0;

	*n = (size_t)cJSON_GetArraySize(obj);
	if (!(v = calloc(*n + 1, sizeof(*v))))
		return NULL;
	cJSON_ArrayForEach(it, obj) {
		v[i].k = it->string;
		v[i++].v = cJSON_IsTrue(it);
	}
	qsort(v, i, sizeof(*v), cmp_kv);
	*n = i;
	return v;
}

void eval_flips(const cJSON *before, const cJSON *after, size_t *paired,
                size_t *newly_failing, size_t *newly_passing)
{
	size_t na = 0, nb = 0, i = 0, j = 0;
	struct kv *a = sorted(before, &na), *b = sorted(after, &nb);

	*paired = *newly_failing = *newly_passing = 0;
	while (a && b && i < na && j < nb) {
		int c = strcmp(a[i].k, b[j].k);

		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			(*paired)++;
			if (a[i].v && !b[j].v)
				(*newly_failing)++;
			else if (!a[i].v && b[j].v)
				(*newly_passing)++;
			i++;
			j++;
		}
	}
	free(a);
	free(b);
}

int eval_add_baseline(cJSON *summary, const cJSON *current, const cJSON *baseline,
                      const char *ref, const char *source, double baseline_rate)
{
	size_t paired, nf, np;
	double p;
	const char *verdict;
	cJSON *b;

	eval_flips(baseline, current, &paired, &nf, &np);
	p = pops_stats_mcnemar(nf, np);
	verdict = p < 0.05 && nf > np ? "regression" :
	          p < 0.05 && np > nf ? "improvement" : "no significant change";
	if (!(b = cJSON_AddObjectToObject(summary, "baseline")))
		return 0;
	cJSON_AddStringToObject(b, "ref", ref);
	cJSON_AddStringToObject(b, "source", source);
	if (baseline_rate >= 0)
		cJSON_AddNumberToObject(b, "pass_rate", baseline_rate);
	cJSON_AddNumberToObject(b, "paired", (double)paired);
	cJSON_AddNumberToObject(b, "newly_failing", (double)nf);
	cJSON_AddNumberToObject(b, "newly_passing", (double)np);
	cJSON_AddNumberToObject(b, "p_value", p);
	cJSON_AddStringToObject(b, "verdict", verdict);
	cJSON_AddNumberToObject(b, "min_detectable_drop", pops_stats_min_detectable_drop(paired));
	return !strcmp(verdict, "regression");
}

/*
 * The models side by side: a table, so a long suite path or model alias
 * shifts no column (and is never cut, as fixed widths cut it).
 */
void eval_print_compare(const pops_report_group *g, const cJSON *const *evidence, size_t n)
{
	cmd_table t = CMD_TABLE_INIT(6);
	pops_buf out = POPS_BUF_INIT;
	size_t i, j;

	cmd_table_row(&t, "suite", "model", "pass", "cost", "p50 ms", "flips vs first model");
	for (i = 0; i < n; i++) {
		const cJSON *s = g[i].summary, *cost = cJSON_GetObjectItemCaseSensitive(s, "cost_usd");
		char c[32], pass[32], p50[32], flips[96];

		if (cJSON_IsNumber(cost))
			snprintf(c, sizeof(c), "$%.4f", cost->valuedouble);
		else
			snprintf(c, sizeof(c), "unpriced");
		snprintf(pass, sizeof(pass), "%.1f%%", 100 * pops_json_num(s, "pass_rate", 0.0));
		snprintf(p50, sizeof(p50), "%.0f", pops_json_num(s, "latency_p50", 0.0));
		snprintf(flips, sizeof(flips), "-");
		/* the first group of the same suite is the reference */
		for (j = 0; j < i; j++)
			if (!strcmp(pops_json_str(g[j].summary, "suite", ""), pops_json_str(s, "suite", "")))
				break;
		if (j < i && evidence[i] && evidence[j]) {
			size_t paired, nf, np;

			eval_flips(cJSON_GetObjectItemCaseSensitive(evidence[j], "case_results"),
			           cJSON_GetObjectItemCaseSensitive(evidence[i], "case_results"),
			           &paired, &nf, &np);
			snprintf(flips, sizeof(flips), "-%zu +%zu of %zu", nf, np, paired);
		}
		cmd_table_row(&t, pops_json_str(s, "suite", ""), pops_json_str(s, "model", ""),
		              pass, c, p50, flips);
	}
	if (cmd_table_render(&out, &t, "", 2) == 0) {
		putchar('\n');
		fwrite(out.ptr, 1, out.size, stdout);
	}
	pops_buf_dispose(&out);
	cmd_table_dispose(&t);
}

/* "<suite> [<model>]: <why>" of one group, the file and model texts made safe */
static void result_entry(const cJSON *s, const char *why, int first)
{
	if (!first)
		fputs("; ", stdout);
	safe(stdout, pops_json_str(s, "suite", ""));
	printf(" [");
	safe(stdout, pops_json_str(s, "model", ""));
	printf("]: ");
	safe(stdout, why);
}

static const char *group_problem(const cJSON *s)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(s, "baseline");
	const char *v = pops_json_str(s, "verdict", "");

	if (!strcmp(v, "error") || !strcmp(v, "fail"))
		return pops_json_str(s, "reason", "")[0] ? pops_json_str(s, "reason", "") : v;
	if (cJSON_IsObject(b) && !strcmp(pops_json_str(b, "verdict", ""), "regression"))
		return "significant regression against the baseline";
	return NULL;
}

int eval_decide(const pops_ctx *ctx, const pops_report_group *g, size_t n,
                int interrupted, int over_budget)
{
	size_t i;
	int provider = 0, negative = 0, first = 1;

	(void)ctx;
	for (i = 0; i < n; i++) {
		const char *v = pops_json_str(g[i].summary, "verdict", "");

		if (!strcmp(v, "error"))
			provider = 1;
		else if (group_problem(g[i].summary))
			negative = 1;
	}
	if (interrupted) {
		printf("result: interrupted: partial results, marked incomplete; run again to resume from the cache\n");
		return POPS_EXIT_INTERRUPTED;
	}
	if (!provider && over_budget) {
		printf("result: incomplete: stopped by --max-cost before every case ran\n");
		return POPS_EXIT_NEGATIVE;
	}
	if (provider || negative) {
		/* every suite that did not pass, not only the first: CI shows one line */
		printf("result: %s: ", provider ? "error" : "fail");
		for (i = 0; i < n; i++) {
			const char *why = group_problem(g[i].summary);

			if (why) {
				result_entry(g[i].summary, why, first);
				first = 0;
			}
		}
		putchar('\n');
		return provider ? POPS_EXIT_PROVIDER : POPS_EXIT_NEGATIVE;
	}
	printf("result: pass: %zu suite run%s met %s threshold%s\n", n, n == 1 ? "" : "s",
	       n == 1 ? "its" : "their", n == 1 ? "" : "s");
	return POPS_EXIT_OK;
}
