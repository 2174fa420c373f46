/*
 * libpops throughput: pops_runtime_get + pops_variant_render (+ free and
 * release) of each prompt of a bundle in turn, with its variables, N
 * rounds, on one thread. Prints gets+renders per CPU second overall and
 * per prompt. Usage: runtime-bench DIR N NAME VARS [NAME VARS...].
 * Built by `make build/rel/runtime-bench` against build/lib/libpops.a;
 * run by bench/runtime.sh on the example project's export.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pops/runtime.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);   /* CPU time: the machine is shared */
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* one get + render of prompt `name`; the rendered size, or -1 */
static long once(pops_runtime *rt, const char *name, const char *key, const char *vars)
{
	pops_variant *v;
	char *json;
	long n;

	if (pops_runtime_get(&v, rt, name, key) < 0)
		return -1;
	if (pops_variant_render(&json, v, vars) < 0) {
		pops_variant_release(v);
		return -1;
	}
	n = (long)strlen(json);
	pops_runtime_free(json);
	pops_variant_release(v);
	return n;
}

int main(int argc, char **argv)
{
	pops_runtime *rt;
	long rounds, i, bytes = 0;
	int p, np;
	double t0, t, total = 0;
	char key[32];

	if (argc < 5 || (argc - 3) % 2) {
		fprintf(stderr, "usage: runtime-bench DIR N NAME VARS [NAME VARS...]\n");
		return 2;
	}
	rounds = strtol(argv[2], NULL, 10);
	np = (argc - 3) / 2;
	if (pops_runtime_open(&rt, argv[1]) < 0) {
		fprintf(stderr, "runtime-bench: %s\n", pops_runtime_last_error());
		return 1;
	}
	for (p = 0; p < np; p++) {
		const char *name = argv[3 + 2 * p], *vars = argv[4 + 2 * p];
		long n;

		/* warm up, and check it renders */
		if ((n = once(rt, name, "user-0", vars)) < 0) {
			fprintf(stderr, "runtime-bench: %s: %s\n", name, pops_runtime_last_error());
			return 1;
		}
		t0 = now();
		for (i = 0; i < rounds; i++) {
			snprintf(key, sizeof(key), "user-%ld", i);
			if (once(rt, name, key, vars) < 0)
				return 1;
		}
		t = now() - t0;
		total += t;
		bytes += n;
		printf("%-20s %9.0f gets+renders/s  %6.2f us  (%ld bytes of JSON)\n", name,
		       rounds / t, t / rounds * 1e6, n);
	}
	printf("%-20s %9.0f gets+renders/s  %6.2f us  (mean over the %d prompts)\n", "all",
	       rounds * np / total, total / (rounds * np) * 1e6, np);
	pops_runtime_close(rt);
	return 0;
}
