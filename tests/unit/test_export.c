#include "unit.h"
#include "relfix.h"
#include "promote.h"
#include "export.h"
#include "export_int.h"
#include "fileio.h"
#include "config.h"

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
