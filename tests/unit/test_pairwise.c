#include "unit.h"
#include "pairwise.h"
#include "assertion.h"

TEST(pairwise_win_and_loss_need_both_orders_to_agree)
{
	/* first verdict: current output as A; second: current output as B */
	CHECK_INT(pops_pairwise_combine(POPS_PAIR_A, POPS_PAIR_B), POPS_PAIR_WIN);
	CHECK_INT(pops_pairwise_combine(POPS_PAIR_B, POPS_PAIR_A), POPS_PAIR_LOSS);
	/* position bias: the judge always picks A (or B): a tie */
	CHECK_INT(pops_pairwise_combine(POPS_PAIR_A, POPS_PAIR_A), POPS_PAIR_EVEN);
	CHECK_INT(pops_pairwise_combine(POPS_PAIR_B, POPS_PAIR_B), POPS_PAIR_EVEN);
	/* a tie in either order is a tie */
	CHECK_INT(pops_pairwise_combine(POPS_PAIR_TIE, POPS_PAIR_TIE), POPS_PAIR_EVEN);
	CHECK_INT(pops_pairwise_combine(POPS_PAIR_A, POPS_PAIR_TIE), POPS_PAIR_EVEN);
	CHECK_INT(pops_pairwise_combine(POPS_PAIR_TIE, POPS_PAIR_A), POPS_PAIR_EVEN);
	CHECK_STR(pops_pairwise_outcome_name(POPS_PAIR_WIN), "win");
	CHECK_STR(pops_pairwise_outcome_name(POPS_PAIR_EVEN), "tie");
	CHECK_STR(pops_pairwise_outcome_name(POPS_PAIR_LOSS), "loss");
}

TEST(pairwise_reads_only_the_final_verdict)
{
	pops_buf why = POPS_BUF_INIT;
	pops_pair_verdict v = 0;

	CHECK_INT(pops_pairwise_parse(&v, &why,
	    "At first {\"verdict\": \"B\"} seemed right, but\n"
	    "{\"reasoning\": \"A is complete\", \"verdict\": \"A\"}\n"), 0);
	CHECK_INT(v, POPS_PAIR_A);
	CHECK_STR(why.ptr, "A is complete");
	CHECK_INT(pops_pairwise_parse(&v, NULL, "```json\n{\"reasoning\":\"x\",\"verdict\":\"tie\"}\n```"), 0);
	CHECK_INT(v, POPS_PAIR_TIE);
	CHECK_INT(pops_pairwise_parse(&v, NULL, "{\"verdict\":\"B\"}"), 0);
	CHECK_INT(v, POPS_PAIR_B);
	pops_buf_dispose(&why);
}

TEST(pairwise_malformed_verdicts_are_errors)
{
	pops_pair_verdict v = POPS_PAIR_A;

	CHECK_INT(pops_pairwise_parse(&v, NULL, "Response A is better."), POPS_EINVALID);
	CHECK_ERR_HAS("pairwise judge gave no verdict");
	CHECK_INT(v, 0);
	CHECK_INT(pops_pairwise_parse(&v, NULL, "{\"verdict\":\"a\"}"), POPS_EINVALID);
	CHECK_ERR_HAS("expected \"verdict\": \"A\", \"B\" or \"tie\"");
	CHECK_INT(pops_pairwise_parse(&v, NULL, "{\"verdict\":\"pass\"}"), POPS_EINVALID);
	CHECK_INT(pops_pairwise_parse(&v, NULL, "{\"verdict\":1}"), POPS_EINVALID);
	CHECK_INT(pops_pairwise_parse(&v, NULL, "{\"reasoning\":\"no verdict\"}"), POPS_EINVALID);
	CHECK_INT(pops_pairwise_parse(&v, NULL, "{\"verdict\":\"A\"} and then more"), POPS_EINVALID);
	CHECK_INT(pops_pairwise_parse(&v, NULL, ""), POPS_EINVALID);
	CHECK_INT(pops_pairwise_parse(&v, NULL, NULL), POPS_EINVALID);
	CHECK_INT(v, 0);
	CHECK_INT(pops_pairwise_verdict_from("A"), POPS_PAIR_A);
	CHECK_INT(pops_pairwise_verdict_from("TIE"), 0);
	CHECK_INT(pops_pairwise_verdict_from(NULL), 0);
}

TEST(pairwise_messages_place_the_responses_and_ask_for_the_format)
{
	cJSON *msgs = NULL, *exp = cJSON_CreateString("Paris"), *schema;
	char *j;

	CHECK_INT(pops_pairwise_messages(&msgs, NULL, "More accurate.", "Capital of France?",
	                                 "first answer", "second answer", exp), 0);
	j = cJSON_PrintUnformatted(msgs);
	CHECK(strstr(j, "<response_a>\\nfirst answer\\n</response_a>"));
	CHECK(strstr(j, "<response_b>\\nsecond answer\\n</response_b>"));
	CHECK(strstr(j, "More accurate."));
	CHECK(strstr(j, "Capital of France?"));
	CHECK(strstr(j, "Paris"));
	CHECK(strstr(j, "\\\"verdict\\\": \\\"A\\\", \\\"B\\\" or \\\"tie\\\""));
	free(j);
	cJSON_Delete(msgs);
	cJSON_Delete(exp);
	schema = pops_pairwise_output_schema();
	CHECK(schema);
	j = cJSON_PrintUnformatted(schema);
	CHECK(strstr(j, "\"enum\":[\"A\",\"B\",\"tie\"]"));
	free(j);
	cJSON_Delete(schema);
}

TEST(pairwise_reason_is_one_line_with_both_verdicts)
{
	pops_buf b = POPS_BUF_INIT;

	pops_pairwise_reason(&b, POPS_PAIR_EVEN, POPS_PAIR_A, POPS_PAIR_A);
	CHECK_STR(b.ptr, "tie against the baseline (verdict 'A' with this output as A, 'A' with it as B)");
	CHECK(!strchr(b.ptr, '\n'));
	pops_buf_dispose(&b);
}

TEST(pairwise_assertion_options_are_checked_at_load)
{
	pops_assert *a = NULL;
	cJSON *n = cJSON_Parse("{\"type\":\"pairwise\",\"model\":\"judge\",\"require\":\"win\"}");

	CHECK_INT(pops_assert_compile(&a, n, "s.yaml", 3), 0);
	CHECK_INT(a->require_win, 1);
	CHECK(pops_assert_needs_model(a));
	pops_assert_free(a);
	cJSON_Delete(n);
	n = cJSON_Parse("{\"type\":\"pairwise\",\"model\":\"judge\",\"require\":\"most\"}");
	CHECK_INT(pops_assert_compile(&a, n, "s.yaml", 3), POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:3: 'require' is for 'pairwise' only");
	cJSON_Delete(n);
	n = cJSON_Parse("{\"type\":\"pairwise\",\"model\":\"judge\",\"pass_score\":3}");
	CHECK_INT(pops_assert_compile(&a, n, "s.yaml", 4), POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:4: 'pairwise' has no 'pass_score'");
	cJSON_Delete(n);
	n = cJSON_Parse("{\"type\":\"contains\",\"value\":\"x\",\"require\":\"win\"}");
	CHECK_INT(pops_assert_compile(&a, n, "s.yaml", 5), POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:5: 'require' is for 'pairwise' only");
	cJSON_Delete(n);
	n = cJSON_Parse("{\"type\":\"pairwise\",\"rubric\":\"x\"}");
	CHECK_INT(pops_assert_compile(&a, n, "s.yaml", 6), POPS_EINVALID);
	CHECK_ERR_HAS("needs 'model'");
	cJSON_Delete(n);
}
