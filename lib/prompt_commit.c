#include "common.h"
#include "prompt_commit.h"
#include "casref.h"
#include "git.h"
#include "promptfile.h"
#include "strutil.h"

#include <sys/stat.h>

/* 1 when the work tree path, or a directory on the way to it, is a symlink */
static int is_symlink(const pops_repo *repo, const char *relpath)
{
	pops_buf abs = POPS_BUF_INIT;
	struct stat st;
	size_t base, k;
	int link = 0;

	pops_buf_puts(&abs, pops_repo_workdir(repo));
	base = abs.size;
	pops_buf_puts(&abs, relpath);
	if (pops_buf_oom(&abs))
		goto done;
	for (k = base; !link && k <= abs.size; k++) {
		if (k < abs.size && abs.ptr[k] != '/')
			continue;
		abs.ptr[k] = '\0';
		link = lstat(abs.ptr, &st) == 0 && S_ISLNK(st.st_mode);
		if (k < abs.size)
			abs.ptr[k] = '/';
	}
done:
	pops_buf_dispose(&abs);
	return link;
}

/* HEAD and its tree; both NULL on an unborn branch */
static int read_head(git_commit **head, git_tree **tree, git_repository *git)
{
	git_object *obj = NULL;
	int error = git_repository_head_unborn(git);

	if (error > 0)
		return 0;
	if (error < 0 || (error = git_revparse_single(&obj, git, "HEAD^{commit}")) < 0)
		return pops_git_error(error, "cannot read HEAD");
	*head = (git_commit *)obj;
	if ((error = git_commit_tree(tree, *head)) < 0)
		return pops_git_error(error, "cannot read HEAD's tree");
	return 0;
}

static void set_update(git_tree_update *u, const pops_commit_file *f, const git_oid *blob)
{
	u->action = GIT_TREE_UPDATE_UPSERT;
	git_oid_cpy(&u->id, blob);
	u->filemode = GIT_FILEMODE_BLOB;
	u->path = f->path;
}

/* a prompt: always put in, as a regular file */
static int prompt_update(git_tree_update *u, git_repository *git, git_tree *base,
                         pops_commit_file *f)
{
	git_tree_entry *e = NULL;
	git_oid blob;
	int error;

	if ((error = git_blob_create_from_buffer(&blob, git, f->data, f->size)) < 0)
		return pops_git_error(error, "cannot write a blob");
	f->is_new = !base || git_tree_entry_bypath(&e, base, f->path) < 0;
	f->unchanged = e && !git_oid_cmp(git_tree_entry_id(e), &blob) &&
	               git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB;
	f->committed = 1;
	git_tree_entry_free(e);
	set_update(u, f, &blob);
	return 0;
}

/* a partial: put in when new or changed; 1 when it is, 0 when it is left as it is */
static int partial_update(git_tree_update *u, pops_repo *repo, git_tree *base,
                          pops_commit_file *f)
{
	git_repository *git = pops_repo_git(repo);
	git_tree_entry *e = NULL;
	git_oid blob;
	int error, same;

	if (is_symlink(repo, f->path)) {
		unsigned int st = 0;

		/* committing the bytes would turn the link into a file in the
		 * commit; committing the link needs its target too: git's job */
		f->symlink = 1;
		f->symlink_dirty = git_status_file(&st, git, f->path) < 0 || st != GIT_STATUS_CURRENT;
		git_error_clear();
		return 0;
	}
	if ((error = git_odb_hash(&blob, f->data, f->size, GIT_OBJECT_BLOB)) < 0)
		return pops_git_error(error, "cannot hash a partial");
	f->is_new = !base || git_tree_entry_bypath(&e, base, f->path) < 0;
	/* unchanged: left as HEAD has it (mode included), and not listed */
	same = e && !git_oid_cmp(git_tree_entry_id(e), &blob) &&
	       (git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB ||
	        git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE);
	git_tree_entry_free(e);
	if (same)
		return 0;
	if ((error = git_blob_create_from_buffer(&blob, git, f->data, f->size)) < 0)
		return pops_git_error(error, "cannot write a blob");
	f->committed = 1;
	f->frontmatter_line = pops_prompt_frontmatter_line(f->data, f->size);
	set_update(u, f, &blob);
	return 1;
}

/* a partial whose path is one of the prompts is committed as that prompt */
static int named_as_prompt(const pops_commit_file *files, size_t n, const pops_commit_file *f)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!files[i].partial && !strcmp(files[i].path, f->path))
			return 1;
	return 0;
}

/* the updates for `files`; their number in `*nu` */
static int build_updates(git_tree_update *updates, size_t *nu, pops_repo *repo,
                         git_tree *base, pops_commit_file *files, size_t n)
{
	size_t i;
	int error;

	*nu = 0;
	for (i = 0; i < n; i++) {
		pops_commit_file *f = &files[i];

		if (!f->partial) {
			if ((error = prompt_update(&updates[*nu], pops_repo_git(repo), base, f)) < 0)
				return error;
			(*nu)++;
		} else if (!named_as_prompt(files, n, f)) {
			if ((error = partial_update(&updates[*nu], repo, base, f)) < 0)
				return error;
			*nu += (size_t)error;
		}
	}
	git_error_clear();
	return 0;
}

/* HEAD's tree with `updates` put in; an empty tree stands for an unborn HEAD's */
static int write_tree(git_oid *out, git_repository *git, git_tree *base,
                      const git_tree_update *updates, size_t nu)
{
	git_treebuilder *tb = NULL;
	git_tree *empty_tree = NULL;
	git_oid empty;
	int error;

	if (base) {
		error = git_tree_create_updated(out, git, base, nu, updates);
	} else if ((error = git_treebuilder_new(&tb, git, NULL)) == 0 &&
	           (error = git_treebuilder_write(&empty, tb)) == 0 &&
	           (error = git_tree_lookup(&empty_tree, git, &empty)) == 0) {
		error = git_tree_create_updated(out, git, empty_tree, nu, updates);
	}
	git_treebuilder_free(tb);
	git_tree_free(empty_tree);
	return error < 0 ? pops_git_error(error, "cannot build the tree") : 0;
}

static int nothing_to_commit(const pops_commit_file *files, size_t n)
{
	const char *first = NULL;
	size_t i, prompts = 0;

	for (i = 0; i < n; i++)
		if (!files[i].partial && !prompts++)
			first = files[i].name;
	return pops_error_set(POPS_EREFUSED, "nothing to commit: %s%s unchanged since the last "
	                      "version", first ? first : "", prompts > 1 ? " and the others are" : " is");
}

/* the files this commit changes, as `git show --stat` will */
static int default_message(pops_buf *msg, const pops_commit_file *files, size_t n)
{
	const char *sep = "";
	int all_new = 1, pass;
	size_t i;

	for (i = 0; i < n; i++)
		all_new &= files[i].partial ? !files[i].committed || files[i].is_new
		                            : files[i].is_new || files[i].unchanged;
	pops_buf_printf(msg, "prompt: %s ", all_new ? "add" : "update");
	/* the prompts first, then the partials */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			if (files[i].partial != pass || !files[i].committed ||
			    (!pass && files[i].unchanged))
				continue;
			pops_buf_printf(msg, "%s%s", sep, files[i].name);
			sep = ", ";
		}
	return 0;
}

/* the commit on `head` (none: a root commit), moving HEAD only from there */
static int write_commit(git_oid *out, git_repository *git, git_commit *head,
                        const git_oid *tree_id, const char *message)
{
	git_signature *author = NULL, *committer = NULL;
	git_tree *tree = NULL;
	int error;

	if ((error = pops_git_signature(&author, git, "AUTHOR")) < 0 ||
	    (error = pops_git_signature(&committer, git, "COMMITTER")) < 0)
		goto done;
	if ((error = git_tree_lookup(&tree, git, tree_id)) < 0 ||
	    (error = git_commit_create(out, git, "HEAD", author, committer, NULL, message, tree,
	                               head ? 1 : 0,
	                               (const git_commit **)(head ? &head : NULL))) < 0)
		error = pops_git_error(error, "cannot commit");
done:
	git_tree_free(tree);
	git_signature_free(committer);
	git_signature_free(author);
	return error;
}

/* the index follows for the committed paths only */
static void update_index(char **index_error, git_repository *git,
                         const git_tree_update *updates, size_t nu)
{
	git_index *index = NULL;
	size_t i;

	if (git_repository_index(&index, git) < 0)
		return;
	for (i = 0; i < nu; i++) {
		if (git_index_add_bypath(index, updates[i].path) < 0) {
			git_index_entry entry;

			memset(&entry, 0, sizeof(entry));
			entry.mode = GIT_FILEMODE_BLOB;
			entry.path = updates[i].path;
			git_oid_cpy(&entry.id, &updates[i].id);
			git_index_add(index, &entry);
		}
	}
	if (git_index_write(index) < 0)
		*index_error = pops_strdup(git_error_last() ? git_error_last()->message
		                                             : "unknown error");
	git_index_free(index);
}

int pops_prompt_commit(git_oid *out, char **index_error, pops_repo *repo,
                       pops_commit_file *files, size_t n, const char *message)
{
	git_repository *git = pops_repo_git(repo);
	git_commit *head = NULL;
	git_tree *base = NULL;
	git_tree_update *updates = NULL;
	git_oid tree_id;
	pops_buf msg = POPS_BUF_INIT;
	size_t nu = 0;
	int error;

	*index_error = NULL;
	if (!(updates = calloc(n ? n : 1, sizeof(*updates)))) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = read_head(&head, &base, git)) < 0 ||
	    (error = build_updates(updates, &nu, repo, base, files, n)) < 0 ||
	    (error = write_tree(&tree_id, git, base, updates, nu)) < 0)
		goto done;
	if (head && !git_oid_cmp(&tree_id, git_commit_tree_id(head))) {
		error = nothing_to_commit(files, n);
		goto done;
	}
	if (message)
		pops_buf_puts(&msg, message);
	else
		default_message(&msg, files, n);
	if (msg.size && msg.ptr[msg.size - 1] != '\n')
		pops_buf_putc(&msg, '\n');
	if (pops_buf_oom(&msg)) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = write_commit(out, git, head, &tree_id, msg.ptr)) < 0)
		goto done;
	update_index(index_error, git, updates, nu);
	error = 0;
done:
	git_tree_free(base);
	git_commit_free(head);
	free(updates);
	pops_buf_dispose(&msg);
	return error;
}
