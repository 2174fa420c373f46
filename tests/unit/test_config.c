#include "unit.h"
#include "config.h"
#include "fileio.h"
#include "shape.h"

#include <unistd.h>

static int parse(pops_config **cfg, const char *text)
{
	return pops_config_parse(cfg, text, strlen(text), "dir/pops.yaml");
}

TEST(config_template_is_valid_and_complete)
{
	pops_config *cfg = NULL;
	const pops_env_cfg *prod;
	size_t idx = 99;

	CHECK_INT(parse(&cfg, pops_config_template()), 0);
	CHECK_STR(cfg->root, "dir");
	CHECK_STR(cfg->prompts_dir, "prompts");
	CHECK_INT(cfg->nenvs, 3);
	prod = pops_config_env(cfg, "prod", &idx);
	CHECK(prod != NULL);
	CHECK_INT(idx, 2);
	CHECK(pops_config_model(cfg, "fast") != NULL);
	CHECK_STR(pops_config_model(cfg, "fast")->id, "gpt-4o-mini-2024-07-18");
	CHECK_STR(pops_config_provider(cfg, "anthropic")->base_url, "https://api.anthropic.com");
	CHECK(pops_config_price(cfg, "gpt-4o-mini-2024-07-18")->cached_input == 0.075);
	CHECK(pops_config_model(cfg, "nope") == NULL);
	pops_config_free(cfg);
}

TEST(config_reads_requirements)
{
	pops_config *cfg = NULL;
	const pops_env_cfg *e;

	CHECK_INT(parse(&cfg, "version: 1\nenvironments:\n  - name: staging\n"
	                      "  - name: prod\n    require: {from: staging, suites: [a.yaml, b.yaml],"
	                      " min_pass_rate: 0.9, no_regression: true, approvals: 2}\n"), 0);
	e = pops_config_env(cfg, "prod", NULL);
	CHECK_STR(e->from, "staging");
	CHECK_INT(e->nsuites, 2);
	CHECK_STR(e->suites[1], "b.yaml");
	CHECK(e->min_pass_rate == 0.9);
	CHECK_INT(e->no_regression, 1);
	CHECK_INT(e->approvals, 2);
	CHECK(pops_config_env(cfg, "staging", NULL)->min_pass_rate < 0);
	pops_config_free(cfg);
}

TEST(config_reads_calibrated_judges)
{
	pops_config *cfg = NULL;
	const pops_env_cfg *e;

	CHECK_INT(parse(&cfg, "version: 1\nenvironments:\n  - name: staging\n"
	                      "  - name: prod\n    require: {suites: [a.yaml],"
	                      " calibrated_judges: {min_kappa: 0.6}}\n"), 0);
	e = pops_config_env(cfg, "prod", NULL);
	CHECK_INT(e->calibrated_judges, 1);
	CHECK(e->min_kappa == 0.6);
	CHECK_INT(pops_config_env(cfg, "staging", NULL)->calibrated_judges, 0);
	pops_config_free(cfg);
	cfg = NULL;
	/* min_kappa is required, and a kappa */
	CHECK_INT(parse(&cfg, "version: 1\nenvironments:\n  - name: prod\n"
	                      "    require: {calibrated_judges: {}}\n"), POPS_EINVALID);
	CHECK_ERR_HAS("min_kappa");
	CHECK_INT(parse(&cfg, "version: 1\nenvironments:\n  - name: prod\n"
	                      "    require: {calibrated_judges: {min_kappa: 1.5}}\n"), POPS_EINVALID);
	CHECK_ERR_HAS("min_kappa");
}

TEST(config_without_environments_uses_dev_staging_prod)
{
	pops_config *cfg = NULL;

	CHECK_INT(parse(&cfg, "version: 1\n"), 0);
	CHECK_INT(cfg->nenvs, 3);
	CHECK_STR(cfg->envs[0].name, "dev");
	CHECK_STR(cfg->envs[2].name, "prod");
	pops_config_free(cfg);
}

TEST(config_rejects_unknown_key_with_suggestion)
{
	pops_config *cfg = NULL;

	CHECK_INT(parse(&cfg, "version: 1\nenviroments: []\n"), POPS_EINVALID);
	CHECK_ERR_HAS("dir/pops.yaml:2: unknown key 'enviroments' (did you mean 'environments'?)");
	CHECK(cfg == NULL);
}

TEST(config_rejects_wrong_types_and_missing_keys)
{
	pops_config *cfg = NULL;

	CHECK_INT(parse(&cfg, "version: '1'\n"), POPS_EINVALID);
	CHECK_ERR_HAS("'version' must be an integer");
	CHECK_INT(parse(&cfg, "prompts: p\n"), POPS_EINVALID);
	CHECK_ERR_HAS("missing required key 'version'");
	CHECK_INT(parse(&cfg, "version: 1\nproviders:\n  x: {base_url: http://h}\n"), POPS_EINVALID);
	CHECK_ERR_HAS("dir/pops.yaml:3: 'providers.x' needs 'type'");
	CHECK_INT(parse(&cfg, "version: 1\nproviders:\n  x: {type: openia}\n"), POPS_EINVALID);
	CHECK_ERR_HAS("expected one of: openai, anthropic, ollama, exec, replay");
	CHECK_INT(parse(&cfg, "- a\n- b\n"), POPS_EINVALID);
	CHECK_ERR_HAS("'document' must be a mapping");
}

TEST(config_checks_cross_references)
{
	pops_config *cfg = NULL;

	CHECK_INT(parse(&cfg, "version: 1\nenvironments:\n  - name: a\n  - name: a\n"), POPS_EINVALID);
	CHECK_ERR_HAS("defined twice");
	CHECK_INT(parse(&cfg, "version: 1\nenvironments:\n  - name: ../x\n"), POPS_EINVALID);
	CHECK_ERR_HAS("may only use letters");
	CHECK_INT(parse(&cfg, "version: 1\nproviders:\n  e: {type: exec}\n"), POPS_EINVALID);
	CHECK_ERR_HAS("needs 'command'");
	CHECK_INT(parse(&cfg, "version: 1\nevals: /abs\n"), POPS_EINVALID);
	CHECK_ERR_HAS("relative path inside the project");
}

TEST(config_find_walks_up_but_not_past_stop)
{
	char tmpl[] = "/tmp/pops-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	pops_buf sub = POPS_BUF_INIT, out = POPS_BUF_INIT, cfgpath = POPS_BUF_INIT;

	CHECK(dir != NULL);
	pops_buf_printf(&sub, "%s/a/b", dir);
	CHECK_INT(pops_mkdir_p(sub.ptr, 0777), 0);
	pops_buf_printf(&cfgpath, "%s/pops.yaml", dir);
	CHECK_INT(pops_file_write_atomic(cfgpath.ptr, "version: 1\n", 11, 0666), 0);
	CHECK_INT(pops_config_find(&out, sub.ptr, dir), 0);
	CHECK_STR(out.ptr, cfgpath.ptr);
	/* a stop below the file hides it */
	pops_buf_clear(&out);
	pops_buf_truncate(&sub, sub.size - 2);
	CHECK_INT(pops_config_find(&out, sub.ptr, sub.ptr), POPS_ENOTFOUND);
	unlink(cfgpath.ptr);
	rmdir(sub.ptr);
	pops_buf_printf(&sub, "/b");
	rmdir(sub.ptr);
	pops_buf_truncate(&sub, sub.size - 4);
	rmdir(sub.ptr);
	rmdir(dir);
	pops_buf_dispose(&sub);
	pops_buf_dispose(&out);
	pops_buf_dispose(&cfgpath);
}

TEST(shape_reports_list_item_paths)
{
	static const pops_shape item = { "", POPS_SHAPE_INT, NULL, 0, NULL, 0, 0 };
	static const pops_shape list = { "", POPS_SHAPE_LIST, &item, 0, NULL, 0, 0 };
	pops_yaml_doc *doc = NULL;

	CHECK_INT(pops_yaml_parse(&doc, "[1, 2, x]", 9, "l.yaml", 0, NULL), 0);
	CHECK_INT(pops_shape_check(doc, pops_yaml_root(doc), &list, "nums"), POPS_EINVALID);
	CHECK_ERR_HAS("l.yaml:1: 'nums[2]' must be an integer");
	pops_yaml_free(doc);
}
