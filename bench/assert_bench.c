/*
 * Deterministic assertion throughput: contains and regex (PCRE2 with JIT)
 * on 1 KB outputs, the checks every eval case runs. Built and run by
 * bench/eval.sh against the release objects; prints assertions/second.
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

static double run(const char *spec, const char *out, size_t len, const cJSON *scope, long n)
{
	cJSON *node = cJSON_Parse(spec);
	pops_assert *a = NULL;
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	pops_assert_input in = { out, len, scope, 10, 0, "c" };
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
	pops_buf out = POPS_BUF_INIT;
	cJSON *scope = cJSON_Parse("{\"expected\":\"the answer is 42\"}");
	double c, ic, r, rt;

	/* 1 KB of text with the match near the end, where a scan costs most */
	while (out.size < 1000)
		pops_buf_puts(&out, "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ");
	pops_buf_puts(&out, "So The Answer Is 42.");
	c = run("{\"type\":\"contains\",\"value\":\"Answer Is 42\"}", out.ptr, out.size, scope, n);
	ic = run("{\"type\":\"icontains\",\"value\":\"{{expected}}\"}", out.ptr, out.size, scope, n);
	r = run("{\"type\":\"regex\",\"value\":\"[Aa]nswer [Ii]s \\\\d+\"}", out.ptr, out.size, scope, n);
	rt = run("{\"type\":\"regex\",\"value\":\"^Lorem.*42\\\\.$\"}", out.ptr, out.size, scope, n);
	printf("assertions on %zu-byte outputs, %ld each: contains %.0f/s, icontains (templated) %.0f/s, "
	       "regex %.0f/s, anchored regex %.0f/s; goal >= 1000000/s\n", out.size, n, c, ic, r, rt);
	pops_buf_dispose(&out);
	cJSON_Delete(scope);
	return 0;
}
