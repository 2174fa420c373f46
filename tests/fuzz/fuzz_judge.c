#include "common.h"
#include "fuzz.h"
#include "judge.h"

/*
 * Judge verdicts: a model's reply (hostile text) read for its final
 * JSON verdict, as a pass/fail and as a 1-5 score. A verdict is either
 * an error or a pass flag and a score in [0, 1] that agree.
 */
POPS_FUZZ_TARGET(judge)
{
	char *copy = fuzz_copy(data, size);
	pops_buf why = POPS_BUF_INIT;
	int pass = -1, ps;
	double score = -1;

	for (ps = 0; ps <= 5; ps += 3) {
		pass = -1;
		score = -1;
		pops_buf_clear(&why);
		if (pops_judge_parse(&pass, &score, &why, copy, ps) == 0) {
			assert(pass == 0 || pass == 1);
			assert(score >= 0 && score <= 1);
			if (!ps)
				assert(score == (double)pass);
		}
	}
	pops_buf_dispose(&why);
	free(copy);
	return 0;
}
