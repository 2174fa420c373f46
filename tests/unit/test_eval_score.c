#include "unit.h"
#include "eval_score.h"

TEST(eval_score_time_reads_rfc3339_and_epoch_numbers)
{
	long long t = 0;

	CHECK_INT(pops_eval_score_time(&t, "2026-11-30T10:00:00Z"), 0);
	CHECK(t == 1796032800LL);
	CHECK_INT(pops_eval_score_time(&t, "2026-11-30T10:00:00.123456Z"), 0);
	CHECK(t == 1796032800LL);
	CHECK_INT(pops_eval_score_time(&t, "2026-11-30 11:30:00+01:30"), 0);
	CHECK(t == 1796032800LL);
	CHECK_INT(pops_eval_score_time(&t, "2026-11-30T08:00:00-02:00"), 0);
	CHECK(t == 1796032800LL);
	/* seconds, milliseconds and nanoseconds since the epoch */
	CHECK_INT(pops_eval_score_time(&t, "1796032800"), 0);
	CHECK(t == 1796032800LL);
	CHECK_INT(pops_eval_score_time(&t, "1796032800123"), 0);
	CHECK(t == 1796032800LL);
	CHECK_INT(pops_eval_score_time(&t, "1796032800000000000"), 0);
	CHECK(t == 1796032800LL);
	CHECK_INT(pops_eval_score_time(&t, "yesterday"), POPS_EINVALID);
	CHECK_INT(pops_eval_score_time(&t, "2026-11-30T10:00:00+0100"), POPS_EINVALID);
	CHECK_INT(pops_eval_score_time(&t, "2026-13-30T10:00:00Z"), POPS_EINVALID);
	CHECK_INT(pops_eval_score_time(&t, ""), POPS_EINVALID);
	CHECK_INT(pops_eval_score_time(&t, NULL), POPS_EINVALID);
}
