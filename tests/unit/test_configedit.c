#include "unit.h"
#include "configedit.h"

static const char base[] =
	"version: 1\n"
	"providers:\n"
	"    openai: { type: openai }   # ours\n"
	"\n"
	"# the order matters\n"
	"environments:\n"
	"  - name: dev\n"
	"  - name: prod\n"
	"    require: { from: dev }\n"
	"    # require: { approvals: 1 }\n"
	"\n"
	"pricing: {}\n";

TEST(set_appends_to_a_section_with_its_indent_and_keeps_comments)
{
	pops_buf out = POPS_BUF_INIT;

	CHECK_INT(pops_configedit_set(&out, base, sizeof(base) - 1, "providers", "anthropic",
	                              "{ type: anthropic }"), 0);
	CHECK_STR(out.ptr, "version: 1\nproviders:\n    openai: { type: openai }   # ours\n"
	          "    anthropic: { type: anthropic }\n\n# the order matters\nenvironments:\n"
	          "  - name: dev\n  - name: prod\n    require: { from: dev }\n"
	          "    # require: { approvals: 1 }\n\npricing: {}\n");
	pops_buf_dispose(&out);
}

TEST(set_creates_missing_and_empty_sections)
{
	pops_buf out = POPS_BUF_INIT;

	CHECK_INT(pops_configedit_set(&out, base, sizeof(base) - 1, "models", "fast",
	                              "{ provider: openai, id: \"x\" }"), 0);
	CHECK(strstr(out.ptr, "pricing: {}\nmodels:\n  fast: { provider: openai, id: \"x\" }\n"));
	CHECK_INT(pops_configedit_set(&out, base, sizeof(base) - 1, "pricing", "x",
	                              "{ input: 1, output: 2 }"), 0);
	CHECK(strstr(out.ptr, "\npricing:\n  x: { input: 1, output: 2 }\n"));
	CHECK_INT(pops_configedit_set(&out, "models: { a: 1 }\n", 17, "models", "b", "{}"),
	          POPS_EINVALID);
	CHECK_ERR_HAS("pops.yaml:1: 'models' is written in flow style");
	pops_buf_dispose(&out);
}

TEST(add_env_appends_after_the_last_item_and_its_children)
{
	pops_buf out = POPS_BUF_INIT;

	CHECK_INT(pops_configedit_add_env(&out, base, sizeof(base) - 1, "production"), 0);
	CHECK(strstr(out.ptr, "  - name: prod\n    require: { from: dev }\n"
	                      "    # require: { approvals: 1 }\n  - name: production\n\npricing"));
	pops_buf_dispose(&out);
}

TEST(add_env_to_a_file_without_the_list_keeps_the_default_order)
{
	pops_buf out = POPS_BUF_INIT;

	CHECK_INT(pops_configedit_add_env(&out, "version: 1\n", 11, "canary"), 0);
	CHECK_STR(out.ptr, "version: 1\nenvironments:\n  - name: dev\n  - name: staging\n"
	          "  - name: prod\n  - name: canary\n");
	CHECK_INT(pops_configedit_add_env(&out, "version: 1\n", 11, "staging"), 0);
	CHECK_STR(out.ptr, "version: 1\nenvironments:\n  - name: dev\n  - name: staging\n"
	          "  - name: prod\n");
	CHECK_INT(pops_configedit_add_env(&out, "environments: []\n", 17, "x"), 0);
	CHECK_STR(out.ptr, "environments:\n  - name: x\n");
	CHECK_INT(pops_configedit_add_env(&out, "environments: [{name: a}]\n", 26, "x"), POPS_EINVALID);
	pops_buf_dispose(&out);
}
