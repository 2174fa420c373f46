#include "unit.h"
#include "models.h"

TEST(rejects_floating_model_ids_per_provider)
{
	const char *why;

	CHECK(pops_model_floating("openai", "gpt-4o", &why));
	CHECK(strstr(why, "dated snapshots"));
	CHECK(pops_model_floating("openai", "gpt-4o-mini", &why));
	CHECK(pops_model_floating("openai", "chatgpt-4o-latest", &why));
	CHECK(pops_model_floating("openai", "o3-mini", &why));
	CHECK(!pops_model_floating("openai", "gpt-4o-2024-08-06", &why));
	CHECK(!pops_model_floating("openai", "gpt-3.5-turbo-0125", &why));
	CHECK(!pops_model_floating("openai", "o1-2024-12-17", &why));
	/* an OpenAI-compatible server with its own names: only 'latest' floats */
	CHECK(!pops_model_floating("openai", "meta-llama/Llama-3.1-8B-Instruct", &why));
	CHECK(pops_model_floating("openai", "llama3:latest", &why));
	CHECK(pops_model_floating("anthropic", "claude-sonnet-4-5", &why));
	CHECK(pops_model_floating("anthropic", "claude-3-5-sonnet-latest", &why));
	CHECK(!pops_model_floating("anthropic", "claude-sonnet-4-5-20250929", &why));
	CHECK(pops_model_floating("ollama", "llama3", &why));
	CHECK(pops_model_floating("ollama", "llama3:latest", &why));
	CHECK(!pops_model_floating("ollama", "llama3.1:8b-instruct-q4_K_M", &why));
	CHECK(!pops_model_floating("exec", "latest", &why));
}

TEST(retired_table_gives_dates_and_replacements)
{
	const char *date, *repl;

	CHECK_INT(pops_model_retired("gpt-3.5-turbo-0613", "2026-01-01", &date, &repl), 1);
	CHECK_STR(date, "2024-09-13");
	CHECK(repl);
	CHECK_INT(pops_model_retired("gpt-3.5-turbo-0613", "2024-01-01", &date, &repl), 2);
	CHECK_INT(pops_model_retired("gpt-4o-2024-08-06", "2026-01-01", &date, &repl), 0);
}

static const char base[] =
	"version: 1\n"
	"# models we use\n"
	"models:\n"
	"  fast:  { provider: openai, id: gpt-4o-mini-2024-07-18 }  # cheap\n"
	"  judge:\n"
	"    provider: anthropic\n"
	"    id: claude-sonnet-4-5-20250929\n"
	"\n"
	"pricing: {}\n";

TEST(pin_replaces_block_and_flow_entries_keeping_other_lines)
{
	pops_buf out = POPS_BUF_INIT;

	CHECK_INT(pops_model_pin_text(&out, base, sizeof(base) - 1, "judge", "anthropic",
	                              "claude-x-20250101", 0), 0);
	CHECK_STR(out.ptr, "version: 1\n# models we use\nmodels:\n"
	          "  fast:  { provider: openai, id: gpt-4o-mini-2024-07-18 }  # cheap\n"
	          "  judge: { provider: anthropic, id: \"claude-x-20250101\" }\n"
	          "\npricing: {}\n");
	CHECK_INT(pops_model_pin_text(&out, base, sizeof(base) - 1, "new", "p", "a\"b", 1), 0);
	CHECK_STR(out.ptr, "version: 1\n# models we use\nmodels:\n"
	          "  fast:  { provider: openai, id: gpt-4o-mini-2024-07-18 }  # cheap\n"
	          "  judge:\n    provider: anthropic\n    id: claude-sonnet-4-5-20250929\n"
	          "  new: { provider: p, id: \"a\\\"b\", allow_floating: true }\n"
	          "\npricing: {}\n");
	pops_buf_dispose(&out);
}

TEST(pin_refuses_flow_style_models)
{
	static const char flow[] = "version: 1\nmodels: { a: { provider: p, id: x } }\n";
	pops_buf out = POPS_BUF_INIT;

	CHECK_INT(pops_model_pin_text(&out, flow, sizeof(flow) - 1, "a", "p", "y", 0), POPS_EINVALID);
	CHECK_ERR_HAS("pops.yaml:2: 'models' is written in flow style");
	pops_buf_dispose(&out);
}

TEST(floating_names_get_a_dated_snapshot_suggested)
{
	const char *why;

	CHECK_STR(pops_model_snapshot("gpt-4o-mini"), "gpt-4o-mini-2024-07-18");
	CHECK_STR(pops_model_snapshot("claude-3-5-haiku-latest"), "claude-3-5-haiku-20241022");
	CHECK(!pops_model_snapshot("gpt-4o-mini-2024-07-18"));
	CHECK(!pops_model_snapshot("llama3"));
	/* every suggestion is itself pinned */
	CHECK(!pops_model_floating("openai", pops_model_snapshot("gpt-4.1"), &why));
	CHECK(!pops_model_floating("anthropic", pops_model_snapshot("claude-sonnet-4-5"), &why));
}
