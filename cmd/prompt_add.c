#include "common.h"
#include "cmd.h"
#include "prompt.h"
#include "repo.h"
#include "git.h"
#include "promptfile.h"
#include "strutil.h"

#include <git2.h>
#include <sys/stat.h>

/*
 * `pops prompt add`: lint the named prompt files, then commit exactly
 * those files on top of HEAD. The new tree is HEAD's tree with these
 * blobs put in (other staged changes stay staged, not committed), the
 * commit moves HEAD only if it has not moved meanwhile, and the index
 * entries of the committed files are updated so `git status` agrees.
 */

struct add_opts {
	const char *message;
	pops_strv files;
};

const pops_opt cmd_prompt_add_opts[] = {
	{ .type = POPS_OPT_STRING, .name = "message", .short_name = 'm',
	  .offset = offsetof(struct add_opts, message), .value_name = "msg",
	  .help = "commit message (default: \"prompt: update <names>\")" },
	{ .type = POPS_OPT_ARGS, .name = "file|name", .offset = offsetof(struct add_opts, files),
	  .help = "prompt files or names", .flags = POPS_OPTF_REQUIRED,
	  .complete = POPS_COMPLETE_FILE },
	{ 0 }
};

typedef struct item {
	char *name;
	char *path;        /* repository-relative */
	pops_resolved *res; /* the work tree file, with its partial loader */
	pops_buf data;
	git_oid blob;
	int is_new;        /* not in HEAD */
} item;

/* argument -> prompt name: an existing file path, else a prompt name */
static int arg_to_name(pops_buf *out, const pops_repo *repo, const char *arg)
{
	struct stat st;

	if (lstat(arg, &st) == 0 || pops_ends_with(arg, ".prompt"))
		return pops_repo_file_to_name(out, repo, arg);
	if (pops_repo_check_name(arg) < 0)
		return POPS_EINVALID;
	return pops_buf_sets(out, arg) < 0 ? pops_error_set(POPS_ERROR, "out of memory") : 0;
}

/*
 * A signature from GIT_<who>_NAME/EMAIL/DATE, falling back to the
 * repository's user.name/user.email and the current time, as git does.
 */
static int signature(git_signature **out, git_repository *repo, const char *who)
{
	git_signature *def = NULL;
	pops_buf var = POPS_BUF_INIT;
	const char *name, *email, *date;
	int error = 0;

	pops_buf_printf(&var, "GIT_%s_NAME", who);
	name = getenv(var.ptr);
	pops_buf_clear(&var);
	pops_buf_printf(&var, "GIT_%s_EMAIL", who);
	email = getenv(var.ptr);
	pops_buf_clear(&var);
	pops_buf_printf(&var, "GIT_%s_DATE", who);
	date = getenv(var.ptr);
	if (!name || !*name || !email || !*email) {
		if ((error = git_signature_default(&def, repo)) < 0) {
			error = pops_error_set(POPS_EINVALID, "cannot tell who you are: set user.name "
			                       "and user.email with 'git config' (or GIT_%s_NAME and "
			                       "GIT_%s_EMAIL)", who, who);
			goto done;
		}
		if (!name || !*name)
			name = def->name;
		if (!email || !*email)
			email = def->email;
	}
	if (date && *date) {
		/* "@<epoch> <tz>" or "<epoch> <tz>", git's internal format */
		long long t;
		int tz = 0, sign = 1;
		char *end;
		const char *p = date + (*date == '@');

		errno = 0;
		t = strtoll(p, &end, 10);
		if (end == p || errno) {
			error = pops_error_set(POPS_EINVALID, "GIT_%s_DATE: use '@<seconds> <+hhmm>' "
			                       "('%s' is not supported)", who, date);
			goto done;
		}
		while (*end == ' ')
			end++;
		if (*end == '+' || *end == '-') {
			long hhmm;

			sign = *end == '-' ? -1 : 1;
			hhmm = strtol(end + 1, NULL, 10);
			tz = sign * (int)((hhmm / 100) * 60 + hhmm % 100);
		}
		error = git_signature_new(out, name, email, (git_time_t)t, tz);
	} else {
		error = git_signature_now(out, name, email);
	}
	if (error < 0)
		error = pops_git_error(error, "invalid author or committer");
done:
	git_signature_free(def);
	pops_buf_dispose(&var);
	return error;
}

static void items_free(item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(items[i].name);
		free(items[i].path);
		pops_resolved_free(items[i].res);
		pops_buf_dispose(&items[i].data);
	}
	free(items);
}

/*
 * The same checks as `pops prompt lint`: frontmatter, schemas, template
 * syntax, and partials (read from the work tree, as they will be
 * committed alongside).
 */
static int lint(pops_repo *repo, item *it)
{
	pops_prompt_options po = POPS_PROMPT_OPTIONS_INIT;
	pops_prompt *p = NULL;
	int error;

	po.load_partial = pops_resolved_load_partial;
	po.partial_payload = it->res;
	po.partial_dir = pops_repo_prompts_prefix(repo);
	error = pops_prompt_parse(&p, it->data.ptr, it->data.size, it->path, &po);
	pops_prompt_free(p);
	return error;
}

int cmd_prompt_add(pops_ctx *ctx, void *o)
{
	struct add_opts *opts = o;
	git_repository *repo = ctx->repo;
	item *items = NULL;
	git_commit *head = NULL, *created = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_update *updates = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_index *index = NULL;
	git_oid tree_id, commit_id;
	pops_buf name = POPS_BUF_INIT, msg = POPS_BUF_INIT;
	pops_versions *vs = NULL;
	size_t i, j, n = opts->files.n;
	int error, ret = POPS_EXIT_OK;

	if (!(items = calloc(n, sizeof(*items))) || !(updates = calloc(n, sizeof(*updates)))) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		items[i].data = (pops_buf)POPS_BUF_INIT;
	/* 1. resolve and lint everything before writing anything */
	for (i = 0; i < n; i++) {
		item *it = &items[i];

		if ((error = arg_to_name(&name, ctx->project, opts->files.v[i])) < 0 ||
		    (error = pops_repo_resolve(&it->res, ctx->project, name.ptr)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		if (pops_buf_set(&it->data, it->res->data, it->res->len) < 0) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			goto done;
		}
		it->name = pops_strdup(name.ptr);
		pops_repo_name_to_path(&name, ctx->project, it->name);
		it->path = pops_strdup(name.ptr);
		if (!it->name || !it->path) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			goto done;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(items[j].name, it->name)) {
				ret = cmd_error(POPS_EXIT_USAGE, "prompt '%s' is given twice", it->name);
				goto done;
			}
		if ((error = lint(ctx->project, it)) < 0) {
			ret = cmd_fail(error);
			cmd_hint("fix the file and run 'pops prompt add' again; nothing was committed");
			goto done;
		}
	}
	/* 2. HEAD (none on an unborn branch) and the new tree */
	error = git_repository_head_unborn(repo);
	if (error == 0) {
		git_object *obj = NULL;

		if ((error = git_revparse_single(&obj, repo, "HEAD^{commit}")) < 0) {
			ret = cmd_fail(pops_git_error(error, "cannot read HEAD"));
			goto done;
		}
		head = (git_commit *)obj;
		if ((error = git_commit_tree(&base, head)) < 0) {
			ret = cmd_fail(pops_git_error(error, "cannot read HEAD's tree"));
			goto done;
		}
	} else if (error < 0) {
		ret = cmd_fail(pops_git_error(error, "cannot read HEAD"));
		goto done;
	}
	for (i = 0; i < n; i++) {
		git_tree_entry *e = NULL;

		if ((error = git_blob_create_from_buffer(&items[i].blob, repo, items[i].data.ptr,
		                                         items[i].data.size)) < 0) {
			ret = cmd_fail(pops_git_error(error, "cannot write a blob"));
			goto done;
		}
		items[i].is_new = !base || git_tree_entry_bypath(&e, base, items[i].path) < 0;
		git_tree_entry_free(e);
		updates[i].action = GIT_TREE_UPDATE_UPSERT;
		git_oid_cpy(&updates[i].id, &items[i].blob);
		updates[i].filemode = GIT_FILEMODE_BLOB;
		updates[i].path = items[i].path;
	}
	git_error_clear();
	if (base) {
		error = git_tree_create_updated(&tree_id, repo, base, n, updates);
	} else {
		git_treebuilder *tb = NULL;
		git_oid empty;

		if ((error = git_treebuilder_new(&tb, repo, NULL)) == 0 &&
		    (error = git_treebuilder_write(&empty, tb)) == 0 &&
		    (error = git_tree_lookup(&base, repo, &empty)) == 0)
			error = git_tree_create_updated(&tree_id, repo, base, n, updates);
		git_treebuilder_free(tb);
		git_tree_free(base);
		base = NULL;
	}
	if (error < 0) {
		ret = cmd_fail(pops_git_error(error, "cannot build the tree"));
		goto done;
	}
	if (head && !git_oid_cmp(&tree_id, git_commit_tree_id(head))) {
		ret = cmd_error(POPS_EXIT_NEGATIVE, "nothing to commit: %s%s unchanged since the "
		                "last version", items[0].name, n > 1 ? " and the others are" : " is");
		goto done;
	}
	/* 3. the commit, moving HEAD only from where we read it */
	if (opts->message) {
		pops_buf_puts(&msg, opts->message);
	} else {
		int all_new = 1;

		for (i = 0; i < n; i++)
			all_new &= items[i].is_new;
		pops_buf_printf(&msg, "prompt: %s ", all_new ? "add" : "update");
		for (i = 0; i < n; i++)
			pops_buf_printf(&msg, "%s%s", i ? ", " : "", items[i].name);
	}
	if (msg.size && msg.ptr[msg.size - 1] != '\n')
		pops_buf_putc(&msg, '\n');
	if ((error = signature(&author, repo, "AUTHOR")) < 0 ||
	    (error = signature(&committer, repo, "COMMITTER")) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if ((error = git_tree_lookup(&tree, repo, &tree_id)) < 0 ||
	    (error = git_commit_create(&commit_id, repo, "HEAD", author, committer, NULL, msg.ptr,
	                               tree, head ? 1 : 0,
	                               (const git_commit **)(head ? &head : NULL))) < 0) {
		ret = cmd_fail(pops_git_error(error, "cannot commit"));
		goto done;
	}
	/* 4. the index follows for the committed paths only */
	if (git_repository_index(&index, repo) == 0) {
		for (i = 0; i < n; i++) {
			if (git_index_add_bypath(index, items[i].path) < 0) {
				git_index_entry entry;

				memset(&entry, 0, sizeof(entry));
				entry.mode = GIT_FILEMODE_BLOB;
				entry.path = items[i].path;
				git_oid_cpy(&entry.id, &items[i].blob);
				git_index_add(index, &entry);
			}
		}
		if (git_index_write(index) < 0)
			cmd_warning("committed, but the index could not be updated: %s",
			            git_error_last() ? git_error_last()->message : "unknown error");
	}
	/* 5. report the new versions */
	for (i = 0; i < n; i++) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &commit_id);
		if (pops_repo_versions(&vs, ctx->project, items[i].name, 1) == 0 && vs->v[0].number)
			printf("%s@%ld %.7s\n", items[i].name, vs->v[0].number, hex);
		else
			printf("%s %.7s\n", items[i].name, hex);
		pops_versions_free(vs);
		vs = NULL;
	}
	pops_error_clear();
done:
	git_index_free(index);
	git_signature_free(committer);
	git_signature_free(author);
	git_commit_free(created);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(head);
	free(updates);
	if (items)
		items_free(items, n);
	pops_buf_dispose(&msg);
	pops_buf_dispose(&name);
	return ret;
}
