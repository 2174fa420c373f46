#include "common.h"
#include "fuzz.h"
#include "fileio.h"
#include "strutil.h"

#include <dirent.h>
#if defined(__SANITIZE_ADDRESS__)
# include <sanitizer/common_interface_defs.h>
#endif
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The plain fuzz driver `make check` runs (built with gcc + ASan/UBSan,
 * no libFuzzer): every file under <corpus>/<target>/ (recursively, so
 * crashes/ and regressions/ subdirectories count) goes through the
 * target of that name. A crash or sanitizer report ends the run with the
 * sanitizer's exit code; the input being replayed is printed first so
 * the log names it. Each input gets FUZZ_REPLAY_TIMEOUT seconds, so a
 * hang is a failure, not a stuck `make check`.
 *
 * usage: fuzz-replay <corpus-dir> [target]
 * Last line: "N passed, N failed".
 */

#define FUZZ_REPLAY_TIMEOUT 20

static struct fuzz_target *targets;
static const char *current_input;

void fuzz_register(struct fuzz_target *t)
{
	t->next = targets;
	targets = t;
}

/* async-signal-safe: write(2) only */
static void say_input(const char *what)
{
	if (write(2, what, strlen(what)) < 0 ||
	    write(2, current_input, strlen(current_input)) < 0 ||
	    write(2, "\n", 1) < 0)
		return;
}

/* an assertion or invariant check in a target failed */
static void on_abort(int sig)
{
	if (current_input)
		say_input("fuzz-replay: aborted replaying ");
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_alarm(int sig)
{
	(void)sig;
	say_input("fuzz-replay: timeout replaying ");
	_exit(88);
}

/* a sanitizer report is about to end the process: name the input */
static void on_death(void)
{
	if (current_input)
		fprintf(stderr, "fuzz-replay: crashed replaying %s\n", current_input);
}

static struct fuzz_target *find_target(const char *name)
{
	struct fuzz_target *t;

	for (t = targets; t; t = t->next)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted entry names of `dir` (without . and ..); NULL on error */
static char **list_dir(const char *dir, size_t *n_out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, **nn;
	size_t n = 0;

	*n_out = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		assert(nn);
		names = nn;
		names[n] = pops_strdup(e->d_name);
		assert(names[n]);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*n_out = n;
	return names ? names : calloc(1, sizeof(*names));
}

static void free_list(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* replay every regular file under `dir`; returns the number replayed or -1 */
static long replay_dir(struct fuzz_target *t, const char *dir)
{
	size_t n, i;
	char **names = list_dir(dir, &n);
	long count = 0;

	if (!names) {
		printf("not ok - cannot read %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n && count >= 0; i++) {
		pops_buf path = POPS_BUF_INIT, data = POPS_BUF_INIT;
		struct stat st;

		pops_path_join(&path, dir, names[i]);
		if (stat(path.ptr, &st) < 0) {
			printf("not ok - cannot stat %s\n", path.ptr);
			count = -1;
		} else if (S_ISDIR(st.st_mode)) {
			long sub = replay_dir(t, path.ptr);

			count = sub < 0 ? -1 : count + sub;
		} else if (pops_file_read(&data, path.ptr, 0) < 0) {
			printf("not ok - %s\n", pops_error_last());
			count = -1;
		} else {
			current_input = path.ptr;
			fflush(stdout);
			alarm(FUZZ_REPLAY_TIMEOUT);
			t->fn((const uint8_t *)data.ptr, data.size);
			alarm(0);
			pops_error_clear();
			count++;
		}
		pops_buf_dispose(&data);
		pops_buf_dispose(&path);
	}
	free_list(names, n);
	return count;
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : "tests/fuzz/corpus";
	const char *only = argc > 2 ? argv[2] : NULL;
	struct fuzz_target *t;
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	signal(SIGABRT, on_abort);
#if defined(__SANITIZE_ADDRESS__)
	__sanitizer_set_death_callback(on_death);
#else
	(void)on_death;
#endif
	/* every target has a corpus, and every corpus a target */
	{
		size_t n, i;
		char **names = list_dir(root, &n);

		if (!names) {
			printf("cannot read %s: %s\n0 passed, 1 failed\n", root, strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (!find_target(names[i])) {
				printf("not ok - %s/%s: no fuzz target named '%s'\n", root,
				       names[i], names[i]);
				failed++;
			}
		}
		free_list(names, n);
	}
	for (t = targets; t; t = t->next) {
		pops_buf dir = POPS_BUF_INIT;
		long n;

		if (only && strcmp(only, t->name))
			continue;
		pops_path_join(&dir, root, t->name);
		n = replay_dir(t, dir.ptr);
		if (n <= 0) {
			if (!n)
				printf("not ok - %s: empty corpus\n", dir.ptr);
			failed++;
		} else {
			printf("ok - %s: %ld inputs\n", t->name, n);
			passed++;
		}
		pops_buf_dispose(&dir);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
