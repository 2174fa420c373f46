#include "unit.h"
#include "batch_state.h"
#include "fileio.h"
#include "jsonget.h"

#include <unistd.h>

TEST(batch_state_records_updates_and_survives_reloads)
{
	char tmpl[] = "/tmp/pops-bstate-XXXXXX";
	char *dir = mkdtemp(tmpl), *path;
	cJSON *state = NULL, *e = cJSON_CreateObject();
	const cJSON *got;
	pops_buf b = POPS_BUF_INIT;

	CHECK(dir != NULL);
	path = pops_batch_state_path(dir);
	CHECK_INT(pops_batch_state_load(&state, path), 0);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(state, "batches")), 0);
	cJSON_Delete(state);
	cJSON_AddStringToObject(e, "run", "fp:model");
	cJSON_AddStringToObject(e, "provider", "fake");
	cJSON_AddStringToObject(e, "id", "batch_1");
	cJSON_AddStringToObject(e, "status", "validating");
	CHECK_INT(pops_batch_state_add(path, e), 0);
	CHECK_INT(pops_batch_state_update(path, "fake", "batch_1", "completed", 1), 0);
	CHECK_INT(pops_batch_state_update(path, "other", "batch_1", "x", 0), POPS_ENOTFOUND);
	CHECK_INT(pops_batch_state_load(&state, path), 0);
	got = pops_batch_state_find(state, "batch_1");
	CHECK(got != NULL);
	CHECK_STR(pops_json_str(got, "status", ""), "completed");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(got, "collected")));
	CHECK(pops_batch_state_find(state, "nope") == NULL);
	cJSON_Delete(state);
	cJSON_DeleteItemFromObject(e, "id");
	CHECK_INT(pops_batch_state_add(path, e), POPS_EINVALID);
	cJSON_Delete(e);
	/* not a state file: named, never overwritten */
	CHECK_INT(pops_file_write_atomic(path, "[1]", 3, 0600), 0);
	CHECK_INT(pops_batch_state_load(&state, path), POPS_EINVALID);
	CHECK_ERR_HAS("not a pops batch state file");
	CHECK_INT(pops_file_read(&b, path, 0), 0);
	CHECK_STR(b.ptr, "[1]");
	pops_buf_dispose(&b);
	unlink(path);
	pops_buf_clear(&b);
	pops_buf_printf(&b, "%s/.pops", dir);
	rmdir(b.ptr);
	pops_buf_dispose(&b);
	rmdir(dir);
	free(path);
}
