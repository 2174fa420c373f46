#include "common.h"
#include "judge.h"
#include "strutil.h"

static const char default_prompt[] =
	"---\n"
	"name: pops-judge\n"
	"config: { temperature: 0 }\n"
	"---\n"
	"You are grading the output of another AI system against a rubric.\n"
	"\n"
	"Rubric:\n{{rubric}}\n"
	"\n"
	"Input given to the system:\n<input>\n{{input}}\n</input>\n"
	"\n"
	"Reference answer (may be empty; when present, grade against it):\n"
	"<reference>\n{{expected}}\n</reference>\n"
	"\n"
	"Output to grade:\n<output>\n{{output}}\n</output>\n"
	"\n"
	"First think step by step about how well the output meets the rubric.\n"
	"Then end your reply with one JSON object on its own line and nothing after it:\n"
	"{{format}}\n";

/* the RAG presets' prompt: the default one with the retrieved context beside the output */
static const char context_prompt[] =
	"---\n"
	"name: pops-context-judge\n"
	"config: { temperature: 0 }\n"
	"---\n"
	"You are grading the output of a retrieval-augmented AI system against a rubric.\n"
	"\n"
	"Rubric:\n{{rubric}}\n"
	"\n"
	"Input given to the system:\n<input>\n{{input}}\n</input>\n"
	"\n"
	"Retrieved context the system was given:\n<context>\n{{context}}\n</context>\n"
	"\n"
	"Reference answer (may be empty):\n<reference>\n{{expected}}\n</reference>\n"
	"\n"
	"Output to grade:\n<output>\n{{output}}\n</output>\n"
	"\n"
	"First think step by step about how well the output meets the rubric.\n"
	"Then end your reply with one JSON object on its own line and nothing after it:\n"
	"{{format}}\n";

static const struct {
	const char *name;
	int needs_expected;
	const char *rubric;
} presets[] = {
	[POPS_PRESET_FAITHFULNESS] = { "context-faithfulness", 0,
		"Faithfulness to the retrieved context. Break the output into its factual claims. "
		"For each claim, decide whether the text inside <context> states it or directly "
		"implies it; general knowledge, the input and the reference answer do not count as "
		"support. The output passes only when every claim is supported by the context; one "
		"unsupported or contradicted claim fails it. An output that makes no factual claim "
		"(a refusal, \"the context does not say\") passes." },
	[POPS_PRESET_RECALL] = { "context-recall", 1,
		"Recall of the retrieved context. Break the reference answer inside <reference> into "
		"its facts. For each fact, decide whether the text inside <context> states it or "
		"directly implies it. It passes only when every fact of the reference answer can be "
		"found in the context; a fact missing from the context fails it. Grade the context, "
		"not the output: the output is shown only for reference." },
};

const char *pops_judge_default_prompt(void)
{
	return default_prompt;
}

const char *pops_judge_context_prompt(void)
{
	return context_prompt;
}

const char *pops_judge_preset_name(int preset)
{
	return preset > 0 && preset < POPS_PRESET_COUNT ? presets[preset].name : NULL;
}

const char *pops_judge_preset_rubric(int preset)
{
	return preset > 0 && preset < POPS_PRESET_COUNT ? presets[preset].rubric : NULL;
}

int pops_judge_preset_needs_expected(int preset)
{
	return preset > 0 && preset < POPS_PRESET_COUNT && presets[preset].needs_expected;
}

int pops_judge_messages_context(cJSON **out, const pops_eval_prompt *jp, const char *rubric,
                                const char *input, const char *output, const cJSON *expected,
                                const char *context, int pass_score, int scale_max)
{
	cJSON *vars = pops_judge_vars(rubric, input, expected);
	int error;

	*out = NULL;
	POPS_CHECK_ALLOC(vars);
	cJSON_AddStringToObject(vars, "output", output ? output : "");
	cJSON_AddStringToObject(vars, "context", context ? context : "");
	cJSON_AddStringToObject(vars, "format", pops_judge_format_scale(scale_max));
	if (pass_score)
		cJSON_AddNumberToObject(vars, "pass_score", pass_score);
	error = pops_judge_render(out, jp, context_prompt, "pops-context-judge", vars);
	cJSON_Delete(vars);
	return error;
}

const char *pops_judge_format(int scored)
{
	return scored ? "{\"reasoning\": \"<one paragraph>\", \"score\": <integer 1 to 5>}" :
	       "{\"reasoning\": \"<one paragraph>\", \"verdict\": \"pass\" or \"fail\"}";
}

cJSON *pops_judge_output_schema(int scored)
{
	return cJSON_Parse(scored ?
	    "{\"type\":\"object\",\"properties\":{\"reasoning\":{\"type\":\"string\"},"
	    "\"score\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5}},"
	    "\"required\":[\"reasoning\",\"score\"],\"additionalProperties\":false}" :
	    "{\"type\":\"object\",\"properties\":{\"reasoning\":{\"type\":\"string\"},"
	    "\"verdict\":{\"type\":\"string\",\"enum\":[\"pass\",\"fail\"]}},"
	    "\"required\":[\"reasoning\",\"verdict\"],\"additionalProperties\":false}");
}

cJSON *pops_judge_last_object(const char *text)
{
	size_t len = strlen(text);
	const char *end = text + len, *p;

	while (end > text && (isspace((unsigned char)end[-1]) || end[-1] == '`'))
		end--;
	if (end == text || end[-1] != '}')
		return NULL;
	for (p = end - 1; p >= text; p--) {
		cJSON *obj;

		if (*p != '{')
			continue;
		obj = cJSON_ParseWithLength(p, (size_t)(end - p));
		if (obj && cJSON_IsObject(obj))
			return obj;
		cJSON_Delete(obj);
	}
	return NULL;
}

cJSON *pops_judge_reply_object(const char *text, const char *who)
{
	cJSON *obj = pops_judge_last_object(text ? text : "");
	pops_buf b = POPS_BUF_INIT;
	size_t n = text ? strlen(text) : 0;

	if (obj)
		return obj;
	pops_buf_put_sanitized(&b, text ? text + (n > 60 ? n - 60 : 0) : "", n > 60 ? 60 : n, 0);
	pops_error_set(POPS_EINVALID, "%s gave no verdict: its reply does not end in a JSON "
	               "object (ends '%s')", who, b.ptr);
	pops_buf_dispose(&b);
	return NULL;
}

int pops_judge_parse(int *pass, double *score, pops_buf *reasoning,
                     const char *text, int pass_score)
{
	cJSON *obj;
	const cJSON *v, *r;
	int error = 0;

	*pass = 0;
	*score = 0.0;
	if (!(obj = pops_judge_reply_object(text, "judge"))) {
		error = POPS_EINVALID;
		goto done;
	}
	r = cJSON_GetObjectItemCaseSensitive(obj, "reasoning");
	if (reasoning && cJSON_IsString(r))
		pops_buf_sets(reasoning, r->valuestring);
	if (pass_score) {
		v = cJSON_GetObjectItemCaseSensitive(obj, "score");
		/* range first: casting an out-of-range double is undefined */
		if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 5 ||
		    v->valuedouble != (double)(int)v->valuedouble) {
			error = pops_error_set(POPS_EINVALID, "judge gave no valid score: expected \"score\": 1-5");
			goto done;
		}
		*score = (v->valuedouble - 1.0) / 4.0;
		*pass = (int)v->valuedouble >= pass_score;
	} else {
		v = cJSON_GetObjectItemCaseSensitive(obj, "verdict");
		if (!cJSON_IsString(v) || (strcmp(v->valuestring, "pass") && strcmp(v->valuestring, "fail"))) {
			error = pops_error_set(POPS_EINVALID,
			                       "judge gave no valid verdict: expected \"verdict\": \"pass\" or \"fail\"");
			goto done;
		}
		*pass = !strcmp(v->valuestring, "pass");
		*score = *pass ? 1.0 : 0.0;
	}
done:
	cJSON_Delete(obj);
	return error;
}

int pops_judge_messages(cJSON **out, const pops_eval_prompt *jp, const char *rubric,
                        const char *input, const char *output, const cJSON *expected,
                        int pass_score)
{
	cJSON *vars = pops_judge_vars(rubric, input, expected);
	int error;

	*out = NULL;
	POPS_CHECK_ALLOC(vars);
	cJSON_AddStringToObject(vars, "output", output ? output : "");
	cJSON_AddStringToObject(vars, "format", pops_judge_format(pass_score > 0));
	if (pass_score)
		cJSON_AddNumberToObject(vars, "pass_score", pass_score);
	error = pops_judge_render(out, jp, default_prompt, "pops-judge", vars);
	cJSON_Delete(vars);
	return error;
}

cJSON *pops_judge_vars(const char *rubric, const char *input, const cJSON *expected)
{
	cJSON *vars = cJSON_CreateObject();

	if (!vars)
		return NULL;
	cJSON_AddStringToObject(vars, "rubric", rubric ? rubric : "");
	cJSON_AddStringToObject(vars, "input", input ? input : "");
	if (cJSON_IsString(expected))
		cJSON_AddStringToObject(vars, "expected", expected->valuestring);
	else if (expected)
		cJSON_AddItemToObject(vars, "expected", cJSON_Duplicate(expected, 1));
	return vars;
}

int pops_judge_render(cJSON **out, const pops_eval_prompt *jp, const char *fallback,
                      const char *name, const cJSON *vars)
{
	pops_eval_prompt *own = NULL;
	int error;

	*out = NULL;
	if (!jp) {
		if ((error = pops_eval_prompt_parse(&own, fallback, strlen(fallback), name)) < 0)
			return error;
		jp = own;
	}
	error = pops_eval_prompt_render(out, jp, vars);
	pops_eval_prompt_free(own);
	return error;
}

int pops_judge_conversation(pops_buf *out, const cJSON *turns, const char *output)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, turns) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(t, "role");
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(t, "content");

		pops_buf_printf(out, "%s: %s\n\n", cJSON_IsString(role) ? role->valuestring : "user",
		                cJSON_IsString(content) ? content->valuestring : "");
	}
	pops_buf_printf(out, "assistant: %s", output ? output : "");
	return pops_buf_oom(out) ? pops_error_oom() : 0;
}

const char *pops_judge_format_scale(int scale_max)
{
	if (scale_max == 10)
		return "{\"reasoning\": \"<one paragraph>\", \"score\": <integer 1 to 10>}";
	return pops_judge_format(scale_max > 0);
}

cJSON *pops_judge_output_schema_scale(int scale_max)
{
	cJSON *s = pops_judge_output_schema(scale_max > 0), *score;

	score = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "properties"), "score");
	if (score && scale_max == 10)
		cJSON_ReplaceItemInObjectCaseSensitive(score, "maximum", cJSON_CreateNumber(10));
	return s;
}

int pops_judge_messages_scale(cJSON **out, const pops_eval_prompt *jp, const char *rubric,
                              const char *input, const char *output, const cJSON *expected,
                              int pass_score, int scale_max)
{
	cJSON *vars = pops_judge_vars(rubric, input, expected);
	int error;

	*out = NULL;
	POPS_CHECK_ALLOC(vars);
	cJSON_AddStringToObject(vars, "output", output ? output : "");
	cJSON_AddStringToObject(vars, "format", pops_judge_format_scale(scale_max));
	if (pass_score)
		cJSON_AddNumberToObject(vars, "pass_score", pass_score);
	error = pops_judge_render(out, jp, default_prompt, "pops-judge", vars);
	cJSON_Delete(vars);
	return error;
}

int pops_judge_parse_scale(int *pass, double *score, pops_buf *reasoning,
                           const char *text, int pass_score, int scale_max)
{
	cJSON *obj;
	const cJSON *v, *r;
	int error = 0;

	if (scale_max <= 0)
		return pops_judge_parse(pass, score, reasoning, text, pass_score);
	*pass = 0;
	*score = 0.0;
	if (!(obj = pops_judge_reply_object(text, "judge")))
		return POPS_EINVALID;
	r = cJSON_GetObjectItemCaseSensitive(obj, "reasoning");
	if (reasoning && cJSON_IsString(r))
		pops_buf_sets(reasoning, r->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(obj, "score");
	/* range first: casting an out-of-range double is undefined */
	if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > scale_max ||
	    v->valuedouble != (double)(int)v->valuedouble) {
		error = pops_error_set(POPS_EINVALID, "judge gave no valid score: expected \"score\": 1-%d",
		                       scale_max);
	} else {
		*score = (v->valuedouble - 1.0) / (double)(scale_max - 1);
		*pass = (int)v->valuedouble >= pass_score;
	}
	cJSON_Delete(obj);
	return error;
}

char *pops_judge_reword(const char *rubric)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_puts(&b, "Restated: treat the output as failing unless it fully meets every "
	              "point below; meeting most of them is not enough.\n");
	pops_buf_puts(&b, rubric ? rubric : "");
	return pops_buf_oom(&b) ? (pops_buf_dispose(&b), NULL) : pops_buf_detach(&b);
}
