#include "common.h"
#include "shape.h"
#include "strutil.h"

#include <math.h>

int pops_shape_error(const pops_yaml_doc *doc, const cJSON *node,
                     const char *fmt, ...)
{
	pops_buf msg = POPS_BUF_INIT;
	unsigned line = pops_yaml_line(doc, node);
	va_list ap;

	if (line)
		pops_buf_printf(&msg, "%s:%u: ", pops_yaml_filename(doc), line);
	else
		pops_buf_printf(&msg, "%s: ", pops_yaml_filename(doc));
	va_start(ap, fmt);
	pops_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	pops_error_set(POPS_EINVALID, "%s", msg.ptr);
	pops_buf_dispose(&msg);
	return POPS_EINVALID;
}

static const char *type_name(pops_shape_type t)
{
	switch (t) {
	case POPS_SHAPE_STRING: return "a string";
	case POPS_SHAPE_INT: return "an integer";
	case POPS_SHAPE_NUMBER: return "a number";
	case POPS_SHAPE_BOOL: return "true or false";
	case POPS_SHAPE_OBJECT:
	case POPS_SHAPE_MAP: return "a mapping";
	case POPS_SHAPE_LIST: return "a list";
	case POPS_SHAPE_STRING_OR_LIST: return "a string or a list of strings";
	default: return "a value";
	}
}

static const pops_shape *find_field(const pops_shape *fields, const char *key)
{
	const pops_shape *f;

	for (f = fields; f->key; f++) {
		if (f->flags & POPS_SHAPE_PREFIX) {
			if (pops_starts_with(key, f->key))
				return f;
		} else if (!strcmp(f->key, key)) {
			return f;
		}
	}
	return NULL;
}

static int check_object(const pops_yaml_doc *doc, const cJSON *node,
                        const pops_shape *shape, pops_buf *path);

static int check(const pops_yaml_doc *doc, const cJSON *node,
                 const pops_shape *shape, pops_buf *path)
{
	const char *what = path->size ? path->ptr : "document";
	size_t mark = path->size;
	int error = POPS_OK;

	switch (shape->type) {
	case POPS_SHAPE_ANY:
		return POPS_OK;
	case POPS_SHAPE_STRING:
		if (!cJSON_IsString(node))
			goto wrong_type;
		if ((shape->flags & POPS_SHAPE_NOT_EMPTY) && !*node->valuestring)
			return pops_shape_error(doc, node, "'%s' must not be empty", what);
		if (shape->choices) {
			const char *const *c;
			pops_buf list = POPS_BUF_INIT;

			for (c = shape->choices; *c; c++)
				if (!strcmp(*c, node->valuestring))
					return POPS_OK;
			for (c = shape->choices; *c; c++)
				pops_buf_printf(&list, "%s%s", c == shape->choices ? "" : ", ", *c);
			error = pops_shape_error(doc, node, "'%s' is '%s'; expected one of: %s",
			                         what, node->valuestring, list.ptr);
			pops_buf_dispose(&list);
			return error;
		}
		return POPS_OK;
	case POPS_SHAPE_INT:
		if (!cJSON_IsNumber(node) || node->valuedouble != floor(node->valuedouble))
			goto wrong_type;
		goto range;
	case POPS_SHAPE_NUMBER:
		if (!cJSON_IsNumber(node))
			goto wrong_type;
	range:
		if ((shape->flags & POPS_SHAPE_RANGE) &&
		    (node->valuedouble < shape->min || node->valuedouble > shape->max))
			return pops_shape_error(doc, node, "'%s' must be between %g and %g",
			                        what, shape->min, shape->max);
		return POPS_OK;
	case POPS_SHAPE_BOOL:
		if (!cJSON_IsBool(node))
			goto wrong_type;
		return POPS_OK;
	case POPS_SHAPE_OBJECT:
		if (!cJSON_IsObject(node))
			goto wrong_type;
		return check_object(doc, node, shape, path);
	case POPS_SHAPE_MAP: {
		const cJSON *it;

		if (!cJSON_IsObject(node))
			goto wrong_type;
		cJSON_ArrayForEach(it, node) {
			pops_buf_truncate(path, mark);
			pops_buf_printf(path, "%s%s", mark ? "." : "", it->string);
			if ((error = check(doc, it, shape->fields, path)) < 0)
				break;
		}
		pops_buf_truncate(path, mark);
		return error;
	}
	case POPS_SHAPE_LIST: {
		const cJSON *it;
		int i = 0;

		if (!cJSON_IsArray(node))
			goto wrong_type;
		if ((shape->flags & POPS_SHAPE_NOT_EMPTY) && !node->child)
			return pops_shape_error(doc, node, "'%s' must not be empty", what);
		cJSON_ArrayForEach(it, node) {
			pops_buf_truncate(path, mark);
			pops_buf_printf(path, "[%d]", i++);
			if ((error = check(doc, it, shape->fields, path)) < 0)
				break;
		}
		pops_buf_truncate(path, mark);
		return error;
	}
	case POPS_SHAPE_STRING_OR_LIST: {
		const cJSON *it;

		if (cJSON_IsString(node))
			return POPS_OK;
		if (!cJSON_IsArray(node))
			goto wrong_type;
		cJSON_ArrayForEach(it, node)
			if (!cJSON_IsString(it))
				return pops_shape_error(doc, it, "'%s' must hold only strings",
				                        what);
		return POPS_OK;
	}
	}
	return POPS_OK;

wrong_type:
	return pops_shape_error(doc, node, "'%s' must be %s", what,
	                        type_name(shape->type));
}

static int check_object(const pops_yaml_doc *doc, const cJSON *node,
                        const pops_shape *shape, pops_buf *path)
{
	const pops_shape *fields = shape->fields, *f;
	size_t mark = path->size;
	const cJSON *it;
	int error = POPS_OK;

	cJSON_ArrayForEach(it, node) {
		f = fields ? find_field(fields, it->string) : NULL;
		if (!f) {
			const char *names[64];
			const char *guess;
			size_t n = 0;

			if (shape->flags & POPS_SHAPE_OPEN)
				continue;
			for (f = fields; f && f->key && n + 1 < POPS_ARRAY_SIZE(names); f++)
				if (!(f->flags & POPS_SHAPE_PREFIX))
					names[n++] = f->key;
			names[n] = NULL;
			guess = pops_suggest(it->string, names, POPS_SUGGEST_MAX_DISTANCE);
			if (guess)
				return pops_shape_error(doc, it,
				                        "unknown key '%s%s%s' (did you mean '%s'?)",
				                        path->ptr, mark ? "." : "", it->string, guess);
			return pops_shape_error(doc, it, "unknown key '%s%s%s'", path->ptr,
			                        mark ? "." : "", it->string);
		}
		pops_buf_truncate(path, mark);
		pops_buf_printf(path, "%s%s", mark ? "." : "", it->string);
		error = check(doc, it, f, path);
		pops_buf_truncate(path, mark);
		if (error < 0)
			return error;
	}
	for (f = fields; f && f->key; f++) {
		if (!(f->flags & POPS_SHAPE_REQUIRED) ||
		    cJSON_GetObjectItemCaseSensitive(node, f->key))
			continue;
		if (mark)
			return pops_shape_error(doc, node, "'%s' needs '%s'", path->ptr, f->key);
		return pops_shape_error(doc, node, "missing required key '%s'", f->key);
	}
	return POPS_OK;
}

int pops_shape_check(const pops_yaml_doc *doc, const cJSON *node,
                     const pops_shape *shape, const char *what)
{
	pops_buf path = POPS_BUF_INIT;
	int error;

	if (what)
		pops_buf_puts(&path, what);
	error = check(doc, node, shape, &path);
	pops_buf_dispose(&path);
	return error;
}
