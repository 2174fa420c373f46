#include "common.h"
#include "import_int.h"
#include "dataset.h"
#include "fileio.h"
#include "strutil.h"

#include <cjson/cJSON.h>

/*
 * promptfoo tests, defaultTest and assertions -> pops dataset rows and
 * suite assertions, and the files they end up in.
 */

/* most cases one test may expand to (array vars multiply) */
#define MAX_EXPANSION 1000

static const char *const direct_types[] = {
	"equals", "contains", "icontains", "starts-with", "regex", NULL
};

/* a list value, as pops' own contains-any etc. take it */
static const char *const list_types[] = {
	"contains-any", "contains-all", "icontains-any", "icontains-all", NULL
};

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

static cJSON *add_assert(cJSON *out, const char *type)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "type", type)) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddItemToArray(out, o);
	return o;
}

/* a value as text: strings as they are, numbers and booleans printed */
static char *value_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return pops_strdup(v->valuestring);
	if (cJSON_IsNumber(v) || cJSON_IsBool(v))
		return cJSON_PrintUnformatted(v);
	return NULL;
}

static const char *judge_rubric(pops_buf *out, const char *type, const char *value)
{
	if (!strcmp(type, "model-graded-closedqa"))
		pops_buf_printf(out, "The output meets this criterion: %s", value);
	else if (!strcmp(type, "factuality"))
		pops_buf_printf(out, "The output is factually consistent with this reference: %s",
		                value);
	else
		pops_buf_puts(out, value);
	return out->ptr;
}

/* one promptfoo assertion -> zero or more pops assertions appended to `out` */
static int map_assert(struct pops_import_pf *pf, const cJSON *a, const char *where,
                      cJSON *out)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "type");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(a, "value");
	const cJSON *threshold = cJSON_GetObjectItemCaseSensitive(a, "threshold");
	const cJSON *weight = cJSON_GetObjectItemCaseSensitive(a, "weight");
	const cJSON *k;
	const char *base;
	char *text = NULL;
	cJSON *o = NULL, *v;
	pops_buf rubric = POPS_BUF_INIT;
	int negate, error = POPS_OK, before = cJSON_GetArraySize(out);

	if (!cJSON_IsString(type)) {
		error = NOTE(pf, a, "%s: an assertion without a type is not imported", where);
		goto done;
	}
	negate = pops_starts_with(type->valuestring, "not-");
	base = type->valuestring + (negate ? 4 : 0);
	cJSON_ArrayForEach(k, a)
		if (!in_list(k->string, (const char *const[]){ "type", "value", "threshold",
		                                                "weight", NULL }) &&
		    (error = NOTE(pf, k, "%s: '%s' of a '%s' assertion is not imported", where,
		                  k->string, type->valuestring)) < 0)
			goto done;
	text = value_text(value);

	if (in_list(base, direct_types) && (text || (!strcmp(base, "equals") && value))) {
		o = add_assert(out, type->valuestring);
		if (text)
			cJSON_AddStringToObject(o, "value", text);
		else
			cJSON_AddItemToObject(o, "value", cJSON_Duplicate(value, 1));
	} else if (in_list(base, list_types) && (cJSON_IsArray(value) || text)) {
		o = add_assert(out, type->valuestring);
		cJSON_AddItemToObject(o, "value", cJSON_Duplicate(value, 1));
	} else if (!strcmp(base, "contains-json")) {
		o = add_assert(out, type->valuestring);
		if (cJSON_IsObject(value))
			cJSON_AddItemToObject(o, "value", cJSON_Duplicate(value, 1));
		else if (value && (error = NOTE(pf, value, "%s: the value of '%s' is not imported "
		                                "(pops takes a JSON Schema object)", where,
		                                type->valuestring)) < 0)
			goto done;
	} else if (!strcmp(base, "is-json")) {
		if (cJSON_IsObject(value)) {
			o = add_assert(out, negate ? "not-json-schema" : "json-schema");
			cJSON_AddItemToObject(o, "value", cJSON_Duplicate(value, 1));
		} else {
			add_assert(out, type->valuestring);
		}
	} else if (!strcmp(base, "levenshtein") && !negate && text) {
		o = add_assert(out, "levenshtein");
		cJSON_AddStringToObject(o, "value", text);
		cJSON_AddNumberToObject(o, "threshold",
		                        cJSON_IsNumber(threshold) ? threshold->valuedouble : 5);
		threshold = NULL;
	} else if ((!strcmp(base, "latency") || !strcmp(base, "cost")) && !negate &&
	           cJSON_IsNumber(threshold)) {
		o = add_assert(out, !strcmp(base, "latency") ? "latency-ms" : "cost");
		cJSON_AddNumberToObject(o, "threshold", threshold->valuedouble);
		threshold = NULL;
	} else if (in_list(base, (const char *const[]){ "llm-rubric", "g-eval",
	                                                "model-graded-closedqa", "factuality",
	                                                NULL }) && !negate && text) {
		o = add_assert(out, "judge");
		pf->used_judge = 1;
		cJSON_AddStringToObject(o, "model", pf->judge);
		cJSON_AddStringToObject(o, "rubric", judge_rubric(&rubric, base, text));
		if (threshold && (error = NOTE(pf, threshold, "%s: the score threshold of '%s' is "
		                               "not imported: the judge's verdict decides", where,
		                               type->valuestring)) < 0)
			goto done;
		threshold = NULL;
	} else {
		error = NOTE(pf, a, "%s: assertion type '%s'%s has no pops equivalent", where,
		             type->valuestring, value && !text && !cJSON_IsArray(value) ?
		             " with this value" : "");
		goto done;
	}
	if (threshold && (error = NOTE(pf, threshold, "%s: 'threshold' of '%s' is not imported",
	                               where, type->valuestring)) < 0)
		goto done;
	if (cJSON_IsNumber(weight))
		for (v = cJSON_GetArrayItem(out, before); v; v = v->next)
			cJSON_AddNumberToObject(v, "weight", weight->valuedouble);
done:
	pops_buf_dispose(&rubric);
	free(text);
	return error;
}

static int map_assert_list(struct pops_import_pf *pf, const cJSON *list, const char *prefix,
                           cJSON *out)
{
	const cJSON *a;
	pops_buf where = POPS_BUF_INIT;
	int i = 0, error = POPS_OK;

	if (list && !cJSON_IsArray(list))
		return NOTE(pf, list, "%s.assert: not a list, not imported", prefix);
	cJSON_ArrayForEach(a, list) {
		pops_buf_clear(&where);
		pops_buf_printf(&where, "%s.assert[%d]", prefix, i++);
		if ((error = map_assert(pf, a, where.ptr, out)) < 0)
			break;
	}
	pops_buf_dispose(&where);
	return error;
}

/* "contains: foo", "llm-rubric: ...", "levenshtein(3): x", else equals */
static cJSON *parse_expected(const char *s)
{
	static const char *const known[] = {
		"equals", "contains", "icontains", "starts-with", "regex", "is-json",
		"contains-json", "javascript", "fn", "python", "llm-rubric", "grade",
		"similar", "levenshtein", "factuality", "model-graded-closedqa", NULL
	};
	cJSON *a = cJSON_CreateObject();
	const char *p = s, *colon;
	pops_buf type = POPS_BUF_INIT;
	double threshold = -1;

	if (pops_starts_with(p, "not-"))
		p += 4;
	colon = p + strcspn(p, ":(");
	pops_buf_put(&type, p, (size_t)(colon - p));
	if (!in_list(type.ptr, known) || !(*colon || !strcmp(type.ptr, "is-json"))) {
		cJSON_AddStringToObject(a, "type", "equals");
		cJSON_AddStringToObject(a, "value", s);
		goto done;
	}
	if (*colon == '(') {
		char *end;

		threshold = strtod(colon + 1, &end);
		colon = *end == ')' && end[1] == ':' ? end + 1 : end;
	}
	pops_buf_clear(&type);
	pops_buf_put(&type, s, (size_t)(p - s));     /* "not-" or "" */
	pops_buf_put(&type, p, strcspn(p, ":("));
	if (pops_ends_with(type.ptr, "grade"))
		pops_buf_sets(&type, "llm-rubric");
	else if (pops_ends_with(type.ptr, "fn"))
		pops_buf_sets(&type, "javascript");
	cJSON_AddStringToObject(a, "type", type.ptr);
	if (*colon == ':') {
		colon++;
		while (*colon == ' ')
			colon++;
		cJSON_AddStringToObject(a, "value", colon);
	}
	if (threshold >= 0)
		cJSON_AddNumberToObject(a, "threshold", threshold);
done:
	pops_buf_dispose(&type);
	return a;
}

/* file:// var values become the file's text */
static int resolve_vars(struct pops_import_pf *pf, cJSON *vars, const char *where)
{
	cJSON *v;
	pops_buf data = POPS_BUF_INIT;
	int error = POPS_OK;

	cJSON_ArrayForEach(v, vars) {
		if (!cJSON_IsString(v) || !pops_starts_with(v->valuestring, "file://"))
			continue;
		if (pops_ends_with(v->valuestring, ".js") || pops_ends_with(v->valuestring, ".py") ||
		    pops_import__read_rel(&data, pf, v->valuestring) < 0) {
			error = NOTE(pf, NULL, "%s: var '%s' = '%s' is kept as text: %s", where,
			             v->string, v->valuestring,
			             pops_ends_with(v->valuestring, ".js") ||
			             pops_ends_with(v->valuestring, ".py") ?
			             "code-generated vars are not imported" : pops_error_last());
			if (error < 0)
				break;
			continue;
		}
		cJSON_SetValuestring(v, data.ptr);
	}
	pops_buf_dispose(&data);
	return error;
}

/* append one row per combination of array-valued vars */
static int add_rows(struct pops_import_pf *pf, const cJSON *base_row, const cJSON *vars,
                    const cJSON *node, const char *where)
{
	cJSON *combos = cJSON_CreateArray(), *next, *c, *row;
	const cJSON *v, *e;
	int error = POPS_OK;

	cJSON_AddItemToArray(combos, cJSON_CreateObject());
	cJSON_ArrayForEach(v, vars) {
		next = cJSON_CreateArray();
		cJSON_ArrayForEach(c, combos) {
			if (!cJSON_IsArray(v)) {
				cJSON *one = cJSON_Duplicate(c, 1);

				cJSON_AddItemToObject(one, v->string, cJSON_Duplicate(v, 1));
				cJSON_AddItemToArray(next, one);
				continue;
			}
			cJSON_ArrayForEach(e, v) {
				cJSON *one = cJSON_Duplicate(c, 1);

				cJSON_AddItemToObject(one, v->string, cJSON_Duplicate(e, 1));
				cJSON_AddItemToArray(next, one);
			}
		}
		cJSON_Delete(combos);
		combos = next;
		if (cJSON_GetArraySize(combos) > MAX_EXPANSION) {
			error = NOTE(pf, node, "%s: array vars expand to more than %d cases; "
			             "not imported", where, MAX_EXPANSION);
			goto done;
		}
	}
	cJSON_ArrayForEach(c, combos) {
		pops_buf id = POPS_BUF_INIT;

		row = cJSON_Duplicate(base_row, 1);
		pops_buf_printf(&id, "case-%03d", cJSON_GetArraySize(pf->rows) + 1);
		cJSON_AddItemToObjectCS(row, "id", cJSON_CreateString(id.ptr));
		cJSON_AddItemToObject(row, "vars", cJSON_Duplicate(c, 1));
		cJSON_AddItemToArray(pf->rows, row);
		pops_buf_dispose(&id);
		pf->imp->ncases++;
	}
done:
	cJSON_Delete(combos);
	return error;
}

static int test_object(struct pops_import_pf *pf, const cJSON *t, const char *where)
{
	static const char *const handled[] = { "description", "vars", "assert", "metadata", NULL };
	cJSON *row = cJSON_CreateObject(), *asserts = cJSON_CreateArray(), *vars = NULL;
	const cJSON *k, *d = cJSON_GetObjectItemCaseSensitive(t, "description");
	int error = POPS_OK;

	if (!cJSON_IsObject(t)) {
		error = NOTE(pf, t, "%s: not a test object, not imported", where);
		goto done;
	}
	cJSON_ArrayForEach(k, t)
		if (!in_list(k->string, handled) &&
		    (error = NOTE(pf, k, "%s: '%s' is not imported", where, k->string)) < 0)
			goto done;
	if (cJSON_IsString(d))
		cJSON_AddStringToObject(row, "description", d->valuestring);
	if ((error = map_assert_list(pf, cJSON_GetObjectItemCaseSensitive(t, "assert"), where,
	                             asserts)) < 0)
		goto done;
	if (cJSON_GetArraySize(asserts)) {
		cJSON_AddItemToObject(row, "assert", asserts);
		asserts = NULL;
	}
	if ((k = cJSON_GetObjectItemCaseSensitive(t, "metadata")) && cJSON_IsObject(k))
		cJSON_AddItemToObject(row, "metadata", cJSON_Duplicate(k, 1));
	vars = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(t, "vars"), 1);
	if (!cJSON_IsObject(vars)) {
		cJSON_Delete(vars);
		vars = cJSON_CreateObject();
	}
	if ((error = resolve_vars(pf, vars, where)) < 0)
		goto done;
	error = add_rows(pf, row, vars, t, where);
done:
	cJSON_Delete(vars);
	cJSON_Delete(asserts);
	cJSON_Delete(row);
	return error;
}

/* a CSV file of tests: columns are vars; __expected*, __description */
static int tests_from_csv(struct pops_import_pf *pf, const cJSON *node, const char *name)
{
	pops_dataset *ds = NULL;
	pops_case c = POPS_CASE_INIT;
	pops_buf path = POPS_BUF_INIT, where = POPS_BUF_INIT;
	int r, error = POPS_OK, n = 0;

	name = pops_import__strip_file(name);
	if (name[0] == '/')
		pops_buf_sets(&path, name);
	else
		pops_path_join(&path, pf->dir.ptr, name);
	if ((error = pops_dataset_open(&ds, path.ptr, name)) < 0)
		return NOTE(pf, node, "tests '%s' not imported: %s", name, pops_error_last());
	while ((r = pops_dataset_next(ds, &c)) == 1) {
		cJSON *test = cJSON_CreateObject(), *vars = cJSON_CreateObject();
		cJSON *asserts = cJSON_CreateArray(), *v;

		pops_buf_clear(&where);
		pops_buf_printf(&where, "%s line %u", name, c.line);
		cJSON_ArrayForEach(v, c.vars) {
			if (pops_starts_with(v->string, "__expected") && cJSON_IsString(v)) {
				if (*v->valuestring)
					cJSON_AddItemToArray(asserts, parse_expected(v->valuestring));
			} else if (!strcmp(v->string, "__description") && cJSON_IsString(v)) {
				if (*v->valuestring)
					cJSON_AddStringToObject(test, "description", v->valuestring);
			} else if (pops_starts_with(v->string, "__")) {
				error = NOTE(pf, NULL, "%s: column '%s' is not imported", where.ptr,
				             v->string);
			} else {
				cJSON_AddItemToObject(vars, v->string, cJSON_Duplicate(v, 1));
			}
		}
		cJSON_AddItemToObject(test, "vars", vars);
		cJSON_AddItemToObject(test, "assert", asserts);
		if (error >= 0)
			error = test_object(pf, test, where.ptr);
		cJSON_Delete(test);
		n++;
		if (error < 0)
			break;
	}
	if (r < 0 && error >= 0)
		error = NOTE(pf, node, "tests '%s': stopped after %d rows: %s", name, n,
		             pops_error_last());
	pops_case_dispose(&c);
	pops_dataset_free(ds);
	pops_buf_dispose(&where);
	pops_buf_dispose(&path);
	return error;
}

/*
 * A file of test objects, as promptfoo reads them: tests.json or
 * tests.yaml (a list), tests.jsonl (one per line). Each is an inline
 * test; notes name the file and index, as its lines are not pf->doc's.
 */
static int tests_from_list_file(struct pops_import_pf *pf, const cJSON *node, const char *name)
{
	pops_buf data = POPS_BUF_INIT, where = POPS_BUF_INIT;
	pops_yaml_doc *doc = NULL;
	cJSON *lines = NULL;
	const cJSON *list, *t;
	int error, i = 0;

	name = pops_import__strip_file(name);
	if ((error = pops_import__read_rel(&data, pf, name)) < 0)
		return NOTE(pf, node, "tests '%s' not imported: %s", name, pops_error_last());
	if (pops_ends_with(name, ".jsonl")) {
		const char *p = data.ptr, *nl;

		if (!(lines = cJSON_CreateArray()))
			goto oom;
		for (; *p; p = nl ? nl + 1 : p + strlen(p)) {
			cJSON *o;
			size_t n;

			nl = strchr(p, '\n');
			n = nl ? (size_t)(nl - p) : strlen(p);
			if (strspn(p, " \t\r") >= n)
				continue;   /* blank lines, as in datasets */
			if (!(o = cJSON_ParseWithLength(p, n))) {
				error = NOTE(pf, node, "tests '%s': line %d is not JSON; not imported",
				             name, i + 1);
				goto done;
			}
			cJSON_AddItemToArray(lines, o);
			i++;
		}
		list = lines;
	} else {
		if ((error = pops_yaml_parse_file(&doc, data.ptr, data.size, name, NULL)) < 0) {
			error = NOTE(pf, node, "tests '%s' not imported: %s", name, pops_error_last());
			goto done;
		}
		list = pops_yaml_root(doc);
		if (cJSON_IsObject(list) && cJSON_GetObjectItemCaseSensitive(list, "tests"))
			list = cJSON_GetObjectItemCaseSensitive(list, "tests");
		if (!cJSON_IsArray(list)) {
			error = NOTE(pf, node, "tests '%s' not imported: not a list of tests", name);
			goto done;
		}
	}
	i = 0;
	cJSON_ArrayForEach(t, list) {
		pops_buf_clear(&where);
		pops_buf_printf(&where, "%s[%d]", name, i++);
		if ((error = test_object(pf, t, where.ptr)) < 0)
			break;
	}
	goto done;
oom:
	error = pops_error_oom();
done:
	cJSON_Delete(lines);
	pops_yaml_free(doc);
	pops_buf_dispose(&where);
	pops_buf_dispose(&data);
	return error;
}

static int tests_from_source(struct pops_import_pf *pf, const cJSON *node, const char *src)
{
	if (strpbrk(src, "*?["))
		return NOTE(pf, node, "tests '%s' not imported: globs are not imported; name "
		            "each file", pops_import__strip_file(src));
	if (pops_ends_with(src, ".csv"))
		return tests_from_csv(pf, node, src);
	if (pops_ends_with(src, ".json") || pops_ends_with(src, ".jsonl") ||
	    pops_ends_with(src, ".yaml") || pops_ends_with(src, ".yml"))
		return tests_from_list_file(pf, node, src);
	return NOTE(pf, node, "tests '%s' not imported: pops imports inline tests and "
	            "CSV, JSON, JSONL and YAML files", src);
}

int pops_import__pf_tests(struct pops_import_pf *pf, const cJSON *root)
{
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(root, "defaultTest");
	const cJSON *tests = cJSON_GetObjectItemCaseSensitive(root, "tests"), *t, *k;
	pops_buf where = POPS_BUF_INIT;
	int error = POPS_OK, i = 0;

	if (cJSON_IsObject(dt)) {
		cJSON_ArrayForEach(k, dt) {
			if (!strcmp(k->string, "assert")) {
				error = map_assert_list(pf, k, "defaultTest", pf->suite_asserts);
			} else if (!strcmp(k->string, "vars") && cJSON_IsObject(k)) {
				pf->suite_vars = cJSON_Duplicate(k, 1);
				error = resolve_vars(pf, pf->suite_vars, "defaultTest");
			} else if (!strcmp(k->string, "options") && cJSON_IsObject(k)) {
				/* options.provider is the grader (import_promptfoo.c) */
				const cJSON *o;

				cJSON_ArrayForEach(o, k)
					if (strcmp(o->string, "provider") &&
					    (error = NOTE(pf, o, "defaultTest.options.%s is not imported",
					                  o->string)) < 0)
						goto done;
			} else {
				error = NOTE(pf, k, "defaultTest.%s is not imported", k->string);
			}
			if (error < 0)
				goto done;
		}
	}
	if (cJSON_IsString(tests)) {
		error = tests_from_source(pf, tests, tests->valuestring);
		goto done;
	}
	cJSON_ArrayForEach(t, tests) {
		pops_buf_clear(&where);
		pops_buf_printf(&where, "tests[%d]", i++);
		if (cJSON_IsString(t))
			error = tests_from_source(pf, t, t->valuestring);
		else
			error = test_object(pf, t, where.ptr);
		if (error < 0)
			break;
	}
done:
	pops_buf_dispose(&where);
	return error;
}

/* "# " lines for a suite header, newlines flattened */
static void put_comment(pops_buf *out, const char *prefix, const char *text)
{
	pops_buf_puts(out, prefix);
	for (; *text; text++)
		pops_buf_putc(out, *text == '\n' || *text == '\r' ? ' ' : *text);
	pops_buf_putc(out, '\n');
}

int pops_import__pf_write_suites(struct pops_import_pf *pf)
{
	pops_buf dataset = POPS_BUF_INIT, path = POPS_BUF_INIT;
	const cJSON *p, *row, *a, *first = cJSON_GetArrayItem(pf->aliases, 0);
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(pops_yaml_root(pf->doc), "description");
	pops_buf *f;
	size_t i;
	int error = POPS_OK;

	if (cJSON_GetArraySize(pf->rows)) {
		pops_buf_printf(&dataset, "%s/%s.jsonl", pf->opts->datasets_dir, pf->stem.ptr);
		if (!(f = pops_import__add_file(pf->imp, dataset.ptr)))
			goto oom;
		cJSON_ArrayForEach(row, pf->rows) {
			pops_import__json(f, row);
			pops_buf_putc(f, '\n');
		}
	}
	cJSON_ArrayForEach(p, pf->prompts) {
		const char *name = cJSON_GetObjectItem(p, "name")->valuestring;

		pops_buf_clear(&path);
		pops_buf_printf(&path, "%s/%s.yaml", pf->opts->evals_dir, name);
		if (!(f = pops_import__add_file(pf->imp, path.ptr)))
			goto oom;
		put_comment(f, "# Imported from ", pf->cfg);
		pops_buf_puts(f, "# by 'pops import promptfoo'; promptfoo passes a test when all its\n"
		                 "# assertions pass, hence threshold 1.\n");
		if (pf->imp->nunmapped)
			pops_buf_puts(f, "# Not imported (also listed by the import):\n");
		for (i = 0; i < pf->imp->nunmapped; i++)
			put_comment(f, "#   ", pf->imp->unmapped[i]);
		pops_buf_puts(f, "description: ");
		pops_import__json_str(f, cJSON_IsString(desc) ? desc->valuestring : name);
		pops_buf_puts(f, "\nprompt: ");
		pops_import__json_str(f, name);
		pops_buf_putc(f, '\n');
		if (first) {
			pops_buf_printf(f, "model: %s\n", cJSON_GetObjectItem(first, "alias")->valuestring);
			if (cJSON_GetArraySize(pf->aliases) > 1) {
				pops_buf_puts(f, "# the config compared models: pops eval run --model ");
				cJSON_ArrayForEach(a, pf->aliases)
					pops_buf_printf(f, "%s%s", a == first ? "" : ",",
					                cJSON_GetObjectItem(a, "alias")->valuestring);
				pops_buf_putc(f, '\n');
			}
		}
		if (dataset.size)
			pops_buf_printf(f, "dataset: %s\n", dataset.ptr);
		else
			pops_buf_puts(f, "tests: [{vars: {}}]   # the config had no tests\n");
		pops_buf_puts(f, "threshold: 1\n");
		if (pf->suite_vars) {
			pops_buf_puts(f, "vars: ");
			pops_import__json(f, pf->suite_vars);
			pops_buf_putc(f, '\n');
		}
		if (cJSON_GetArraySize(pf->suite_asserts)) {
			pops_buf_puts(f, "assert:\n");
			cJSON_ArrayForEach(a, pf->suite_asserts) {
				pops_buf_puts(f, "  - ");
				pops_import__json(f, a);
				pops_buf_putc(f, '\n');
			}
		}
		if (pops_buf_oom(f))
			goto oom;
	}
	goto done;
oom:
	error = pops_error_oom();
done:
	pops_buf_dispose(&path);
	pops_buf_dispose(&dataset);
	return error;
}
