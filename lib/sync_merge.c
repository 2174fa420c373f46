/*
 * Three-way merge of flat trees for pull (lib/sync_int.h): the ledger's
 * paths must not conflict, evidence notes are united.
 */
#include "common.h"
#include "sync_int.h"
#include "git.h"
#include "strutil.h"

#include <cjson/cJSON.h>

typedef struct flat_entry {
	char *path;
	git_oid id;
	git_filemode_t mode;
} flat_entry;

typedef struct flat_tree {
	flat_entry *v;
	size_t n;
	int oom;
} flat_tree;

static void flat_dispose(flat_tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int flat_cb(const char *root, const git_tree_entry *te, void *payload)
{
	flat_tree *t = payload;
	flat_entry *v;
	pops_buf path = POPS_BUF_INIT;

	if (git_tree_entry_type(te) == GIT_OBJECT_TREE)
		return 0;
	if (!(v = realloc(t->v, (t->n + 1) * sizeof(*v)))) {
		t->oom = 1;
		return -1;
	}
	t->v = v;
	pops_buf_printf(&path, "%s%s", root, git_tree_entry_name(te));
	if (pops_buf_oom(&path)) {
		t->oom = 1;
		return -1;
	}
	v[t->n].path = pops_buf_detach(&path);
	git_oid_cpy(&v[t->n].id, git_tree_entry_id(te));
	v[t->n].mode = git_tree_entry_filemode(te);
	t->n++;
	return 0;
}

static int flat_cmp(const void *a, const void *b)
{
	return strcmp(((const flat_entry *)a)->path, ((const flat_entry *)b)->path);
}

static int flatten(flat_tree *out, git_repository *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if (!commit)
		return POPS_OK;
	if ((error = git_commit_lookup(&c, repo, commit)) < 0 ||
	    (error = git_commit_tree(&tree, c)) < 0) {
		error = pops_git_error(error, "cannot read a tree to merge");
		goto done;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, flat_cb, out) < 0 || out->oom) {
		error = pops_error_oom();
		goto done;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), flat_cmp);
	error = POPS_OK;
done:
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

static const flat_entry *flat_find(const flat_tree *t, const char *path)
{
	flat_entry key;

	key.path = (char *)path;
	return t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), flat_cmp) : NULL;
}

/* unite two evidence notes: every fingerprint from both, the newer result on a tie */
static int union_notes(git_oid *out, git_repository *repo, const git_oid *ours,
                       const git_oid *theirs)
{
	git_blob *a = NULL, *b = NULL;
	cJSON *da = NULL, *db = NULL, *ra, *rb, *it, *jt;
	char *text = NULL;
	int error = POPS_EREFUSED;

	if (git_blob_lookup(&a, repo, ours) < 0 || git_blob_lookup(&b, repo, theirs) < 0)
		goto done;
	da = cJSON_ParseWithLength(git_blob_rawcontent(a), (size_t)git_blob_rawsize(a));
	db = cJSON_ParseWithLength(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	ra = cJSON_GetObjectItemCaseSensitive(da, "results");
	rb = cJSON_GetObjectItemCaseSensitive(db, "results");
	if (!cJSON_IsArray(ra) || !cJSON_IsArray(rb))
		goto done;
	cJSON_ArrayForEach(it, rb) {
		const cJSON *fp = cJSON_GetObjectItemCaseSensitive(it, "fingerprint");
		int idx = 0, found = 0;

		cJSON_ArrayForEach(jt, ra) {
			const cJSON *fq = cJSON_GetObjectItemCaseSensitive(jt, "fingerprint");

			if (cJSON_IsString(fp) && cJSON_IsString(fq) &&
			    !strcmp(fp->valuestring, fq->valuestring)) {
				const cJSON *d1 = cJSON_GetObjectItemCaseSensitive(jt, "date");
				const cJSON *d2 = cJSON_GetObjectItemCaseSensitive(it, "date");

				found = 1;
				if (cJSON_IsString(d1) && cJSON_IsString(d2) &&
				    strcmp(d2->valuestring, d1->valuestring) > 0)
					cJSON_ReplaceItemInArray(ra, idx, cJSON_Duplicate(it, 1));
				break;
			}
			idx++;
		}
		if (!found)
			cJSON_AddItemToArray(ra, cJSON_Duplicate(it, 1));
	}
	if (!(text = cJSON_PrintUnformatted(da))) {
		error = pops_error_oom();
		goto done;
	}
	{
		pops_buf body = POPS_BUF_INIT;

		pops_buf_printf(&body, "%s\n", text);
		error = git_blob_create_from_buffer(out, repo, body.ptr, body.size) < 0 ?
		        pops_git_error(-1, "cannot write a merged note") : POPS_OK;
		pops_buf_dispose(&body);
	}
done:
	cJSON_free(text);
	cJSON_Delete(da);
	cJSON_Delete(db);
	git_blob_free(a);
	git_blob_free(b);
	return error;
}

static int oid_eq(const flat_entry *a, const flat_entry *b)
{
	if (!a || !b)
		return !a && !b;
	return git_oid_equal(&a->id, &b->id) && a->mode == b->mode;
}

/*
 * Merge `theirs` into `ours` relative to `base` (any may be NULL: empty).
 * The result tree goes to `out`. Ledger paths changed differently on both
 * sides are listed in `conflicts` and POPS_EREFUSED returned.
 */
int pops_sync__merge_trees(git_oid *out, pops_buf *conflicts, git_repository *repo,
                           const git_oid *base, const git_oid *ours, const git_oid *theirs,
                           enum pops_sync__merge_kind kind)
{
	flat_tree b, o, t;
	git_tree_update *upd = NULL;
	size_t nupd = 0, i, pass;
	git_commit *oc = NULL;
	git_tree *otree = NULL;
	int error;

	memset(&b, 0, sizeof(b));
	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	if ((error = flatten(&b, repo, base)) < 0 || (error = flatten(&o, repo, ours)) < 0 ||
	    (error = flatten(&t, repo, theirs)) < 0)
		goto done;
	if (!(upd = calloc(o.n + t.n + 1, sizeof(*upd)))) {
		error = pops_error_oom();
		goto done;
	}
	/* pass 0: paths in ours (and maybe theirs); pass 1: paths only in theirs or base */
	for (pass = 0; pass < 3; pass++) {
		const flat_tree *src = pass == 0 ? &o : pass == 1 ? &t : &b;

		for (i = 0; i < src->n; i++) {
			const char *path = src->v[i].path;
			const flat_entry *be = flat_find(&b, path), *oe = flat_find(&o, path),
			                 *te = flat_find(&t, path);

			if ((pass >= 1 && oe) || (pass == 2 && te))
				continue;   /* handled in an earlier pass */
			if (oid_eq(oe, te) || oid_eq(te, be))
				continue;   /* ours already right */
			if (oid_eq(oe, be)) {
				/* only theirs changed: take it */
				upd[nupd].action = te ? GIT_TREE_UPDATE_UPSERT : GIT_TREE_UPDATE_REMOVE;
				if (te) {
					git_oid_cpy(&upd[nupd].id, &te->id);
					upd[nupd].filemode = te->mode;
				}
				upd[nupd].path = path;
				nupd++;
				continue;
			}
			/* both changed it differently */
			if (kind == POPS_SYNC__NOTES && oe && te) {
				if ((error = union_notes(&upd[nupd].id, repo, &oe->id, &te->id)) < 0) {
					if (error == POPS_EREFUSED)
						pops_buf_printf(conflicts, "%snote %s", conflicts->size ? ", " : "", path);
					else
						goto done;
					continue;
				}
				upd[nupd].action = GIT_TREE_UPDATE_UPSERT;
				upd[nupd].filemode = GIT_FILEMODE_BLOB;
				upd[nupd].path = path;
				nupd++;
				continue;
			}
			if (pops_ends_with(path, ".json")) {
				pops_buf_printf(conflicts, "%s%.*s", conflicts->size ? ", " : "",
				                (int)(strlen(path) - 5), path);
			} else if (!pops_ends_with(path, ".prompt")) {
				pops_buf_printf(conflicts, "%s%s", conflicts->size ? ", " : "", path);
			}
		}
	}
	if (conflicts->size) {
		error = POPS_EREFUSED;
		goto done;
	}
	if (ours && ((error = git_commit_lookup(&oc, repo, ours)) < 0 ||
	             (error = git_commit_tree(&otree, oc)) < 0)) {
		error = pops_git_error(error, "cannot read the local tree");
		goto done;
	}
	if ((error = git_tree_create_updated(out, repo, otree, nupd, upd)) < 0) {
		error = pops_git_error(error, "cannot write the merged tree");
		goto done;
	}
	error = POPS_OK;
done:
	git_tree_free(otree);
	git_commit_free(oc);
	free(upd);
	flat_dispose(&t);
	flat_dispose(&o);
	flat_dispose(&b);
	return error;
}

/* bring `theirs` into local ref `ref`: create, fast-forward, keep, or merge */
