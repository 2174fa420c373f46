#include "common.h"
#include "picoschema.h"
#include "strutil.h"

#include <math.h>

static const char *const scalar_types[] = {
	"any", "boolean", "integer", "null", "number", "string", NULL
};

static int is_scalar(const char *t)
{
	for (int i = 0; scalar_types[i]; i++)
		if (!strcmp(t, scalar_types[i]))
			return 1;
	return 0;
}

/* "type, description" -> type (trimmed) and description (or NULL) */
static int split_desc(const char *s, char **type, char **desc)
{
	const char *c = strchr(s, ',');

	*desc = NULL;
	if (!c) {
		*type = pops_strdup(s);
		return *type ? POPS_OK : pops_error_oom();
	}
	*type = pops_strndup(s, (size_t)(c - s));
	for (c++; *c == ' '; c++)
		;
	*desc = pops_strdup(c);
	if (!*type || !*desc)
		return pops_error_oom();
	return POPS_OK;
}

static int parse(cJSON **out, const cJSON *v, pops_schema_resolver r, void *pl, cJSON *unres, int depth);

static int named(cJSON **out, const char *type, const char *desc, pops_schema_resolver r,
                 void *pl, cJSON *unres)
{
	cJSON *s = NULL;
	int error = POPS_ENOTFOUND;

	if (is_scalar(type)) {
		s = cJSON_CreateObject();
		if (s && strcmp(type, "any"))
			cJSON_AddStringToObject(s, "type", type);
	} else {
		if (r)
			error = r(pl, type, &s);
		if (error == POPS_ENOTFOUND) {
			if (unres)
				cJSON_AddItemToArray(unres, cJSON_CreateString(type));
			s = cJSON_CreateObject();
		} else if (error < 0) {
			return error;
		}
	}
	POPS_CHECK_ALLOC(s);
	if (desc) {
		cJSON_DeleteItemFromObjectCaseSensitive(s, "description");
		cJSON_AddStringToObject(s, "description", desc);
	}
	*out = s;
	return POPS_OK;
}

static void make_nullable(cJSON *prop)
{
	cJSON *t = cJSON_GetObjectItemCaseSensitive(prop, "type");

	if (cJSON_IsString(t)) {
		cJSON *arr = cJSON_CreateArray();

		cJSON_AddItemToArray(arr, cJSON_CreateString(t->valuestring));
		cJSON_AddItemToArray(arr, cJSON_CreateString("null"));
		cJSON_ReplaceItemInObjectCaseSensitive(prop, "type", arr);
	}
}

static int object(cJSON **out, const cJSON *obj, pops_schema_resolver r, void *pl, cJSON *unres,
                  int depth)
{
	cJSON *s = cJSON_CreateObject(), *props = cJSON_CreateObject(), *req = cJSON_CreateArray();
	const cJSON *f;
	int error = POPS_OK, addl_set = 0;

	if (!s || !props || !req) {
		error = pops_error_oom();
		goto done;
	}
	cJSON_ArrayForEach(f, obj) {
		const char *key = f->string, *paren = strchr(key, '(');
		char *name = NULL, *type = NULL, *desc = NULL;
		cJSON *prop = NULL;
		size_t nlen = paren ? (size_t)(paren - key) : strlen(key);
		int optional;

		if (!strcmp(key, "(*)")) {
			if ((error = parse(&prop, f, r, pl, unres, depth + 1)) < 0)
				goto done;
			cJSON_AddItemToObject(s, "additionalProperties", prop);
			addl_set = 1;
			continue;
		}
		optional = nlen && key[nlen - 1] == '?';
		name = pops_strndup(key, optional ? nlen - 1 : nlen);
		if (!name) {
			error = pops_error_oom();
			goto done;
		}
		if (!optional)
			cJSON_AddItemToArray(req, cJSON_CreateString(name));
		if (!paren) {
			error = parse(&prop, f, r, pl, unres, depth + 1);
			if (!error && optional)
				make_nullable(prop);
		} else {
			size_t tl = strlen(paren + 1);
			char *inner = pops_strndup(paren + 1, tl && paren[tl] == ')' ? tl - 1 : tl);

			error = inner ? split_desc(inner, &type, &desc) : pops_error_oom();
			free(inner);
			if (!error && !strcmp(type, "array")) {
				cJSON *items = NULL;

				prop = cJSON_CreateObject();
				if (optional) {
					cJSON *ta = cJSON_CreateArray();

					cJSON_AddItemToArray(ta, cJSON_CreateString("array"));
					cJSON_AddItemToArray(ta, cJSON_CreateString("null"));
					cJSON_AddItemToObject(prop, "type", ta);
				} else {
					cJSON_AddStringToObject(prop, "type", "array");
				}
				error = parse(&items, f, r, pl, unres, depth + 1);
				if (!error)
					cJSON_AddItemToObject(prop, "items", items);
			} else if (!error && !strcmp(type, "object")) {
				error = parse(&prop, f, r, pl, unres, depth + 1);
				if (!error && optional)
					make_nullable(prop);
			} else if (!error && !strcmp(type, "enum")) {
				cJSON *en = cJSON_Duplicate(f, 1), *c;
				int has_null = 0;

				if (!cJSON_IsArray(en)) {
					cJSON_Delete(en);
					error = pops_error_set(POPS_EINVALID, "picoschema: '%s(enum)' needs a list of values", name);
				} else {
					cJSON_ArrayForEach(c, en)
						has_null |= cJSON_IsNull(c);
					if (optional && !has_null)
						cJSON_AddItemToArray(en, cJSON_CreateNull());
					prop = cJSON_CreateObject();
					cJSON_AddItemToObject(prop, "enum", en);
				}
			} else if (!error) {
				error = pops_error_set(POPS_EINVALID, "picoschema: parenthetical types must be "
				                       "'object', 'array' or 'enum', not '%s' in '%s'", type, key);
			}
			if (!error && desc)
				cJSON_AddStringToObject(prop, "description", desc);
		}
		if (prop) {
			if (!error)
				cJSON_AddItemToObject(props, name, prop);
			else
				cJSON_Delete(prop);
		}
		free(name);
		free(type);
		free(desc);
		if (error)
			goto done;
	}
	cJSON_AddStringToObject(s, "type", "object");
	cJSON_AddItemToObject(s, "properties", props);
	props = NULL;
	if (cJSON_GetArraySize(req)) {
		cJSON_AddItemToObject(s, "required", req);
		req = NULL;
	}
	if (!addl_set)
		cJSON_AddFalseToObject(s, "additionalProperties");
	else   /* keep dotprompt's key order: additionalProperties last */
		cJSON_AddItemToObject(s, "additionalProperties",
		                      cJSON_DetachItemFromObjectCaseSensitive(s, "additionalProperties"));
	*out = s;
	s = NULL;
done:
	cJSON_Delete(req);
	cJSON_Delete(props);
	cJSON_Delete(s);
	return error;
}

static int parse(cJSON **out, const cJSON *v, pops_schema_resolver r, void *pl, cJSON *unres, int depth)
{
	char *type = NULL, *desc = NULL;
	int error;

	*out = NULL;
	if (depth > 64)
		return pops_error_set(POPS_EINVALID, "picoschema: nested too deeply");
	if (cJSON_IsString(v)) {
		if ((error = split_desc(v->valuestring, &type, &desc)) == 0)
			error = named(out, type, desc, r, pl, unres);
		free(type);
		free(desc);
		return error;
	}
	if (cJSON_IsObject(v))
		return object(out, v, r, pl, unres, depth);
	return pops_error_set(POPS_EINVALID, "picoschema: expected a type name or a mapping%s%s",
	                      v && v->string ? " for " : "", v && v->string ? v->string : "");
}

static int looks_like_json_schema(const cJSON *s)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "type");

	if (cJSON_IsString(t) && (is_scalar(t->valuestring) || !strcmp(t->valuestring, "object") ||
	                          !strcmp(t->valuestring, "array")))
		return 1;
	return 0;
}

int pops_picoschema(cJSON **out, const cJSON *schema, pops_schema_resolver resolve,
                    void *payload, cJSON *unresolved)
{
	*out = NULL;
	if (!schema || cJSON_IsNull(schema) || (cJSON_IsString(schema) && !*schema->valuestring))
		return POPS_OK;
	if (cJSON_IsString(schema)) {
		char *type = NULL, *desc = NULL;
		int error = split_desc(schema->valuestring, &type, &desc), n = unresolved ? cJSON_GetArraySize(unresolved) : 0;

		if (!error)
			error = named(out, type, desc, resolve, payload, unresolved);
		free(type);
		free(desc);
		if (!error && unresolved && cJSON_GetArraySize(unresolved) > n) {
			cJSON_Delete(*out);   /* an unknown top-level name: no schema */
			*out = NULL;
		}
		return error;
	}
	if (looks_like_json_schema(schema)) {
		*out = cJSON_Duplicate(schema, 1);
		return *out ? POPS_OK : pops_error_oom();
	}
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(schema, "properties"))) {
		*out = cJSON_Duplicate(schema, 1);
		POPS_CHECK_ALLOC(*out);
		cJSON_DeleteItemFromObjectCaseSensitive(*out, "type");
		cJSON_AddStringToObject(*out, "type", "object");
		return POPS_OK;
	}
	return parse(out, schema, resolve, payload, unresolved, 0);
}

/* ---- validation ---- */

static const char *type_of(const cJSON *v)
{
	if (cJSON_IsNull(v)) return "null";
	if (cJSON_IsBool(v)) return "boolean";
	if (cJSON_IsNumber(v)) return "number";
	if (cJSON_IsString(v)) return "string";
	if (cJSON_IsArray(v)) return "array";
	if (cJSON_IsObject(v)) return "object";
	return "undefined";
}

static int has_type(const cJSON *v, const char *t)
{
	if (!strcmp(t, "integer"))
		return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && isfinite(v->valuedouble);
	return !strcmp(type_of(v), t);
}

static int fail(const pops_buf *path, const char *fmt, ...) POPS_PRINTF(2, 3);
static int fail(const pops_buf *path, const char *fmt, ...)
{
	pops_buf m = POPS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pops_buf_vprintf(&m, fmt, ap);
	va_end(ap);
	pops_error_set(POPS_EINVALID, "%s: %s", path->ptr, m.ptr);
	pops_buf_dispose(&m);
	return POPS_EINVALID;
}

static int validate(const cJSON *s, const cJSON *v, pops_buf *path, int depth)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "type"), *e, *c;
	size_t at = path->size;
	int error = POPS_OK;

	if (!cJSON_IsObject(s) || depth > 64)
		return POPS_OK;
	if (cJSON_IsString(t) && !has_type(v, t->valuestring))
		return fail(path, "expected %s %s, got %s", strchr("aeiou", t->valuestring[0]) ? "an" : "a",
		            t->valuestring, type_of(v));
	if (cJSON_IsArray(t)) {
		int ok = 0;

		cJSON_ArrayForEach(e, t)
			ok |= cJSON_IsString(e) && has_type(v, e->valuestring);
		if (!ok) {
			pops_buf list = POPS_BUF_INIT;

			cJSON_ArrayForEach(e, t)
				if (cJSON_IsString(e))
					pops_buf_printf(&list, "%s%s", list.size ? " or " : "", e->valuestring);
			error = fail(path, "expected %s, got %s", list.ptr, type_of(v));
			pops_buf_dispose(&list);
			return error;
		}
	}
	if (cJSON_IsArray(e = cJSON_GetObjectItemCaseSensitive(s, "enum"))) {
		int ok = 0;

		cJSON_ArrayForEach(c, e)
			ok |= cJSON_Compare(c, v, 1);
		if (!ok) {
			char *allowed = cJSON_PrintUnformatted(e);

			error = fail(path, "must be one of %s", allowed ? allowed : "the enum values");
			free(allowed);
			return error;
		}
	}
	if ((e = cJSON_GetObjectItemCaseSensitive(s, "anyOf")) && cJSON_IsArray(e)) {
		int ok = 0;

		cJSON_ArrayForEach(c, e)
			if (!ok && validate(c, v, path, depth + 1) == 0)
				ok = 1;
		pops_buf_truncate(path, at);
		if (!ok)
			return fail(path, "matches none of the 'anyOf' schemas");
		pops_error_clear();
	}
	if (cJSON_IsObject(v)) {
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties");
		const cJSON *addl = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");

		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s, "required"))
			if (cJSON_IsString(c) && !cJSON_GetObjectItemCaseSensitive(v, c->valuestring))
				return fail(path, "'%s' is required but missing", c->valuestring);
		cJSON_ArrayForEach(c, v) {
			const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, c->string);

			pops_buf_printf(path, ".%s", c->string);
			if (ps)
				error = validate(ps, c, path, depth + 1);
			else if (cJSON_IsFalse(addl)) {
				pops_buf_truncate(path, at);
				return fail(path, "unknown field '%s' (the schema allows no other fields)", c->string);
			} else if (cJSON_IsObject(addl))
				error = validate(addl, c, path, depth + 1);
			if (error)
				return error;
			pops_buf_truncate(path, at);
		}
	}
	if (cJSON_IsArray(v) && (e = cJSON_GetObjectItemCaseSensitive(s, "items")) && cJSON_IsObject(e)) {
		int i = 0;

		cJSON_ArrayForEach(c, v) {
			pops_buf_printf(path, "[%d]", i++);
			if ((error = validate(e, c, path, depth + 1)) < 0)
				return error;
			pops_buf_truncate(path, at);
		}
	}
	return POPS_OK;
}

int pops_schema_validate(const cJSON *schema, const cJSON *value, const char *what)
{
	pops_buf path = POPS_BUF_INIT;
	int error;

	pops_buf_puts(&path, what ? what : "value");
	error = validate(schema, value, &path, 0);
	pops_buf_dispose(&path);
	return error;
}
