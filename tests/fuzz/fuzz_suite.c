#include "common.h"
#include "fuzz.h"
#include "suite.h"

/*
 * Suite files: parse and validate, then turn every inline row into a
 * case with the suite's default vars and compile the row's own
 * assertions, as the runner does before spending anything.
 */
POPS_FUZZ_TARGET(suite)
{
	char *copy = fuzz_copy(data, size);
	pops_suite *s = NULL;

	if (pops_suite_parse(&s, copy, size, "evals/fuzz.yaml") == 0) {
		const cJSON *row;

		assert(s->prompt && s->repeat >= 1);
		cJSON_ArrayForEach(row, s->tests) {
			pops_case c = POPS_CASE_INIT;
			pops_assert **as = NULL;
			size_t n = 0;

			if (pops_case_from_json(&c, row, s->path, pops_suite_line(s, row)) == 0 &&
			    pops_suite_apply_vars(s, &c) == 0 &&
			    pops_suite_case_asserts(&as, &n, &c) == 0)
				pops_suite_asserts_free(as, n);
			pops_case_dispose(&c);
		}
	}
	pops_suite_free(s);
	free(copy);
	return 0;
}
