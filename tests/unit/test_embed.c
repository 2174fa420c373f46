#include "unit.h"
#include <math.h>
#include <unistd.h>
#include "cache.h"
#include "embed.h"
#include "strutil.h"

TEST(embed_cosine_of_same_opposite_orthogonal_and_zero)
{
	const float a[] = { 1, 2, 3 }, b[] = { 2, 4, 6 }, c[] = { -1, -2, -3 };
	const float x[] = { 1, 0, 0 }, y[] = { 0, 5, 0 }, z[] = { 0, 0, 0 };

	CHECK(fabs(pops_embed_cosine(a, b, 3) - 1) < 1e-9);   /* length does not count */
	CHECK(fabs(pops_embed_cosine(a, c, 3) + 1) < 1e-9);
	CHECK(fabs(pops_embed_cosine(x, y, 3)) < 1e-12);
	CHECK(pops_embed_cosine(x, z, 3) == 0);                /* no direction: not similar */
	CHECK(fabs(pops_embed_cosine(x, a, 3) - 1 / sqrt(14)) < 1e-6);
}

TEST(embed_url_and_body_per_type)
{
	pops_provider_cfg oa = { "fake", "openai", "http://h/v1/", NULL, NULL };
	pops_provider_cfg ol = { "local", "ollama", "http://h:11434", NULL, NULL };
	pops_provider_cfg an = { "ant", "anthropic", "http://h", NULL, NULL };
	const char *texts[] = { "a", "b \"q\"" };
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_embed_url(&b, &oa), 0);
	CHECK_STR(b.ptr, "http://h/v1/embeddings");
	CHECK_INT(pops_embed_url(&b, &ol), 0);
	CHECK_STR(b.ptr, "http://h:11434/api/embed");
	CHECK_INT(pops_embed_url(&b, &an), POPS_EINVALID);
	CHECK_ERR_HAS("provider 'ant' of type anthropic has no embeddings endpoint");
	CHECK(!pops_embed_type_ok("exec"));
	CHECK_INT(pops_embed_body(&b, "m", texts, 2), 0);
	CHECK_STR(b.ptr, "{\"model\":\"m\",\"input\":[\"a\",\"b \\\"q\\\"\"]}");
	pops_buf_dispose(&b);
}

TEST(embed_parse_openai_by_index_and_ollama_in_order)
{
	const char *oa = "{\"data\":[{\"index\":1,\"embedding\":[0,1]},{\"index\":0,\"embedding\":[1,0]}],"
	                 "\"usage\":{\"prompt_tokens\":7}}";
	const char *ol = "{\"embeddings\":[[1,2,3],[4,5,6]],\"prompt_eval_count\":3}";
	float *v;
	size_t d;
	long t;

	CHECK_INT(pops_embed_parse(&v, &d, &t, "openai", oa, strlen(oa), 2), 0);
	CHECK_INT(d, 2);
	CHECK_INT(t, 7);
	CHECK(v[0] == 1 && v[1] == 0 && v[2] == 0 && v[3] == 1);
	free(v);
	CHECK_INT(pops_embed_parse(&v, &d, &t, "ollama", ol, strlen(ol), 2), 0);
	CHECK_INT(d, 3);
	CHECK_INT(t, 3);
	CHECK(v[3] == 4 && v[5] == 6);
	free(v);
}

TEST(embed_parse_refuses_short_ragged_and_error_replies)
{
	const char *few = "{\"embeddings\":[[1,2]]}";
	const char *ragged = "{\"embeddings\":[[1,2],[1]]}";
	const char *twice = "{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":0,\"embedding\":[2]}]}";
	const char *err = "{\"error\":{\"message\":\"model not found\"}}";
	const char *nan = "{\"embeddings\":[[1,\"x\"]]}";
	float *v;
	size_t d;
	long t;

	CHECK_INT(pops_embed_parse(&v, &d, &t, "ollama", few, strlen(few), 2), POPS_EPROVIDER);
	CHECK_ERR_HAS("embeddings reply has 1 vectors for 2 inputs");
	CHECK_INT(pops_embed_parse(&v, &d, &t, "ollama", ragged, strlen(ragged), 2), POPS_EPROVIDER);
	CHECK_ERR_HAS("different sizes");
	CHECK_INT(pops_embed_parse(&v, &d, &t, "openai", twice, strlen(twice), 2), POPS_EPROVIDER);
	CHECK_ERR_HAS("repeated 'index'");
	CHECK_INT(pops_embed_parse(&v, &d, &t, "openai", err, strlen(err), 1), POPS_EPROVIDER);
	CHECK_ERR_HAS("model not found");
	CHECK_INT(pops_embed_parse(&v, &d, &t, "ollama", nan, strlen(nan), 1), POPS_EPROVIDER);
	CHECK_INT(pops_embed_parse(&v, &d, &t, "ollama", "nope", 4, 1), POPS_EPROVIDER);
	CHECK(v == NULL);
}

/* a cached vector for `text`, as the embedder stores it */
static void put_cached(const char *dir, const pops_provider_cfg *p, const char *model,
                       const char *text, const char *vec)
{
	pops_provider_result res;
	char key[65], type[64];

	snprintf(type, sizeof(type), "embeddings:%s", p->type);
	pops_cache_key(key, type, p->base_url, model, text, strlen(text), 0);
	memset(&res, 0, sizeof(res));
	res.text = (char *)vec;
	res.finish_reason = (char *)"stop";
	res.input_tokens = 1;
	CHECK_INT(pops_cache_put(dir, key, &res), 0);
}

TEST(embedder_dedups_serves_the_cache_and_fails_only_what_it_cannot_send)
{
	/* nothing listens on port 1: only the cache can answer */
	pops_provider_cfg p = { "down", "openai", "http://127.0.0.1:1/v1", NULL, NULL };
	pops_provider_options po = POPS_PROVIDER_OPTIONS_INIT;
	pops_embed_options eo;
	pops_embedder *e = NULL;
	char tmpl[] = "/tmp/pops-embed-test.XXXXXX", *dir = mkdtemp(tmpl);
	const float *v;
	const char *why;
	size_t a, a2, b, c, d;

	CHECK(dir);
	po.cache_dir = dir;
	po.max_retries = 0;
	put_cached(dir, &p, "emb", "alpha", "[3,4]");
	put_cached(dir, &p, "emb", "beta", "[0,2]");
	memset(&eo, 0, sizeof(eo));
	eo.provider = &p;
	eo.model_id = "emb";
	eo.popts = &po;
	CHECK_INT(pops_embedder_new(&e, &eo), 0);
	CHECK_INT(pops_embedder_add(e, "alpha", 5, 1, &a), 0);
	CHECK_INT(pops_embedder_add(e, "alpha", 5, 0, &a2), 0);
	CHECK_INT(a, a2);                         /* each distinct text once */
	CHECK_INT(pops_embedder_add(e, "beta", 4, 0, &b), 0);
	CHECK_INT(pops_embedder_add(e, "gamma", 5, 0, &c), 0);
	CHECK_INT(pops_embedder_run(e), 0);
	CHECK((v = pops_embedder_vector(e, a, &d, &why)));
	CHECK_INT(d, 2);
	CHECK(fabs(v[0] - 0.6) < 1e-6 && fabs(v[1] - 0.8) < 1e-6);   /* normalised */
	CHECK(pops_embedder_vector(e, b, &d, &why));
	CHECK(!pops_embedder_vector(e, c, &d, &why));
	CHECK(why && *why);
	CHECK_INT(pops_embedder_stats(e)->cached, 2);
	CHECK_INT(pops_embedder_stats(e)->requests, 1);
	CHECK_INT(pops_embedder_stats(e)->embedded, 0);
	/* forget drops what is not pinned: alpha stays known */
	pops_embedder_forget(e);
	CHECK(pops_embedder_vector(e, a, &d, &why));
	CHECK_INT(pops_embedder_add(e, "alpha", 5, 0, &a2), 0);
	CHECK_INT(a, a2);
	CHECK_INT(pops_embedder_run(e), 0);
	CHECK_INT(pops_embedder_stats(e)->cached, 2);   /* not looked up again */
	pops_embedder_free(e);
	{
		size_t n;

		pops_cache_clear(&n, dir);
		rmdir(dir);
	}
}
