/*
 * Template engine throughput: a ~2 KB prompt with 10 variables, one
 * {{#each}} over 20 items and one partial, compiled once and rendered N
 * times into a reused buffer. Prints renders per second and the number of
 * allocations made during the timed renders (the goal is none beyond the
 * output buffer's growth, which happens in the warm-up).
 *
 * Built by bench/template.sh against the release objects (build/rel/lib)
 * with -Wl,--wrap=malloc,... so allocations can be counted.
 */
#include "common.h"
#include "template.h"

#include <time.h>

static volatile long allocs;
void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_calloc(size_t a, size_t b);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_malloc(size_t n) { allocs++; return __real_malloc(n); }
void *__wrap_realloc(void *p, size_t n) { allocs++; return __real_realloc(p, n); }
void *__wrap_calloc(size_t a, size_t b) { allocs++; return __real_calloc(a, b); }

static int loader(void *payload, const char *name, pops_buf *out)
{
	(void)payload;
	if (strcmp(name, "style"))
		return POPS_ENOTFOUND;
	return pops_buf_puts(out, "Write in a {{tone}} tone for {{audience}}; keep it under "
	                     "{{max_words}} words and avoid jargon unless the reader asks for it.\n");
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);   /* CPU time: the machine is shared */
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	pops_buf src = POPS_BUF_INIT, out = POPS_BUF_INIT, vars = POPS_BUF_INIT;
	pops_template_options o = POPS_TEMPLATE_OPTIONS_INIT;
	pops_template *t = NULL;
	cJSON *input;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000, before, i;
	double t0, dt;

	/* ~2 KB of prompt text around 10 variables, the each and the partial */
	pops_buf_puts(&src, "{{role \"system\"}}\nYou are {{assistant}}, a support assistant for {{company}}.\n"
	              "{{> style}}\n");
	for (i = 0; i < 13; i++)
		pops_buf_puts(&src, "Follow the policy carefully: be accurate, cite the knowledge base when "
		              "you can, and say so plainly when you do not know the answer.\n");
	pops_buf_puts(&src, "{{role \"user\"}}\nCustomer {{customer}} (plan: {{plan}}, region: {{region}}) "
	              "wrote on {{date}}:\n{{question}}\n\nRecent orders:\n"
	              "{{#each orders}}- {{@index}}: {{this.id}} {{this.item}} ({{this.status}})\n{{/each}}"
	              "Answer in {{language}}.\n");
	pops_buf_puts(&vars, "{\"assistant\":\"Pops\",\"company\":\"Acme Corp\",\"tone\":\"friendly\","
	              "\"audience\":\"non-experts\",\"max_words\":120,\"customer\":\"Ada Lovelace\","
	              "\"plan\":\"pro\",\"region\":\"eu-west\",\"date\":\"2026-11-24\","
	              "\"question\":\"Where is my order and can I change the delivery address?\","
	              "\"language\":\"English\",\"orders\":[");
	for (i = 0; i < 20; i++)
		pops_buf_printf(&vars, "%s{\"id\":\"A%04ld\",\"item\":\"widget %ld\",\"status\":\"%s\"}",
		                i ? "," : "", i, i, i % 3 ? "shipped" : "pending");
	pops_buf_puts(&vars, "]}");
	input = cJSON_Parse(vars.ptr);
	o.load_partial = loader;
	if (!input || pops_template_compile(&t, src.ptr, src.size, &o) < 0) {
		fprintf(stderr, "bench: %s\n", pops_error_last());
		return 3;
	}
	for (i = 0; i < 1000; i++) {   /* warm-up: the buffer reaches its size */
		pops_buf_clear(&out);
		pops_template_render(t, input, NULL, &out);
	}
	before = allocs;
	t0 = now();
	for (i = 0; i < n; i++) {
		pops_buf_clear(&out);
		if (pops_template_render(t, input, NULL, &out) < 0) {
			fprintf(stderr, "bench: %s\n", pops_error_last());
			return 3;
		}
	}
	dt = now() - t0;
	printf("template: %zu-byte template, %zu-byte output, %ld renders in %.3f s of CPU time: "
	       "%.0f renders/s, %.2f us/render, %ld allocations in the timed loop\n",
	       src.size, out.size, n, dt, n / dt, dt / n * 1e6, allocs - before);
	pops_template_free(t);
	cJSON_Delete(input);
	pops_buf_dispose(&src);
	pops_buf_dispose(&out);
	pops_buf_dispose(&vars);
	return 0;
}
