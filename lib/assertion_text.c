#define _GNU_SOURCE /* memmem */
#include "common.h"
#include "assertion_int.h"
#include "jsonschema.h"
#include "strutil.h"

/*
 * Searching the output as text: case folding, JSON inside the output,
 * and the list assertions promptfoo users bring (contains-any/-all,
 * icontains-any/-all, contains-json), and the json-path lookup and
 * one-line reasons the checks share. Split from assertion.c, which holds
 * the type table (compile and check of every other type).
 */

#define QUOTE_MAX 60

/* ASCII case folding by table: tolower() goes through the locale on every byte */
static unsigned char fold[256];

static void fold_init(void)
{
	int i;

	if (fold['A'])
		return;
	for (i = 0; i < 256; i++)
		fold[i] = (unsigned char)(i >= 'A' && i <= 'Z' ? i + 32 : i);
}

const char *pops_assert__memcasemem(const char *h, size_t hl, const char *n, size_t nl)
{
	const unsigned char *hp = (const unsigned char *)h, *np = (const unsigned char *)n;
	size_t i, j;
	unsigned char first;

	if (nl == 0)
		return h;
	if (nl > hl)
		return NULL;
	fold_init();
	first = fold[np[0]];
	for (i = 0; i + nl <= hl; i++) {
		if (fold[hp[i]] != first)
			continue;
		for (j = 1; j < nl; j++)
			if (fold[hp[i + j]] != fold[np[j]])
				break;
		if (j == nl)
			return h + i;
	}
	return NULL;
}

cJSON *pops_assert__parse_output_json(const char *s, size_t len)
{
	const char *e = s + len;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e - s > 6 && !strncmp(s, "```", 3) && !strncmp(e - 3, "```", 3)) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));

		if (nl && nl < e - 3) {
			s = nl + 1;
			e -= 3;
		}
	}
	return cJSON_ParseWithLength(s, (size_t)(e - s));
}

cJSON *pops_assert__list_value(const pops_assert *a, const cJSON *value)
{
	cJSON *list = cJSON_CreateArray();
	const cJSON *v;

	if (!list) {
		pops_error_oom();
		return NULL;
	}
	if (cJSON_IsString(value)) {
		/* promptfoo splits a string value at commas */
		const char *p = value->valuestring;

		while (*p) {
			size_t n = strcspn(p, ",");
			const char *s = p, *e = p + n;
			char *item;

			while (s < e && isspace((unsigned char)*s))
				s++;
			while (e > s && isspace((unsigned char)e[-1]))
				e--;
			if (e > s) {
				if (!(item = pops_strndup(s, (size_t)(e - s))))
					goto oom;
				cJSON_AddItemToArray(list, cJSON_CreateString(item));
				free(item);
			}
			p += n + (p[n] == ',');
		}
	} else if (cJSON_IsArray(value)) {
		cJSON_ArrayForEach(v, value) {
			char *t = cJSON_IsString(v) ? pops_strdup(v->valuestring) :
			          cJSON_IsNumber(v) || cJSON_IsBool(v) ? cJSON_PrintUnformatted(v) : NULL;

			if (!t) {
				cJSON_Delete(list);
				pops_error_set(POPS_EINVALID, "%s:%u: '%s' values must be strings",
				               a->file, a->line, a->name);
				return NULL;
			}
			cJSON_AddItemToArray(list, cJSON_CreateString(t));
			free(t);
		}
	}
	if (!cJSON_GetArraySize(list)) {
		cJSON_Delete(list);
		pops_error_set(POPS_EINVALID, "%s:%u: '%s' needs 'value': a list of strings "
		               "(or one string of comma-separated ones)", a->file, a->line, a->name);
		return NULL;
	}
	return list;
oom:
	cJSON_Delete(list);
	pops_error_oom();
	return NULL;
}

static void quote(pops_buf *b, const char *s)
{
	size_t len = strlen(s);

	pops_buf_putc(b, '\'');
	pops_buf_put_sanitized(b, s, len > QUOTE_MAX ? QUOTE_MAX : len, 0);
	if (len > QUOTE_MAX)
		pops_buf_puts(b, "...");
	pops_buf_putc(b, '\'');
}

/*
 * contains-json: some '{' or '[' of the output starts a JSON value (that
 * matches the schema, when there is one). Each start is tried once, and
 * cJSON stops at the end of the value, so prose around it is fine.
 */
static int check_contains_json(pops_assert_result *res, const pops_assert *a,
                               const char *out, size_t len, int *pass)
{
	pops_buf why = POPS_BUF_INIT;
	const char *p = out, *end = out + len, *stop;
	int found = 0, r, error = POPS_OK;

	*pass = 0;
	while (!*pass && p < end) {
		const char *o = memchr(p, '{', (size_t)(end - p)), *q = memchr(p, '[', (size_t)(end - p));
		cJSON *j;

		if (!o || (q && q < o))
			o = q;
		if (!o)
			break;
		j = cJSON_ParseWithLengthOpts(o, (size_t)(end - o), &stop, 0);
		p = o + 1;
		if (!j)
			continue;
		found = 1;
		if (!a->json) {
			*pass = 1;
		} else if ((r = pops_jsonschema_validate(a->json, j, &why)) < 0) {
			res->error = 1;
			pops_buf_printf(&res->reason, "%s:%u: %s", a->file, a->line, pops_error_last());
			cJSON_Delete(j);
			goto done;
		} else {
			*pass = r;
		}
		cJSON_Delete(j);
	}
	if (*pass == a->negate) {
		if (a->negate)
			pops_buf_puts(&res->reason, a->json ? "output contains JSON matching the schema" :
			              "output contains JSON");
		else if (!found)
			pops_buf_puts(&res->reason, "output contains no JSON");
		else
			pops_buf_printf(&res->reason, "no JSON in the output matches the schema "
			                "(last: %s)", why.ptr);
	}
done:
	pops_buf_dispose(&why);
	return error;
}

int pops_assert__check_text(pops_assert_result *res, const pops_assert *a,
                            const pops_assert_input *in, int *pass)
{
	const char *out = in->output ? in->output : "";
	size_t len = in->output ? in->len : 0;
	int icase = a->type == POPS_ASSERT_ICONTAINS_ANY || a->type == POPS_ASSERT_ICONTAINS_ALL;
	int all = a->type == POPS_ASSERT_CONTAINS_ALL || a->type == POPS_ASSERT_ICONTAINS_ALL;
	pops_buf item = POPS_BUF_INIT, missing = POPS_BUF_INIT, hit = POPS_BUF_INIT;
	const cJSON *v;
	int error = POPS_OK, nmissing = 0;

	if (a->type == POPS_ASSERT_CONTAINS_JSON)
		return check_contains_json(res, a, out, len, pass);
	*pass = all;
	cJSON_ArrayForEach(v, a->json) {
		int found;

		pops_buf_clear(&item);
		if (strstr(v->valuestring, "{{")) {
			if ((error = pops_assert_expand(&item, v->valuestring, in->scope)) < 0)
				goto done;
		} else {
			pops_buf_sets(&item, v->valuestring);
		}
		found = icase ? pops_assert__memcasemem(out, len, item.ptr, item.size) != NULL :
		        memmem(out, len, item.ptr, item.size) != NULL;
		if (found && !hit.size)
			quote(&hit, item.ptr);
		if (!found) {
			if (nmissing++)
				pops_buf_puts(&missing, ", ");
			quote(&missing, item.ptr);
		}
		if (all && !found)
			*pass = 0;
		if (!all && found)
			*pass = 1;
	}
	if (*pass == a->negate) {
		if (!a->negate && all)
			pops_buf_printf(&res->reason, "output does not contain %s", missing.ptr);
		else if (!a->negate)
			pops_buf_printf(&res->reason, "output contains none of %s", missing.ptr);
		else if (all)
			pops_buf_puts(&res->reason, "output contains every value");
		else
			pops_buf_printf(&res->reason, "output contains %s", hit.ptr);
		if (icase)
			pops_buf_puts(&res->reason, " (ignoring case)");
	}
done:
	pops_buf_dispose(&hit);
	pops_buf_dispose(&missing);
	pops_buf_dispose(&item);
	return error;
}

int pops_assert_one_line(pops_buf *reason)
{
	pops_buf b = POPS_BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < reason->size; i++) {
		unsigned char c = (unsigned char)reason->ptr[i];

		if (c == '\n')
			pops_buf_puts(&b, "\\n");
		else if (c == '\r')
			pops_buf_puts(&b, "\\r");
		else if (c == '\t')
			pops_buf_puts(&b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			pops_buf_printf(&b, "\\x%02x", c);
		else
			pops_buf_putc(&b, (char)c);
	}
	if (pops_buf_oom(&b))
		error = pops_error_oom();
	else
		pops_buf_sets(reason, b.ptr);
	pops_buf_dispose(&b);
	return error;
}

/* "$.a.b[0]", "a.b[0]", "$['k']" */
const cJSON *pops_assert__json_path(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	const char *p = path;

	if (*p == '$')
		p++;
	while (cur && *p) {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			p++;
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				const char *end = strchr(p, q);
				char *k;

				if (!end)
					return NULL;
				k = pops_strndup(p, (size_t)(end - p));
				cur = k ? cJSON_GetObjectItemCaseSensitive(cur, k) : NULL;
				free(k);
				p = end + 1;
			} else {
				char *end;
				long i = strtol(p, &end, 10);

				if (end == p)
					return NULL;
				if (i < 0)
					i += cJSON_GetArraySize(cur);
				cur = cJSON_IsArray(cur) && i >= 0 ? cJSON_GetArrayItem(cur, (int)i) : NULL;
				p = end;
			}
			if (*p != ']')
				return NULL;
			p++;
			continue;
		}
		{
			size_t n = strcspn(p, ".[");
			char *k = pops_strndup(p, n);

			cur = k && cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, k) : NULL;
			free(k);
			p += n;
		}
	}
	return cur;
}
