#define _XOPEN_SOURCE 700
#include "common.h"
#include "export.h"
#include "export_int.h"
#include "release.h"
#include "rollout.h"
#include "closure.h"
#include "fileio.h"
#include "git.h"
#include "strutil.h"

#include <cjson/cJSON.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * `pops export`: an environment's release closures as a directory an
 * application bundles (pops-export(1)). A bundle has one file per partial
 * name, as Genkit's prompt folder loader registers `_name.prompt` files,
 * so every prompt in it must have been released with the same version of
 * each partial it shares with another; when two were not, export stops
 * rather than pick one of them for both.
 */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* only ever the temporary directory this export made and filled itself */
static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void pops_export_result_dispose(pops_export_result *r)
{
	if (r)
		pops_buf_dispose(&r->kept);
}

static int corrupt(const pops_release_entry *e, const char *what)
{
	return pops_error_set(POPS_ERROR, "ledger entry %s/%s is corrupt: %s", e->env,
	                      e->prompt, what);
}


/*
 * Names from the ledger decide where files are written: each must be a
 * safe relative name (the ledger reader checks too; a pushed ledger is
 * untrusted), a prompt's last segment must not start with '_' (Genkit
 * would load it as a partial) and a partial's file must be the one its
 * name maps to.
 */
static int check_names(pops_export__item *it, pops_buf *tmp)
{
	const pops_release_entry *e = it->e;
	const char *base = strrchr(e->prompt, '/');
	size_t i;
	int error;

	if (!pops_release_name_ok(e->prompt) || *(base ? base + 1 : e->prompt) == '_')
		return corrupt(e, "unsafe prompt name");
	for (i = 0; i < it->npartials; i++) {
		const pops_closure_partial *p = &it->partials[i];

		if (!p->name || !pops_release_name_ok(p->name))
			return corrupt(e, "unsafe partial name");
		if ((error = pops_closure_partial_file(tmp, p->name)) < 0)
			return error;
		if (p->file && strcmp(p->file, tmp->ptr))
			return corrupt(e, "a partial's file does not match its name");
	}
	return POPS_OK;
}

static int read_item(pops_export__item *it, git_repository *repo, const pops_config *cfg,
                     pops_buf *tmp)
{
	const pops_release_entry *e = it->e;
	git_commit *c = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	if ((error = pops_release_read_blob(&it->content, repo, e)) < 0)
		return error;
	if (e->closure_known) {
		it->partials = e->closure.partials;
		it->npartials = e->closure.npartials;
	} else {
		/*
		 * Written by pops before closures: the ledger has the prompt but
		 * not its partials, which are those of the source commit.
		 */
		if (!cfg)
			return pops_error_set(POPS_ERROR, "exporting %s/%s needs the project's pops.yaml",
			                      e->env, e->prompt);
		if (git_oid_is_zero(&e->source_commit))
			return corrupt(e, "no source commit to read its partials from");
		if (git_commit_lookup(&c, repo, &e->source_commit) < 0) {
			git_error_clear();
			return pops_error_set(POPS_ERROR, "cannot export %s/%s: it was released before pops "
			                      "recorded partials in the ledger, and its source commit %s "
			                      "is not in this repository (git fetch, or promote it again)",
			                      e->env, e->prompt,
			                      git_oid_tostr(hex, sizeof(hex), &e->source_commit));
		}
		git_commit_free(c);
		/* a partial missing at the source commit is a broken release, not "not found" */
		if ((error = pops_closure_compute(&it->legacy, repo, cfg, &e->source_commit, e->prompt,
		                                  it->content.ptr, it->content.size)) < 0)
			return pops_error_prefix(error == POPS_ENOTFOUND ? POPS_ERROR : error,
			                         "cannot export %s/%s (released before pops recorded "
			                         "partials; promote it again): ", e->env, e->prompt);
		it->partials = it->legacy.partials;
		it->npartials = it->legacy.npartials;
	}
	pops_buf_printf(&it->file, "%s%s.prompt", it->is_canary ? "@canary/" : "", e->prompt);
	if (pops_buf_oom(&it->file))
		return pops_error_oom();
	return check_names(it, tmp);
}

static void describe(pops_buf *b, const pops_closure_partial *p, const char *file)
{
	char hex[GIT_OID_HEXSZ + 1];
	size_t n = strlen(file) - strlen(".prompt");

	git_oid_tostr(hex, 8, &p->blob);
	if (p->version > 0)
		pops_buf_printf(b, "%.*s@%ld (%s)", (int)n, file, p->version, hex);
	else
		pops_buf_printf(b, "%.*s %s", (int)n, file, hex);
}

/*
 * The bundle's partial files: each once, and the same for every prompt
 * that uses it. POPS_EREFUSED when two prompts were released with
 * different versions of one partial.
 */
static int collect_parts(pops_export__part **out, size_t *nout, pops_export__item *items,
                         size_t n, const char *env, pops_buf *tmp)
{
	pops_export__part *v = NULL;
	size_t i, j, k, np = 0;
	int error = POPS_OK;

	for (i = 0; i < n; i++) {
		for (j = 0; j < items[i].npartials; j++) {
			const pops_closure_partial *p = &items[i].partials[j];
			pops_export__part *nv;

			if ((error = pops_closure_partial_file(tmp, p->name)) < 0)
				goto done;
			for (k = 0; k < np; k++)
				if (!strcmp(v[k].p->name, p->name))
					break;
			if (k < np) {
				pops_buf a = POPS_BUF_INIT, b = POPS_BUF_INIT;

				if (git_oid_equal(&v[k].p->blob, &p->blob))
					continue;
				describe(&a, v[k].p, tmp->ptr);
				describe(&b, p, tmp->ptr);
				error = pops_error_set(POPS_EREFUSED,
				                       "%s and %s were released to %s with different versions "
				                       "of partial '%s': %s has %s, %s has %s; a bundle holds "
				                       "one %s: align them with 'pops promote %s %s %s'",
				                       v[k].first->e->prompt, items[i].e->prompt, env, p->name,
				                       v[k].first->e->prompt, a.ptr, items[i].e->prompt, b.ptr,
				                       tmp->ptr, env, v[k].first->e->prompt, items[i].e->prompt);
				pops_buf_dispose(&a);
				pops_buf_dispose(&b);
				goto done;
			}
			for (k = 0; k < n; k++)
				if (!strcmp(items[k].file.ptr, tmp->ptr)) {
					error = corrupt(items[k].e, "its file is also a partial's");
					goto done;
				}
			if (!(nv = realloc(v, (np + 1) * sizeof(*v)))) {
				error = pops_error_oom();
				goto done;
			}
			v = nv;
			v[np].p = p;
			v[np].first = &items[i];
			v[np].content = (pops_buf)POPS_BUF_INIT;
			np++;
		}
	}
done:
	*out = v;
	*nout = np;
	return error;
}

/* the blob of `env`/`prompt`.json in `tree`, zero when absent */
static void entry_id(git_oid *out, git_tree *tree, const char *path)
{
	git_tree_entry *te = NULL;

	memset(out, 0, sizeof(*out));
	if (tree && git_tree_entry_bypath(&te, tree, path) == 0)
		git_oid_cpy(out, git_tree_entry_id(te));
	git_tree_entry_free(te);
	git_error_clear();
}

/*
 * 1 when the ledger entry blob `id` still holds the release `it` is: the
 * same closure on the same side (a canary item: the entry's canary).
 * During a rollout the entry's .json changes with every step of it, while
 * each side stays the release it was.
 */
static int same_side(git_repository *repo, const git_oid *id, const pops_export__item *it)
{
	git_blob *blob = NULL;
	pops_release_entry *pe = NULL;
	const pops_release_entry *side;
	pops_buf what = POPS_BUF_INIT;
	int same = 0;

	if (git_oid_is_zero(id) || git_blob_lookup(&blob, repo, id) < 0 ||
	    pops_release_parse_entry(&pe, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
	                             it->e->env, it->e->prompt, &what) < 0)
		goto done;
	side = it->is_canary ? pe->canary : pe;
	if (!side || side->closure_known != it->e->closure_known)
		goto done;
	same = side->closure_known ? pops_closure_equal(&side->closure, &it->e->closure) :
	       git_oid_equal(&side->blob, &it->e->blob);
done:
	pops_error_clear();
	git_error_clear();
	pops_release_entry_free(pe);
	git_blob_free(blob);
	pops_buf_dispose(&what);
	return same;
}

/* the ledger walk of released_in: one side of one prompt */
typedef struct walker {
	pops_export__item *it;
	git_oid cur;     /* its .json blob at the tip */
	int done;
} walker;

/* the walkers of `items` and their canaries, each with its .json blob in `tree` */
static int walkers(walker **out, size_t *nout, pops_export__item *items, size_t n, git_tree *tree,
                   const git_oid *tip, const char *env)
{
	pops_buf path = POPS_BUF_INIT;
	walker *w;
	size_t i, k = 0;

	if (!(w = calloc(2 * n + 1, sizeof(*w))))
		return pops_error_oom();
	for (i = 0; i < n; i++) {
		pops_buf_clear(&path);
		pops_buf_printf(&path, "%s/%s.json", env, items[i].e->prompt);
		if (pops_buf_oom(&path)) {
			free(w);
			return pops_error_oom();
		}
		w[k].it = &items[i];
		entry_id(&w[k].cur, tree, path.ptr);
		if (items[i].canary) {
			w[k + 1].it = items[i].canary;
			w[k + 1].cur = w[k].cur;
			k++;
		}
		k++;
	}
	for (i = 0; i < k; i++)
		git_oid_cpy(&w[i].it->released_in, tip);
	pops_buf_dispose(&path);
	*out = w;
	*nout = k;
	return POPS_OK;
}

/*
 * For each item, the ledger commit that made its entry what it is at
 * `tip`: the oldest commit on the first-parent line from `tip` whose
 * `<env>/<prompt>.json` is the same blob as at `tip`, with no change in
 * between; for either side of a rollout, the same release on that side
 * (same_side). Commits that leave `<env>` alone are skipped by its tree id.
 */
static int released_in(pops_export__item *items, size_t n, git_repository *repo, const git_oid *tip,
                       const char *env)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	git_oid envid, penvid, id;
	pops_buf path = POPS_BUF_INIT;
	walker *w = NULL;
	size_t i, nw = 0, left;
	int error = POPS_OK;

	if (git_commit_lookup(&c, repo, tip) < 0 || git_commit_tree(&tree, c) < 0) {
		error = pops_git_error(-1, "cannot read the release ledger");
		goto done;
	}
	if ((error = walkers(&w, &nw, items, n, tree, tip, env)) < 0)
		goto done;
	left = nw;
	entry_id(&envid, tree, env);
	while (left) {
		if (git_commit_parentcount(c) == 0)
			break;
		if (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0) {
			/* a shallow ledger: what is known stays the answer */
			git_error_clear();
			break;
		}
		entry_id(&penvid, ptree, env);
		for (i = 0; !git_oid_equal(&penvid, &envid) && i < nw; i++) {
			if (w[i].done)
				continue;
			pops_buf_clear(&path);
			pops_buf_printf(&path, "%s/%s.json", env, w[i].it->e->prompt);
			if (pops_buf_oom(&path)) {
				error = pops_error_oom();
				goto done;
			}
			entry_id(&id, ptree, path.ptr);
			if (!git_oid_equal(&id, &w[i].cur) &&
			    (!(w[i].it->canary || w[i].it->is_canary) || !same_side(repo, &id, w[i].it))) {
				w[i].done = 1;
				left--;
			}
		}
		for (i = 0; i < nw; i++)
			if (!w[i].done)
				git_oid_cpy(&w[i].it->released_in, git_commit_id(parent));
		git_oid_cpy(&envid, &penvid);
		git_tree_free(tree);
		git_commit_free(c);
		tree = ptree;
		c = parent;
		ptree = NULL;
		parent = NULL;
	}
done:
	git_tree_free(ptree);
	git_commit_free(parent);
	git_tree_free(tree);
	git_commit_free(c);
	pops_buf_dispose(&path);
	free(w);
	return error;
}

static int text_ok(const pops_buf *b, const char *what, const char *env)
{
	if (!pops_utf8_valid(b->ptr, b->size, NULL) || memchr(b->ptr, '\0', b->size))
		return pops_error_set(POPS_EINVALID, "%s in %s is not UTF-8 text; use --format files",
		                      what, env);
	return POPS_OK;
}

/* write `data` at `rel` under `root`, making its directories */
static int write_file(const char *root, const char *rel, const pops_buf *data, pops_buf *path)
{
	char *s;
	int error;

	pops_buf_clear(path);
	if (pops_path_join(path, root, rel) < 0 || pops_buf_oom(path))
		return pops_error_oom();
	if (strchr(rel, '/')) {
		s = strrchr(path->ptr, '/');
		*s = '\0';
		error = pops_mkdir_p(path->ptr, 0777);
		*s = '/';
		if (error < 0)
			return error;
	}
	return pops_file_write_atomic(path->ptr, data->ptr, data->size, 0644);
}

static int cmp_part(const void *a, const void *b)
{
	return strcmp(((const pops_export__part *)a)->p->name, ((const pops_export__part *)b)->p->name);
}

static void item_dispose(pops_export__item *it)
{
	size_t i;

	if (it->canary) {
		item_dispose(it->canary);
		free(it->canary);
	}
	for (i = 0; it->pcontent && i < it->npartials; i++)
		pops_buf_dispose(&it->pcontent[i]);
	free(it->pcontent);
	pops_closure_dispose(&it->legacy);
	pops_buf_dispose(&it->file);
	pops_buf_dispose(&it->content);
}

static void xrun_dispose(pops_export__run *x)
{
	size_t i;

	for (i = 0; i < x->nparts; i++)
		pops_buf_dispose(&x->parts[i].content);
	free(x->parts);
	for (i = 0; x->items && i < x->l.n; i++)
		item_dispose(&x->items[i]);
	free(x->items);
	pops_release_list_dispose(&x->l);
	pops_buf_dispose(&x->scratch);
	pops_buf_dispose(&x->path);
}

/*
 * The canary side of `it`'s rollout, read and checked: its prompt goes to
 * @canary/<name>.prompt and its partials, its own and not shared with
 * anything, to @canary/<name>@partials/.
 */
static int read_canary(pops_export__run *x, pops_export__item *it)
{
	pops_export__item *c;
	size_t i;
	int error;

	POPS_CHECK_ALLOC((c = it->canary = calloc(1, sizeof(*c))));
	c->e = it->e->canary;
	c->is_canary = 1;
	c->file = (pops_buf)POPS_BUF_INIT;
	c->content = (pops_buf)POPS_BUF_INIT;
	if ((error = read_item(c, x->repo, x->opts->cfg, &x->scratch)) < 0)
		return error;
	if (x->inline_text && (error = text_ok(&c->content, c->file.ptr, x->opts->env)) < 0)
		return error;
	POPS_CHECK_ALLOC((c->pcontent = calloc(c->npartials + 1, sizeof(*c->pcontent))));
	for (i = 0; i < c->npartials; i++) {
		c->pcontent[i] = (pops_buf)POPS_BUF_INIT;
		if ((error = pops_release_read_partial(&c->pcontent[i], x->repo, x->opts->cfg, c->e,
		                                       c->partials[i].name)) < 0)
			return error == POPS_ENOTFOUND ? POPS_ERROR : error;
		if (x->inline_text &&
		    (error = text_ok(&c->pcontent[i], c->partials[i].name, x->opts->env)) < 0)
			return error;
	}
	x->ncanary++;
	return POPS_OK;
}

/* the released prompts of env and their partials, read and checked */
static int read_release(pops_export__run *x)
{
	const char *env = x->opts->env;
	size_t i;
	int error;

	if (!(x->items = calloc(x->l.n, sizeof(*x->items))))
		return pops_error_oom();
	for (i = 0; i < x->l.n; i++) {
		pops_export__item *it = &x->items[i];

		it->e = x->l.v[i];
		it->file = (pops_buf)POPS_BUF_INIT;
		it->content = (pops_buf)POPS_BUF_INIT;
		if ((error = read_item(it, x->repo, x->opts->cfg, &x->scratch)) < 0)
			return error;
		if (x->inline_text && (error = text_ok(&it->content, it->e->prompt, env)) < 0)
			return error;
		if (it->e->canary && (error = read_canary(x, it)) < 0)
			return error;
	}
	if ((error = collect_parts(&x->parts, &x->nparts, x->items, x->l.n, env, &x->scratch)) < 0)
		return error;
	if (x->nparts)
		qsort(x->parts, x->nparts, sizeof(*x->parts), cmp_part);
	for (i = 0; i < x->nparts; i++) {
		pops_export__part *p = &x->parts[i];

		if ((error = pops_release_read_partial(&p->content, x->repo, x->opts->cfg,
		                                       p->first->e, p->p->name)) < 0)
			/* the release lists it, so a missing partial is a broken ledger (exit 3) */
			return error == POPS_ENOTFOUND ? POPS_ERROR : error;
		if (x->inline_text && (error = text_ok(&p->content, p->p->name, env)) < 0)
			return error;
	}
	if ((error = released_in(x->items, x->l.n, x->repo, &x->out->ledger_commit, env)) < 0)
		return error;
	if (x->yml)
		return pops_export__to_prompt_yml(x->items, x->l.n, x->parts, x->nparts);
	return POPS_OK;
}

/*
 * A new temporary directory beside `dir` (so the final rename stays on
 * one file system), its name in `tmp`; dir's parents are made.
 */
static int make_tmp(pops_buf *tmp, const char *dir)
{
	pops_buf parent = POPS_BUF_INIT;
	char *slash;
	int error = POPS_OK;

	pops_buf_puts(&parent, dir);
	while (parent.size > 1 && parent.ptr[parent.size - 1] == '/')
		pops_buf_truncate(&parent, parent.size - 1);
	pops_buf_printf(tmp, "%s.tmp-XXXXXX", parent.ptr);
	if (pops_buf_oom(tmp) || pops_buf_oom(&parent)) {
		error = pops_error_oom();
		goto done;
	}
	if ((slash = strrchr(parent.ptr, '/')) && slash != parent.ptr) {
		*slash = '\0';
		if ((error = pops_mkdir_p(parent.ptr, 0777)) < 0)
			goto done;
	}
	if (!mkdtemp(tmp->ptr))
		error = pops_error_os(tmp->ptr);
done:
	pops_buf_dispose(&parent);
	return error;
}

/* a canary's prompt file and (format files) its partials, into `tmp` */
static int write_canary(pops_export__run *x, const char *tmp, const pops_export__item *c)
{
	size_t i;
	int error;

	if ((error = write_file(tmp, c->file.ptr, &c->content, &x->path)) < 0)
		return error;
	for (i = 0; !x->yml && i < c->npartials; i++) {
		if ((error = pops_export__canary_partial_path(&x->scratch, c->e->prompt,
		                                              c->partials[i].name)) < 0 ||
		    (error = write_file(tmp, x->scratch.ptr, &c->pcontent[i], &x->path)) < 0)
			return error;
	}
	return POPS_OK;
}

/* every file of the bundle, manifest.json last, into `tmp` */
static int write_bundle(pops_export__run *x, const char *tmp, const pops_buf *text)
{
	size_t i;
	int error;

	for (i = 0; !x->inline_text && i < x->l.n; i++)
		if (x->items[i].canary && (error = write_canary(x, tmp, x->items[i].canary)) < 0)
			return error;
	for (i = 0; !x->inline_text && i < x->l.n; i++)
		if ((error = write_file(tmp, x->items[i].file.ptr, &x->items[i].content, &x->path)) < 0)
			return error;
	for (i = 0; !x->inline_text && !x->yml && i < x->nparts; i++) {
		if ((error = pops_closure_partial_file(&x->scratch, x->parts[i].p->name)) < 0 ||
		    (error = write_file(tmp, x->scratch.ptr, &x->parts[i].content, &x->path)) < 0)
			return error;
	}
	if ((error = write_file(tmp, "manifest.json", text, &x->path)) < 0)
		return error;
	if (chmod(tmp, 0755) < 0)
		return pops_error_os(tmp);
	return POPS_OK;
}

int pops_export(pops_export_result *out, git_repository *repo, const pops_export_options *opts)
{
	pops_export__run x = { 0 };
	pops_export__old old = { 0 };
	pops_buf tmp = POPS_BUF_INIT, text = POPS_BUF_INIT;
	const char *env = opts->env;
	int error, made_tmp = 0;

	memset(out, 0, sizeof(*out));
	out->kept = (pops_buf)POPS_BUF_INIT;
	x.opts = opts;
	x.repo = repo;
	x.out = out;
	x.scratch = (pops_buf)POPS_BUF_INIT;
	x.path = (pops_buf)POPS_BUF_INIT;
	x.inline_text = opts->format == POPS_EXPORT_JSON;
	x.yml = opts->format == POPS_EXPORT_PROMPT_YML;
	if ((error = pops_release_tip(&out->ledger_commit, repo)) < 0) {
		if (error == POPS_ENOTFOUND)
			error = pops_error_set(POPS_ENOTFOUND, "nothing is released to %s", env);
		goto done;
	}
	if ((error = pops_release_list_entries(&x.l, repo, &out->ledger_commit, env)) < 0)
		goto done;
	if (!x.l.n) {
		error = pops_error_set(POPS_ENOTFOUND, "nothing is released to %s", env);
		goto done;
	}
	/* before anything is written: whatever is at `dir` must be ours to replace */
	if ((error = pops_export__check_dir(&old, opts->dir)) < 0)
		goto done;
	/* everything is read and checked before the first file is written */
	if ((error = read_release(&x)) < 0 || (error = pops_export__manifest(&text, &x)) < 0 ||
	    (error = make_tmp(&tmp, opts->dir)) < 0)
		goto done;
	made_tmp = 1;
	if ((error = write_bundle(&x, tmp.ptr, &text)) < 0 ||
	    (error = pops_export__replace(&out->kept, tmp.ptr, opts->dir, &old)) < 0)
		goto done;
	made_tmp = 0;
	out->count = x.l.n;
	out->npartials = x.yml ? 0 : x.nparts;
	out->ncanary = x.ncanary;
done:
	if (made_tmp)
		rm_tree(tmp.ptr);
	xrun_dispose(&x);
	pops_buf_dispose(&text);
	pops_buf_dispose(&tmp);
	pops_export__old_dispose(&old);
	return error;
}
