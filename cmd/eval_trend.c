/*
 * pops eval trend: pass rate (and judge score, latency p95, cost per
 * case) per window from the eval evidence, a sparkline per suite, and a
 * significant drop flagged with exit 1 (lib/trend.h, pops-eval(1) TREND).
 */
#include "common.h"
#include "cmd.h"
#include "report_html.h"
#include "trend.h"
#include "rollout.h"

#include <git2.h>

struct eval_trend_opts {
	const char *target;
	const char *env;
	const char *since;
	const char *window;
	const char *html;
	int json;
};

POPS_CMD_OPTS_SIZE(eval_trend, struct eval_trend_opts);
#define O struct eval_trend_opts
const pops_opt cmd_eval_trend_opts[] = {
	OPT_STRING(O, env, "env", "env",
	           "only the evidence of the prompts released to this environment",
	           .complete = POPS_COMPLETE_ENV),
	OPT_STRING(O, since, "since", "date",
	           "leave out results dated before this UTC date (YYYY-MM-DD)"),
	OPT_STRING(O, window, "window", "day|week|N",
	           "the window of each point: a day (default), a week from Monday, or N days"),
	OPT_BOOL(O, json, "json", "print the series as JSON"),
	OPT_PATH(O, html, "html", "file",
	         "also write the series as SVG charts in a self-contained HTML file",
	         .complete = POPS_COMPLETE_FILE),
	OPT_ARG(O, target, "suite|prompt",
	        "one suite (its path in pops.yaml) or prompt; default: every one",
	        .complete = POPS_COMPLETE_SUITE),
	OPT_END
};
#undef O

/* block elements only when the locale is UTF-8 and NO_COLOR is unset */
static int use_utf8(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	const char *nc = getenv("NO_COLOR"), *v = NULL;
	size_t i;

	if (nc && *nc)
		return 0;
	for (i = 0; i < POPS_ARRAY_SIZE(vars) && !(v && *v); i++)
		v = getenv(vars[i]);
	return v && (strstr(v, "UTF-8") || strstr(v, "utf-8") || strstr(v, "UTF8") ||
	             strstr(v, "utf8"));
}

static void print_window(const pops_ctx *ctx, const pops_trend_window *w, long days)
{
	char start[21], last[21];

	pops_rollout_format_time(start, w->start);
	pops_rollout_format_time(last, w->end - 86400);
	printf("  %.10s", start);
	if (days > 1)
		printf("..%.10s", last);
	printf("  %5.1f%% [%.1f%%, %.1f%%]  %zu/%zu", 100 * w->pass_rate, 100 * w->ci_low,
	       100 * w->ci_high, w->passed, w->passed + w->failed);
	if (w->errors)
		printf(" (+%zu errors)", w->errors);
	if (w->judge_score >= 0)
		printf("  judge %.2f", w->judge_score);
	if (w->latency_p95_ms >= 0)
		printf("  p95 %.0fms", w->latency_p95_ms);
	if (w->cost_per_case >= 0)
		printf("  $%.4f/case", w->cost_per_case);
	if (w->production)
		printf("  production");
	if (w->flags) {
		printf("  %sDROP%s:", cmd_color(ctx, 1, "red"), cmd_color(ctx, 1, "reset"));
		if (w->flags & POPS_TREND_FLAG_PREVIOUS)
			printf(" below the previous window (p=%.2g)", w->p_previous);
		if (w->flags & POPS_TREND_FLAG_RELEASE)
			printf("%s below the release (p=%.2g)",
			       (w->flags & POPS_TREND_FLAG_PREVIOUS) ? "," : "", w->p_release);
	}
	putchar('\n');
}

static int print_series(const pops_ctx *ctx, const pops_trend *t, const pops_trend_series *s,
                        int utf8)
{
	pops_buf line = POPS_BUF_INIT;
	size_t i;
	int flagged = 0;

	for (i = 0; i < s->n; i++)
		flagged |= s->w[i].flags != 0;
	if (pops_trend_sparkline(&line, s, utf8) < 0) {
		pops_buf_dispose(&line);
		return cmd_fail(POPS_ERROR);
	}
	printf("%s%s%s (%s)  %s  %.1f%% -> %.1f%%", cmd_color(ctx, 1, "bold"), s->suite,
	       cmd_color(ctx, 1, "reset"), s->prompt, line.ptr, 100 * s->w[0].pass_rate,
	       100 * s->w[s->n - 1].pass_rate);
	if (s->has_baseline)
		printf("  release %.1f%%", 100 * (double)s->base_passed /
		       (double)(s->base_passed + s->base_failed ? s->base_passed + s->base_failed : 1));
	printf("%s\n", flagged ? "  drift" : "");
	for (i = 0; i < s->n; i++)
		print_window(ctx, &s->w[i], t->window_days);
	pops_buf_dispose(&line);
	return POPS_EXIT_OK;
}

static int print_json(const pops_trend *t)
{
	cJSON *j = pops_trend_to_json(t);
	char *text = j ? cJSON_Print(j) : NULL;

	cJSON_Delete(j);
	if (!text)
		return cmd_fail(pops_error_oom());
	puts(text);
	cJSON_free(text);
	return POPS_EXIT_OK;
}

/* --html: the charts, from the series' JSON ("-": standard output instead of the text) */
static int write_html(const pops_trend *t, const char *path)
{
	cJSON *j = pops_trend_to_json(t);
	int error;

	if (!j)
		return cmd_fail(pops_error_oom());
	error = pops_report_html_trend(path, j);
	cJSON_Delete(j);
	return error < 0 ? cmd_fail(error) : POPS_EXIT_OK;
}

static int print_text(const pops_ctx *ctx, const pops_trend *t)
{
	int utf8 = use_utf8(), ret;
	size_t i;

	if (!t->n) {
		cmd_note("no eval evidence yet: 'pops eval run' records it (refs/notes/pops)");
		return POPS_EXIT_OK;
	}
	for (i = 0; i < t->n; i++)
		if ((ret = print_series(ctx, t, &t->s[i], utf8)) != POPS_EXIT_OK)
			return ret;
	if (t->flagged)
		printf("\n%zu window%s with a significant drop (Fisher exact, alpha %.2g%s)\n",
		       t->flagged, t->flagged == 1 ? "" : "s", t->alpha,
		       t->n > 1 ? ", Holm-corrected across suites" : "");
	return POPS_EXIT_OK;
}

int cmd_eval_trend(pops_ctx *ctx, void *o)
{
	struct eval_trend_opts *opts = o;
	pops_trend_opts to = POPS_TREND_OPTS_INIT;
	pops_trend t;
	int error, ret;

	memset(&t, 0, sizeof(t));
	if (opts->window && (error = pops_trend_parse_window(&to.window_days, opts->window)) < 0)
		return cmd_fail(error);
	if (opts->since && (error = pops_trend_parse_date(&to.since, opts->since)) < 0)
		return cmd_fail(error);
	to.target = opts->target;
	to.env = opts->env;
	if ((error = pops_trend_build(&t, ctx->repo, &to)) < 0) {
		pops_trend_dispose(&t);
		return cmd_fail(error);
	}
	if (opts->html && !strcmp(opts->html, "-"))
		ret = write_html(&t, "-");
	else if ((ret = opts->json ? print_json(&t) : print_text(ctx, &t)) == POPS_EXIT_OK && opts->html)
		ret = write_html(&t, opts->html);
	if (ret == POPS_EXIT_OK && t.flagged)
		ret = POPS_EXIT_NEGATIVE;
	pops_trend_dispose(&t);
	if (fflush(stdout) != 0 && ret != POPS_EXIT_RUNTIME)
		ret = cmd_error(POPS_EXIT_RUNTIME, "cannot write to stdout: %s", strerror(errno));
	return ret;
}
