#include "common.h"
#include "judge.h"
#include "pairwise.h"
#include "strutil.h"

static const char default_prompt[] =
	"---\n"
	"name: pops-pairwise\n"
	"config: { temperature: 0 }\n"
	"---\n"
	"You are comparing two responses that AI systems gave to the same input.\n"
	"\n"
	"Criterion:\n{{rubric}}\n"
	"\n"
	"Input given to both systems:\n<input>\n{{input}}\n</input>\n"
	"\n"
	"Reference answer (may be empty; when present, use it):\n"
	"<reference>\n{{expected}}\n</reference>\n"
	"\n"
	"<response_a>\n{{output_a}}\n</response_a>\n"
	"\n"
	"<response_b>\n{{output_b}}\n</response_b>\n"
	"\n"
	"The order of the two responses is arbitrary: do not let it, or their\n"
	"length, sway you. Answer \"tie\" when neither is better.\n"
	"First think step by step about which response better meets the criterion.\n"
	"Then end your reply with one JSON object on its own line and nothing after it:\n"
	"{{format}}\n";

const char *pops_pairwise_default_prompt(void)
{
	return default_prompt;
}

const char *pops_pairwise_format(void)
{
	return "{\"reasoning\": \"<one paragraph>\", \"verdict\": \"A\", \"B\" or \"tie\"}";
}

cJSON *pops_pairwise_output_schema(void)
{
	return cJSON_Parse(
	    "{\"type\":\"object\",\"properties\":{\"reasoning\":{\"type\":\"string\"},"
	    "\"verdict\":{\"type\":\"string\",\"enum\":[\"A\",\"B\",\"tie\"]}},"
	    "\"required\":[\"reasoning\",\"verdict\"],\"additionalProperties\":false}");
}

int pops_pairwise_messages(cJSON **out, const pops_eval_prompt *jp, const char *rubric,
                           const char *input, const char *output_a, const char *output_b,
                           const cJSON *expected)
{
	cJSON *vars = pops_judge_vars(rubric, input, expected);
	int error;

	*out = NULL;
	POPS_CHECK_ALLOC(vars);
	cJSON_AddStringToObject(vars, "output_a", output_a ? output_a : "");
	cJSON_AddStringToObject(vars, "output_b", output_b ? output_b : "");
	cJSON_AddStringToObject(vars, "format", pops_pairwise_format());
	error = pops_judge_render(out, jp, default_prompt, "pops-pairwise", vars);
	cJSON_Delete(vars);
	return error;
}

pops_pair_verdict pops_pairwise_verdict_from(const char *name)
{
	if (!name)
		return 0;
	if (!strcmp(name, "A"))
		return POPS_PAIR_A;
	if (!strcmp(name, "B"))
		return POPS_PAIR_B;
	if (!strcmp(name, "tie"))
		return POPS_PAIR_TIE;
	return 0;
}

int pops_pairwise_parse(pops_pair_verdict *v, pops_buf *reasoning, const char *text)
{
	cJSON *obj;
	const cJSON *verdict, *r;
	int error = 0;

	*v = 0;
	if (!(obj = pops_judge_reply_object(text, "pairwise judge"))) {
		error = POPS_EINVALID;
		goto done;
	}
	verdict = cJSON_GetObjectItemCaseSensitive(obj, "verdict");
	if (!cJSON_IsString(verdict) || !(*v = pops_pairwise_verdict_from(verdict->valuestring))) {
		error = pops_error_set(POPS_EINVALID,
		    "pairwise judge gave no valid verdict: expected \"verdict\": \"A\", \"B\" or \"tie\"");
		goto done;
	}
	r = cJSON_GetObjectItemCaseSensitive(obj, "reasoning");
	if (reasoning && cJSON_IsString(r))
		pops_buf_sets(reasoning, r->valuestring);
done:
	cJSON_Delete(obj);
	return error;
}

pops_pair_outcome pops_pairwise_combine(pops_pair_verdict cur_as_a, pops_pair_verdict cur_as_b)
{
	if (cur_as_a == POPS_PAIR_A && cur_as_b == POPS_PAIR_B)
		return POPS_PAIR_WIN;
	if (cur_as_a == POPS_PAIR_B && cur_as_b == POPS_PAIR_A)
		return POPS_PAIR_LOSS;
	return POPS_PAIR_EVEN;
}

const char *pops_pairwise_verdict_name(pops_pair_verdict v)
{
	return v == POPS_PAIR_A ? "A" : v == POPS_PAIR_B ? "B" : v == POPS_PAIR_TIE ? "tie" : "?";
}

const char *pops_pairwise_outcome_name(pops_pair_outcome o)
{
	return o == POPS_PAIR_WIN ? "win" : o == POPS_PAIR_LOSS ? "loss" : "tie";
}

void pops_pairwise_reason(pops_buf *out, pops_pair_outcome o, pops_pair_verdict cur_as_a,
                          pops_pair_verdict cur_as_b)
{
	pops_buf_printf(out, "%s against the baseline (verdict '%s' with this output as A, '%s' with it as B)",
	                pops_pairwise_outcome_name(o), pops_pairwise_verdict_name(cur_as_a),
	                pops_pairwise_verdict_name(cur_as_b));
}
