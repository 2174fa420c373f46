#include "common.h"
#include "evidence.h"
#include "casref.h"
#include "git.h"
#include "jsonget.h"

#include <time.h>

/* parse a note body; POPS_EINVALID unless it is {"results":[...]} JSON */
static int parse_note(cJSON **out, const char *data, size_t len)
{
	cJSON *doc = cJSON_ParseWithLength(data, len);

	*out = NULL;
	if (!doc || !cJSON_IsObject(doc) ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "results"))) {
		cJSON_Delete(doc);
		return pops_error_set(POPS_EINVALID, "the note is not pops eval evidence JSON");
	}
	*out = doc;
	return POPS_OK;
}

const char *pops_evidence_kind(const cJSON *r)
{
	return pops_json_str(r, "kind", "complete");
}

static int errored(const cJSON *r)
{
	return !strcmp(pops_json_str(r, "verdict", ""), "error");
}

int pops_evidence_observation(const cJSON *r)
{
	return !strcmp(pops_evidence_kind(r), "production") ||
	       cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "env"));
}

/* two observations of one thing: production results of the same window */
static int same_observation(const cJSON *a, const cJSON *b)
{
	const cJSON *wa = cJSON_GetObjectItemCaseSensitive(a, "window");
	const cJSON *wb = cJSON_GetObjectItemCaseSensitive(b, "window");

	return !strcmp(pops_evidence_kind(a), "production") && cJSON_IsObject(wa) &&
	       cJSON_IsObject(wb) && !strcmp(pops_json_str(wa, "from", ""), pops_json_str(wb, "from", "-")) &&
	       !strcmp(pops_json_str(wa, "to", ""), pops_json_str(wb, "to", "-"));
}

/* the oldest observations of fingerprint `fp` and `kind` beyond POPS_EVIDENCE_HISTORY, dropped */
static void trim_history(cJSON *results, const char *fp, const char *kind)
{
	for (;;) {
		cJSON *it, *oldest = NULL;
		size_t n = 0;

		cJSON_ArrayForEach(it, results) {
			if (!pops_evidence_observation(it) || strcmp(pops_json_str(it, "fingerprint", ""), fp) ||
			    strcmp(pops_evidence_kind(it), kind))
				continue;
			n++;
			if (!oldest || strcmp(pops_json_str(it, "date", ""), pops_json_str(oldest, "date", "")) < 0)
				oldest = it;
		}
		if (n <= POPS_EVIDENCE_HISTORY)
			return;
		cJSON_Delete(cJSON_DetachItemViaPointer(results, oldest));
	}
}

/*
 * Put `result` into `doc`'s results. The key is fingerprint and kind: a
 * result replaces the one of the same fingerprint and kind, except that
 * an errored run never replaces a pass or fail (an outage says nothing
 * about the prompt: *kept is set and nothing changes). A complete
 * result that is not errored also drops the partial ones of its
 * fingerprint, whose cases it covers. Observations (pops_evidence_observation)
 * are a series: one replaces only the observation of the same window,
 * is kept beside the others (the newest POPS_EVIDENCE_HISTORY), and
 * neither replaces nor is replaced by a result that is not one.
 */
static int merge_result(cJSON *doc, const cJSON *result, const char *fp, const cJSON **kept)
{
	cJSON *results = cJSON_GetObjectItemCaseSensitive(doc, "results");
	cJSON *copy = NULL, *it, *next;
	const char *kind = pops_evidence_kind(result);
	int err = errored(result), placed = 0, obs = pops_evidence_observation(result);

	*kept = NULL;
	for (it = results->child; it; it = next) {
		const char *other = pops_json_str(it, "fingerprint", NULL);

		next = it->next;
		if (!other || strcmp(other, fp))
			continue;
		if (!strcmp(pops_evidence_kind(it), kind) && pops_evidence_observation(it) == obs &&
		    (!obs || same_observation(result, it))) {
			if (err && !errored(it)) {
				*kept = it;
				return POPS_OK;
			}
			if (placed) {
				cJSON_Delete(cJSON_DetachItemViaPointer(results, it));
				continue;
			}
			if (!(copy = cJSON_Duplicate(result, 1)) ||
			    !cJSON_ReplaceItemViaPointer(results, it, copy)) {
				cJSON_Delete(copy);
				return pops_error_oom();
			}
			placed = 1;
		} else if (!err && !strcmp(kind, "complete") &&
		           !strcmp(pops_evidence_kind(it), "partial")) {
			cJSON_Delete(cJSON_DetachItemViaPointer(results, it));
		}
	}
	if (!placed && (!(copy = cJSON_Duplicate(result, 1)) || !cJSON_AddItemToArray(results, copy))) {
		cJSON_Delete(copy);
		return pops_error_oom();
	}
	if (obs)
		trim_history(results, fp, kind);
	return POPS_OK;
}

/* the note on `commit` in notes commit `notes` (NULL: none) as JSON, or a fresh doc */
static int load_doc(cJSON **out, git_repository *repo, git_commit *notes,
                    const git_oid *commit)
{
	git_note *note = NULL;
	const char *msg;
	int error = POPS_OK;

	*out = NULL;
	if (notes) {
		error = git_note_commit_read(&note, repo, notes, commit);
		if (error < 0 && error != GIT_ENOTFOUND) {
			error = pops_git_error(error, "cannot read the eval evidence note");
			goto done;
		}
	}
	if (note) {
		msg = git_note_message(note);
		if (parse_note(out, msg, strlen(msg)) < 0) {
			char hex[GIT_OID_HEXSZ + 1];

			git_oid_tostr(hex, sizeof(hex), commit);
			error = pops_error_set(POPS_EINVALID,
			                       "the %s note on commit %.12s is not pops eval evidence JSON; leaving it alone",
			                       POPS_EVIDENCE_REF, hex);
			goto done;
		}
	} else {
		cJSON *doc = cJSON_CreateObject();

		if (!doc || !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
		    !cJSON_AddArrayToObject(doc, "results")) {
			cJSON_Delete(doc);
			error = pops_error_oom();
			goto done;
		}
		*out = doc;
	}
	error = POPS_OK;
done:
	git_note_free(note);
	return error;
}

/* one read-modify-write attempt; POPS_EMODIFIED when the ref moved */
static int record_once(git_repository *repo, const git_oid *commit,
                       const cJSON *result, const char *fp,
                       const git_signature *sig)
{
	git_oid old, new_commit, new_blob;
	git_commit *parent = NULL;
	cJSON *doc = NULL;
	char *body = NULL;
	pops_buf text = POPS_BUF_INIT;
	const cJSON *kept;
	int have_old, error;

	error = pops_casref_read(&old, repo, POPS_EVIDENCE_REF);
	if (error < 0 && error != POPS_ENOTFOUND)
		goto done;
	have_old = error == 0;
	if (have_old && (error = git_commit_lookup(&parent, repo, &old)) < 0) {
		error = pops_git_error(error, "cannot read " POPS_EVIDENCE_REF);
		goto done;
	}
	if ((error = load_doc(&doc, repo, parent, commit)) < 0 ||
	    (error = merge_result(doc, result, fp, &kept)) < 0)
		goto done;
	if (kept) {
		error = pops_error_set(POPS_EEXISTS,
		                       "an errored run does not replace the %s result of %s for the same content",
		                       pops_json_str(kept, "verdict", "?"), pops_json_str(kept, "date", "an earlier run"));
		goto done;
	}
	if (!(body = cJSON_PrintUnformatted(doc))) {
		error = pops_error_oom();
		goto done;
	}
	pops_buf_puts(&text, body);
	pops_buf_putc(&text, '\n');
	if (pops_buf_oom(&text)) {
		error = pops_error_oom();
		goto done;
	}
	error = git_note_commit_create(&new_commit, &new_blob, repo, parent, sig, sig,
	                               commit, text.ptr, 1);
	if (error < 0) {
		error = pops_git_error(error, "cannot write the eval evidence note");
		goto done;
	}
	error = pops_casref_update(repo, POPS_EVIDENCE_REF, &new_commit,
	                           have_old ? &old : NULL, "pops: record eval result");
done:
	pops_buf_dispose(&text);
	cJSON_free(body);
	cJSON_Delete(doc);
	git_commit_free(parent);
	return error;
}

int pops_evidence_put_scores(cJSON *r, const cJSON *summary)
{
	static const char *const scores[] = { "cases", "passed", "failed", "errors", "pass_rate",
		"ci_low", "ci_high", "threshold", "verdict", "cost_usd", NULL };
	const cJSON *v;
	size_t i;

	for (i = 0; scores[i]; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(r, scores[i]);
		if ((v = cJSON_GetObjectItemCaseSensitive(summary, scores[i])) &&
		    !cJSON_AddItemToObject(r, scores[i], cJSON_Duplicate(v, 1)))
			return pops_error_oom();
	}
	return 0;
}

int pops_evidence_put_date(cJSON *r)
{
	time_t now = time(NULL);
	struct tm tm;
	char date[32];

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_DeleteItemFromObjectCaseSensitive(r, "date");
	return cJSON_AddStringToObject(r, "date", date) ? 0 : pops_error_oom();
}

int pops_evidence_record(git_repository *repo, const git_oid *commit,
                         const cJSON *result)
{
	git_signature *sig = NULL;
	const char *fp = cJSON_IsObject(result) ? pops_json_str(result, "fingerprint", NULL) : NULL;
	pops_casref_retry retry;
	int error;

	if (!fp || !*fp)
		return pops_error_set(POPS_EINVALID, "an eval result needs a \"fingerprint\" string");
	if ((error = pops_casref_signature(&sig, repo)) < 0)
		goto done;
	pops_casref_retry_init(&retry);
	do {
		error = record_once(repo, commit, result, fp, sig);
		if (error != POPS_EMODIFIED)
			goto done;
	} while (pops_casref_retry_again(&retry, repo, POPS_EVIDENCE_REF));
	error = pops_error_set(POPS_EMODIFIED,
	                       "gave up recording eval evidence after %u concurrent updates of %s "
	                       "(a %s.lock left behind?)", retry.attempts, POPS_EVIDENCE_REF,
	                       POPS_EVIDENCE_REF);
done:
	git_signature_free(sig);
	return error;
}

int pops_evidence_read(cJSON **out, git_repository *repo, const git_oid *commit)
{
	git_note *note = NULL;
	const char *msg;
	int error;

	*out = NULL;
	error = git_note_read(&note, repo, POPS_EVIDENCE_REF, commit);
	if (error == GIT_ENOTFOUND)
		return pops_error_set(POPS_ENOTFOUND, "no eval evidence on this commit");
	if (error < 0)
		return pops_git_error(error, "cannot read the eval evidence note");
	msg = git_note_message(note);
	error = parse_note(out, msg, strlen(msg));
	git_note_free(note);
	return error;
}

/* read a note blob and parse it; POPS_EINVALID for foreign or oversized notes */
static int read_blob_doc(cJSON **out, git_repository *repo, const git_oid *blob_id)
{
	git_blob *blob = NULL;
	int error;

	*out = NULL;
	if ((error = git_blob_lookup(&blob, repo, blob_id)) < 0)
		return pops_git_error(error, "cannot read an eval evidence note");
	if ((size_t)git_blob_rawsize(blob) > POPS_NOTE_MAX_BYTES)
		error = pops_error_set(POPS_EINVALID, "eval evidence note too large");
	else
		error = parse_note(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return error;
}

int pops_evidence_foreach(git_repository *repo,
                          int (*fn)(void *payload, const git_oid *commit,
                                    const cJSON *result),
                          void *payload)
{
	git_note_iterator *it = NULL;
	git_oid note_id, annotated;
	cJSON *doc = NULL;
	int error;

	error = git_note_iterator_new(&it, repo, POPS_EVIDENCE_REF);
	if (error == GIT_ENOTFOUND)
		return POPS_OK;
	if (error < 0)
		return pops_git_error(error, "cannot list eval evidence notes");
	while ((error = git_note_next(&note_id, &annotated, it)) == 0) {
		const cJSON *r;

		cJSON_Delete(doc);
		doc = NULL;
		if ((error = read_blob_doc(&doc, repo, &note_id)) == POPS_EINVALID)
			continue;
		if (error < 0)
			goto done;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "results")) {
			if (cJSON_IsObject(r) && (error = fn(payload, &annotated, r)) != 0)
				goto done;
		}
	}
	if (error == GIT_ITEROVER)
		error = POPS_OK;
	else
		error = pops_git_error(error, "cannot list eval evidence notes");
done:
	cJSON_Delete(doc);
	git_note_iterator_free(it);
	return error;
}

struct find_state {
	const pops_evidence_query *q;
	cJSON *best;
	git_oid best_commit;
};

static int field_matches(const cJSON *r, const char *key, const char *want)
{
	const char *have;

	if (!want)
		return 1;
	have = pops_json_str(r, key, NULL);
	return have && !strcmp(have, want);
}

/* complete (or unmarked: pops before kinds) 3, partial 2, errored 1 */
static int rank(const cJSON *r)
{
	if (errored(r))
		return 1;
	return strcmp(pops_evidence_kind(r), "complete") ? 2 : 3;
}

int pops_evidence_prefer(const cJSON *r, const cJSON *best)
{
	int a, b;

	if (!best)
		return 1;
	a = rank(r);
	b = rank(best);
	if (a != b)
		return a > b;
	/* ISO 8601 UTC dates compare as strings; the later note wins ties */
	return strcmp(pops_json_str(r, "date", ""), pops_json_str(best, "date", "")) >= 0;
}

static int find_cb(void *payload, const git_oid *commit, const cJSON *r)
{
	struct find_state *st = payload;

	if (!field_matches(r, "prompt_blob", st->q->prompt_blob) ||
	    !field_matches(r, "suite", st->q->suite) ||
	    !field_matches(r, "suite_blob", st->q->suite_blob) ||
	    !field_matches(r, "model", st->q->model) ||
	    !field_matches(r, "prompt", st->q->prompt) ||
	    !field_matches(r, "fingerprint", st->q->fingerprint) ||
	    (st->q->kind && strcmp(pops_evidence_kind(r), st->q->kind)) ||
	    !pops_evidence_prefer(r, st->best))
		return 0;
	cJSON_Delete(st->best);
	st->best = cJSON_Duplicate(r, 1);
	POPS_CHECK_ALLOC(st->best);
	git_oid_cpy(&st->best_commit, commit);
	return 0;
}

int pops_evidence_find(cJSON **out, git_oid *commit_out, git_repository *repo,
                       const pops_evidence_query *q)
{
	struct find_state st;
	int error;

	*out = NULL;
	if (!q || (!q->prompt_blob && !q->fingerprint))
		return pops_error_set(POPS_EINVALID, "an evidence query needs a prompt blob or a fingerprint");
	memset(&st, 0, sizeof(st));
	st.q = q;
	if ((error = pops_evidence_foreach(repo, find_cb, &st)) < 0) {
		cJSON_Delete(st.best);
		return error;
	}
	if (!st.best)
		return pops_error_set(POPS_ENOTFOUND, "no eval evidence for %s %.12s%s%s%s%s",
		                      q->prompt_blob ? "prompt blob" : "fingerprint",
		                      q->prompt_blob ? q->prompt_blob : q->fingerprint, q->suite ? " with suite " : "",
		                      q->suite ? q->suite : "", q->model ? " and model " : "",
		                      q->model ? q->model : "");
	*out = st.best;
	if (commit_out)
		git_oid_cpy(commit_out, &st.best_commit);
	return POPS_OK;
}

struct by_blob_state {
	const char *prompt;
	cJSON *map;
};

static int by_blob_cb(void *payload, const git_oid *commit, const cJSON *r)
{
	struct by_blob_state *st = payload;
	const char *blob = pops_json_str(r, "prompt_blob", NULL);
	const cJSON *best;
	cJSON *copy;

	(void)commit;
	if (!blob || !field_matches(r, "prompt", st->prompt))
		return 0;
	if ((best = cJSON_GetObjectItemCaseSensitive(st->map, blob)) &&
	    !pops_evidence_prefer(r, best))
		return 0;
	copy = cJSON_Duplicate(r, 1);
	POPS_CHECK_ALLOC(copy);
	if (best ? !cJSON_ReplaceItemInObjectCaseSensitive(st->map, blob, copy)
	         : !cJSON_AddItemToObject(st->map, blob, copy)) {
		cJSON_Delete(copy);
		return pops_error_oom();
	}
	return 0;
}

int pops_evidence_newest_by_blob(cJSON **out, git_repository *repo, const char *prompt)
{
	struct by_blob_state st;
	int error;

	*out = NULL;
	st.prompt = prompt;
	st.map = cJSON_CreateObject();
	POPS_CHECK_ALLOC(st.map);
	if ((error = pops_evidence_foreach(repo, by_blob_cb, &st)) < 0) {
		cJSON_Delete(st.map);
		return error;
	}
	*out = st.map;
	return POPS_OK;
}
