#include "unit.h"
#include "relfix.h"
#include "evidence.h"
#include "trend.h"
#include "release.h"

#include <math.h>

/* one evidence result of `suite` (prompt named after it), recorded on `c` */
static const char *put_blob = "aaaa";

static int put(relfix *f, const git_oid *c, const char *suite, const char *prompt,
               const char *fp, const char *kind, const char *date, int passed, int failed,
               double cost)
{
	cJSON *r = cJSON_CreateObject();
	int error;

	cJSON_AddStringToObject(r, "suite", suite);
	cJSON_AddStringToObject(r, "prompt", prompt);
	cJSON_AddStringToObject(r, "prompt_blob", put_blob);
	cJSON_AddStringToObject(r, "model", "m-1");
	cJSON_AddStringToObject(r, "fingerprint", fp);
	cJSON_AddStringToObject(r, "kind", kind);
	cJSON_AddNumberToObject(r, "cases", passed + failed);
	cJSON_AddNumberToObject(r, "passed", passed);
	cJSON_AddNumberToObject(r, "failed", failed);
	cJSON_AddNumberToObject(r, "errors", 0);
	cJSON_AddNumberToObject(r, "pass_rate", (double)passed / (passed + failed));
	cJSON_AddStringToObject(r, "verdict", "pass");
	if (cost >= 0)
		cJSON_AddNumberToObject(r, "cost_usd", cost);
	cJSON_AddStringToObject(r, "date", date);
	error = pops_evidence_record(f->repo, c, r);
	cJSON_Delete(r);
	return error;
}

/*
 * Two suites released at 95/100 on 2026-11-02; production evidence for
 * three days after. a drops to 70/100 on day 3; b drifts 95, 93, 92.
 */
static int history(relfix *f)
{
	git_oid c;
	static const char *const days[] = { "2026-11-03T08:00:00Z", "2026-11-04T08:00:00Z",
		"2026-11-05T08:00:00Z" };
	static const int a[] = { 95, 94, 70 }, b[] = { 95, 93, 92 };
	char fp[32];
	int i;

	if (relfix_commit(f, &c, "prompts/a.prompt", "hi\n", "one") < 0 ||
	    put(f, &c, "evals/a.yaml", "a", "rel-a", "complete", "2026-11-02T10:00:00Z", 95, 5, 0.5) < 0 ||
	    put(f, &c, "evals/b.yaml", "b", "rel-b", "complete", "2026-11-02T10:00:00Z", 95, 5, -1) < 0 ||
	    /* a partial run never counts */
	    put(f, &c, "evals/a.yaml", "a", "part-a", "partial", "2026-11-03T09:00:00Z", 0, 10, -1) < 0)
		return -1;
	for (i = 0; i < 3; i++) {
		snprintf(fp, sizeof(fp), "prod-a-%d", i);
		if (put(f, &c, "evals/a.yaml", "a", fp, "production", days[i], a[i], 100 - a[i], 0.2) < 0)
			return -1;
		snprintf(fp, sizeof(fp), "prod-b-%d", i);
		if (put(f, &c, "evals/b.yaml", "b", fp, "production", days[i], b[i], 100 - b[i], -1) < 0)
			return -1;
	}
	return 0;
}

TEST(trend_flags_the_drop_and_not_the_noise)
{
	relfix f;
	pops_trend t;
	pops_trend_opts o = POPS_TREND_OPTS_INIT;
	const pops_trend_window *w;

	memset(&t, 0, sizeof(t));
	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(history(&f), 0);
	CHECK_INT(pops_trend_build(&t, f.repo, &o), 0);
	CHECK_INT(t.n, 2);
	CHECK_INT(t.flagged, 1);
	CHECK_STR(t.s[0].suite, "evals/a.yaml");
	/* the release day and three production days */
	CHECK_INT(t.s[0].n, 4);
	CHECK(t.s[0].has_baseline);
	CHECK_INT(t.s[0].base_passed, 95);
	CHECK_STR(t.s[0].base_fingerprint, "rel-a");
	w = &t.s[0].w[0];
	/* the partial result (0/10) is not in the release day */
	CHECK_INT(w->passed, 95);
	CHECK(!w->production);
	CHECK(w->p_release < 0);
	CHECK(fabs(w->cost_per_case - 0.005) < 1e-12);
	w = &t.s[0].w[3];
	CHECK_INT(w->passed, 70);
	CHECK(w->production);
	CHECK_INT(w->flags, POPS_TREND_FLAG_PREVIOUS | POPS_TREND_FLAG_RELEASE);
	/* Holm over the four tests of that day: 4 * 3.5477e-6 for the smallest */
	CHECK(fabs(w->p_release / (4 * 3.5476954553155868e-06) - 1) < 1e-6);
	CHECK(w->ci_low < 0.7 && w->ci_high > 0.7);
	CHECK(!t.s[0].w[1].flags && !t.s[0].w[2].flags);
	/* b: 95 -> 92 is noise */
	CHECK_STR(t.s[1].suite, "evals/b.yaml");
	CHECK_INT(t.s[1].n, 4);
	CHECK(!t.s[1].w[3].flags);
	CHECK(t.s[1].w[3].p_release > 0.5);
	CHECK(t.s[1].w[3].cost_per_case < 0);
	pops_trend_dispose(&t);
	relfix_dispose(&f);
}

TEST(trend_target_since_and_week_windows)
{
	relfix f;
	pops_trend t;
	pops_trend_opts o = POPS_TREND_OPTS_INIT;

	memset(&t, 0, sizeof(t));
	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(history(&f), 0);
	/* a prompt name selects its suite; --since drops the release day from the series
	 * but it stays the baseline */
	o.target = "a";
	CHECK_INT(pops_trend_parse_date(&o.since, "2026-11-03"), 0);
	CHECK_INT(pops_trend_build(&t, f.repo, &o), 0);
	CHECK_INT(t.n, 1);
	CHECK_INT(t.s[0].n, 3);
	CHECK(t.s[0].has_baseline);
	CHECK_INT(t.flagged, 1);
	pops_trend_dispose(&t);
	/* a week (Mon 2026-11-02 .. Sun 11-08) holds it all: nothing to compare */
	o.target = "evals/b.yaml";
	o.since = 0;
	CHECK_INT(pops_trend_parse_window(&o.window_days, "week"), 0);
	CHECK_INT(pops_trend_build(&t, f.repo, &o), 0);
	CHECK_INT(t.n, 1);
	CHECK_INT(t.s[0].n, 1);
	CHECK_INT(t.s[0].w[0].passed, 95 + 95 + 93 + 92);
	CHECK_INT(t.s[0].w[0].start, 1793577600); /* 2026-11-02T00:00:00Z, a Monday */
	CHECK_INT(t.flagged, 0);
	pops_trend_dispose(&t);
	o.target = "nope";
	CHECK_INT(pops_trend_build(&t, f.repo, &o), POPS_ENOTFOUND);
	CHECK_ERR_HAS("no eval evidence for suite or prompt 'nope'");
	pops_trend_dispose(&t);
	o.target = NULL;
	o.env = "prod";
	CHECK_INT(pops_trend_build(&t, f.repo, &o), POPS_ENOTFOUND);
	CHECK_ERR_HAS("nothing is released to prod");
	pops_trend_dispose(&t);
	relfix_dispose(&f);
}

TEST(trend_json_shape_and_sparkline)
{
	relfix f;
	pops_trend t;
	pops_trend_opts o = POPS_TREND_OPTS_INIT;
	pops_buf b = POPS_BUF_INIT;
	cJSON *j, *s0, *w3;

	memset(&t, 0, sizeof(t));
	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(history(&f), 0);
	CHECK_INT(pops_trend_build(&t, f.repo, &o), 0);
	CHECK((j = pops_trend_to_json(&t)) != NULL);
	CHECK_INT(cJSON_GetObjectItem(j, "flagged")->valueint, 1);
	CHECK_INT(cJSON_GetObjectItem(j, "window_days")->valueint, 1);
	s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "series"), 0);
	CHECK_STR(cJSON_GetObjectItem(s0, "suite")->valuestring, "evals/a.yaml");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(s0, "baseline"), "fingerprint")->valuestring,
	          "rel-a");
	w3 = cJSON_GetArrayItem(cJSON_GetObjectItem(s0, "windows"), 3);
	CHECK_STR(cJSON_GetObjectItem(w3, "start")->valuestring, "2026-11-05T00:00:00Z");
	CHECK_STR(cJSON_GetObjectItem(w3, "end")->valuestring, "2026-11-06T00:00:00Z");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(w3, "flagged")));
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(w3, "flags"), 0)->valuestring, "previous");
	CHECK_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(w3, "flags"), 1)->valuestring, "release");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(w3, "latency_p95_ms")));
	CHECK(cJSON_IsNumber(cJSON_GetObjectItem(w3, "cost_per_case")));
	cJSON_Delete(j);
	/* 95% 95% 94% 70%: round(7p) = 7 7 7 5 */
	CHECK_INT(pops_trend_sparkline(&b, &t.s[0], 0), 0);
	CHECK_STR(b.ptr, "###+");
	pops_buf_clear(&b);
	CHECK_INT(pops_trend_sparkline(&b, &t.s[0], 1), 0);
	CHECK_STR(b.ptr, "\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x86");
	pops_buf_dispose(&b);
	pops_trend_dispose(&t);
	relfix_dispose(&f);
}

TEST(trend_parses_window_and_date)
{
	long d = 0;
	long long t = 0;

	CHECK_INT(pops_trend_parse_window(&d, "day"), 0);
	CHECK_INT(d, 1);
	CHECK_INT(pops_trend_parse_window(&d, "3"), 0);
	CHECK_INT(d, 3);
	CHECK_INT(pops_trend_parse_window(&d, "0"), POPS_EINVALID);
	CHECK_INT(pops_trend_parse_window(&d, "-2"), POPS_EINVALID);
	CHECK_INT(pops_trend_parse_window(&d, "month"), POPS_EINVALID);
	CHECK_ERR_HAS("--window 'month'");
	CHECK_INT(pops_trend_parse_date(&t, "1970-01-02"), 0);
	CHECK_INT(t, 86400);
	CHECK_INT(pops_trend_parse_date(&t, "1970-01-01T00:01:00Z"), 0);
	CHECK_INT(t, 60);
	CHECK_INT(pops_trend_parse_date(&t, "2026-13-01"), POPS_EINVALID);
	CHECK_ERR_HAS("--since '2026-13-01'");
}

/*
 * --env: only results of the released blob count, and the baseline is the
 * result whose fingerprint the ledger entry names, not merely the newest
 * complete one before production.
 */
TEST(trend_env_takes_the_released_blob_and_its_gate_evidence)
{
	relfix f;
	pops_trend t;
	pops_trend_opts o = POPS_TREND_OPTS_INIT;
	pops_release_entry e;
	pops_release_change ch;
	git_oid c, b;
	char hex[GIT_OID_HEXSZ + 1];

	memset(&t, 0, sizeof(t));
	memset(&e, 0, sizeof(e));
	memset(&ch, 0, sizeof(ch));
	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c, "prompts/a.prompt", "hi\n", "one"), 0);
	CHECK_INT(git_blob_create_from_buffer(&b, f.repo, "hi\n", 3), 0);
	e.env = "prod";
	e.prompt = "a";
	e.version = 1;
	e.evidence = "gate-a";
	git_oid_cpy(&e.blob, &b);
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = &e;
	CHECK_INT(pops_release_commit(NULL, f.repo, NULL, &ch), 0);
	put_blob = git_oid_tostr(hex, sizeof(hex), &b);
	CHECK_INT(put(&f, &c, "evals/a.yaml", "a", "gate-a", "complete", "2026-11-01T10:00:00Z",
	              95, 5, -1), 0);
	/* newer complete evidence, but not what the gate used */
	CHECK_INT(put(&f, &c, "evals/a.yaml", "a", "later-a", "complete", "2026-11-02T10:00:00Z",
	              60, 40, -1), 0);
	CHECK_INT(put(&f, &c, "evals/a.yaml", "a", "prod-a", "production", "2026-11-03T10:00:00Z",
	              72, 28, -1), 0);
	put_blob = "aaaa";
	CHECK_INT(put(&f, &c, "evals/a.yaml", "a", "old-a", "production", "2026-11-03T11:00:00Z",
	              10, 90, -1), 0);
	o.env = "prod";
	CHECK_INT(pops_trend_build(&t, f.repo, &o), 0);
	CHECK_INT(t.n, 1);
	CHECK_STR(t.s[0].base_fingerprint, "gate-a");
	CHECK_INT(t.s[0].n, 3);
	/* the other blob's 10/100 is not in the production day */
	CHECK_INT(t.s[0].w[2].passed, 72);
	/* 72 vs the gate's 95: flagged; vs the 60 of the day before: no drop */
	CHECK_INT(t.s[0].w[2].flags, POPS_TREND_FLAG_RELEASE);
	/* and the 60 of 11-02 was a drop from both the 95 before it and the gate's */
	CHECK_INT(t.s[0].w[1].flags, POPS_TREND_FLAG_PREVIOUS | POPS_TREND_FLAG_RELEASE);
	CHECK_INT(t.flagged, 2);
	pops_trend_dispose(&t);
	/* without --env the newest complete result before production is the baseline */
	o.env = NULL;
	CHECK_INT(pops_trend_build(&t, f.repo, &o), 0);
	CHECK_STR(t.s[0].base_fingerprint, "later-a");
	CHECK_INT(t.s[0].w[2].passed, 82);
	pops_trend_dispose(&t);
	relfix_dispose(&f);
}
