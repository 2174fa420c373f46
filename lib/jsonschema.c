#include "common.h"
#include <math.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "jsonschema.h"
#include "jsonget.h"

static int validate(const cJSON *s, const cJSON *v, pops_buf *path, pops_buf *why);

static const char *type_of(const cJSON *v)
{
	if (cJSON_IsNull(v)) return "null";
	if (cJSON_IsBool(v)) return "boolean";
	if (cJSON_IsNumber(v))
		return v->valuedouble == floor(v->valuedouble) && isfinite(v->valuedouble) ?
		       "integer" : "number";
	if (cJSON_IsString(v)) return "string";
	if (cJSON_IsArray(v)) return "array";
	return "object";
}

static int type_matches(const char *want, const cJSON *v)
{
	const char *have = type_of(v);

	if (!strcmp(want, have))
		return 1;
	return !strcmp(want, "number") && !strcmp(have, "integer");
}

static int fail(pops_buf *why, const pops_buf *path, const char *fmt, ...)
	POPS_PRINTF(3, 4);
static int fail(pops_buf *why, const pops_buf *path, const char *fmt, ...)
{
	va_list ap;

	pops_buf_clear(why);
	pops_buf_printf(why, "%s: ", path->size ? path->ptr : "$");
	va_start(ap, fmt);
	pops_buf_vprintf(why, fmt, ap);
	va_end(ap);
	return 0;
}

/* number of UTF-8 code points, which is what JSON Schema lengths count */
static size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int check_pattern(const char *pat, const char *str, pops_buf *why,
                         const pops_buf *path)
{
	pcre2_code *re;
	pcre2_match_data *md;
	int errcode, rc;
	PCRE2_SIZE off;

	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF |
	                   PCRE2_MATCH_INVALID_UTF, &errcode, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return pops_error_set(POPS_EINVALID, "invalid pattern '%s' in schema: %s at offset %zu",
		                      pat, (char *)msg, (size_t)off);
	}
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = md ? pcre2_match(re, (PCRE2_SPTR)str, strlen(str), 0, 0, md, NULL) : -1;
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	if (rc < 0)
		return fail(why, path, "string does not match pattern '%s'", pat);
	return 1;
}

static int with_path(const cJSON *s, const cJSON *v, pops_buf *path, pops_buf *why,
                     const char *key, int index)
{
	size_t keep = path->size;
	int r;

	if (!path->size)
		pops_buf_puts(path, "$");
	/* not printf: this runs for every member of every value validated */
	if (key) {
		pops_buf_putc(path, '.');
		pops_buf_puts(path, key);
	} else {
		pops_buf_printf(path, "[%d]", index);
	}
	r = validate(s, v, path, why);
	pops_buf_truncate(path, keep);
	return r;
}

/* each check below returns 1 when v passes it, 0 with *why set when it fails, <0 on error */

/* the keywords for any value: type, const, enum */
static int check_any(const cJSON *s, const cJSON *v, pops_buf *path, pops_buf *why)
{
	const cJSON *k, *it;

	if ((k = cJSON_GetObjectItemCaseSensitive(s, "type"))) {
		int ok = 0;

		if (cJSON_IsString(k))
			ok = type_matches(k->valuestring, v);
		else if (cJSON_IsArray(k)) {
			cJSON_ArrayForEach(it, k)
				if (cJSON_IsString(it) && type_matches(it->valuestring, v))
					ok = 1;
		}
		if (!ok)
			return fail(why, path, "expected %s, got %s",
			            cJSON_IsString(k) ? k->valuestring : "one of the listed types",
			            type_of(v));
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "const")) && !cJSON_Compare(k, v, 1))
		return fail(why, path, "value differs from const");
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "enum")) && cJSON_IsArray(k)) {
		int found = 0;

		cJSON_ArrayForEach(it, k)
			if (cJSON_Compare(it, v, 1))
				found = 1;
		if (!found)
			return fail(why, path, "value is not one of the enum values");
	}
	return 1;
}

/* the bounds of a number */
static int check_number(const cJSON *s, const cJSON *v, pops_buf *path, pops_buf *why)
{
	double d;

	if (pops_json_num_get(&d, s, "minimum") && v->valuedouble < d)
		return fail(why, path, "%g is below minimum %g", v->valuedouble, d);
	if (pops_json_num_get(&d, s, "maximum") && v->valuedouble > d)
		return fail(why, path, "%g is above maximum %g", v->valuedouble, d);
	if (pops_json_num_get(&d, s, "exclusiveMinimum") && v->valuedouble <= d)
		return fail(why, path, "%g is not above %g", v->valuedouble, d);
	if (pops_json_num_get(&d, s, "exclusiveMaximum") && v->valuedouble >= d)
		return fail(why, path, "%g is not below %g", v->valuedouble, d);
	return 1;
}

/* the length (in characters) and pattern of a string */
static int check_string(const cJSON *s, const cJSON *v, pops_buf *path, pops_buf *why)
{
	size_t len = utf8_len(v->valuestring);
	const cJSON *k;
	double d;

	if (pops_json_num_get(&d, s, "minLength") && (double)len < d)
		return fail(why, path, "string shorter than %g", d);
	if (pops_json_num_get(&d, s, "maxLength") && (double)len > d)
		return fail(why, path, "string longer than %g", d);
	k = cJSON_GetObjectItemCaseSensitive(s, "pattern");
	if (cJSON_IsString(k))
		return check_pattern(k->valuestring, v->valuestring, why, path);
	return 1;
}

/* the size of an array, and each item against "items" */
static int check_array(const cJSON *s, const cJSON *v, pops_buf *path, pops_buf *why)
{
	const cJSON *k, *it;
	int n = cJSON_GetArraySize(v), i = 0, r;
	double d;

	if (pops_json_num_get(&d, s, "minItems") && n < d)
		return fail(why, path, "fewer than %g items", d);
	if (pops_json_num_get(&d, s, "maxItems") && n > d)
		return fail(why, path, "more than %g items", d);
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "items"))) {
		cJSON_ArrayForEach(it, v) {
			if ((r = with_path(k, it, path, why, NULL, i++)) <= 0)
				return r;
		}
	}
	return 1;
}

/* the required properties of an object, and each property against its schema */
static int check_object(const cJSON *s, const cJSON *v, pops_buf *path, pops_buf *why)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
	const cJSON *addl = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
	const cJSON *k, *it;
	int r;

	if ((k = cJSON_GetObjectItemCaseSensitive(s, "required")) && cJSON_IsArray(k)) {
		cJSON_ArrayForEach(it, k)
			if (cJSON_IsString(it) &&
			    !cJSON_GetObjectItemCaseSensitive(v, it->valuestring))
				return fail(why, path, "missing required property '%s'",
				            it->valuestring);
	}
	cJSON_ArrayForEach(it, v) {
		const cJSON *ps = props ? cJSON_GetObjectItemCaseSensitive(props, it->string) : NULL;

		if (ps) {
			if ((r = with_path(ps, it, path, why, it->string, 0)) <= 0)
				return r;
		} else if (addl) {
			if (cJSON_IsFalse(addl))
				return fail(why, path, "property '%s' is not allowed", it->string);
			if ((r = with_path(addl, it, path, why, it->string, 0)) <= 0)
				return r;
		}
	}
	return 1;
}

/* how many schemas of the array k accept v, in *count: 0, or <0 on error */
static int count_matches(int *count, const cJSON *k, const cJSON *v, pops_buf *path, pops_buf *why)
{
	const cJSON *it;
	int r;

	*count = 0;
	cJSON_ArrayForEach(it, k) {
		if ((r = validate(it, v, path, why)) < 0)
			return r;
		*count += r;
	}
	return 0;
}

/* the combinators: allOf, anyOf, oneOf, not */
static int check_combinators(const cJSON *s, const cJSON *v, pops_buf *path, pops_buf *why)
{
	const cJSON *k, *it;
	int r, count;

	if ((k = cJSON_GetObjectItemCaseSensitive(s, "allOf")) && cJSON_IsArray(k)) {
		cJSON_ArrayForEach(it, k)
			if ((r = validate(it, v, path, why)) <= 0)
				return r;
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "anyOf")) && cJSON_IsArray(k)) {
		if ((r = count_matches(&count, k, v, path, why)) < 0)
			return r;
		if (!count)
			return fail(why, path, "value matches none of anyOf");
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "oneOf")) && cJSON_IsArray(k)) {
		if ((r = count_matches(&count, k, v, path, why)) < 0)
			return r;
		if (count != 1)
			return fail(why, path, "value matches %d of oneOf, expected exactly 1", count);
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(s, "not"))) {
		if ((r = validate(k, v, path, why)) < 0)
			return r;
		if (r)
			return fail(why, path, "value matches a 'not' schema");
	}
	return 1;
}

static int validate(const cJSON *s, const cJSON *v, pops_buf *path, pops_buf *why)
{
	int r;

	if (cJSON_IsBool(s))
		return cJSON_IsTrue(s) ? 1 : fail(why, path, "no value is allowed here");
	if (!cJSON_IsObject(s))
		return pops_error_set(POPS_EINVALID, "a JSON schema must be an object or a boolean");
	if ((r = check_any(s, v, path, why)) <= 0)
		return r;
	if (cJSON_IsNumber(v) && (r = check_number(s, v, path, why)) <= 0)
		return r;
	if (cJSON_IsString(v) && (r = check_string(s, v, path, why)) <= 0)
		return r;
	if (cJSON_IsArray(v) && (r = check_array(s, v, path, why)) <= 0)
		return r;
	if (cJSON_IsObject(v) && (r = check_object(s, v, path, why)) <= 0)
		return r;
	return check_combinators(s, v, path, why);
}

int pops_jsonschema_validate(const cJSON *schema, const cJSON *instance,
                             pops_buf *why)
{
	pops_buf path = POPS_BUF_INIT;
	int r = validate(schema, instance, &path, why);

	pops_buf_dispose(&path);
	return r;
}
