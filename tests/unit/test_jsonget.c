#include "unit.h"
#include "jsonget.h"

TEST(json_getters_return_the_member_or_the_default)
{
	cJSON *o = cJSON_Parse("{\"s\":\"text\",\"n\":2.5,\"z\":0,\"b\":true,\"null\":null}");

	CHECK(o != NULL);
	CHECK_STR(pops_json_str(o, "s", "d"), "text");
	CHECK_STR(pops_json_str(o, "n", "d"), "d");        /* wrong type */
	CHECK_STR(pops_json_str(o, "missing", ""), "");
	CHECK(pops_json_str(o, "null", NULL) == NULL);
	CHECK(pops_json_str(NULL, "s", NULL) == NULL);
	CHECK(pops_json_num(o, "n", -1) == 2.5);
	CHECK(pops_json_num(o, "z", -1) == 0.0);            /* 0 is a value */
	CHECK(pops_json_num(o, "s", -1) == -1.0);
	CHECK(pops_json_num(o, "b", 7) == 7.0);
	CHECK(pops_json_num(NULL, "n", 3) == 3.0);
	cJSON_Delete(o);
}
