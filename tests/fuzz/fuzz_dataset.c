#include "common.h"
#include "fuzz.h"
#include "dataset.h"
#include "fileio.h"

#include <unistd.h>

/*
 * Datasets are read from files (streamed), so the input is written to a
 * scratch file whose extension the first byte picks: 'j' JSONL, 'c' CSV,
 * 'J' JSON, anything else YAML. Every row is read, its scope built, and the
 * reader rewound once and read again: both passes must agree.
 */

static char *scratch[4];

static const char *scratch_path(int fmt)
{
	static const char *const ext[] = { ".jsonl", ".csv", ".yaml", ".json" };

	if (!scratch[fmt]) {
		pops_buf p = POPS_BUF_INIT;
		const char *tmp = getenv("TMPDIR");

		pops_buf_printf(&p, "%s/pops-fuzz-dataset-%ld%s", tmp && *tmp ? tmp : "/tmp",
		                (long)getpid(), ext[fmt]);
		scratch[fmt] = pops_buf_detach(&p);
	}
	return scratch[fmt];
}

/* rows read, or -1 on an error */
static long read_all(pops_dataset *ds)
{
	pops_case c = POPS_CASE_INIT;
	long rows = 0;
	int r;

	while ((r = pops_dataset_next(ds, &c)) == 1) {
		cJSON *scope = pops_case_scope(&c);

		assert(c.id && *c.id);
		assert(cJSON_IsObject(c.vars));
		assert(scope);
		cJSON_Delete(scope);
		rows++;
	}
	pops_case_dispose(&c);
	return r < 0 ? -1 : rows;
}

POPS_FUZZ_TARGET(dataset)
{
	int fmt = !size ? 2 : data[0] == 'j' ? 0 : data[0] == 'c' ? 1 : data[0] == 'J' ? 3 : 2;
	const char *path = scratch_path(fmt);
	pops_dataset *ds = NULL;
	FILE *f = fopen(path, "wb");

	/* plain write, no fsync: the file is scratch */
	if (!f || (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) || fclose(f))
		abort();
	if (pops_dataset_open(&ds, path, "fuzz") == 0) {
		long first = read_all(ds), second;

		if (pops_dataset_rewind(ds) == 0) {
			second = read_all(ds);
			assert(first == second);
		}
	}
	pops_dataset_free(ds);
	unlink(path);
	return 0;
}
