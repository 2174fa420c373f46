#include "common.h"
#include "fileio.h"
#include "strutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* see pops_file_read / pops_file_read_regular */
static int read_file(pops_buf *out, const char *path, size_t max, int regular)
{
	struct stat st;
	int fd = -1, error = POPS_OK;
	ssize_t n;

	pops_buf_clear(out);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer before we refuse it */
	fd = open(path, O_RDONLY | O_CLOEXEC | (regular ? O_NONBLOCK : 0));
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return pops_error_set(POPS_ENOTFOUND, "cannot open '%s': %s",
			                      path, strerror(errno));
		if (errno == EINTR)
			return pops_error_set(POPS_EINTR, "interrupted while opening '%s'", path);
		return pops_error_set(POPS_ERROR, "cannot open '%s': %s", path,
		                      strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot stat '%s': %s", path,
		                       strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		error = pops_error_set(POPS_EINVALID, "'%s' is a directory", path);
		goto done;
	}
	if (regular && !S_ISREG(st.st_mode)) {
		error = pops_error_set(POPS_EINVALID, "'%s' must be a regular file", path);
		goto done;
	}
	if (regular)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (max && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		error = pops_error_set(POPS_EINVALID,
		                       "'%s' is too large (%jd bytes, limit %zu)",
		                       path, (intmax_t)st.st_size, max);
		goto done;
	}
	if (S_ISREG(st.st_mode) && pops_buf_grow(out, (size_t)st.st_size) < 0)
		goto oom;

	for (;;) {
		if (pops_buf_grow(out, 8192) < 0)
			goto oom;
		n = read(fd, out->ptr + out->size, out->asize - out->size - 1);
		/* only pops's SIGINT/SIGTERM handlers interrupt a read (other
		 * signals are default or ignored): the user wants out, 130 */
		if (n < 0 && errno == EINTR) {
			error = pops_error_set(POPS_EINTR, "interrupted while reading '%s'", path);
			goto done;
		}
		if (n < 0) {
			error = pops_error_set(POPS_ERROR, "cannot read '%s': %s", path,
			                       strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		out->size += (size_t)n;
		out->ptr[out->size] = '\0';
		if (max && out->size > max) {
			error = pops_error_set(POPS_EINVALID,
			                       "'%s' is too large (limit %zu bytes)", path, max);
			goto done;
		}
	}
	goto done;
oom:
	error = pops_error_set(POPS_ERROR, "out of memory reading '%s'", path);
done:
	if (fd >= 0)
		close(fd);
	if (error < 0)
		pops_buf_clear(out);
	return error;
}

int pops_file_read(pops_buf *out, const char *path, size_t max)
{
	return read_file(out, path, max, 0);
}

int pops_file_read_regular(pops_buf *out, const char *path, size_t max)
{
	return read_file(out, path, max, 1);
}

int pops_file_open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), error = POPS_OK;

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return pops_error_set(POPS_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
		return pops_error_set(errno == EINTR ? POPS_EINTR : POPS_ERROR, "cannot open '%s': %s",
		                      path, strerror(errno));
	}
	if (fstat(fd, &st) < 0)
		error = pops_error_os(path);
	else if (S_ISDIR(st.st_mode))
		error = pops_error_set(POPS_EINVALID, "'%s' is a directory", path);
	else if (!S_ISREG(st.st_mode))
		error = pops_error_set(POPS_EINVALID, "'%s' must be a regular file", path);
	if (error < 0) {
		close(fd);
		return error;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int pops_write_all(int fd, const void *data, size_t len, const char *what)
{
	const char *p = data;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pops_error_set(POPS_ERROR, "cannot write '%s': %s", what,
			                      strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return POPS_OK;
}

int pops_file_in_place(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || S_ISREG(st.st_mode))
		return 0;
	if (S_ISDIR(st.st_mode))
		return pops_error_set(POPS_ERROR, "cannot write '%s': is a directory",
		                      path);
	return 1;
}

/* see pops_file_in_place: write in place and report every failure */
static int write_in_place(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), error;

	if (fd < 0)
		return pops_error_set(POPS_ERROR, "cannot open '%s': %s", path,
		                      strerror(errno));
	error = pops_write_all(fd, data, len, path);
	if (close(fd) < 0 && error == POPS_OK)
		error = pops_error_set(POPS_ERROR, "cannot write '%s': %s", path,
		                       strerror(errno));
	return error;
}

mode_t pops_file_mode_for(const char *path, mode_t mode)
{
	struct stat st;
	mode_t mask;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & 07777;
	/* umask() is the only way to read it; set it straight back */
	mask = umask(0);
	umask(mask);
	return mode & ~mask & 07777;
}

/* the real path of a file that may not exist yet: real directory + name */
static char *real_or_planned(const char *path)
{
	char *real = realpath(path, NULL), *dir, *rdir;
	const char *slash, *base;
	pops_buf b = POPS_BUF_INIT;

	if (real || errno != ENOENT)
		return real;
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	dir = slash ? pops_strndup(path, slash == path ? 1 : (size_t)(slash - path))
	            : pops_strdup(".");
	rdir = dir ? realpath(dir, NULL) : NULL;
	free(dir);
	if (!rdir)
		return NULL;
	if (pops_path_join(&b, rdir, base) < 0)
		pops_buf_dispose(&b);
	free(rdir);
	return b.size ? pops_buf_detach(&b) : NULL;
}

int pops_path_same(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ra, *rb;
	int same;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	ra = real_or_planned(a);
	rb = real_or_planned(b);
	same = ra && rb && !strcmp(ra, rb);
	free(ra);
	free(rb);
	return same;
}

static int write_atomic(const char *path, const void *data, size_t len,
                        mode_t mode, int sync)
{
	pops_buf tmp = POPS_BUF_INIT;
	int fd = -1, error = pops_file_in_place(path);

	if (error < 0)
		return error;
	if (error == 1)
		return write_in_place(path, data, len);
	if (pops_buf_printf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		error = pops_error_oom();
		goto done;
	}
	fd = mkstemp(tmp.ptr);
	if (fd < 0) {
		error = pops_error_set(POPS_ERROR, "cannot create '%s': %s", tmp.ptr,
		                       strerror(errno));
		goto done;
	}
	mode = pops_file_mode_for(path, mode);
	if (fchmod(fd, mode) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot chmod '%s': %s", tmp.ptr,
		                       strerror(errno));
		goto done;
	}
	if ((error = pops_write_all(fd, data, len, path)) < 0)
		goto done;
	if (sync && fsync(fd) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot write '%s': %s", path,
		                       strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		error = pops_error_set(POPS_ERROR, "cannot write '%s': %s", path,
		                       strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot rename '%s' to '%s': %s",
		                       tmp.ptr, path, strerror(errno));
		goto done;
	}

done:
	if (fd >= 0)
		close(fd);
	if (error < 0 && tmp.size)
		unlink(tmp.ptr);
	pops_buf_dispose(&tmp);
	return error;
}

int pops_file_write_atomic(const char *path, const void *data, size_t len,
                           mode_t mode)
{
	return write_atomic(path, data, len, mode, 1);
}

int pops_file_write_replace(const char *path, const void *data, size_t len,
                            mode_t mode)
{
	return write_atomic(path, data, len, mode, 0);
}

int pops_mkdir_p(const char *path, mode_t mode)
{
	pops_buf p = POPS_BUF_INIT;
	int error = POPS_OK;
	size_t i;

	if (pops_buf_sets(&p, path) < 0) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 1; i <= p.size; i++) {
		char c = p.ptr[i];

		if (c != '/' && c != '\0')
			continue;
		p.ptr[i] = '\0';
		if (mkdir(p.ptr, mode) < 0 && errno != EEXIST) {
			error = pops_error_set(POPS_ERROR, "cannot create directory '%s': %s",
			                       p.ptr, strerror(errno));
			goto done;
		}
		p.ptr[i] = c;
	}
	if (!pops_path_isdir(path))
		error = pops_error_set(POPS_ERROR, "'%s' exists and is not a directory",
		                       path);
done:
	pops_buf_dispose(&p);
	return error;
}

int pops_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int pops_path_isdir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int pops_path_join(pops_buf *out, const char *a, const char *b)
{
	size_t la = strlen(a);

	pops_buf_puts(out, a);
	if (la && a[la - 1] != '/' && *b)
		pops_buf_putc(out, '/');
	while (la && *b == '/')
		b++;
	pops_buf_puts(out, b);
	return pops_buf_oom(out) ? pops_error_oom() : 0;
}
