/* Canary rollouts in the release ledger: schema 3 entries, @canary files, trailers. */
#include "unit.h"
#include "relfix.h"
#include "promote.h"
#include "release.h"
#include "rollout.h"
#include "strutil.h"

#include <cjson/cJSON.h>

static void blob(relfix *f, git_oid *out, const char *text)
{
	git_blob_create_from_buffer(out, f->repo, text, strlen(text));
}

/* an entry with a closure: prompt blob `pb`, one partial "style" with blob `sb` */
static pops_release_entry *closed_entry(const char *env, const char *prompt, long version,
                                        const git_oid *pb, const git_oid *sb, const char *model)
{
	pops_release_entry *e = calloc(1, sizeof(*e));
	pops_closure c = POPS_CLOSURE_INIT;

	e->env = pops_strdup(env);
	e->prompt = pops_strdup(prompt);
	e->version = version;
	git_oid_cpy(&c.blob, pb);
	c.partials = calloc(1, sizeof(*c.partials));
	c.npartials = 1;
	c.partials[0].name = pops_strdup("style");
	c.partials[0].file = pops_strdup("_style.prompt");
	c.partials[0].version = version;
	git_oid_cpy(&c.partials[0].blob, sb);
	c.model_alias = pops_strdup("fast");
	c.provider = pops_strdup("openai");
	c.provider_type = pops_strdup("openai");
	c.model_id = pops_strdup(model);
	c.model_config = cJSON_CreateObject();
	pops_release_entry_set_closure(e, &c);
	pops_closure_dispose(&c);
	return e;
}

/* make `e` a rollout with canary `c` (taken) at `pct` */
static void with_canary(pops_release_entry *e, pops_release_entry *c, unsigned pct)
{
	e->canary = c;
	e->rollout_percent = pct;
	memcpy(e->rollout_salt, "4f2a91c0d3b5e6a7", 17);
	e->rollout_since = 1796216400; /* 2026-12-02T13:00:00Z */
}

static int tree_has(relfix *f, const git_oid *commit, const char *path, git_oid *id_out)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *te = NULL;
	int found;

	git_commit_lookup(&c, f->repo, commit);
	git_commit_tree(&t, c);
	found = git_tree_entry_bypath(&te, t, path) == 0;
	if (found && id_out)
		git_oid_cpy(id_out, git_tree_entry_id(te));
	git_tree_entry_free(te);
	git_tree_free(t);
	git_commit_free(c);
	git_error_clear();
	return found;
}

static void read_json(relfix *f, const git_oid *commit, const char *path, pops_buf *out)
{
	git_oid id;
	git_blob *b = NULL;

	pops_buf_clear(out);
	if (!tree_has(f, commit, path, &id) || git_blob_lookup(&b, f->repo, &id) < 0)
		return;
	pops_buf_set(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
}

TEST(release_rollout_start_writes_schema3_and_canary_files_and_reads_back)
{
	relfix f;
	git_oid p3, p4, s1, s2, c1, c2, id;
	pops_release_entry *st, *e, *got = NULL, *dup;
	pops_release_change ch;
	pops_buf json = POPS_BUF_INIT, bytes = POPS_BUF_INIT;

	CHECK_INT(relfix_init(&f), 0);
	blob(&f, &p3, "three\n");
	blob(&f, &p4, "four\n");
	blob(&f, &s1, "style one\n");
	blob(&f, &s2, "style two\n");
	st = closed_entry("prod", "support/summarize", 3, &p3, &s1, "gpt-x-2024-01-01");
	memset(&ch, 0, sizeof(ch));
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = st;
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), 0);
	e = pops_release_entry_dup(st);
	with_canary(e, closed_entry("prod", "support/summarize", 4, &p4, &s2, "gpt-y-2025-01-01"), 10);
	e->canary->evidence = pops_strdup("sha256:abc");
	ch.entry = e;
	ch.rollout = POPS_ROLLOUT_START;
	CHECK_INT(pops_release_commit(&c2, f.repo, &c1, &ch), 0);
	/* the canary's files beside the stable ones */
	CHECK(tree_has(&f, &c2, "prod/support/summarize@canary.prompt", &id));
	CHECK(git_oid_equal(&id, &p4));
	CHECK(tree_has(&f, &c2, "prod/support/summarize@canary@partials/_style.prompt", &id));
	CHECK(git_oid_equal(&id, &s2));
	CHECK(tree_has(&f, &c2, "prod/support/summarize@partials/_style.prompt", &id));
	CHECK(git_oid_equal(&id, &s1));
	read_json(&f, &c2, "prod/support/summarize.json", &json);
	CHECK(strstr(json.ptr, "\"schema_version\":\t3") != NULL);
	CHECK(strstr(json.ptr, "\"since\":\t\"2026-12-02T13:00:00Z\"") != NULL);
	CHECK(strstr(json.ptr, "\"salt\":\t\"4f2a91c0d3b5e6a7\"") != NULL);
	/* read back: every rollout field */
	CHECK_INT(pops_release_get(&got, f.repo, NULL, "prod", "support/summarize"), 0);
	CHECK_INT(got->version, 3);
	CHECK(git_oid_equal(&got->blob, &p3));
	CHECK(got->canary != NULL);
	CHECK_INT(got->rollout_percent, 10);
	CHECK_STR(got->rollout_salt, "4f2a91c0d3b5e6a7");
	CHECK_INT(got->rollout_since, 1796216400);
	CHECK_INT(got->canary->version, 4);
	CHECK(git_oid_equal(&got->canary->blob, &p4));
	CHECK_STR(got->canary->model, "gpt-y-2025-01-01");
	CHECK_STR(got->canary->evidence, "sha256:abc");
	CHECK_STR(got->canary->env, "prod");
	CHECK(got->canary->canary == NULL);
	CHECK(got->canary->closure_known);
	CHECK_INT(got->canary->closure.npartials, 1);
	CHECK(git_oid_equal(&got->canary->closure.partials[0].blob, &s2));
	CHECK_INT(pops_release_read_blob(&bytes, f.repo, got->canary), 0);
	CHECK_STR(bytes.ptr, "four\n");
	/* dup is deep: freeing the copy leaves the original whole */
	CHECK((dup = pops_release_entry_dup(got)) != NULL);
	CHECK(dup->canary != NULL && dup->canary != got->canary);
	CHECK_INT(dup->canary->version, 4);
	CHECK_STR(dup->rollout_salt, "4f2a91c0d3b5e6a7");
	pops_release_entry_free(dup);
	CHECK_STR(got->canary->model, "gpt-y-2025-01-01");
	pops_release_entry_free(got);
	pops_release_entry_free(e);
	pops_release_entry_free(st);
	pops_buf_dispose(&bytes);
	pops_buf_dispose(&json);
	relfix_dispose(&f);
}

TEST(release_rollout_complete_removes_canary_files_and_writes_schema2)
{
	relfix f;
	git_oid p3, p4, s1, s2, c1, c2, c3;
	pops_release_entry *e, *done_e, *got = NULL;
	pops_release_change ch;
	pops_release_events log = { NULL, 0 };
	pops_buf json = POPS_BUF_INIT;

	CHECK_INT(relfix_init(&f), 0);
	blob(&f, &p3, "three\n");
	blob(&f, &p4, "four\n");
	blob(&f, &s1, "style one\n");
	blob(&f, &s2, "style two\n");
	e = closed_entry("prod", "x", 3, &p3, &s1, "m1");
	memset(&ch, 0, sizeof(ch));
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = e;
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), 0);
	with_canary(e, closed_entry("prod", "x", 4, &p4, &s2, "m2"), 10);
	ch.rollout = POPS_ROLLOUT_START;
	CHECK_INT(pops_release_commit(&c2, f.repo, &c1, &ch), 0);
	/* complete: the former canary is the stable release */
	done_e = pops_release_entry_dup(e->canary);
	ch.entry = done_e;
	ch.rollout = POPS_ROLLOUT_COMPLETE;
	ch.before = e;
	CHECK_INT(pops_release_commit(&c3, f.repo, &c2, &ch), 0);
	CHECK(!tree_has(&f, &c3, "prod/x@canary.prompt", NULL));
	CHECK(!tree_has(&f, &c3, "prod/x@canary@partials", NULL));
	CHECK(tree_has(&f, &c3, "prod/x@partials/_style.prompt", NULL));
	read_json(&f, &c3, "prod/x.json", &json);
	CHECK(strstr(json.ptr, "\"schema_version\":\t2") != NULL);
	CHECK(strstr(json.ptr, "rollout") == NULL);
	CHECK_INT(pops_release_get(&got, f.repo, NULL, "prod", "x"), 0);
	CHECK(got->canary == NULL);
	CHECK_INT(got->version, 4);
	/* the log tells the rollout steps apart */
	CHECK_INT(pops_release_log(&log, f.repo, "prod", "x", 1), 0);
	CHECK_INT(log.n, 3);
	CHECK_STR(log.v[0].subject, "promote x@4 to prod: rollout complete");
	CHECK_STR(log.v[0].rollout, "complete");
	CHECK_STR(log.v[0].salt, "4f2a91c0d3b5e6a7");
	CHECK_INT(log.v[0].canary_percent, 0);
	CHECK_INT(log.v[0].version, 4);
	CHECK_STR(log.v[1].subject, "promote x@4 to prod as canary (10%)");
	CHECK_STR(log.v[1].rollout, "start");
	CHECK_INT(log.v[1].canary_percent, 10);
	CHECK_INT(log.v[1].version, 4);   /* start describes the canary */
	CHECK_INT(log.v[1].npartials, 1);
	CHECK(log.v[2].rollout == NULL && log.v[2].salt == NULL);
	pops_release_events_dispose(&log);
	pops_release_entry_free(got);
	pops_release_entry_free(done_e);
	pops_release_entry_free(e);
	pops_buf_dispose(&json);
	relfix_dispose(&f);
}

TEST(release_rollout_set_and_abort_subjects_and_trailers)
{
	relfix f;
	git_oid p3, p4, s1, c1, c2, c3, c4;
	pops_release_entry *e, *e25, *kept;
	pops_release_change ch;
	pops_release_events log = { NULL, 0 };

	CHECK_INT(relfix_init(&f), 0);
	blob(&f, &p3, "three\n");
	blob(&f, &p4, "four\n");
	blob(&f, &s1, "style\n");
	e = closed_entry("prod", "support/summarize", 3, &p3, &s1, "m1");
	kept = pops_release_entry_dup(e);
	memset(&ch, 0, sizeof(ch));
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = e;
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), 0);
	with_canary(e, closed_entry("prod", "support/summarize", 4, &p4, &s1, "m1"), 10);
	ch.rollout = POPS_ROLLOUT_START;
	CHECK_INT(pops_release_commit(&c2, f.repo, &c1, &ch), 0);
	e25 = pops_release_entry_dup(e);
	e25->rollout_percent = 25;
	ch.entry = e25;
	ch.rollout = POPS_ROLLOUT_SET;
	ch.before = e;
	CHECK_INT(pops_release_commit(&c3, f.repo, &c2, &ch), 0);
	ch.action = POPS_RELEASE_ROLLBACK;
	ch.entry = kept;
	ch.rollout = POPS_ROLLOUT_ABORT;
	ch.before = e25;
	CHECK_INT(pops_release_commit(&c4, f.repo, &c3, &ch), 0);
	CHECK(!tree_has(&f, &c4, "prod/support/summarize@canary.prompt", NULL));
	CHECK_INT(pops_release_log(&log, f.repo, NULL, NULL, 1), 0);
	CHECK_INT(log.n, 4);
	CHECK_STR(log.v[0].subject, "rollback support/summarize in prod: end canary @4, keep @3");
	CHECK_STR(log.v[0].action, "rollback");
	CHECK_STR(log.v[0].rollout, "abort");
	CHECK_STR(log.v[0].salt, "4f2a91c0d3b5e6a7");
	CHECK_INT(log.v[0].version, 3);   /* abort describes the kept stable */
	CHECK_STR(log.v[1].subject, "rollout support/summarize@4 in prod: 10% -> 25%");
	CHECK_STR(log.v[1].rollout, "set");
	CHECK_INT(log.v[1].canary_percent, 25);
	pops_release_events_dispose(&log);
	pops_release_entry_free(kept);
	pops_release_entry_free(e25);
	pops_release_entry_free(e);
	relfix_dispose(&f);
}

TEST(release_rollout_write_refuses_bad_share_salt_or_missing_before)
{
	relfix f;
	git_oid p3, s1, c1;
	pops_release_entry *e;
	pops_release_change ch;

	CHECK_INT(relfix_init(&f), 0);
	blob(&f, &p3, "three\n");
	blob(&f, &s1, "style\n");
	e = closed_entry("prod", "x", 3, &p3, &s1, "m1");
	with_canary(e, closed_entry("prod", "x", 4, &p3, &s1, "m1"), 100);
	memset(&ch, 0, sizeof(ch));
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = e;
	ch.rollout = POPS_ROLLOUT_START;
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), POPS_EINVALID);
	CHECK_ERR_HAS("share 100%");
	e->rollout_percent = 10;
	memcpy(e->rollout_salt, "4F2A91C0D3B5E6A7", 17);
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), POPS_EINVALID);
	CHECK_ERR_HAS("salt '4F2A91C0D3B5E6A7'");
	memcpy(e->rollout_salt, "4f2a91c0d3b5e6a7", 17);
	ch.rollout = POPS_ROLLOUT_SET;
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), POPS_EINVALID);
	CHECK_ERR_HAS("inconsistent rollout change");
	CHECK_INT(pops_release_tip(&c1, f.repo), POPS_ENOTFOUND);
	pops_release_entry_free(e);
	relfix_dispose(&f);
}

#define B40 "0123456789abcdef0123456789abcdef01234567"
#define CANARY_OK "{\"version\":4,\"blob\":\"" B40 "\",\"source_commit\":null,\"model\":\"m\"," \
	"\"model_alias\":null,\"resolved_model\":{\"alias\":null,\"provider\":null,\"type\":null," \
	"\"id\":\"m\",\"config\":{}},\"partials\":[],\"evidence\":null}"
#define ENTRY(sv, ro) "{\"schema_version\":" sv ",\"prompt\":\"x\",\"version\":3,\"blob\":\"" B40 \
	"\",\"source_commit\":null,\"model\":\"m\",\"model_alias\":null,\"evidence\":null," \
	"\"ledger_reason\":null" ro "}"

static int parse_fails_with(const char *json, const char *needle)
{
	pops_release_entry *e = NULL;
	pops_buf what = POPS_BUF_INIT;
	int ok = pops_release_parse_entry(&e, json, strlen(json), "prod", "x", &what) == POPS_EINVALID &&
	         !e && strstr(what.ptr, needle) != NULL;

	if (!ok)
		fprintf(stderr, "parse of %s: \"%s\", expected \"%s\"\n", json, what.ptr, needle);
	pops_release_entry_free(e);
	pops_buf_dispose(&what);
	return ok;
}

TEST(release_parse_names_the_bad_rollout_field)
{
	pops_release_entry *e = NULL;
	pops_buf what = POPS_BUF_INIT;
	const char *good = ENTRY("3", ",\"rollout\":{\"percent\":10,\"salt\":\"4f2a91c0d3b5e6a7\","
	                         "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":" CANARY_OK "}");

	CHECK_INT(pops_release_parse_entry(&e, good, strlen(good), "prod", "x", &what), 0);
	CHECK(e->canary != NULL);
	CHECK_INT(e->canary->version, 4);
	CHECK_INT(e->rollout_percent, 10);
	pops_release_entry_free(e);
	pops_buf_dispose(&what);
	CHECK(parse_fails_with(ENTRY("3", ",\"rollout\":{\"percent\":0,\"salt\":\"4f2a91c0d3b5e6a7\","
	                             "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":" CANARY_OK "}"),
	                       "\"rollout.percent\" is not a whole number from 1 to 99"));
	CHECK(parse_fails_with(ENTRY("3", ",\"rollout\":{\"percent\":100,\"salt\":\"4f2a91c0d3b5e6a7\","
	                             "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":" CANARY_OK "}"),
	                       "\"rollout.percent\""));
	CHECK(parse_fails_with(ENTRY("3", ",\"rollout\":{\"percent\":12.5,\"salt\":\"4f2a91c0d3b5e6a7\","
	                             "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":" CANARY_OK "}"),
	                       "\"rollout.percent\""));
	CHECK(parse_fails_with(ENTRY("3", ",\"rollout\":{\"percent\":10,\"salt\":\"4f2a91c0d3b5e6a\","
	                             "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":" CANARY_OK "}"),
	                       "\"rollout.salt\" is not 16 lowercase hex digits"));
	CHECK(parse_fails_with(ENTRY("3", ",\"rollout\":{\"percent\":10,\"salt\":\"4f2a91c0d3b5e6aZ\","
	                             "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":" CANARY_OK "}"),
	                       "\"rollout.salt\""));
	CHECK(parse_fails_with(ENTRY("3", ",\"rollout\":{\"percent\":10,\"salt\":\"4f2a91c0d3b5e6a7\","
	                             "\"since\":\"2026-12-02 13:00\",\"canary\":" CANARY_OK "}"),
	                       "\"rollout.since\""));
	CHECK(parse_fails_with(ENTRY("3", ",\"rollout\":{\"percent\":10,\"salt\":\"4f2a91c0d3b5e6a7\","
	                             "\"since\":\"2026-12-02T13:00:00Z\"}"),
	                       "\"rollout.canary\" is missing"));
	CHECK(parse_fails_with(ENTRY("3", ",\"rollout\":{\"percent\":10,\"salt\":\"4f2a91c0d3b5e6a7\","
	                             "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":{\"version\":4}}"),
	                       "\"rollout.canary.blob\" is not an object id"));
	CHECK(parse_fails_with(ENTRY("3", ",\"rollout\":{\"percent\":10,\"salt\":\"4f2a91c0d3b5e6a7\","
	                             "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":{\"version\":4,"
	                             "\"blob\":\"" B40 "\"}}"),
	                       "\"rollout.canary\" has no \"resolved_model\" and \"partials\""));
	CHECK(parse_fails_with(ENTRY("2", ",\"rollout\":{\"percent\":10,\"salt\":\"4f2a91c0d3b5e6a7\","
	                             "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":" CANARY_OK "}"),
	                       "\"rollout\" needs \"schema_version\": 3"));
	CHECK(parse_fails_with(ENTRY("3", ""), "\"schema_version\" 3 without \"rollout\""));
}

TEST(release_ledger_with_canary_json_but_no_canary_file_is_corrupt)
{
	relfix f;
	git_oid p3, s1, c1, c2, tree_id;
	pops_release_entry *e, *got = NULL;
	pops_release_change ch;
	git_commit *commit = NULL, *parent = NULL;
	git_tree *tree = NULL, *nt = NULL;
	git_tree_update rm;
	git_signature *sig = NULL;
	const git_commit *parents[1];

	CHECK_INT(relfix_init(&f), 0);
	blob(&f, &p3, "three\n");
	blob(&f, &s1, "style\n");
	e = closed_entry("prod", "x", 3, &p3, &s1, "m1");
	with_canary(e, closed_entry("prod", "x", 4, &s1, &s1, "m1"), 10);
	memset(&ch, 0, sizeof(ch));
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = e;
	ch.rollout = POPS_ROLLOUT_START;
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), 0);
	/* a hand-made ledger commit that drops the canary's prompt file */
	CHECK_INT(git_commit_lookup(&parent, f.repo, &c1), 0);
	CHECK_INT(git_commit_tree(&tree, parent), 0);
	memset(&rm, 0, sizeof(rm));
	rm.action = GIT_TREE_UPDATE_REMOVE;
	rm.path = "prod/x@canary.prompt";
	CHECK_INT(git_tree_create_updated(&tree_id, f.repo, tree, 1, &rm), 0);
	CHECK_INT(git_tree_lookup(&nt, f.repo, &tree_id), 0);
	CHECK_INT(git_signature_now(&sig, "t", "t@example.com"), 0);
	parents[0] = parent;
	CHECK_INT(git_commit_create(&c2, f.repo, NULL, sig, sig, NULL, "hand-made", nt, 1, parents), 0);
	CHECK_INT(pops_release_get(&got, f.repo, &c2, "prod", "x"), POPS_ERROR);
	CHECK_ERR_HAS("corrupt ledger entry 'prod/x.json'");
	CHECK_ERR_HAS("its rollout's canary file @canary.prompt is missing");
	CHECK_INT(pops_release_get(&got, f.repo, &c1, "prod", "x"), 0);
	pops_release_entry_free(got);
	git_signature_free(sig);
	git_tree_free(nt);
	git_tree_free(tree);
	git_commit_free(parent);
	git_commit_free(commit);
	pops_release_entry_free(e);
	relfix_dispose(&f);
}

TEST(release_tree_admits_the_two_canary_forms_and_nothing_else_new)
{
	CHECK(pops_release_tree_name_ok("prod/", "summarize@canary.prompt", GIT_FILEMODE_BLOB));
	CHECK(pops_release_tree_name_ok("prod/support/", "summarize@canary@partials",
	                                GIT_FILEMODE_TREE));
	CHECK(pops_release_tree_name_ok("prod/x@canary@partials/", "_style.prompt", GIT_FILEMODE_BLOB));
	CHECK(pops_release_tree_name_ok("prod/", "x@partials", GIT_FILEMODE_TREE));
	CHECK(!pops_release_tree_name_ok("", "x@canary.prompt", GIT_FILEMODE_BLOB));
	CHECK(!pops_release_tree_name_ok("prod/", "x@canary.json", GIT_FILEMODE_BLOB));
	CHECK(!pops_release_tree_name_ok("prod/", "x@canary", GIT_FILEMODE_TREE));
	CHECK(!pops_release_tree_name_ok("prod/", "x@canary.prompt", GIT_FILEMODE_TREE));
	CHECK(!pops_release_tree_name_ok("prod/", "x@canary.prompt", GIT_FILEMODE_LINK));
	CHECK(!pops_release_tree_name_ok("prod/", "x@canary.prompt", GIT_FILEMODE_BLOB_EXECUTABLE));
	CHECK(!pops_release_tree_name_ok("prod/", "x@canary@canary.prompt", GIT_FILEMODE_BLOB));
	CHECK(!pops_release_tree_name_ok("prod/", "x@stable.prompt", GIT_FILEMODE_BLOB));
	CHECK(!pops_release_tree_name_ok("prod/x@partials/", "y@canary.prompt", GIT_FILEMODE_BLOB));
	CHECK(!pops_release_tree_name_ok("prod/x@partials/", "y@canary@partials", GIT_FILEMODE_TREE));
	CHECK(!pops_release_tree_name_ok("prod/", "@canary.prompt", GIT_FILEMODE_BLOB));
	CHECK(!pops_release_tree_name_ok("prod/", "x@partials@canary@partials", GIT_FILEMODE_TREE));
}

TEST(release_entry_without_rollout_stays_schema2_byte_for_byte)
{
	relfix f;
	git_oid p3, s1, c1;
	pops_release_entry *e;
	pops_release_change ch;
	pops_buf json = POPS_BUF_INIT;

	CHECK_INT(relfix_init(&f), 0);
	blob(&f, &p3, "three\n");
	blob(&f, &s1, "style\n");
	e = closed_entry("prod", "x", 3, &p3, &s1, "m1");
	memset(&ch, 0, sizeof(ch));
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = e;
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), 0);
	read_json(&f, &c1, "prod/x.json", &json);
	/* what pops wrote before rollouts existed (issue 19 keeps it) */
	CHECK_STR(json.ptr, "{\n"
	          "\t\"schema_version\":\t2,\n"
	          "\t\"prompt\":\t\"x\",\n"
	          "\t\"version\":\t3,\n"
	          "\t\"blob\":\t\"2bdf67abb163a4ffb2d7f3f0880c9fe5068ce782\",\n"
	          "\t\"source_commit\":\tnull,\n"
	          "\t\"model\":\t\"m1\",\n"
	          "\t\"model_alias\":\t\"fast\",\n"
	          "\t\"evidence\":\tnull,\n"
	          "\t\"ledger_reason\":\tnull,\n"
	          "\t\"resolved_model\":\t{\n"
	          "\t\t\"alias\":\t\"fast\",\n"
	          "\t\t\"provider\":\t\"openai\",\n"
	          "\t\t\"type\":\t\"openai\",\n"
	          "\t\t\"id\":\t\"m1\",\n"
	          "\t\t\"config\":\t{\n"
	          "\t\t}\n"
	          "\t},\n"
	          "\t\"partials\":\t[{\n"
	          "\t\t\t\"name\":\t\"style\",\n"
	          "\t\t\t\"file\":\t\"_style.prompt\",\n"
	          "\t\t\t\"version\":\t3,\n"
	          "\t\t\t\"blob\":\t\"8cd89418257ccb3f367b18a919613242ee524684\"\n"
	          "\t\t}]\n"
	          "}\n");
	pops_release_entry_free(e);
	pops_buf_dispose(&json);
	relfix_dispose(&f);
}


#define PV1 "---\nmodel: fast\n---\nSummarize {{text}}\n"
#define PV2 "---\nmodel: fast\n---\nSummarize briefly {{text}}\n"

TEST(promote_canary_set_complete_and_rollback_through_the_lib)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_rollout_options ro = POPS_ROLLOUT_OPTIONS_INIT;
	pops_rollback_options rb = POPS_ROLLBACK_OPTIONS_INIT;
	pops_promote_result r;
	pops_release_entry *got = NULL;
	const char *names[1] = { "summarize" };
	char salt[17];

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/summarize.prompt", PV1, "v1"), 0);
	po.env = "dev";
	po.prompts = names;
	po.nprompts = 1;
	po.canary = 20;
	/* nothing to keep as stable yet */
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EREFUSED);
	CHECK_ERR_HAS("nothing to keep as stable");
	pops_promote_result_dispose(&r);
	po.canary = 0;
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/summarize.prompt", PV2, "v2"), 0);
	po.canary = 20;
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	CHECK_INT(r.v[0].rollout, POPS_ROLLOUT_START);
	CHECK_INT(r.v[0].entry->version, 2);
	pops_promote_result_dispose(&r);
	CHECK_INT(pops_release_get(&got, f.repo, NULL, "dev", "summarize"), 0);
	CHECK_INT(got->version, 1);
	CHECK(got->canary && got->canary->version == 2 && got->rollout_percent == 20);
	CHECK(pops_rollout_salt_ok(got->rollout_salt));
	memcpy(salt, got->rollout_salt, sizeof(salt));
	pops_release_entry_free(got);
	got = NULL;
	/* a plain promote is in the way of the rollout */
	po.canary = 0;
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EREFUSED);
	CHECK_ERR_HAS("a canary rollout of summarize is running in dev");
	pops_promote_result_dispose(&r);
	ro.env = "dev";
	ro.prompt = "summarize";
	ro.percent = 0;
	CHECK_INT(pops_rollout_set(&r, f.repo, cfg, &ro), POPS_EINVALID);
	pops_promote_result_dispose(&r);
	ro.percent = 60;
	CHECK_INT(pops_rollout_set(&r, f.repo, cfg, &ro), 0);
	CHECK(r.v[0].recorded);
	pops_promote_result_dispose(&r);
	CHECK_INT(pops_release_get(&got, f.repo, NULL, "dev", "summarize"), 0);
	CHECK_INT(got->rollout_percent, 60);
	CHECK_STR(got->rollout_salt, salt);
	pops_release_entry_free(got);
	got = NULL;
	/* rollback ends it, keeping @1; a target is refused during a rollout */
	rb.env = "dev";
	rb.prompts = names;
	rb.nprompts = 1;
	rb.to_version = 1;
	CHECK_INT(pops_rollback(&r, f.repo, cfg, &rb), POPS_EINVALID);
	pops_promote_result_dispose(&r);
	rb.to_version = 0;
	CHECK_INT(pops_rollback(&r, f.repo, cfg, &rb), 0);
	CHECK_INT(r.v[0].rollout, POPS_ROLLOUT_ABORT);
	pops_promote_result_dispose(&r);
	CHECK_INT(pops_release_get(&got, f.repo, NULL, "dev", "summarize"), 0);
	CHECK(got->canary == NULL);
	CHECK_INT(got->version, 1);
	pops_release_entry_free(got);
	got = NULL;
	CHECK_INT(pops_rollout_complete(&r, f.repo, cfg, &ro), POPS_ENOTFOUND);
	CHECK_ERR_HAS("summarize has no rollout in dev");
	pops_promote_result_dispose(&r);
	/* a new rollout, completed: @2 is stable */
	po.canary = 5;
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	CHECK_INT(pops_rollout_complete(&r, f.repo, cfg, &ro), 0);
	CHECK_INT(r.v[0].rollout, POPS_ROLLOUT_COMPLETE);
	pops_promote_result_dispose(&r);
	CHECK_INT(pops_release_get(&got, f.repo, NULL, "dev", "summarize"), 0);
	CHECK(got->canary == NULL);
	CHECK_INT(got->version, 2);
	pops_release_entry_free(got);
	pops_config_free(cfg);
	relfix_dispose(&f);
}
