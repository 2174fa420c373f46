#include "unit.h"
#include "pops.h"

/* pops.h pulls in every public header: they must agree with each other */
TEST(pops_h_declares_the_public_modules)
{
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_buf_puts(&b, "ok"), 0);
	CHECK_STR(b.ptr, "ok");
	CHECK_INT(pops_rollout_bucket("s", "", 0), 2920);
	pops_buf_dispose(&b);
}
