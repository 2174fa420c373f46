/*
 * pops import github-models (lib/import_github.c): gh models' semantics
 * carried over, whatever the file holds.
 */
#include "unit.h"
#include "fileio.h"
#include "import.h"
#include "promptfile.h"
#include "suite.h"

#include <unistd.h>

static int import_text(pops_import **imp, const char *text)
{
	char path[] = "/tmp/pops-gh-XXXXXX.prompt.yml";
	int fd = mkstemps(path, 11), error;

	if (fd < 0 || pops_write_all(fd, text, strlen(text), "tmp") < 0)
		return -100;
	close(fd);
	error = pops_import_github_models(imp, path, NULL);
	unlink(path);
	return error;
}

static const char *file_of(const pops_import *imp, const char *suffix)
{
	size_t i, n = strlen(suffix);

	for (i = 0; i < imp->nfiles; i++)
		if (strlen(imp->files[i].path) >= n &&
		    !strcmp(imp->files[i].path + strlen(imp->files[i].path) - n, suffix))
			return imp->files[i].data.ptr;
	return NULL;
}

TEST(github_models_string_evaluators_compare_as_gh_models_does)
{
	pops_import *imp = NULL;
	const char *suite;
	pops_suite *s = NULL;

	CHECK_INT(import_text(&imp, "model: gpt-4o-mini\nmessages:\n  - {role: user, content: 'Q {{q}}'}\n"
	                            "testData:\n  - {q: a, expected: b, id: 7}\nevaluators:\n"
	                            "  - {name: eq, string: {equals: 'A.B'}}\n"
	                            "  - {name: sw, string: {startsWith: 'a.(b)'}}\n"
	                            "  - {name: ew, string: {endsWith: 'c$'}}\n"), 0);
	suite = file_of(imp, ".yaml");
	CHECK(suite != NULL);
	CHECK(strstr(suite, "{\"type\":\"equals\",\"value\":\"A.B\",\"description\":\"eq\"}"));
	CHECK(strstr(suite, "{\"type\":\"regex\",\"value\":\"(?i)^a\\\\.\\\\(b\\\\)\""));
	CHECK(strstr(suite, "{\"type\":\"regex\",\"value\":\"(?i)c\\\\$\\\\z\""));
	/* a bare OpenAI name is publisher/model on GitHub's endpoint */
	{
		char *m = cJSON_PrintUnformatted(imp->models);

		CHECK(strstr(m, "\"id\":\"openai/gpt-4o-mini\""));
		free(m);
	}
	/* a test key named like a row field stays a variable */
	CHECK(strstr(file_of(imp, ".jsonl"), "{\"id\":\"case-001\",\"vars\":{\"q\":\"a\",\"id\":7},"
	                                     "\"expected\":\"b\"}"));
	CHECK_INT(pops_suite_parse(&s, suite, strlen(suite), "s.yaml"), 0);
	pops_suite_free(s);
	pops_import_free(imp);
}

TEST(github_models_braces_it_would_not_replace_stay_text)
{
	pops_import *imp = NULL;
	const char *f;
	pops_prompt *p = NULL;
	cJSON *vars = cJSON_Parse("{\"name\":\"Bo\"}"), *msgs = NULL;
	char *json;

	CHECK_INT(import_text(&imp, "messages:\n  - role: assistant\n    content: "
	                            "'{{ a }} {{#b}} {{1x}} {{name}}'\n"), 0);
	f = file_of(imp, ".prompt");
	CHECK(strstr(f, "{{role \"model\"}}\n\\{{ a }} \\{{#b}} \\{{1x}} {{name}}\n"));
	CHECK_INT(pops_prompt_parse(&p, f, strlen(f), "x.prompt", NULL), 0);
	CHECK_INT(pops_prompt_render(&msgs, p, vars, NULL), 0);
	json = cJSON_PrintUnformatted(msgs);
	CHECK(strstr(json, "{{ a }} {{#b}} {{1x}} Bo"));
	free(json);
	cJSON_Delete(msgs);
	cJSON_Delete(vars);
	pops_prompt_free(p);
	pops_import_free(imp);
}

TEST(github_models_refuses_a_file_without_messages)
{
	pops_import *imp = NULL;

	CHECK_INT(import_text(&imp, "name: x\nmodel: gpt-4o\n"), POPS_EINVALID);
	CHECK_ERR_HAS("not a GitHub Models prompt file (no 'messages' list)");
	CHECK_INT(import_text(&imp, "- a\n"), POPS_EINVALID);
	CHECK(imp == NULL);
}
