#include "common.h"
#include "eval_run_int.h"
#include <time.h>
#include "batch.h"
#include "batch_state.h"
#include "jsonget.h"

/*
 * --batch: the one place where a run's requests leave through a
 * provider's Batch API instead of one by one. The model's requests (and
 * the judge pass's, as a second batch once the first has ended) go
 * through pops_batch_run, keyed by the run's fingerprint, so the same
 * command resumes the same batches; answers come back as results, as if
 * the provider had sent them, and fill the response cache.
 */

int pops_eval__batch_check(const struct runner *r)
{
	size_t i;

	if (!r->o->batch)
		return 0;
	if (!r->o->batch_state)
		return pops_error_set(POPS_EINVALID, "--batch needs a state file (internal)");
	if (!pops_batch_supported(r->prov))
		return pops_error_set(POPS_EINVALID, "%s: model '%s': %s", r->s->path, r->alias,
		                      pops_error_last());
	for (i = 0; i < r->njudges; i++)
		if (!pops_batch_supported(r->judges[i].prov))
			return pops_error_set(POPS_EINVALID, "%s: judge '%s': %s", r->s->path,
			                      r->judges[i].alias, pops_error_last());
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* the ids the state file records under `key`, appended to r->batch_ids (for the summary) */
static int note_batches(struct runner *r, const char *key)
{
	cJSON *state = NULL;
	const cJSON *e;
	int error;

	if ((error = pops_batch_state_load(&state, r->o->batch_state)) < 0)
		return error;
	if (!r->batch_ids && !(r->batch_ids = cJSON_CreateArray())) {
		cJSON_Delete(state);
		return pops_error_oom();
	}
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(state, "batches")) {
		const char *id = pops_json_str(e, "id", NULL);

		if (!id || strcmp(pops_json_str(e, "run", ""), key))
			continue;
		if (!cJSON_AddItemToArray(r->batch_ids, cJSON_CreateString(id))) {
			cJSON_Delete(state);
			return pops_error_oom();
		}
	}
	cJSON_Delete(state);
	return 0;
}

int pops_eval__send(struct runner *r, const pops_provider_options *po, pops_provider_next_fn next,
                    pops_provider_done_fn done, int judge)
{
	pops_batch_options bo;
	char key[80];
	double t0;
	int error;

	if (!r->o->batch)
		return r->o->engine(po, next, done, r);
	memset(&bo, 0, sizeof(bo));
	snprintf(key, sizeof(key), "%s:%s", r->fp.hex, judge ? "judge" : "model");
	bo.state_path = r->o->batch_state;
	bo.run_key = key;
	bo.label = r->s->path;
	bo.poll_ms = r->o->batch_poll_ms;
	bo.poll_max_ms = r->o->batch_poll_max_ms;
	bo.max_polls = r->o->batch_max_polls;
	bo.max_requests = r->o->batch_max_requests;
	bo.note = r->o->batch_note;
	bo.note_payload = r->o->batch_note_payload;
	t0 = now_ms();
	error = pops_batch_run(&bo, po, next, done, r);
	r->batch_wall_ms += now_ms() - t0;
	if (error >= 0 && (error = note_batches(r, key)) < 0 && error != POPS_ERROR) {
		/* the answers are in; a state file that will not read again only loses the ids */
		pops_error_clear();
		error = 0;
	}
	return error;
}
