#include "common.h"
#include "confine.h"
#include "fileio.h"
#include "strutil.h"

#include <sys/stat.h>

/*
 * The common case is a plain file in plain directories below `dir`: lstat
 * each component and read, with no realpath() walk. Anything else (a
 * symlink anywhere, a path not spelt below `dir`) is resolved and
 * compared on real paths.
 */

/* is `path` spelt as dir/..., every component below dir a real directory
 * and the last a regular file (lstat: no symlink followed)? */
static int plain_below(const char *path, const char *dir)
{
	size_t dlen = strlen(dir);
	char *copy, *p;
	struct stat st;
	int ok;

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (strncmp(path, dir, dlen) || path[dlen] != '/' || strstr(path + dlen, "/.."))
		return 0;
	if (!(copy = pops_strdup(path)))
		return 0;
	ok = 1;
	for (p = copy + dlen + 1; ok && (p = strchr(p, '/')); p++) {
		*p = '\0';
		ok = lstat(copy, &st) == 0 && S_ISDIR(st.st_mode);
		*p = '/';
	}
	ok = ok && lstat(copy, &st) == 0 && S_ISREG(st.st_mode);
	free(copy);
	return ok;
}

/* realpath(dir) is a prefix of realpath(path), at a '/' (or equal) */
static int real_inside(const char *real, const char *dir, int allow_equal)
{
	char *rdir = realpath(dir, NULL);
	size_t n;
	int ok;

	if (!rdir)
		return 0;
	n = strlen(rdir);
	if (n == 1)   /* dir is "/" */
		n = 0;
	ok = !strncmp(real, rdir, n) && (real[n] == '/' || (allow_equal && !real[n]));
	free(rdir);
	return ok;
}

int pops_confine_inside(const char *path, const char *dir)
{
	char *real = realpath(path, NULL);
	int ok = real && real_inside(real, dir, 1);

	free(real);
	return ok;
}

/*
 * pops_confine_check, keeping the real path in *real (caller frees);
 * `dir_shown` NULL: `dir` is the project root
 */
static int resolve_inside(char **real, const char *path, const char *dir, const char *shown,
                          const char *dir_shown)
{
	if (!(*real = realpath(path, NULL))) {
		if (errno == ENOENT || errno == ENOTDIR)
			return pops_error_set(POPS_ENOTFOUND, "%s is a dangling symlink", shown);
		return pops_error_os(shown);
	}
	if (!real_inside(*real, dir, 0))
		return dir_shown ? pops_error_set(POPS_EINVALID,
		                                  "%s resolves outside the prompts directory '%s' (symlink)",
		                                  shown, dir_shown)
		                 : pops_error_set(POPS_EINVALID, "%s resolves outside the project", shown);
	return POPS_OK;
}

int pops_confine_check(const char *path, const char *dir, const char *shown,
                       const char *dir_shown)
{
	char *real = NULL;
	int error = resolve_inside(&real, path, dir, shown, dir_shown);

	free(real);
	return error;
}

int pops_confine_read(pops_buf *out, const char *path, const char *dir, const char *shown,
                      const char *dir_shown, size_t max)
{
	struct stat st;
	char *real = NULL;
	int error;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return pops_error_set(POPS_ENOTFOUND, "no file %s", shown);
		return pops_error_os(shown);
	}
	if (S_ISREG(st.st_mode) && plain_below(path, dir))
		return pops_file_read(out, path, max);
	if ((error = resolve_inside(&real, path, dir, shown, dir_shown)) < 0)
		goto done;
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
		error = pops_error_set(POPS_EINVALID, "%s is not a regular file", shown);
		goto done;
	}
	error = pops_file_read(out, real, max);
done:
	free(real);
	return error;
}

int pops_confine_project_open(char **out, const char *path, const char *root, const char *shown)
{
	struct stat st;
	char *real = NULL;
	int error;

	*out = NULL;
	if (stat(path, &st) < 0 && lstat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return pops_error_set(POPS_ENOTFOUND, "no file %s", shown);
		return pops_error_os(shown);
	}
	if ((error = resolve_inside(&real, path, root, shown, NULL)) < 0)
		goto done;
	/* a FIFO or device would block the run or never end */
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
		error = pops_error_set(POPS_EINVALID, "%s must be a regular file", shown);
		goto done;
	}
	*out = real;
	real = NULL;
done:
	free(real);
	return error;
}

int pops_confine_project_read(pops_buf *out, const char *path, const char *root,
                              const char *shown, size_t max)
{
	char *real = NULL;
	int error = pops_confine_project_open(&real, path, root, shown);

	if (!error)
		error = pops_file_read(out, real, max);
	free(real);
	return error;
}
