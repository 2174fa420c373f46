#include "common.h"
#include "promptfile.h"
#include "strutil.h"

/*
 * Rendering a parsed prompt: variables merged over input.default, checked
 * against input.schema, the template rendered to text with dotprompt's
 * markers, and the text cut into messages exactly as dotprompt's
 * toMessages() does (whitespace-only pieces dropped, history inserted).
 */

#define MARK "<<<dotprompt:"
#define MARK_LEN (sizeof(MARK) - 1)

static int oom(void)
{
	return pops_error_set(POPS_ERROR, "out of memory");
}

static int only_ws(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n\f\v", s[i]))
			return 0;
	return 1;
}

/*
 * Length of a role or history marker at s (up to and including ">>>"),
 * or 0: <<<dotprompt:role:[a-z]+( [^>]+)?>>> | <<<dotprompt:history>>>
 */
static size_t role_marker(const char *s, size_t n)
{
	size_t i = MARK_LEN, j;

	if (n < MARK_LEN || memcmp(s, MARK, MARK_LEN))
		return 0;
	if (n - i >= 10 && !memcmp(s + i, "history>>>", 10))
		return i + 10;
	if (n - i < 5 || memcmp(s + i, "role:", 5))
		return 0;
	i += 5;
	for (j = i; j < n && s[j] >= 'a' && s[j] <= 'z'; j++)
		;
	if (j == i)
		return 0;
	if (j < n && s[j] == ' ') {
		size_t k = j + 1;

		while (k < n && s[k] != '>')
			k++;
		if (k == j + 1)
			return 0;
		j = k;
	}
	return n - j >= 3 && !memcmp(s + j, ">>>", 3) ? j + 3 : 0;
}

/* <<<dotprompt:(media:url|section).*?>>> ('.' excludes newlines) */
static size_t part_marker(const char *s, size_t n)
{
	size_t i = MARK_LEN;

	if (n < MARK_LEN || memcmp(s, MARK, MARK_LEN))
		return 0;
	if (!(n - i >= 9 && !memcmp(s + i, "media:url", 9)) &&
	    !(n - i >= 7 && !memcmp(s + i, "section", 7)))
		return 0;
	for (; i + 3 <= n; i++) {
		if (s[i] == '\n' || s[i] == '\r')
			return 0;
		if (!memcmp(s + i, ">>>", 3))
			return i + 3;
	}
	return 0;
}

static char *word_dup(const char *s, size_t n, int idx)
{
	size_t i = 0, st;

	for (int w = 0; i <= n; w++) {
		st = i;
		while (i < n && s[i] != ' ')
			i++;
		if (w == idx)
			return pops_strndup(s + st, i - st);
		if (i >= n)
			break;
		i++;
	}
	return NULL;
}

static int add_part(cJSON *content, const char *s, size_t n)
{
	cJSON *part = cJSON_CreateObject();
	char *a = NULL, *b = NULL;

	if (!part)
		return oom();
	if (n >= MARK_LEN + 9 && !memcmp(s + MARK_LEN, "media:url", 9) && part_marker(s, n) == n) {
		cJSON *m = cJSON_AddObjectToObject(part, "media");

		a = word_dup(s, n - 3, 1);
		b = word_dup(s, n - 3, 2);
		cJSON_AddStringToObject(m, "url", a ? a : "undefined");
		if (b && *b)
			cJSON_AddStringToObject(m, "contentType", b);
	} else if (n >= MARK_LEN + 7 && !memcmp(s + MARK_LEN, "section", 7) && part_marker(s, n) == n) {
		cJSON *m = cJSON_AddObjectToObject(part, "metadata");

		a = word_dup(s, n - 3, 1);
		if (a)
			cJSON_AddStringToObject(m, "purpose", a);
		cJSON_AddTrueToObject(m, "pending");
	} else {
		char *t = pops_strndup(s, n);

		if (!t) {
			cJSON_Delete(part);
			return oom();
		}
		cJSON_AddStringToObject(part, "text", t);
		free(t);
	}
	free(a);
	free(b);
	cJSON_AddItemToArray(content, part);
	return POPS_OK;
}

/* toParts(): split by media/section markers, drop whitespace-only pieces */
static int to_parts(cJSON **out, const char *s, size_t n)
{
	cJSON *content = cJSON_CreateArray();
	size_t i = 0, start = 0, m;
	int error = POPS_OK;

	if (!content)
		return oom();
	while (i < n && !error) {
		const char *hit = i < n ? strstr(s + i, MARK) : NULL;

		if (!hit || (size_t)(hit - s) >= n)
			break;
		i = (size_t)(hit - s);
		if ((m = part_marker(s + i, n - i))) {
			if (i > start && !only_ws(s + start, i - start))
				error = add_part(content, s + start, i - start);
			if (!error)
				error = add_part(content, s + i, m);
			i += m;
			start = i;
		} else {
			i++;
		}
	}
	if (!error && n > start && !only_ws(s + start, n - start))
		error = add_part(content, s + start, n - start);
	if (error) {
		cJSON_Delete(content);
		return error;
	}
	*out = content;
	return POPS_OK;
}

typedef struct msrc {
	char *role;
	pops_buf src;
	cJSON *meta;      /* owned or NULL */
	cJSON *message;   /* a history message (owned) instead of src */
} msrc;

typedef struct msrcs {
	msrc *v;
	size_t n, a;
} msrcs;

static msrc *add_src(msrcs *l, const char *role, size_t rlen)
{
	msrc *m;

	if (l->n == l->a) {
		size_t na = l->a ? l->a * 2 : 8;
		msrc *nv = realloc(l->v, na * sizeof(*nv));

		if (!nv)
			return NULL;
		l->v = nv;
		l->a = na;
	}
	m = &l->v[l->n];
	memset(m, 0, sizeof(*m));
	m->src = (pops_buf)POPS_BUF_INIT;
	if (role && !(m->role = pops_strndup(role, rlen)))
		return NULL;
	l->n++;
	return m;
}

static int has_history(const cJSON *msgs)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, msgs) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(m, "metadata"), "purpose");

		if (cJSON_IsString(p) && !strcmp(p->valuestring, "history"))
			return 1;
	}
	return 0;
}

int pops_prompt_to_messages(cJSON **out, const char *s, size_t n, const cJSON *history)
{
	msrcs l = { NULL, 0, 0 };
	msrc *cur;
	cJSON *msgs = NULL;
	size_t i = 0, start = 0, m = 0;
	int error = POPS_OK;

	*out = NULL;
	if (!(cur = add_src(&l, "user", 4))) {
		error = oom();
		goto done;
	}
	for (;;) {
		const char *hit = strstr(s + i, MARK);
		size_t end = hit && (size_t)(hit - s) < n ? (size_t)(hit - s) : n;

		if (end < n && !(m = role_marker(s + end, n - end))) {
			i = end + 1;
			continue;
		}
		/* the piece before the marker */
		if (end > start && !only_ws(s + start, end - start))
			pops_buf_put(&l.v[l.n - 1].src, s + start, end - start);
		if (end >= n)
			break;
		cur = &l.v[l.n - 1];
		if (s[end + MARK_LEN] == 'h') {
			const cJSON *h;

			cJSON_ArrayForEach(h, history) {
				msrc *hm = add_src(&l, NULL, 0);
				cJSON *md;

				if (!hm || !(hm->message = cJSON_Duplicate(h, 1))) {
					error = oom();
					goto done;
				}
				md = cJSON_GetObjectItemCaseSensitive(hm->message, "metadata");
				if (!cJSON_IsObject(md)) {
					cJSON_DeleteItemFromObjectCaseSensitive(hm->message, "metadata");
					md = cJSON_AddObjectToObject(hm->message, "metadata");
				}
				cJSON_DeleteItemFromObjectCaseSensitive(md, "purpose");
				cJSON_AddStringToObject(md, "purpose", "history");
			}
			if (!add_src(&l, "model", 5)) {
				error = oom();
				goto done;
			}
		} else {
			const char *r = s + end + MARK_LEN + 5;
			size_t rl = 0, mend = end + m - 3;
			cJSON *md = NULL;

			while (r + rl < s + mend && r[rl] != ' ')
				rl++;
			if (r + rl < s + mend) {   /* key=value metadata */
				char *kv = pops_strndup(r + rl + 1, (size_t)(s + mend - r - rl - 1));
				char *save = kv;

				md = cJSON_CreateObject();
				while (kv && md && *kv) {
					char *sp = strchr(kv, ' '), *eq;

					if (sp)
						*sp = '\0';
					if ((eq = strchr(kv, '='))) {
						*eq = '\0';
						cJSON_DeleteItemFromObjectCaseSensitive(md, kv);
						cJSON_AddStringToObject(md, kv, eq + 1);
					}
					kv = sp ? sp + 1 : kv + strlen(kv);
				}
				free(save);
			}
			if ((cur->src.size && !only_ws(cur->src.ptr, cur->src.size))) {
				if (!(cur = add_src(&l, r, rl))) {
					cJSON_Delete(md);
					error = oom();
					goto done;
				}
				cur->meta = md;
			} else {
				free(cur->role);
				if (!(cur->role = pops_strndup(r, rl))) {
					cJSON_Delete(md);
					error = oom();
					goto done;
				}
				if (md && cur->meta) {
					cJSON *c;

					while ((c = md->child)) {
						cJSON_DetachItemViaPointer(md, c);
						cJSON_DeleteItemFromObjectCaseSensitive(cur->meta, c->string);
						cJSON_AddItemToObject(cur->meta, c->string, c);
					}
					cJSON_Delete(md);
				} else if (md) {
					cur->meta = md;
				}
			}
		}
		i = start = end + m;
	}
	/* messageSourcesToMessages */
	if (!(msgs = cJSON_CreateArray())) {
		error = oom();
		goto done;
	}
	for (i = 0; i < l.n; i++) {
		msrc *ms = &l.v[i];
		cJSON *msg, *content = NULL;

		if (ms->message) {
			cJSON_AddItemToArray(msgs, ms->message);
			ms->message = NULL;
			continue;
		}
		if (pops_buf_oom(&ms->src)) {
			error = oom();
			goto done;
		}
		if (!ms->src.size)
			continue;
		if ((error = to_parts(&content, ms->src.ptr, ms->src.size)) < 0)
			goto done;
		msg = cJSON_CreateObject();
		cJSON_AddStringToObject(msg, "role", ms->role);
		cJSON_AddItemToObject(msg, "content", content);
		if (ms->meta) {
			cJSON_AddItemToObject(msg, "metadata", ms->meta);
			ms->meta = NULL;
		}
		cJSON_AddItemToArray(msgs, msg);
	}
	/* insertHistory */
	if (cJSON_IsArray(history) && !has_history(msgs)) {
		cJSON *last = cJSON_GetArrayItem(msgs, cJSON_GetArraySize(msgs) - 1);
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(last, "role");
		const cJSON *h;
		int before_last = last && cJSON_IsString(role) && !strcmp(role->valuestring, "user");

		if (before_last)
			cJSON_DetachItemViaPointer(msgs, last);
		cJSON_ArrayForEach(h, history)
			cJSON_AddItemToArray(msgs, cJSON_Duplicate(h, 1));
		if (before_last)
			cJSON_AddItemToArray(msgs, last);
	}
	*out = msgs;
	msgs = NULL;
done:
	for (i = 0; i < l.n; i++) {
		free(l.v[i].role);
		pops_buf_dispose(&l.v[i].src);
		cJSON_Delete(l.v[i].meta);
		cJSON_Delete(l.v[i].message);
	}
	free(l.v);
	cJSON_Delete(msgs);
	return error;
}

/* {...defaults, ...vars} with references into both (no deep copy) */
static cJSON *merge_vars(const cJSON *defaults, const cJSON *vars)
{
	cJSON *m = cJSON_CreateObject();
	const cJSON *c;

	if (!m)
		return NULL;
	cJSON_ArrayForEach(c, defaults)
		if (!cJSON_GetObjectItemCaseSensitive(vars, c->string))
			cJSON_AddItemReferenceToObject(m, c->string, (cJSON *)c);
	cJSON_ArrayForEach(c, vars)
		cJSON_AddItemReferenceToObject(m, c->string, (cJSON *)c);
	return m;
}

int pops_prompt_render(cJSON **out, const pops_prompt *p, const cJSON *vars,
                       const pops_render_options *ro)
{
	static const pops_render_options defaults = POPS_RENDER_OPTIONS_INIT;
	const cJSON *def, *c;
	cJSON *input = NULL, *data = NULL, *md;
	pops_buf text = POPS_BUF_INIT;
	int error;

	*out = NULL;
	if (!ro)
		ro = &defaults;
	def = ro->defaults ? ro->defaults : pops_prompt_input_default(p);
	if (vars && !cJSON_IsObject(vars))
		return pops_error_set(POPS_EINVALID, "%s: variables must be an object (name: value)",
		                      pops_prompt_filename(p));
	if (!(input = merge_vars(def, vars)) || !(data = cJSON_CreateObject())) {
		error = oom();
		goto done;
	}
	if (!ro->no_validate && pops_prompt_input_schema(p) && (vars || def) &&
	    (error = pops_schema_validate(pops_prompt_input_schema(p), input, "input")) < 0) {
		pops_error_prefix(error, "%s: ", pops_prompt_filename(p));
		goto done;
	}
	cJSON_ArrayForEach(c, ro->context)
		cJSON_AddItemReferenceToObject(data, c->string, (cJSON *)c);
	if (!cJSON_GetObjectItemCaseSensitive(data, "metadata")) {
		md = cJSON_AddObjectToObject(data, "metadata");
		cJSON_AddItemReferenceToObject(md, "prompt", (cJSON *)pops_prompt_metadata(p));
		if (ro->history)
			cJSON_AddItemReferenceToObject(md, "messages", (cJSON *)ro->history);
	}
	text.limit = POPS_RENDER_MAX_BYTES;
	if ((error = pops_template_render(pops_prompt_template(p), input, data, &text)) < 0)
		goto done;
	error = pops_prompt_to_messages(out, text.ptr, text.size, ro->history);
done:
	pops_buf_dispose(&text);
	cJSON_Delete(data);
	cJSON_Delete(input);
	return error;
}

int pops_prompt_render_result(cJSON **out, const pops_prompt *p, const cJSON *vars,
                              const pops_render_options *ro)
{
	const cJSON *meta = pops_prompt_metadata(p), *v;
	cJSON *r = NULL, *msgs = NULL;
	int error;

	*out = NULL;
	if ((error = pops_prompt_render(&msgs, p, vars, ro)) < 0)
		return error;
	if (!(r = cJSON_CreateObject())) {
		cJSON_Delete(msgs);
		return oom();
	}
	cJSON_AddNumberToObject(r, "schema_version", 1);
	if ((v = cJSON_GetObjectItemCaseSensitive(meta, "name")))
		cJSON_AddItemToObject(r, "name", cJSON_Duplicate(v, 1));
	if ((v = cJSON_GetObjectItemCaseSensitive(meta, "variant")))
		cJSON_AddItemToObject(r, "variant", cJSON_Duplicate(v, 1));
	if (pops_prompt_model(p))
		cJSON_AddStringToObject(r, "model", pops_prompt_model(p));
	else
		cJSON_AddNullToObject(r, "model");
	cJSON_AddItemToObject(r, "config", cJSON_Duplicate(pops_prompt_config(p), 1));
	if ((v = cJSON_GetObjectItemCaseSensitive(meta, "output")))
		cJSON_AddItemToObject(r, "output", cJSON_Duplicate(v, 1));
	if ((v = cJSON_GetObjectItemCaseSensitive(meta, "tools")))
		cJSON_AddItemToObject(r, "tools", cJSON_Duplicate(v, 1));
	cJSON_AddItemToObject(r, "messages", msgs);
	*out = r;
	return POPS_OK;
}
