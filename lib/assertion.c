#define _GNU_SOURCE /* memmem */
#include "common.h"
#include <math.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "assertion.h"
#include "assertion_int.h"
#include "jsonschema.h"
#include "strutil.h"


#define EXEC_DEFAULT_TIMEOUT_MS 10000
#define QUOTE_MAX 60

static const struct {
	const char *name;
	pops_assert_type type;
	int negatable;
} types[] = {
	{ "equals", POPS_ASSERT_EQUALS, 1 },
	{ "contains", POPS_ASSERT_CONTAINS, 1 },
	{ "icontains", POPS_ASSERT_ICONTAINS, 1 },
	{ "starts-with", POPS_ASSERT_STARTS_WITH, 1 },
	{ "regex", POPS_ASSERT_REGEX, 1 },
	{ "is-json", POPS_ASSERT_IS_JSON, 1 },
	{ "json-schema", POPS_ASSERT_JSON_SCHEMA, 1 },
	{ "json-path", POPS_ASSERT_JSON_PATH, 1 },
	{ "length", POPS_ASSERT_LENGTH, 0 },
	{ "levenshtein", POPS_ASSERT_LEVENSHTEIN, 0 },
	{ "latency-ms", POPS_ASSERT_LATENCY, 0 },
	{ "cost", POPS_ASSERT_COST, 0 },
	{ "exec", POPS_ASSERT_EXEC, 0 },
	{ "judge", POPS_ASSERT_JUDGE, 0 },
	{ "pairwise", POPS_ASSERT_PAIRWISE, 0 },
	{ "contains-any", POPS_ASSERT_CONTAINS_ANY, 1 },
	{ "contains-all", POPS_ASSERT_CONTAINS_ALL, 1 },
	{ "icontains-any", POPS_ASSERT_ICONTAINS_ANY, 1 },
	{ "icontains-all", POPS_ASSERT_ICONTAINS_ALL, 1 },
	{ "contains-json", POPS_ASSERT_CONTAINS_JSON, 1 },
};

static const char *const all_names[] = {
	"equals", "contains", "icontains", "starts-with", "regex", "is-json",
	"json-schema", "json-path", "length", "levenshtein", "latency-ms", "cost",
	"exec", "judge", "pairwise", "not-equals", "not-contains", "not-icontains",
	"not-starts-with", "not-regex", "not-is-json", "not-json-schema",
	"not-json-path", "contains-any", "contains-all", "icontains-any", "icontains-all",
	"contains-json", "not-contains-any", "not-contains-all", "not-icontains-any",
	"not-icontains-all", "not-contains-json", NULL
};

static const char *const keys[] = {
	"type", "value", "weight", "threshold", "min", "max", "path", "command",
	"timeout", "model", "rubric", "prompt", "pass_score", "allow_self_judge",
	"require", "description", NULL
};

static int find_type(const char *name, pops_assert_type *t, int *negate)
{
	size_t i;

	*negate = 0;
	if (!strncmp(name, "not-", 4)) {
		*negate = 1;
		name += 4;
	}
	for (i = 0; i < POPS_ARRAY_SIZE(types); i++)
		if (!strcmp(types[i].name, name)) {
			if (*negate && !types[i].negatable)
				return 0;
			*t = types[i].type;
			return 1;
		}
	return 0;
}

int pops_assert_type_known(const char *type)
{
	pops_assert_type t;
	int neg;

	return find_type(type, &t, &neg);
}

int pops_assert_needs_model(const pops_assert *a)
{
	return a->type == POPS_ASSERT_JUDGE || a->type == POPS_ASSERT_PAIRWISE;
}

void pops_assert_free(pops_assert *a)
{
	size_t i;

	if (!a)
		return;
	free(a->name);
	free(a->value);
	cJSON_Delete(a->json);
	free(a->path);
	if (a->argv)
		for (i = 0; a->argv[i]; i++)
			free(a->argv[i]);
	free(a->argv);
	free(a->model);
	free(a->rubric);
	free(a->prompt);
	pcre2_match_data_free(a->md);
	pcre2_code_free(a->re);
	free(a->file);
	free(a);
}

static int compile_regex(const pops_assert *a, const char *pattern, pcre2_code **re_out)
{
	int errcode;
	PCRE2_SIZE off;
	pcre2_code *re;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errcode, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		return pops_error_set(POPS_EINVALID, "%s:%u: invalid regex '%s': %s at offset %zu",
		                      a->file, a->line, pattern, (char *)msg, (size_t)off);
	}
	/* JIT is an optimisation: a platform without it still matches */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	*re_out = re;
	return 0;
}

static const char *str_key(const cJSON *node, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(node, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

#define BAD(...) do { error = pops_error_set(POPS_EINVALID, __VA_ARGS__); goto done; } while (0)

int pops_assert_compile(pops_assert **out, const cJSON *node, const char *file,
                        unsigned line)
{
	pops_assert *a = NULL;
	const cJSON *it, *type, *value;
	int error = 0;

	*out = NULL;
	if (!(a = calloc(1, sizeof(*a))) || !(a->file = pops_strdup(file)))
		BAD("out of memory");
	a->line = line;
	a->weight = 1.0;
	a->min = a->max = -1;
	a->timeout_ms = EXEC_DEFAULT_TIMEOUT_MS;
	if (!cJSON_IsObject(node))
		BAD("%s:%u: an assertion must be a mapping with a 'type'", file, line);
	cJSON_ArrayForEach(it, node) {
		size_t i;
		int known = 0;

		for (i = 0; keys[i]; i++)
			if (!strcmp(keys[i], it->string))
				known = 1;
		if (!known) {
			const char *s = pops_suggest(it->string, keys, 2);

			BAD("%s:%u: unknown assertion key '%s'%s%s%s", file, line, it->string,
			    s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
		}
	}
	type = cJSON_GetObjectItemCaseSensitive(node, "type");
	if (!cJSON_IsString(type))
		BAD("%s:%u: assertion has no 'type'", file, line);
	if (!find_type(type->valuestring, &a->type, &a->negate)) {
		const char *s = pops_suggest(type->valuestring, all_names, 2);

		BAD("%s:%u: unknown assertion type '%s'%s%s%s", file, line, type->valuestring,
		    s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
	}
	if (!(a->name = pops_strdup(type->valuestring)))
		BAD("out of memory");
	value = cJSON_GetObjectItemCaseSensitive(node, "value");
	if (a->type >= POPS_ASSERT_CONTAINS_ANY && a->type <= POPS_ASSERT_ICONTAINS_ALL) {
		/* a list, each item a template; `json` holds it */
		if (!(a->json = pops_assert__list_value(a, value))) {
			error = POPS_EINVALID;
			goto done;
		}
	} else if (a->type == POPS_ASSERT_CONTAINS_JSON) {
		/* an optional JSON Schema the JSON found must match */
		if (value && !cJSON_IsNull(value) && !cJSON_IsObject(value) && !cJSON_IsBool(value))
			BAD("%s:%u: 'contains-json' takes an optional JSON Schema as 'value'", file, line);
		if (value && !cJSON_IsNull(value) && !(a->json = cJSON_Duplicate(value, 1)))
			BAD("out of memory");
	} else if (cJSON_IsString(value)) {
		if (!(a->value = pops_strdup(value->valuestring)))
			BAD("out of memory");
		a->templated = strstr(a->value, "{{") != NULL;
	} else if (value && (a->type == POPS_ASSERT_EQUALS || a->type == POPS_ASSERT_JSON_PATH ||
	                     a->type == POPS_ASSERT_JSON_SCHEMA)) {
		if (!(a->json = cJSON_Duplicate(value, 1)))
			BAD("out of memory");
	} else if (value && !cJSON_IsNull(value)) {
		if (cJSON_IsNumber(value) && (a->type == POPS_ASSERT_LATENCY ||
		                               a->type == POPS_ASSERT_COST)) {
			a->threshold = value->valuedouble;
		} else {
			BAD("%s:%u: '%s' needs a string 'value'", file, line, a->name);
		}
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(node, "weight"))) {
		if (!cJSON_IsNumber(it) || it->valuedouble < 0)
			BAD("%s:%u: 'weight' must be a number >= 0", file, line);
		a->weight = it->valuedouble;
	}
	if (a->type != POPS_ASSERT_PAIRWISE && cJSON_GetObjectItemCaseSensitive(node, "require"))
		BAD("%s:%u: 'require' is for 'pairwise' only", file, line);
	switch (a->type) {
	case POPS_ASSERT_EQUALS: case POPS_ASSERT_CONTAINS: case POPS_ASSERT_ICONTAINS:
	case POPS_ASSERT_STARTS_WITH: case POPS_ASSERT_REGEX: case POPS_ASSERT_LEVENSHTEIN:
		if (!a->value && !a->json)
			BAD("%s:%u: '%s' needs a 'value'", file, line, a->name);
		if (a->type == POPS_ASSERT_REGEX && !a->templated) {
			pcre2_code *re = NULL;

			if ((error = compile_regex(a, a->value, &re)) < 0)
				goto done;
			a->re = re;
			if (!(a->md = pcre2_match_data_create_from_pattern(re, NULL)))
				BAD("out of memory");
		}
		if (a->type == POPS_ASSERT_LEVENSHTEIN) {
			it = cJSON_GetObjectItemCaseSensitive(node, "threshold");
			if (!cJSON_IsNumber(it) || it->valuedouble < 0)
				BAD("%s:%u: 'levenshtein' needs 'threshold' (the most edits allowed)", file, line);
			a->threshold = it->valuedouble;
		}
		break;
	case POPS_ASSERT_JSON_SCHEMA:
		if (!cJSON_IsObject(a->json) && !cJSON_IsBool(a->json))
			BAD("%s:%u: 'json-schema' needs the schema as 'value'", file, line);
		break;
	case POPS_ASSERT_JSON_PATH:
		if (!str_key(node, "path"))
			BAD("%s:%u: 'json-path' needs a 'path' such as '$.items[0].name'", file, line);
		if (!(a->path = pops_strdup(str_key(node, "path"))))
			BAD("out of memory");
		break;
	case POPS_ASSERT_LENGTH: {
		const cJSON *mn = cJSON_GetObjectItemCaseSensitive(node, "min");
		const cJSON *mx = cJSON_GetObjectItemCaseSensitive(node, "max");

		if ((mn && (!cJSON_IsNumber(mn) || mn->valuedouble < 0)) ||
		    (mx && (!cJSON_IsNumber(mx) || mx->valuedouble < 0)) || (!mn && !mx))
			BAD("%s:%u: 'length' needs 'min' and/or 'max' (numbers >= 0)", file, line);
		a->min = mn ? (long)mn->valuedouble : -1;
		a->max = mx ? (long)mx->valuedouble : -1;
		break;
	}
	case POPS_ASSERT_LATENCY: case POPS_ASSERT_COST:
		it = cJSON_GetObjectItemCaseSensitive(node, "threshold");
		if (it && cJSON_IsNumber(it))
			a->threshold = it->valuedouble;
		else if (!cJSON_IsNumber(value))
			BAD("%s:%u: '%s' needs 'threshold' (the ceiling)", file, line, a->name);
		if (a->threshold < 0)
			BAD("%s:%u: '%s' threshold must be >= 0", file, line, a->name);
		break;
	case POPS_ASSERT_EXEC: {
		const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(node, "command");
		size_t n = 0, i = 0;

		if (cJSON_IsString(cmd) && cmd->valuestring[0])
			n = 1;
		else if (cJSON_IsArray(cmd) && cJSON_GetArraySize(cmd) > 0) {
			cJSON_ArrayForEach(it, cmd)
				if (!cJSON_IsString(it))
					BAD("%s:%u: 'exec' command must be a list of strings", file, line);
			n = (size_t)cJSON_GetArraySize(cmd);
		} else
			BAD("%s:%u: 'exec' needs 'command': a list like [python3, check.py]", file, line);
		if (!(a->argv = calloc(n + 1, sizeof(*a->argv))))
			BAD("out of memory");
		if (cJSON_IsString(cmd))
			a->argv[i++] = pops_strdup(cmd->valuestring);
		else
			cJSON_ArrayForEach(it, cmd)
				a->argv[i++] = pops_strdup(it->valuestring);
		for (i = 0; i < n; i++)
			if (!a->argv[i])
				BAD("out of memory");
		it = cJSON_GetObjectItemCaseSensitive(node, "timeout");
		if (it) {
			if (!cJSON_IsNumber(it) || it->valuedouble <= 0)
				BAD("%s:%u: 'timeout' must be seconds > 0", file, line);
			a->timeout_ms = (long)(it->valuedouble * 1000.0);
		}
		break;
	}
	case POPS_ASSERT_JUDGE: case POPS_ASSERT_PAIRWISE:
		if (!str_key(node, "model"))
			BAD("%s:%u: '%s' needs 'model': the alias of the judge model", file, line, a->name);
		if (a->type == POPS_ASSERT_JUDGE && !str_key(node, "rubric"))
			BAD("%s:%u: 'judge' needs a 'rubric'", file, line);
		a->model = pops_strdup(str_key(node, "model"));
		a->rubric = pops_strdup(str_key(node, "rubric") ? str_key(node, "rubric") :
		                        "Which response better follows the instructions?");
		if (!a->model || !a->rubric)
			BAD("out of memory");
		if (str_key(node, "prompt") && !(a->prompt = pops_strdup(str_key(node, "prompt"))))
			BAD("out of memory");
		it = cJSON_GetObjectItemCaseSensitive(node, "pass_score");
		if (it) {
			if (!cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 5)
				BAD("%s:%u: 'pass_score' must be 1-5", file, line);
			a->pass_score = (int)it->valuedouble;
		}
		it = cJSON_GetObjectItemCaseSensitive(node, "allow_self_judge");
		a->allow_self_judge = cJSON_IsTrue(it);
		if (a->type == POPS_ASSERT_PAIRWISE && a->pass_score)
			BAD("%s:%u: 'pairwise' has no 'pass_score': it passes on a win or a tie ('require: win' for wins only)",
			    file, line);
		if ((it = cJSON_GetObjectItemCaseSensitive(node, "require")) &&
		    (a->type != POPS_ASSERT_PAIRWISE || !cJSON_IsString(it) ||
		     (strcmp(it->valuestring, "win") && strcmp(it->valuestring, "win-or-tie"))))
			BAD("%s:%u: 'require' is for 'pairwise' only: 'win' or 'win-or-tie'", file, line);
		a->require_win = it && !strcmp(it->valuestring, "win");
		break;
	case POPS_ASSERT_IS_JSON: case POPS_ASSERT_CONTAINS_ANY: case POPS_ASSERT_CONTAINS_ALL:
	case POPS_ASSERT_ICONTAINS_ANY: case POPS_ASSERT_ICONTAINS_ALL:
	case POPS_ASSERT_CONTAINS_JSON:
		break;
	}
done:
	if (error < 0)
		pops_assert_free(a);
	else
		*out = a;
	return error;
}

#undef BAD

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
		error = pops_error_set(POPS_ERROR, "out of memory");
	else
		pops_buf_sets(reason, b.ptr);
	pops_buf_dispose(&b);
	return error;
}

/* ---- checks ---- */

static void quote(pops_buf *b, const char *s, size_t len)
{
	pops_buf_putc(b, '\'');
	pops_buf_put_sanitized(b, s, len > QUOTE_MAX ? QUOTE_MAX : len, 0);
	if (len > QUOTE_MAX)
		pops_buf_puts(b, "...");
	pops_buf_putc(b, '\'');
}

/* "$.a.b[0]", "a.b[0]", "$['k']" */
static const cJSON *json_path(const cJSON *root, const char *path)
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

static size_t utf8_count(const char *s, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

int pops_assert_check(pops_assert_result *res, const pops_assert *a,
                      const pops_assert_input *in)
{
	pops_buf tv = POPS_BUF_INIT, why = POPS_BUF_INIT;
	const char *v = a->value, *out = in->output ? in->output : "";
	size_t vlen = 0, len = in->output ? in->len : 0;
	cJSON *parsed = NULL;
	pcre2_code *tre = NULL;
	pcre2_match_data *tmd = NULL;
	int pass = 0, error = 0, r;

	res->pass = res->error = 0;
	res->score = 0.0;
	pops_buf_clear(&res->reason);
	if (a->templated) {
		if ((error = pops_assert_expand(&tv, a->value, in->scope)) < 0)
			goto done;
		v = tv.ptr;
	}
	if (v)
		vlen = strlen(v);
	switch (a->type) {
	case POPS_ASSERT_EQUALS:
		if (a->json) {
			parsed = pops_assert__parse_output_json(out, len);
			pass = parsed && cJSON_Compare(parsed, a->json, 1);
		} else
			pass = len == vlen && !memcmp(out, v, len);
		if (pass == a->negate) {
			pops_buf_puts(&res->reason, a->negate ? "output equals " : "output differs from ");
			if (v)
				quote(&res->reason, v, vlen);
			else
				pops_buf_puts(&res->reason, "the expected JSON value");
		}
		break;
	case POPS_ASSERT_CONTAINS: case POPS_ASSERT_ICONTAINS:
		pass = a->type == POPS_ASSERT_CONTAINS ? memmem(out, len, v, vlen) != NULL :
		       pops_assert__memcasemem(out, len, v, vlen) != NULL;
		if (pass == a->negate) {
			pops_buf_printf(&res->reason, "output %s ", a->negate ? "contains" : "does not contain");
			quote(&res->reason, v, vlen);
			if (a->type == POPS_ASSERT_ICONTAINS)
				pops_buf_puts(&res->reason, " (ignoring case)");
		}
		break;
	case POPS_ASSERT_STARTS_WITH:
		pass = len >= vlen && !memcmp(out, v, vlen);
		if (pass == a->negate) {
			pops_buf_printf(&res->reason, "output %s ", a->negate ? "starts with" : "does not start with");
			quote(&res->reason, v, vlen);
		}
		break;
	case POPS_ASSERT_REGEX: {
		pcre2_code *re = a->re;
		pcre2_match_data *md = a->md;

		if (!re) {
			if (compile_regex(a, v, &tre) < 0) {
				res->error = 1;
				pops_buf_puts(&res->reason, pops_error_last());
				goto done;
			}
			re = tre;
			if (!(md = tmd = pcre2_match_data_create_from_pattern(re, NULL))) {
				error = pops_error_set(POPS_ERROR, "out of memory");
				goto done;
			}
		}
		r = pcre2_match(re, (PCRE2_SPTR)out, len, 0, 0, md, NULL);
		if (r < -1 && r != PCRE2_ERROR_NOMATCH) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(r, msg, sizeof(msg));
			res->error = 1;
			pops_buf_printf(&res->reason, "regex match failed: %s", (char *)msg);
			goto done;
		}
		pass = r >= 0;
		if (pass == a->negate) {
			pops_buf_printf(&res->reason, "output %s /", a->negate ? "matches" : "does not match");
			pops_buf_put_sanitized(&res->reason, v, vlen > QUOTE_MAX ? QUOTE_MAX : vlen, 0);
			pops_buf_putc(&res->reason, '/');
		}
		break;
	}
	case POPS_ASSERT_IS_JSON:
		parsed = pops_assert__parse_output_json(out, len);
		pass = parsed != NULL;
		if (pass == a->negate)
			pops_buf_puts(&res->reason, a->negate ? "output is JSON" : "output is not valid JSON");
		break;
	case POPS_ASSERT_JSON_SCHEMA:
		if (!(parsed = pops_assert__parse_output_json(out, len))) {
			pass = 0;
			pops_buf_puts(&why, "output is not valid JSON");
		} else if ((r = pops_jsonschema_validate(a->json, parsed, &why)) < 0) {
			res->error = 1;
			pops_buf_printf(&res->reason, "%s:%u: %s", a->file, a->line, pops_error_last());
			goto done;
		} else
			pass = r;
		if (pass == a->negate) {
			if (a->negate)
				pops_buf_puts(&res->reason, "output matches the schema");
			else
				pops_buf_printf(&res->reason, "schema: %s", why.ptr);
		}
		break;
	case POPS_ASSERT_JSON_PATH: {
		const cJSON *hit;

		parsed = pops_assert__parse_output_json(out, len);
		hit = parsed ? json_path(parsed, a->path) : NULL;
		if (!parsed) {
			pass = 0;
			pops_buf_puts(&why, "output is not valid JSON");
		} else if (!hit) {
			pass = 0;
			pops_buf_printf(&why, "%s not found", a->path);
		} else if (a->json) {
			pass = cJSON_Compare(hit, a->json, 1);
			if (!pass)
				pops_buf_printf(&why, "%s differs from the expected value", a->path);
		} else if (v) {
			char *got = cJSON_IsString(hit) ? NULL : cJSON_PrintUnformatted(hit);
			const char *g = cJSON_IsString(hit) ? hit->valuestring : got ? got : "";

			pass = !strcmp(g, v);
			if (!pass) {
				pops_buf_printf(&why, "%s is ", a->path);
				quote(&why, g, strlen(g));
				pops_buf_puts(&why, ", expected ");
				quote(&why, v, vlen);
			}
			free(got);
		} else
			pass = 1;
		if (pass == a->negate) {
			if (a->negate)
				pops_buf_printf(&res->reason, "%s matches", a->path);
			else
				pops_buf_puts(&res->reason, why.ptr);
		}
		break;
	}
	case POPS_ASSERT_LENGTH: {
		size_t n = utf8_count(out, len);

		pass = (a->min < 0 || n >= (size_t)a->min) && (a->max < 0 || n <= (size_t)a->max);
		if (!pass)
			pops_buf_printf(&res->reason, "output has %zu characters, expected %s%ld..%ld",
			                n, "", a->min < 0 ? 0 : a->min, a->max < 0 ? LONG_MAX : a->max);
		break;
	}
	case POPS_ASSERT_LEVENSHTEIN: {
		size_t max = (size_t)a->threshold;
		size_t d = pops_levenshtein(out, len, v, vlen, max);

		if (d == SIZE_MAX) {
			error = pops_error_set(POPS_ERROR, "out of memory");
			goto done;
		}
		pass = d <= max;
		if (!pass) {
			/* the distance found, counted on past the threshold (far enough to say how far) */
			size_t far = max * 10 + 100;

			if ((d = pops_levenshtein(out, len, v, vlen, far)) == SIZE_MAX) {
				error = pops_error_set(POPS_ERROR, "out of memory");
				goto done;
			}
			pops_buf_puts(&res->reason, "edit distance ");
			if (d > far)
				pops_buf_printf(&res->reason, "over %zu", far);
			else
				pops_buf_printf(&res->reason, "%zu", d);
			pops_buf_puts(&res->reason, " to ");
			quote(&res->reason, v, vlen);
			pops_buf_printf(&res->reason, ", more than the %g allowed", a->threshold);
		}
		break;
	}
	case POPS_ASSERT_LATENCY:
		pass = in->latency_ms <= a->threshold;
		if (!pass)
			pops_buf_printf(&res->reason, "latency %.0f ms is over %g ms",
			                in->latency_ms, a->threshold);
		break;
	case POPS_ASSERT_COST:
		if (in->cost_usd < 0) {
			res->error = 1;
			pops_buf_puts(&res->reason, "cost is unknown: the model has no price in pops.yaml");
			goto done;
		}
		pass = in->cost_usd <= a->threshold;
		if (!pass)
			pops_buf_printf(&res->reason, "cost $%.3g is over $%g", in->cost_usd, a->threshold);
		break;
	case POPS_ASSERT_CONTAINS_ANY: case POPS_ASSERT_CONTAINS_ALL:
	case POPS_ASSERT_ICONTAINS_ANY: case POPS_ASSERT_ICONTAINS_ALL:
	case POPS_ASSERT_CONTAINS_JSON:
		if ((error = pops_assert__check_text(res, a, in, &pass)) < 0 || res->error)
			goto done;
		break;
	case POPS_ASSERT_EXEC:
		error = pops_assert_exec_run(res, a, in);
		goto done;
	case POPS_ASSERT_JUDGE: case POPS_ASSERT_PAIRWISE:
		res->error = 1;
		pops_buf_puts(&res->reason, "judge assertions are graded by the runner");
		goto done;
	}
	res->pass = pass != a->negate;
	if (a->type == POPS_ASSERT_LENGTH || a->type == POPS_ASSERT_LEVENSHTEIN ||
	    a->type == POPS_ASSERT_LATENCY || a->type == POPS_ASSERT_COST)
		res->pass = pass;
done:
	res->score = res->pass ? 1.0 : 0.0;
	cJSON_Delete(parsed);
	pcre2_match_data_free(tmd);
	pcre2_code_free(tre);
	pops_buf_dispose(&tv);
	pops_buf_dispose(&why);
	if (!error && pops_buf_oom(&res->reason))
		error = pops_error_set(POPS_ERROR, "out of memory");
	/* reasons quote outputs, values and schema paths: keep them one line */
	if (!error)
		error = pops_assert_one_line(&res->reason);
	return error;
}
