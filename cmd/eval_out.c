#include "common.h"
#include <math.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "eval_out.h"
#include "eval_flips.h"
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

/* the block's numbers: runs, pass rate, cost, usage, rate limits, the baseline */
static void print_numbers(const pops_ctx *ctx, const pops_eval_summary *s, const cJSON *summary)
{
	const char *on = cmd_color(ctx, 1, !strcmp(s->verdict, "pass") ? "green" : "red");
	const char *off = cmd_color(ctx, 1, "reset");
	pops_buf line = POPS_BUF_INIT;
	int batch;

	safe(stdout, s->suite);
	fputs("  ", stdout);
	safe(stdout, s->prompt);
	fputs(" on ", stdout);
	safe(stdout, s->model);
	printf(" (");
	safe(stdout, s->model_id);
	printf(")%s\n", s->incomplete ? "  [incomplete]" : "");
	printf("  %.0f run%s: %.0f passed, %.0f failed, %.0f error%s; %.0f cached, %.0f sent",
	       s->cases, s->cases == 1 ? "" : "s", s->passed, s->failed, s->errors,
	       s->errors == 1 ? "" : "s", s->cached, s->sent);
	if (s->unsent)
		printf(", %.0f not sent", s->unsent);
	putchar('\n');
	if ((batch = pops_eval_summary_mode(&line, summary)) > 0) {
		fputs("  ", stdout);
		safe(stdout, line.ptr);
		fputc('\n', stdout);
		pops_buf_clear(&line);
	}
	pops_buf_put_percent(&line, s->threshold);
	printf("  pass rate %.1f%% (95%% CI %.1f–%.1f%%), threshold %s: %s%s%s\n",
	       100 * s->pass_rate, 100 * s->ci_low, 100 * s->ci_high, line.ptr, on, s->verdict, off);
	if (s->has_pass_k)
		printf("  pass@%.0f %.3f, pass^%.0f %.3f\n", s->repeat, s->pass_at_k, s->repeat,
		       s->pass_hat_k);
	/* what this run paid apart from what the cache answered for free */
	if (s->priced && s->cached)
		printf("  cost $%.4f spent, $%.4f saved by the cache", s->cost_spent_usd, s->cost_saved_usd);
	else if (s->priced)
		printf("  cost $%.4f", s->cost_usd);
	else
		printf("  cost unpriced");
	printf(", tokens %.0f in / %.0f out, ", s->input_tokens, s->output_tokens);
	if (batch > 0 && pops_json_num(summary, "latency_n", 0.0) == 0)
		printf("latency not measured (Batch API), %.1f s\n", s->duration_s);
	else
		printf("latency p50 %.0f ms p95 %.0f ms p99 %.0f ms, %.1f s\n", s->latency_p50,
		       s->latency_p95, s->latency_p99, s->duration_s);
	if (s->has_ttft)
		printf("  time to first token p50 %.0f ms p95 %.0f ms p99 %.0f ms\n",
		       s->ttft_p50, s->ttft_p95, s->ttft_p99);
	if (s->has_cached_share)
		printf("  prompt cache: %.0f of %.0f input tokens (%.0f%%)\n",
		       s->cached_input_tokens, s->input_tokens, 100.0 * s->cached_input_share);
	if (s->rate_limited > 0)
		printf("  rate limited: %.0f %s 429, and pops started fewer requests at once\n",
		       s->rate_limited, s->rate_limited == 1 ? "reply was" : "replies were");
	if (s->baseline.present && s->baseline.note[0]) {
		fputs("  ", stdout);
		safe(stdout, s->baseline.note);
		fputc('\n', stdout);
	} else if (s->baseline.present) {
		printf("  baseline ");
		safe(stdout, s->baseline.ref);
		printf(" (%s): %.0f newly failing, %.0f newly passing of %.0f paired, McNemar p = %.3g: %s",
		       s->baseline.source, s->baseline.newly_failing, s->baseline.newly_passing,
		       s->baseline.paired, s->baseline.p_value, s->baseline.verdict);
		printf(" (smallest detectable drop %.1f%%)\n", 100 * s->baseline.min_detectable_drop);
	}
	pops_buf_dispose(&line);
}

/* the first failing cases, each with its first failed assertions */
static void print_failures(const pops_eval_summary *s, FILE *spool, int verbose)
{
	pops_buf line = POPS_BUF_INIT, why = POPS_BUF_INIT;
	cJSON *rec = NULL;
	size_t shown = 0;

	if (spool && (s->failed || s->errors)) {
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
			if (s->repeat > 1)
				printf("#%.0f", pops_json_num(rec, "repeat", 0.0));
			fputs(": ", stdout);
			safe(stdout, why.ptr);
			fputc('\n', stdout);
			if (verbose && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rec, "output")))
				excerpt(pops_json_str(rec, "output", ""));
			shown++;
		}
		if (s->failed + s->errors > (double)shown)
			printf("    ... %.0f more (see --junit/--json/--md)\n",
			       s->failed + s->errors - (double)shown);
		fseek(spool, 0, SEEK_END);
	}
	cJSON_Delete(rec);
	pops_buf_dispose(&line);
	pops_buf_dispose(&why);
}

/*
 * A jury's agreement, then metrics.classification: macro/micro F1,
 * accuracy, one line per label
 */
static void print_metrics(const cJSON *summary)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(summary, "classification"), *it, *d;
	const cJSON *deltas = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(summary, "baseline"), "classification");
	const cJSON *kappa = cJSON_GetObjectItemCaseSensitive(summary, "kappa");
	int w = 5;

	/* a rounding error below zero is not "-0.000" */
	if (cJSON_IsNumber(kappa))
		printf("  jury agreement: Fleiss' kappa %.3f over %.0f verdicts\n",
		       kappa->valuedouble > -5e-4 && kappa->valuedouble < 5e-4 ? 0.0 : kappa->valuedouble,
		       pops_json_num(summary, "jury_cases", 0.0));
	else if (kappa)
		printf("  jury agreement: every judge gave the same verdict on all %.0f\n",
		       pops_json_num(summary, "jury_cases", 0.0));
	if (!cJSON_IsObject(c))
		return;
	printf("  classification: macro F1 %.3f", pops_json_num(c, "macro_f1", 0.0));
	if (cJSON_GetObjectItemCaseSensitive(c, "threshold_macro_f1"))
		printf(" (threshold %.2f)", pops_json_num(c, "threshold_macro_f1", 0.0));
	printf(", micro F1 %.3f, accuracy %.1f%%\n", pops_json_num(c, "micro_f1", 0.0),
	       100 * pops_json_num(c, "accuracy", 0.0));
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c, "labels")) {
		int len = (int)strlen(pops_json_str(it, "label", ""));

		w = len > w && len <= 40 ? len : w;
	}
	printf("    %-*s  precision  recall     F1  support\n", w, "label");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c, "labels")) {
		const char *l = pops_json_str(it, "label", "");
		int pad = w - (int)strlen(l);

		fputs("    ", stdout);
		safe(stdout, l);
		printf("%*s  %9.3f  %6.3f  %5.3f  %7.0f", pad > 0 ? pad : 0, "",
		       pops_json_num(it, "precision", 0.0), pops_json_num(it, "recall", 0.0),
		       pops_json_num(it, "f1", 0.0), pops_json_num(it, "support", 0.0));
		cJSON_ArrayForEach(d, deltas)
			if (!strcmp(pops_json_str(d, "label", ""), l))
				printf("  (F1 %+.3f vs baseline)", pops_json_num(d, "delta", 0.0));
		putchar('\n');
	}
}

void eval_print_group(const pops_ctx *ctx, const cJSON *summary, FILE *spool, int verbose)
{
	pops_eval_summary s;

	pops_eval_summary_read(&s, summary);
	print_numbers(ctx, &s, summary);
	print_metrics(summary);
	print_failures(&s, spool, verbose);
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
		pops_eval_summary s, r;
		char c[32], pass[32], p50[32], flips[96];

		pops_eval_summary_read(&s, g[i].summary);
		if (s.priced)
			snprintf(c, sizeof(c), "$%.4f", s.cost_usd);
		else
			snprintf(c, sizeof(c), "unpriced");
		snprintf(pass, sizeof(pass), "%.1f%%", 100 * s.pass_rate);
		snprintf(p50, sizeof(p50), "%.0f", s.latency_p50);
		snprintf(flips, sizeof(flips), "-");
		/* the first group of the same suite is the reference */
		for (j = 0; j < i; j++) {
			pops_eval_summary_read(&r, g[j].summary);
			if (!strcmp(r.suite, s.suite))
				break;
		}
		if (j < i && evidence[i] && evidence[j]) {
			size_t paired, nf, np;

			pops_eval_flips(cJSON_GetObjectItemCaseSensitive(evidence[j], "case_results"),
			                cJSON_GetObjectItemCaseSensitive(evidence[i], "case_results"),
			                &paired, &nf, &np);
			snprintf(flips, sizeof(flips), "-%zu +%zu of %zu", nf, np, paired);
		}
		cmd_table_row(&t, s.suite, s.model, pass, c, p50, flips);
	}
	if (cmd_table_render(&out, &t, "", 2) == 0) {
		putchar('\n');
		fwrite(out.ptr, 1, out.size, stdout);
	}
	pops_buf_dispose(&out);
	cmd_table_dispose(&t);
}

/* "<suite> [<model>]: <why>" of one group, the file and model texts made safe */
static void result_entry(const pops_eval_summary *s, const char *why, int first)
{
	if (!first)
		fputs("; ", stdout);
	safe(stdout, s->suite);
	printf(" [");
	safe(stdout, s->model);
	printf("]: ");
	safe(stdout, why);
}

static const char *group_problem(const pops_eval_summary *s)
{
	if (!strcmp(s->verdict, "error") || !strcmp(s->verdict, "fail"))
		return s->reason[0] ? s->reason : s->verdict;
	if (s->baseline.present && !strcmp(s->baseline.verdict, "regression"))
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
		pops_eval_summary s;

		pops_eval_summary_read(&s, g[i].summary);
		if (!strcmp(s.verdict, "error"))
			provider = 1;
		else if (group_problem(&s))
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
			pops_eval_summary s;
			const char *why;

			pops_eval_summary_read(&s, g[i].summary);
			if ((why = group_problem(&s))) {
				result_entry(&s, why, first);
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
