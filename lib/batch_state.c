#include "common.h"
#include "batch_state.h"
#include "fileio.h"
#include "jsonget.h"
#include "strutil.h"

/* the state file is small (one entry per batch); anything bigger is not ours */
#define STATE_MAX (64u * 1024 * 1024)

char *pops_batch_state_path(const char *root)
{
	pops_buf b = POPS_BUF_INIT;

	pops_path_join(&b, root, ".pops/batches.json");
	return pops_buf_detach(&b);
}

static int bad_state(const char *path)
{
	return pops_error_set(POPS_EINVALID,
	                      "%s: not a pops batch state file (remove it to forget the batches it lists)",
	                      path);
}

int pops_batch_state_load(cJSON **out, const char *path)
{
	pops_buf text = POPS_BUF_INIT;
	cJSON *doc;
	int error;

	*out = NULL;
	error = pops_file_read_regular(&text, path, STATE_MAX);
	if (error == POPS_ENOTFOUND) {
		pops_error_clear();
		pops_buf_dispose(&text);
		if (!(doc = cJSON_CreateObject()) || !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
		    !cJSON_AddArrayToObject(doc, "batches")) {
			cJSON_Delete(doc);
			return pops_error_oom();
		}
		*out = doc;
		return 0;
	}
	if (error < 0) {
		pops_buf_dispose(&text);
		return error;
	}
	doc = cJSON_ParseWithLength(text.ptr, text.size);
	pops_buf_dispose(&text);
	if (!cJSON_IsObject(doc) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "batches"))) {
		cJSON_Delete(doc);
		return bad_state(path);
	}
	*out = doc;
	return 0;
}

int pops_batch_state_save(const char *path, const cJSON *state)
{
	char *text = cJSON_Print(state), *slash;
	pops_buf dir = POPS_BUF_INIT;
	int error;

	POPS_CHECK_ALLOC(text);
	pops_buf_puts(&dir, path);
	if ((slash = strrchr(dir.ptr, '/')) && slash != dir.ptr) {
		*slash = '\0';
		if ((error = pops_mkdir_p(dir.ptr, 0777)) < 0) {
			pops_buf_dispose(&dir);
			cJSON_free(text);
			return error;
		}
	}
	pops_buf_dispose(&dir);
	error = pops_file_write_atomic(path, text, strlen(text), 0600);
	cJSON_free(text);
	return error;
}

int pops_batch_state_add(const char *path, const cJSON *entry)
{
	cJSON *state = NULL, *copy;
	int error;

	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(entry, "id")) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(entry, "provider")))
		return pops_error_set(POPS_EINVALID, "a batch entry needs an id and a provider");
	if ((error = pops_batch_state_load(&state, path)) < 0)
		return error;
	if (!(copy = cJSON_Duplicate(entry, 1)) ||
	    !cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(state, "batches"), copy)) {
		cJSON_Delete(copy);
		cJSON_Delete(state);
		return pops_error_oom();
	}
	error = pops_batch_state_save(path, state);
	cJSON_Delete(state);
	return error;
}

const cJSON *pops_batch_state_find(const cJSON *state, const char *id)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(state, "batches"))
		if (!strcmp(pops_json_str(e, "id", ""), id))
			return e;
	return NULL;
}

static int set_field(cJSON *e, const char *key, cJSON *v)
{
	if (!v)
		return pops_error_oom();
	if (cJSON_GetObjectItemCaseSensitive(e, key))
		cJSON_ReplaceItemInObjectCaseSensitive(e, key, v);
	else
		cJSON_AddItemToObject(e, key, v);
	return 0;
}

int pops_batch_state_update(const char *path, const char *provider, const char *id,
                            const char *status, int collected)
{
	cJSON *state = NULL, *e;
	int error, found = 0;

	if ((error = pops_batch_state_load(&state, path)) < 0)
		return error;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(state, "batches")) {
		if (strcmp(pops_json_str(e, "id", ""), id) ||
		    strcmp(pops_json_str(e, "provider", ""), provider))
			continue;
		found = 1;
		if (status && (error = set_field(e, "status", cJSON_CreateString(status))) < 0)
			break;
		if (collected && (error = set_field(e, "collected", cJSON_CreateTrue())) < 0)
			break;
	}
	if (!error && !found)
		error = pops_error_set(POPS_ENOTFOUND, "%s: no batch '%s' of provider '%s'", path, id,
		                       provider);
	if (!error)
		error = pops_batch_state_save(path, state);
	cJSON_Delete(state);
	return error;
}
