#define _GNU_SOURCE /* memmem */
#include "common.h"
#include <math.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "assertion.h"
#include "assertion_int.h"
#include "jsonschema.h"
#include "judge.h"
#include "strutil.h"


#define EXEC_DEFAULT_TIMEOUT_MS 10000
#define ROUGE_DEFAULT_THRESHOLD 0.75
#define QUOTE_MAX 60

static const char *const keys[] = {
	"type", "value", "weight", "threshold", "min", "max", "path", "command",
	"timeout", "model", "rubric", "prompt", "pass_score", "allow_self_judge",
	"require", "description", "schema", "n", "scope",
	"name", "arguments", "order", "models", "aggregate", "scale", "criteria",
	"steps", "self_consistency", "assert", NULL
};

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
	if (a->models)
		for (i = 0; i < a->nmodels; i++)
			free(a->models[i]);
	free(a->models);
	for (i = 0; i < a->nset; i++)
		pops_assert_free(a->set[i]);
	free(a->set);
	free(a->rubric);
	free(a->prompt);
	pcre2_match_data_free(a->md);
	pcre2_code_free(a->re);
	pops_assert__tool_free(a);
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

/* What a type's `value` may be; read before 'weight' and the type's own keys. */
enum value_kind {
	V_STRING,  /* a string (a template) or nothing */
	V_JSON,    /* a string, or any JSON value: the expected value or schema */
	V_NUMBER,  /* a string, or a number: the threshold */
	V_LIST,    /* the list of an *-any / *-all type */
	V_SCHEMA   /* an optional JSON Schema (or as 'schema') */
};

static int compile_value(pops_assert *a, const cJSON *value, enum value_kind kind)
{
	int error = 0;

	if (kind == V_LIST) {
		/* a list, each item a template; `json` holds it */
		if (!(a->json = pops_assert__list_value(a, value)))
			error = POPS_EINVALID;
	} else if (kind == V_SCHEMA) {
		/* an optional JSON Schema the JSON found must match */
		if (value && !cJSON_IsNull(value) && !cJSON_IsObject(value) && !cJSON_IsBool(value))
			BAD("%s:%u: 'contains-json' takes an optional JSON Schema as 'schema' (or 'value')",
			    a->file, a->line);
		if (value && !cJSON_IsNull(value) && !(a->json = cJSON_Duplicate(value, 1)))
			BAD("out of memory");
	} else if (cJSON_IsString(value)) {
		if (!(a->value = pops_strdup(value->valuestring)))
			BAD("out of memory");
		a->templated = strstr(a->value, "{{") != NULL;
	} else if (value && kind == V_JSON) {
		if (!(a->json = cJSON_Duplicate(value, 1)))
			BAD("out of memory");
	} else if (value && !cJSON_IsNull(value)) {
		if (kind == V_NUMBER && cJSON_IsNumber(value))
			a->threshold = value->valuedouble;
		else
			BAD("%s:%u: '%s' needs a string 'value'", a->file, a->line, a->name);
	}
done:
	return error;
}

static int need_value(pops_assert *a, const cJSON *node)
{
	(void)node;
	if (!a->value && !a->json)
		return pops_error_set(POPS_EINVALID, "%s:%u: '%s' needs a 'value'", a->file, a->line,
		                      a->name);
	return 0;
}

static int compile_regex_type(pops_assert *a, const cJSON *node)
{
	pcre2_code *re = NULL;
	int error;

	if ((error = need_value(a, node)) < 0 || a->templated)
		return error; /* a templated pattern is compiled when checked */
	if ((error = compile_regex(a, a->value, &re)) < 0)
		return error;
	a->re = re;
	if (!(a->md = pcre2_match_data_create_from_pattern(re, NULL)))
		return pops_error_oom();
	return 0;
}

static int compile_levenshtein(pops_assert *a, const cJSON *node)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(node, "threshold");
	int error;

	if ((error = need_value(a, node)) < 0)
		return error;
	if (!cJSON_IsNumber(it) || it->valuedouble < 0)
		return pops_error_set(POPS_EINVALID,
		                      "%s:%u: 'levenshtein' needs 'threshold' (the most edits allowed)",
		                      a->file, a->line);
	a->threshold = it->valuedouble;
	return 0;
}

static int compile_json_schema(pops_assert *a, const cJSON *node)
{
	(void)node;
	if (!cJSON_IsObject(a->json) && !cJSON_IsBool(a->json))
		return pops_error_set(POPS_EINVALID, "%s:%u: 'json-schema' needs the schema as 'value'",
		                      a->file, a->line);
	return 0;
}

static int compile_json_path(pops_assert *a, const cJSON *node)
{
	if (!str_key(node, "path"))
		return pops_error_set(POPS_EINVALID,
		                      "%s:%u: 'json-path' needs a 'path' such as '$.items[0].name'",
		                      a->file, a->line);
	if (!(a->path = pops_strdup(str_key(node, "path"))))
		return pops_error_oom();
	return 0;
}

/* length and word-count: 'min' and/or 'max' */
static int compile_bounds(pops_assert *a, const cJSON *node)
{
	const cJSON *mn = cJSON_GetObjectItemCaseSensitive(node, "min");
	const cJSON *mx = cJSON_GetObjectItemCaseSensitive(node, "max");

	if ((mn && (!cJSON_IsNumber(mn) || mn->valuedouble < 0)) ||
	    (mx && (!cJSON_IsNumber(mx) || mx->valuedouble < 0)) || (!mn && !mx))
		return pops_error_set(POPS_EINVALID,
		                      "%s:%u: '%s' needs 'min' and/or 'max' (numbers >= 0)",
		                      a->file, a->line, a->name);
	a->min = mn ? (long)mn->valuedouble : -1;
	a->max = mx ? (long)mx->valuedouble : -1;
	if (a->max >= 0 && a->min > a->max)
		return pops_error_set(POPS_EINVALID, "%s:%u: '%s' has 'min' %ld above 'max' %ld",
		                      a->file, a->line, a->name, a->min, a->max);
	return 0;
}

/* word-count: 'min'/'max', or a number as 'value' (compile_value took it): exactly that many */
static int compile_word_count(pops_assert *a, const cJSON *node)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(node, "value");

	if (!v || cJSON_IsNull(v))
		return compile_bounds(a, node);
	if (!cJSON_IsNumber(v))
		return pops_error_set(POPS_EINVALID,
		                      "%s:%u: 'word-count' takes 'min' and/or 'max', or a number of "
		                      "words as 'value'", a->file, a->line);
	if (v->valuedouble < 0 || v->valuedouble != (double)(long)v->valuedouble ||
	    cJSON_GetObjectItemCaseSensitive(node, "min") ||
	    cJSON_GetObjectItemCaseSensitive(node, "max"))
		return pops_error_set(POPS_EINVALID,
		                      "%s:%u: 'word-count' 'value' is an exact count (a whole number, "
		                      "without 'min' or 'max')", a->file, a->line);
	a->min = a->max = (long)v->valuedouble;
	return 0;
}

/* rouge-n: 'value' (the reference), 'n' (default 1), 'threshold' (default 0.75) */
static int compile_rouge(pops_assert *a, const cJSON *node)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(node, "n");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(node, "threshold");
	int error;

	if ((error = need_value(a, node)) < 0)
		return error;
	a->n = 1;
	if (n && (!cJSON_IsNumber(n) || n->valuedouble < 1 ||
	          n->valuedouble > POPS_ASSERT_ROUGE_MAX_N || n->valuedouble != (double)n->valueint))
		return pops_error_set(POPS_EINVALID, "%s:%u: 'rouge-n' 'n' must be a whole number "
		                      "from 1 to %d", a->file, a->line, POPS_ASSERT_ROUGE_MAX_N);
	if (n)
		a->n = n->valueint;
	a->threshold = ROUGE_DEFAULT_THRESHOLD;
	if (t && (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble > 1))
		return pops_error_set(POPS_EINVALID, "%s:%u: 'rouge-n' 'threshold' must be a number "
		                      "from 0 to 1 (the n-gram recall needed)", a->file, a->line);
	if (t)
		a->threshold = t->valuedouble;
	return 0;
}

/* contains-json: the schema as 'schema' (compile_value took one given as 'value') */
static int compile_contains_json(pops_assert *a, const cJSON *node)
{
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(node, "schema");

	if (!sc)
		return 0;
	if (a->json)
		return pops_error_set(POPS_EINVALID, "%s:%u: 'contains-json' has a schema as both "
		                      "'schema' and 'value': keep one", a->file, a->line);
	if (!cJSON_IsObject(sc) && !cJSON_IsBool(sc))
		return pops_error_set(POPS_EINVALID, "%s:%u: 'contains-json' 'schema' must be a JSON "
		                      "Schema (a mapping)", a->file, a->line);
	if (!(a->json = cJSON_Duplicate(sc, 1)))
		return pops_error_oom();
	return 0;
}

/* latency-ms and cost: 'threshold', or a number as 'value' (compile_value took it) */
static int compile_ceiling(pops_assert *a, const cJSON *node)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(node, "threshold");

	if (it && cJSON_IsNumber(it))
		a->threshold = it->valuedouble;
	else if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(node, "value")))
		return pops_error_set(POPS_EINVALID, "%s:%u: '%s' needs 'threshold' (the ceiling)",
		                      a->file, a->line, a->name);
	if (a->threshold < 0)
		return pops_error_set(POPS_EINVALID, "%s:%u: '%s' threshold must be >= 0",
		                      a->file, a->line, a->name);
	return 0;
}

static int compile_exec(pops_assert *a, const cJSON *node)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(node, "command"), *it;
	const char *file = a->file;
	unsigned line = a->line;
	size_t n = 0, i = 0;
	int error = 0;

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
done:
	return error;
}

/* judge and pairwise */
static int compile_judge(pops_assert *a, const cJSON *node)
{
	const char *file = a->file;
	unsigned line = a->line;
	const cJSON *it;
	int error = 0;

	if (a->type == POPS_ASSERT_JUDGE && (error = pops_assert__compile_jury(a, node)) < 0)
		goto done;
	if (a->type == POPS_ASSERT_PAIRWISE && (cJSON_GetObjectItemCaseSensitive(node, "models") ||
	    cJSON_GetObjectItemCaseSensitive(node, "scale") ||
	    cJSON_GetObjectItemCaseSensitive(node, "self_consistency")))
		BAD("%s:%u: 'models', 'scale' and 'self_consistency' are for 'judge': 'pairwise' asks one "
		    "judge in both orders", file, line);
	if (!a->model && !str_key(node, "model"))
		BAD("%s:%u: '%s' needs 'model': the alias of the judge model", file, line, a->name);
	if (a->type == POPS_ASSERT_JUDGE && !a->preset && !str_key(node, "rubric"))
		BAD("%s:%u: 'judge' needs a 'rubric'", file, line);
	if (!a->model)
		a->model = pops_strdup(str_key(node, "model"));
	a->rubric = pops_strdup(str_key(node, "rubric") ? str_key(node, "rubric") :
	                        a->preset ? pops_judge_preset_rubric(a->preset) :
	                        "Which response better follows the instructions?");
	if (!a->model || !a->rubric)
		BAD("out of memory");
	if (a->type == POPS_ASSERT_JUDGE && (error = pops_assert__compile_rubric(a, node)) < 0)
		goto done;
	if (str_key(node, "prompt") && !(a->prompt = pops_strdup(str_key(node, "prompt"))))
		BAD("out of memory");
	it = cJSON_GetObjectItemCaseSensitive(node, "pass_score");
	if (it && a->scale_max)
		BAD("%s:%u: 'pass_score' is for the built-in 1-5 score: with 'scale' the lowest passing "
		    "score is 'threshold'", file, line);
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
done:
	return error;
}

/* context-faithfulness, context-recall: a judge with a shipped rubric */
static int compile_preset(pops_assert *a, const cJSON *node)
{
	pops_assert__preset_begin(a);
	return compile_judge(a, node);
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

static size_t utf8_count(const char *s, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}


/*
 * One check's state. A check function returns a negative POPS_E* (out
 * of memory), 0 with `pass` set (before negation), or CHECKED when it
 * has filled the result itself (an error result, or exec's).
 */
#define CHECKED 1

struct check {
	pops_assert_result *res;
	const pops_assert *a;
	const pops_assert_input *in;
	const char *v, *out;  /* value expanded for this case; output ("" for none) */
	size_t vlen, len;
	cJSON *parsed;        /* the output as JSON, when a check parsed it */
	pops_buf why;         /* a failure reason that negation may replace */
	int pass;
	double score;         /* a check's own score (rouge-n), or < 0: 1 or 0 as it passes */
};

static int check_equals(struct check *c)
{
	const pops_assert *a = c->a;

	if (a->json) {
		c->parsed = pops_assert__parse_output_json(c->out, c->len);
		c->pass = c->parsed && cJSON_Compare(c->parsed, a->json, 1);
	} else
		c->pass = c->len == c->vlen && !memcmp(c->out, c->v, c->len);
	if (c->pass == a->negate) {
		pops_buf_puts(&c->res->reason, a->negate ? "output equals " : "output differs from ");
		if (c->v)
			quote(&c->res->reason, c->v, c->vlen);
		else
			pops_buf_puts(&c->res->reason, "the expected JSON value");
	}
	return 0;
}

/* contains and icontains */
static int check_contains(struct check *c)
{
	const pops_assert *a = c->a;
	int icase = a->type == POPS_ASSERT_ICONTAINS;

	c->pass = icase ? pops_assert__memcasemem(c->out, c->len, c->v, c->vlen) != NULL :
	          memmem(c->out, c->len, c->v, c->vlen) != NULL;
	if (c->pass == a->negate) {
		pops_buf_printf(&c->res->reason, "output %s ", a->negate ? "contains" : "does not contain");
		quote(&c->res->reason, c->v, c->vlen);
		if (icase)
			pops_buf_puts(&c->res->reason, " (ignoring case)");
	}
	return 0;
}

static int check_starts_with(struct check *c)
{
	c->pass = c->len >= c->vlen && !memcmp(c->out, c->v, c->vlen);
	if (c->pass == c->a->negate) {
		pops_buf_printf(&c->res->reason, "output %s ",
		                c->a->negate ? "starts with" : "does not start with");
		quote(&c->res->reason, c->v, c->vlen);
	}
	return 0;
}

static int check_regex(struct check *c)
{
	const pops_assert *a = c->a;
	pcre2_code *re = a->re, *tre = NULL;
	pcre2_match_data *md = a->md, *tmd = NULL;
	int error = 0, r;

	if (!re) {
		/* templated: the pattern is known only now */
		if (compile_regex(a, c->v, &tre) < 0) {
			c->res->error = 1;
			pops_buf_puts(&c->res->reason, pops_error_last());
			error = CHECKED;
			goto done;
		}
		re = tre;
		if (!(md = tmd = pcre2_match_data_create_from_pattern(re, NULL))) {
			error = pops_error_oom();
			goto done;
		}
	}
	r = pcre2_match(re, (PCRE2_SPTR)c->out, c->len, 0, 0, md, NULL);
	if (r < -1 && r != PCRE2_ERROR_NOMATCH) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(r, msg, sizeof(msg));
		c->res->error = 1;
		pops_buf_printf(&c->res->reason, "regex match failed: %s", (char *)msg);
		error = CHECKED;
		goto done;
	}
	c->pass = r >= 0;
	if (c->pass == a->negate) {
		pops_buf_printf(&c->res->reason, "output %s /", a->negate ? "matches" : "does not match");
		pops_buf_put_sanitized(&c->res->reason, c->v, c->vlen > QUOTE_MAX ? QUOTE_MAX : c->vlen, 0);
		pops_buf_putc(&c->res->reason, '/');
	}
done:
	pcre2_match_data_free(tmd);
	pcre2_code_free(tre);
	return error;
}

static int check_is_json(struct check *c)
{
	c->parsed = pops_assert__parse_output_json(c->out, c->len);
	c->pass = c->parsed != NULL;
	if (c->pass == c->a->negate)
		pops_buf_puts(&c->res->reason, c->a->negate ? "output is JSON" : "output is not valid JSON");
	return 0;
}

static int check_json_schema(struct check *c)
{
	const pops_assert *a = c->a;
	int r;

	if (!(c->parsed = pops_assert__parse_output_json(c->out, c->len))) {
		c->pass = 0;
		pops_buf_puts(&c->why, "output is not valid JSON");
	} else if ((r = pops_jsonschema_validate(a->json, c->parsed, &c->why)) < 0) {
		c->res->error = 1;
		pops_buf_printf(&c->res->reason, "%s:%u: %s", a->file, a->line, pops_error_last());
		return CHECKED;
	} else
		c->pass = r;
	if (c->pass == a->negate) {
		if (a->negate)
			pops_buf_puts(&c->res->reason, "output matches the schema");
		else
			pops_buf_printf(&c->res->reason, "schema: %s", c->why.ptr);
	}
	return 0;
}

static int check_json_path(struct check *c)
{
	const pops_assert *a = c->a;
	const cJSON *hit;

	c->parsed = pops_assert__parse_output_json(c->out, c->len);
	hit = c->parsed ? pops_assert__json_path(c->parsed, a->path) : NULL;
	if (!c->parsed) {
		c->pass = 0;
		pops_buf_puts(&c->why, "output is not valid JSON");
	} else if (!hit) {
		c->pass = 0;
		pops_buf_printf(&c->why, "%s not found", a->path);
	} else if (a->json) {
		c->pass = cJSON_Compare(hit, a->json, 1);
		if (!c->pass)
			pops_buf_printf(&c->why, "%s differs from the expected value", a->path);
	} else if (c->v) {
		char *got = cJSON_IsString(hit) ? NULL : cJSON_PrintUnformatted(hit);
		const char *g = cJSON_IsString(hit) ? hit->valuestring : got ? got : "";

		c->pass = !strcmp(g, c->v);
		if (!c->pass) {
			pops_buf_printf(&c->why, "%s is ", a->path);
			quote(&c->why, g, strlen(g));
			pops_buf_puts(&c->why, ", expected ");
			quote(&c->why, c->v, c->vlen);
		}
		free(got);
	} else
		c->pass = 1;
	if (c->pass == a->negate) {
		if (a->negate)
			pops_buf_printf(&c->res->reason, "%s matches", a->path);
		else
			pops_buf_puts(&c->res->reason, c->why.ptr);
	}
	return 0;
}

/* "at least 3", "at most 5", "3 to 5", "exactly 4" */
static void put_bounds(pops_buf *b, long min, long max)
{
	if (min == max)
		pops_buf_printf(b, "exactly %ld", min);
	else if (max < 0)
		pops_buf_printf(b, "at least %ld", min);
	else if (min < 0)
		pops_buf_printf(b, "at most %ld", max);
	else
		pops_buf_printf(b, "%ld to %ld", min, max);
}

static int check_length(struct check *c)
{
	const pops_assert *a = c->a;
	size_t n = utf8_count(c->out, c->len);

	c->pass = (a->min < 0 || n >= (size_t)a->min) && (a->max < 0 || n <= (size_t)a->max);
	if (!c->pass) {
		pops_buf_printf(&c->res->reason, "output has %zu characters, expected ", n);
		put_bounds(&c->res->reason, a->min, a->max);
	}
	return 0;
}

static int check_word_count(struct check *c)
{
	const pops_assert *a = c->a;
	size_t n = pops_assert__word_count(c->out, c->len);

	c->pass = (a->min < 0 || n >= (size_t)a->min) && (a->max < 0 || n <= (size_t)a->max);
	if (!c->pass) {
		pops_buf_printf(&c->res->reason, "output has %zu word%s, expected ", n, n == 1 ? "" : "s");
		put_bounds(&c->res->reason, a->min, a->max);
	}
	return 0;
}

/* decimal digits of `v`, appended */
static void put_uint(pops_buf *b, size_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i);
	pops_buf_put(b, d + i, sizeof(d) - i);
}

/* the reason says the score whether it passes or not: it is what the case score counts */
static int check_rouge(struct check *c)
{
	const pops_assert *a = c->a;
	size_t hits, total, pcent;
	int error = pops_assert__rouge(&hits, &total, c->out, c->len, c->v, c->vlen, a->n);

	if (error < 0)
		return error;
	if (!total) {
		c->res->error = 1;
		pops_buf_printf(&c->res->reason, "rouge-n: the reference ");
		quote(&c->res->reason, c->v, c->vlen);
		pops_buf_printf(&c->res->reason, " has fewer than %d word%s", a->n, a->n == 1 ? "" : "s");
		return CHECKED;
	}
	c->score = (double)hits / (double)total;
	c->pass = c->score >= a->threshold - 1e-12;
	/*
	 * "ROUGE-1 recall 0.80 (4 of 5 1-grams of 'ref')": the recall to 2
	 * places, rounded half up, in integers and without printf, which
	 * would cost as much as the scan on every check
	 */
	pcent = (hits * 200 + total) / (2 * total);
	pops_buf_puts(&c->res->reason, "ROUGE-");
	put_uint(&c->res->reason, (size_t)a->n);
	pops_buf_puts(&c->res->reason, " recall ");
	put_uint(&c->res->reason, pcent / 100);
	pops_buf_putc(&c->res->reason, '.');
	pops_buf_putc(&c->res->reason, (char)('0' + pcent % 100 / 10));
	pops_buf_putc(&c->res->reason, (char)('0' + pcent % 10));
	pops_buf_puts(&c->res->reason, " (");
	put_uint(&c->res->reason, hits);
	pops_buf_puts(&c->res->reason, " of ");
	put_uint(&c->res->reason, total);
	pops_buf_putc(&c->res->reason, ' ');
	put_uint(&c->res->reason, (size_t)a->n);
	pops_buf_puts(&c->res->reason, "-grams of ");
	quote(&c->res->reason, c->v, c->vlen);
	pops_buf_putc(&c->res->reason, ')');
	if (!c->pass)
		pops_buf_printf(&c->res->reason, ", below the threshold %g", a->threshold);
	return 0;
}

static int check_levenshtein(struct check *c)
{
	const pops_assert *a = c->a;
	size_t max = (size_t)a->threshold, far;
	size_t d = pops_levenshtein(c->out, c->len, c->v, c->vlen, max);

	if (d == SIZE_MAX)
		return pops_error_oom();
	c->pass = d <= max;
	if (c->pass)
		return 0;
	/* the distance found, counted on past the threshold (far enough to say how far) */
	far = max * 10 + 100;
	if ((d = pops_levenshtein(c->out, c->len, c->v, c->vlen, far)) == SIZE_MAX)
		return pops_error_oom();
	pops_buf_puts(&c->res->reason, "edit distance ");
	if (d > far)
		pops_buf_printf(&c->res->reason, "over %zu", far);
	else
		pops_buf_printf(&c->res->reason, "%zu", d);
	pops_buf_puts(&c->res->reason, " to ");
	quote(&c->res->reason, c->v, c->vlen);
	pops_buf_printf(&c->res->reason, ", more than the %g allowed", a->threshold);
	return 0;
}

static int check_latency(struct check *c)
{
	if (c->in->latency_ms < 0) {
		c->res->error = 1;
		pops_buf_puts(&c->res->reason, "latency is not measured for Batch API answers; drop "
		              "the assertion or run without --batch");
		return 0;
	}
	c->pass = c->in->latency_ms <= c->a->threshold;
	if (!c->pass)
		pops_buf_printf(&c->res->reason, "latency %.0f ms is over %g ms",
		                c->in->latency_ms, c->a->threshold);
	return 0;
}

/* ttft-ms: a streamed reply's time to first token; an unstreamed one cannot be checked */
static int check_ttft(struct check *c)
{
	if (c->in->ttft_ms < 0) {
		c->res->error = 1;
		pops_buf_puts(&c->res->reason, "time to first token is unknown: the reply was not "
		              "streamed (set config.stream: true or run with --stream)");
		return 0;
	}
	c->pass = c->in->ttft_ms <= c->a->threshold;
	if (!c->pass)
		pops_buf_printf(&c->res->reason, "time to first token %.0f ms is over %g ms",
		                c->in->ttft_ms, c->a->threshold);
	return 0;
}

static int check_cost(struct check *c)
{
	if (c->in->cost_usd < 0) {
		c->res->error = 1;
		pops_buf_puts(&c->res->reason, "cost is unknown: the model has no price in pops.yaml");
		return CHECKED;
	}
	c->pass = c->in->cost_usd <= c->a->threshold;
	if (!c->pass)
		pops_buf_printf(&c->res->reason, "cost $%.3g is over $%g", c->in->cost_usd,
		                c->a->threshold);
	return 0;
}

/* contains-any/-all, icontains-any/-all, contains-json: lib/assertion_text.c */
static int check_text(struct check *c)
{
	int error = pops_assert__check_text(c->res, c->a, c->in, &c->pass);

	return error < 0 ? error : c->res->error ? CHECKED : 0;
}

static int check_exec(struct check *c)
{
	int error = pops_assert_exec_run(c->res, c->a, c->in);

	return error < 0 ? error : CHECKED;
}

static int check_judge(struct check *c)
{
	c->res->error = 1;
	pops_buf_puts(&c->res->reason, c->a->type == POPS_ASSERT_SIMILAR ?
	              "similar assertions are embedded and checked by the runner" :
	              "judge assertions are graded by the runner");
	return CHECKED;
}

/* tool-call, tool-calls, is-valid-tool-call: lib/assertion_tools.c */
static int check_tool(struct check *c)
{
	int error = pops_assert__check_tool(c->res, c->a, c->in, &c->score, &c->pass);

	return error < 0 ? error : c->res->error ? CHECKED : 0;
}

/* tool-call's 'path' (with 'value'), read before the type's own keys */
static int compile_tool(pops_assert *a, const cJSON *node)
{
	if (str_key(node, "path") && !(a->path = pops_strdup(str_key(node, "path"))))
		return pops_error_oom();
	return pops_assert__compile_tool(a, node);
}

/* ---- the type table ---- */

static int check_set(struct check *c)
{
	int error = pops_assert__check_set(c->res, c->a, c->in, &c->score);

	c->pass = c->res->pass;
	return error < 0 ? error : CHECKED;
}

/*
 * The assertion types, indexed by pops_assert_type. A new type is one
 * row here (and its enum value): its name (negatable: a not-<name>
 * form exists), what its 'value' may be, compile (the type's own keys,
 * after 'value' and 'weight'; NULL = none) and check.
 */
static const struct type_row {
	const char *name;
	int negatable;
	enum value_kind value;
	int (*compile)(pops_assert *a, const cJSON *node);
	int (*check)(struct check *c);
} types[] = {
	[POPS_ASSERT_EQUALS] = { "equals", 1, V_JSON, need_value, check_equals },
	[POPS_ASSERT_CONTAINS] = { "contains", 1, V_STRING, need_value, check_contains },
	[POPS_ASSERT_ICONTAINS] = { "icontains", 1, V_STRING, need_value, check_contains },
	[POPS_ASSERT_STARTS_WITH] = { "starts-with", 1, V_STRING, need_value, check_starts_with },
	[POPS_ASSERT_REGEX] = { "regex", 1, V_STRING, compile_regex_type, check_regex },
	[POPS_ASSERT_IS_JSON] = { "is-json", 1, V_STRING, NULL, check_is_json },
	[POPS_ASSERT_JSON_SCHEMA] = { "json-schema", 1, V_JSON, compile_json_schema, check_json_schema },
	[POPS_ASSERT_JSON_PATH] = { "json-path", 1, V_JSON, compile_json_path, check_json_path },
	[POPS_ASSERT_LENGTH] = { "length", 0, V_STRING, compile_bounds, check_length },
	[POPS_ASSERT_LEVENSHTEIN] = { "levenshtein", 0, V_STRING, compile_levenshtein, check_levenshtein },
	[POPS_ASSERT_LATENCY] = { "latency-ms", 0, V_NUMBER, compile_ceiling, check_latency },
	[POPS_ASSERT_COST] = { "cost", 0, V_NUMBER, compile_ceiling, check_cost },
	[POPS_ASSERT_EXEC] = { "exec", 0, V_STRING, compile_exec, check_exec },
	[POPS_ASSERT_JUDGE] = { "judge", 0, V_STRING, compile_judge, check_judge },
	[POPS_ASSERT_PAIRWISE] = { "pairwise", 0, V_STRING, compile_judge, check_judge },
	[POPS_ASSERT_CONTAINS_ANY] = { "contains-any", 1, V_LIST, NULL, check_text },
	[POPS_ASSERT_CONTAINS_ALL] = { "contains-all", 1, V_LIST, NULL, check_text },
	[POPS_ASSERT_ICONTAINS_ANY] = { "icontains-any", 1, V_LIST, NULL, check_text },
	[POPS_ASSERT_ICONTAINS_ALL] = { "icontains-all", 1, V_LIST, NULL, check_text },
	[POPS_ASSERT_CONTAINS_JSON] = { "contains-json", 1, V_SCHEMA, compile_contains_json, check_text },
	[POPS_ASSERT_ROUGE_N] = { "rouge-n", 0, V_STRING, compile_rouge, check_rouge },
	[POPS_ASSERT_WORD_COUNT] = { "word-count", 0, V_NUMBER, compile_word_count, check_word_count },
	[POPS_ASSERT_TTFT] = { "ttft-ms", 0, V_NUMBER, compile_ceiling, check_ttft },
	[POPS_ASSERT_TOOL_CALL] = { "tool-call", 1, V_JSON, compile_tool, check_tool },
	[POPS_ASSERT_TOOL_CALLS] = { "tool-calls", 0, V_JSON, compile_tool, check_tool },
	[POPS_ASSERT_VALID_TOOL_CALL] = { "is-valid-tool-call", 0, V_JSON, compile_tool, check_tool },
	[POPS_ASSERT_SIMILAR] = { "similar", 1, V_STRING, pops_assert__compile_similar, check_judge },
	[POPS_ASSERT_SET] = { "assert-set", 0, V_STRING, pops_assert__compile_set, check_set },
	[POPS_ASSERT_CONTEXT_FAITHFULNESS] = { "context-faithfulness", 0, V_STRING, compile_preset, check_judge },
	[POPS_ASSERT_CONTEXT_RECALL] = { "context-recall", 0, V_STRING, compile_preset, check_judge },
};

/* a row left out of the table would be a NULL name: caught by the unit tests */
_Static_assert(POPS_ARRAY_SIZE(types) == POPS_ASSERT_CONTEXT_RECALL + 1,
               "one row per pops_assert_type");

/* The row of a type name ("not-contains" sets *negate), or NULL. */
static const struct type_row *find_type(const char *name, int *negate)
{
	size_t i;

	*negate = 0;
	if (!strncmp(name, "not-", 4)) {
		*negate = 1;
		name += 4;
	}
	for (i = 0; i < POPS_ARRAY_SIZE(types); i++)
		if (!strcmp(types[i].name, name))
			return *negate && !types[i].negatable ? NULL : &types[i];
	return NULL;
}

int pops_assert_type_known(const char *type)
{
	int neg;

	return find_type(type, &neg) != NULL;
}

int pops_assert_needs_model(const pops_assert *a)
{
	return a->type == POPS_ASSERT_JUDGE || a->type == POPS_ASSERT_PAIRWISE;
}

/* POPS_EINVALID naming `type`, with the nearest name of the table (not- forms too) */
static int unknown_type(const char *file, unsigned line, const char *type)
{
	const char *names[2 * POPS_ARRAY_SIZE(types) + 1];
	char *neg[POPS_ARRAY_SIZE(types)] = { NULL };
	const char *s;
	size_t i, n = 0;
	int error;

	for (i = 0; i < POPS_ARRAY_SIZE(types); i++)
		names[n++] = types[i].name;
	for (i = 0; i < POPS_ARRAY_SIZE(types); i++) {
		size_t len = strlen(types[i].name);

		if (!types[i].negatable)
			continue;
		if (!(neg[i] = malloc(len + 5))) {
			error = pops_error_oom();
			goto done;
		}
		memcpy(neg[i], "not-", 4);
		memcpy(neg[i] + 4, types[i].name, len + 1);
		names[n++] = neg[i];
	}
	names[n] = NULL;
	s = pops_suggest(type, names, 2);
	error = pops_error_set(POPS_EINVALID, "%s:%u: unknown assertion type '%s'%s%s%s", file, line,
	                       type, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
done:
	for (i = 0; i < POPS_ARRAY_SIZE(types); i++)
		free(neg[i]);
	return error;
}

static int check_keys(const cJSON *node, const char *file, unsigned line)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, node) {
		size_t i;
		int known = 0;

		for (i = 0; keys[i]; i++)
			if (!strcmp(keys[i], it->string))
				known = 1;
		if (!known) {
			const char *s = pops_suggest(it->string, keys, 2);

			return pops_error_set(POPS_EINVALID, "%s:%u: unknown assertion key '%s'%s%s%s",
			                      file, line, it->string, s ? " (did you mean '" : "",
			                      s ? s : "", s ? "'?)" : "");
		}
	}
	return 0;
}

int pops_assert_compile(pops_assert **out, const cJSON *node, const char *file,
                        unsigned line)
{
	pops_assert *a = NULL;
	const struct type_row *row;
	const cJSON *it, *type;
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
	if ((error = check_keys(node, file, line)) < 0)
		goto done;
	type = cJSON_GetObjectItemCaseSensitive(node, "type");
	if (!cJSON_IsString(type))
		BAD("%s:%u: assertion has no 'type'", file, line);
	if (!(row = find_type(type->valuestring, &a->negate))) {
		error = unknown_type(file, line, type->valuestring);
		goto done;
	}
	a->type = (pops_assert_type)(row - types);
	if (!(a->name = pops_strdup(type->valuestring)))
		BAD("out of memory");
	if ((error = compile_value(a, cJSON_GetObjectItemCaseSensitive(node, "value"), row->value)) < 0)
		goto done;
	if ((it = cJSON_GetObjectItemCaseSensitive(node, "weight"))) {
		if (!cJSON_IsNumber(it) || it->valuedouble < 0)
			BAD("%s:%u: 'weight' must be a number >= 0", file, line);
		a->weight = it->valuedouble;
	}
	if (a->type != POPS_ASSERT_PAIRWISE && cJSON_GetObjectItemCaseSensitive(node, "require"))
		BAD("%s:%u: 'require' is for 'pairwise' only", file, line);
	if (a->type != POPS_ASSERT_CONTAINS_JSON && a->type != POPS_ASSERT_TOOL_CALL &&
	    cJSON_GetObjectItemCaseSensitive(node, "schema"))
		BAD("%s:%u: 'schema' is for 'contains-json' only ('json-schema' takes its schema as "
		    "'value')", file, line);
	if (a->type != POPS_ASSERT_SET && cJSON_GetObjectItemCaseSensitive(node, "assert"))
		BAD("%s:%u: 'assert' (a list of assertions) is for 'assert-set' only", file, line);
	if (a->type != POPS_ASSERT_ROUGE_N && cJSON_GetObjectItemCaseSensitive(node, "n"))
		BAD("%s:%u: 'n' is for 'rouge-n' only", file, line);
	if (a->type != POPS_ASSERT_TOOL_CALL && a->type != POPS_ASSERT_TOOL_CALLS &&
	    a->type != POPS_ASSERT_VALID_TOOL_CALL &&
	    (cJSON_GetObjectItemCaseSensitive(node, "name") ||
	     cJSON_GetObjectItemCaseSensitive(node, "arguments") ||
	     cJSON_GetObjectItemCaseSensitive(node, "order")))
		BAD("%s:%u: 'name', 'arguments' and 'order' are for the tool-call assertions only",
		    file, line);
	if ((it = cJSON_GetObjectItemCaseSensitive(node, "scope"))) {
		if (a->type != POPS_ASSERT_JUDGE || !cJSON_IsString(it) ||
		    (strcmp(it->valuestring, "conversation") && strcmp(it->valuestring, "turn")))
			BAD("%s:%u: 'scope' is for 'judge' only: 'conversation' (the judge reads the whole "
			    "conversation) or 'turn' (the final turn, the default)", file, line);
		a->conversation = !strcmp(it->valuestring, "conversation");
	}
	if (row->compile && (error = row->compile(a, node)) < 0)
		goto done;
done:
	if (error < 0)
		pops_assert_free(a);
	else
		*out = a;
	return error;
}

#undef BAD

int pops_assert_check(pops_assert_result *res, const pops_assert *a,
                      const pops_assert_input *in)
{
	struct check c = { .why = POPS_BUF_INIT, .score = -1.0 };
	pops_buf tv = POPS_BUF_INIT;
	int error = 0;

	res->pass = res->error = 0;
	res->score = 0.0;
	pops_buf_clear(&res->reason);
	c.res = res;
	c.a = a;
	c.in = in;
	c.v = a->value;
	c.out = in->output ? in->output : "";
	c.len = in->output ? in->len : 0;
	if (a->templated) {
		if ((error = pops_assert_expand(&tv, a->value, in->scope)) < 0)
			goto done;
		c.v = tv.ptr;
	}
	if (c.v)
		c.vlen = strlen(c.v);
	if ((error = types[a->type].check(&c)) < 0)
		goto done;
	/* the types without a not- form never have `negate` set */
	if (error != CHECKED)
		res->pass = c.pass != a->negate;
	error = 0;
done:
	res->score = c.score >= 0 && !res->error ? c.score : res->pass ? 1.0 : 0.0;
	cJSON_Delete(c.parsed);
	pops_buf_dispose(&tv);
	pops_buf_dispose(&c.why);
	if (!error && pops_buf_oom(&res->reason))
		error = pops_error_oom();
	/* reasons quote outputs, values and schema paths: keep them one line */
	if (!error)
		error = pops_assert_one_line(&res->reason);
	return error;
}
