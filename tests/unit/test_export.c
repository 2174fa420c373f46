#include "unit.h"
#include "relfix.h"
#include "promote.h"
#include "export.h"
#include "export_int.h"
#include "fileio.h"
#include "config.h"
#include "release.h"
#include "strutil.h"
#include <cjson/cJSON.h>

/* pops_export with `cfg`, into `dir` */
static int export_to(pops_export_result *x, git_repository *repo, const pops_config *cfg,
                     const char *env, const char *dir, pops_export_format format)
{
	pops_export_options o = POPS_EXPORT_OPTIONS_INIT;

	o.env = env;
	o.dir = dir;
	o.format = format;
	o.cfg = cfg;
	o.pops_version = "test";
	return pops_export(x, repo, &o);
}

TEST(export_writes_released_bytes_and_manifest_atomically)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	pops_export_result x;
	pops_buf dir = POPS_BUF_INIT, path = POPS_BUF_INIT, data = POPS_BUF_INIT;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a/b.prompt", "released\n", "v1"), 0);
	po.env = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	/* a newer, unreleased version must not leak into the export */
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a/b.prompt", "newer\n", "v2"), 0);
	pops_path_join(&dir, f.dir.ptr, "out");
	CHECK_INT(export_to(&x, f.repo, cfg, "dev", dir.ptr, POPS_EXPORT_FILES), 0);
	CHECK_INT(x.count, 1);
	pops_export_result_dispose(&x);
	pops_path_join(&path, dir.ptr, "a/b.prompt");
	CHECK_INT(pops_file_read(&data, path.ptr, 0), 0);
	CHECK_STR(data.ptr, "released\n");
	pops_buf_clear(&path);
	pops_path_join(&path, dir.ptr, "manifest.json");
	CHECK_INT(pops_file_read(&data, path.ptr, 0), 0);
	CHECK(strstr(data.ptr, "\"a/b.prompt\"") != NULL);
	/* a second export replaces the first */
	CHECK_INT(export_to(&x, f.repo, cfg, "dev", dir.ptr, POPS_EXPORT_JSON), 0);
	pops_export_result_dispose(&x);
	pops_buf_clear(&path);
	pops_path_join(&path, dir.ptr, "a/b.prompt");
	CHECK(!pops_path_exists(path.ptr));
	pops_export_result_dispose(&x);
	CHECK_INT(export_to(&x, f.repo, cfg, "staging", dir.ptr, POPS_EXPORT_FILES), POPS_ENOTFOUND);
	/* a directory with other files is never replaced */
	pops_buf_clear(&path);
	pops_path_join(&path, f.dir.ptr, "prompts");
	CHECK_INT(export_to(&x, f.repo, cfg, "dev", path.ptr, POPS_EXPORT_FILES), POPS_EEXISTS);
	pops_buf_dispose(&data);
	pops_buf_dispose(&path);
	pops_buf_dispose(&dir);
	pops_config_free(cfg);
	relfix_dispose(&f);
}

/* write `data` at dir/rel, making its directory */
static int put(const char *dir, const char *rel, const char *data)
{
	pops_buf p = POPS_BUF_INIT;
	char *slash;
	int error;

	pops_path_join(&p, dir, rel);
	slash = strrchr(p.ptr, '/');
	*slash = '\0';
	error = pops_mkdir_p(p.ptr, 0777);
	*slash = '/';
	if (!error)
		error = pops_file_write_atomic(p.ptr, data, strlen(data), 0644);
	pops_buf_dispose(&p);
	return error;
}

TEST(export_refuses_a_directory_whose_manifest_json_is_not_pops)
{
	relfix f;
	pops_export__old old;
	pops_buf dir = POPS_BUF_INIT, path = POPS_BUF_INIT;

	CHECK_INT(relfix_init(&f), 0);
	pops_path_join(&dir, f.dir.ptr, "app");
	CHECK_INT(put(dir.ptr, "manifest.json", "{\"name\":\"pwa\"}"), 0);
	CHECK_INT(put(dir.ptr, "src/app.js", "code\n"), 0);
	CHECK_INT(pops_export__check_dir(&old, dir.ptr), POPS_EEXISTS);
	CHECK_ERR_HAS("was not written by pops export");
	CHECK_INT(old.nfiles, 0);
	pops_path_join(&path, dir.ptr, "src/app.js");
	CHECK(pops_path_exists(path.ptr));
	pops_buf_dispose(&path);
	pops_buf_dispose(&dir);
	relfix_dispose(&f);
}

TEST(export_keeps_a_file_that_appears_in_the_old_export_after_the_check)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	pops_export_result x;
	pops_export__old old;
	pops_buf dir = POPS_BUF_INIT, tmp = POPS_BUF_INIT, kept = POPS_BUF_INIT,
	         path = POPS_BUF_INIT, data = POPS_BUF_INIT;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a/b.prompt", "released\n", "v1"), 0);
	po.env = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	pops_path_join(&dir, f.dir.ptr, "out");
	CHECK_INT(export_to(&x, f.repo, cfg, "dev", dir.ptr, POPS_EXPORT_FILES), 0);
	pops_export_result_dispose(&x);
	CHECK_INT(pops_export__check_dir(&old, dir.ptr), 0);
	CHECK_INT(old.exists, 1);
	CHECK_INT(old.nfiles, 2);
	CHECK_INT(old.ndirs, 1);
	/* a user writes into the old export between the check and the rename */
	CHECK_INT(put(dir.ptr, "a/late.txt", "mine\n"), 0);
	pops_buf_printf(&tmp, "%s.tmp-XXXXXX", dir.ptr);
	CHECK(mkdtemp(tmp.ptr) != NULL);
	CHECK_INT(put(tmp.ptr, "new.prompt", "new\n"), 0);
	CHECK_INT(pops_export__replace(&kept, tmp.ptr, dir.ptr, &old), 0);
	pops_path_join(&path, dir.ptr, "new.prompt");
	CHECK(pops_path_exists(path.ptr));
	CHECK(kept.size > 0);
	pops_buf_clear(&path);
	pops_path_join(&path, kept.ptr, "a/late.txt");
	CHECK_INT(pops_file_read(&data, path.ptr, 0), 0);
	CHECK_STR(data.ptr, "mine\n");
	/* what the old export listed is gone */
	pops_buf_clear(&path);
	pops_path_join(&path, kept.ptr, "a/b.prompt");
	CHECK(!pops_path_exists(path.ptr));
	pops_export__old_dispose(&old);
	pops_buf_dispose(&data);
	pops_buf_dispose(&path);
	pops_buf_dispose(&kept);
	pops_buf_dispose(&tmp);
	pops_buf_dispose(&dir);
	pops_config_free(cfg);
	relfix_dispose(&f);
}

TEST(bundle_root_is_the_export_whose_manifest_lists_the_file)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	pops_export_result x;
	pops_buf dir = POPS_BUF_INIT, path = POPS_BUF_INIT, root = POPS_BUF_INIT;
	char *real = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a/b.prompt", "released\n", "v1"), 0);
	po.env = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	pops_path_join(&dir, f.dir.ptr, "out");
	CHECK_INT(export_to(&x, f.repo, cfg, "dev", dir.ptr, POPS_EXPORT_FILES), 0);
	pops_export_result_dispose(&x);
	pops_path_join(&path, dir.ptr, "a/b.prompt");
	CHECK_INT(pops_export_bundle_root(&root, path.ptr), 1);
	CHECK((real = realpath(dir.ptr, NULL)) != NULL);
	CHECK_STR(root.ptr, real);
	/* a file the manifest does not list is in no bundle, even beside one */
	CHECK_INT(put(dir.ptr, "a/other.prompt", "x\n"), 0);
	pops_buf_clear(&path);
	pops_path_join(&path, dir.ptr, "a/other.prompt");
	CHECK_INT(pops_export_bundle_root(&root, path.ptr), 0);
	/* nor is a project's own prompt */
	pops_buf_clear(&path);
	pops_path_join(&path, f.dir.ptr, "prompts/a/b.prompt");
	CHECK_INT(pops_export_bundle_root(&root, path.ptr), 0);
	CHECK_INT(pops_export_bundle_root(&root, "/nonexistent/x.prompt"), 0);
	free(real);
	pops_buf_dispose(&root);
	pops_buf_dispose(&path);
	pops_buf_dispose(&dir);
	pops_config_free(cfg);
	relfix_dispose(&f);
}

/* a released entry with a closure: prompt blob `pb`, partial "style" with blob `sb` */
static pops_release_entry *rollout_entry(relfix *f, long version, const char *text,
                                         const char *style)
{
	pops_release_entry *e = calloc(1, sizeof(*e));
	pops_closure c = POPS_CLOSURE_INIT;

	e->env = pops_strdup("prod");
	e->prompt = pops_strdup("s/sum");
	e->version = version;
	git_blob_create_from_buffer(&c.blob, f->repo, text, strlen(text));
	c.partials = calloc(1, sizeof(*c.partials));
	c.npartials = 1;
	c.partials[0].name = pops_strdup("style");
	c.partials[0].file = pops_strdup("_style.prompt");
	c.partials[0].version = version;
	git_blob_create_from_buffer(&c.partials[0].blob, f->repo, style, strlen(style));
	c.model_alias = pops_strdup("fast");
	c.provider = pops_strdup("openai");
	c.provider_type = pops_strdup("openai");
	c.model_id = pops_strdup("gpt-x-2024-01-01");
	c.model_config = cJSON_CreateObject();
	pops_release_entry_set_closure(e, &c);
	pops_closure_dispose(&c);
	return e;
}

/* prod: s/sum@3 stable (ledger c1), @4 canary at 10% (c2), then 25% (c3) */
static void rollout_ledger(relfix *f, git_oid *c1, git_oid *c2)
{
	pops_release_entry *st = rollout_entry(f, 3, "three {{> style}}\n", "style one\n"), *e;
	pops_release_change ch;
	git_oid c3;

	memset(&ch, 0, sizeof(ch));
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = st;
	pops_release_commit(c1, f->repo, NULL, &ch);
	e = pops_release_entry_dup(st);
	e->canary = rollout_entry(f, 4, "four {{> style}}\n", "style two\n");
	e->rollout_percent = 10;
	memcpy(e->rollout_salt, "4f2a91c0d3b5e6a7", 17);
	e->rollout_since = 1796216400; /* 2026-12-02T13:00:00Z */
	ch.entry = e;
	ch.rollout = POPS_ROLLOUT_START;
	pops_release_commit(c2, f->repo, c1, &ch);
	ch.before = e;
	ch.rollout = POPS_ROLLOUT_SET;
	st->canary = pops_release_entry_dup(e->canary);
	st->rollout_percent = 25;
	memcpy(st->rollout_salt, e->rollout_salt, 17);
	st->rollout_since = e->rollout_since;
	ch.entry = st;
	pops_release_commit(&c3, f->repo, c2, &ch);
	pops_release_entry_free(e);
	pops_release_entry_free(st);
}

static void read_at(pops_buf *out, const char *dir, const char *rel)
{
	pops_buf p = POPS_BUF_INIT;

	pops_buf_clear(out);
	pops_path_join(&p, dir, rel);
	if (pops_file_read(out, p.ptr, 0) < 0)
		pops_buf_clear(out);
	pops_buf_dispose(&p);
}

TEST(export_writes_a_rollouts_canary_with_its_own_partials_in_schema_3)
{
	relfix f;
	git_oid c1, c2;
	pops_export_result x;
	pops_buf dir = POPS_BUF_INIT, data = POPS_BUF_INIT, root = POPS_BUF_INIT,
	         path = POPS_BUF_INIT, want = POPS_BUF_INIT;
	cJSON *doc = NULL;
	const cJSON *p, *r, *c, *cp;
	char hex[GIT_OID_HEXSZ + 1], *real = NULL;

	CHECK_INT(relfix_init(&f), 0);
	rollout_ledger(&f, &c1, &c2);
	pops_path_join(&dir, f.dir.ptr, "out");
	CHECK_INT(export_to(&x, f.repo, NULL, "prod", dir.ptr, POPS_EXPORT_FILES), 0);
	CHECK_INT(x.count, 1);
	CHECK_INT(x.npartials, 1);
	CHECK_INT(x.ncanary, 1);
	pops_export_result_dispose(&x);
	read_at(&data, dir.ptr, "s/sum.prompt");
	CHECK_STR(data.ptr, "three {{> style}}\n");
	read_at(&data, dir.ptr, "_style.prompt");
	CHECK_STR(data.ptr, "style one\n");
	read_at(&data, dir.ptr, "@canary/s/sum.prompt");
	CHECK_STR(data.ptr, "four {{> style}}\n");
	read_at(&data, dir.ptr, "@canary/s/sum@partials/_style.prompt");
	CHECK_STR(data.ptr, "style two\n");
	read_at(&data, dir.ptr, "manifest.json");
	CHECK((doc = cJSON_Parse(data.ptr)) != NULL);
	CHECK_INT((int)cJSON_GetObjectItem(doc, "schema_version")->valuedouble, 3);
	p = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "prompts"), 0);
	CHECK_INT((int)cJSON_GetObjectItem(p, "version")->valuedouble, 3);
	/* each side's ledger commit is the one that released it, not the 25% step */
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(p, "ledger_commit")),
	          git_oid_tostr(hex, sizeof(hex), &c1));
	r = cJSON_GetObjectItem(p, "rollout");
	CHECK_INT((int)cJSON_GetObjectItem(r, "percent")->valuedouble, 25);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "salt")), "4f2a91c0d3b5e6a7");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(r, "since")), "2026-12-02T13:00:00Z");
	c = cJSON_GetObjectItem(r, "canary");
	CHECK_INT((int)cJSON_GetObjectItem(c, "version")->valuedouble, 4);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "file")), "@canary/s/sum.prompt");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "ledger_commit")),
	          git_oid_tostr(hex, sizeof(hex), &c2));
	cp = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "partials"), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cp, "file")), "_style.prompt");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cp, "path")),
	          "@canary/s/sum@partials/_style.prompt");
	/* the canary file's partials are the canary's own */
	pops_path_join(&path, dir.ptr, "@canary/s/sum.prompt");
	CHECK_INT(pops_export_bundle_root(&root, path.ptr), 1);
	CHECK((real = realpath(dir.ptr, NULL)) != NULL);
	pops_buf_printf(&want, "%s/@canary/s/sum@partials", real);
	CHECK_STR(root.ptr, want.ptr);
	/* a re-export replaces a rollout bundle; an edited canary partial is the user's */
	CHECK_INT(export_to(&x, f.repo, NULL, "prod", dir.ptr, POPS_EXPORT_FILES), 0);
	pops_export_result_dispose(&x);
	CHECK_INT(put(dir.ptr, "@canary/s/sum@partials/_style.prompt", "edited\n"), 0);
	CHECK_INT(export_to(&x, f.repo, NULL, "prod", dir.ptr, POPS_EXPORT_FILES), POPS_EEXISTS);
	CHECK_ERR_HAS("was changed since pops exported it");
	pops_export_result_dispose(&x);
	cJSON_Delete(doc);
	free(real);
	pops_buf_dispose(&want);
	pops_buf_dispose(&path);
	pops_buf_dispose(&root);
	pops_buf_dispose(&data);
	pops_buf_dispose(&dir);
	relfix_dispose(&f);
}

TEST(export_json_inlines_the_canary_and_its_partials)
{
	relfix f;
	git_oid c1, c2;
	pops_export_result x;
	pops_buf dir = POPS_BUF_INIT, data = POPS_BUF_INIT;
	cJSON *doc = NULL;
	const cJSON *c, *cp;

	CHECK_INT(relfix_init(&f), 0);
	rollout_ledger(&f, &c1, &c2);
	pops_path_join(&dir, f.dir.ptr, "out");
	CHECK_INT(export_to(&x, f.repo, NULL, "prod", dir.ptr, POPS_EXPORT_JSON), 0);
	pops_export_result_dispose(&x);
	read_at(&data, dir.ptr, "@canary/s/sum.prompt");
	CHECK_INT(data.size, 0);
	read_at(&data, dir.ptr, "manifest.json");
	CHECK((doc = cJSON_Parse(data.ptr)) != NULL);
	c = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
	        cJSON_GetObjectItem(doc, "prompts"), 0), "rollout"), "canary");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "content")), "four {{> style}}\n");
	CHECK(cJSON_GetObjectItem(c, "file") == NULL);
	cp = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "partials"), 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cp, "content")), "style two\n");
	CHECK(cJSON_GetObjectItem(cp, "path") == NULL);
	cJSON_Delete(doc);
	pops_buf_dispose(&data);
	pops_buf_dispose(&dir);
	relfix_dispose(&f);
}

TEST(manifest_check_takes_schema_3_canaries_only_under_at_canary)
{
	const char *ok = "{\"schema_version\":3,\"generator\":\"pops\",\"env\":\"prod\","
	                 "\"ledger_commit\":\"0123456789abcdef0123456789abcdef01234567\","
	                 "\"format\":\"files\",\"prompts\":[{\"name\":\"s/a\",\"blob\":"
	                 "\"0123456789abcdef0123456789abcdef01234567\",\"file\":\"s/a.prompt\","
	                 "\"rollout\":{\"canary\":{\"blob\":\"0123456789abcdef0123456789abcdef01234567\","
	                 "\"file\":\"@canary/s/a.prompt\",\"partials\":[{\"blob\":"
	                 "\"0123456789abcdef0123456789abcdef01234567\",\"path\":"
	                 "\"@canary/s/a@partials/t/_s.prompt\"}]}}}],\"partials\":[]}";
	const char *bad[] = { "@canary/../x@partials/_s.prompt", "@canary/s/a@partials/../_s.prompt",
	                      "s/a@partials/_s.prompt", "@canary/s/a@other/_s.prompt",
	                      "@canary/s/a@partials/_s.txt", NULL };
	pops_buf why = POPS_BUF_INIT, text = POPS_BUF_INIT;
	cJSON *doc;
	size_t i;

	CHECK((doc = cJSON_Parse(ok)) != NULL);
	CHECK_INT(pops_export__manifest_ok(doc, &why), 1);
	cJSON_Delete(doc);
	for (i = 0; bad[i]; i++) {
		const char *at = strstr(ok, "@canary/s/a@partials/t/_s.prompt");

		pops_buf_clear(&text);
		pops_buf_put(&text, ok, (size_t)(at - ok));
		pops_buf_puts(&text, bad[i]);
		pops_buf_puts(&text, at + strlen("@canary/s/a@partials/t/_s.prompt"));
		CHECK((doc = cJSON_Parse(text.ptr)) != NULL);
		CHECK_INT(pops_export__manifest_ok(doc, &why), 0);
		CHECK(strstr(why.ptr, "canary partial") != NULL);
		cJSON_Delete(doc);
	}
	pops_buf_dispose(&text);
	pops_buf_dispose(&why);
}
