#include "unit.h"
#include <unistd.h>
#include "eval_prompt.h"
#include "fileio.h"

TEST(eval_prompt_renders_file_with_partials_and_records_their_blobs)
{
	char dir[] = "/tmp/pops-evprompt-XXXXXX";
	pops_buf p = POPS_BUF_INIT, q = POPS_BUF_INIT;
	pops_eval_prompt *ep = NULL;
	cJSON *vars = cJSON_Parse("{\"text\":\"hi\"}"), *msgs = NULL;
	const char *body = "---\nmodel: fast\nconfig: {temperature: 0.2}\n---\nSay {{text}}. {{> style}}\n";
	const char *part = "Be brief.";
	char *json;

	CHECK(mkdtemp(dir));
	pops_buf_printf(&p, "%s/s.prompt", dir);
	pops_buf_printf(&q, "%s/_style.prompt", dir);
	CHECK_INT(pops_file_write_atomic(p.ptr, body, strlen(body), 0644), 0);
	CHECK_INT(pops_file_write_atomic(q.ptr, part, strlen(part), 0644), 0);
	CHECK_INT(pops_eval_prompt_load(&ep, NULL, p.ptr), 0);
	CHECK_STR(pops_eval_prompt_model(ep), "fast");
	CHECK(cJSON_GetObjectItem(pops_eval_prompt_config(ep), "temperature"));
	CHECK_INT(strlen(pops_eval_prompt_blob(ep)), 40);
	/* "Be brief." as a git blob */
	CHECK_STR(cJSON_GetObjectItem(pops_eval_prompt_partials(ep), "style")->valuestring,
	          "7f10ccf3added4848833d7b0861891b7417b5630");
	CHECK_INT(pops_eval_prompt_render(&msgs, ep, vars), 0);
	json = cJSON_PrintUnformatted(msgs);
	CHECK(strstr(json, "Say hi. Be brief."));
	free(json);
	cJSON_Delete(msgs);
	pops_eval_prompt_free(ep);
	CHECK_INT(pops_eval_prompt_load(&ep, NULL, "nope"), POPS_ENOTFOUND);
	unlink(p.ptr);
	unlink(q.ptr);
	rmdir(dir);
	cJSON_Delete(vars);
	pops_buf_dispose(&p);
	pops_buf_dispose(&q);
}
