#include "unit.h"
#include "fileio.h"

static struct unit_test *tests, **tail = &tests;
static int current_failed;

void unit_register(struct unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	current_failed = 1;
	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

const char *unit_shared_dir(void)
{
	const char *s = getenv("SHARED");

	return s && *s ? s : "../shared";
}

int unit_require_shared(const char *sub)
{
	pops_buf p = POPS_BUF_INIT;
	int ok;

	pops_buf_printf(&p, "%s/%s", unit_shared_dir(), sub);
	ok = pops_path_isdir(p.ptr);
	if (!ok)
		printf("#   needs the shared conformance suites: no %s (set SHARED=/path/to/shared)\n",
		       p.ptr);
	pops_buf_dispose(&p);
	return ok;
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * usage: unit-tests [filter]  (runs the cases whose "file:name" contains
 * filter). Output is TAP-like; the last line is "N passed, N failed".
 */
int main(int argc, char **argv)
{
	struct unit_test *t;
	int passed = 0, failed = 0, n = 0;
	const char *filter = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (t = tests; t; t = t->next) {
		char label[512];

		snprintf(label, sizeof(label), "%s:%s", basename_of(t->file), t->name);
		if (filter && !strstr(label, filter))
			continue;
		current_failed = 0;
		pops_error_clear();
		t->fn();
		n++;
		if (current_failed) {
			failed++;
			printf("not ok %d - %s\n", n, label);
		} else {
			passed++;
			printf("ok %d - %s\n", n, label);
		}
	}
	pops_error_clear();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
