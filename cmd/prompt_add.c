#include "common.h"
#include "cmd.h"
#include "casref.h"
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
 *
 * The partials the prompts reach (transitively) go into the same commit
 * when they are new or changed in the work tree: a version is what
 * renders, so `name@N` must never name a commit whose partials were left
 * behind uncommitted (it would fail to render, or render differently from
 * the work tree that was linted). A missing partial fails the lint, so
 * nothing is written.
 */

struct add_opts {
	const char *message;
	pops_strv files;
};

POPS_CMD_OPTS_SIZE(prompt_add, struct add_opts);
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
	int unchanged;     /* HEAD has these bytes: only its partials may change */
} item;

/* a partial reached by the prompts being added */
typedef struct partial {
	char *name;        /* as templates name it: "style", "team/style" */
	char *vname;       /* its name as a versioned file: "_style", "team/_style" */
	char *path;        /* repository-relative */
	pops_buf data;     /* the bytes the lint compiled: exactly these are committed */
	git_oid blob;
	int is_new;        /* not in HEAD */
	int commit;        /* new or changed, and not also named as an argument */
} partial;

typedef struct partial_set {
	partial *v;
	size_t n, a;
} partial_set;

/* the lint's partial loader: reads as the resolver does and records what it read */
typedef struct rec_loader {
	pops_resolved *res;
	partial_set *set;
} rec_loader;

static int rec_load(void *payload, const char *name, pops_buf *out)
{
	rec_loader *l = payload;
	partial *pa;
	size_t i;
	int error;

	if ((error = pops_resolved_load_partial(l->res, name, out)) < 0)
		return error;
	/* once per name: the compiler loads a partial again per indentation,
	 * and prompts sharing a partial must commit it once */
	for (i = 0; i < l->set->n; i++)
		if (!strcmp(l->set->v[i].name, name))
			return 0;
	if (l->set->n == l->set->a) {
		size_t na = l->set->a ? l->set->a * 2 : 8;
		partial *nv = realloc(l->set->v, na * sizeof(*nv));

		POPS_CHECK_ALLOC(nv);
		l->set->v = nv;
		l->set->a = na;
	}
	pa = &l->set->v[l->set->n];
	memset(pa, 0, sizeof(*pa));
	pa->data = (pops_buf)POPS_BUF_INIT;
	l->set->n++;
	if (!(pa->name = pops_strdup(name)) || pops_buf_set(&pa->data, out->ptr, out->size) < 0)
		return pops_error_oom();
	return 0;
}

static void partials_dispose(partial_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].name);
		free(set->v[i].vname);
		free(set->v[i].path);
		pops_buf_dispose(&set->v[i].data);
	}
	free(set->v);
	memset(set, 0, sizeof(*set));
}

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

static int by_vname(const void *a, const void *b)
{
	return strcmp(((const partial *)a)->vname, ((const partial *)b)->vname);
}

/* "team/style" -> "team/_style" and its path, the names prompt log and show take */
static int partial_names(partial *pa, const pops_repo *repo)
{
	pops_buf b = POPS_BUF_INIT;
	const char *slash = strrchr(pa->name, '/');
	int error;

	if (slash)
		pops_buf_put(&b, pa->name, (size_t)(slash - pa->name) + 1);
	pops_buf_printf(&b, "_%s", slash ? slash + 1 : pa->name);
	if (pops_buf_oom(&b) || !(pa->vname = pops_strdup(b.ptr))) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = pops_repo_name_to_path(&b, repo, pa->vname)) < 0)
		goto done;
	if (!(pa->path = pops_strdup(b.ptr)))
		error = pops_error_oom();
done:
	pops_buf_dispose(&b);
	return error;
}

/* argument -> prompt name: an existing file path, else a prompt name */
static int arg_to_name(pops_buf *out, const pops_repo *repo, const char *arg)
{
	struct stat st;

	if (lstat(arg, &st) == 0 || pops_ends_with(arg, ".prompt"))
		return pops_repo_file_to_name(out, repo, arg);
	if (pops_repo_check_name(arg) < 0)
		return POPS_EINVALID;
	return pops_buf_sets(out, arg) < 0 ? pops_error_oom() : 0;
}

/* pops_git_signature: the one policy for every commit pops writes */
int cmd_signature(git_signature **out, git_repository *repo, const char *who)
{
	return pops_git_signature(out, repo, who);
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
 * committed alongside; every one read is recorded in `set`).
 */
static int lint(pops_repo *repo, item *it, partial_set *set)
{
	pops_prompt_options po = POPS_PROMPT_OPTIONS_INIT;
	pops_prompt *p = NULL;
	rec_loader rl;
	int error;

	rl.res = it->res;
	rl.set = set;
	po.load_partial = rec_load;
	po.partial_payload = &rl;
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
	partial_set set = { NULL, 0, 0 };
	size_t i, j, n = opts->files.n, nu;
	int error, ret = POPS_EXIT_OK;

	if (!(items = calloc(n, sizeof(*items)))) {
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
		if ((error = lint(ctx->project, it, &set)) < 0) {
			ret = cmd_fail(error);
			cmd_hint("fix the file and run 'pops prompt add' again; nothing was committed");
			goto done;
		}
	}
	for (i = 0; i < set.n; i++) {
		partial *pa = &set.v[i];

		if ((error = partial_names(pa, ctx->project)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		/* a partial also named as an argument is committed (and listed) as that */
		pa->commit = 1;
		for (j = 0; j < n; j++)
			if (!strcmp(items[j].path, pa->path))
				pa->commit = 0;
	}
	if (set.n)
		qsort(set.v, set.n, sizeof(*set.v), by_vname);
	if (!(updates = calloc(n + set.n, sizeof(*updates)))) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		goto done;
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
		items[i].unchanged = e && !git_oid_cmp(git_tree_entry_id(e), &items[i].blob) &&
		                     git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB;
		git_tree_entry_free(e);
		updates[i].action = GIT_TREE_UPDATE_UPSERT;
		git_oid_cpy(&updates[i].id, &items[i].blob);
		updates[i].filemode = GIT_FILEMODE_BLOB;
		updates[i].path = items[i].path;
	}
	nu = n;
	for (i = 0; i < set.n; i++) {
		partial *pa = &set.v[i];
		git_tree_entry *e = NULL;

		if (!pa->commit)
			continue;
		if (is_symlink(ctx->project, pa->path)) {
			unsigned int st = 0;

			/* committing the bytes would turn the link into a file in the
			 * commit; committing the link needs its target too: git's job */
			if (git_status_file(&st, repo, pa->path) < 0 || st != GIT_STATUS_CURRENT)
				cmd_warning("%s is a symlink: not committed; commit it and the file it "
				            "points to with git", pa->path);
			git_error_clear();
			pa->commit = 0;
			continue;
		}
		if ((error = git_odb_hash(&pa->blob, pa->data.ptr, pa->data.size,
		                          GIT_OBJECT_BLOB)) < 0) {
			ret = cmd_fail(pops_git_error(error, "cannot hash a partial"));
			goto done;
		}
		pa->is_new = !base || git_tree_entry_bypath(&e, base, pa->path) < 0;
		/* unchanged: left as HEAD has it (mode included), and not listed */
		if (e && !git_oid_cmp(git_tree_entry_id(e), &pa->blob) &&
		    (git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB ||
		     git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE))
			pa->commit = 0;
		git_tree_entry_free(e);
		if (!pa->commit)
			continue;
		if ((error = git_blob_create_from_buffer(&pa->blob, repo, pa->data.ptr,
		                                         pa->data.size)) < 0) {
			ret = cmd_fail(pops_git_error(error, "cannot write a blob"));
			goto done;
		}
		if (pops_prompt_frontmatter_line(pa->data.ptr, pa->data.size))
			cmd_warning("%s:%u: a partial is included as text: dotprompt includes these "
			            "frontmatter lines verbatim", pa->path,
			            pops_prompt_frontmatter_line(pa->data.ptr, pa->data.size));
		updates[nu].action = GIT_TREE_UPDATE_UPSERT;
		git_oid_cpy(&updates[nu].id, &pa->blob);
		updates[nu].filemode = GIT_FILEMODE_BLOB;
		updates[nu].path = pa->path;
		nu++;
	}
	git_error_clear();
	if (base) {
		error = git_tree_create_updated(&tree_id, repo, base, nu, updates);
	} else {
		git_treebuilder *tb = NULL;
		git_oid empty;

		if ((error = git_treebuilder_new(&tb, repo, NULL)) == 0 &&
		    (error = git_treebuilder_write(&empty, tb)) == 0 &&
		    (error = git_tree_lookup(&base, repo, &empty)) == 0)
			error = git_tree_create_updated(&tree_id, repo, base, nu, updates);
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
		/* the files this commit changes, as `git show --stat` will */
		int all_new = 1;
		const char *sep = "";

		for (i = 0; i < n; i++)
			all_new &= items[i].is_new || items[i].unchanged;
		for (i = 0; i < set.n; i++)
			all_new &= !set.v[i].commit || set.v[i].is_new;
		pops_buf_printf(&msg, "prompt: %s ", all_new ? "add" : "update");
		for (i = 0; i < n; i++)
			if (!items[i].unchanged) {
				pops_buf_printf(&msg, "%s%s", sep, items[i].name);
				sep = ", ";
			}
		for (i = 0; i < set.n; i++)
			if (set.v[i].commit) {
				pops_buf_printf(&msg, "%s%s", sep, set.v[i].vname);
				sep = ", ";
			}
	}
	if (msg.size && msg.ptr[msg.size - 1] != '\n')
		pops_buf_putc(&msg, '\n');
	if ((error = cmd_signature(&author, repo, "AUTHOR")) < 0 ||
	    (error = cmd_signature(&committer, repo, "COMMITTER")) < 0) {
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
			cmd_warning("committed, but the index could not be updated: %s",
			            git_error_last() ? git_error_last()->message : "unknown error");
	}
	/* 5. report the versions: each prompt named (an unchanged one with the
	 * commit of its version, which is not this one), then the partials
	 * committed with them. Unchanged partials have no new version and the
	 * prompt's own line already says nothing changed there: not listed. */
	for (i = 0; i < n + set.n; i++) {
		const char *vn = i < n ? items[i].name : set.v[i - n].vname;
		char hex[GIT_OID_HEXSZ + 1];

		if (i >= n && !set.v[i - n].commit)
			continue;
		git_oid_tostr(hex, sizeof(hex), &commit_id);
		if (pops_repo_versions(&vs, ctx->project, vn, 1) == 0 && vs->v[0].number) {
			git_oid_tostr(hex, sizeof(hex), &vs->v[0].commit);
			printf("%s@%ld %.7s\n", vn, vs->v[0].number, hex);
			if (i < n && items[i].unchanged)
				cmd_note("%s is unchanged: %s@%ld is still its newest version", vn, vn,
				           vs->v[0].number);
		} else {
			printf("%s %.7s\n", vn, hex);
		}
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
	partials_dispose(&set);
	if (items)
		items_free(items, n);
	pops_buf_dispose(&msg);
	pops_buf_dispose(&name);
	return ret;
}
