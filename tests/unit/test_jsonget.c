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

TEST(json_num_get_tells_absent_from_zero)
{
	cJSON *o = cJSON_Parse("{\"z\":0,\"n\":-2.5,\"s\":\"3\"}");
	double d = 42;

	CHECK(o != NULL);
	CHECK_INT(pops_json_num_get(&d, o, "z"), 1);
	CHECK(d == 0.0);
	CHECK_INT(pops_json_num_get(&d, o, "n"), 1);
	CHECK(d == -2.5);
	d = 42;
	CHECK_INT(pops_json_num_get(&d, o, "s"), 0);        /* wrong type */
	CHECK_INT(pops_json_num_get(&d, o, "missing"), 0);
	CHECK_INT(pops_json_num_get(&d, NULL, "z"), 0);
	CHECK(d == 42);                                     /* left alone */
	cJSON_Delete(o);
}

TEST(json_count_refuses_negative_huge_and_non_numbers)
{
	cJSON *o = cJSON_Parse("{\"c\":12,\"f\":3.9,\"neg\":-1,\"big\":1e19,\"s\":\"5\"}");

	CHECK(o != NULL);
	CHECK_INT(pops_json_count(o, "c"), 12);
	CHECK_INT(pops_json_count(o, "f"), 3);
	CHECK_INT(pops_json_count(o, "neg"), -1);
	CHECK_INT(pops_json_count(o, "big"), -1);
	CHECK_INT(pops_json_count(o, "s"), -1);
	CHECK_INT(pops_json_count(o, "missing"), -1);
	CHECK_INT(pops_json_count(NULL, "c"), -1);
	cJSON_Delete(o);
}
