#include "common.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <cjson/cJSON.h>
#include "redact.h"
#include "strutil.h"

/* Redaction (redact.h): named PCRE2 patterns -> [REDACTED:name]. */

enum { KIND_PLAIN, KIND_CARD, KIND_PHONE };

struct pattern {
	char *name;
	int kind;
	pcre2_code *re;
};

struct pops_redactor {
	struct pattern *v;
	size_t n;
	pcre2_match_data *md;
};

static const struct {
	const char *name;
	int kind;
	const char *re;
} builtins[] = {
	{ "email", KIND_PLAIN,
	  "[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\\.[A-Za-z]{2,}" },
	{ "card", KIND_CARD, "(?<![\\d.])\\d(?:[ -]?\\d){12,18}(?![\\d.])" },
	{ "phone", KIND_PHONE,
	  "(?<![\\w+.])(?!\\d{4}-\\d{2}-\\d{2}(?!\\d))(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,4}\\)[ .-]?)?\\d{2,4}(?:[ .-]?\\d{2,4}){1,4}(?![\\w.])" },
};

int pops_luhn_valid(const char *s, size_t len)
{
	int sum = 0, dbl = 0, digits = 0;
	size_t i = len;

	while (i-- > 0) {
		int d;

		if (s[i] < '0' || s[i] > '9')
			continue;
		d = s[i] - '0';
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
		dbl = !dbl;
		digits++;
	}
	return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

static size_t count_digits(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] >= '0' && s[i] <= '9';
	return n;
}

int pops_redactor_new(pops_redactor **out)
{
	POPS_CHECK_ALLOC((*out = calloc(1, sizeof(**out))));
	return 0;
}

size_t pops_redactor_count(const pops_redactor *rd)
{
	return rd->n;
}

static int valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static int add(pops_redactor *rd, const char *name, size_t nlen, int kind, const char *re)
{
	struct pattern *nv, *p;
	int code;
	PCRE2_SIZE off;

	if (!(nv = realloc(rd->v, (rd->n + 1) * sizeof(*nv))))
		return pops_error_oom();
	rd->v = nv;
	p = &nv[rd->n];
	p->kind = kind;
	p->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
	                      &code, &off, NULL);
	if (!p->re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		return pops_error_set(POPS_EINVALID, "--redact %.*s: bad regex at offset %zu: %s",
		                      (int)nlen, name, (size_t)off, (const char *)msg);
	}
	if (!(p->name = pops_strndup(name, nlen))) {
		pcre2_code_free(p->re);
		return pops_error_oom();
	}
	rd->n++;
	if (!rd->md && !(rd->md = pcre2_match_data_create(4, NULL)))
		return pops_error_oom();
	return 0;
}

int pops_redactor_add(pops_redactor *rd, const char *spec)
{
	const char *eq = strchr(spec, '=');
	size_t i;

	if (eq) {
		if (!valid_name(spec, (size_t)(eq - spec)))
			return pops_error_set(POPS_EINVALID,
			    "--redact '%s': the name before '=' must be letters, digits, '-' or '_'", spec);
		if (!eq[1])
			return pops_error_set(POPS_EINVALID, "--redact '%s': the regex is empty", spec);
		return add(rd, spec, (size_t)(eq - spec), KIND_PLAIN, eq + 1);
	}
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(spec, builtins[i].name))
			return add(rd, spec, strlen(spec), builtins[i].kind, builtins[i].re);
	return pops_error_set(POPS_EINVALID,
	    "--redact '%s': unknown pattern: use email, phone, card or NAME=REGEX", spec);
}

/* one pattern over `s` into `out`; 0 or POPS_ERROR */
static int apply(const pops_redactor *rd, const struct pattern *p, const char *s,
                 pops_buf *out, size_t *hits)
{
	size_t len = strlen(s), at = 0;

	pops_buf_clear(out);
	for (;;) {
		PCRE2_SIZE *ov;
		size_t b, e;
		int rc = pcre2_match(p->re, (PCRE2_SPTR)s, len, at, 0, rd->md, NULL);

		if (rc < 0) {
			if (rc != PCRE2_ERROR_NOMATCH)
				return pops_error_set(POPS_ERROR, "--redact %s: matching failed (%d)", p->name, rc);
			break;
		}
		ov = pcre2_get_ovector_pointer(rd->md);
		b = ov[0];
		e = ov[1];
		pops_buf_put(out, s + at, b - at);
		if ((p->kind == KIND_CARD && !pops_luhn_valid(s + b, e - b)) ||
		    (p->kind == KIND_PHONE && (count_digits(s + b, e - b) < 7 ||
		                               count_digits(s + b, e - b) > 15))) {
			pops_buf_put(out, s + b, e - b);
		} else {
			pops_buf_printf(out, "[REDACTED:%s]", p->name);
			if (hits)
				(*hits)++;
		}
		if (e == b) {   /* an empty match: step one character */
			if (e >= len)
				break;
			pops_buf_put(out, s + e, 1);
			e++;
		}
		at = e;
	}
	pops_buf_put(out, s + at, len - at);
	return pops_buf_oom(out) ? pops_error_oom() : 0;
}

static int run(const pops_redactor *rd, int cards, const char *s, pops_buf *cur, pops_buf *tmp,
               size_t *hits)
{
	size_t i;
	int error;

	for (i = 0; i < rd->n; i++) {
		if ((rd->v[i].kind == KIND_CARD) != cards)
			continue;
		if ((error = apply(rd, &rd->v[i], cur->size ? cur->ptr : s, tmp, hits)) < 0)
			return error;
		if ((error = pops_buf_set(cur, tmp->ptr, tmp->size)) < 0)
			return error;
	}
	return 0;
}

int pops_redact_text(const pops_redactor *rd, const char *s, char **out, size_t *hits)
{
	pops_buf cur = POPS_BUF_INIT, tmp = POPS_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = pops_buf_sets(&cur, s)) == 0 &&
	    (error = run(rd, 1, s, &cur, &tmp, hits)) == 0)
		error = run(rd, 0, s, &cur, &tmp, hits);
	pops_buf_dispose(&tmp);
	if (error == 0 && !(*out = cur.size ? pops_buf_detach(&cur) : pops_strdup("")))
		error = pops_error_oom();
	pops_buf_dispose(&cur);
	return error;
}

int pops_redact_json(const pops_redactor *rd, cJSON *v, size_t *hits)
{
	cJSON *it;
	char *s;
	int error;

	if (!v || rd->n == 0)
		return 0;
	if (cJSON_IsString(v)) {
		if ((error = pops_redact_text(rd, v->valuestring, &s, hits)) < 0)
			return error;
		if (!s)
			return pops_error_oom();
		if (strcmp(s, v->valuestring) && !cJSON_SetValuestring(v, s)) {
			free(s);
			return pops_error_oom();
		}
		free(s);
		return 0;
	}
	cJSON_ArrayForEach(it, v)
		if ((error = pops_redact_json(rd, it, hits)) < 0)
			return error;
	return 0;
}

void pops_redactor_free(pops_redactor *rd)
{
	size_t i;

	if (!rd)
		return;
	for (i = 0; i < rd->n; i++) {
		free(rd->v[i].name);
		pcre2_code_free(rd->v[i].re);
	}
	free(rd->v);
	pcre2_match_data_free(rd->md);
	free(rd);
}
