#include "common.h"
#include "cmd.h"
#include "cache.h"
#include "config.h"

#include <cjson/cJSON.h>

/*
 * `pops cache clear|stats`: the response cache under .pops/cache/ of the
 * project (next to pops.yaml).
 */

struct cache_opts {
	int json;
};

const pops_opt cmd_cache_stats_opts[] = {
	{ .type = POPS_OPT_BOOL, .name = "json", .offset = offsetof(struct cache_opts, json),
	  .help = "print the figures as JSON" },
	{ 0 }
};

const pops_opt cmd_cache_clear_opts[] = {
	{ 0 }
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
	else
		printf("entries\t%zu\ncorrupt\t%zu\nbytes\t%llu\n", st.entries, st.corrupt, st.bytes);
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
	cmd_status("removed %zu cached response%s", removed, removed == 1 ? "" : "s");
done:
	pops_buf_dispose(&dir);
	return ret;
}
