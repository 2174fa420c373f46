/*
 * Deterministic assertion throughput on 1 KB outputs: contains and regex
 * (PCRE2 with JIT), the checks every eval case runs, and the list,
 * contains-json, rouge-n and word-count types, the tool-call types on a
 * reply with two calls and assert-set over three members. Built and run by
 * bench/eval.sh against the release objects; prints assertions/second.
 * `assert-bench N` checks each N times (default 2,000,000).
 */
#include "common.h"
#include <time.h>
#include "assertion.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the reply's tool calls and the prompt's tool definitions for the tool-call types */
static const cJSON *calls, *defs;

static double run(const char *spec, const char *out, size_t len, const cJSON *scope, long n)
{
	cJSON *node = cJSON_Parse(spec);
	pops_assert *a = NULL;
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	pops_assert_input in = { out, len, scope, 10, 0, "c", NULL, -1, calls, defs };
	double t0, t;
	long i, pass = 0;

	if (pops_assert_compile(&a, node, "bench", 1) < 0) {
		fprintf(stderr, "%s\n", pops_error_last());
		exit(3);
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		pops_assert_check(&res, a, &in);
		pass += res.pass;
	}
	t = now() - t0;
	if (pass != n) {
		fprintf(stderr, "bench: %s did not pass\n", spec);
		exit(3);
	}
	pops_buf_dispose(&res.reason);
	pops_assert_free(a);
	cJSON_Delete(node);
	return (double)n / t;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
	pops_buf out = POPS_BUF_INIT, js = POPS_BUF_INIT;
	cJSON *scope = cJSON_Parse("{\"expected\":\"the answer is 42\"}");
	cJSON *tc = cJSON_Parse("[{\"name\":\"lookup\",\"arguments\":{\"id\":7}},"
	                        "{\"name\":\"send\",\"arguments\":{\"to\":\"x\",\"body\":\"hi\"}}]");
	cJSON *td = cJSON_Parse("[{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\","
	                        "\"required\":[\"id\"],\"properties\":{\"id\":{\"type\":\"integer\"}}}},"
	                        "{\"name\":\"send\",\"parameters\":{\"type\":\"object\",\"required\":"
	                        "[\"to\"],\"properties\":{\"to\":{\"type\":\"string\"},"
	                        "\"body\":{\"type\":\"string\"}}}}]");
	double c, ic, r, rt, any, iall, cj, cjs, r1, r2, wc, t1, t1a, t2, tv, set;

	/* 1 KB of text with the match near the end, where a scan costs most */
	while (out.size < 1000)
		pops_buf_puts(&out, "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ");
	pops_buf_puts(&out, "So The Answer Is 42.");
	/* the same prose with a fenced JSON object at the end, as models answer */
	pops_buf_printf(&js, "%s\n```json\n{\"answer\": 42, \"tags\": [\"a\", \"b\"]}\n```\n",
	                out.ptr);
	c = run("{\"type\":\"contains\",\"value\":\"Answer Is 42\"}", out.ptr, out.size, scope, n);
	ic = run("{\"type\":\"icontains\",\"value\":\"{{expected}}\"}", out.ptr, out.size, scope, n);
	r = run("{\"type\":\"regex\",\"value\":\"[Aa]nswer [Ii]s \\\\d+\"}", out.ptr, out.size, scope, n);
	rt = run("{\"type\":\"regex\",\"value\":\"^Lorem.*42\\\\.$\"}", out.ptr, out.size, scope, n);
	any = run("{\"type\":\"contains-any\",\"value\":[\"zebra\",\"giraffe\",\"Answer Is 42\"]}",
	          out.ptr, out.size, scope, n);
	iall = run("{\"type\":\"icontains-all\",\"value\":[\"lorem\",\"{{expected}}\"]}",
	           out.ptr, out.size, scope, n);
	cj = run("{\"type\":\"contains-json\"}", js.ptr, js.size, scope, n);
	cjs = run("{\"type\":\"contains-json\",\"schema\":{\"type\":\"object\",\"required\":[\"answer\"],"
	          "\"properties\":{\"answer\":{\"type\":\"integer\"}}}}", js.ptr, js.size, scope, n);
	r1 = run("{\"type\":\"rouge-n\",\"value\":\"{{expected}}\"}", out.ptr, out.size, scope, n);
	r2 = run("{\"type\":\"rouge-n\",\"n\":2,\"value\":\"{{expected}}\"}", out.ptr, out.size, scope, n);
	wc = run("{\"type\":\"word-count\",\"min\":10,\"max\":1000}", out.ptr, out.size, scope, n);
	calls = tc;
	defs = td;
	t1 = run("{\"type\":\"tool-call\",\"name\":\"send\"}", out.ptr, out.size, scope, n);
	t1a = run("{\"type\":\"tool-call\",\"name\":\"lookup\",\"arguments\":{\"id\":7}}",
	          out.ptr, out.size, scope, n);
	t2 = run("{\"type\":\"tool-calls\",\"order\":\"strict\",\"value\":[\"lookup\",\"send\"]}",
	         out.ptr, out.size, scope, n);
	tv = run("{\"type\":\"is-valid-tool-call\"}", out.ptr, out.size, scope, n);
	set = run("{\"type\":\"assert-set\",\"threshold\":0.5,\"assert\":["
	          "{\"type\":\"contains\",\"value\":\"Answer Is 42\"},"
	          "{\"type\":\"icontains\",\"value\":\"{{expected}}\"},"
	          "{\"type\":\"word-count\",\"min\":10,\"max\":1000}]}", out.ptr, out.size, scope, n);
	calls = defs = NULL;
	printf("assertions on %zu-byte outputs, %ld each: contains %.0f/s, icontains (templated) %.0f/s, "
	       "regex %.0f/s, anchored regex %.0f/s; goal >= 1000000/s\n", out.size, n, c, ic, r, rt);
	printf("  contains-any (3 items) %.0f/s, icontains-all (templated) %.0f/s, "
	       "contains-json (%zu bytes) %.0f/s, with schema %.0f/s,\n"
	       "  rouge-n n=1 (templated) %.0f/s, n=2 %.0f/s, word-count %.0f/s\n",
	       any, iall, js.size, cj, cjs, r1, r2, wc);
	printf("  tool-call (name) %.0f/s, tool-call (arguments) %.0f/s, tool-calls (2, strict) %.0f/s, "
	       "is-valid-tool-call (2 calls) %.0f/s,\n"
	       "  assert-set (contains, templated icontains, word-count) %.0f/s\n", t1, t1a, t2, tv, set);
	cJSON_Delete(tc);
	cJSON_Delete(td);
	pops_buf_dispose(&out);
	pops_buf_dispose(&js);
	cJSON_Delete(scope);
	return 0;
}
