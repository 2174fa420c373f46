#define _XOPEN_SOURCE 700
/*
 * The importers (lib/import*.c; this file covers all three modules):
 * pops import promptfoo: prompts, providers, tests and
 * assertions map to pops files that pops itself loads, and whatever
 * cannot be mapped is listed with its line; pops import dotprompt: files
 * copied with their paths, failures and other files listed.
 */
#include "unit.h"
#include "dataset.h"
#include "fileio.h"
#include "import.h"
#include "import_int.h"
#include "strutil.h"
#include "suite.h"

#include <ftw.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* a temporary directory holding `n` files given as name, content pairs */
static int make_dir(pops_buf *dir, const char *const *files, size_t n)
{
	pops_buf path = POPS_BUF_INIT;
	size_t i;
	int ok = 1;

	pops_buf_sets(dir, "/tmp/pops-import-XXXXXX");
	if (!mkdtemp(dir->ptr))
		return 0;
	for (i = 0; i + 1 < n * 2; i += 2) {
		pops_buf_clear(&path);
		pops_buf_printf(&path, "%s/%s", dir->ptr, files[i]);
		if (strchr(files[i], '/')) {
			char *slash = strrchr(path.ptr, '/');

			*slash = '\0';
			pops_mkdir_p(path.ptr, 0777);
			*slash = '/';
		}
		if (pops_file_write_atomic(path.ptr, files[i + 1], strlen(files[i + 1]), 0666) < 0)
			ok = 0;
	}
	pops_buf_dispose(&path);
	return ok;
}

static void remove_dir(pops_buf *dir)
{
	nftw(dir->ptr, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	pops_buf_dispose(dir);
}

static const pops_import_file *find_file(const pops_import *imp, const char *path)
{
	size_t i;

	for (i = 0; i < imp->nfiles; i++)
		if (!strcmp(imp->files[i].path, path))
			return &imp->files[i];
	return NULL;
}

static int has_note(const pops_import *imp, const char *needle)
{
	size_t i;

	for (i = 0; i < imp->nunmapped; i++)
		if (strstr(imp->unmapped[i], needle))
			return 1;
	return 0;
}

/* the import's models as compact JSON, for strstr; the caller frees */
static char *models_json(const pops_import *imp)
{
	return cJSON_PrintUnformatted(imp->models);
}

static const char *const basic[] = {
	"promptfooconfig.yaml",
	"description: Support replies\n"
	"prompts:\n"
	"  - file://prompts/chat.json\n"
	"  - id: 'Answer: {{ question }}'\n"
	"    raw: 'Answer briefly: {{ question }}'\n"
	"    label: Brief Answer\n"
	"providers:\n"
	"  - openai:chat:gpt-4o-mini-2024-07-18\n"
	"  - id: anthropic:messages:claude-3-5-haiku-20241022\n"
	"    label: haiku\n"
	"    config: { temperature: 0, top_k: 5 }\n"
	"defaultTest:\n"
	"  assert:\n"
	"    - { type: not-icontains, value: as an AI }\n"
	"    - { type: llm-rubric, value: Is polite }\n"
	"tests:\n"
	"  - description: refund\n"
	"    vars: { question: Can I get a refund?, tone: [warm, formal] }\n"
	"    assert:\n"
	"      - { type: contains-any, value: [refund, money back] }\n"
	"      - { type: javascript, value: output.length < 100 }\n"
	"  - vars: { question: Where is order 7? }\n"
	"    assert:\n"
	"      - { type: icontains-all, value: [order, '7'] }\n"
	"      - { type: is-json, value: { type: object } }\n"
	"      - { type: latency, threshold: 2000 }\n"
	"scenarios: []\n",
	"prompts/chat.json",
	"[{\"role\":\"system\",\"content\":\"You help.\"},"
	"{\"role\":\"user\",\"content\":\"{{ question }}\"},"
	"{\"role\":\"assistant\",\"content\":\"On it.\"}]\n",
};

TEST(promptfoo_prompts_become_prompt_files_with_roles_and_model)
{
	pops_buf dir = POPS_BUF_INIT, cfg = POPS_BUF_INIT;
	pops_import *imp = NULL;
	const pops_import_file *f;

	CHECK(make_dir(&dir, basic, 2));
	pops_buf_printf(&cfg, "%s/promptfooconfig.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), 0);
	CHECK_INT(imp->nprompts, 2);
	f = find_file(imp, "prompts/chat.prompt");
	CHECK(f != NULL);
	CHECK(strstr(f->data.ptr, "model: gpt-4o-mini-2024-07-18\n") != NULL);
	CHECK(strstr(f->data.ptr, "{{role \"system\"}}\nYou help.\n{{role \"user\"}}\n"
	                          "{{ question }}\n{{role \"model\"}}\nOn it.\n") != NULL);
	f = find_file(imp, "prompts/brief-answer.prompt");
	CHECK(f != NULL);
	CHECK(strstr(f->data.ptr, "---\nAnswer briefly: {{ question }}\n") != NULL);
	/* providers -> models with their lines; unknown config keys listed */
	{
		char *m = models_json(imp);

		CHECK(strstr(m, "{\"alias\":\"haiku\",\"provider\":\"anthropic\",\"id\":"
		                "\"claude-3-5-haiku-20241022\",\"where\":"));
		CHECK(strstr(m, "promptfooconfig.yaml:9\",\"config\":{\"temperature\":0}}"));
		/* llm-rubric needs a grader: promptfoo's default, unless pops.yaml has one */
		CHECK(strstr(m, "{\"alias\":\"judge\",\"provider\":\"openai\",\"id\":"
		                "\"gpt-4.1-2025-04-14\""));
		CHECK(strstr(m, "\"fallback\":true"));
		free(m);
	}
	CHECK_INT(cJSON_GetArraySize(imp->providers), 2);
	CHECK(has_note(imp, "config 'top_k' is not imported"));
	pops_import_free(imp);
	pops_buf_dispose(&cfg);
	remove_dir(&dir);
}

TEST(promptfoo_tests_expand_array_vars_and_map_assertions)
{
	pops_buf dir = POPS_BUF_INIT, cfg = POPS_BUF_INIT;
	pops_import *imp = NULL;
	const pops_import_file *f;

	CHECK(make_dir(&dir, basic, 2));
	pops_buf_printf(&cfg, "%s/promptfooconfig.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), 0);
	CHECK_INT(imp->ncases, 3);   /* tone: [warm, formal] doubles the first */
	f = find_file(imp, "datasets/promptfooconfig.jsonl");
	CHECK(f != NULL);
	CHECK(strstr(f->data.ptr, "\"tone\":\"warm\"") && strstr(f->data.ptr, "\"tone\":\"formal\""));
	CHECK(strstr(f->data.ptr, "{\"type\":\"contains-any\",\"value\":[\"refund\",\"money back\"]}"));
	CHECK(strstr(f->data.ptr, "{\"type\":\"icontains-all\",\"value\":[\"order\",\"7\"]}"));
	CHECK(strstr(f->data.ptr, "{\"type\":\"json-schema\",\"value\":{\"type\":\"object\"}}"));
	CHECK(strstr(f->data.ptr, "{\"type\":\"latency-ms\",\"threshold\":2000}"));
	f = find_file(imp, "evals/chat.yaml");
	CHECK(f != NULL);
	CHECK(strstr(f->data.ptr, "{\"type\":\"judge\",\"model\":\"judge\",\"rubric\":\"Is polite\"}"));
	CHECK(strstr(f->data.ptr, "--model gpt-4o-mini-2024-07-18,haiku"));
	pops_import_free(imp);
	pops_buf_dispose(&cfg);
	remove_dir(&dir);
}

TEST(promptfoo_lists_what_it_cannot_map_with_lines_and_in_the_suite)
{
	pops_buf dir = POPS_BUF_INIT, cfg = POPS_BUF_INIT;
	pops_import *imp = NULL;
	const pops_import_file *f;

	CHECK(make_dir(&dir, basic, 2));
	pops_buf_printf(&cfg, "%s/promptfooconfig.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), 0);
	CHECK(has_note(imp, "promptfooconfig.yaml:21: tests[0].assert[1]: assertion type "
	                    "'javascript' has no pops equivalent"));
	CHECK(has_note(imp, "promptfooconfig.yaml:27: key 'scenarios' is not imported"));
	f = find_file(imp, "evals/brief-answer.yaml");
	CHECK(f != NULL);
	CHECK(strstr(f->data.ptr, "#   ") && strstr(f->data.ptr, "'javascript' has no pops"));
	pops_import_free(imp);
	pops_buf_dispose(&cfg);
	remove_dir(&dir);
}

TEST(promptfoo_output_loads_as_pops_suites_and_datasets)
{
	pops_buf dir = POPS_BUF_INIT, cfg = POPS_BUF_INIT, path = POPS_BUF_INIT;
	pops_import *imp = NULL;
	pops_suite *s = NULL;
	pops_dataset *ds = NULL;
	pops_case c = POPS_CASE_INIT;
	size_t i;
	int rows = 0;

	CHECK(make_dir(&dir, basic, 2));
	pops_buf_printf(&cfg, "%s/promptfooconfig.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), 0);
	for (i = 0; i < imp->nfiles; i++) {
		const pops_import_file *f = &imp->files[i];

		if (pops_ends_with(f->path, ".yaml")) {
			if (pops_suite_parse(&s, f->data.ptr, f->data.size, f->path) < 0)
				unit_fail(__FILE__, __LINE__, "%s", pops_error_last());
			pops_suite_free(s);
			s = NULL;
		} else if (pops_ends_with(f->path, ".jsonl")) {
			pops_buf_clear(&path);
			pops_buf_printf(&path, "%s/out.jsonl", dir.ptr);
			CHECK_INT(pops_file_write_atomic(path.ptr, f->data.ptr, f->data.size, 0666), 0);
			CHECK_INT(pops_dataset_open(&ds, path.ptr, f->path), 0);
			while (pops_dataset_next(ds, &c) == 1)
				rows++;
			pops_case_dispose(&c);
			pops_dataset_free(ds);
		}
	}
	CHECK_INT(rows, 3);
	pops_import_free(imp);
	pops_buf_dispose(&path);
	pops_buf_dispose(&cfg);
	remove_dir(&dir);
}

TEST(promptfoo_csv_tests_read_expected_columns)
{
	static const char *const files[] = {
		"pf.yaml",
		"prompts: ['Q: {{question}}']\ntests: file://t.csv\n",
		"t.csv",
		"question,__expected,__expected2,__description,__prefix\n"
		"reset password?,contains: reset,grade: explains steps,pw,x\n"
		"hours?,9am,,,\n",
	};
	pops_buf dir = POPS_BUF_INIT, cfg = POPS_BUF_INIT;
	pops_import *imp = NULL;
	const pops_import_file *f;

	CHECK(make_dir(&dir, files, 2));
	pops_buf_printf(&cfg, "%s/pf.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), 0);
	CHECK_INT(imp->ncases, 2);
	f = find_file(imp, "datasets/pf.jsonl");
	CHECK(f != NULL);
	CHECK(strstr(f->data.ptr, "\"description\":\"pw\",\"assert\":[{\"type\":\"contains\","
	                          "\"value\":\"reset\"},{\"type\":\"judge\",\"model\":\"judge\","
	                          "\"rubric\":\"explains steps\"}]"));
	CHECK(strstr(f->data.ptr, "{\"type\":\"equals\",\"value\":\"9am\"}"));
	CHECK(has_note(imp, "column '__prefix' is not imported"));
	/* no providers: no model line, but a judge alias for the grade: column */
	CHECK(find_file(imp, "prompts/prompt-1.prompt") != NULL);
	CHECK_INT(cJSON_GetArraySize(imp->models), 1);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(imp->models, 0), "alias")->valuestring, "judge");
	pops_import_free(imp);
	pops_buf_dispose(&cfg);
	remove_dir(&dir);
}

TEST(promptfoo_refuses_a_config_without_prompts_or_file)
{
	static const char *const files[] = { "a.yaml", "providers: [openai:gpt-4o]\n",
	                                     "b.yaml", "- just a list\n" };
	pops_buf dir = POPS_BUF_INIT, cfg = POPS_BUF_INIT;
	pops_import *imp = NULL;

	CHECK(make_dir(&dir, files, 2));
	pops_buf_printf(&cfg, "%s/a.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("no prompt could be imported");
	pops_buf_clear(&cfg);
	pops_buf_printf(&cfg, "%s/b.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("not a promptfoo configuration");
	pops_buf_clear(&cfg);
	pops_buf_printf(&cfg, "%s/missing.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), POPS_ENOTFOUND);
	CHECK(imp == NULL);
	pops_buf_dispose(&cfg);
	remove_dir(&dir);
}

TEST(promptfoo_nunjucks_tags_and_filters_are_listed)
{
	static const char *const files[] = {
		"c.yaml",
		"prompts:\n  - '{% if x %}X{% endif %} {{ y }}'\n  - '{{ name | upper }}'\n",
	};
	pops_buf dir = POPS_BUF_INIT, cfg = POPS_BUF_INIT;
	pops_import *imp = NULL;

	CHECK(make_dir(&dir, files, 1));
	pops_buf_printf(&cfg, "%s/c.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), 0);
	CHECK(has_note(imp, "c.yaml:2: prompt 'prompt-1' uses Nunjucks tags"));
	CHECK(has_note(imp, "c.yaml:3: prompt 'prompt-2' uses a Nunjucks filter ('{{ name | upper }}')"));
	pops_import_free(imp);
	pops_buf_dispose(&cfg);
	remove_dir(&dir);
}

static int reject_bad(void *payload, const char *relpath, const char *data, size_t len)
{
	(void)payload;
	(void)len;
	if (strstr(data, "BROKEN"))
		return pops_error_set(POPS_EINVALID, "%s: does not render", relpath);
	return 0;
}

TEST(dotprompt_copies_prompts_and_partials_and_lists_the_rest)
{
	static const char *const files[] = {
		"greet.prompt", "---\nmodel: fast\n---\nHi {{name}}\n",
		"sub/_style.prompt", "Be brief.\n",
		"sub/story.robot.prompt", "{{> style}} A robot story.\n",
		"bad.prompt", "BROKEN {{\n",
		"notes.txt", "not a prompt\n",
	};
	pops_buf dir = POPS_BUF_INIT;
	pops_import *imp = NULL;
	pops_import_options io = POPS_IMPORT_OPTIONS_INIT;

	io.prompts_dir = "p";
	CHECK(make_dir(&dir, files, 5));
	CHECK_INT(pops_import_dotprompt(&imp, dir.ptr, &io, reject_bad, NULL), 0);
	CHECK_INT(imp->nfiles, 3);
	CHECK(find_file(imp, "p/greet.prompt") != NULL);
	CHECK(find_file(imp, "p/sub/_style.prompt") != NULL);
	CHECK(find_file(imp, "p/sub/story.robot.prompt") != NULL);
	CHECK_STR(find_file(imp, "p/greet.prompt")->data.ptr, files[1]);
	CHECK_INT(imp->nprompts, 2);   /* the partial is not a prompt */
	CHECK(has_note(imp, "bad.prompt: not imported: bad.prompt: does not render"));
	CHECK(has_note(imp, "notes.txt: not a .prompt file"));
	pops_import_free(imp);
	remove_dir(&dir);
}

TEST(dotprompt_refuses_a_missing_or_empty_directory)
{
	static const char *const files[] = { "readme.md", "x\n" };
	pops_buf dir = POPS_BUF_INIT, missing = POPS_BUF_INIT, empty = POPS_BUF_INIT;
	pops_import *imp = NULL;

	CHECK(make_dir(&dir, files, 1));
	pops_buf_printf(&missing, "%s/nope", dir.ptr);
	CHECK_INT(pops_import_dotprompt(&imp, missing.ptr, NULL, NULL, NULL), POPS_ENOTFOUND);
	pops_buf_printf(&empty, "%s/empty", dir.ptr);
	CHECK_INT(pops_mkdir_p(empty.ptr, 0777), 0);
	CHECK_INT(pops_import_dotprompt(&imp, empty.ptr, NULL, NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("no .prompt files");
	CHECK(imp == NULL);
	pops_buf_dispose(&empty);
	pops_buf_dispose(&missing);
	remove_dir(&dir);
}

/* an import with the given needs, applied to `yaml` */
static int apply(pops_buf *out, pops_buf *report, const char *yaml, const char *models_json,
                 const char *envs_json, int allow_floating, int force)
{
	pops_import_config_options co = POPS_IMPORT_CONFIG_OPTIONS_INIT;
	pops_import imp;
	pops_config *cfg = NULL;
	cJSON *m = cJSON_Parse(models_json), *it;
	int error;

	memset(&imp, 0, sizeof(imp));
	imp.providers = cJSON_CreateArray();
	imp.models = cJSON_CreateArray();
	imp.environments = envs_json ? cJSON_Parse(envs_json) : cJSON_CreateArray();
	/* through the importers' own helper, so providers are filled in as they are */
	cJSON_ArrayForEach(it, m) {
		pops_import__need_model(&imp, cJSON_GetObjectItem(it, "alias")->valuestring,
		                        cJSON_GetObjectItem(it, "provider")->valuestring,
		                        cJSON_GetObjectItem(it, "id")->valuestring,
		                        cJSON_GetObjectItem(it, "config"), "pf.yaml:3",
		                        cJSON_IsTrue(cJSON_GetObjectItem(it, "fallback")));
	}
	co.allow_floating = allow_floating;
	co.force = force;
	error = pops_config_parse(&cfg, yaml, strlen(yaml), "pops.yaml");
	if (!error)
		error = pops_import_config(out, report, &imp, cfg, yaml, strlen(yaml), &co);
	pops_config_free(cfg);
	cJSON_Delete(m);
	cJSON_Delete(imp.providers);
	cJSON_Delete(imp.models);
	cJSON_Delete(imp.environments);
	return error;
}

static const char project[] =
	"version: 1\n"
	"providers:\n"
	"  anthropic: { type: anthropic, api_key_env: ANTHROPIC_API_KEY }   # ours\n"
	"models:\n"
	"  judge: { provider: anthropic, id: claude-sonnet-4-5-20250929 }\n";

TEST(import_config_adds_providers_and_models_keeping_what_is_there)
{
	pops_buf out = POPS_BUF_INIT, report = POPS_BUF_INIT;
	pops_config *cfg = NULL;

	CHECK_INT(apply(&out, &report, project,
	                "[{\"alias\":\"fast\",\"provider\":\"openai\",\"id\":\"gpt-4o-mini-2024-07-18\","
	                "\"config\":{\"temperature\":0}},"
	                "{\"alias\":\"judge\",\"provider\":\"openai\",\"id\":\"gpt-4.1-2025-04-14\","
	                "\"fallback\":true}]", "[\"production\"]", 0, 0), 0);
	CHECK(strstr(out.ptr, "  anthropic: { type: anthropic, api_key_env: ANTHROPIC_API_KEY }   # ours\n"
	                      "  openai: { type: openai, api_key_env: OPENAI_API_KEY }\n"));
	CHECK(strstr(out.ptr, "  judge: { provider: anthropic, id: claude-sonnet-4-5-20250929 }\n"
	                      "  fast: { provider: openai, id: \"gpt-4o-mini-2024-07-18\", "
	                      "config: {\"temperature\":0} }\n"));
	CHECK(strstr(out.ptr, "environments:\n  - name: dev\n  - name: staging\n  - name: prod\n"
	                      "  - name: production\n"));
	CHECK(strstr(report.ptr, "kept model judge: anthropic/claude-sonnet-4-5-20250929"));
	CHECK(strstr(report.ptr, "added model fast: openai/gpt-4o-mini-2024-07-18\n"));
	/* what it wrote, pops reads */
	CHECK_INT(pops_config_parse(&cfg, out.ptr, out.size, "pops.yaml"), 0);
	CHECK_STR(pops_config_model(cfg, "fast")->id, "gpt-4o-mini-2024-07-18");
	CHECK(pops_config_env(cfg, "production", NULL) != NULL);
	pops_config_free(cfg);
	pops_buf_dispose(&report);
	pops_buf_dispose(&out);
}

TEST(import_config_refuses_floating_ids_and_suggests_the_snapshot)
{
	pops_buf out = POPS_BUF_INIT, report = POPS_BUF_INIT;
	static const char m[] = "[{\"alias\":\"mini\",\"provider\":\"openai\",\"id\":\"gpt-4o-mini\"}]";

	CHECK_INT(apply(&out, &report, project, m, NULL, 0, 0), POPS_EINVALID);
	CHECK_ERR_HAS("pf.yaml:3: refusing to pin floating model id 'gpt-4o-mini' (alias 'mini')");
	CHECK_ERR_HAS("use the dated snapshot 'gpt-4o-mini-2024-07-18', or pass --allow-floating");
	CHECK_INT(apply(&out, &report, project, m, NULL, 1, 0), 0);
	CHECK(strstr(out.ptr, "  mini: { provider: openai, id: \"gpt-4o-mini\", allow_floating: true }\n"));
	pops_buf_dispose(&report);
	pops_buf_dispose(&out);
}

TEST(import_config_replaces_another_alias_only_with_force)
{
	pops_buf out = POPS_BUF_INIT, report = POPS_BUF_INIT;
	static const char m[] = "[{\"alias\":\"judge\",\"provider\":\"anthropic\","
	                        "\"id\":\"claude-3-5-haiku-20241022\"}]";

	CHECK_INT(apply(&out, &report, project, m, NULL, 0, 0), POPS_EINVALID);
	CHECK_ERR_HAS("pops.yaml: model 'judge' is anthropic/claude-sonnet-4-5-20250929; the import "
	              "would make it anthropic/claude-3-5-haiku-20241022: use --force");
	CHECK_INT(apply(&out, &report, project, m, NULL, 0, 1), 0);
	CHECK(strstr(out.ptr, "  judge: { provider: anthropic, id: \"claude-3-5-haiku-20241022\" }\n"));
	CHECK(strstr(report.ptr, "replaced model judge"));
	/* the same pin twice is no change */
	CHECK_INT(apply(&out, &report, project, "[{\"alias\":\"judge\",\"provider\":\"anthropic\","
	                "\"id\":\"claude-sonnet-4-5-20250929\"}]", NULL, 0, 0), 0);
	CHECK_STR(out.ptr, project);
	CHECK_STR(report.ptr, "");
	pops_buf_dispose(&report);
	pops_buf_dispose(&out);
}

TEST(promptfoo_tests_from_json_jsonl_and_yaml_files_are_inline_tests)
{
	static const char *const files[] = {
		"pf.yaml",
		"prompts: ['Q: {{q}}']\ntests:\n  - file://tests.json\n  - file://more.jsonl\n"
		"  - file://t/*.yaml\n",
		"tests.json",
		"[{\"vars\": {\"q\": \"caf\\u00e9 \\ud83d\\ude42\"}, \"assert\": [{\"type\": \"starts-with\", "
		"\"value\": \"A\"}]}, {\"vars\": {\"q\": \"b\"}, \"assert\": [{\"type\": \"contains-json\"}]}]\n",
		"more.jsonl",
		"{\"vars\": {\"q\": \"c\"}}\n\n{\"vars\": {\"q\": \"d\"}, \"bogus\": 1}\n",
	};
	pops_buf dir = POPS_BUF_INIT, cfg = POPS_BUF_INIT;
	pops_import *imp = NULL;
	const pops_import_file *f;

	CHECK(make_dir(&dir, files, 3));
	pops_buf_printf(&cfg, "%s/pf.yaml", dir.ptr);
	CHECK_INT(pops_import_promptfoo(&imp, cfg.ptr, NULL), 0);
	CHECK_INT(imp->ncases, 4);
	f = find_file(imp, "datasets/pf.jsonl");
	CHECK(f != NULL);
	CHECK(strstr(f->data.ptr, "\"q\":\"caf\xc3\xa9 \xf0\x9f\x99\x82\""));
	CHECK(strstr(f->data.ptr, "{\"type\":\"starts-with\",\"value\":\"A\"}"));
	CHECK(strstr(f->data.ptr, "{\"type\":\"contains-json\"}"));
	CHECK(has_note(imp, "more.jsonl[1]: 'bogus' is not imported"));
	CHECK(has_note(imp, "tests 't/*.yaml' not imported: globs"));
	pops_import_free(imp);
	pops_buf_dispose(&cfg);
	remove_dir(&dir);
}
