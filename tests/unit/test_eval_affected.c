#include "unit.h"
#include "relfix.h"
#include "eval_affected.h"
#include "evidence.h"

static cJSON *result(const char *fp, const char *kind, const char *verdict)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "suite", "evals/s.yaml");
	cJSON_AddStringToObject(r, "prompt", "p");
	cJSON_AddStringToObject(r, "prompt_blob", "aaaa");
	cJSON_AddStringToObject(r, "model", "m-1");
	cJSON_AddStringToObject(r, "model_alias", "fast");
	cJSON_AddStringToObject(r, "fingerprint", fp);
	cJSON_AddStringToObject(r, "kind", kind);
	cJSON_AddNumberToObject(r, "cases", 2);
	cJSON_AddNumberToObject(r, "passed", 1);
	cJSON_AddNumberToObject(r, "failed", 1);
	cJSON_AddNumberToObject(r, "errors", 0);
	cJSON_AddNumberToObject(r, "pass_rate", 0.5);
	cJSON_AddStringToObject(r, "verdict", verdict);
	cJSON_AddStringToObject(r, "date", "2026-11-30T10:00:00Z");
	cJSON_AddItemToObject(r, "case_results", cJSON_Parse("{\"a#0\":true,\"b#0\":false}"));
	return r;
}

TEST(affected_finds_only_complete_scored_evidence)
{
	relfix f;
	git_oid c1;
	char commit[GIT_OID_HEXSZ + 1], hex[GIT_OID_HEXSZ + 1];
	cJSON *r, *found = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "prompts/p.prompt", "hi\n", "one"), 0);
	CHECK_INT(pops_eval_affected_has_notes(f.repo), 0);
	CHECK_INT(pops_eval_affected_find(&found, commit, f.repo, "fp1"), 0);
	r = result("fp1", "complete", "fail");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	r = result("fp2", "partial", "pass");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	r = result("fp3", "complete", "error");
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	cJSON_Delete(r);
	CHECK_INT(pops_eval_affected_has_notes(f.repo), 1);
	/* a failing verdict is a result: reused, and it fails the run */
	CHECK_INT(pops_eval_affected_find(&found, commit, f.repo, "fp1"), 1);
	git_oid_tostr(hex, sizeof(hex), &c1);
	CHECK_STR(commit, hex);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(found, "verdict")), "fail");
	cJSON_Delete(found);
	/* partial evidence and an outage are not */
	CHECK_INT(pops_eval_affected_find(&found, commit, f.repo, "fp2"), 0);
	CHECK(found == NULL);
	CHECK_INT(pops_eval_affected_find(&found, commit, f.repo, "fp3"), 0);
	CHECK_INT(pops_eval_affected_find(&found, commit, f.repo, "other"), 0);
	/* one pass over the notes answers the same */
	{
		cJSON *index = NULL;

		CHECK_INT(pops_eval_affected_index(&index, f.repo), 0);
		CHECK_INT(pops_eval_affected_lookup(&found, commit, index, "fp1"), 1);
		CHECK_STR(commit, hex);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(found, "fingerprint")), "fp1");
		cJSON_Delete(found);
		CHECK_INT(pops_eval_affected_lookup(&found, commit, index, "fp2"), 0);
		CHECK_INT(pops_eval_affected_lookup(&found, commit, index, "fp3"), 0);
		CHECK_INT(pops_eval_affected_lookup(&found, commit, index, "other"), 0);
		CHECK(found == NULL);
		cJSON_Delete(index);
	}
	relfix_dispose(&f);
}

TEST(affected_summary_and_note_from_evidence)
{
	cJSON *r = result("fp1", "complete", "fail"), *s;
	pops_buf note = POPS_BUF_INIT;
	const cJSON *ru;

	s = pops_eval_affected_summary(r, "4f2a91c0000000000000000000000000000000ab", NULL);
	CHECK(s != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "suite")), "evals/s.yaml");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "model")), "fast");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "model_id")), "m-1");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "verdict")), "fail");
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(s, "cases")) == 2);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(s, "complete")));
	CHECK(cJSON_GetObjectItem(s, "reason") != NULL);
	ru = cJSON_GetObjectItem(s, "reused");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ru, "fingerprint")), "fp1");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ru, "date")), "2026-11-30T10:00:00Z");
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(ru, "cases"), "b#0")));
	pops_eval_affected_note(&note, s, NULL);
	CHECK_STR(note.ptr, "evals/s.yaml: evidence reused from 4f2a91c (2026-11-30), not run");
	pops_eval_affected_note(&note, s, "fast");
	CHECK_STR(note.ptr, "evals/s.yaml [fast]: evidence reused from 4f2a91c (2026-11-30), not run");
	pops_buf_dispose(&note);
	cJSON_Delete(s);
	s = pops_eval_affected_summary(r, "abc", "other");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(s, "model")), "other");
	cJSON_Delete(s);
	cJSON_Delete(r);
}

TEST(affected_changes_since_base_touch_the_fingerprint_by_blob)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_eval_changes ch = POPS_EVAL_CHANGES_INIT;
	pops_fingerprint fp = POPS_FINGERPRINT_INIT;
	pops_buf why = POPS_BUF_INIT;
	git_oid blob;
	char hex[GIT_OID_HEXSZ + 1];
	const char *v2 = "v2\n";

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/p.prompt", "v1\n", "one"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "other.txt", "x\n", "other"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/p.prompt", v2, "two"), 0);
	CHECK_INT(pops_eval_changes_load(&ch, f.repo, "HEAD~2", cfg), 0);
	CHECK_INT(ch.resolved, 1);
	CHECK_INT(cJSON_GetArraySize(ch.paths), 2);
	CHECK(git_odb_hash(&blob, v2, strlen(v2), GIT_OBJECT_BLOB) == 0);
	git_oid_tostr(hex, sizeof(hex), &blob);
	fp.fields = cJSON_CreateObject();
	cJSON_AddStringToObject(fp.fields, "suite_blob", "0000");
	CHECK_INT(pops_eval_changes_touch(&why, &ch, &fp, cfg, "fast"), 0);
	cJSON_AddStringToObject(fp.fields, "prompt_blob", hex);
	CHECK_INT(pops_eval_changes_touch(&why, &ch, &fp, cfg, "fast"), 1);
	CHECK_STR(why.ptr, "prompts/p.prompt");
	pops_eval_changes_dispose(&ch);
	/* a base this clone lacks resolves nothing: no change is claimed */
	CHECK_INT(pops_eval_changes_load(&ch, f.repo, "no-such-rev", cfg), 0);
	CHECK_INT(ch.resolved, 0);
	pops_buf_clear(&why);
	CHECK_INT(pops_eval_changes_touch(&why, &ch, &fp, cfg, "fast"), 0);
	pops_eval_changes_dispose(&ch);
	pops_fingerprint_dispose(&fp);
	pops_buf_dispose(&why);
	pops_config_free(cfg);
	relfix_dispose(&f);
}
