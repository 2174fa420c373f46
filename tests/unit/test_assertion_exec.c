#include "unit.h"
#include <time.h>
#include "assertion.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pops_assert *compile(const char *json)
{
	cJSON *node = cJSON_Parse(json);
	pops_assert *a = NULL;

	pops_assert_compile(&a, node, "s.yaml", 3);
	cJSON_Delete(node);
	return a;
}

TEST(exec_assertions_run_side_by_side_when_stepped)
{
	pops_assert *a = compile("{\"type\":\"exec\",\"command\":[\"sh\",\"-c\",\"sleep 0.3; grep -q ok\"]}");
	pops_assert_input in = { "ok", 2, NULL, 0, -1, "c1", NULL };
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	pops_assert_exec *x[3] = { NULL, NULL, NULL };
	double t0 = now_s();
	int done = 0, i;

	CHECK(a);
	for (i = 0; i < 3; i++)
		CHECK_INT(pops_assert_exec_start(&x[i], a, &in), 0);
	while (done < 3) {
		done = 0;
		for (i = 0; i < 3; i++)
			done += pops_assert_exec_step(x[i]);
		if (done < 3) {
			struct timespec ts = { 0, 5000000 };

			nanosleep(&ts, NULL);
		}
	}
	/* three 0.3 s commands at once, not 0.9 s one after another */
	CHECK(now_s() - t0 < 0.8);
	for (i = 0; i < 3; i++) {
		CHECK_INT(pops_assert_exec_finish(&res, x[i], 0), 0);
		CHECK_INT(res.pass, 1);
		pops_assert_exec_free(x[i]);
	}
	pops_buf_dispose(&res.reason);
	pops_assert_free(a);
}

TEST(an_exec_assertion_past_its_timeout_is_an_error)
{
	pops_assert *a = compile("{\"type\":\"exec\",\"command\":[\"sleep\",\"5\"],\"timeout\":0.1}");
	pops_assert_input in = { "x", 1, NULL, 0, -1, "c1", NULL };
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	double t0 = now_s();

	CHECK(a);
	CHECK_INT(pops_assert_exec_run(&res, a, &in), 0);
	CHECK(now_s() - t0 < 2);
	CHECK_INT(res.error, 1);
	CHECK_STR(res.reason.ptr, "'sleep' timed out after 100 ms");
	pops_buf_dispose(&res.reason);
	pops_assert_free(a);
}
