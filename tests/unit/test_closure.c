#include "unit.h"
#include "relfix.h"
#include "closure.h"
#include "promote_int.h"
#include "release.h"
#include "jsonget.h"
#include "strutil.h"

#define PROMPT "---\nmodel: fast\nconfig: { temperature: 0 }\n---\nHi {{> style}} {{> team/tone}}\n"

static int parse_cfg(pops_config **out, const char *models)
{
	pops_buf y = POPS_BUF_INIT;
	int error;

	pops_buf_printf(&y, "version: 1\nproviders:\n  openai: { type: openai }\n"
	                "  local: { type: ollama }\nmodels:\n%s", models);
	error = pops_config_parse(out, y.ptr, y.size, "/tmp/pops.yaml");
	pops_buf_dispose(&y);
	return error;
}

TEST(model_config_puts_the_prompt_config_over_the_alias_config)
{
	pops_config *cfg = NULL;
	cJSON *pc = cJSON_Parse("{\"max_tokens\":24,\"top_p\":1}"), *out = NULL;
	char *s;

	CHECK_INT(parse_cfg(&cfg, "  fast: { provider: openai, id: m-2024-01-01, "
	                    "config: { max_tokens: 250, temperature: 0.5 } }\n"), 0);
	CHECK_INT(pops_closure_model_config(&out, cfg, "fast", pc), 0);
	s = cJSON_PrintUnformatted(out);
	CHECK_STR(s, "{\"temperature\":0.5,\"max_tokens\":24,\"top_p\":1}");
	cJSON_free(s);
	cJSON_Delete(out);
	/* provider/id has no alias config: the prompt's alone */
	CHECK_INT(pops_closure_model_config(&out, cfg, "openai/other", NULL), 0);
	CHECK_INT(cJSON_GetArraySize(out), 0);
	cJSON_Delete(out);
	cJSON_Delete(pc);
	pops_config_free(cfg);
}

static void closure_with(pops_closure *c, const char *blob, const char *model,
                         const char *config, const char *partial_blob)
{
	memset(c, 0, sizeof(*c));
	git_oid_fromstr(&c->blob, blob);
	c->model_id = pops_strdup(model);
	c->provider = pops_strdup("openai");
	c->provider_type = pops_strdup("openai");
	c->model_config = cJSON_Parse(config);
	if (partial_blob) {
		c->partials = calloc(1, sizeof(*c->partials));
		c->npartials = 1;
		c->partials[0].name = pops_strdup("style");
		c->partials[0].file = pops_strdup("_style.prompt");
		c->partials[0].version = partial_blob[0] == '1' ? 1 : 2;
		git_oid_fromstr(&c->partials[0].blob, partial_blob);
	}
}

#define B1 "1111111111111111111111111111111111111111"
#define B2 "2222222222222222222222222222222222222222"

TEST(closures_differ_by_model_config_or_partial_and_say_how)
{
	pops_closure a, b;
	pops_buf d = POPS_BUF_INIT;

	closure_with(&a, B1, "m-2024-01-01", "{\"max_tokens\":250}", B1);
	closure_with(&b, B1, "m-2024-01-01", "{\"max_tokens\":250}", B1);
	CHECK(pops_closure_equal(&a, &b));
	CHECK_INT(pops_closure_describe_diff(&d, &a, 3, &b, 3), 0);
	CHECK_STR(d.ptr, "");
	pops_closure_dispose(&b);

	closure_with(&b, B2, "m-2025-06-01", "{\"max_tokens\":24}", B2);
	CHECK(!pops_closure_equal(&a, &b));
	CHECK_INT(pops_closure_describe_diff(&d, &a, 3, &b, 4), 0);
	CHECK_STR(d.ptr, "prompt @3 -> @4, partial _style@1 -> @2, model m-2024-01-01 -> "
	          "m-2025-06-01, model config max_tokens 250 -> 24");
	pops_closure_dispose(&b);

	/* a partial dropped and a config key only on one side */
	closure_with(&b, B1, "m-2024-01-01", "{\"max_tokens\":250,\"seed\":7}", NULL);
	CHECK(!pops_closure_equal(&a, &b));
	pops_buf_clear(&d);
	CHECK_INT(pops_closure_describe_diff(&d, &a, 3, &b, 3), 0);
	CHECK_STR(d.ptr, "partial _style@1 removed, model config seed (unset) -> 7");
	pops_closure_dispose(&b);
	pops_closure_dispose(&a);
	pops_buf_dispose(&d);
}

TEST(closure_json_round_trips)
{
	pops_closure a, b = POPS_CLOSURE_INIT;
	pops_buf what = POPS_BUF_INIT;
	cJSON *p, *m;

	closure_with(&a, B1, "m-2024-01-01", "{\"max_tokens\":250}", B2);
	p = pops_closure_partials_json(&a);
	m = pops_closure_model_json(&a);
	CHECK(p && m);
	CHECK_INT(pops_closure_from_json(&b, p, m, &what), 0);
	git_oid_cpy(&b.blob, &a.blob);
	CHECK(pops_closure_equal(&a, &b));
	CHECK_INT(b.partials[0].version, 2);
	CHECK_STR(b.partials[0].file, "_style.prompt");
	/* a wrong shape names the field */
	pops_closure_dispose(&b);
	cJSON_ReplaceItemInObject(m, "config", cJSON_CreateString("x"));
	CHECK_INT(pops_closure_from_json(&b, NULL, m, &what), POPS_EINVALID);
	CHECK(strstr(what.ptr, "config") != NULL);
	cJSON_Delete(p);
	cJSON_Delete(m);
	pops_closure_dispose(&b);
	pops_closure_dispose(&a);
	pops_buf_dispose(&what);
}

TEST(closure_of_a_commit_holds_every_partial_it_reaches_and_the_committed_model)
{
	relfix f;
	pops_config *cfg = NULL, *at = NULL;
	pops_closure c = POPS_CLOSURE_INIT;
	git_oid c1, c2;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_style.prompt", "brief {{> inner}}", "p"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_inner.prompt", "inner", "p"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/team/_tone.prompt", "calm", "p"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "pops.yaml",
	                        "version: 1\nprompts: prompts\nproviders:\n  openai: { type: openai }\n"
	                        "models:\n  fast: { provider: openai, id: committed-2025-01-01, "
	                        "config: { max_tokens: 9 } }\n", "pin"), 0);
	CHECK_INT(relfix_commit(&f, &c1, "prompts/x.prompt", PROMPT, "x"), 0);
	CHECK_INT(pops_closure_config_at(&at, f.repo, cfg, &c1), 0);
	CHECK(at != NULL);
	CHECK_INT(pops_closure_compute(&c, f.repo, at, &c1, "x", PROMPT, strlen(PROMPT)), 0);
	CHECK_INT(c.npartials, 3);
	CHECK_STR(c.partials[0].name, "inner");   /* reached through _style, sorted */
	CHECK_STR(c.partials[1].name, "style");
	CHECK_STR(c.partials[2].name, "team/tone");
	CHECK_STR(c.partials[2].file, "team/_tone.prompt");
	CHECK_INT(c.partials[1].version, 1);
	CHECK_STR(c.model_id, "committed-2025-01-01");
	CHECK_STR(c.provider, "openai");
	CHECK_STR(c.model_alias, "fast");
	CHECK_INT(pops_json_num(c.model_config, "max_tokens", 0), 9);
	CHECK_INT(pops_json_num(c.model_config, "temperature", 1), 0);
	pops_closure_dispose(&c);
	/* a partial missing at the commit is an error naming it */
	CHECK_INT(relfix_commit(&f, &c2, "prompts/_inner.prompt", NULL, "rm"), 0);
	CHECK_INT(pops_closure_compute(&c, f.repo, at, &c2, "x", PROMPT, strlen(PROMPT)),
	          POPS_EINVALID);
	CHECK_ERR_HAS("partial 'inner' not found");
	pops_config_free(at);
	pops_config_free(cfg);
	relfix_dispose(&f);
}

TEST(release_keeps_partials_in_the_ledger_and_refuses_a_ledger_missing_one)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	pops_release_entry *e = NULL;
	pops_buf b = POPS_BUF_INIT;
	git_oid tip, tree_id, commit;
	git_commit *tc = NULL;
	git_tree *tree = NULL;
	git_tree_update upd;
	git_signature *sig = NULL;
	const git_commit *parents[1];

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_style.prompt", "v1 {{> inner}}", "p"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_inner.prompt", "in", "p"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/team/_tone.prompt", "calm", "p"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/x.prompt", PROMPT, "x"), 0);
	po.env = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	/* the partial changes at HEAD: dev still renders the released one */
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_style.prompt", "v2 {{> inner}}", "p2"), 0);
	CHECK_INT(pops_release_get(&e, f.repo, NULL, "dev", "x"), 0);
	CHECK(e->closure_known);
	CHECK_INT(e->closure.npartials, 3);
	CHECK_INT(pops_release_read_partial(&b, f.repo, cfg, e, "style"), 0);
	CHECK_STR(b.ptr, "v1 {{> inner}}");
	CHECK_INT(pops_release_read_partial(&b, f.repo, cfg, e, "team/tone"), 0);
	CHECK_STR(b.ptr, "calm");
	CHECK_INT(pops_release_read_partial(&b, f.repo, cfg, e, "nosuch"), POPS_ENOTFOUND);
	pops_release_entry_free(e);
	/* the changed partial is a new release of the same version */
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	CHECK_INT(r.n, 1);
	CHECK(r.v[0].recorded);
	CHECK_STR(r.v[0].changes, "partial _style@1 -> @2");
	pops_promote_result_dispose(&r);

	/* a ledger whose tree lost a partial is corrupt, naming it */
	CHECK_INT(pops_release_tip(&tip, f.repo), 0);
	CHECK_INT(git_commit_lookup(&tc, f.repo, &tip), 0);
	CHECK_INT(git_commit_tree(&tree, tc), 0);
	memset(&upd, 0, sizeof(upd));
	upd.action = GIT_TREE_UPDATE_REMOVE;
	upd.path = "dev/x@partials/team/_tone.prompt";
	CHECK_INT(git_tree_create_updated(&tree_id, f.repo, tree, 1, &upd), 0);
	git_tree_free(tree);
	CHECK_INT(git_tree_lookup(&tree, f.repo, &tree_id), 0);
	CHECK_INT(git_signature_now(&sig, "t", "t@example.com"), 0);
	parents[0] = tc;
	CHECK_INT(git_commit_create(&commit, f.repo, POPS_RELEASE_REF, sig, sig, NULL, "break",
	                            tree, 1, parents), 0);
	CHECK_INT(pops_release_get(&e, f.repo, NULL, "dev", "x"), POPS_ERROR);
	CHECK_ERR_HAS("partial team/tone is missing from the release");

	/* an entry name pops never writes ("..") is refused when listing */
	{
		pops_release_list l = { NULL, 0 };
		git_treebuilder *tb = NULL;
		git_oid sub, blob, top;
		git_tree *t2 = NULL;
		git_commit *c2 = NULL;

		CHECK_INT(git_blob_create_from_buffer(&blob, f.repo, "x", 1), 0);
		CHECK_INT(git_treebuilder_new(&tb, f.repo, NULL), 0);
		CHECK_INT(git_treebuilder_insert(NULL, tb, "..x.prompt", &blob, GIT_FILEMODE_BLOB), 0);
		CHECK_INT(git_treebuilder_write(&sub, tb), 0);
		git_treebuilder_free(tb);
		CHECK_INT(git_treebuilder_new(&tb, f.repo, NULL), 0);
		CHECK_INT(git_treebuilder_insert(NULL, tb, "staging", &sub, GIT_FILEMODE_TREE), 0);
		CHECK_INT(git_treebuilder_write(&top, tb), 0);
		git_treebuilder_free(tb);
		CHECK_INT(git_tree_lookup(&t2, f.repo, &top), 0);
		CHECK_INT(git_commit_lookup(&c2, f.repo, &commit), 0);
		parents[0] = c2;
		CHECK_INT(git_commit_create(&commit, f.repo, POPS_RELEASE_REF, sig, sig, NULL, "evil",
		                            t2, 1, parents), 0);
		CHECK_INT(pops_release_list_entries(&l, f.repo, NULL, NULL), POPS_ERROR);
		CHECK_ERR_HAS("ledger entry staging/..x.prompt is corrupt");
		pops_release_list_dispose(&l);
		git_commit_free(c2);
		git_tree_free(t2);
	}
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(tc);
	pops_buf_dispose(&b);
	pops_config_free(cfg);
	relfix_dispose(&f);
}

TEST(closure_digest_is_the_same_for_equal_closures_whatever_the_key_order)
{
	pops_closure a, b;
	char da[65], db[65];

	closure_with(&a, B1, "m-2024-01-01", "{\"max_tokens\":250,\"temperature\":0}", B1);
	closure_with(&b, B1, "m-2024-01-01", "{\"temperature\":0,\"max_tokens\":250}", B1);
	CHECK(pops_closure_equal(&a, &b));
	CHECK_INT(pops_closure_digest(da, &a), 0);
	CHECK_INT(pops_closure_digest(db, &b), 0);
	CHECK_STR(da, db);
	CHECK_INT(strlen(da), 64);
	pops_closure_dispose(&b);
	/* an approval of one model is not an approval of another */
	closure_with(&b, B1, "m-2025-06-01", "{\"temperature\":0,\"max_tokens\":250}", B1);
	CHECK_INT(pops_closure_digest(db, &b), 0);
	CHECK(strcmp(da, db) != 0);
	pops_closure_dispose(&b);
	pops_closure_dispose(&a);
}

TEST(closure_tools_are_part_of_the_release_the_ledger_and_the_digest)
{
	pops_closure a, b = POPS_CLOSURE_INIT;
	pops_buf what = POPS_BUF_INIT, diff = POPS_BUF_INIT;
	char da[65], db[65];
	cJSON *m;

	closure_with(&a, B1, "m-1", "{}", B2);
	CHECK_INT(pops_closure_digest(da, &a), 0);
	CHECK_INT(pops_closure_copy(&b, &a), 0);
	b.tools = cJSON_Parse("{\"definitions\":[{\"name\":\"t\",\"parameters\":{\"type\":\"object\"}}],"
	                      "\"choice\":\"auto\"}");
	CHECK(!pops_closure_equal(&a, &b));
	CHECK_INT(pops_closure_digest(db, &b), 0);
	CHECK(strcmp(da, db) != 0);
	CHECK_INT(pops_closure_describe_diff(&diff, &a, 1, &b, 1), 0);
	CHECK_STR(diff.ptr, "tool t added, toolChoice (default) -> auto");
	/* through the ledger's JSON and back */
	m = pops_closure_model_json(&b);
	pops_closure_dispose(&a);
	CHECK_INT(pops_closure_from_json(&a, NULL, m, &what), 0);
	CHECK(a.tools && cJSON_Compare(a.tools, b.tools, 1));
	/* an untrusted ledger with a tool of the wrong shape is refused */
	pops_closure_dispose(&a);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(m, "tools"), "definitions",
	                          cJSON_Parse("[{\"name\":\"a b\"}]"));
	CHECK_INT(pops_closure_from_json(&a, NULL, m, &what), POPS_EINVALID);
	CHECK(strstr(what.ptr, "resolved_model.tools") != NULL);
	cJSON_Delete(m);
	pops_closure_dispose(&a);
	pops_closure_dispose(&b);
	pops_buf_dispose(&what);
	pops_buf_dispose(&diff);
}
