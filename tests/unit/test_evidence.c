#include "unit.h"
#include "relfix.h"
#include "evidence.h"

#include <sys/wait.h>
#include <unistd.h>

static cJSON *make_result(const char *fp, const char *prompt_blob, const char *suite,
                          const char *model, double rate, const char *date)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "suite", suite);
	cJSON_AddStringToObject(r, "suite_blob", "5b1e0000000000000000000000000000000000aa");
	cJSON_AddStringToObject(r, "prompt", "summarize");
	cJSON_AddStringToObject(r, "prompt_blob", prompt_blob);
	cJSON_AddStringToObject(r, "model", model);
	cJSON_AddStringToObject(r, "fingerprint", fp);
	cJSON_AddNumberToObject(r, "pass_rate", rate);
	cJSON_AddStringToObject(r, "verdict", rate >= 0.9 ? "pass" : "fail");
	cJSON_AddStringToObject(r, "date", date);
	return r;
}

static double rate_of(const cJSON *r)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "pass_rate"));
}

TEST(evidence_record_then_find_returns_the_result)
{
	relfix f;
	git_oid c1, where;
	cJSON *r = NULL, *found = NULL;
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "prompts/summarize.prompt", "hi\n", "one"), 0);
	r = make_result("fp1", "aaaa", "evals/smoke.yaml", "gpt-x-2024", 0.95,
	                "2026-11-24T10:00:00Z");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	q.prompt_blob = "aaaa";
	q.suite = "evals/smoke.yaml";
	q.model = "gpt-x-2024";
	CHECK_INT(pops_evidence_find(&found, &where, f.repo, &q), 0);
	CHECK(git_oid_equal(&where, &c1));
	CHECK(rate_of(found) == 0.95);
	cJSON_Delete(found);
	found = NULL;
	/* a different model or blob does not match */
	q.model = "other-model";
	CHECK_INT(pops_evidence_find(&found, NULL, f.repo, &q), POPS_ENOTFOUND);
	q.model = NULL;
	q.prompt_blob = "bbbb";
	CHECK_INT(pops_evidence_find(&found, NULL, f.repo, &q), POPS_ENOTFOUND);
	CHECK_ERR_HAS("no eval evidence");
	cJSON_Delete(r);
	relfix_dispose(&f);
}

TEST(evidence_same_fingerprint_replaces_and_others_are_kept)
{
	relfix f;
	git_oid c1;
	cJSON *r = NULL, *doc = NULL, *found = NULL;
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "a.txt", "x\n", "one"), 0);
	r = make_result("fp1", "aaaa", "s.yaml", "m", 0.5, "2026-11-24T10:00:00Z");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	r = make_result("fp2", "aaaa", "s.yaml", "m", 0.7, "2026-11-24T09:00:00Z");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	r = make_result("fp1", "aaaa", "s.yaml", "m", 0.9, "2026-11-24T11:00:00Z");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	CHECK_INT(pops_evidence_read(&doc, f.repo, &c1), 0);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "results")), 2);
	/* the newest by date wins */
	q.prompt_blob = "aaaa";
	CHECK_INT(pops_evidence_find(&found, NULL, f.repo, &q), 0);
	CHECK(rate_of(found) == 0.9);
	cJSON_Delete(found);
	cJSON_Delete(doc);
	cJSON_Delete(r);
	relfix_dispose(&f);
}

TEST(evidence_rejects_results_without_fingerprint_and_foreign_notes)
{
	relfix f;
	git_oid c1, note_id;
	git_signature *sig = NULL;
	cJSON *r = cJSON_CreateObject(), *doc = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "a.txt", "x\n", "one"), 0);
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), POPS_EINVALID);
	CHECK_ERR_HAS("fingerprint");
	cJSON_Delete(r);
	/* a hand-written note is left alone, not overwritten */
	CHECK_INT(git_signature_now(&sig, "x", "x@example.com"), 0);
	CHECK_INT(git_note_create(&note_id, f.repo, POPS_EVIDENCE_REF, sig, sig, &c1,
	                          "looks good to me\n", 0), 0);
	r = make_result("fp1", "aaaa", "s.yaml", "m", 0.5, "2026-11-24T10:00:00Z");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), POPS_EINVALID);
	CHECK_ERR_HAS("leaving it alone");
	CHECK_INT(pops_evidence_read(&doc, f.repo, &c1), POPS_EINVALID);
	git_signature_free(sig);
	cJSON_Delete(r);
	relfix_dispose(&f);
}

/*
 * Several processes record into the same note at once: each
 * read-modify-write that loses the compare-and-swap must retry, so every
 * result ends up in the note.
 */
TEST(evidence_concurrent_recorders_lose_nothing)
{
	enum { PROCS = 6, EACH = 4 };
	relfix f;
	git_oid c1;
	cJSON *doc = NULL;
	pid_t pids[PROCS];
	int i, status, ok = 1;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "a.txt", "x\n", "one"), 0);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0);
		if (pids[i] == 0) {
			git_repository *repo = NULL;
			int j, bad = 0;

			if (git_repository_open(&repo, f.dir.ptr) < 0)
				_exit(2);
			for (j = 0; j < EACH; j++) {
				char fp[32];
				cJSON *r;

				snprintf(fp, sizeof(fp), "fp-%d-%d", i, j);
				r = make_result(fp, "aaaa", "s.yaml", "m", 0.5, "2026-11-24T10:00:00Z");
				if (pops_evidence_record(repo, &c1, r) < 0)
					bad = 1;
				cJSON_Delete(r);
			}
			git_repository_free(repo);
			_exit(bad);
		}
	}
	for (i = 0; i < PROCS; i++) {
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ok = 0;
	}
	CHECK(ok);
	CHECK_INT(pops_evidence_read(&doc, f.repo, &c1), 0);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "results")), PROCS * EACH);
	cJSON_Delete(doc);
	relfix_dispose(&f);
}

TEST(evidence_newest_by_blob_agrees_with_find_in_one_pass)
{
	relfix f;
	git_oid c1, c2;
	cJSON *r, *map = NULL, *found = NULL;
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;
	const char *blobs[] = { "aaaa", "bbbb" };
	size_t i;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "prompts/summarize.prompt", "v1\n", "one"), 0);
	CHECK_INT(relfix_commit(&f, &c2, "prompts/summarize.prompt", "v2\n", "two"), 0);
	r = make_result("fp1", "aaaa", "s.yaml", "m", 0.5, "2026-11-24T10:00:00Z");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	/* newer, in another note */
	r = make_result("fp2", "aaaa", "s.yaml", "m", 0.8, "2026-11-24T12:00:00Z");
	CHECK_INT(pops_evidence_record(f.repo, &c2, r), 0);
	cJSON_Delete(r);
	r = make_result("fp3", "bbbb", "s.yaml", "m", 0.9, "2026-11-24T11:00:00Z");
	CHECK_INT(pops_evidence_record(f.repo, &c2, r), 0);
	cJSON_Delete(r);

	CHECK_INT(pops_evidence_newest_by_blob(&map, f.repo, "summarize"), 0);
	CHECK_INT(cJSON_GetArraySize(map), 2);
	for (i = 0; i < 2; i++) {
		q.prompt_blob = blobs[i];
		q.prompt = "summarize";
		CHECK_INT(pops_evidence_find(&found, NULL, f.repo, &q), 0);
		CHECK(rate_of(found) == rate_of(cJSON_GetObjectItemCaseSensitive(map, blobs[i])));
		cJSON_Delete(found);
		found = NULL;
	}
	CHECK(rate_of(cJSON_GetObjectItemCaseSensitive(map, "aaaa")) == 0.8);
	cJSON_Delete(map);
	/* another prompt's results are not included */
	CHECK_INT(pops_evidence_newest_by_blob(&map, f.repo, "other"), 0);
	CHECK_INT(cJSON_GetArraySize(map), 0);
	cJSON_Delete(map);
	relfix_dispose(&f);
}

/*
 * A lock left behind by a killed writer never lets the ref move: the
 * retries stop (the ref is stalled) with a message naming the lock,
 * instead of spinning for the whole time budget.
 */
TEST(evidence_record_gives_up_on_a_stuck_lock)
{
	relfix f;
	git_oid c1;
	cJSON *r = make_result("fp-a", "aaaa", "s.yaml", "m", 0.5, "2026-11-24T10:00:00Z");
	pops_buf lock = POPS_BUF_INIT;
	FILE *fp;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "a.txt", "x\n", "one"), 0);
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	pops_buf_printf(&lock, "%s/refs/notes/pops.lock", git_repository_commondir(f.repo));
	CHECK((fp = fopen(lock.ptr, "w")) != NULL);
	fclose(fp);
	cJSON_ReplaceItemInObject(r, "fingerprint", cJSON_CreateString("fp-b"));
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), POPS_EMODIFIED);
	CHECK_ERR_HAS("lock left behind");
	unlink(lock.ptr);
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	pops_buf_dispose(&lock);
	cJSON_Delete(r);
	relfix_dispose(&f);
}

static int results_of(cJSON **doc, relfix *f, const git_oid *c)
{
	cJSON_Delete(*doc);
	*doc = NULL;
	return pops_evidence_read(doc, f->repo, c) < 0 ? -1 :
	       cJSON_GetArraySize(cJSON_GetObjectItem(*doc, "results"));
}

/* one result per fingerprint and kind; complete covers partial; an outage keeps the score */
TEST(evidence_kinds_key_results_and_an_errored_run_never_replaces_a_score)
{
	relfix f;
	git_oid c1;
	cJSON *r = NULL, *doc = NULL, *found = NULL;
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "a.txt", "x\n", "one"), 0);
	r = make_result("fp1", "aaaa", "s.yaml", "m", 1.0, "2026-11-24T10:00:00Z");
	cJSON_AddStringToObject(r, "kind", "partial");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	/* the same content run completely: beside it first, errored */
	r = make_result("fp1", "aaaa", "s.yaml", "m", 0.0, "2026-11-24T11:00:00Z");
	cJSON_AddStringToObject(r, "kind", "complete");
	cJSON_ReplaceItemInObject(r, "verdict", cJSON_CreateString("error"));
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	CHECK_INT(results_of(&doc, &f, &c1), 2);
	/* a complete run that scored replaces the errored one and drops the partial */
	r = make_result("fp1", "aaaa", "s.yaml", "m", 0.5, "2026-11-24T12:00:00Z");
	cJSON_AddStringToObject(r, "kind", "complete");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	CHECK_INT(results_of(&doc, &f, &c1), 1);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "results"), 0),
	                              "verdict")->valuestring, "fail");
	/* an errored rerun: nothing written, and the message says what was kept */
	r = make_result("fp1", "aaaa", "s.yaml", "m", 0.0, "2026-11-24T13:00:00Z");
	cJSON_AddStringToObject(r, "kind", "complete");
	cJSON_ReplaceItemInObject(r, "verdict", cJSON_CreateString("error"));
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), POPS_EEXISTS);
	CHECK_ERR_HAS("an errored run does not replace the fail result of 2026-11-24T12:00:00Z");
	cJSON_Delete(r);
	CHECK_INT(results_of(&doc, &f, &c1), 1);
	/* a later partial run of the same content is kept beside the complete one */
	r = make_result("fp1", "aaaa", "s.yaml", "m", 1.0, "2026-11-24T14:00:00Z");
	cJSON_AddStringToObject(r, "kind", "partial");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	CHECK_INT(results_of(&doc, &f, &c1), 2);
	/* lookups by fingerprint and kind; the complete run wins though older */
	q.fingerprint = "fp1";
	CHECK_INT(pops_evidence_find(&found, NULL, f.repo, &q), 0);
	CHECK_STR(pops_evidence_kind(found), "complete");
	cJSON_Delete(found);
	q.kind = "partial";
	CHECK_INT(pops_evidence_find(&found, NULL, f.repo, &q), 0);
	CHECK(rate_of(found) == 1.0);
	cJSON_Delete(found);
	q.fingerprint = "fp9";
	CHECK_INT(pops_evidence_find(&found, NULL, f.repo, &q), POPS_ENOTFOUND);
	cJSON_Delete(doc);
	relfix_dispose(&f);
}

TEST(evidence_prefer_ranks_complete_over_partial_over_errored_then_date)
{
	cJSON *complete = cJSON_Parse("{\"kind\":\"complete\",\"verdict\":\"fail\",\"date\":\"2026-01-01\"}");
	cJSON *legacy = cJSON_Parse("{\"verdict\":\"pass\",\"date\":\"2026-01-02\"}");
	cJSON *partial = cJSON_Parse("{\"kind\":\"partial\",\"verdict\":\"pass\",\"date\":\"2026-02-01\"}");
	cJSON *errored = cJSON_Parse("{\"kind\":\"complete\",\"verdict\":\"error\",\"date\":\"2026-03-01\"}");

	CHECK(pops_evidence_prefer(complete, NULL));
	CHECK(pops_evidence_prefer(complete, partial) && !pops_evidence_prefer(partial, complete));
	CHECK(pops_evidence_prefer(partial, errored) && !pops_evidence_prefer(errored, partial));
	CHECK(!pops_evidence_prefer(errored, complete));
	/* a result without a kind (pops before kinds) reads as complete; the later date wins */
	CHECK_STR(pops_evidence_kind(legacy), "complete");
	CHECK(pops_evidence_prefer(legacy, complete) && !pops_evidence_prefer(complete, legacy));
	cJSON_Delete(complete);
	cJSON_Delete(legacy);
	cJSON_Delete(partial);
	cJSON_Delete(errored);
}

TEST(evidence_put_scores_replaces_exactly_the_score_members)
{
	cJSON *r = make_result("fp1", "aaaa", "evals/smoke.yaml", "gpt-x-2024", 0.5,
	                       "2000-01-01T00:00:00Z");
	cJSON *summary = cJSON_Parse("{\"suite\":\"other\",\"cases\":4,\"passed\":3,\"failed\":1,"
	                             "\"errors\":0,\"pass_rate\":0.75,\"ci_low\":0.3,\"ci_high\":0.95,"
	                             "\"threshold\":0.5,\"verdict\":\"pass\",\"cost_usd\":null,"
	                             "\"latency_p50\":12}");

	CHECK_INT(pops_evidence_put_scores(r, summary), 0);
	CHECK(rate_of(r) == 0.75);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(r, "verdict")->valuestring, "pass");
	CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "cost_usd")));
	CHECK_INT(cJSON_GetObjectItemCaseSensitive(r, "passed")->valueint, 3);
	/* not scores: the result's own, and nothing else of the summary */
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(r, "suite")->valuestring, "evals/smoke.yaml");
	CHECK(!cJSON_GetObjectItemCaseSensitive(r, "latency_p50"));
	/* replaced, not doubled */
	CHECK_INT(cJSON_GetArraySize(r), 17);
	CHECK_INT(pops_evidence_put_date(r), 0);
	CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(r, "date")->valuestring,
	             "2000-01-01T00:00:00Z") > 0);
	CHECK_INT(strlen(cJSON_GetObjectItemCaseSensitive(r, "date")->valuestring), 20);
	CHECK_INT(cJSON_GetArraySize(r), 17);
	cJSON_Delete(summary);
	cJSON_Delete(r);
}

TEST(evidence_observations_are_a_bounded_history_beside_the_verdict)
{
	relfix f;
	git_oid c1;
	cJSON *r = NULL, *doc = NULL, *found = NULL, *w;
	const cJSON *it;
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;
	char date[32];
	int i, production = 0, nightly = 0, complete = 0;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "a.txt", "x\n", "one"), 0);
	/* the pre-release verdict */
	r = make_result("fp1", "aaaa", "s.yaml", "m", 0.95, "2026-11-01T10:00:00Z");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	/* 35 nightly --env runs of the same fingerprint, and 35 production windows */
	for (i = 1; i <= 35; i++) {
		snprintf(date, sizeof(date), "2026-12-%02dT03:00:00Z", i <= 31 ? i : 31);
		if (i > 31)
			snprintf(date, sizeof(date), "2027-01-%02dT03:00:00Z", i - 31);
		r = make_result("fp1", "aaaa", "s.yaml", "m", 0.9, date);
		cJSON_AddStringToObject(r, "env", "prod");
		CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
		cJSON_Delete(r);
		r = make_result("fp9", "aaaa", "s.yaml", "m", 0.8, date);
		cJSON_AddStringToObject(r, "kind", "production");
		w = cJSON_AddObjectToObject(r, "window");
		cJSON_AddStringToObject(w, "from", "2026-11-01T00:00:00Z");
		cJSON_AddStringToObject(w, "to", date);
		CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
		cJSON_Delete(r);
	}
	/* the same production window scored again replaces its result */
	r = make_result("fp9", "aaaa", "s.yaml", "m", 0.5, date);
	cJSON_AddStringToObject(r, "kind", "production");
	w = cJSON_AddObjectToObject(r, "window");
	cJSON_AddStringToObject(w, "from", "2026-11-01T00:00:00Z");
	cJSON_AddStringToObject(w, "to", date);
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	CHECK_INT(pops_evidence_read(&doc, f.repo, &c1), 0);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "results")) {
		if (!strcmp(pops_evidence_kind(it), "production")) {
			production++;
			/* the oldest went first */
			CHECK(strcmp(cJSON_GetObjectItem(it, "date")->valuestring, "2026-12-05T03:00:00Z") > 0);
		} else if (cJSON_GetObjectItem(it, "env")) {
			nightly++;
		} else {
			complete++;
		}
	}
	CHECK_INT(production, POPS_EVIDENCE_HISTORY);
	CHECK_INT(nightly, POPS_EVIDENCE_HISTORY);
	CHECK_INT(complete, 1);
	/* the newest of fp9 is the rescored window */
	q.fingerprint = "fp9";
	CHECK_INT(pops_evidence_find(&found, NULL, f.repo, &q), 0);
	CHECK(rate_of(found) == 0.5);
	cJSON_Delete(found);
	cJSON_Delete(doc);
	relfix_dispose(&f);
}
