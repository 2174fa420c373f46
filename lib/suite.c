#include "common.h"
#include <git2.h>
#include "fileio.h"
#include "shape.h"
#include "strutil.h"
#include "suite.h"
#include "jsonget.h"
#include "metrics_class.h"

static const pops_shape any_value = { "", POPS_SHAPE_ANY, NULL, 0, NULL, 0, 0 };
static const pops_shape assert_item = { "", POPS_SHAPE_OBJECT, NULL, POPS_SHAPE_OPEN, NULL, 0, 0 };

static const pops_shape min_f1_value = { "", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1 };
static const pops_shape class_fields[] = {
	{ "label", POPS_SHAPE_STRING, NULL, POPS_SHAPE_REQUIRED | POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "expected", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "threshold_macro_f1", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1 },
	{ "min_f1", POPS_SHAPE_MAP, &min_f1_value, 0, NULL, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};
static const pops_shape metrics_fields[] = {
	{ "classification", POPS_SHAPE_OBJECT, class_fields, POPS_SHAPE_REQUIRED, NULL, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};

static const pops_shape suite_fields[] = {
	{ "description", POPS_SHAPE_STRING, NULL, 0, NULL, 0, 0 },
	{ "prompt", POPS_SHAPE_STRING, NULL, POPS_SHAPE_REQUIRED | POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "model", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "dataset", POPS_SHAPE_STRING, NULL, POPS_SHAPE_NOT_EMPTY, NULL, 0, 0 },
	{ "tests", POPS_SHAPE_LIST, &any_value, 0, NULL, 0, 0 },
	{ "vars", POPS_SHAPE_MAP, &any_value, 0, NULL, 0, 0 },
	{ "repeat", POPS_SHAPE_INT, NULL, POPS_SHAPE_RANGE, NULL, 1, 1000 },
	{ "threshold", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1 },
	{ "case_threshold", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1 },
	{ "score_threshold", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1 },
	{ "metrics", POPS_SHAPE_OBJECT, metrics_fields, 0, NULL, 0, 0 },
	{ "max_error_rate", POPS_SHAPE_NUMBER, NULL, POPS_SHAPE_RANGE, NULL, 0, 1 },
	{ "assert", POPS_SHAPE_LIST, &assert_item, 0, NULL, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0 }
};
static const pops_shape suite_shape = { "", POPS_SHAPE_OBJECT, suite_fields, 0, NULL, 0, 0 };

/* metrics: {classification: ...}; the shape is checked already */
static int parse_class(pops_suite *s, const cJSON *root)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "metrics"),
	                                                  "classification");
	pops_buf where = POPS_BUF_INIT;
	int error;

	s->cls.threshold_macro_f1 = -1;
	if (!c)
		return 0;
	s->cls.label = pops_json_str(c, "label", NULL);
	s->cls.expected = pops_json_str(c, "expected", "{{expected}}");
	s->cls.threshold_macro_f1 = pops_json_num(c, "threshold_macro_f1", -1);
	s->cls.min_f1 = cJSON_GetObjectItemCaseSensitive(c, "min_f1");
	pops_buf_printf(&where, "%s:%u", s->path,
	                pops_yaml_line(s->doc, cJSON_GetObjectItemCaseSensitive(c, "label")));
	error = pops_buf_oom(&where) ? pops_error_oom() : pops_class_compile(&s->cls.re, s->cls.label, where.ptr);
	pops_buf_dispose(&where);
	return error;
}

unsigned pops_suite_line(const pops_suite *s, const cJSON *node)
{
	return pops_yaml_line(s->doc, node);
}

int pops_suite_parse(pops_suite **out, const char *data, size_t len,
                     const char *path)
{
	pops_suite *s = NULL;
	const cJSON *root, *list, *it;
	int error = 0;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))) || !(s->path = pops_strdup(path))) {
		error = pops_error_oom();
		goto done;
	}
	{
		git_oid oid;

		if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0) {
			error = pops_error_set(POPS_ERROR, "%s: cannot hash the suite", path);
			goto done;
		}
		git_oid_tostr(s->blob, sizeof(s->blob), &oid);
	}
	if ((error = pops_yaml_parse_file(&s->doc, data, len, path, NULL)) < 0)
		goto done;
	root = pops_yaml_root(s->doc);
	if (!cJSON_IsObject(root)) {
		error = pops_error_set(POPS_EINVALID, "%s:1: a suite must be a mapping with 'prompt', 'dataset' and 'assert'",
		                       path);
		goto done;
	}
	if ((error = pops_shape_check(s->doc, root, &suite_shape, NULL)) < 0)
		goto done;
	s->description = pops_json_str(root, "description", NULL);
	s->prompt = pops_json_str(root, "prompt", NULL);
	s->model = pops_json_str(root, "model", NULL);
	s->dataset = pops_json_str(root, "dataset", NULL);
	s->tests = cJSON_GetObjectItemCaseSensitive(root, "tests");
	s->vars = cJSON_GetObjectItemCaseSensitive(root, "vars");
	s->repeat = (long)pops_json_num(root, "repeat", 1);
	s->threshold = pops_json_num(root, "threshold", 1.0);
	s->case_threshold = pops_json_num(root, "case_threshold",
	                                  pops_json_num(root, "score_threshold", 1.0));
	if (cJSON_GetObjectItemCaseSensitive(root, "case_threshold") &&
	    cJSON_GetObjectItemCaseSensitive(root, "score_threshold")) {
		error = pops_shape_error(s->doc, cJSON_GetObjectItemCaseSensitive(root, "score_threshold"),
		                         "'score_threshold' is another name for 'case_threshold': keep one");
		goto done;
	}
	if ((error = parse_class(s, root)) < 0)
		goto done;
	s->max_error_rate = pops_json_num(root, "max_error_rate", 0.0);
	if (!s->dataset && !s->tests) {
		error = pops_shape_error(s->doc, root, "suite has no cases: add 'dataset' or 'tests'");
		goto done;
	}
	list = cJSON_GetObjectItemCaseSensitive(root, "assert");
	if (list) {
		size_t n = (size_t)cJSON_GetArraySize(list);

		if (n && !(s->asserts = calloc(n, sizeof(*s->asserts)))) {
			error = pops_error_oom();
			goto done;
		}
		cJSON_ArrayForEach(it, list) {
			if ((error = pops_assert_compile(&s->asserts[s->nasserts], it, path,
			                                 pops_yaml_line(s->doc, it))) < 0)
				goto done;
			s->nasserts++;
		}
	}
	/* inline rows are checked now, so a bad one fails at load, not mid-run */
	if (s->tests) {
		cJSON_ArrayForEach(it, s->tests) {
			pops_case c = POPS_CASE_INIT;
			pops_assert **ca = NULL;
			size_t cn = 0;

			error = pops_case_from_json(&c, it, path, pops_yaml_line(s->doc, it));
			if (!error)
				error = pops_suite_case_asserts(&ca, &cn, &c);
			pops_suite_asserts_free(ca, cn);
			pops_case_dispose(&c);
			if (error < 0)
				goto done;
		}
	}
done:
	if (error < 0)
		pops_suite_free(s);
	else
		*out = s;
	return error;
}

int pops_suite_load(pops_suite **out, const char *path)
{
	pops_buf b = POPS_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = pops_file_read(&b, path, POPS_CONFIG_MAX_BYTES)) == 0)
		error = pops_suite_parse(out, b.ptr, b.size, path);
	pops_buf_dispose(&b);
	return error;
}

int pops_suite_case_asserts(pops_assert ***out, size_t *n, const pops_case *c)
{
	pops_assert **a = NULL;
	const cJSON *it;
	size_t cnt, i = 0;
	int error = 0;

	*out = NULL;
	*n = 0;
	if (!c->asserts || !(cnt = (size_t)cJSON_GetArraySize(c->asserts)))
		return 0;
	a = calloc(cnt, sizeof(*a));
	POPS_CHECK_ALLOC(a);
	cJSON_ArrayForEach(it, c->asserts) {
		if ((error = pops_assert_compile(&a[i], it, c->file ? c->file : "-", c->line)) < 0)
			break;
		i++;
	}
	if (error < 0) {
		pops_suite_asserts_free(a, i);
		return error;
	}
	*out = a;
	*n = i;
	return 0;
}

void pops_suite_asserts_free(pops_assert **a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pops_assert_free(a[i]);
	free(a);
}

int pops_suite_apply_vars(const pops_suite *s, pops_case *c)
{
	const cJSON *it;

	if (!s->vars)
		return 0;
	cJSON_ArrayForEach(it, s->vars) {
		cJSON *copy;

		if (cJSON_GetObjectItemCaseSensitive(c->vars, it->string))
			continue;
		if (!(copy = cJSON_Duplicate(it, 1)) ||
		    !cJSON_AddItemToObject(c->vars, it->string, copy)) {
			cJSON_Delete(copy);
			return pops_error_oom();
		}
	}
	return 0;
}

void pops_suite_free(pops_suite *s)
{
	if (!s)
		return;
	pops_suite_asserts_free(s->asserts, s->nasserts);
	pops_class_spec_free(s->cls.re);
	pops_yaml_free(s->doc);
	free(s->path);
	free(s);
}
