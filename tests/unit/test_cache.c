#include "unit.h"
#include "cache.h"
#include "fileio.h"
#include "strutil.h"

#include <unistd.h>

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/pops-cache-test.XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? pops_strdup(d) : NULL;
}

static void rmrf(const char *dir)
{
	size_t n;
	pops_buf c = POPS_BUF_INIT;

	pops_buf_printf(&c, "%s/cache", dir);
	pops_cache_clear(&n, c.ptr);
	rmdir(c.ptr);
	pops_buf_clear(&c);
	pops_buf_printf(&c, "%s/tape.jsonl", dir);
	unlink(c.ptr);
	rmdir(dir);
	pops_buf_dispose(&c);
}

TEST(cache_key_covers_every_part_and_not_the_key)
{
	char a[65], b[65];

	pops_cache_key(a, "openai", "http://h", "m", "{}", 2, 0);
	pops_cache_key(b, "openai", "http://h", "m", "{}", 2, 0);
	CHECK_STR(a, b);
	pops_cache_key(b, "openai", "http://h", "m", "{}", 2, 1);
	CHECK(strcmp(a, b));
	pops_cache_key(b, "openai", "http://h2", "m", "{}", 2, 0);
	CHECK(strcmp(a, b));
	pops_cache_key(b, "anthropic", "http://h", "m", "{}", 2, 0);
	CHECK(strcmp(a, b));
	pops_cache_key(b, "openai", "http://h", "m2", "{}", 2, 0);
	CHECK(strcmp(a, b));
	pops_cache_key(b, "openai", "http://hm", "", "{}", 2, 0);
	CHECK(strcmp(a, b));
}

TEST(cache_round_trips_and_ignores_corrupt_entries)
{
	char *dir = tmpdir(), key[65];
	pops_buf cdir = POPS_BUF_INIT, path = POPS_BUF_INIT;
	pops_provider_result in, out;
	pops_cache_stats st;

	CHECK(dir);
	pops_buf_printf(&cdir, "%s/cache", dir);
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.text = "hello";
	in.finish_reason = "stop";
	in.input_tokens = 3;
	in.output_tokens = 1;
	in.cached_tokens = 2;
	in.http_status = 200;
	in.latency_ms = 812.5;
	pops_cache_key(key, "openai", "u", "m", "b", 1, 0);
	CHECK_INT(pops_cache_get(&out, cdir.ptr, key), POPS_ENOTFOUND);
	CHECK_INT(pops_cache_put(cdir.ptr, key, &in), 0);
	CHECK_INT(pops_cache_get(&out, cdir.ptr, key), 0);
	CHECK_STR(out.text, "hello");
	CHECK_INT(out.cached_tokens, 2);
	CHECK_INT(out.cache_hit, 1);
	/* the latency it was fetched with, not 0: latency-ms assertions see it */
	CHECK(out.latency_ms == 812.5);
	pops_provider_result_dispose(&out);
	CHECK_INT(pops_cache_stat(&st, cdir.ptr), 0);
	CHECK_INT(st.entries, 1);
	CHECK_INT(st.corrupt, 0);
	/* a torn entry is a miss and counts as corrupt */
	pops_buf_printf(&path, "%s/%.2s/%s.json", cdir.ptr, key, key + 2);
	CHECK_INT(pops_file_write_atomic(path.ptr, "{\"key\":\"", 8, 0644), 0);
	CHECK_INT(pops_cache_get(&out, cdir.ptr, key), POPS_ENOTFOUND);
	CHECK_INT(pops_cache_stat(&st, cdir.ptr), 0);
	CHECK_INT(st.corrupt, 1);
	rmrf(dir);
	free(dir);
	pops_buf_dispose(&cdir);
	pops_buf_dispose(&path);
}

TEST(cassette_records_sorted_and_replays_by_request)
{
	char *dir = tmpdir(), key[65], key2[65];
	pops_buf path = POPS_BUF_INIT, data = POPS_BUF_INIT;
	pops_cassette *c = NULL;
	cJSON *msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":\"q\"}]");
	pops_provider_request req = { NULL, "m", msgs, NULL, NULL, 0, NULL };
	pops_provider_result in, out;

	pops_buf_printf(&path, "%s/tape.jsonl", dir);
	CHECK_INT(pops_cassette_open(&c, path.ptr, 1), POPS_ENOTFOUND);
	CHECK_ERR_HAS("does not exist");
	CHECK_INT(pops_cassette_open(&c, path.ptr, 0), 0);
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.text = "answer";
	in.finish_reason = "stop";
	CHECK_INT(pops_cassette_key(key, &req), 0);
	req.repeat = 1;
	CHECK_INT(pops_cassette_key(key2, &req), 0);
	CHECK(strcmp(key, key2));
	CHECK_INT(pops_cassette_put(c, key, "m", 0, &in), 0);
	CHECK_INT(pops_cassette_save(c), 0);
	pops_cassette_free(c);
	CHECK_INT(pops_cassette_open(&c, path.ptr, 1), 0);
	CHECK_INT(pops_cassette_get(&out, c, key), 0);
	CHECK_STR(out.text, "answer");
	CHECK_INT(pops_cassette_get(&out, c, key2), POPS_ENOTFOUND);
	pops_provider_result_dispose(&out);
	pops_cassette_free(c);
	CHECK_INT(pops_file_write_atomic(path.ptr, "{\"pops_cassette\":1}\nnot json\n", 28, 0644), 0);
	CHECK_INT(pops_cassette_open(&c, path.ptr, 1), POPS_EINVALID);
	CHECK_ERR_HAS("tape.jsonl:2: not a cassette entry");
	cJSON_Delete(msgs);
	rmrf(dir);
	free(dir);
	pops_buf_dispose(&path);
	pops_buf_dispose(&data);
}

/* a 64-hex-digit key made from n */
static void nkey(char out[65], unsigned n)
{
	snprintf(out, 65, "%064x", n * 2654435761u);
}

TEST(cassette_holds_many_entries_last_line_wins_and_saves_sorted)
{
	char *dir = tmpdir(), key[65], text[32];
	pops_buf path = POPS_BUF_INIT, file = POPS_BUF_INIT, data = POPS_BUF_INIT;
	pops_cassette *c = NULL;
	pops_provider_result out;
	const unsigned n = 20000;
	unsigned i;
	const char *p, *prev = NULL;

	pops_buf_printf(&path, "%s/big.jsonl", dir);
	pops_buf_puts(&file, "{\"pops_cassette\":1}\n");
	for (i = 0; i < n; i++) {
		nkey(key, i);
		pops_buf_printf(&file, "{\"key\":\"%s\",\"model\":\"m\",\"repeat\":0,"
		                "\"result\":{\"text\":\"old %u\",\"finish_reason\":\"stop\"}}\n", key, i);
	}
	/* the same keys again for every tenth entry: the later line wins */
	for (i = 0; i < n; i += 10) {
		nkey(key, i);
		pops_buf_printf(&file, "{\"key\":\"%s\",\"model\":\"m\",\"repeat\":0,"
		                "\"result\":{\"text\":\"new %u\",\"finish_reason\":\"stop\"}}\n", key, i);
	}
	CHECK(!pops_buf_oom(&file));
	CHECK_INT(pops_file_write_atomic(path.ptr, file.ptr, file.size, 0644), 0);
	CHECK_INT(pops_cassette_open(&c, path.ptr, 1), 0);
	CHECK_INT(pops_cassette_size(c), n);
	for (i = 0; i < n; i++) {
		nkey(key, i);
		memset(&out, 0, sizeof(out));
		CHECK_INT(pops_cassette_get(&out, c, key), 0);
		snprintf(text, sizeof(text), "%s %u", i % 10 ? "old" : "new", i);
		CHECK_STR(out.text, text);
		pops_provider_result_dispose(&out);
	}
	nkey(key, n + 1);
	CHECK_INT(pops_cassette_get(&out, c, key), POPS_ENOTFOUND);
	/* saved with one line per key, in key order */
	CHECK_INT(pops_cassette_put(c, key, "m", 0, &out), 0);
	CHECK_INT(pops_cassette_save(c), 0);
	CHECK_INT(pops_file_read(&data, path.ptr, 0), 0);
	i = 0;
	for (p = memchr(data.ptr, '\n', data.size) + 1; p < data.ptr + data.size;
	     p = (const char *)memchr(p, '\n', (size_t)(data.ptr + data.size - p)) + 1) {
		CHECK(!strncmp(p, "{\"key\":\"", 8));
		if (prev)
			CHECK(strncmp(prev + 8, p + 8, 64) < 0);
		prev = p;
		i++;
	}
	CHECK_INT(i, n + 1);
	pops_cassette_free(c);
	rmrf(dir);
	free(dir);
	pops_buf_dispose(&data);
	pops_buf_dispose(&file);
	pops_buf_dispose(&path);
}
