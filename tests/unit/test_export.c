#include "unit.h"
#include "relfix.h"
#include "promote.h"
#include "export.h"
#include "fileio.h"

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
	CHECK_INT(pops_export(&x, f.repo, "dev", dir.ptr, POPS_EXPORT_FILES), 0);
	CHECK_INT(x.count, 1);
	pops_path_join(&path, dir.ptr, "a/b.prompt");
	CHECK_INT(pops_file_read(&data, path.ptr, 0), 0);
	CHECK_STR(data.ptr, "released\n");
	pops_buf_clear(&path);
	pops_path_join(&path, dir.ptr, "manifest.json");
	CHECK_INT(pops_file_read(&data, path.ptr, 0), 0);
	CHECK(strstr(data.ptr, "\"a/b.prompt\"") != NULL);
	/* a second export replaces the first */
	CHECK_INT(pops_export(&x, f.repo, "dev", dir.ptr, POPS_EXPORT_JSON), 0);
	pops_buf_clear(&path);
	pops_path_join(&path, dir.ptr, "a/b.prompt");
	CHECK(!pops_path_exists(path.ptr));
	CHECK_INT(pops_export(&x, f.repo, "staging", dir.ptr, POPS_EXPORT_FILES), POPS_ENOTFOUND);
	/* a directory with other files is never replaced */
	pops_buf_clear(&path);
	pops_path_join(&path, f.dir.ptr, "prompts");
	CHECK_INT(pops_export(&x, f.repo, "dev", path.ptr, POPS_EXPORT_FILES), POPS_EEXISTS);
	pops_buf_dispose(&data);
	pops_buf_dispose(&path);
	pops_buf_dispose(&dir);
	pops_config_free(cfg);
	relfix_dispose(&f);
}
