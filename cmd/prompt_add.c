#include "common.h"
#include "cmd.h"
#include "casref.h"
#include "prompt.h"
#include "repo.h"
#include "git.h"
#include "promptfile.h"
#include "prompt_commit.h"
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
#define O struct add_opts
const pops_opt cmd_prompt_add_opts[] = {
	OPT_STRING(O, message, "message", "msg",
	           "commit message (default: \"prompt: update <names>\")", .short_name = 'm'),
	OPT_ARGS(O, files, "file|name",
	         "prompt files or names", .flags = POPS_OPTF_REQUIRED,
	         .complete = POPS_COMPLETE_FILE),
	OPT_END
};
#undef O

typedef struct item {
	char *name;
	char *path;        /* repository-relative */
	pops_resolved *res; /* the work tree file, with its partial loader */
	pops_buf data;
} item;

/* a partial reached by the prompts being added */
typedef struct partial {
	char *name;        /* as templates name it: "style", "team/style" */
	char *vname;       /* its name as a versioned file: "_style", "team/_style" */
	char *path;        /* repository-relative */
	pops_buf data;     /* the bytes the lint compiled: exactly these are committed */
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


/* 1. resolve and lint everything before writing anything */
static int lint_all(pops_ctx *ctx, item *items, const pops_strv *files, partial_set *set)
{
	pops_buf name = POPS_BUF_INIT;
	size_t i, j;
	int error, ret = POPS_EXIT_OK;

	for (i = 0; i < files->n && !ret; i++) {
		item *it = &items[i];

		if ((error = arg_to_name(&name, ctx->project, files->v[i])) < 0 ||
		    (error = pops_repo_resolve(&it->res, ctx->project, name.ptr)) < 0) {
			ret = cmd_fail(error);
			break;
		}
		if (pops_buf_set(&it->data, it->res->data, it->res->len) < 0) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			break;
		}
		it->name = pops_strdup(name.ptr);
		pops_repo_name_to_path(&name, ctx->project, it->name);
		it->path = pops_strdup(name.ptr);
		if (!it->name || !it->path) {
			ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
			break;
		}
		for (j = 0; j < i && !ret; j++)
			if (!strcmp(items[j].name, it->name))
				ret = cmd_error(POPS_EXIT_USAGE, "prompt '%s' is given twice", it->name);
		if (!ret && (error = lint(ctx->project, it, set)) < 0) {
			ret = cmd_fail(error);
			cmd_hint("fix the file and run 'pops prompt add' again; nothing was committed");
		}
	}
	pops_buf_dispose(&name);
	return ret;
}

/* the prompts, then the partials they reach in name order, as pops_prompt_commit takes them */
static int commit_files(pops_commit_file **out, const pops_repo *repo, item *items, size_t n,
                        partial_set *set)
{
	pops_commit_file *files;
	size_t i;
	int error;

	for (i = 0; i < set->n; i++)
		if ((error = partial_names(&set->v[i], repo)) < 0)
			return error;
	if (set->n)
		qsort(set->v, set->n, sizeof(*set->v), by_vname);
	if (!(files = calloc(n + set->n, sizeof(*files)))) {
		pops_error_oom();
		return POPS_ERROR;
	}
	for (i = 0; i < n + set->n; i++) {
		pops_commit_file *f = &files[i];

		if (i < n) {
			f->name = items[i].name;
			f->path = items[i].path;
			f->data = items[i].data.ptr;
			f->size = items[i].data.size;
		} else {
			f->name = set->v[i - n].vname;
			f->path = set->v[i - n].path;
			f->data = set->v[i - n].data.ptr;
			f->size = set->v[i - n].data.size;
			f->partial = 1;
		}
	}
	*out = files;
	return 0;
}

/* what pops_prompt_commit found about the partials, in their order */
static void warn_partials(const pops_commit_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (files[i].symlink && files[i].symlink_dirty)
			cmd_warning("%s is a symlink: not committed; commit it and the file it "
			            "points to with git", files[i].path);
		if (files[i].frontmatter_line)
			cmd_warning("%s:%u: a partial is included as text: dotprompt includes these "
			            "frontmatter lines verbatim", files[i].path, files[i].frontmatter_line);
	}
}

/*
 * Report the versions: each prompt named (an unchanged one with the
 * commit of its version, which is not this one), then the partials
 * committed with them. Unchanged partials have no new version and the
 * prompt's own line already says nothing changed there: not listed.
 */
static void print_versions(pops_repo *repo, const pops_commit_file *files, size_t n,
                           const git_oid *commit_id)
{
	pops_versions *vs = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *vn = files[i].name;
		char hex[GIT_OID_HEXSZ + 1];

		if (files[i].partial && !files[i].committed)
			continue;
		git_oid_tostr(hex, sizeof(hex), commit_id);
		if (pops_repo_versions(&vs, repo, vn, 1) == 0 && vs->v[0].number) {
			git_oid_tostr(hex, sizeof(hex), &vs->v[0].commit);
			printf("%s@%ld %.7s\n", vn, vs->v[0].number, hex);
			if (!files[i].partial && files[i].unchanged)
				cmd_note("%s is unchanged: %s@%ld is still its newest version", vn, vn,
				         vs->v[0].number);
		} else {
			printf("%s %.7s\n", vn, hex);
		}
		pops_versions_free(vs);
		vs = NULL;
	}
	pops_error_clear();
}

int cmd_prompt_add(pops_ctx *ctx, void *o)
{
	struct add_opts *opts = o;
	item *items = NULL;
	pops_commit_file *files = NULL;
	partial_set set = { NULL, 0, 0 };
	char *index_error = NULL;
	git_oid commit_id;
	size_t i, n = opts->files.n;
	int error, ret;

	if (!(items = calloc(n, sizeof(*items)))) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		items[i].data = (pops_buf)POPS_BUF_INIT;
	if ((ret = lint_all(ctx, items, &opts->files, &set)) != POPS_EXIT_OK)
		goto done;
	if ((error = commit_files(&files, ctx->project, items, n, &set)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	error = pops_prompt_commit(&commit_id, &index_error, ctx->project, files, n + set.n,
	                           opts->message);
	warn_partials(files, n + set.n);
	if (error < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if (index_error)
		cmd_warning("committed, but the index could not be updated: %s", index_error);
	print_versions(ctx->project, files, n + set.n, &commit_id);
done:
	free(index_error);
	free(files);
	partials_dispose(&set);
	if (items)
		items_free(items, n);
	return ret;
}
