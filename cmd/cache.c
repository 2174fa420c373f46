#include "common.h"
#include "cmd.h"
#include "cache.h"
#include "config.h"
#include "table.h"

#include <cjson/cJSON.h>

/*
 * `pops cache clear|stats`: the response cache under .pops/cache/ of the
 * project (next to pops.yaml).
 */

struct cache_opts {
	int json;
	int porcelain;
};

POPS_CMD_OPTS_SIZE(cache_stats, struct cache_opts);
#define O struct cache_opts
const pops_opt cmd_cache_stats_opts[] = {
	OPT_BOOL(O, json, "json", "print the figures as JSON"),
	OPT_BOOL(O, porcelain, "porcelain", "'name<TAB>value' lines, even on a terminal"),
	OPT_END
};
#undef O

POPS_CMD_OPTS_SIZE(cache_clear, struct cache_opts);
const pops_opt cmd_cache_clear_opts[] = {
	OPT_END
};

const pops_cmd cmd_cache_subcommands[] = {
	POPS_CMD_ROW("clear", cache_clear, POPS_CMD_NEEDS_CONFIG,
	             "Remove every cached response"),
	POPS_CMD_ROW("stats", cache_stats, POPS_CMD_NEEDS_CONFIG,
	             "Count cached responses and their size"),
	POPS_CMD_END
};

static void cache_dir(pops_buf *out, const pops_config *cfg)
{
	pops_buf_printf(out, "%s/.pops/cache", cfg->root);
}

/* on a terminal: one aligned row under a header, the size also in KiB/MiB */
static int print_table(const pops_cache_stats *st)
{
	cmd_table t = CMD_TABLE_INIT(4);
	char entries[32], corrupt[32], bytes[32], size[32];
	int ret;

	snprintf(entries, sizeof(entries), "%zu", st->entries);
	snprintf(corrupt, sizeof(corrupt), "%zu", st->corrupt);
	snprintf(bytes, sizeof(bytes), "%llu", st->bytes);
	if (st->bytes >= 1024ull * 1024)
		snprintf(size, sizeof(size), "%.1f MiB", (double)st->bytes / (1024.0 * 1024));
	else if (st->bytes >= 1024)
		snprintf(size, sizeof(size), "%.1f KiB", (double)st->bytes / 1024.0);
	else
		snprintf(size, sizeof(size), "%llu B", st->bytes);
	cmd_table_row(&t, "ENTRIES", "CORRUPT", "BYTES", "SIZE");
	cmd_table_row(&t, entries, corrupt, bytes, size);
	ret = cmd_table_print(&t, 1, 0);
	cmd_table_dispose(&t);
	return ret;
}

int cmd_cache_stats(pops_ctx *ctx, void *o)
{
	struct cache_opts *opts = o;
	pops_buf dir = POPS_BUF_INIT;
	pops_cache_stats st;
	int ret = POPS_EXIT_OK, error;

	cache_dir(&dir, ctx->config);
	if ((error = pops_cache_stat(&st, dir.ptr)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	if (opts->json)
		printf("{\n  \"schema_version\": 1,\n  \"entries\": %zu,\n  \"corrupt\": %zu,\n  \"bytes\": %llu\n}\n",
		       st.entries, st.corrupt, st.bytes);
	else if (opts->porcelain || !ctx->stdout_tty)
		printf("entries\t%zu\ncorrupt\t%zu\nbytes\t%llu\n", st.entries, st.corrupt, st.bytes);
	else
		ret = print_table(&st);
done:
	pops_buf_dispose(&dir);
	return ret;
}

int cmd_cache_clear(pops_ctx *ctx, void *o)
{
	pops_buf dir = POPS_BUF_INIT;
	size_t removed = 0;
	int ret = POPS_EXIT_OK, error;

	(void)o;
	cache_dir(&dir, ctx->config);
	if ((error = pops_cache_clear(&removed, dir.ptr)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	cmd_note("removed %zu cached response%s", removed, removed == 1 ? "" : "s");
done:
	pops_buf_dispose(&dir);
	return ret;
}
