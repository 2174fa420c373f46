/*
 * The documentation's machine-readable parts stay valid: the CI recipes in
 * docs/ci/ parse as YAML and have the keys their CI systems need, and the
 * example project's pops.yaml loads. Paths are relative to the repository
 * root, where tests/run.sh runs the unit tests.
 */
#include "unit.h"
#include "config.h"
#include "dataset.h"
#include "eval_run.h"
#include "git.h"
#include "repo.h"
#include "suite.h"
#include "fileio.h"
#include "strutil.h"
#include "yamldoc.h"

#include <dirent.h>

static cJSON *get_path(cJSON *node, const char *a, const char *b, const char *c)
{
	const char *keys[3] = { a, b, c };
	size_t i;

	for (i = 0; i < 3 && node && keys[i]; i++)
		node = cJSON_GetObjectItemCaseSensitive(node, keys[i]);
	return node;
}

/* parse `path`; NULL (and a failed check) when it does not parse */
static pops_yaml_doc *load_yaml(const char *path)
{
	pops_buf data = POPS_BUF_INIT;
	pops_yaml_doc *doc = NULL;

	if (pops_file_read(&data, path, POPS_CONFIG_MAX_BYTES) == 0 &&
	    pops_yaml_parse(&doc, data.ptr, data.size, path, 0, NULL) < 0)
		doc = NULL;
	pops_buf_dispose(&data);
	return doc;
}

TEST(every_ci_recipe_in_docs_ci_parses_as_yaml)
{
	DIR *d = opendir("docs/ci");
	struct dirent *e;
	pops_buf path = POPS_BUF_INIT;
	int n = 0, ok = 1;

	CHECK(d != NULL);
	while ((e = readdir(d))) {
		pops_yaml_doc *doc;

		if (!pops_ends_with(e->d_name, ".yml") && !pops_ends_with(e->d_name, ".yaml"))
			continue;
		pops_buf_clear(&path);
		pops_buf_printf(&path, "docs/ci/%s", e->d_name);
		doc = load_yaml(path.ptr);
		if (!doc || !cJSON_IsObject(pops_yaml_root(doc))) {
			unit_fail(__FILE__, __LINE__, "%s: %s", path.ptr,
			          doc ? "not a mapping" : pops_error_last());
			ok = 0;
		}
		pops_yaml_free(doc);
		n++;
	}
	closedir(d);
	pops_buf_dispose(&path);
	CHECK(ok);
	CHECK(n >= 3);
}

/* pops itself appends the summary to $GITHUB_STEP_SUMMARY; the recipe keeps one PR comment of it */
TEST(github_recipe_uploads_junit_and_keeps_one_sticky_summary_comment)
{
	pops_yaml_doc *doc = load_yaml("docs/ci/github-actions.yml");
	cJSON *root, *steps, *s;
	int junit = 0, summary = 0, eval = 0;

	CHECK(doc != NULL);
	root = pops_yaml_root(doc);
	CHECK(get_path(root, "on", "pull_request", NULL) != NULL);
	CHECK(get_path(root, "on", "push", "tags") != NULL);
	steps = get_path(root, "jobs", "eval", "steps");
	CHECK(cJSON_IsArray(steps));
	cJSON_ArrayForEach(s, steps) {
		cJSON *uses = cJSON_GetObjectItemCaseSensitive(s, "uses");
		cJSON *run = cJSON_GetObjectItemCaseSensitive(s, "run");

		if (cJSON_IsString(uses) && strstr(uses->valuestring, "test-reporter") &&
		    cJSON_IsString(get_path(s, "with", "path", NULL)))
			junit = 1;
		if (cJSON_IsString(run) && strstr(run->valuestring, "<!-- pops-report -->") &&
		    strstr(run->valuestring, "-X PATCH"))
			summary = 1;
		if (cJSON_IsString(run) && strstr(run->valuestring, "pops eval run") &&
		    strstr(run->valuestring, "--junit") && strstr(run->valuestring, "--md") &&
		    strstr(run->valuestring, "--html "))
			eval = 1;
	}
	CHECK(junit);
	CHECK(summary);
	CHECK(eval);
	CHECK(get_path(root, "jobs", "promote", "steps") != NULL);
	pops_yaml_free(doc);
}

TEST(gitlab_recipe_reports_junit_as_an_artifact)
{
	pops_yaml_doc *doc = load_yaml("docs/ci/gitlab-ci.yml");
	cJSON *junit;

	CHECK(doc != NULL);
	junit = get_path(get_path(pops_yaml_root(doc), "eval", "artifacts", "reports"),
	                 "junit", NULL, NULL);
	CHECK(cJSON_IsString(junit));
	CHECK_STR(junit->valuestring, "reports/junit.xml");
	CHECK(get_path(pops_yaml_root(doc), "merge-shards", "script", NULL) != NULL);
	pops_yaml_free(doc);
}

TEST(example_project_config_loads_with_three_gated_environments)
{
	pops_config *cfg = NULL;
	const pops_env_cfg *prod;
	size_t i;

	CHECK_INT(pops_config_load(&cfg, "prompts-example/pops.yaml"), 0);
	CHECK_INT(cfg->nenvs, 3);
	prod = pops_config_env(cfg, "prod", NULL);
	CHECK(prod != NULL);
	CHECK_STR(prod->from, "staging");
	CHECK(prod->no_regression);
	CHECK(prod->nsuites >= 3);
	/* every suite a gate requires exists and parses */
	for (i = 0; i < prod->nsuites; i++) {
		pops_buf p = POPS_BUF_INIT;
		pops_yaml_doc *doc;

		pops_buf_printf(&p, "prompts-example/%s", prod->suites[i]);
		doc = load_yaml(p.ptr);
		pops_buf_dispose(&p);
		CHECK(doc != NULL);
		pops_yaml_free(doc);
	}
	CHECK(pops_config_model(cfg, "fast") != NULL);
	CHECK(pops_config_model(cfg, "judge") != NULL);
	pops_config_free(cfg);
}

/* rows in a dataset, or -1 when it does not open or a row is invalid */
static long count_rows(const char *path)
{
	pops_dataset *ds = NULL;
	pops_case c = POPS_CASE_INIT;
	long n = 0;
	int r;

	if (pops_dataset_open(&ds, path, NULL) < 0)
		return -1;
	while ((r = pops_dataset_next(ds, &c)) == 1)
		n++;
	pops_case_dispose(&c);
	pops_dataset_free(ds);
	return r < 0 ? -1 : n;
}

TEST(example_suites_load_and_their_datasets_have_at_least_30_cases)
{
	static const char *const suites[] = {
		"prompts-example/evals/summarize.yaml",
		"prompts-example/evals/triage.yaml",
		"prompts-example/evals/extract_invoice.yaml",
	};
	size_t i;
	int formats = 0;

	for (i = 0; i < POPS_ARRAY_SIZE(suites); i++) {
		pops_suite *s = NULL;
		pops_buf ds = POPS_BUF_INIT;
		long rows;

		if (pops_suite_load(&s, suites[i]) < 0) {
			unit_fail(__FILE__, __LINE__, "%s", pops_error_last());
			return;
		}
		pops_buf_printf(&ds, "prompts-example/%s", s->dataset);
		rows = count_rows(ds.ptr);
		if (rows < 30)
			unit_fail(__FILE__, __LINE__, "%s: %ld rows (%s)", ds.ptr, rows,
			          rows < 0 ? pops_error_last() : "want >= 30");
		if (pops_ends_with(ds.ptr, ".jsonl"))
			formats |= 1;
		else if (pops_ends_with(ds.ptr, ".yaml"))
			formats |= 2;
		else if (pops_ends_with(ds.ptr, ".csv"))
			formats |= 4;
		pops_buf_dispose(&ds);
		pops_suite_free(s);
		CHECK(rows >= 30);
	}
	CHECK_INT(formats, 7);   /* JSONL, YAML and CSV between them */
}

TEST(every_case_of_the_example_suites_renders_with_its_prompt)
{
	static const struct { const char *suite; int cases; int judged; } want[] = {
		{ "evals/summarize.yaml", 30, 1 },
		{ "evals/triage.yaml", 40, 1 },
		{ "evals/extract_invoice.yaml", 30, 0 },
	};
	pops_repo *repo = NULL;
	pops_config *cfg = NULL;
	size_t i;

	CHECK_INT(pops_git_init(), 0);
	CHECK_INT(pops_config_load(&cfg, "prompts-example/pops.yaml"), 0);
	if (pops_repo_open(&repo, "prompts-example") < 0) {
		unit_fail(__FILE__, __LINE__, "%s", pops_error_last());
		goto done;
	}
	for (i = 0; i < POPS_ARRAY_SIZE(want); i++) {
		pops_eval_options o;
		pops_suite *s = NULL;
		pops_buf path = POPS_BUF_INIT;
		pops_eval_run_plan *plan = NULL;

		memset(&o, 0, sizeof(o));
		o.config = cfg;
		o.repo = repo;
		o.root = cfg->root;
		o.threshold = -1;
		o.max_cost = -1;
		pops_buf_printf(&path, "prompts-example/%s", want[i].suite);
		if (pops_suite_load(&s, path.ptr) < 0 || pops_eval_plan(&plan, s, &o) < 0) {
			unit_fail(__FILE__, __LINE__, "%s: %s", want[i].suite, pops_error_last());
		} else {
			if ((long)plan->cases != want[i].cases || (plan->judge_requests > 0) != want[i].judged)
				unit_fail(__FILE__, __LINE__, "%s: plan of %zu cases, %.0f judge requests",
				          want[i].suite, plan->cases, plan->judge_requests);
		}
		pops_eval_run_plan_free(plan);
		pops_suite_free(s);
		pops_buf_dispose(&path);
	}
done:
	pops_repo_free(repo);
	pops_config_free(cfg);
	pops_git_shutdown();
}
