#include "common.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "assertion.h"

/*
 * Assertion values as templates: {{name}} and {{a.b}} from the case's
 * scope. Expanded when an output is checked, and checked for every row
 * before the run sends anything (pops_assert_check_scope).
 */

static const cJSON *lookup(const cJSON *scope, const char *name, size_t len)
{
	const cJSON *cur = scope;
	const char *p = name, *end = name + len;

	while (cur && p < end) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		size_t n = dot ? (size_t)(dot - p) : (size_t)(end - p);
		const cJSON *it = NULL;

		if (cJSON_IsObject(cur)) {
			cJSON_ArrayForEach(it, cur)
				if (strlen(it->string) == n && !memcmp(it->string, p, n))
					break;
		} else if (cJSON_IsArray(cur) && n > 0 && isdigit((unsigned char)*p)) {
			it = cJSON_GetArrayItem(cur, (int)strtol(p, NULL, 10));
		}
		cur = it;
		p += n + (dot ? 1 : 0);
	}
	return cur;
}

/*
 * The next {{tag}} at or after `p`: 1 with the name's bytes in
 * [*ns, *ne), the text before it ending at *open and the text after it
 * starting at *after; 0 when there is none.
 */
static int next_tag(const char *p, const char **open, const char **ns, const char **ne,
                    const char **after)
{
	const char *o = strstr(p, "{{"), *c, *s, *e;
	int triple;

	if (!o || !(c = strstr(o + 2, "}}")))
		return 0;
	s = o + 2;
	e = c;
	triple = *s == '{';
	if (triple)
		s++;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*open = o;
	*ns = s;
	*ne = e;
	*after = c + 2 + (triple && c[2] == '}');
	return 1;
}

int pops_assert_expand(pops_buf *out, const char *tmpl, const cJSON *scope)
{
	const char *p = tmpl, *open, *s, *e, *after;

	while (next_tag(p, &open, &s, &e, &after)) {
		const cJSON *v = scope ? lookup(scope, s, (size_t)(e - s)) : NULL;

		pops_buf_put(out, p, (size_t)(open - p));
		if (v && cJSON_IsString(v)) {
			pops_buf_puts(out, v->valuestring);
		} else if (v && !cJSON_IsNull(v)) {
			char *j = cJSON_PrintUnformatted(v);

			pops_buf_puts(out, j ? j : "");
			free(j);
		}
		p = after;
	}
	pops_buf_puts(out, p);
	return pops_buf_oom(out) ? pops_error_oom() : 0;
}

int pops_assert_check_scope(const pops_assert *a, const cJSON *scope)
{
	const char *p, *open, *s, *e, *after;
	pops_buf v = POPS_BUF_INIT;
	pcre2_code *re;
	int error = 0, ec;
	PCRE2_SIZE off;

	for (size_t i = 0; i < a->nset; i++)
		if ((error = pops_assert_check_scope(a->set[i], scope)) < 0)
			return error;
	if (!a->templated || !a->value)
		return 0;
	for (p = a->value; next_tag(p, &open, &s, &e, &after); p = after)
		if (!lookup(scope, s, (size_t)(e - s)))
			return pops_error_set(POPS_EINVALID, "'%s' value '%s' (%s:%u) reads '%.*s', which the row lacks",
			                      a->name, a->value, a->file, a->line, (int)(e - s), s);
	if (a->type != POPS_ASSERT_REGEX)
		return 0;
	if ((error = pops_assert_expand(&v, a->value, scope)) < 0)
		goto done;
	re = pcre2_compile((PCRE2_SPTR)v.ptr, PCRE2_ZERO_TERMINATED,
	                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		error = pops_error_set(POPS_EINVALID, "regex '%s' (%s:%u) becomes '%s', which is invalid: %s at offset %zu",
		                       a->value, a->file, a->line, v.ptr, (char *)msg, (size_t)off);
	}
	pcre2_code_free(re);
done:
	pops_buf_dispose(&v);
	return error;
}
