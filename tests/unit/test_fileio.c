#include "unit.h"
#include "fileio.h"

#include <sys/stat.h>
#include <unistd.h>

TEST(atomic_write_replaces_and_keeps_mode)
{
	char tmpl[] = "/tmp/pops-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	pops_buf path = POPS_BUF_INIT, data = POPS_BUF_INIT;
	struct stat st;

	CHECK(dir != NULL);
	pops_path_join(&path, dir, "f.txt");
	CHECK_INT(pops_file_write_atomic(path.ptr, "one", 3, 0600), 0);
	CHECK_INT(stat(path.ptr, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(pops_file_write_atomic(path.ptr, "second", 6, 0644), 0);
	CHECK_INT(stat(path.ptr, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(pops_file_read(&data, path.ptr, 0), 0);
	CHECK_STR(data.ptr, "second");
	unlink(path.ptr);
	rmdir(dir);
	pops_buf_dispose(&path);
	pops_buf_dispose(&data);
}

TEST(atomic_write_to_missing_dir_fails_and_leaves_nothing)
{
	CHECK_INT(pops_file_write_atomic("/nonexistent-dir/x", "a", 1, 0644), POPS_ERROR);
	CHECK_ERR_HAS("cannot create");
}

TEST(write_to_full_device_is_an_error)
{
	CHECK_INT(pops_file_write_atomic("/dev/full", "a", 1, 0644), POPS_ERROR);
}

TEST(read_refuses_large_files_and_reports_missing)
{
	pops_buf data = POPS_BUF_INIT;

	CHECK_INT(pops_file_read(&data, "/nonexistent/file", 0), POPS_ENOTFOUND);
	CHECK_ERR_HAS("cannot open '/nonexistent/file'");
	CHECK_INT(pops_file_read(&data, "/etc/passwd", 4), POPS_EINVALID);
	CHECK_ERR_HAS("too large");
	CHECK_INT(pops_file_read(&data, "/tmp", 0), POPS_EINVALID);
	CHECK_ERR_HAS("is a directory");
	CHECK_INT(data.size, 0);
	pops_buf_dispose(&data);
}

TEST(path_join_avoids_double_slashes)
{
	pops_buf b = POPS_BUF_INIT;

	pops_path_join(&b, "a/", "/b");
	CHECK_STR(b.ptr, "a/b");
	pops_buf_clear(&b);
	pops_path_join(&b, "a", "b");
	CHECK_STR(b.ptr, "a/b");
	pops_buf_dispose(&b);
}

TEST(write_replace_replaces_without_sync)
{
	char tmpl[] = "/tmp/pops-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	pops_buf path = POPS_BUF_INIT, data = POPS_BUF_INIT;
	struct stat st;

	CHECK(dir != NULL);
	pops_path_join(&path, dir, "entry");
	CHECK_INT(pops_file_write_replace(path.ptr, "a", 1, 0600), 0);
	CHECK_INT(pops_file_write_replace(path.ptr, "bb", 2, 0644), 0);
	CHECK_INT(stat(path.ptr, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(pops_file_read(&data, path.ptr, 0), 0);
	CHECK_STR(data.ptr, "bb");
	unlink(path.ptr);
	rmdir(dir);
	pops_buf_dispose(&path);
	pops_buf_dispose(&data);
}

TEST(in_place_for_devices_and_fifos_rename_for_files)
{
	char tmpl[] = "/tmp/pops-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	pops_buf fifo = POPS_BUF_INIT, file = POPS_BUF_INIT;

	CHECK(dir != NULL);
	pops_path_join(&fifo, dir, "fifo");
	pops_path_join(&file, dir, "file");
	CHECK_INT(mkfifo(fifo.ptr, 0600), 0);
	CHECK_INT(pops_file_in_place(fifo.ptr), 1);
	CHECK_INT(pops_file_in_place("/dev/full"), 1);
	CHECK_INT(pops_file_in_place("/dev/null"), 1);
	CHECK_INT(pops_file_in_place(file.ptr), 0);       /* absent */
	CHECK_INT(pops_file_write_atomic(file.ptr, "x", 1, 0600), 0);
	CHECK_INT(pops_file_in_place(file.ptr), 0);       /* regular */
	CHECK_INT(pops_file_in_place(dir), POPS_ERROR);
	CHECK_ERR_HAS("is a directory");
	unlink(fifo.ptr);
	unlink(file.ptr);
	rmdir(dir);
	pops_buf_dispose(&fifo);
	pops_buf_dispose(&file);
}

TEST(path_same_sees_links_and_spellings_of_one_file)
{
	char tmpl[] = "/tmp/pops-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	pops_buf a = POPS_BUF_INIT, b = POPS_BUF_INIT, l = POPS_BUF_INIT, n = POPS_BUF_INIT;
	pops_buf n2 = POPS_BUF_INIT;

	CHECK(dir != NULL);
	pops_path_join(&a, dir, "a.yaml");
	pops_path_join(&b, dir, "b.yaml");
	pops_path_join(&l, dir, "link.json");
	pops_path_join(&n, dir, "new.json");
	pops_buf_printf(&n2, "%s/./new.json", dir);
	CHECK_INT(pops_file_write_atomic(a.ptr, "a", 1, 0644), 0);
	CHECK_INT(pops_file_write_atomic(b.ptr, "b", 1, 0644), 0);
	CHECK_INT(symlink(a.ptr, l.ptr), 0);
	CHECK_INT(pops_path_same(a.ptr, l.ptr), 1);
	CHECK_INT(pops_path_same(a.ptr, b.ptr), 0);
	CHECK_INT(pops_path_same(n.ptr, n2.ptr), 1);   /* neither exists yet */
	CHECK_INT(pops_path_same(n.ptr, a.ptr), 0);
	unlink(l.ptr);
	unlink(a.ptr);
	unlink(b.ptr);
	rmdir(dir);
	pops_buf_dispose(&a);
	pops_buf_dispose(&b);
	pops_buf_dispose(&l);
	pops_buf_dispose(&n);
	pops_buf_dispose(&n2);
}

TEST(mode_for_keeps_a_replaced_file_and_applies_the_umask)
{
	char tmpl[] = "/tmp/pops-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	pops_buf a = POPS_BUF_INIT;
	mode_t old = umask(027);

	CHECK(dir != NULL);
	pops_path_join(&a, dir, "r.json");
	CHECK_INT(pops_file_mode_for(a.ptr, 0666), 0640);
	CHECK_INT(pops_file_write_atomic(a.ptr, "a", 1, 0600), 0);
	CHECK_INT(pops_file_mode_for(a.ptr, 0666), 0600);
	umask(old);
	unlink(a.ptr);
	rmdir(dir);
	pops_buf_dispose(&a);
}

TEST(read_regular_refuses_a_fifo_without_blocking)
{
	char tmpl[] = "/tmp/pops-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	pops_buf f = POPS_BUF_INIT, data = POPS_BUF_INIT;

	CHECK(dir != NULL);
	pops_path_join(&f, dir, "fifo.yaml");
	CHECK_INT(mkfifo(f.ptr, 0600), 0);
	/* no writer: a plain open would wait for one */
	CHECK_INT(pops_file_read_regular(&data, f.ptr, 0), POPS_EINVALID);
	CHECK_ERR_HAS("must be a regular file");
	CHECK_INT(pops_file_open_regular(f.ptr), POPS_EINVALID);
	CHECK_INT(pops_file_open_regular(dir), POPS_EINVALID);
	CHECK_ERR_HAS("is a directory");
	unlink(f.ptr);
	CHECK_INT(pops_file_write_atomic(f.ptr, "ok", 2, 0644), 0);
	CHECK_INT(pops_file_read_regular(&data, f.ptr, 0), 0);
	CHECK_STR(data.ptr, "ok");
	unlink(f.ptr);
	rmdir(dir);
	pops_buf_dispose(&f);
	pops_buf_dispose(&data);
}
