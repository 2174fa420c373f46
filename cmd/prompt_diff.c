#include "common.h"
#include "cmd.h"
#include "prompt.h"
#include "promptfile.h"
#include "repo.h"
#include "fileio.h"
#include "git.h"
#include "strutil.h"

#include <git2.h>

/*
 * `pops prompt diff`: a unified diff between two addresses with the
 * frontmatter changes summarised by key above it. Also a git external
 * diff driver (--git-external), so `git diff` in review shows the same.
 */

struct diff_opts {
	pops_strv args;
	int stat, json, word, evals, git_external;
};

POPS_CMD_OPTS_SIZE(prompt_diff, struct diff_opts);
#define O struct diff_opts
const pops_opt cmd_prompt_diff_opts[] = {
	OPT_BOOL(O, stat, "stat", "only count changed lines and frontmatter keys"),
	OPT_BOOL(O, json, "json", "print the comparison as JSON"),
	OPT_BOOL(O, word, "word", "mark changed words instead of whole lines"),
	OPT_BOOL(O, evals, "evals", "also compare the stored eval results of both versions"),
	OPT_BOOL(O, git_external, "git-external",
	         "run as git's external diff driver (arguments as git passes them)"),
	OPT_ARGS(O, args, "address",
	         "one or two addresses (default: work tree vs @latest)",
	         .complete = POPS_COMPLETE_ADDRESS),
	OPT_END
};
#undef O

/* one side of the comparison */
typedef struct side {
	char *label;          /* "summarize@3", "a/prompts/x.prompt" */
	const char *data;
	size_t len;
	pops_resolved *res;   /* when resolved from an address */
	pops_buf own;         /* when read from a file */
	int missing;          /* /dev/null side of an added or deleted file */
} side;

typedef struct differ {
	pops_ctx *ctx;
	struct diff_opts *opts;
	pops_repo *repo;
	pops_buf out;
	pops_buf patch;       /* hunks of the current pair */
	size_t adds, dels;
	cJSON *fm_changes;    /* array of {key, change, from, to} */
	/* --word: the removed and added lines of the current hunk */
	pops_buf old_block, new_block;
} differ;

static void side_dispose(side *s)
{
	free(s->label);
	pops_resolved_free(s->res);
	pops_buf_dispose(&s->own);
	memset(s, 0, sizeof(*s));
}

static const char *col(differ *d, const char *which)
{
	return d->opts->json ? "" : cmd_color(d->ctx, 1, which);
}

/* ---- frontmatter summary ---- */

static char *short_json(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (s && cJSON_IsString(v)) {
		free(s);
		s = pops_strdup(v->valuestring);
	}
	return s;
}

static void fm_change(differ *d, const char *key, const cJSON *a, const cJSON *b)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "key", key);
	cJSON_AddStringToObject(c, "change", !a ? "added" : !b ? "removed" : "changed");
	cJSON_AddItemToObject(c, "from", a ? cJSON_Duplicate(a, 1) : cJSON_CreateNull());
	cJSON_AddItemToObject(c, "to", b ? cJSON_Duplicate(b, 1) : cJSON_CreateNull());
	cJSON_AddItemToArray(d->fm_changes, c);
}

/* compare two frontmatter objects key by key; objects one level deeper */
static void fm_compare(differ *d, const cJSON *a, const cJSON *b, const char *prefix, int depth)
{
	const cJSON *x;
	pops_buf key = POPS_BUF_INIT;

	cJSON_ArrayForEach(x, a) {
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);

		pops_buf_clear(&key);
		pops_buf_printf(&key, "%s%s", prefix, x->string);
		if (y && cJSON_IsObject(x) && cJSON_IsObject(y) && depth < 3) {
			pops_buf_putc(&key, '.');
			fm_compare(d, x, y, key.ptr, depth + 1);
		} else if (!y || !cJSON_Compare(x, y, 1)) {
			fm_change(d, key.ptr, x, y);
		}
	}
	cJSON_ArrayForEach(x, b) {
		if (cJSON_GetObjectItemCaseSensitive(a, x->string))
			continue;
		pops_buf_clear(&key);
		pops_buf_printf(&key, "%s%s", prefix, x->string);
		fm_change(d, key.ptr, NULL, x);
	}
	pops_buf_dispose(&key);
}

static int fm_summary(differ *d, const side *a, const side *b)
{
	cJSON *fa = NULL, *fb = NULL;
	size_t off;
	int error;

	if ((a->missing ? ((fa = cJSON_CreateObject()) ? 0 : POPS_ERROR)
	                : pops_prompt_frontmatter(&fa, &off, a->data, a->len, a->label)) < 0 ||
	    (error = b->missing ? ((fb = cJSON_CreateObject()) ? 0 : POPS_ERROR)
	                        : pops_prompt_frontmatter(&fb, &off, b->data, b->len, b->label)) < 0) {
		/* a broken frontmatter is shown by the text diff; no summary */
		pops_error_clear();
		error = 0;
		goto done;
	}
	fm_compare(d, fa, fb, "", 0);
done:
	cJSON_Delete(fb);
	cJSON_Delete(fa);
	return error;
}

static void print_fm_summary(differ *d)
{
	const cJSON *c;

	if (!cJSON_GetArraySize(d->fm_changes))
		return;
	pops_buf_printf(&d->out, "%sfrontmatter:%s\n", col(d, "bold"), col(d, "reset"));
	cJSON_ArrayForEach(c, d->fm_changes) {
		const char *key = cJSON_GetObjectItemCaseSensitive(c, "key")->valuestring;
		const char *change = cJSON_GetObjectItemCaseSensitive(c, "change")->valuestring;
		char *from = short_json(cJSON_GetObjectItemCaseSensitive(c, "from"));
		char *to = short_json(cJSON_GetObjectItemCaseSensitive(c, "to"));
		pops_buf line = POPS_BUF_INIT;

		if (!strcmp(change, "added"))
			pops_buf_printf(&line, "  %s: added %s", key, to ? to : "?");
		else if (!strcmp(change, "removed"))
			pops_buf_printf(&line, "  %s: removed (was %s)", key, from ? from : "?");
		else
			pops_buf_printf(&line, "  %s: %s \xe2\x86\x92 %s", key, from ? from : "?",
			                to ? to : "?");
		pops_buf_puts(&d->out, col(d, "cyan"));
		pops_buf_put_sanitized(&d->out, line.ptr, line.size, 0);
		pops_buf_printf(&d->out, "%s\n", col(d, "reset"));
		pops_buf_dispose(&line);
		free(from);
		free(to);
	}
}

/* ---- text diff ---- */

static int is_word_char(int c)
{
	return !isspace(c);
}

/* split into alternating runs of word and space characters */
static size_t tokenize(const char *s, size_t len, size_t **starts)
{
	size_t n = 0, i = 0, cap = 16;
	size_t *v = malloc(cap * sizeof(*v));

	while (v && i < len) {
		int w = is_word_char((unsigned char)s[i]);

		if (n + 2 > cap) {
			size_t *nv = realloc(v, (cap *= 2) * sizeof(*v));

			if (!nv) {
				free(v);
				v = NULL;
				break;
			}
			v = nv;
		}
		v[n++] = i;
		while (i < len && is_word_char((unsigned char)s[i]) == w)
			i++;
	}
	if (v)
		v[n] = len;
	*starts = v;
	return v ? n : 0;
}

static int tok_eq(const char *a, const size_t *as, size_t i, const char *b, const size_t *bs,
                  size_t j)
{
	size_t la = as[i + 1] - as[i], lb = bs[j + 1] - bs[j];

	return la == lb && !memcmp(a + as[i], b + bs[j], la);
}

static void flush_words(differ *d, pops_buf *del, pops_buf *ins)
{
	if (del->size)
		pops_buf_printf(&d->patch, "%s[-%s-]%s", col(d, "red"), del->ptr, col(d, "reset"));
	if (ins->size)
		pops_buf_printf(&d->patch, "%s{+%s+}%s", col(d, "green"), ins->ptr, col(d, "reset"));
	pops_buf_clear(del);
	pops_buf_clear(ins);
}

/* word diff of one hunk's removed and added text, git's [-x-]{+y+} style */
static void word_diff(differ *d)
{
	const char *a = d->old_block.ptr, *b = d->new_block.ptr;
	size_t *as = NULL, *bs = NULL, na, nb, i, j;
	unsigned *lcs = NULL;
	pops_buf del = POPS_BUF_INIT, ins = POPS_BUF_INIT;

	na = tokenize(a, d->old_block.size, &as);
	nb = tokenize(b, d->new_block.size, &bs);
	if (!as || !bs || (na + 1) * (nb + 1) > POPS_DIFF_WORD_MAX_CELLS ||
	    !(lcs = calloc((na + 1) * (nb + 1), sizeof(*lcs)))) {
		/* too big to align word by word: show the blocks whole */
		if (d->old_block.size)
			pops_buf_printf(&d->patch, "%s[-%s-]%s", col(d, "red"), a, col(d, "reset"));
		if (d->new_block.size)
			pops_buf_printf(&d->patch, "%s{+%s+}%s", col(d, "green"), b, col(d, "reset"));
		goto done;
	}
	for (i = na; i-- > 0;)
		for (j = nb; j-- > 0;)
			lcs[i * (nb + 1) + j] = tok_eq(a, as, i, b, bs, j)
				? lcs[(i + 1) * (nb + 1) + j + 1] + 1
				: (lcs[(i + 1) * (nb + 1) + j] > lcs[i * (nb + 1) + j + 1]
				   ? lcs[(i + 1) * (nb + 1) + j] : lcs[i * (nb + 1) + j + 1]);
	/* walk the LCS table; a run of changed tokens is flushed as
	 * [-removed-]{+added+} when the next common token comes */
	for (i = 0, j = 0; i < na || j < nb;) {
		int keep = i < na && j < nb && tok_eq(a, as, i, b, bs, j);

		if (keep) {
			flush_words(d, &del, &ins);
			pops_buf_put(&d->patch, a + as[i], as[i + 1] - as[i]);
			i++, j++;
		} else if (i < na && (j == nb ||
		                      lcs[(i + 1) * (nb + 1) + j] >= lcs[i * (nb + 1) + j + 1])) {
			pops_buf_put(&del, a + as[i], as[i + 1] - as[i]);
			i++;
		} else {
			pops_buf_put(&ins, b + bs[j], bs[j + 1] - bs[j]);
			j++;
		}
	}
	flush_words(d, &del, &ins);
done:
	pops_buf_dispose(&ins);
	pops_buf_dispose(&del);
	free(lcs);
	free(bs);
	free(as);
	pops_buf_clear(&d->old_block);
	pops_buf_clear(&d->new_block);
}

static int hunk_cb(const git_diff_delta *delta, const git_diff_hunk *hunk, void *payload)
{
	differ *d = payload;

	(void)delta;
	if (d->opts->word && (d->old_block.size || d->new_block.size))
		word_diff(d);
	if (!d->opts->stat)
		pops_buf_printf(&d->patch, "%s%.*s%s", col(d, "cyan"), (int)hunk->header_len,
		                hunk->header, col(d, "reset"));
	return 0;
}

static int line_cb(const git_diff_delta *delta, const git_diff_hunk *hunk,
                   const git_diff_line *line, void *payload)
{
	differ *d = payload;
	const char *color = "";

	(void)delta;
	(void)hunk;
	if (line->origin == GIT_DIFF_LINE_ADDITION)
		d->adds++;
	else if (line->origin == GIT_DIFF_LINE_DELETION)
		d->dels++;
	if (d->opts->stat)
		return 0;
	if (d->opts->word) {
		if (line->origin == GIT_DIFF_LINE_ADDITION) {
			pops_buf_put(&d->new_block, line->content, line->content_len);
			return 0;
		}
		if (line->origin == GIT_DIFF_LINE_DELETION) {
			pops_buf_put(&d->old_block, line->content, line->content_len);
			return 0;
		}
		if (d->old_block.size || d->new_block.size)
			word_diff(d);
		if (line->origin == GIT_DIFF_LINE_CONTEXT)
			pops_buf_put(&d->patch, line->content, line->content_len);
		return 0;
	}
	switch (line->origin) {
	case GIT_DIFF_LINE_ADDITION: color = col(d, "green"); break;
	case GIT_DIFF_LINE_DELETION: color = col(d, "red"); break;
	default: break;
	}
	if (line->origin == GIT_DIFF_LINE_CONTEXT || line->origin == GIT_DIFF_LINE_ADDITION ||
	    line->origin == GIT_DIFF_LINE_DELETION) {
		pops_buf_printf(&d->patch, "%s%c", color, line->origin);
		pops_buf_put(&d->patch, line->content, line->content_len);
		if (*color) {
			/* keep the reset before the newline so pagers stay sane */
			if (d->patch.size && d->patch.ptr[d->patch.size - 1] == '\n') {
				pops_buf_truncate(&d->patch, d->patch.size - 1);
				pops_buf_printf(&d->patch, "%s\n", col(d, "reset"));
			} else {
				pops_buf_puts(&d->patch, col(d, "reset"));
			}
		}
	} else if (line->origin == GIT_DIFF_LINE_CONTEXT_EOFNL ||
	           line->origin == GIT_DIFF_LINE_ADD_EOFNL ||
	           line->origin == GIT_DIFF_LINE_DEL_EOFNL) {
		pops_buf_puts(&d->patch, "\n\\ No newline at end of file\n");
	}
	return 0;
}

static void side_json(cJSON *parent, const char *key, const side *s)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	char hex[GIT_OID_HEXSZ + 1];

	cJSON_AddStringToObject(o, "address", s->label);
	if (s->res) {
		if (s->res->version)
			cJSON_AddNumberToObject(o, "version", (double)s->res->version);
		else
			cJSON_AddNullToObject(o, "version");
		if (s->res->has_commit) {
			git_oid_tostr(hex, sizeof(hex), &s->res->commit);
			cJSON_AddStringToObject(o, "commit", hex);
		} else {
			cJSON_AddNullToObject(o, "commit");
		}
		git_oid_tostr(hex, sizeof(hex), &s->res->blob);
		cJSON_AddStringToObject(o, "blob", hex);
	}
}

/* diff a against b and append the result to d->out */
static int diff_pair(differ *d, side *a, side *b)
{
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
	int error;

	d->adds = d->dels = 0;
	pops_buf_clear(&d->patch);
	d->fm_changes = cJSON_CreateArray();
	POPS_CHECK_ALLOC(d->fm_changes);
	if ((error = fm_summary(d, a, b)) < 0)
		goto done;
	if (!d->opts->stat && !d->opts->json) {
		pops_buf_printf(&d->out, "%sdiff --pops %s %s%s\n", col(d, "bold"), a->label,
		                b->label, col(d, "reset"));
		print_fm_summary(d);
		pops_buf_printf(&d->out, "%s--- %s%s\n%s+++ %s%s\n", col(d, "bold"),
		                a->missing ? "/dev/null" : a->label, col(d, "reset"),
		                col(d, "bold"), b->missing ? "/dev/null" : b->label, col(d, "reset"));
	}
	dopts.flags |= GIT_DIFF_FORCE_TEXT;
	if (git_diff_buffers(a->data, a->len, NULL, b->data, b->len, NULL, &dopts,
	                      NULL, NULL, hunk_cb, line_cb, d) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot diff: %s",
		                       git_error_last() ? git_error_last()->message : "unknown");
		goto done;
	}
	if (d->opts->word && (d->old_block.size || d->new_block.size))
		word_diff(d);
	if (d->opts->stat) {
		size_t total = d->adds + d->dels, plus = d->adds, minus = d->dels, k;

		if (total > 50) {
			plus = (d->adds * 50 + total - 1) / total;
			minus = 50 - plus;
		}
		pops_buf_printf(&d->out, " %s | %zu ", b->missing ? a->label : b->label, total);
		pops_buf_puts(&d->out, col(d, "green"));
		for (k = 0; k < plus; k++)
			pops_buf_putc(&d->out, '+');
		pops_buf_printf(&d->out, "%s%s", col(d, "reset"), col(d, "red"));
		for (k = 0; k < minus; k++)
			pops_buf_putc(&d->out, '-');
		pops_buf_printf(&d->out, "%s\n %zu insertion%s(+), %zu deletion%s(-), "
		                "%d frontmatter key%s changed\n", col(d, "reset"),
		                d->adds, d->adds == 1 ? "" : "s", d->dels, d->dels == 1 ? "" : "s",
		                cJSON_GetArraySize(d->fm_changes),
		                cJSON_GetArraySize(d->fm_changes) == 1 ? "" : "s");
	}
	if (d->opts->json) {
		cJSON *root = cJSON_CreateObject(), *stat;
		char *text;

		cJSON_AddNumberToObject(root, "schema_version", 1);
		side_json(root, "a", a);
		side_json(root, "b", b);
		/* memcmp with a NULL side is undefined even for 0 bytes */
		cJSON_AddBoolToObject(root, "identical", a->len == b->len &&
		                      (!a->len || !memcmp(a->data, b->data, a->len)));
		cJSON_AddItemToObject(root, "frontmatter", d->fm_changes);
		d->fm_changes = NULL;
		stat = cJSON_AddObjectToObject(root, "stat");
		cJSON_AddNumberToObject(stat, "insertions", (double)d->adds);
		cJSON_AddNumberToObject(stat, "deletions", (double)d->dels);
		cJSON_AddStringToObject(root, "patch", d->patch.ptr);
		if (d->opts->evals)
			cmd_prompt_evals_json(pops_repo_git(d->repo), root, a->res, b->res);
		text = cJSON_Print(root);
		if (text)
			pops_buf_printf(&d->out, "%s\n", text);
		free(text);
		cJSON_Delete(root);
	} else {
		if (!d->opts->stat)
			pops_buf_put(&d->out, d->patch.ptr, d->patch.size);
		if (d->opts->evals && d->repo)
			cmd_prompt_evals_text(pops_repo_git(d->repo), &d->out, a->res, b->res,
			                      col(d, "bold"), col(d, "reset"));
	}
	error = pops_buf_oom(&d->out) ? pops_error_oom() : 0;
done:
	cJSON_Delete(d->fm_changes);
	d->fm_changes = NULL;
	return error;
}

static int resolve_side(side *s, pops_repo *repo, const char *address)
{
	int error = pops_repo_resolve(&s->res, repo, address);

	if (error < 0)
		return error;
	s->data = s->res->data;
	s->len = s->res->len;
	s->label = pops_strdup(address);
	return s->label ? 0 : pops_error_oom();
}

/* git's external diff: path old-file old-hex old-mode new-file new-hex new-mode */
static int git_external(differ *d)
{
	side a, b;
	const char **v = d->opts->args.v;
	int error = 0, ret;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.own = (pops_buf)POPS_BUF_INIT;
	b.own = (pops_buf)POPS_BUF_INIT;
	if (d->opts->args.n != 7 && d->opts->args.n != 9)
		return cmd_error(POPS_EXIT_USAGE, "--git-external takes the 7 arguments git passes "
		                 "(path old-file old-hex old-mode new-file new-hex new-mode), got %zu",
		                 d->opts->args.n);
	a.missing = !strcmp(v[1], "/dev/null");
	b.missing = !strcmp(v[4], "/dev/null");
	if ((!a.missing && (error = pops_file_read(&a.own, v[1], POPS_PROMPT_MAX_BYTES)) < 0) ||
	    (!b.missing && (error = pops_file_read(&b.own, v[4], POPS_PROMPT_MAX_BYTES)) < 0)) {
		ret = cmd_fail(error);
		goto done;
	}
	a.data = a.own.ptr;
	a.len = a.own.size;
	b.data = b.own.ptr;
	b.len = b.own.size;
	{
		pops_buf la = POPS_BUF_INIT, lb = POPS_BUF_INIT;

		pops_buf_printf(&la, "a/%s", v[0]);
		pops_buf_printf(&lb, "b/%s", d->opts->args.n == 9 ? v[7] : v[0]);
		a.label = pops_buf_detach(&la);
		b.label = pops_buf_detach(&lb);
	}
	if ((error = diff_pair(d, &a, &b)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	ret = cmd_prompt_write(d->out.ptr, d->out.size);
done:
	side_dispose(&b);
	side_dispose(&a);
	return ret;
}

int cmd_prompt_diff(pops_ctx *ctx, void *o)
{
	struct diff_opts *opts = o;
	differ d;
	pops_repo *repo = NULL;
	pops_prompt_list *list = NULL;
	side a, b;
	pops_buf addr = POPS_BUF_INIT;
	size_t i;
	int error, ret = POPS_EXIT_OK;

	memset(&d, 0, sizeof(d));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	d.ctx = ctx;
	d.opts = opts;
	d.out = (pops_buf)POPS_BUF_INIT;
	d.patch = (pops_buf)POPS_BUF_INIT;
	d.old_block = (pops_buf)POPS_BUF_INIT;
	d.new_block = (pops_buf)POPS_BUF_INIT;
	a.own = (pops_buf)POPS_BUF_INIT;
	b.own = (pops_buf)POPS_BUF_INIT;
	/* no NEEDS_CONFIG: as git's diff driver this runs without pops.yaml */
	if (pops_git_init() < 0)
		return cmd_fail(POPS_ERROR);
	if (opts->git_external) {
		ret = git_external(&d);
		goto done;
	}
	if (opts->args.n > 2) {
		ret = cmd_error(POPS_EXIT_USAGE, "give at most two addresses");
		goto done;
	}
	if ((error = pops_repo_open(&repo, NULL)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	d.repo = repo;
	if (opts->args.n == 0) {
		/* every prompt whose work tree file differs from @latest */
		if ((error = pops_repo_list(&list, repo)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		for (i = 0; i < list->n; i++) {
			const pops_prompt_info *p = &list->v[i];

			if (!p->modified || !p->in_worktree || !p->in_head)
				continue;
			pops_buf_clear(&addr);
			pops_buf_printf(&addr, "%s@latest", p->name);
			if ((error = resolve_side(&a, repo, addr.ptr)) < 0 ||
			    (error = resolve_side(&b, repo, p->name)) < 0 ||
			    (error = diff_pair(&d, &a, &b)) < 0) {
				ret = cmd_fail(error);
				goto done;
			}
			side_dispose(&a);
			side_dispose(&b);
		}
	} else {
		pops_address pa;

		if ((error = pops_address_parse(&pa, opts->args.v[0])) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
		if (opts->args.n == 1 && pa.kind == POPS_ADDR_WORKTREE) {
			/* `diff name`: what changed since the last version */
			pops_buf_printf(&addr, "%s@latest", pa.name);
			error = resolve_side(&a, repo, addr.ptr);
			if (!error)
				error = resolve_side(&b, repo, pa.name);
		} else {
			/* `diff name@N`: that version against the work tree */
			error = resolve_side(&a, repo, opts->args.v[0]);
			if (!error)
				error = resolve_side(&b, repo, opts->args.n == 2 ? opts->args.v[1] : pa.name);
		}
		pops_address_dispose(&pa);
		if (error < 0 || (error = diff_pair(&d, &a, &b)) < 0) {
			ret = cmd_fail(error);
			goto done;
		}
	}
	ret = cmd_prompt_write(d.out.ptr, d.out.size);
done:
	side_dispose(&b);
	side_dispose(&a);
	pops_prompt_list_free(list);
	pops_buf_dispose(&addr);
	pops_buf_dispose(&d.new_block);
	pops_buf_dispose(&d.old_block);
	pops_buf_dispose(&d.patch);
	pops_buf_dispose(&d.out);
	pops_repo_free(repo);
	pops_git_shutdown();
	return ret;
}
