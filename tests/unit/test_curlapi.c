#include "unit.h"
#include "curlapi.h"

TEST(curl_loads_on_demand_with_every_entry_point)
{
	const pops_curl_api *cu = pops_curl();
	const void *const *p;
	size_t i;

	CHECK(cu != NULL);
	/* every slot of the table was filled from the library */
	p = (const void *const *)cu;
	for (i = 0; i < sizeof(*cu) / sizeof(void *); i++)
		CHECK(p[i] != NULL);
	CHECK_STR(cu->easy_strerror(CURLE_OK), "No error");
	/* loaded once: the same table on every call */
	CHECK(pops_curl() == cu);
}

TEST(curl_handles_work_through_the_table)
{
	const pops_curl_api *cu = pops_curl();
	CURL *easy;
	struct curl_slist *l;
	long code = -1;

	CHECK(cu != NULL);
	CHECK_INT(cu->global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	easy = cu->easy_init();
	CHECK(easy != NULL);
	l = cu->slist_append(NULL, "X-A: 1");
	CHECK(l && !strcmp(l->data, "X-A: 1"));
	CHECK_INT(cu->easy_setopt(easy, CURLOPT_HTTPHEADER, l), CURLE_OK);
	/* varargs getinfo reaches libcurl: no transfer yet, response code 0 */
	CHECK_INT(cu->easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
	CHECK_INT(code, 0);
	cu->slist_free_all(l);
	cu->easy_cleanup(easy);
	cu->global_cleanup();
}
