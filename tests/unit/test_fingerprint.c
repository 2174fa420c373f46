#include "unit.h"
#include <sys/stat.h>
#include <unistd.h>
#include "fingerprint.h"
#include "fileio.h"
#include "jsonget.h"

/*
 * A project directory with a dataset, a judge prompt and exec scripts,
 * and the fingerprint of a suite in it for a given set of inputs.
 */
static char fx_dir[] = "/tmp/pops-fp-XXXXXX";
static int fx_ready;

static void fx_put(const char *name, const char *text)
{
	pops_buf p = POPS_BUF_INIT;
	FILE *f;

	pops_path_join(&p, fx_dir, name);
	if (strchr(name, '/')) {
		char *slash = strrchr(p.ptr, '/');

		*slash = '\0';
		mkdir(p.ptr, 0755);
		*slash = '/';
	}
	if ((f = fopen(p.ptr, "w"))) {
		fputs(text, f);
		fclose(f);
	}
	chmod(p.ptr, 0755);
	pops_buf_dispose(&p);
}

static void fx_setup(void)
{
	if (fx_ready || !mkdtemp(fx_dir))
		return;
	fx_ready = 1;
	fx_put("d.jsonl", "{\"id\":\"a\",\"vars\":{\"w\":\"x\"}}\n{\"id\":\"b\",\"vars\":{\"w\":\"y\"}}\n");
	fx_put("judges/strict.prompt", "---\nconfig: { temperature: 0 }\n---\nGrade {{output}} by {{rubric}}\n");
	fx_put("checks/ok.sh", "#!/bin/sh\nexit 0\n");
	fx_put("checks/ok.py", "print('ok')\n");
}

#define CFG_BASE "version: 1\nproviders: { fake: { type: openai, base_url: http://127.0.0.1:1/v1 } }\n"

static pops_config *fx_config(const char *models)
{
	pops_buf y = POPS_BUF_INIT, p = POPS_BUF_INIT;
	pops_config *cfg = NULL;

	pops_buf_puts(&y, CFG_BASE);
	pops_buf_puts(&y, models ? models :
	              "models:\n  fast: { provider: fake, id: m-1 }\n  judge: { provider: fake, id: j-1 }\n");
	pops_path_join(&p, fx_dir, "pops.yaml");
	if (pops_config_parse(&cfg, y.ptr, y.size, p.ptr) < 0)
		cfg = NULL;
	pops_buf_dispose(&y);
	pops_buf_dispose(&p);
	return cfg;
}

struct fx_in {
	const char *suite;       /* suite YAML */
	const char *models;      /* models: section, NULL = default */
	const char *dataset;
	const char *prompt_blob;
	const char *partials;    /* JSON object */
	const char *type, *model;
	const char *config;      /* JSON object */
	const char *baseline;
	const char *tools;       /* JSON {"definitions","choice"}, NULL = none */
};

static struct fx_in fx_base(void)
{
	struct fx_in in;

	memset(&in, 0, sizeof(in));
	in.suite = "prompt: p\ndataset: d.jsonl\nassert:\n  - { type: contains, value: x }\n";
	in.dataset = "d.jsonl";
	in.prompt_blob = "1111111111111111111111111111111111111111";
	in.partials = "{\"style\":\"2222222222222222222222222222222222222222\"}";
	in.type = "openai";
	in.model = "m-1";
	in.config = "{\"max_tokens\":100,\"temperature\":0.5}";
	return in;
}

static int fx_compute(pops_fingerprint *out, const struct fx_in *x)
{
	pops_fingerprint_input in = POPS_FINGERPRINT_INPUT_INIT;
	pops_config *cfg = fx_config(x->models);
	pops_suite *s = NULL;
	cJSON *partials = x->partials ? cJSON_Parse(x->partials) : NULL;
	cJSON *config = x->config ? cJSON_Parse(x->config) : NULL;
	cJSON *tools = x->tools ? cJSON_Parse(x->tools) : NULL;
	int error;

	if (!cfg)
		return POPS_ERROR;
	if ((error = pops_suite_parse(&s, x->suite, strlen(x->suite), "evals/s.yaml")) == 0) {
		in.cfg = cfg;
		in.root = fx_dir;
		in.suite = s;
		in.dataset = x->dataset;
		in.prompt = "p";
		in.prompt_blob = x->prompt_blob;
		in.partials = partials;
		in.provider_type = x->type;
		in.model_id = x->model;
		in.model_config = config;
		in.pairwise_baseline_blob = x->baseline;
		in.tools = tools;
		error = pops_fingerprint_compute(out, &in);
	}
	cJSON_Delete(tools);
	cJSON_Delete(config);
	cJSON_Delete(partials);
	pops_suite_free(s);
	pops_config_free(cfg);
	return error;
}

/* the hash of `x`, in `hex`; 0 or the error */
static int fx_hash(char hex[65], const struct fx_in *x)
{
	pops_fingerprint fp = POPS_FINGERPRINT_INIT;
	int error = fx_compute(&fp, x);

	if (error == 0)
		memcpy(hex, fp.hex, 65);
	pops_fingerprint_dispose(&fp);
	return error;
}

#define JUDGE_SUITE "prompt: p\ndataset: d.jsonl\nassert:\n  - { type: judge, model: judge, rubric: r%s }\n"

TEST(fingerprint_every_field_changes_the_hash)
{
	struct fx_in x;
	char base[65], h[65];

	fx_setup();
	x = fx_base();
	CHECK_INT(fx_hash(base, &x), 0);
	CHECK_INT(strlen(base), 64);
#define DIFFERS(field, value) do { x = fx_base(); x.field = (value); \
	CHECK_INT(fx_hash(h, &x), 0); \
	if (!strcmp(h, base)) { unit_fail(__FILE__, __LINE__, "%s did not change the hash", #field); return; } \
} while (0)
	DIFFERS(prompt_blob, "3333333333333333333333333333333333333333");
	DIFFERS(partials, "{\"style\":\"4444444444444444444444444444444444444444\"}");
	DIFFERS(partials, "{}");
	DIFFERS(type, "anthropic");
	DIFFERS(model, "m-2");
	DIFFERS(config, "{\"max_tokens\":1,\"temperature\":0.5}");
	DIFFERS(suite, "prompt: p\ndataset: d.jsonl\nassert:\n  - { type: contains, value: y }\n");
	DIFFERS(baseline, "5555555555555555555555555555555555555555");
	DIFFERS(tools, "{\"definitions\":[{\"name\":\"t\",\"parameters\":{}}]}");
	/* the judge: its model id, its config in pops.yaml, its prompt */
	x = fx_base();
	x.suite = "prompt: p\ndataset: d.jsonl\nassert:\n  - { type: judge, model: judge, rubric: r }\n";
	CHECK_INT(fx_hash(base, &x), 0);
	x.models = "models:\n  fast: { provider: fake, id: m-1 }\n  judge: { provider: fake, id: j-2 }\n";
	CHECK_INT(fx_hash(h, &x), 0);
	CHECK(strcmp(h, base) != 0);
	x.models = "models:\n  fast: { provider: fake, id: m-1 }\n"
	           "  judge: { provider: fake, id: j-1, config: { max_tokens: 9 } }\n";
	CHECK_INT(fx_hash(h, &x), 0);
	CHECK(strcmp(h, base) != 0);
	x.models = NULL;
	x.suite = "prompt: p\ndataset: d.jsonl\nassert:\n"
	          "  - { type: judge, model: judge, rubric: r, prompt: judges/strict.prompt }\n";
	CHECK_INT(fx_hash(base, &x), 0);
	fx_put("judges/strict.prompt", "---\nconfig: { temperature: 0 }\n---\nStricter {{output}} {{rubric}}\n");
	CHECK_INT(fx_hash(h, &x), 0);
	CHECK(strcmp(h, base) != 0);
	/* the dataset's content, and an exec script's */
	x = fx_base();
	CHECK_INT(fx_hash(base, &x), 0);
	fx_put("d2.jsonl", "{\"id\":\"a\",\"vars\":{\"w\":\"x\"}}\n{\"id\":\"b\",\"vars\":{\"w\":\"y\"}}\n");
	x.dataset = "d2.jsonl";
	x.suite = "prompt: p\ndataset: d2.jsonl\nassert:\n  - { type: contains, value: x }\n";
	CHECK_INT(fx_hash(base, &x), 0);
	fx_put("d2.jsonl", "{\"id\":\"a\",\"vars\":{\"w\":\"x\"}}\n");
	CHECK_INT(fx_hash(h, &x), 0);
	CHECK(strcmp(h, base) != 0);
	x = fx_base();
	x.suite = "prompt: p\ndataset: d.jsonl\nassert:\n  - { type: exec, command: [checks/ok.sh] }\n";
	CHECK_INT(fx_hash(base, &x), 0);
	fx_put("checks/ok.sh", "#!/bin/sh\nexit 1\n");
	CHECK_INT(fx_hash(h, &x), 0);
	CHECK(strcmp(h, base) != 0);
	fx_put("checks/ok.sh", "#!/bin/sh\nexit 0\n");
#undef DIFFERS
}

TEST(fingerprint_key_order_does_not_matter)
{
	struct fx_in x;
	char a[65], b[65];
	cJSON *one = cJSON_Parse("{\"b\":[1,{\"y\":2,\"x\":1}],\"a\":\"s\"}");
	cJSON *two = cJSON_Parse("{\"a\":\"s\",\"b\":[1,{\"x\":1,\"y\":2}]}");
	cJSON *other = cJSON_Parse("{\"a\":\"s\",\"b\":[{\"x\":1,\"y\":2},1]}");

	fx_setup();
	CHECK_INT(pops_fingerprint_hash(a, one), 0);
	CHECK_INT(pops_fingerprint_hash(b, two), 0);
	CHECK_STR(a, b);
	/* arrays keep their order: it is data */
	CHECK_INT(pops_fingerprint_hash(b, other), 0);
	CHECK(strcmp(a, b) != 0);
	cJSON_Delete(one);
	cJSON_Delete(two);
	cJSON_Delete(other);
	x = fx_base();
	x.config = "{\"temperature\":0.5,\"max_tokens\":100}";
	x.partials = "{\"tone\":\"6666666666666666666666666666666666666666\","
	             "\"style\":\"2222222222222222222222222222222222222222\"}";
	CHECK_INT(fx_hash(a, &x), 0);
	x.config = "{\"max_tokens\":100,\"temperature\":0.5}";
	x.partials = "{\"style\":\"2222222222222222222222222222222222222222\","
	             "\"tone\":\"6666666666666666666666666666666666666666\"}";
	CHECK_INT(fx_hash(b, &x), 0);
	CHECK_STR(a, b);
}

TEST(fingerprint_records_readable_fields_and_the_scoring_version)
{
	pops_fingerprint fp = POPS_FINGERPRINT_INIT;
	struct fx_in x;
	const char *const *k;
	char again[65];

	fx_setup();
	x = fx_base();
	CHECK_INT(fx_compute(&fp, &x), 0);
	for (k = pops_fingerprint_keys; *k; k++)
		CHECK(cJSON_GetObjectItemCaseSensitive(fp.fields, *k) != NULL);
	CHECK_INT(pops_json_num(fp.fields, "scoring_version", 0), POPS_SCORING_VERSION);
	CHECK_STR(pops_json_str(fp.fields, "suite", NULL), "evals/s.yaml");
	CHECK_STR(pops_json_str(fp.fields, "dataset", NULL), "d.jsonl");
	CHECK_STR(pops_json_str(fp.fields, "model", NULL), "m-1");
	CHECK_STR(pops_json_str(fp.fields, "provider_type", NULL), "openai");
	CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(fp.fields, "judge_model")));
	/* the hash is the hash of the fields: a gate can recompute it */
	CHECK_INT(pops_fingerprint_hash(again, fp.fields), 0);
	CHECK_STR(again, fp.hex);
	pops_fingerprint_dispose(&fp);
}

TEST(fingerprint_judges_one_as_values_several_as_sorted_arrays_rows_included)
{
	pops_fingerprint fp = POPS_FINGERPRINT_INIT;
	struct fx_in x;
	const cJSON *v;

	fx_setup();
	x = fx_base();
	x.suite = "prompt: p\ndataset: d.jsonl\nassert:\n  - { type: judge, model: judge, rubric: r }\n";
	CHECK_INT(fx_compute(&fp, &x), 0);
	CHECK_STR(pops_json_str(fp.fields, "judge_model", NULL), "j-1");
	v = cJSON_GetObjectItemCaseSensitive(fp.fields, "judge_config");
	/* the built-in judge prompt's temperature: 0 is what the judge is sent */
	CHECK(cJSON_IsObject(v) && pops_json_num(v, "temperature", -1) == 0);
	CHECK_INT(strlen(pops_json_str(fp.fields, "judge_prompt_blob", "")), 40);
	CHECK(!fp.has_pairwise);
	/* a dataset row's own judge, on another model, is a second judge */
	fx_put("rows.jsonl", "{\"id\":\"a\",\"vars\":{\"w\":\"x\"},"
	       "\"assert\":[{\"type\":\"pairwise\",\"model\":\"fast\"}]}\n");
	x.dataset = "rows.jsonl";
	x.suite = "prompt: p\ndataset: rows.jsonl\nassert:\n  - { type: judge, model: judge, rubric: r }\n";
	CHECK_INT(fx_compute(&fp, &x), 0);
	v = cJSON_GetObjectItemCaseSensitive(fp.fields, "judge_model");
	CHECK(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2);
	CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(fp.fields, "judge_prompt_blob")));
	CHECK(fp.has_pairwise);
	pops_fingerprint_dispose(&fp);
}

TEST(fingerprint_exec_words_inside_the_project_count_others_do_not)
{
	pops_fingerprint fp = POPS_FINGERPRINT_INIT;
	struct fx_in x;
	const cJSON *ex;

	fx_setup();
	x = fx_base();
	x.suite = "prompt: p\ndataset: d.jsonl\nassert:\n"
	          "  - { type: exec, command: [python3, checks/ok.py, --strict] }\n"
	          "  - { type: exec, command: [./checks/ok.sh] }\n"
	          "  - { type: exec, command: [/bin/sh, -c, 'exit 0'] }\n";
	CHECK_INT(fx_compute(&fp, &x), 0);
	ex = cJSON_GetObjectItemCaseSensitive(fp.fields, "exec_blobs");
	CHECK_INT(cJSON_GetArraySize(ex), 2);
	CHECK_INT(strlen(pops_json_str(ex, "checks/ok.py", "")), 40);
	CHECK_INT(strlen(pops_json_str(ex, "checks/ok.sh", "")), 40);
	pops_fingerprint_dispose(&fp);
}

TEST(fingerprint_a_field_that_cannot_be_computed_is_an_error_naming_it)
{
	pops_fingerprint fp = POPS_FINGERPRINT_INIT;
	struct fx_in x;

	fx_setup();
	x = fx_base();
	x.dataset = "missing.jsonl";
	CHECK_INT(fx_compute(&fp, &x), POPS_ENOTFOUND);
	CHECK_ERR_HAS("evals/s.yaml: dataset 'missing.jsonl' not found");
	x = fx_base();
	x.suite = "prompt: p\ndataset: d.jsonl\nassert:\n"
	          "  - { type: judge, model: judge, rubric: r, prompt: judges/nope.prompt }\n";
	CHECK_INT(fx_compute(&fp, &x), POPS_ENOTFOUND);
	CHECK_ERR_HAS("evals/s.yaml:4: judge prompt 'judges/nope.prompt' not found");
	x.suite = "prompt: p\ndataset: d.jsonl\nassert:\n  - { type: exec, command: [checks/nope.sh] }\n";
	CHECK_INT(fx_compute(&fp, &x), POPS_ENOTFOUND);
	CHECK_ERR_HAS("evals/s.yaml:4: exec program 'checks/nope.sh' not found");
	x.suite = "prompt: p\ndataset: d.jsonl\nassert:\n  - { type: judge, model: nosuch, rubric: r }\n";
	CHECK_INT(fx_compute(&fp, &x), POPS_EINVALID);
	CHECK_ERR_HAS("evals/s.yaml:4: unknown model 'nosuch'");
	CHECK(fp.fields == NULL);
}

TEST(fingerprint_describe_names_what_changed)
{
	pops_fingerprint a = POPS_FINGERPRINT_INIT, b = POPS_FINGERPRINT_INIT;
	pops_buf why = POPS_BUF_INIT;
	struct fx_in x;
	cJSON *old;

	fx_setup();
	x = fx_base();
	x.suite = "prompt: p\ndataset: d.jsonl\nassert:\n"
	          "  - { type: judge, model: judge, rubric: r, prompt: judges/strict.prompt }\n"
	          "  - { type: exec, command: [checks/ok.sh] }\n";
	CHECK_INT(fx_compute(&a, &x), 0);
	CHECK_INT(pops_fingerprint_describe(&why, a.fields, a.fields, NULL), 0);
	CHECK_STR(why.ptr, "");
	fx_put("judges/strict.prompt", "---\nconfig: { temperature: 0 }\n---\nAgain {{output}} {{rubric}}\n");
	fx_put("checks/ok.sh", "#!/bin/sh\ntrue\n");
	x.partials = "{\"style\":\"4444444444444444444444444444444444444444\",\"tone\":\"1\"}";
	x.config = "{\"max_tokens\":1,\"temperature\":0.5,\"top_p\":1}";
	x.model = "m-2";
	CHECK_INT(fx_compute(&b, &x), 0);
	CHECK_INT(pops_fingerprint_describe(&why, a.fields, b.fields, NULL), 0);
	CHECK_STR(why.ptr, "partial _style changed, partial _tone added, model m-1 -> m-2, "
	          "model config changed (max_tokens, top_p), judge prompt changed, "
	          "exec script checks/ok.sh changed");
	fx_put("checks/ok.sh", "#!/bin/sh\nexit 0\n");
	/* only the compared keys */
	pops_buf_clear(&why);
	{
		static const char *const keys[] = { "model", NULL };

		CHECK_INT(pops_fingerprint_describe(&why, a.fields, b.fields, keys), 0);
		CHECK_STR(why.ptr, "model m-1 -> m-2");
	}
	/* evidence from before the full fingerprint */
	pops_buf_clear(&why);
	old = cJSON_Parse("{\"prompt_blob\":\"1111111111111111111111111111111111111111\",\"model\":\"m-1\"}");
	CHECK_INT(pops_fingerprint_describe(&why, old, b.fields, NULL), 0);
	CHECK_STR(why.ptr, "it was recorded by an older pops, without a full fingerprint");
	cJSON_Delete(old);
	pops_buf_dispose(&why);
	pops_fingerprint_dispose(&a);
	pops_fingerprint_dispose(&b);
}

TEST(fingerprint_describe_a_changed_dataset_and_matches_on_known_keys)
{
	pops_fingerprint a = POPS_FINGERPRINT_INIT, b = POPS_FINGERPRINT_INIT;
	pops_buf why = POPS_BUF_INIT;
	struct fx_in x;
	cJSON *rec;
	static const char *const known[] = { "prompt_blob", "model", "suite_blob", NULL };

	fx_setup();
	fx_put("d3.jsonl", "{\"id\":\"a\",\"vars\":{\"w\":\"x\"}}\n");
	x = fx_base();
	x.dataset = "d3.jsonl";
	x.suite = "prompt: p\ndataset: d3.jsonl\nassert:\n  - { type: contains, value: x }\n";
	CHECK_INT(fx_compute(&a, &x), 0);
	fx_put("d3.jsonl", "{\"id\":\"a\",\"vars\":{\"w\":\"x\"}}\n{\"id\":\"z\",\"vars\":{\"w\":\"z\"}}\n");
	CHECK_INT(fx_compute(&b, &x), 0);
	CHECK_INT(pops_fingerprint_describe(&why, a.fields, b.fields, NULL), 0);
	CHECK_STR(why.ptr, "the dataset d3.jsonl changed");
	rec = cJSON_Duplicate(a.fields, 1);
	cJSON_AddStringToObject(rec, "fingerprint", a.hex);
	CHECK(pops_fingerprint_matches(rec, &a, NULL));
	CHECK(!pops_fingerprint_matches(rec, &b, NULL));
	/* a release that knows only some fields matches on those */
	CHECK(pops_fingerprint_matches(rec, &b, known));
	cJSON_Delete(rec);
	pops_buf_dispose(&why);
	pops_fingerprint_dispose(&a);
	pops_fingerprint_dispose(&b);
}

TEST(fingerprint_tools_are_a_field_only_when_the_prompt_has_some)
{
	pops_fingerprint a = POPS_FINGERPRINT_INIT, b = POPS_FINGERPRINT_INIT;
	pops_buf why = POPS_BUF_INIT;
	struct fx_in x;

	fx_setup();
	x = fx_base();
	CHECK_INT(fx_compute(&a, &x), 0);
	CHECK(cJSON_GetObjectItemCaseSensitive(a.fields, "tools") == NULL);
	x.tools = "{\"definitions\":[{\"name\":\"t\",\"parameters\":{\"type\":\"object\"}}]}";
	CHECK_INT(fx_compute(&b, &x), 0);
	CHECK(cJSON_GetObjectItemCaseSensitive(b.fields, "tools") != NULL);
	CHECK(strcmp(a.hex, b.hex) != 0);
	CHECK_INT(pops_fingerprint_describe(&why, a.fields, b.fields, NULL), 0);
	CHECK_STR(why.ptr, "the tools (definitions or toolChoice) changed");
	pops_buf_dispose(&why);
	pops_fingerprint_dispose(&a);
	pops_fingerprint_dispose(&b);
}
