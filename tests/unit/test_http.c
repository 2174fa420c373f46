#include "unit.h"
#include "http.h"
#include "strutil.h"

TEST(retries_rate_limits_and_server_errors_but_never_client_errors)
{
	CHECK(pops_http_retryable(408, "", -1));
	CHECK(pops_http_retryable(409, "", -1));
	CHECK(pops_http_retryable(429, "{\"error\":{\"type\":\"rate_limit_error\"}}", -1));
	CHECK(pops_http_retryable(500, "", -1));
	CHECK(pops_http_retryable(502, "", -1));
	CHECK(pops_http_retryable(503, "", -1));
	CHECK(pops_http_retryable(529, "", -1));
	CHECK(!pops_http_retryable(400, "", -1));
	CHECK(!pops_http_retryable(401, "", 1));
	CHECK(!pops_http_retryable(403, "", 1));
	CHECK(!pops_http_retryable(404, "", 1));
	CHECK(!pops_http_retryable(429, "{\"error\":{\"code\":\"insufficient_quota\"}}", -1));
	CHECK(!pops_http_retryable(503, "", 0));
	CHECK(pops_http_retryable(422, "", 1));
	CHECK(!pops_http_retryable(422, "", -1));
}

TEST(retry_after_headers_in_ms_seconds_and_http_dates)
{
	/* 2015-10-21 07:28:00 UTC */
	long long now = 1445412480;

	CHECK_INT(pops_http_retry_after_ms("250", "9", now), 250);
	CHECK_INT(pops_http_retry_after_ms(NULL, "2", now), 2000);
	CHECK_INT(pops_http_retry_after_ms(NULL, "0.5", now), 500);
	CHECK_INT(pops_http_retry_after_ms(NULL, "Wed, 21 Oct 2015 07:28:03 GMT", now), 3000);
	CHECK_INT(pops_http_retry_after_ms(NULL, "Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
	CHECK_INT(pops_http_retry_after_ms(NULL, "soon", now), -1);
	CHECK_INT(pops_http_retry_after_ms("x", NULL, now), -1);
	CHECK_INT(pops_http_retry_after_ms(NULL, NULL, now), -1);
}

TEST(job_headers_are_copied_and_freed)
{
	pops_http_job *job = pops_http_job_new();

	CHECK(job);
	CHECK_INT(pops_http_job_header(job, "A", "1"), 0);
	CHECK_INT(pops_http_job_header(job, "B", "two"), 0);
	CHECK_STR(job->headers[0], "A: 1");
	CHECK_STR(job->headers[1], "B: two");
	CHECK(!job->headers[2]);
	pops_http_job_free(job);
	pops_http_job_free(NULL);
}

static int no_next(void *payload, pops_http_job **out)
{
	(void)payload;
	*out = NULL;
	return 0;
}

static int no_done(void *payload, pops_http_job *job)
{
	(void)payload;
	pops_http_job_free(job);
	return 0;
}

TEST(an_empty_run_returns_at_once)
{
	pops_http_options o = { 4, 1000, 0, 0, 10, 100, 1024, NULL };

	CHECK_INT(pops_http_run(&o, no_next, no_done, NULL), 0);
}

static int one_next(void *payload, pops_http_job **out)
{
	int *given = payload;

	*out = NULL;
	if ((*given)++)
		return 0;
	*out = pops_http_job_new();
	(*out)->url = pops_strdup("http://127.0.0.1:1/unreachable");
	return 1;
}

static int one_next_k(void *payload, pops_http_job **out)
{
	pops_http_job **keep = payload;

	return one_next(keep[0], out);
}

static int keep_done(void *payload, pops_http_job *job)
{
	pops_http_job **keep = payload;

	keep[1] = job;
	return 0;
}

TEST(unreachable_host_is_retried_then_reported)
{
	pops_http_options o = { 2, 1000, 0, 2, 1, 5, 1024, NULL };
	int given = 0;
	pops_http_job *keep[2] = { (pops_http_job *)&given, NULL };

	CHECK_INT(pops_http_run(&o, one_next_k, keep_done, keep), 0);
	CHECK(keep[1]);
	CHECK_INT(keep[1]->status, POPS_EPROVIDER);
	CHECK_INT(keep[1]->attempts, 3);
	CHECK(strstr(keep[1]->error, "after 3 attempts"));
	pops_http_job_free(keep[1]);
}
