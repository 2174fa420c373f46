#include "common.h"
#include "promptfile.h"
#include "strutil.h"

/*
 * Rendering a parsed prompt: variables merged over input.default, checked
 * against input.schema, the template rendered to text with dotprompt's
 * markers, and the text cut into messages as dotprompt's toMessages()
 * does (whitespace-only pieces dropped, history inserted), but only at
 * the markers the helpers made (pops_template_render_marked): dotprompt
 * splits at any marker string, so a variable could inject messages.
 */

#define MARK "<<<dotprompt:"
#define MARK_LEN (sizeof(MARK) - 1)

static int only_ws(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n\f\v", s[i]))
			return 0;
	return 1;
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

/* a text part, or the part a media or section marker (`mk`) stands for */
static int add_part(cJSON *content, const char *s, size_t n, const pops_template_mark *mk)
{
	cJSON *part = cJSON_CreateObject();
	char *a = NULL, *b = NULL;

	POPS_CHECK_ALLOC(part);
	if (mk && mk->kind == POPS_MARK_MEDIA) {
		cJSON *m = cJSON_AddObjectToObject(part, "media");

		a = word_dup(s, n - 3, 1);
		b = word_dup(s, n - 3, 2);
		cJSON_AddStringToObject(m, "url", a ? a : "undefined");
		if (b && *b)
			cJSON_AddStringToObject(m, "contentType", b);
	} else if (mk) {
		cJSON *m = cJSON_AddObjectToObject(part, "metadata");

		a = word_dup(s, n - 3, 1);
		if (a)
			cJSON_AddStringToObject(m, "purpose", a);
		cJSON_AddTrueToObject(m, "pending");
	} else {
		char *t = pops_strndup(s, n);

		if (!t) {
			cJSON_Delete(part);
			return pops_error_oom();
		}
		cJSON_AddStringToObject(part, "text", t);
		free(t);
	}
	free(a);
	free(b);
	cJSON_AddItemToArray(content, part);
	return POPS_OK;
}

/*
 * toParts() over s[off, off + n): split at the media and section markers
 * the helpers made, drop whitespace-only pieces. Marker-like text that no
 * helper made stays text.
 */
static int to_parts(cJSON **out, const char *s, size_t off, size_t n,
                    const pops_template_marks *marks)
{
	cJSON *content = cJSON_CreateArray();
	size_t start = off, end = off + n;
	int error = POPS_OK;

	POPS_CHECK_ALLOC(content);
	for (size_t k = 0; k < marks->n && !error; k++) {
		const pops_template_mark *mk = &marks->v[k];

		if (mk->off < off || mk->off >= end ||
		    (mk->kind != POPS_MARK_MEDIA && mk->kind != POPS_MARK_SECTION))
			continue;
		if (mk->off > start && !only_ws(s + start, mk->off - start))
			error = add_part(content, s + start, mk->off - start, NULL);
		if (!error)
			error = add_part(content, s + mk->off, mk->len, mk);
		start = mk->off + mk->len;
	}
	if (!error && end > start && !only_ws(s + start, end - start))
		error = add_part(content, s + start, end - start, NULL);
	if (error) {
		cJSON_Delete(content);
		return error;
	}
	*out = content;
	return POPS_OK;
}

/*
 * A message in the making: its role and the one piece of text between two
 * role or history markers (a piece that is only whitespace is dropped, and
 * a role marker after text starts a new message, so there is never more
 * than one), or a history message.
 */
typedef struct msrc {
	char *role;
	size_t off, len;  /* len 0: no text */
	cJSON *message;   /* a history message (owned) instead of text */
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

static int add_history(msrcs *l, const cJSON *history)
{
	const cJSON *h;

	cJSON_ArrayForEach(h, history) {
		msrc *hm = add_src(l, NULL, 0);
		cJSON *md;

		if (!hm || !(hm->message = cJSON_Duplicate(h, 1)))
			return pops_error_oom();
		md = cJSON_GetObjectItemCaseSensitive(hm->message, "metadata");
		if (!cJSON_IsObject(md)) {
			cJSON_DeleteItemFromObjectCaseSensitive(hm->message, "metadata");
			md = cJSON_AddObjectToObject(hm->message, "metadata");
		}
		cJSON_DeleteItemFromObjectCaseSensitive(md, "purpose");
		cJSON_AddStringToObject(md, "purpose", "history");
	}
	return add_src(l, "model", 5) ? POPS_OK : pops_error_oom();
}

int pops_prompt_to_messages(cJSON **out, const char *s, size_t n,
                            const pops_template_marks *marks, const cJSON *history)
{
	static const pops_template_marks none = POPS_TEMPLATE_MARKS_INIT;
	msrcs l = { NULL, 0, 0 };
	msrc *cur;
	cJSON *msgs = NULL;
	size_t i, start = 0;
	int error = POPS_OK;

	*out = NULL;
	if (!marks)
		marks = &none;
	if (!add_src(&l, "user", 4)) {
		error = pops_error_oom();
		goto done;
	}
	for (size_t k = 0; k <= marks->n; k++) {
		const pops_template_mark *mk = k < marks->n ? &marks->v[k] : NULL;
		size_t end = mk ? mk->off : n;

		if (mk && mk->kind != POPS_MARK_ROLE && mk->kind != POPS_MARK_HISTORY)
			continue;
		assert(end >= start && end <= n && (!mk || mk->off + mk->len <= n));
		/* the piece before the marker */
		cur = &l.v[l.n - 1];
		if (end > start && !only_ws(s + start, end - start)) {
			cur->off = start;
			cur->len = end - start;
		}
		if (!mk)
			break;
		if (mk->kind == POPS_MARK_HISTORY) {
			if ((error = add_history(&l, history)) < 0)
				goto done;
		} else {
			/* <<<dotprompt:role:NAME>>>: the helper checked NAME */
			const char *r = s + mk->off + MARK_LEN + 5;
			size_t rl = mk->len - MARK_LEN - 5 - 3;

			if (cur->len) {
				if (!add_src(&l, r, rl)) {
					error = pops_error_oom();
					goto done;
				}
			} else {
				free(cur->role);
				if (!(cur->role = pops_strndup(r, rl))) {
					error = pops_error_oom();
					goto done;
				}
			}
		}
		start = mk->off + mk->len;
	}
	/* messageSourcesToMessages */
	if (!(msgs = cJSON_CreateArray())) {
		error = pops_error_oom();
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
		if (!ms->len)
			continue;
		if ((error = to_parts(&content, s, ms->off, ms->len, marks)) < 0)
			goto done;
		msg = cJSON_CreateObject();
		cJSON_AddStringToObject(msg, "role", ms->role);
		cJSON_AddItemToObject(msg, "content", content);
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

/*
 * Check the variables against the input schema, with each default the
 * schema lists and accepts. A default the schema would refuse (a field
 * it does not list, a wrong type) is rendered unchecked, as dotprompt
 * renders it, and a field with a default is never missing: defaults
 * are the file's business, never the caller's, and lint warns about
 * the bad ones (promptfile.c). 0 or POPS_EINVALID / POPS_ERROR.
 */
static int validate_input(const cJSON *schema, const cJSON *defaults, const cJSON *vars)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	cJSON *m = cJSON_CreateObject(), *s = NULL, *req;
	const cJSON *c, *prop;
	int error;

	POPS_CHECK_ALLOC(m);
	cJSON_ArrayForEach(c, defaults) {
		if (cJSON_GetObjectItemCaseSensitive(vars, c->string))
			continue;
		if ((prop = cJSON_GetObjectItemCaseSensitive(props, c->string)) &&
		    pops_schema_validate(prop, c, "input") == 0) {
			cJSON_AddItemReferenceToObject(m, c->string, (cJSON *)c);
			continue;
		}
		/* left out, so no longer required: a copy of the schema says so */
		if (!s && !(s = cJSON_Duplicate(schema, 1))) {
			error = pops_error_oom();
			goto done;
		}
		req = cJSON_GetObjectItemCaseSensitive(s, "required");
		for (int i = cJSON_GetArraySize(req) - 1; i >= 0; i--) {
			const char *r = cJSON_GetStringValue(cJSON_GetArrayItem(req, i));

			if (r && !strcmp(r, c->string))
				cJSON_DeleteItemFromArray(req, i);
		}
	}
	cJSON_ArrayForEach(c, vars)
		cJSON_AddItemReferenceToObject(m, c->string, (cJSON *)c);
	error = pops_schema_validate(s ? s : schema, m, "input");
done:
	cJSON_Delete(s);
	cJSON_Delete(m);
	return error;
}

int pops_prompt_render(cJSON **out, const pops_prompt *p, const cJSON *vars,
                       const pops_render_options *ro)
{
	static const pops_render_options defaults = POPS_RENDER_OPTIONS_INIT;
	const cJSON *def, *c;
	cJSON *input = NULL, *data = NULL, *md;
	pops_buf text = POPS_BUF_INIT;
	pops_template_marks marks = POPS_TEMPLATE_MARKS_INIT;
	int error;

	*out = NULL;
	if (!ro)
		ro = &defaults;
	def = ro->defaults ? ro->defaults : pops_prompt_input_default(p);
	if (vars && !cJSON_IsObject(vars))
		return pops_error_set(POPS_EINVALID, "%s: variables must be an object (name: value)",
		                      pops_prompt_filename(p));
	if (!(input = merge_vars(def, vars)) || !(data = cJSON_CreateObject())) {
		error = pops_error_oom();
		goto done;
	}
	if (!ro->no_validate && pops_prompt_input_schema(p) && (vars || def) &&
	    (error = validate_input(pops_prompt_input_schema(p), def, vars)) < 0) {
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
	if ((error = pops_template_render_marked(pops_prompt_template(p), input, data, &text,
	                                         &marks)) < 0)
		goto done;
	error = pops_prompt_to_messages(out, text.ptr, text.size, &marks, ro->history);
done:
	pops_template_marks_dispose(&marks);
	pops_buf_dispose(&text);
	cJSON_Delete(data);
	cJSON_Delete(input);
	return error;
}

int pops_prompt_result_head(cJSON **out, const pops_prompt *p)
{
	const cJSON *meta = pops_prompt_metadata(p), *v;
	cJSON *r;

	*out = NULL;
	POPS_CHECK_ALLOC(r = cJSON_CreateObject());
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
	*out = r;
	return POPS_OK;
}

int pops_prompt_render_result(cJSON **out, const pops_prompt *p, const cJSON *vars,
                              const pops_render_options *ro)
{
	cJSON *r = NULL, *msgs = NULL;
	int error;

	*out = NULL;
	if ((error = pops_prompt_render(&msgs, p, vars, ro)) < 0)
		return error;
	if ((error = pops_prompt_result_head(&r, p)) < 0) {
		cJSON_Delete(msgs);
		return error;
	}
	cJSON_AddItemToObject(r, "messages", msgs);
	*out = r;
	return POPS_OK;
}
