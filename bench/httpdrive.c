/*
 * A small driver over lib/provider for bench/http.sh: N chat requests to
 * an OpenAI-compatible base_url at concurrency J, cache off. Prints
 * "requests=N ok=N errors=N wall_s=X cpu_s=X" on stdout. With `stream`,
 * the requests stream (a longer prompt, so fakellm's chunks all carry
 * text) and the time to first token is reported too (ttft_p50_ms,
 * ttft_p99_ms).
 *
 *   httpdrive <base_url> <N> <J> [timeout_ms] [stream]
 */
#include "common.h"
#include "provider.h"
#include "strutil.h"

#include <sys/resource.h>
#include <time.h>

#define STREAM_TEXT "the quick brown fox jumps over the lazy dog, ten chunks of a streamed reply"

typedef struct drive {
	long n, given, ok, errors;
	const char *want;
	double *ttft;
	size_t nttft;
	cJSON *messages;
	pops_provider_cfg prov;
	char first_error[256];
} drive;

static int next(void *payload, pops_provider_request *req)
{
	drive *d = payload;

	if (d->given >= d->n)
		return 0;
	req->provider = &d->prov;
	req->model_id = "fake-model-1";
	req->messages = d->messages;
	req->repeat = (unsigned)d->given++;
	return 1;
}

static int done(void *payload, pops_provider_result *res)
{
	drive *d = payload;

	if (res->status == POPS_OK && res->text && !strcmp(res->text, d->want)) {
		d->ok++;
		if (res->streamed && d->ttft)
			d->ttft[d->nttft++] = res->ttft_ms;
	} else {
		if (!d->errors && res->error)
			snprintf(d->first_error, sizeof(d->first_error), "%s", res->error);
		d->errors++;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	pops_provider_options o = POPS_PROVIDER_OPTIONS_INIT;
	drive d;
	long j;
	struct timespec t0, t1;
	struct rusage ru;
	cJSON *node;
	int error;

	if (argc < 4 || pops_parse_long(&d.n, argv[2], 1, 100000000) < 0 ||
	    pops_parse_long(&j, argv[3], 1, 4096) < 0) {
		fprintf(stderr, "usage: httpdrive <base_url> <N> <J> [timeout_ms]\n");
		return 2;
	}
	memset(&d, 0, sizeof(d));
	pops_parse_long(&d.n, argv[2], 1, 100000000);
	o.stream = argc > 5 && !strcmp(argv[5], "stream");
	d.want = o.stream ? STREAM_TEXT : "hello";
	d.messages = cJSON_CreateArray();
	{
		cJSON *m = cJSON_CreateObject(), *c = cJSON_CreateArray(), *t = cJSON_CreateObject();

		cJSON_AddStringToObject(m, "role", "user");
		cJSON_AddStringToObject(t, "text", d.want);
		cJSON_AddItemToArray(c, t);
		cJSON_AddItemToObject(m, "content", c);
		cJSON_AddItemToArray(d.messages, m);
	}
	if (o.stream && !(d.ttft = calloc((size_t)d.n, sizeof(*d.ttft))))
		return 3;
	node = cJSON_CreateObject();
	d.prov.name = "bench";
	d.prov.type = "openai";
	d.prov.base_url = argv[1];
	d.prov.node = node;
	o.concurrency = (unsigned)j;
	o.cache = POPS_CACHE_OFF;
	o.max_retries = 2;
	o.retry_base_ms = 50;
	if (argc > 4)
		pops_parse_long(&o.timeout_ms, argv[4], 1, 3600000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	error = pops_provider_run(&o, next, done, &d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("requests=%ld ok=%ld errors=%ld wall_s=%.3f cpu_s=%.3f maxrss_kb=%ld\n",
	       d.n, d.ok, d.errors,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	       ru.ru_maxrss);
	if (d.nttft) {
		qsort(d.ttft, d.nttft, sizeof(*d.ttft), cmp_double);
		printf("ttft_p50_ms=%.1f ttft_p99_ms=%.1f\n", d.ttft[d.nttft / 2],
		       d.ttft[(d.nttft * 99) / 100 < d.nttft ? (d.nttft * 99) / 100 : d.nttft - 1]);
	}
	free(d.ttft);
	if (d.errors)
		fprintf(stderr, "first error: %s\n", d.first_error);
	cJSON_Delete(d.messages);
	cJSON_Delete(node);
	return error < 0 || d.errors ? 1 : 0;
}
