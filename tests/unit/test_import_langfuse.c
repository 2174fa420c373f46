/*
 * pops import langfuse (lib/import_langfuse.c): the export's versions in
 * commit order with their dates, messages, labels and .prompt files; the
 * commits themselves (tests/unit/relfix.h's throwaway repositories).
 */
#include "unit.h"
#include "fileio.h"
#include "import.h"
#include "promptfile.h"

#include <unistd.h>

static char *write_tmp(const char *text)
{
	pops_buf p = POPS_BUF_INIT;
	int fd;

	pops_buf_sets(&p, "/tmp/pops-lf-XXXXXX.json");
	if ((fd = mkstemps(p.ptr, 5)) < 0 || pops_write_all(fd, text, strlen(text), "tmp") < 0) {
		pops_buf_dispose(&p);
		return NULL;
	}
	close(fd);
	return pops_buf_detach(&p);
}

static int import_text(pops_langfuse **lf, const char *text)
{
	char *path = write_tmp(text);
	int error;

	if (!path)
		return -100;
	error = pops_import_langfuse(lf, path, NULL);
	unlink(path);
	free(path);
	return error;
}

static const char bulk[] =
	"[{\"name\": \"b\", \"version\": 2, \"type\": \"text\", \"prompt\": \"B2 {{x}}\", "
	"\"createdAt\": \"2024-05-03T00:00:00.000Z\", \"labels\": [\"production\", \"latest\"], "
	"\"commitMessage\": \"second\", \"config\": {\"temperature\": 0.2, \"model\": \"gpt-4o\"}},\n"
	" {\"name\": \"b\", \"version\": 1, \"type\": \"text\", \"prompt\": \"B1\", "
	"\"createdAt\": \"2024-05-01T10:00:00.000+02:00\", \"labels\": [], \"commitMessage\": null},\n"
	" {\"name\": \"a\", \"version\": 1, \"type\": \"chat\", \"createdAt\": \"2024-05-02T00:00:00Z\", "
	"\"prompt\": [{\"role\": \"system\", \"content\": \"S\"}, {\"type\": \"placeholder\", "
	"\"name\": \"h\"}, {\"role\": \"assistant\", \"content\": \"hi {{name}}\"}], "
	"\"labels\": [\"staging\", \"bad label\"]}]\n";

TEST(langfuse_versions_come_in_time_order_with_dates_and_messages)
{
	pops_langfuse *lf = NULL;

	CHECK_INT(import_text(&lf, bulk), 0);
	CHECK_INT(lf->n, 3);
	CHECK_INT(lf->imp->nprompts, 2);
	CHECK_STR(lf->v[0].name, "b");
	CHECK_INT(lf->v[0].version, 1);
	/* 10:00 at +02:00 is 08:00 UTC */
	CHECK_INT(lf->v[0].when, 1714550400LL);
	CHECK_INT(lf->v[0].tz_minutes, 120);
	CHECK(strstr(lf->v[0].message, "prompt: b version 1 from Langfuse\n"));
	CHECK_STR(lf->v[1].name, "a");
	CHECK_STR(lf->v[2].path, "prompts/b.prompt");
	CHECK(!strncmp(lf->v[2].message, "second\n\nImported from Langfuse: prompt 'b' version 2", 52));
	/* latest is HEAD, not an environment */
	CHECK_INT(lf->v[2].nlabels, 1);
	CHECK_STR(lf->v[2].labels[0], "production");
	CHECK_INT(cJSON_GetArraySize(lf->imp->environments), 2);
	pops_langfuse_free(lf);
}

TEST(langfuse_files_keep_vars_map_roles_and_request_config)
{
	pops_langfuse *lf = NULL;
	pops_prompt *p = NULL;
	size_t i;

	CHECK_INT(import_text(&lf, bulk), 0);
	CHECK_STR(lf->v[1].data.ptr, "---\nmetadata:\n  langfuse: {\"name\":\"a\",\"version\":1}\n---\n"
	          "{{role \"system\"}}\nS\n{{history}}\n{{role \"model\"}}\nhi {{name}}\n");
	CHECK(strstr(lf->v[2].data.ptr, "config: {\"temperature\":0.2}\n"));
	CHECK(strstr(lf->v[2].data.ptr, "\"config\":{\"temperature\":0.2,\"model\":\"gpt-4o\"}"));
	CHECK(strstr(lf->v[2].data.ptr, "---\nB2 {{x}}\n"));
	/* every file is one pops reads */
	for (i = 0; i < lf->n; i++) {
		CHECK_INT(pops_prompt_parse(&p, lf->v[i].data.ptr, lf->v[i].data.size, lf->v[i].path,
		                            NULL), 0);
		pops_prompt_free(p);
		p = NULL;
	}
	pops_langfuse_free(lf);
}

TEST(langfuse_lists_what_it_cannot_map)
{
	pops_langfuse *lf = NULL;
	int model = 0, label = 0;
	size_t i;

	CHECK_INT(import_text(&lf, bulk), 0);
	for (i = 0; i < lf->imp->nunmapped; i++) {
		model |= strstr(lf->imp->unmapped[i], ":1: b: config.model 'gpt-4o' is kept") != NULL;
		label |= strstr(lf->imp->unmapped[i], ":3: a v1: label 'bad label' is not an "
		                "environment name") != NULL;
	}
	CHECK(model);
	CHECK(label);
	pops_langfuse_free(lf);
}

TEST(langfuse_reads_api_objects_and_old_isactive_exports)
{
	pops_langfuse *lf = NULL;

	CHECK_INT(import_text(&lf, "{\"name\": \"my prompt\", \"version\": 7, \"prompt\": \"x\", "
	                           "\"labels\": [\"production\"]}"), 0);
	CHECK_INT(lf->n, 1);
	CHECK_STR(lf->v[0].name, "my-prompt");
	CHECK(!lf->v[0].dated);
	pops_langfuse_free(lf);
	lf = NULL;
	CHECK_INT(import_text(&lf, "{\"prompts\": [{\"name\": \"o\", \"version\": 1, \"prompt\": \"x\", "
	                           "\"isActive\": true}]}"), 0);
	CHECK_INT(lf->v[0].nlabels, 1);
	CHECK_STR(lf->v[0].labels[0], "production");
	pops_langfuse_free(lf);
}

TEST(langfuse_refuses_what_is_not_an_export)
{
	pops_langfuse *lf = NULL;

	CHECK_INT(import_text(&lf, "{\"traces\": []}"), POPS_EINVALID);
	CHECK_ERR_HAS("not a Langfuse prompt export");
	CHECK_INT(import_text(&lf, "[{\"name\": \"a\", \"version\": 1.5, \"prompt\": \"x\"}]"),
	          POPS_EINVALID);
	CHECK_ERR_HAS(":1: not a Langfuse prompt version");
	CHECK_INT(import_text(&lf, "[{\"name\": \"a\", \"version\": 1, \"prompt\": \"x\"},\n"
	                           " {\"name\": \"a\", \"version\": 1, \"prompt\": \"y\"}]"),
	          POPS_EINVALID);
	CHECK_ERR_HAS(":2: a version 1 is in the export twice");
	CHECK_INT(import_text(&lf, "[{\"name\": \"a\", \"version\": 1, \"type\": \"chat\", "
	                           "\"prompt\": \"x\"}]"), POPS_EINVALID);
	CHECK_ERR_HAS("'prompt' must be a list of chat messages");
	CHECK(lf == NULL);
}
