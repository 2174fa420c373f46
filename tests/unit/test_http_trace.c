#include "unit.h"
#include "http_trace.h"
#include "strutil.h"

#define KEY "sk-proj-CANARYtrace0123456789abcdef"

static char *redact_header(const char *line)
{
	pops_buf b = POPS_BUF_INIT;

	pops_http_redact_header(&b, line, strlen(line));
	return pops_buf_detach(&b);
}

#define CHECK_HDR(in, want) do { char *r_ = redact_header(in); CHECK_STR(r_, want); free(r_); } while (0)

TEST(sensitive_header_values_are_redacted_whole)
{
	CHECK_HDR("Authorization: Bearer " KEY, "Authorization: [redacted]");
	CHECK_HDR("authorization: Bearer " KEY "\r\n", "authorization: [redacted]");
	CHECK_HDR("x-api-key: " KEY, "x-api-key: [redacted]");
	CHECK_HDR("api-key: " KEY, "api-key: [redacted]");
	CHECK_HDR("X-Goog-Api-Key: " KEY, "X-Goog-Api-Key: [redacted]");
	CHECK_HDR("Proxy-Authorization: Basic abc", "Proxy-Authorization: [redacted]");
	CHECK_HDR("Cookie: s=1", "Cookie: [redacted]");
	CHECK_HDR("set-cookie: s=1; HttpOnly\r\n", "set-cookie: [redacted]");
	CHECK_HDR("X-Custom-Token: t", "X-Custom-Token: [redacted]");
	CHECK_HDR("x-ratelimit-remaining-tokens: 9000", "x-ratelimit-remaining-tokens: 9000");
	CHECK_HDR("Content-Type: application/json\r\n", "Content-Type: application/json");
	CHECK_HDR("HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK");
	CHECK_HDR("anthropic-version: 2023-06-01", "anthropic-version: 2023-06-01");
}

static char *redact_url(const char *url)
{
	pops_buf b = POPS_BUF_INIT;

	pops_http_redact_url(&b, url);
	return pops_buf_detach(&b);
}

#define CHECK_URL(in, want) do { char *r_ = redact_url(in); CHECK_STR(r_, want); free(r_); } while (0)

TEST(key_query_parameters_and_user_info_are_redacted)
{
	CHECK_URL("http://127.0.0.1:5/v1/chat/completions", "http://127.0.0.1:5/v1/chat/completions");
	CHECK_URL("https://h/v1/m:generate?key=" KEY, "https://h/v1/m:generate?key=[redacted]");
	CHECK_URL("https://h/p?alt=sse&API_KEY=" KEY "&x=1#frag",
	          "https://h/p?alt=sse&API_KEY=[redacted]&x=1#frag");
	CHECK_URL("https://h/p?monkey=1&key", "https://h/p?monkey=1&key");
	CHECK_URL("https://user:" KEY "@h/p?a=b", "https://[redacted]@h/p?a=b");
	CHECK_URL("https://h/p?access_token=abc&token=def", "https://h/p?access_token=[redacted]&token=[redacted]");
}

TEST(bodies_are_one_line_truncated_and_keys_scrubbed)
{
	char *hdrs[] = { "x-api-key: " KEY, "Authorization: Bearer zz-otherkey-1234", NULL };
	pops_buf b = POPS_BUF_INIT;
	const char *body = "{\"error\":\"Incorrect API key provided: sk-proj-****cdef\"}\n"
	                   "echo " KEY " and zz-otherkey-1234.";

	CHECK_INT(pops_http_redact_body(&b, body, strlen(body), 4096, hdrs), 0);
	CHECK_STR(b.ptr, "{\"error\":\"Incorrect API key provided: [redacted]\"}\\n"
	                 "echo [redacted] and [redacted].");
	pops_buf_clear(&b);
	CHECK_INT(pops_http_redact_body(&b, "abcdef\x01", 7, 4, NULL), 0);
	CHECK_STR(b.ptr, "abcd... (3 more bytes)");
	pops_buf_clear(&b);
	/* a key cut by the truncation is still redacted whole */
	CHECK_INT(pops_http_redact_body(&b, "ab " KEY, strlen("ab " KEY), 8, NULL), 0);
	CHECK(!strstr(b.ptr, "sk-p"));
	CHECK(strstr(b.ptr, "[redacted]") != NULL);
	pops_buf_dispose(&b);
}

static void collect(void *payload, const char *line)
{
	pops_buf_puts(payload, line);
	pops_buf_putc(payload, '\n');
}

TEST(trace_lines_show_request_and_outcome_without_the_key)
{
	pops_http_job *job = pops_http_job_new();
	pops_buf lines = POPS_BUF_INIT;

	CHECK(job != NULL);
	job->url = pops_strdup("http://127.0.0.1:9/v1/messages?key=" KEY);
	job->body = pops_strdup("{\"k\":\"" KEY "\"}");
	job->body_len = strlen(job->body);
	CHECK_INT(pops_http_job_header(job, "x-api-key", KEY), 0);
	CHECK_INT(pops_http_job_header(job, "Content-Type", "application/json"), 0);
	job->attempts = 1;
	CHECK(!pops_http_trace_on());
	pops_http__trace_request(0, job);   /* no sink: nothing happens */
	pops_http_trace_set(collect, &lines, POPS_HTTP_TRACE_BODIES);
	CHECK(pops_http_trace_on());
	pops_http__trace_request(3, job);
	pops_http__trace_header(3, "HTTP/1.1 429 Too Many Requests\r\n", 32);
	pops_http__trace_header(3, "retry-after: 1\r\n", 16);
	pops_http__trace_header(3, "\r\n", 2);
	job->http_status = 429;
	pops_buf_puts(&job->response, "slow down " KEY);
	pops_http__trace_end(3, job, NULL, 1000);
	pops_http__trace_end(3, job, "Connection refused", -1);
	pops_http_trace_set(NULL, NULL, 0);
	CHECK(strstr(lines.ptr, "[3] * POST http://127.0.0.1:9/v1/messages?key=[redacted] (attempt 1)\n"));
	CHECK(strstr(lines.ptr, "[3] > x-api-key: [redacted]\n"));
	CHECK(strstr(lines.ptr, "[3] > Content-Type: application/json\n"));
	CHECK(strstr(lines.ptr, "[3] > body 43 bytes: {\"k\":\"[redacted]\"}\n"));
	CHECK(strstr(lines.ptr, "[3] < HTTP/1.1 429 Too Many Requests\n[3] < retry-after: 1\n[3] < body"));
	CHECK(strstr(lines.ptr, "[3] * HTTP 429 after 0.0 ms, 0 body bytes; retrying in 1000 ms\n"));
	CHECK(strstr(lines.ptr, "[3] * failed: Connection refused after"));
	CHECK(strstr(lines.ptr, "; done after 1 attempt\n"));
	CHECK(!strstr(lines.ptr, "CANARY"));
	pops_buf_dispose(&lines);
	pops_http_job_free(job);
}
