#include "common.h"
#include "fuzz.h"
#include "records.h"

#include <unistd.h>

/*
 * Production records are read from files (streamed): the input goes to a
 * scratch file. The first byte picks the format: 'p' pops, 'o' OTel, 'l'
 * Langfuse, 'c' Langfuse CSV (a .csv name), anything else auto-detected.
 * Every record is read; each must be an object with its typed view
 * consistent with it.
 */

static char *scratch[2];

static const char *scratch_path(int csv)
{
	if (!scratch[csv]) {
		pops_buf p = POPS_BUF_INIT;
		const char *tmp = getenv("TMPDIR");

		pops_buf_printf(&p, "%s/pops-fuzz-records-%ld%s", tmp && *tmp ? tmp : "/tmp",
		                (long)getpid(), csv ? ".csv" : ".jsonl");
		scratch[csv] = pops_buf_detach(&p);
	}
	return scratch[csv];
}

POPS_FUZZ_TARGET(records)
{
	int c = size ? data[0] : 0, csv = c == 'c';
	pops_records_format fmt = c == 'p' ? POPS_RECORDS_POPS : c == 'o' ? POPS_RECORDS_OTEL :
	                          c == 'l' || csv ? POPS_RECORDS_LANGFUSE : POPS_RECORDS_AUTO;
	const char *path = scratch_path(csv);
	pops_records *rs = NULL;
	pops_record r = POPS_RECORD_INIT;
	FILE *f = fopen(path, "wb");

	if (!f || (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) || fclose(f))
		abort();
	if (pops_records_open(&rs, path, fmt) == 0) {
		while (pops_records_next(rs, &r) == 1) {
			assert(cJSON_IsObject(r.json));
			assert(!r.vars || cJSON_IsObject(r.vars));
			assert(!r.output || pops_record_get(&r, "output"));
			assert(r.line > 0);
		}
	}
	pops_record_dispose(&r);
	pops_records_free(rs);
	unlink(path);
	return 0;
}
