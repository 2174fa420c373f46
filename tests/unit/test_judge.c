#include "unit.h"
#include "judge.h"

TEST(judge_reads_only_the_final_verdict)
{
	pops_buf why = POPS_BUF_INIT;
	int pass = -1;
	double score = -1;

	CHECK_INT(pops_judge_parse(&pass, &score, &why,
	    "Thinking: the draft said {\"verdict\": \"fail\"} but...\n"
	    "{\"reasoning\": \"ok in the end\", \"verdict\": \"pass\"}\n", 0), 0);
	CHECK_INT(pass, 1);
	CHECK_STR(why.ptr, "ok in the end");
	CHECK_INT(pops_judge_parse(&pass, &score, NULL,
	    "```json\n{\"reasoning\":\"x\",\"verdict\":\"fail\"}\n```", 0), 0);
	CHECK_INT(pass, 0);
	pops_buf_dispose(&why);
}

TEST(judge_prose_or_bad_verdict_is_an_error_never_a_pass)
{
	int pass = -1;
	double score;

	CHECK_INT(pops_judge_parse(&pass, &score, NULL, "Looks great to me, I would pass it.", 0),
	          POPS_EINVALID);
	CHECK_ERR_HAS("judge gave no verdict");
	CHECK_INT(pass, 0);
	CHECK_INT(pops_judge_parse(&pass, &score, NULL, "{\"verdict\":\"PASS!\"}", 0), POPS_EINVALID);
	CHECK_INT(pops_judge_parse(&pass, &score, NULL, "{\"verdict\":\"pass\"} and more text", 0),
	          POPS_EINVALID);
	CHECK_INT(pops_judge_parse(&pass, &score, NULL, "", 0), POPS_EINVALID);
	CHECK_INT(pops_judge_parse(&pass, &score, NULL, NULL, 0), POPS_EINVALID);
	CHECK_INT(pass, 0);
}

TEST(judge_scores_against_pass_mark)
{
	int pass;
	double score;

	CHECK_INT(pops_judge_parse(&pass, &score, NULL, "{\"reasoning\":\"r\",\"score\":4}", 4), 0);
	CHECK_INT(pass, 1);
	CHECK(score > 0.74 && score < 0.76);
	CHECK_INT(pops_judge_parse(&pass, &score, NULL, "{\"score\":3}", 4), 0);
	CHECK_INT(pass, 0);
	CHECK_INT(pops_judge_parse(&pass, &score, NULL, "{\"score\":6}", 4), POPS_EINVALID);
	CHECK_INT(pops_judge_parse(&pass, &score, NULL, "{\"score\":3.5}", 4), POPS_EINVALID);
}

TEST(judge_schema_and_prompt_exist)
{
	cJSON *s = pops_judge_output_schema(0);

	CHECK(s);
	CHECK(strstr(pops_judge_default_prompt(), "{{rubric}}"));
	cJSON_Delete(s);
}

TEST(judge_messages_carry_rubric_output_reference_and_format)
{
	cJSON *msgs = NULL, *exp = cJSON_CreateString("Paris");
	char *j;

	CHECK_INT(pops_judge_messages(&msgs, NULL, "Names the capital.", "What is the capital?",
	                              "It is Lyon.", exp, 0), 0);
	j = cJSON_PrintUnformatted(msgs);
	CHECK(strstr(j, "Names the capital."));
	CHECK(strstr(j, "It is Lyon."));
	CHECK(strstr(j, "Paris"));
	CHECK(strstr(j, "\\\"verdict\\\": \\\"pass\\\" or \\\"fail\\\""));
	free(j);
	cJSON_Delete(msgs);
	CHECK_INT(pops_judge_messages(&msgs, NULL, "r", NULL, "o", NULL, 4), 0);
	j = cJSON_PrintUnformatted(msgs);
	CHECK(strstr(j, "integer 1 to 5"));
	free(j);
	cJSON_Delete(msgs);
	cJSON_Delete(exp);
}

TEST(judge_conversation_lists_every_turn_then_the_final_reply)
{
	cJSON *turns = cJSON_Parse("[{\"role\":\"user\",\"content\":\"Hi, I am Ann.\"},"
	                           "{\"role\":\"assistant\",\"content\":\"Hello Ann.\"}]");
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_judge_conversation(&b, turns, "Your name is Ann."), 0);
	CHECK_STR(b.ptr, "user: Hi, I am Ann.\n\nassistant: Hello Ann.\n\nassistant: Your name is Ann.");
	pops_buf_clear(&b);
	CHECK_INT(pops_judge_conversation(&b, NULL, "x"), 0);
	CHECK_STR(b.ptr, "assistant: x");
	pops_buf_dispose(&b);
	cJSON_Delete(turns);
}

TEST(judge_scale_ten_scores_and_reword)
{
	int pass = 0;
	double score = 0;
	pops_buf why = POPS_BUF_INIT;
	cJSON *schema = pops_judge_output_schema_scale(10);
	char *rw = pops_judge_reword("Be brief.");

	CHECK(pops_judge_parse_scale(&pass, &score, &why, "ok\n{\"reasoning\":\"r\",\"score\":8}", 7, 10) == 0);
	CHECK(pass == 1 && score > 0.777 && score < 0.778);
	CHECK_STR(why.ptr, "r");
	CHECK(pops_judge_parse_scale(&pass, &score, &why, "{\"reasoning\":\"r\",\"score\":6}", 7, 10) == 0);
	CHECK(pass == 0);
	CHECK(pops_judge_parse_scale(&pass, &score, &why, "{\"reasoning\":\"r\",\"score\":11}", 7, 10) ==
	      POPS_EINVALID);
	CHECK(strstr(pops_error_last(), "expected \"score\": 1-10") != NULL);
	CHECK(pops_judge_parse_scale(&pass, &score, &why, "{\"reasoning\":\"r\",\"verdict\":\"pass\"}", 0, 0) == 0);
	CHECK(pass == 1);
	CHECK(strstr(pops_judge_format_scale(10), "integer 1 to 10") != NULL);
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(schema, "properties"), "score"),
	                          "maximum")->valuedouble == 10);
	CHECK(rw && strstr(rw, "Restated:") == rw && strstr(rw, "Be brief.") != NULL);
	free(rw);
	cJSON_Delete(schema);
	pops_buf_dispose(&why);
}

TEST(judge_presets_ship_rubrics_and_render_the_context)
{
	cJSON *msgs = NULL, *exp = cJSON_CreateString("Paris");
	char *j;

	CHECK_STR(pops_judge_preset_name(POPS_PRESET_FAITHFULNESS), "context-faithfulness");
	CHECK_STR(pops_judge_preset_name(POPS_PRESET_RECALL), "context-recall");
	CHECK(pops_judge_preset_name(POPS_PRESET_NONE) == NULL && pops_judge_preset_rubric(99) == NULL);
	CHECK(strstr(pops_judge_preset_rubric(POPS_PRESET_FAITHFULNESS), "every claim") != NULL);
	CHECK(pops_judge_preset_needs_expected(POPS_PRESET_RECALL));
	CHECK(!pops_judge_preset_needs_expected(POPS_PRESET_FAITHFULNESS));
	CHECK(strstr(pops_judge_context_prompt(), "{{context}}") != NULL);
	CHECK_INT(pops_judge_messages_context(&msgs, NULL, pops_judge_preset_rubric(POPS_PRESET_RECALL),
	                                      "Capital?", "It is Lyon.", exp,
	                                      "Paris is the capital of France.", 0, 0), 0);
	j = cJSON_PrintUnformatted(msgs);
	CHECK(strstr(j, "<context>\\nParis is the capital of France.\\n</context>") != NULL);
	CHECK(strstr(j, "Break the reference answer") != NULL);
	CHECK(strstr(j, "It is Lyon.") != NULL);
	CHECK(strstr(j, "\\\"verdict\\\": \\\"pass\\\" or \\\"fail\\\"") != NULL);
	free(j);
	cJSON_Delete(msgs);
	CHECK_INT(pops_judge_messages_context(&msgs, NULL, "r", NULL, "o", NULL, NULL, 4, 10), 0);
	j = cJSON_PrintUnformatted(msgs);
	CHECK(strstr(j, "integer 1 to 10") != NULL);
	free(j);
	cJSON_Delete(msgs);
	cJSON_Delete(exp);
}
