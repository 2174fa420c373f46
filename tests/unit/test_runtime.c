#define _XOPEN_SOURCE 700
#include "unit.h"
#include "runtime.h"
#include "fileio.h"
#include "sha1.h"
#include "strutil.h"

#include <ftw.h>
#include <unistd.h>

/*
 * The runtime library against hand-written bundles: a manifest.json as
 * pops export writes it (pops-export(1); schema 3 for the rollout, as
 * /work/tasks/contract.md specifies), files with their blob ids.
 */

static const char STYLE[] = "Be brief{{#if tone}}, {{tone}}{{/if}}.";
static const char GREET[] = "---\nmodel: fast\ninput:\n  schema:\n    who: string\n---\n"
                            "Hello {{who}}. {{> style}}\n";
static const char ASK[] = "---\nmodel: fast\nconfig:\n  temperature: 0.5\n---\n"
                          "Ask {{q}}. {{> style tone=\"warm\"}}\n";
static const char CANARY[] = "---\nmodel: fast\n---\nHi {{who}}! {{> style}}\n";
static const char CANARY_STYLE[] = "Be very brief.";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *dir, const char *rel, const char *text)
{
	pops_buf p = POPS_BUF_INIT;
	char *slash;

	pops_buf_printf(&p, "%s/%s", dir, rel);
	slash = strrchr(p.ptr, '/');
	*slash = '\0';
	pops_mkdir_p(p.ptr, 0777);
	*slash = '/';
	pops_file_write_atomic(p.ptr, text, strlen(text), 0644);
	pops_buf_dispose(&p);
}

static cJSON *blob(const char *text)
{
	char hex[41];

	pops_sha1_git_blob(hex, text, strlen(text));
	return cJSON_CreateString(hex);
}

static cJSON *model(const char *id)
{
	cJSON *m = cJSON_CreateObject();

	cJSON_AddStringToObject(m, "alias", "fast");
	cJSON_AddStringToObject(m, "provider", "openai");
	cJSON_AddStringToObject(m, "type", "openai");
	cJSON_AddStringToObject(m, "id", id);
	cJSON_AddItemToObject(m, "config", cJSON_CreateObject());
	return m;
}

static cJSON *entry(const char *name, long version, const char *file, const char *text)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "version", (double)version);
	cJSON_AddItemToObject(o, "blob", blob(text));
	cJSON_AddStringToObject(o, "file", file);
	cJSON_AddItemToObject(o, "partials", cJSON_CreateArray());
	cJSON_AddItemToObject(o, "model", model("gpt-x-1"));
	return o;
}

static void write_manifest(const char *dir, cJSON *doc)
{
	char *s = cJSON_Print(doc);

	put(dir, "manifest.json", s);
	cJSON_free(s);
	cJSON_Delete(doc);
}

/* greet@2 and team/ask@1 with partial style; greet has a canary @3 at `pct` when pct >= 0 */
static char *make_bundle(int pct)
{
	char tmpl[] = "/tmp/pops-runtime-test.XXXXXX";
	char *dir = pops_strdup(mkdtemp(tmpl));
	cJSON *doc = cJSON_CreateObject(), *prompts, *parts, *p, *g, *ro, *c, *cp;

	put(dir, "_style.prompt", STYLE);
	put(dir, "greet.prompt", GREET);
	put(dir, "team/ask.prompt", ASK);
	cJSON_AddNumberToObject(doc, "schema_version", pct >= 0 ? 3 : 2);
	cJSON_AddStringToObject(doc, "generator", "pops");
	cJSON_AddStringToObject(doc, "env", "prod");
	cJSON_AddStringToObject(doc, "format", "files");
	prompts = cJSON_AddArrayToObject(doc, "prompts");
	cJSON_AddItemToArray(prompts, g = entry("greet", 2, "greet.prompt", GREET));
	cJSON_AddItemToArray(prompts, entry("team/ask", 1, "team/ask.prompt", ASK));
	parts = cJSON_AddArrayToObject(doc, "partials");
	cJSON_AddItemToArray(parts, p = cJSON_CreateObject());
	cJSON_AddStringToObject(p, "name", "style");
	cJSON_AddStringToObject(p, "file", "_style.prompt");
	cJSON_AddNumberToObject(p, "version", 1);
	cJSON_AddItemToObject(p, "blob", blob(STYLE));
	if (pct >= 0) {
		put(dir, "@canary/greet.prompt", CANARY);
		put(dir, "@canary/greet@partials/_style.prompt", CANARY_STYLE);
		ro = cJSON_AddObjectToObject(g, "rollout");
		cJSON_AddNumberToObject(ro, "percent", pct);
		cJSON_AddStringToObject(ro, "salt", "4f2a91c0d3b5e6a7");
		cJSON_AddStringToObject(ro, "since", "2026-12-02T13:00:00Z");
		c = entry("greet", 3, "@canary/greet.prompt", CANARY);
		cJSON_DeleteItemFromObject(c, "name");
		cJSON_ReplaceItemInObject(c, "model", model("gpt-x-2"));
		cp = cJSON_CreateObject();
		cJSON_AddStringToObject(cp, "name", "style");
		cJSON_AddStringToObject(cp, "file", "_style.prompt");
		cJSON_AddNumberToObject(cp, "version", 2);
		cJSON_AddItemToObject(cp, "blob", blob(CANARY_STYLE));
		cJSON_AddStringToObject(cp, "path", "@canary/greet@partials/_style.prompt");
		cJSON_AddItemToArray(cJSON_GetObjectItem(c, "partials"), cp);
		cJSON_AddItemToObject(ro, "canary", c);
	}
	write_manifest(dir, doc);
	return dir;
}

/* the render's first message text (the template has no roles: one user message) */
static char *render_text(const pops_variant *v, const char *vars)
{
	char *json = NULL, *r = NULL;
	cJSON *doc;
	const cJSON *t;

	if (pops_variant_render(&json, v, vars) < 0)
		return NULL;
	doc = cJSON_Parse(json);
	t = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
	        cJSON_GetObjectItem(doc, "messages"), 0), "content"), 0), "text");
	if (cJSON_IsString(t))
		r = pops_strdup(t->valuestring);
	cJSON_Delete(doc);
	pops_runtime_free(json);
	return r;
}

TEST(runtime_open_get_render_serves_a_schema_2_bundle)
{
	char *dir = make_bundle(-1), *text = NULL, *json = NULL;
	pops_runtime *rt = NULL;
	pops_variant *v = NULL, *a = NULL;

	CHECK_INT(pops_runtime_open(&rt, dir), 0);
	CHECK_INT(pops_runtime_get(&v, rt, "greet", "user-42"), 0);
	CHECK_STR(pops_variant_name(v), "greet");
	CHECK_INT(pops_variant_version(v), 2);
	CHECK_STR(pops_variant_side(v), "stable");
	CHECK_STR(pops_variant_served(v), "greet@2:prod");
	CHECK_STR(pops_variant_model_id(v), "gpt-x-1");
	CHECK(strstr(pops_variant_model_json(v), "\"provider\":\"openai\""));
	text = render_text(v, "{\"who\":\"Ann\"}");
	CHECK_STR(text, "Hello Ann. Be brief.");
	free(text);
	/* what pops render --json prints: formatted, schema_version 1, the frontmatter's model */
	CHECK_INT(pops_variant_render(&json, v, "{\"who\":\"Ann\"}"), 0);
	CHECK(!strncmp(json, "{\n\t\"schema_version\":\t1,\n\t\"name\":\t\"greet\",\n\t\"model\":\t\"fast\"", 55));
	CHECK(json[strlen(json) - 1] == '}');
	pops_runtime_free(json);
	/* a prompt in a directory finds the top-level partial, with hash arguments */
	CHECK_INT(pops_runtime_get(&a, rt, "team/ask", NULL), 0);
	text = render_text(a, "{\"q\":\"why\"}");
	CHECK_STR(text, "Ask why. Be brief, warm.");
	free(text);
	pops_variant_release(a);
	pops_variant_release(v);
	pops_runtime_close(rt);
	rm_rf(dir);
	free(dir);
}

TEST(runtime_get_of_a_missing_prompt_is_not_found)
{
	char *dir = make_bundle(-1);
	pops_runtime *rt = NULL;
	pops_variant *v = (pops_variant *)1;

	CHECK_INT(pops_runtime_open(&rt, dir), 0);
	CHECK_INT(pops_runtime_get(&v, rt, "nope", NULL), POPS_RUNTIME_ENOTFOUND);
	CHECK(v == NULL);
	CHECK(strstr(pops_runtime_last_error(), "no prompt 'nope' in the prod bundle"));
	CHECK_INT(pops_runtime_get(&v, rt, "greet", NULL), 0);
	/* a success does not clear the last failure's message */
	CHECK(strstr(pops_runtime_last_error(), "'nope'"));
	pops_variant_release(v);
	pops_runtime_close(rt);
	rm_rf(dir);
	free(dir);
}

TEST(runtime_render_refuses_bad_variables)
{
	char *dir = make_bundle(-1), *json = (char *)1;
	pops_runtime *rt = NULL;
	pops_variant *v = NULL;

	CHECK_INT(pops_runtime_open(&rt, dir), 0);
	CHECK_INT(pops_runtime_get(&v, rt, "greet", NULL), 0);
	CHECK_INT(pops_variant_render(&json, v, "{\"who\":"), POPS_RUNTIME_EINVALID);
	CHECK(json == NULL);
	CHECK(strstr(pops_runtime_last_error(), "variables are not JSON"));
	CHECK_INT(pops_variant_render(&json, v, "[1]"), POPS_RUNTIME_EINVALID);
	CHECK(strstr(pops_runtime_last_error(), "must be a JSON object"));
	CHECK_INT(pops_variant_render(&json, v, "{\"who\":5}"), POPS_RUNTIME_EINVALID);
	CHECK(strstr(pops_runtime_last_error(), "greet.prompt: input"));
	/* a NUL would cut the text short: refused, as pops render refuses it */
	CHECK_INT(pops_variant_render(&json, v, "{\"who\":\"a\\u0000b\"}"), POPS_RUNTIME_EINVALID);
	CHECK(json == NULL);
	CHECK(strstr(pops_runtime_last_error(), "NUL character"));
	/* an escaped backslash before u0000 is text, not a NUL */
	CHECK_INT(pops_variant_render(&json, v, "{\"who\":\"a\\\\u0000b\"}"), 0);
	CHECK(strstr(json, "a\\\\u0000b"));
	pops_runtime_free(json);
	/* no variables: the template renders with none, as pops render does */
	CHECK_INT(pops_variant_render(&json, v, NULL), 0);
	pops_runtime_free(json);
	CHECK_INT(pops_variant_render(&json, v, ""), 0);
	pops_runtime_free(json);
	pops_variant_release(v);
	pops_runtime_close(rt);
	rm_rf(dir);
	free(dir);
}

static int open_fails(const char *dir, int code, const char *needle)
{
	pops_runtime *rt = (pops_runtime *)1;
	int rc = pops_runtime_open(&rt, dir);

	if (rc != code || rt != NULL || !strstr(pops_runtime_last_error(), needle)) {
		unit_fail(__FILE__, __LINE__, "open %s: %d \"%s\", expected %d \"%s\"", dir, rc,
		          pops_runtime_last_error(), code, needle);
		return 0;
	}
	return 1;
}

TEST(runtime_open_refuses_a_bad_manifest)
{
	char *dir = make_bundle(-1);
	pops_buf m = POPS_BUF_INIT;

	CHECK(open_fails("/nonexistent/bundle", POPS_RUNTIME_ENOTFOUND, "no manifest.json"));
	put(dir, "manifest.json", "{\"schema_version\":");
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "manifest.json: not a JSON object"));
	put(dir, "manifest.json", "{\"schema_version\":9,\"generator\":\"pops\",\"env\":\"p\","
	    "\"format\":\"files\",\"prompts\":[]}");
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "schema_version 9 is not one this libpops"));
	put(dir, "manifest.json", "{\"schema_version\":2,\"generator\":\"pops\",\"env\":\"p\","
	    "\"format\":\"prompt-yml\",\"prompts\":[]}");
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "--format prompt-yml"));
	put(dir, "manifest.json", "{\"schema_version\":2,\"generator\":\"pops\",\"env\":\"p\","
	    "\"format\":\"files\",\"prompts\":[{\"name\":\"x\",\"file\":\"../x.prompt\"}]}");
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "not a relative name inside the bundle"));
	put(dir, "manifest.json", "{\"schema_version\":2,\"generator\":\"pops\",\"env\":\"p\","
	    "\"format\":\"files\",\"prompts\":[{\"name\":\"x\",\"file\":\"x.prompt\"}]}");
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "x.prompt: missing"));
	/* a prompt whose partial the bundle lacks does not load */
	put(dir, "manifest.json", "{\"schema_version\":2,\"generator\":\"pops\",\"env\":\"p\","
	    "\"format\":\"files\",\"prompts\":[{\"name\":\"greet\",\"file\":\"greet.prompt\"}]}");
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "style"));
	pops_buf_dispose(&m);
	rm_rf(dir);
	free(dir);
}

TEST(runtime_open_refuses_a_file_changed_since_export)
{
	char *dir = make_bundle(-1);

	put(dir, "team/ask.prompt", "Ask {{q}} (edited).");
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "team/ask.prompt: changed since export"));
	rm_rf(dir);
	free(dir);
	dir = make_bundle(-1);
	put(dir, "_style.prompt", "Be long.");
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "_style.prompt: changed since export"));
	rm_rf(dir);
	free(dir);
}

/* a file of the bundle that is a symlink out of it is never read */
TEST(runtime_open_refuses_a_symlink_out_of_the_bundle)
{
	char *dir = make_bundle(-1);
	pops_buf p = POPS_BUF_INIT;

	pops_buf_printf(&p, "%s/greet.prompt", dir);
	CHECK_INT(unlink(p.ptr), 0);
	CHECK_INT(symlink("/etc/passwd", p.ptr), 0);
	pops_buf_dispose(&p);
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "resolves outside"));
	rm_rf(dir);
	free(dir);
}

TEST(runtime_failed_reload_keeps_serving_the_old_bundle)
{
	char *dir = make_bundle(100), *text;
	pops_runtime *rt = NULL;
	pops_variant *old = NULL, *v = NULL;

	CHECK_INT(pops_runtime_open(&rt, dir), 0);
	CHECK(pops_runtime_reload_error(rt) == NULL);
	CHECK_INT(pops_runtime_get(&old, rt, "greet", "k"), 0);
	CHECK_STR(pops_variant_side(old), "canary");
	/* corrupt: the reload fails, says why, and the bundle stays */
	put(dir, "@canary/greet.prompt", "Hi {{who}}?");
	CHECK_INT(pops_runtime_reload(rt), POPS_RUNTIME_EINVALID);
	CHECK(strstr(pops_runtime_last_error(), "@canary/greet.prompt: changed since export"));
	CHECK(pops_runtime_reload_error(rt));
	CHECK(strstr(pops_runtime_reload_error(rt), "@canary/greet.prompt: changed since export"));
	CHECK_INT(pops_runtime_get(&v, rt, "greet", "k"), 0);
	text = render_text(v, "{\"who\":\"Ann\"}");
	CHECK_STR(text, "Hi Ann! Be very brief.");
	free(text);
	pops_variant_release(v);
	put(dir, "@canary/greet.prompt", CANARY);
	/* repaired: the reload succeeds and forgets the error */
	CHECK_INT(pops_runtime_reload(rt), 0);
	CHECK(pops_runtime_reload_error(rt) == NULL);
	/* the variant from before the reloads is still valid, and outlives the runtime */
	pops_runtime_close(rt);
	CHECK_STR(pops_variant_served(old), "greet@3:prod~canary");
	text = render_text(old, "{\"who\":\"Ann\"}");
	CHECK_STR(text, "Hi Ann! Be very brief.");
	free(text);
	pops_variant_release(old);
	rm_rf(dir);
	free(dir);
}

TEST(runtime_reload_switches_to_a_new_export)
{
	char *dir = make_bundle(-1), *text;
	static const char NEW[] = "Goodbye {{who}}.";
	pops_runtime *rt = NULL;
	pops_variant *old = NULL, *v = NULL;
	cJSON *doc;
	pops_buf m = POPS_BUF_INIT, path = POPS_BUF_INIT;

	CHECK_INT(pops_runtime_open(&rt, dir), 0);
	CHECK_INT(pops_runtime_get(&old, rt, "greet", NULL), 0);
	/* greet@5 is exported: new bytes and a manifest that names them */
	pops_buf_printf(&path, "%s/manifest.json", dir);
	CHECK_INT(pops_file_read(&m, path.ptr, 1 << 20), 0);
	doc = cJSON_Parse(m.ptr);
	cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "prompts"), 0),
	                          "blob", blob(NEW));
	cJSON_ReplaceItemInObject(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "prompts"), 0),
	                          "version", cJSON_CreateNumber(5));
	put(dir, "greet.prompt", NEW);
	write_manifest(dir, doc);
	CHECK_INT(pops_runtime_reload(rt), 0);
	CHECK_INT(pops_runtime_get(&v, rt, "greet", NULL), 0);
	CHECK_STR(pops_variant_served(v), "greet@5:prod");
	text = render_text(v, "{\"who\":\"Bo\"}");
	CHECK_STR(text, "Goodbye Bo.");
	free(text);
	text = render_text(old, "{\"who\":\"Bo\"}");
	CHECK_STR(text, "Hello Bo. Be brief.");
	free(text);
	pops_variant_release(v);
	pops_variant_release(old);
	pops_runtime_close(rt);
	pops_buf_dispose(&m);
	pops_buf_dispose(&path);
	rm_rf(dir);
	free(dir);
}

TEST(runtime_rollout_assigns_keys_by_bucket)
{
	/* bucket("4f2a91c0d3b5e6a7","user-42") = 6898, ("...","alice") = 8247 */
	char *dir = make_bundle(70), *text;
	pops_runtime *rt = NULL;
	pops_variant *v = NULL;

	CHECK_INT(pops_runtime_bucket("4f2a91c0d3b5e6a7", "user-42"), 6898);
	CHECK_INT(pops_runtime_bucket("4f2a91c0d3b5e6a7", "alice"), 8247);
	CHECK_INT(pops_runtime_bucket("s", ""), 2920);
	CHECK_INT(pops_runtime_open(&rt, dir), 0);
	CHECK_INT(pops_runtime_get(&v, rt, "greet", NULL), 0);
	CHECK_STR(pops_variant_side(v), "stable");
	CHECK_STR(pops_variant_served(v), "greet@2:prod~stable");
	pops_variant_release(v);
	CHECK_INT(pops_runtime_get(&v, rt, "greet", "alice"), 0);
	CHECK_STR(pops_variant_side(v), "stable");
	CHECK_STR(pops_variant_model_id(v), "gpt-x-1");
	pops_variant_release(v);
	CHECK_INT(pops_runtime_get(&v, rt, "greet", "user-42"), 0);
	CHECK_STR(pops_variant_side(v), "canary");
	CHECK_INT(pops_variant_version(v), 3);
	CHECK_STR(pops_variant_served(v), "greet@3:prod~canary");
	CHECK_STR(pops_variant_model_id(v), "gpt-x-2");
	/* the canary renders with its own partials */
	text = render_text(v, "{\"who\":\"Ann\"}");
	CHECK_STR(text, "Hi Ann! Be very brief.");
	free(text);
	pops_variant_release(v);
	/* a prompt without a rollout is stable for every key, and says so without a side */
	CHECK_INT(pops_runtime_get(&v, rt, "team/ask", "user-42"), 0);
	CHECK_STR(pops_variant_side(v), "stable");
	CHECK_STR(pops_variant_served(v), "team/ask@1:prod");
	pops_variant_release(v);
	pops_runtime_close(rt);
	rm_rf(dir);
	free(dir);
}

TEST(runtime_null_arguments_are_errors_not_crashes)
{
	pops_variant *v;
	char *s;

	CHECK_INT(pops_runtime_open(NULL, "x"), POPS_RUNTIME_EINVALID);
	CHECK_INT(pops_runtime_get(&v, NULL, "x", NULL), POPS_RUNTIME_EINVALID);
	CHECK_INT(pops_variant_render(&s, NULL, NULL), POPS_RUNTIME_EINVALID);
	CHECK_INT(pops_runtime_reload(NULL), POPS_RUNTIME_EINVALID);
	CHECK(pops_runtime_reload_error(NULL) == NULL);
	pops_runtime_close(NULL);
	pops_variant_release(NULL);
	CHECK_STR(pops_runtime_version(), "0.1.0");
}

/*
 * The render is pops_prompt_render_result printed by cJSON_Print, byte
 * for byte, also for the strings cJSON escapes, media parts, roles and a
 * prompt whose frontmatter puts numbers, nested objects and empty
 * containers in the head.
 */
TEST(runtime_render_prints_what_cjson_prints)
{
	static const char P[] = "---\nmodel: fast\nconfig:\n  temperature: 0.3\n  top_k: 40\n"
	                        "  stop: []\n  extra: {}\n  deep: {a: {b: [1, 2.5, true, null]}}\n"
	                        "output:\n  format: json\n---\n"
	                        "{{role \"system\"}}Sys {{who}}\n{{role \"user\"}}"
	                        "{{media url=pic contentType=\"image/png\"}} {{who}} {{{who}}}\n";
	static const char *const vars[] = {
		"{\"who\":\"plain\",\"pic\":\"https://x/y.png\"}",
		"{\"who\":\"q\\\" b\\\\ s/ \\u0001\\u001f\\b\\f\\n\\r\\t \\u007f é 日本 😀\",\"pic\":\"p\"}",
		"{\"who\":\"\",\"pic\":\"\"}",
	};
	char *dir = make_bundle(-1), *json = NULL, *want = NULL;
	pops_runtime *rt = NULL;
	pops_variant *v = NULL;
	cJSON *doc, *varsj, *result = NULL;
	size_t i;

	put(dir, "greet.prompt", P);
	doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "schema_version", 2);
	cJSON_AddStringToObject(doc, "generator", "pops");
	cJSON_AddStringToObject(doc, "env", "prod");
	cJSON_AddStringToObject(doc, "format", "files");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "prompts"),
	                     entry("greet", 1, "greet.prompt", P));
	write_manifest(dir, doc);
	CHECK_INT(pops_runtime_open(&rt, dir), 0);
	CHECK_INT(pops_runtime_get(&v, rt, "greet", NULL), 0);
	for (i = 0; i < POPS_ARRAY_SIZE(vars); i++) {
		varsj = cJSON_Parse(vars[i]);
		CHECK(varsj);
		CHECK_INT(pops_prompt_render_result(&result, v->prompt, varsj, NULL), 0);
		want = cJSON_Print(result);
		cJSON_Delete(result);
		cJSON_Delete(varsj);
		CHECK_INT(pops_variant_render(&json, v, vars[i]), 0);
		CHECK_STR(json, want);
		CHECK(strstr(json, "\"media\":"));
		pops_runtime_free(json);
		cJSON_free(want);
	}
	pops_variant_release(v);
	pops_runtime_close(rt);
	rm_rf(dir);
	free(dir);
}

/* manifest.json with `edit` applied to greet's entry (rewritten in place) */
static void edit_greet(const char *dir, const char *key, cJSON *value, int in_rollout)
{
	pops_buf m = POPS_BUF_INIT, path = POPS_BUF_INIT;
	cJSON *doc, *g;

	pops_buf_printf(&path, "%s/manifest.json", dir);
	pops_file_read(&m, path.ptr, 1 << 20);
	doc = cJSON_Parse(m.ptr);
	g = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "prompts"), 0);
	if (in_rollout)
		g = cJSON_GetObjectItem(g, "rollout");
	cJSON_DeleteItemFromObject(g, key);
	cJSON_AddItemToObject(g, key, value);
	write_manifest(dir, doc);
	pops_buf_dispose(&m);
	pops_buf_dispose(&path);
}

TEST(runtime_open_refuses_a_bad_rollout)
{
	char *dir = make_bundle(10);

	edit_greet(dir, "salt", cJSON_CreateString("4F2A91C0D3B5E6A7"), 1);
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "greet: the rollout's \"salt\" is not 16 hex"));
	edit_greet(dir, "salt", cJSON_CreateString("4f2a91c0d3b5e6a7"), 1);
	edit_greet(dir, "percent", cJSON_CreateNumber(10.5), 1);
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "the rollout's \"percent\" is not an integer"));
	edit_greet(dir, "percent", cJSON_CreateNumber(10), 1);
	edit_greet(dir, "canary", cJSON_CreateString("x"), 1);
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "has no \"canary\" object"));
	rm_rf(dir);
	free(dir);
}

/* format json: the text is in the manifest, and its blob id is checked all the same */
TEST(runtime_serves_a_json_bundle_and_checks_its_blob_ids)
{
	char tmpl[] = "/tmp/pops-runtime-test.XXXXXX";
	char *dir = pops_strdup(mkdtemp(tmpl)), *text;
	cJSON *doc = cJSON_CreateObject(), *g, *p;
	pops_runtime *rt = NULL;
	pops_variant *v = NULL;

	cJSON_AddNumberToObject(doc, "schema_version", 2);
	cJSON_AddStringToObject(doc, "generator", "pops");
	cJSON_AddStringToObject(doc, "env", "prod");
	cJSON_AddStringToObject(doc, "format", "json");
	g = entry("greet", 2, "unused", GREET);
	cJSON_DeleteItemFromObject(g, "file");
	cJSON_AddStringToObject(g, "content", GREET);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "prompts"), g);
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "name", "style");
	cJSON_AddItemToObject(p, "blob", blob(STYLE));
	cJSON_AddStringToObject(p, "content", STYLE);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "partials"), p);
	write_manifest(dir, doc);
	CHECK_INT(pops_runtime_open(&rt, dir), 0);
	CHECK_INT(pops_runtime_get(&v, rt, "greet", NULL), 0);
	text = render_text(v, "{\"who\":\"Jo\"}");
	CHECK_STR(text, "Hello Jo. Be brief.");
	free(text);
	pops_variant_release(v);
	pops_runtime_close(rt);
	edit_greet(dir, "content", cJSON_CreateString("Hello {{who}}!"), 0);
	CHECK(open_fails(dir, POPS_RUNTIME_EINVALID, "manifest.json (greet): changed since export"));
	rm_rf(dir);
	free(dir);
}
