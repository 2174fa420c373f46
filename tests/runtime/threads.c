/*
 * runtime-threads [READERS [CYCLES]]: readers get and render in a loop
 * while the main thread rewrites the bundle and reloads it: a good
 * export A (greet@1: "Hello"), a corrupt one (a file that no longer
 * matches its blob: the reload must fail and A keep serving), a good
 * export B (greet@2: "Howdy", with a canary @3 "Hey" at 50%), a corrupt
 * one, and so on. Every render must be whole and belong to the version
 * its variant names. Built with -fsanitize=thread (make
 * build/tsan/runtime-threads) and run by tests/cli/t0660-runtime.sh.
 * Prints "ok: N renders (C canary), M reloads (K refused)" or fails with exit 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pops/runtime.h>

static const char *dir;
static pops_runtime *rt;
static atomic_int stop;
static atomic_long renders, canaries;
static atomic_int failed;

/* the git blob id of a string, as `git hash-object` (via the shell: only the test needs it) */
static void blob_id(char hex[41], const char *text)
{
	char path[4096], cmd[8300];
	FILE *f;

	snprintf(path, sizeof(path), "%s.blob", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "git hash-object '%s'", path);
	f = popen(cmd, "r");
	if (!f || !fgets(hex, 41, f)) {
		fprintf(stderr, "cannot run git hash-object\n");
		exit(1);
	}
	pclose(f);
	unlink(path);
}

/* write `text` at DIR/rel by rename, so a reload reads the old or the new file whole */
static void put(const char *rel, const char *text)
{
	char path[4096], tmp[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")) || fputs(text, f) < 0 || fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

static const char A[] = "Hello {{who}}.";
static const char B[] = "Howdy {{who}}.";
static const char C[] = "Hey {{who}}.";

/* blob ids of A, B, C: computed before the readers start (no fork among threads) */
static char blobs[3][41];

static void write_bundle(int which)
{
	char manifest[4096], d[4200];
	const char *text = which == 0 ? A : B, *ba = blobs[which], *bc = blobs[2];

	snprintf(d, sizeof(d), "%s/@canary", dir);
	mkdir(d, 0777);
	put("greet.prompt", text);
	put("@canary/greet.prompt", C);
	snprintf(manifest, sizeof(manifest),
	         "{\"schema_version\":3,\"generator\":\"pops\",\"env\":\"prod\",\"format\":\"files\","
	         "\"prompts\":[{\"name\":\"greet\",\"version\":%d,\"blob\":\"%s\","
	         "\"file\":\"greet.prompt\",\"partials\":[],\"model\":{\"id\":\"m\"}%s}],"
	         "\"partials\":[]}",
	         which + 1, ba, "");
	if (which == 1) {
		char *end = strstr(manifest, "}],\"partials\":[]}");
		char tail[1024];

		snprintf(tail, sizeof(tail), ",\"rollout\":{\"percent\":50,\"salt\":\"4f2a91c0d3b5e6a7\","
		         "\"since\":\"2026-12-02T13:00:00Z\",\"canary\":{\"version\":3,\"blob\":\"%s\","
		         "\"file\":\"@canary/greet.prompt\",\"partials\":[],\"model\":{\"id\":\"m2\"}}}"
		         "}],\"partials\":[]}", bc);
		snprintf(end, sizeof(manifest) - (size_t)(end - manifest), "%s", tail);
	}
	put("manifest.json", manifest);
}

/* "greet@1..." renders Hello, @2 Howdy, @3 Hey: nothing from another version */
static int consistent(const pops_variant *v, const char *json)
{
	long n = pops_variant_version(v);
	const char *want = n == 1 ? "Hello Ann." : n == 2 ? "Howdy Ann." : n == 3 ? "Hey Ann." : NULL;

	return want && strstr(json, want) && json[strlen(json) - 1] == '}';
}

static void *reader(void *arg)
{
	char key[32];
	long i = 0;

	snprintf(key, sizeof(key), "user-%ld", (long)(intptr_t)arg);
	while (!atomic_load(&stop)) {
		pops_variant *v = NULL;
		char *json = NULL;

		snprintf(key, sizeof(key), "user-%ld-%ld", (long)(intptr_t)arg, i++);
		/* each thread's failures are its own: its message, not another thread's */
		if (i % 64 == 0) {
			char miss[48];

			snprintf(miss, sizeof(miss), "nope-%ld", (long)(intptr_t)arg);
			if (pops_runtime_get(&v, rt, miss, key) != POPS_RUNTIME_ENOTFOUND || v ||
			    !strstr(pops_runtime_last_error(), miss)) {
				fprintf(stderr, "reader: get %s: %s\n", miss, pops_runtime_last_error());
				atomic_store(&failed, 1);
			}
		}
		if (pops_runtime_get(&v, rt, "greet", key) < 0 ||
		    pops_variant_render(&json, v, "{\"who\":\"Ann\"}") < 0 || !consistent(v, json)) {
			fprintf(stderr, "reader: %s (%s)\n", json ? json : "(no render)",
			        pops_runtime_last_error());
			atomic_store(&failed, 1);
		}
		atomic_fetch_add(&renders, 1);
		if (v && !strcmp(pops_variant_side(v), "canary"))
			atomic_fetch_add(&canaries, 1);
		pops_runtime_free(json);
		pops_variant_release(v);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/pops-rt-threads.XXXXXX", cmd[4200];
	int readers = argc > 1 ? atoi(argv[1]) : 4, cycles = argc > 2 ? atoi(argv[2]) : 40;
	int i, refused = 0, reloads = 0;
	pthread_t t[64];

	if (readers < 1 || readers > 64 || !(dir = mkdtemp(tmpl)))
		return 2;
	blob_id(blobs[0], A);
	blob_id(blobs[1], B);
	blob_id(blobs[2], C);
	write_bundle(0);
	if (pops_runtime_open(&rt, dir) < 0) {
		fprintf(stderr, "open: %s\n", pops_runtime_last_error());
		return 1;
	}
	for (i = 0; i < readers; i++)
		pthread_create(&t[i], NULL, reader, (void *)(intptr_t)i);
	for (i = 0; i < cycles && !atomic_load(&failed); i++) {
		/* corrupt: the prompt no longer matches the manifest's blob */
		put("greet.prompt", "Corrupt {{who}}.");
		reloads++;
		if (pops_runtime_reload(rt) == 0 || !pops_runtime_reload_error(rt)) {
			fprintf(stderr, "a corrupt bundle reloaded\n");
			atomic_store(&failed, 1);
		}
		refused++;
		write_bundle((i + 1) % 2);
		reloads++;
		if (pops_runtime_reload(rt) < 0) {
			fprintf(stderr, "reload: %s\n", pops_runtime_last_error());
			atomic_store(&failed, 1);
		}
	}
	atomic_store(&stop, 1);
	for (i = 0; i < readers; i++)
		pthread_join(t[i], NULL);
	pops_runtime_close(rt);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	if (atomic_load(&failed))
		return 1;
	/* B's canary serves about half the keys: a reader that never saw it saw one bundle */
	if (!atomic_load(&canaries) || atomic_load(&canaries) == atomic_load(&renders)) {
		fprintf(stderr, "%ld of %ld renders were the canary\n", atomic_load(&canaries),
		        atomic_load(&renders));
		return 1;
	}
	printf("ok: %ld renders (%ld canary), %d reloads (%d refused)\n", atomic_load(&renders),
	       atomic_load(&canaries), reloads, refused);
	return 0;
}
