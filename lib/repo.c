#include "common.h"
#include "repo.h"
#include "repo_int.h"
#include "confine.h"
#include "fileio.h"
#include "git.h"
#include "strutil.h"

#include <sys/stat.h>
#include <unistd.h>

/*
 * Opening the repository, prompt names and paths, reading files from the
 * work tree or a tree. Addresses and history live in repo_resolve.c and
 * repo_history.c.
 */

git_repository *pops_repo_git(const pops_repo *repo) { return repo->git; }
const pops_config *pops_repo_config(const pops_repo *repo) { return repo->cfg; }
const char *pops_repo_workdir(const pops_repo *repo) { return repo->workdir; }
const char *pops_repo_prompts_prefix(const pops_repo *repo) { return repo->prefix; }

/* realpath into a buffer: POPS_ENOTFOUND when missing */
static int real_path(pops_buf *out, const char *path)
{
	char *r = realpath(path, NULL);

	if (!r) {
		if (errno == ENOENT || errno == ENOTDIR)
			return pops_error_set(POPS_ENOTFOUND, "no such file or directory: '%s'", path);
		return pops_error_os(path);
	}
	pops_buf_sets(out, r);
	free(r);
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

/*
 * Append the normalised relative directory `dir` ("./a//b/" -> "a/b") to
 * `out`, refusing ".." and absolute paths so the prompts dir stays inside
 * the work tree.
 */
static int append_clean_dir(pops_buf *out, const char *dir)
{
	const char *p = dir;

	if (*dir == '/')
		return pops_error_set(POPS_EINVALID,
		                      "prompts directory '%s' must be relative to pops.yaml", dir);
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 2 && !strncmp(p, "..", 2))
			return pops_error_set(POPS_EINVALID,
			                      "prompts directory '%s' must not contain '..'", dir);
		if (len && !(len == 1 && *p == '.')) {
			if (out->size)
				pops_buf_putc(out, '/');
			pops_buf_put(out, p, len);
		}
		p += len;
		while (*p == '/')
			p++;
	}
	return POPS_OK;
}

int pops_repo_from(pops_repo **out, git_repository *git, const pops_config *cfg)
{
	pops_repo *repo = NULL;
	pops_buf wd = POPS_BUF_INIT, root = POPS_BUF_INIT, prefix = POPS_BUF_INIT;
	const char *workdir = git_repository_workdir(git);
	int error = POPS_OK;

	*out = NULL;
	if (!workdir)
		return pops_error_set(POPS_EINVALID,
		                      "this command needs a work tree, not a bare repository");
	if ((error = real_path(&wd, workdir)) < 0)
		goto done;
	if (cfg && cfg->root) {
		if ((error = real_path(&root, cfg->root)) < 0)
			goto done;
		if (strcmp(root.ptr, wd.ptr)) {
			if (!pops_starts_with(root.ptr, wd.ptr) ||
			    (wd.size > 1 && root.ptr[wd.size] != '/')) {
				error = pops_error_set(POPS_EINVALID,
				                       "'%s' is outside the work tree '%s'", cfg->path, wd.ptr);
				goto done;
			}
			pops_buf_puts(&prefix, root.ptr + wd.size + (wd.size > 1));
		}
	}
	if ((error = append_clean_dir(&prefix, cfg && cfg->prompts_dir ? cfg->prompts_dir
	                                                                : "prompts")) < 0)
		goto done;
	if (wd.size > 1)
		pops_buf_putc(&wd, '/');
	if (!(repo = calloc(1, sizeof(*repo)))) {
		error = pops_error_oom();
		goto done;
	}
	repo->git = git;
	repo->cfg = cfg;
	repo->workdir = pops_buf_detach(&wd);
	repo->prefix = pops_buf_detach(&prefix);
	pops_buf_sets(&root, repo->workdir);
	pops_buf_puts(&root, repo->prefix);
	repo->prompts_abs = pops_buf_detach(&root);
	if (!repo->workdir || !repo->prefix || !repo->prompts_abs) {
		error = pops_error_oom();
		goto done;
	}
	*out = repo;
	repo = NULL;
done:
	pops_repo_free(repo);
	pops_buf_dispose(&prefix);
	pops_buf_dispose(&root);
	pops_buf_dispose(&wd);
	return error;
}

int pops_repo_open(pops_repo **out, const char *start_dir)
{
	git_repository *git = NULL;
	pops_config *cfg = NULL;
	pops_buf start = POPS_BUF_INIT, path = POPS_BUF_INIT;
	const char *workdir;
	int error;

	*out = NULL;
	if ((error = real_path(&start, start_dir ? start_dir : ".")) < 0)
		goto done;
	error = pops_git_open(&git, start.ptr);
	if (error == GIT_ENOTFOUND) {
		error = pops_error_set(POPS_ENOTFOUND, "not a git repository (or any parent): '%s'",
		                       start.ptr);
		goto done;
	} else if (error < 0) {
		error = pops_git_error(error, "cannot open the git repository");
		goto done;
	}
	if (!(workdir = git_repository_workdir(git))) {
		error = pops_error_set(POPS_EINVALID,
		                       "this command needs a work tree, not a bare repository");
		goto done;
	}
	if ((error = pops_config_find(&path, start.ptr, workdir)) < 0 ||
	    (error = pops_config_load(&cfg, path.ptr)) < 0)
		goto done;
	if ((error = pops_repo_from(out, git, cfg)) < 0)
		goto done;
	(*out)->own_git = git;
	(*out)->own_cfg = cfg;
	git = NULL;
	cfg = NULL;
done:
	pops_config_free(cfg);
	git_repository_free(git);
	pops_buf_dispose(&path);
	pops_buf_dispose(&start);
	return error;
}

void pops_repo_free(pops_repo *repo)
{
	if (!repo)
		return;
	free(repo->workdir);
	free(repo->prefix);
	free(repo->prompts_abs);
	free(repo->shallow);
	pops_config_free(repo->own_cfg);
	git_repository_free(repo->own_git);
	free(repo);
}

/* ---- names ---- */

static int bad_name(const char *name, const char *why)
{
	pops_buf q = POPS_BUF_INIT;
	int error;

	pops_buf_put_sanitized(&q, name, strlen(name), 0);
	error = pops_error_set(POPS_EINVALID, "invalid prompt name '%s': %s", q.ptr, why);
	pops_buf_dispose(&q);
	return error;
}

/*
 * Non-ASCII code points a name may not hold: they are UTF-8 "letters"
 * only in the sense that they decode, but they print as nothing or as
 * something else. C1 controls, spaces, invisible and direction-changing
 * format characters (a name must read as it is stored: ledger paths and
 * `git ls-tree` show the bytes), variation selectors, private use and
 * noncharacters, and look-alikes of '/' (a name's segments must be the
 * ones a reader sees).
 */
static const struct { unsigned lo, hi; } name_refused[] = {
	{ 0x80, 0xa0 }, { 0xad, 0xad }, { 0x34f, 0x34f }, { 0x61c, 0x61c },
	{ 0x115f, 0x1160 }, { 0x1680, 0x1680 }, { 0x17b4, 0x17b5 }, { 0x180b, 0x180f },
	{ 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x2044, 0x2044 }, { 0x205f, 0x206f },
	{ 0x2215, 0x2215 }, { 0x29f8, 0x29f8 }, { 0x3000, 0x3000 }, { 0x3164, 0x3164 },
	{ 0xe000, 0xf8ff }, { 0xfdd0, 0xfdef }, { 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff },
	{ 0xff0f, 0xff0f }, { 0xffa0, 0xffa0 }, { 0xfff0, 0xffff }, { 0xe0000, 0x10ffff },
};

static int name_cp_ok(unsigned cp)
{
	size_t i;

	if ((cp & 0xfffe) == 0xfffe)
		return 0; /* U+xFFFE and U+xFFFF in every plane */
	for (i = 0; i < POPS_ARRAY_SIZE(name_refused); i++)
		if (cp >= name_refused[i].lo && cp <= name_refused[i].hi)
			return 0;
	return 1;
}

const char *pops_repo_name_problem(const char *name, int single)
{
	size_t len, i, seg = 0;

	if (!name || !*name)
		return "it is empty";
	len = strlen(name);
	if (len > POPS_NAME_MAX)
		return "it is too long";
	if (*name == '/')
		return "absolute paths are not prompt names";
	if (!pops_utf8_valid(name, len, NULL))
		return "it is not valid UTF-8";
	for (i = 0; ; ) {
		unsigned char c = (unsigned char)name[i];
		unsigned cp;

		if (c == '/' || c == '\0') {
			if (i == seg)
				return "it has an empty path segment";
			if (name[seg] == '.')
				return (i - seg == 1 || (i - seg == 2 && name[seg + 1] == '.'))
				       ? "'.' and '..' are not allowed"
				       : "a segment may not start with '.' (hidden files are not listed)";
			if (i - seg > POPS_NAME_SEGMENT_MAX)
				return "a path segment is too long";
			if (c == '\0')
				return NULL;
			if (single)
				return "'/' is not allowed here";
			seg = ++i;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return "control characters are not allowed";
		if (c == '@' || c == ':' || c == '#')
			return "'@', ':' and '#' are address syntax";
		if (c == ' ')
			return "spaces are not allowed";
		if (c < 0x80 && !isalnum(c) && c != '.' && c != '_' && c != '-' && c != '+')
			return "use letters, digits, '.', '_', '-', '+' and '/'";
		if (c < 0x80) {
			i++;
			continue;
		}
		i += pops_utf8_decode(name + i, len - i, &cp);
		if (!name_cp_ok(cp))
			return "spaces, invisible characters and look-alikes of '/' are not allowed";
	}
}

int pops_repo_name_ok(const char *name)
{
	return pops_repo_name_problem(name, 0) == NULL;
}

int pops_repo__check_segments(const char *name, int single)
{
	const char *why = pops_repo_name_problem(name, single);

	return why ? bad_name(name ? name : "", why) : POPS_OK;
}

int pops_repo_check_name(const char *name)
{
	return pops_repo__check_segments(name, 0);
}

int pops_repo_name_to_path(pops_buf *out, const pops_repo *repo, const char *name)
{
	pops_buf_clear(out);
	if (*repo->prefix)
		pops_buf_printf(out, "%s/", repo->prefix);
	pops_buf_printf(out, "%s%s", name, POPS_PROMPT_EXT);
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

int pops_repo_path_to_name(pops_buf *out, const pops_repo *repo, const char *relpath)
{
	size_t plen = strlen(repo->prefix), len = strlen(relpath);
	const char *start = relpath;

	if (plen) {
		if (strncmp(relpath, repo->prefix, plen) || relpath[plen] != '/')
			return pops_error_set(POPS_EINVALID, "'%s' is not inside the prompts directory '%s'",
			                      relpath, repo->prefix);
		start += plen + 1;
	}
	if (!pops_ends_with(relpath, POPS_PROMPT_EXT) ||
	    len - (size_t)(start - relpath) <= strlen(POPS_PROMPT_EXT))
		return pops_error_set(POPS_EINVALID, "'%s' is not a %s file", relpath,
		                      POPS_PROMPT_EXT);
	pops_buf_clear(out);
	pops_buf_put(out, start, len - (size_t)(start - relpath) - strlen(POPS_PROMPT_EXT));
	if (pops_buf_oom(out))
		return pops_error_oom();
	return pops_repo_check_name(out->ptr);
}

int pops_repo_file_to_name(pops_buf *out, const pops_repo *repo, const char *file)
{
	pops_buf dir = POPS_BUF_INIT, lex = POPS_BUF_INIT, full = POPS_BUF_INIT,
		 prompts = POPS_BUF_INIT, rel = POPS_BUF_INIT;
	const char *slash = strrchr(file, '/'), *base = slash ? slash + 1 : file;
	int error;

	/* resolve the directory, keep the file name: the name comes from
	 * where the file is, and a symlinked file must still land inside */
	if (slash)
		pops_buf_put(&dir, file, slash == file ? 1 : (size_t)(slash - file));
	else
		pops_buf_puts(&dir, ".");
	if ((error = real_path(&lex, dir.ptr)) < 0)
		goto done;
	pops_buf_printf(&lex, "/%s", base);
	if (real_path(&full, file) < 0) {
		error = pops_error_set(POPS_ENOTFOUND, "no such file: '%s'", file);
		goto done;
	}
	if (real_path(&prompts, repo->prompts_abs) < 0) {
		error = pops_error_set(POPS_ENOTFOUND, "the prompts directory '%s' does not exist",
		                       repo->prefix);
		goto done;
	}
	if (!pops_starts_with(lex.ptr, prompts.ptr) || lex.ptr[prompts.size] != '/') {
		error = pops_error_set(POPS_EINVALID, "'%s' is outside the prompts directory '%s'",
		                       file, repo->prefix);
		goto done;
	}
	if (!pops_confine_inside(full.ptr, repo->prompts_abs)) {
		error = pops_error_set(POPS_EINVALID,
		                       "'%s' resolves outside the prompts directory '%s' (symlink)",
		                       file, repo->prefix);
		goto done;
	}
	if (*repo->prefix)
		pops_buf_printf(&rel, "%s/", repo->prefix);
	pops_buf_puts(&rel, lex.ptr + prompts.size + 1);
	error = pops_repo_path_to_name(out, repo, rel.ptr);
done:
	pops_buf_dispose(&rel);
	pops_buf_dispose(&prompts);
	pops_buf_dispose(&full);
	pops_buf_dispose(&lex);
	pops_buf_dispose(&dir);
	return error;
}

int pops_repo__read_worktree_path(pops_buf *out, const pops_repo *repo,
                                  const char *relpath, const char *what)
{
	pops_buf abs = POPS_BUF_INIT;
	char *why = NULL;
	int error;

	if (pops_buf_printf(&abs, "%s%s", repo->workdir, relpath) < 0) {
		error = pops_error_oom();
		goto done;
	}
	error = pops_confine_read(out, abs.ptr, repo->prompts_abs, relpath, repo->prefix,
	                          POPS_PROMPT_MAX_BYTES);
	if (error == POPS_ENOTFOUND) {
		/* "no file x" / "x is a dangling symlink": say what was looked for */
		if (!(why = pops_strdup(pops_error_last())))
			error = pops_error_oom();
		else
			error = pops_error_set(POPS_ENOTFOUND, "%s not found (%s)", what, why);
	}
done:
	free(why);
	pops_buf_dispose(&abs);
	return error;
}

int pops_repo_read_worktree(pops_buf *out, const pops_repo *repo, const char *name)
{
	pops_buf path = POPS_BUF_INIT, what = POPS_BUF_INIT;
	int error;

	if ((error = pops_repo_check_name(name)) < 0 ||
	    (error = pops_repo_name_to_path(&path, repo, name)) < 0)
		goto done;
	pops_buf_printf(&what, "prompt '%s'", name);
	error = pops_repo__read_worktree_path(out, repo, path.ptr, what.ptr);
done:
	pops_buf_dispose(&what);
	pops_buf_dispose(&path);
	return error;
}

int pops_repo__read_tree_path(pops_buf *out, git_oid *blob_out, const pops_repo *repo,
                              git_tree *tree, const char *relpath, const char *what)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int error;

	error = git_tree_entry_bypath(&entry, tree, relpath);
	if (error == GIT_ENOTFOUND) {
		error = pops_error_set(POPS_ENOTFOUND, "%s not found (no file %s)", what, relpath);
		goto done;
	} else if (error < 0) {
		error = pops_git_error(error, relpath);
		goto done;
	}
	if (git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK) {
		error = pops_error_set(POPS_EINVALID, "%s is a symbolic link in git; pops reads "
		                       "only regular files", relpath);
		goto done;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		error = pops_error_set(POPS_EINVALID, "%s is not a file", relpath);
		goto done;
	}
	if ((error = git_blob_lookup(&blob, repo->git, git_tree_entry_id(entry))) < 0) {
		error = pops_git_error(error, relpath);
		goto done;
	}
	if (git_blob_rawsize(blob) > POPS_PROMPT_MAX_BYTES) {
		error = pops_error_set(POPS_EINVALID, "%s is larger than %u bytes", relpath,
		                       POPS_PROMPT_MAX_BYTES);
		goto done;
	}
	if (blob_out)
		git_oid_cpy(blob_out, git_tree_entry_id(entry));
	if (pops_buf_set(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0)
		error = pops_error_oom();
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	return error;
}

/* ---- work tree state ---- */

int pops_repo_path_state(pops_path_state *out, const pops_repo *repo, const char *path)
{
	char *real = realpath(path, NULL);
	size_t wl = strlen(repo->workdir);
	unsigned flags = 0;
	int error = POPS_OK, gerr;

	*out = POPS_PATH_COMMITTED;
	if (!real)
		return errno == ENOENT || errno == ENOTDIR
		       ? pops_error_set(POPS_ENOTFOUND, "'%s' does not exist", path)
		       : pops_error_set(POPS_ERROR, "cannot resolve '%s': %s", path, strerror(errno));
	/* workdir ends in '/'; git wants the path relative to it */
	if (strncmp(real, repo->workdir, wl)) {
		*out = POPS_PATH_OUTSIDE;
		goto done;
	}
	gerr = git_status_file(&flags, repo->git, real + wl);
	if (gerr == GIT_ENOTFOUND) {
		*out = POPS_PATH_UNTRACKED;
	} else if (gerr < 0) {
		error = pops_git_error(gerr, real + wl);
	} else if (flags & GIT_STATUS_IGNORED) {
		*out = POPS_PATH_IGNORED;
	} else if (flags & GIT_STATUS_WT_NEW) {
		*out = POPS_PATH_UNTRACKED;
	} else if (flags & GIT_STATUS_INDEX_NEW) {
		*out = POPS_PATH_ADDED;
	} else if (flags & (GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_TYPECHANGE | GIT_STATUS_WT_RENAMED |
	                    GIT_STATUS_INDEX_MODIFIED | GIT_STATUS_INDEX_TYPECHANGE |
	                    GIT_STATUS_INDEX_RENAMED)) {
		*out = POPS_PATH_MODIFIED;
	}
done:
	free(real);
	return error;
}

const char *pops_path_state_name(pops_path_state state)
{
	switch (state) {
	case POPS_PATH_COMMITTED: return "committed";
	case POPS_PATH_UNTRACKED: return "untracked";
	case POPS_PATH_IGNORED: return "ignored by .gitignore";
	case POPS_PATH_MODIFIED: return "modified since the last commit";
	case POPS_PATH_ADDED: return "added but not committed";
	case POPS_PATH_OUTSIDE: return "outside the repository";
	}
	return "unknown";
}
