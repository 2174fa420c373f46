#include "common.h"
#include "provider_int.h"
#include "exec.h"
#include "jsonget.h"
#include "strutil.h"
#include "wire.h"

/* an exec request as a local job of the HTTP loop */
typedef struct exec_ctx {
	const char *provider;   /* borrowed from the config, which outlives the run */
	char **argv;            /* points into `words` or into the config */
	pops_buf words;
	char *input;            /* the request JSON, until the command is started */
	pops_exec *x;
} exec_ctx;

static void job_error(pops_http_job *job, int status, const char *msg)
{
	free(job->error);
	job->error = pops_strdup(msg);
	job->status = status;
}

static int ex_start(pops_http_job *job)
{
	exec_ctx *c = job->local_ctx;
	int error = pops_exec_start(&c->x, c->argv, c->input, strlen(c->input),
	                            POPS_EXEC_MAX_OUTPUT, NULL);

	free(c->input);   /* copied by the command's feeder */
	c->input = NULL;
	if (error < 0)
		job_error(job, POPS_EPROVIDER, pops_error_last());
	return error;
}

static size_t ex_wait_fds(pops_http_job *job, int *fds, short *events, size_t max)
{
	exec_ctx *c = job->local_ctx;

	return c->x ? pops_exec_wait_fds(c->x, fds, events, max) : 0;
}

static int ex_step(pops_http_job *job)
{
	exec_ctx *c = job->local_ctx;
	int r;

	if (!c->x) {
		job_error(job, POPS_EPROVIDER, "command was not started");
		return 1;
	}
	if ((r = pops_exec_step(c->x)) < 0) {
		job_error(job, POPS_EPROVIDER, pops_error_last());
		return 1;
	}
	return r;
}

static void ex_stop(pops_http_job *job)
{
	exec_ctx *c = job->local_ctx;

	if (c->x)
		pops_exec_kill(c->x);
}

static void ex_release(pops_http_job *job)
{
	exec_ctx *c = job->local_ctx;

	if (!c)
		return;
	pops_exec_free(c->x);
	free(c->argv);
	free(c->input);
	pops_buf_dispose(&c->words);
	free(c);
	job->local_ctx = NULL;
}

static const pops_http_local exec_local = {
	.start = ex_start, .step = ex_step, .wait_fds = ex_wait_fds, .stop = ex_stop,
	.release = ex_release,
};

/* a string command is split on blanks (no shell, no quoting); a list is the argv */
static int build_argv(exec_ctx *c, const cJSON *cmd)
{
	const cJSON *it;
	size_t argc = 0;

	if (cJSON_IsString(cmd)) {
		if (pops_buf_sets(&c->words, cmd->valuestring) < 0 ||
		    !(c->argv = calloc(c->words.size / 2 + 2, sizeof(*c->argv))))
			return pops_error_oom();
		for (char *p = c->words.ptr; *p; ) {
			while (*p == ' ' || *p == '\t')
				*p++ = '\0';
			if (!*p)
				break;
			c->argv[argc++] = p;
			while (*p && *p != ' ' && *p != '\t')
				p++;
		}
	} else {
		c->argv = calloc((size_t)cJSON_GetArraySize(cmd) + 1, sizeof(*c->argv));
		POPS_CHECK_ALLOC(c->argv);
		cJSON_ArrayForEach(it, cmd)
			if (cJSON_IsString(it))
				c->argv[argc++] = it->valuestring;
	}
	if (!argc)
		return pops_error_set(POPS_EINVALID, "provider '%s': empty command", c->provider);
	return POPS_OK;
}

static char *request_json(const pops_provider_request *req)
{
	cJSON *in = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(in, "model", req->model_id ? req->model_id : "");
	cJSON_AddItemToObject(in, "messages", cJSON_Duplicate(req->messages, 1));
	cJSON_AddItemToObject(in, "config", req->config ? cJSON_Duplicate(req->config, 1) :
	                      cJSON_CreateObject());
	cJSON_AddItemToObject(in, "output_schema", req->output_schema ?
	                      cJSON_Duplicate(req->output_schema, 1) : cJSON_CreateNull());
	cJSON_AddNumberToObject(in, "repeat", req->repeat);
	if (cJSON_GetArraySize(req->tools))
		cJSON_AddItemToObject(in, "tools", cJSON_Duplicate(req->tools, 1));
	if (req->tool_choice)
		cJSON_AddStringToObject(in, "tool_choice", req->tool_choice);
	s = cJSON_PrintUnformatted(in);
	cJSON_Delete(in);
	return s;
}

int pops_provider__exec_job(pops_http_job **out, const pops_provider_request *req)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req->provider->node, "command");
	pops_http_job *job = pops_http_job_new();
	exec_ctx *c = calloc(1, sizeof(*c));
	int error;

	*out = NULL;
	if (!job || !c) {
		free(c);
		pops_http_job_free(job);
		return pops_error_oom();
	}
	c->provider = req->provider->name;
	c->words = (pops_buf)POPS_BUF_INIT;
	job->local = &exec_local;
	job->local_ctx = c;   /* from here on, freed with the job */
	if ((error = build_argv(c, cmd)) < 0)
		goto done;
	if (!(c->input = request_json(req))) {
		error = pops_error_oom();
		goto done;
	}
	*out = job;
	job = NULL;
done:
	pops_http_job_free(job);
	return error;
}

static void res_error(pops_provider_result *res, int status, const char *fmt, ...)
	POPS_PRINTF(3, 4);

static void res_error(pops_provider_result *res, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pops_str_vset(&res->error, fmt, ap);
	va_end(ap);
	res->status = status;
}

/* the command's stdout, a JSON object, into the result */
static void parse_reply(pops_provider_result *res, const pops_buf *out)
{
	/* "\u0000" in the text (or a raw NUL) would cut it: marked, then refused below */
	pops_buf marked = POPS_BUF_INIT;
	int marker = pops_wire_nul_mark(&marked, out->ptr, out->size);
	cJSON *root = marker > 0 ? cJSON_ParseWithLength(marked.ptr, marked.size) :
	              marker == 0 ? cJSON_ParseWithLength(out->ptr, out->size) : NULL;
	const char *err = pops_json_str(root, "error", NULL);
	const char *text = pops_json_str(root, "text", NULL);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");

	if (marker < 0) {
		res_error(res, POPS_EPROVIDER, "%s", pops_error_last());
	} else if (!cJSON_IsObject(root)) {
		res_error(res, POPS_EPROVIDER, "exec provider did not print a JSON object on stdout");
	} else if (err) {
		pops_buf msg = POPS_BUF_INIT;

		pops_buf_puts(&msg, "exec provider: ");
		pops_buf_put_sanitized(&msg, err, strlen(err), 0);
		res_error(res, POPS_EPROVIDER, "%s", msg.ptr ? msg.ptr : "exec provider: error");
		pops_buf_dispose(&msg);
	} else if (!text) {
		res_error(res, POPS_EPROVIDER, "exec provider output lacks a string \"text\"");
	} else {
		res->text = pops_strdup(text);
		res->finish_reason = pops_strdup(pops_json_str(root, "finish_reason", POPS_FINISH_STOP));
		res->input_tokens = (long)pops_json_num(u, "input_tokens", -1);
		res->output_tokens = (long)pops_json_num(u, "output_tokens", -1);
		res->cached_tokens = (long)pops_json_num(u, "cached_tokens", 0);
		res->status = res->text && res->finish_reason ? POPS_OK : POPS_ERROR;
		{
			/* "tool_calls": [{"name","arguments"}], as pops records them */
			const cJSON *tc, *list = cJSON_GetObjectItemCaseSensitive(root, "tool_calls");

			if (!cJSON_IsArray(list))
				list = NULL;
			cJSON_ArrayForEach(tc, list)
				if (res->status == POPS_OK &&
				    pops_wire_tool_call_add(&res->tool_calls, pops_json_str(tc, "name", ""),
				                            cJSON_GetObjectItemCaseSensitive(tc, "arguments")) < 0)
					res->status = POPS_ERROR;
		}
		if (res->status != POPS_OK)
			res_error(res, POPS_ERROR, "out of memory");
		pops_wire_nul_check(res, marker);
	}
	cJSON_Delete(root);
	pops_buf_dispose(&marked);
}

void pops_provider__exec_result(pops_provider_result *res, const pops_http_job *job)
{
	const exec_ctx *c = job->local_ctx;
	const char *name = c ? c->provider : "?";
	int status;

	res->attempts = 1;
	res->latency_ms = job->latency_ms;
	/* no context: the job failed before its command was started */
	if (job->status != POPS_OK || !c) {
		res_error(res, job->status == POPS_EINTR ? POPS_EINTR : POPS_EPROVIDER,
		          "provider '%s': %s", name, job->error ? job->error : "command failed");
		return;
	}
	status = pops_exec_status(c->x);
	res->raw = pops_strndup(pops_exec_output(c->x)->ptr, pops_exec_output(c->x)->size);
	if (status != 0) {
		res_error(res, POPS_EPROVIDER, "provider '%s': command exited with status %d",
		          name, status);
		return;
	}
	parse_reply(res, pops_exec_output(c->x));
}
