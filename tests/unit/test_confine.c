#include "unit.h"
#include "confine.h"
#include "fileio.h"

#include <sys/stat.h>
#include <unistd.h>

/* a scratch tree: <t>/outside/s, <t>/p/a, <t>/p/sub/b and links in p */
static char *scratch(char *tmpl)
{
	char *t = mkdtemp(tmpl);
	pops_buf b = POPS_BUF_INIT;
	int ok = 1;

	if (!t)
		return NULL;
#define MK(fn, ...) do { pops_buf_clear(&b); pops_buf_printf(&b, __VA_ARGS__); ok = ok && fn; } while (0)
	MK(mkdir(b.ptr, 0755) == 0, "%s/outside", t);
	MK(mkdir(b.ptr, 0755) == 0, "%s/p", t);
	MK(mkdir(b.ptr, 0755) == 0, "%s/p/sub", t);
	MK(pops_file_write_atomic(b.ptr, "SECRET", 6, 0644) == 0, "%s/outside/s", t);
	MK(pops_file_write_atomic(b.ptr, "A", 1, 0644) == 0, "%s/p/a", t);
	MK(pops_file_write_atomic(b.ptr, "B", 1, 0644) == 0, "%s/p/sub/b", t);
	MK(symlink("../outside/s", b.ptr) == 0, "%s/p/leak", t);
	MK(symlink("../outside", b.ptr) == 0, "%s/p/out", t);
	MK(symlink("sub/b", b.ptr) == 0, "%s/p/alias", t);
	MK(symlink("../a", b.ptr) == 0, "%s/p/sub/up", t);
	MK(symlink("nowhere", b.ptr) == 0, "%s/p/dangling", t);
#undef MK
	pops_buf_dispose(&b);
	return ok ? t : NULL;
}

static int cleanup(const char *t)
{
	static const char *const rel[] = {
		"p/leak", "p/out", "p/alias", "p/sub/up", "p/dangling", "p/sub/b", "p/a",
		"outside/s", "p/sub", "p", "outside", "", NULL
	};
	pops_buf b = POPS_BUF_INIT;
	int error = 0;

	for (int i = 0; rel[i]; i++) {
		pops_buf_clear(&b);
		pops_buf_printf(&b, "%s/%s", t, rel[i]);
		if (unlink(b.ptr) < 0 && rmdir(b.ptr) < 0)
			error = -1;
	}
	pops_buf_dispose(&b);
	return error;
}

static int read_in(pops_buf *out, const char *t, const char *rel)
{
	pops_buf path = POPS_BUF_INIT, dir = POPS_BUF_INIT;
	int error;

	pops_buf_printf(&path, "%s/p/%s", t, rel);
	pops_buf_printf(&dir, "%s/p", t);
	error = pops_confine_read(out, path.ptr, dir.ptr, rel, "p", 0);
	pops_buf_dispose(&path);
	pops_buf_dispose(&dir);
	return error;
}

TEST(confined_reads_follow_links_inside_and_refuse_links_out)
{
	char tmpl[] = "/tmp/pops-confine-XXXXXX";
	char *t = scratch(tmpl);
	pops_buf out = POPS_BUF_INIT, cmd = POPS_BUF_INIT;

	CHECK(t != NULL);
	CHECK_INT(read_in(&out, t, "a"), 0);
	CHECK_STR(out.ptr, "A");
	CHECK_INT(read_in(&out, t, "alias"), 0);
	CHECK_STR(out.ptr, "B");
	CHECK_INT(read_in(&out, t, "sub/up"), 0);
	CHECK_STR(out.ptr, "A");
	pops_buf_clear(&out);
	CHECK_INT(read_in(&out, t, "leak"), POPS_EINVALID);
	CHECK_ERR_HAS("leak resolves outside the prompts directory 'p' (symlink)");
	CHECK_INT(read_in(&out, t, "out/s"), POPS_EINVALID);
	CHECK_ERR_HAS("out/s resolves outside the prompts directory 'p'");
	CHECK(!strstr(out.ptr ? out.ptr : "", "SECRET"));
	CHECK_INT(read_in(&out, t, "dangling"), POPS_ENOTFOUND);
	CHECK_ERR_HAS("dangling is a dangling symlink");
	CHECK_INT(read_in(&out, t, "none"), POPS_ENOTFOUND);
	CHECK_ERR_HAS("no file none");
	CHECK_INT(read_in(&out, t, "sub"), POPS_EINVALID);
	CHECK_ERR_HAS("not a regular file");
	pops_buf_printf(&cmd, "%s/p/out", t);
	CHECK(pops_confine_check(cmd.ptr, t, "x", "t") == 0);
	CHECK(pops_confine_inside(cmd.ptr, t));
	pops_buf_clear(&cmd);
	pops_buf_printf(&cmd, "%s/p/out", t);
	CHECK(!pops_confine_inside(cmd.ptr, "/nonexistent"));
	pops_buf_dispose(&cmd);
	CHECK_INT(cleanup(t), 0);
	pops_buf_dispose(&out);
}

TEST(project_open_refuses_escapes_and_non_regular_files)
{
	char tmpl[] = "/tmp/pops-confine-XXXXXX";
	char *t = scratch(tmpl), *real = NULL;
	pops_buf root = POPS_BUF_INIT, p = POPS_BUF_INIT, data = POPS_BUF_INIT;

	CHECK(t);
	pops_buf_printf(&root, "%s/p", t);
	pops_buf_printf(&p, "%s/p/alias", t);
	CHECK_INT(pops_confine_project_open(&real, p.ptr, root.ptr, "alias"), 0);
	CHECK(real && strstr(real, "/p/sub/b"));
	free(real);
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/p/leak", t);
	CHECK_INT(pops_confine_project_read(&data, p.ptr, root.ptr, "leak", 0), POPS_EINVALID);
	CHECK_ERR_HAS("leak resolves outside the project");
	CHECK_INT(data.size, 0);
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/p/../outside/s", t);
	CHECK_INT(pops_confine_project_read(&data, p.ptr, root.ptr, "../outside/s", 0), POPS_EINVALID);
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/p/sub", t);
	CHECK_INT(pops_confine_project_open(&real, p.ptr, root.ptr, "sub"), POPS_EINVALID);
	CHECK_ERR_HAS("sub must be a regular file");
	pops_buf_clear(&p);
	pops_buf_printf(&p, "%s/p/dangling", t);
	CHECK_INT(pops_confine_project_open(&real, p.ptr, root.ptr, "dangling"), POPS_ENOTFOUND);
	CHECK_INT(cleanup(t), 0);
	pops_buf_dispose(&root);
	pops_buf_dispose(&p);
	pops_buf_dispose(&data);
}
