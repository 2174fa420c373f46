/*
 * Tool definitions: pops.yaml `tools:` or tools/NAME.json, checked once
 * and normalised to {"name","description"?,"parameters"}.
 */
#include "common.h"
#include "tools.h"
#include "confine.h"
#include "fileio.h"
#include "jsonschema.h"
#include "strutil.h"
#include "yamldoc.h"

int pops_tools_name_ok(const char *name)
{
	size_t n = 0;

	if (!name)
		return 0;
	for (; name[n]; n++)
		if (!((name[n] >= 'a' && name[n] <= 'z') || (name[n] >= 'A' && name[n] <= 'Z') ||
		      (name[n] >= '0' && name[n] <= '9') || name[n] == '_' || name[n] == '-'))
			return 0;
	return n >= 1 && n <= 64;
}

const cJSON *pops_tools_find(const cJSON *defs, const char *name)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, defs) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(d, "name");

		if (cJSON_IsString(n) && name && !strcmp(n->valuestring, name))
			return d;
	}
	return NULL;
}

/*
 * A definition object `def` of tool `name` into a normalised new object
 * in *out; `where` names it in messages ("pops.yaml:12" or
 * "tools/x.json").
 */
static int normalise(cJSON **out, const char *name, const cJSON *def, const char *where)
{
	const cJSON *it, *desc, *params;
	pops_buf why = POPS_BUF_INIT;
	cJSON *o = NULL, *empty = NULL;
	int r = 0, error = 0;

	*out = NULL;
	if (!cJSON_IsObject(def))
		return pops_error_set(POPS_EINVALID, "%s: tool '%s' must be a mapping with "
		                      "'description' and 'parameters' (a JSON Schema)", where, name);
	cJSON_ArrayForEach(it, def)
		if (strcmp(it->string, "description") && strcmp(it->string, "parameters") &&
		    strcmp(it->string, "name"))
			return pops_error_set(POPS_EINVALID, "%s: tool '%s' has an unknown key '%s' "
			                      "(keys: name, description, parameters)", where, name,
			                      it->string);
	it = cJSON_GetObjectItemCaseSensitive(def, "name");
	if (it && (!cJSON_IsString(it) || strcmp(it->valuestring, name)))
		return pops_error_set(POPS_EINVALID, "%s: tool '%s' has 'name' other than '%s'",
		                      where, name, name);
	desc = cJSON_GetObjectItemCaseSensitive(def, "description");
	if (desc && !cJSON_IsString(desc))
		return pops_error_set(POPS_EINVALID, "%s: tool '%s': 'description' must be a string",
		                      where, name);
	params = cJSON_GetObjectItemCaseSensitive(def, "parameters");
	if (params && !cJSON_IsObject(params))
		return pops_error_set(POPS_EINVALID, "%s: tool '%s': 'parameters' must be a JSON "
		                      "Schema (a mapping such as {type: object, properties: {...}})",
		                      where, name);
	/* a malformed schema (a bad pattern, a non-object subschema) shows on any instance */
	if (params && (!(empty = cJSON_CreateObject()) ||
	               (r = pops_jsonschema_validate(params, empty, &why)) == POPS_ERROR)) {
		error = pops_error_oom();
		goto done;
	}
	if (params && r < 0) {
		error = pops_error_set(POPS_EINVALID, "%s: tool '%s': 'parameters' is not a valid "
		                       "JSON Schema: %s", where, name, pops_error_last());
		goto done;
	}
	if (!(o = cJSON_CreateObject()) || !cJSON_AddStringToObject(o, "name", name) ||
	    (desc && !cJSON_AddStringToObject(o, "description", desc->valuestring)) ||
	    !cJSON_AddItemToObject(o, "parameters", params ? cJSON_Duplicate(params, 1) :
	                           cJSON_Parse("{\"type\":\"object\",\"properties\":{}}"))) {
		error = pops_error_oom();
		goto done;
	}
	*out = o;
	o = NULL;
done:
	cJSON_Delete(o);
	cJSON_Delete(empty);
	pops_buf_dispose(&why);
	return error;
}

static int read_worktree(const pops_config *cfg, const char *rel, pops_buf *out)
{
	pops_buf path = POPS_BUF_INIT;
	int error;

	pops_path_join(&path, cfg->root, rel);
	if (pops_buf_oom(&path))
		error = pops_error_oom();
	else
		error = pops_confine_project_read(out, path.ptr, cfg->root, rel, POPS_TOOLS_FILE_MAX);
	pops_buf_dispose(&path);
	return error;
}

/* tools/NAME.json: 0 with *out, POPS_ENOTFOUND, or an error naming the file */
static int from_file(cJSON **out, const pops_tools_source *src, const char *name)
{
	pops_buf rel = POPS_BUF_INIT, data = POPS_BUF_INIT;
	pops_yaml_doc *doc = NULL;
	int error;

	pops_buf_printf(&rel, "tools/%s.json", name);
	if (pops_buf_oom(&rel)) {
		error = pops_error_oom();
		goto done;
	}
	error = src->read ? src->read(src->payload, rel.ptr, &data) :
	        read_worktree(src->cfg, rel.ptr, &data);
	if (error < 0)
		goto done;
	if ((error = pops_yaml_parse_json(&doc, data.ptr ? data.ptr : "", data.size, rel.ptr,
	                                  NULL)) < 0)
		goto done;
	error = normalise(out, name, pops_yaml_root(doc), rel.ptr);
done:
	pops_yaml_free(doc);
	pops_buf_dispose(&data);
	pops_buf_dispose(&rel);
	return error;
}

static int lookup(cJSON **out, const pops_tools_source *src, const char *name, const char *who)
{
	const pops_config *cfg = src->cfg;
	const cJSON *root = cfg->doc ? pops_yaml_root(cfg->doc) : NULL;   /* cfg is required */
	const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "tools");
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(map, name);
	int error;

	if (def) {
		pops_buf where = POPS_BUF_INIT;

		pops_buf_printf(&where, "%s:%u", POPS_CONFIG_FILE,
		                pops_yaml_line(cfg->doc, def));
		error = pops_buf_oom(&where) ? pops_error_oom() :
		        normalise(out, name, def, where.ptr);
		pops_buf_dispose(&where);
		return error;
	}
	if ((error = from_file(out, src, name)) == POPS_ENOTFOUND)
		return pops_error_set(POPS_EINVALID, "%s: tool '%s' is not defined: add it under "
		                      "tools: in pops.yaml or as tools/%s.json", who, name, name);
	return error;
}

int pops_tools_resolve(cJSON **out, const pops_tools_source *src, const cJSON *names,
                       const char *who)
{
	const cJSON *n;
	cJSON *defs = NULL, *d = NULL;
	int error = 0;

	*out = NULL;
	if (!names || cJSON_IsNull(names) || !cJSON_GetArraySize(names))
		return 0;
	if (!cJSON_IsArray(names))
		return pops_error_set(POPS_EINVALID, "%s: 'tools' must be a list of tool names", who);
	if (!(defs = cJSON_CreateArray()))
		return pops_error_oom();
	cJSON_ArrayForEach(n, names) {
		if (!cJSON_IsString(n) || !pops_tools_name_ok(n->valuestring)) {
			error = pops_error_set(POPS_EINVALID, "%s: tools: each entry must be a tool name "
			                       "(1-64 letters, digits, '_' or '-')", who);
			goto done;
		}
		if (pops_tools_find(defs, n->valuestring)) {
			error = pops_error_set(POPS_EINVALID, "%s: tool '%s' is listed twice", who,
			                       n->valuestring);
			goto done;
		}
		if ((error = lookup(&d, src, n->valuestring, who)) < 0)
			goto done;
		cJSON_AddItemToArray(defs, d);
	}
	*out = defs;
	defs = NULL;
done:
	cJSON_Delete(defs);
	return error;
}

int pops_tools_choice_check(const char *choice, const cJSON *names, const char *who)
{
	const cJSON *n;

	if (!choice || !strcmp(choice, "auto") || !strcmp(choice, "none") ||
	    !strcmp(choice, "required") || !strcmp(choice, "any"))
		return 0;
	cJSON_ArrayForEach(n, names)
		if (cJSON_IsString(n) && !strcmp(n->valuestring, choice))
			return 0;
	return pops_error_set(POPS_EINVALID, "%s: toolChoice '%s' is neither auto, none, required "
	                      "nor one of the prompt's tools", who, choice);
}

void pops_tools_calls_line(pops_buf *out, const cJSON *calls)
{
	const cJSON *c;
	int first = 1;

	cJSON_ArrayForEach(c, calls) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
		const cJSON *args = cJSON_GetObjectItemCaseSensitive(c, "arguments");
		char *s = args ? cJSON_PrintUnformatted(args) : NULL;
		size_t n = s ? strlen(s) : 0;

		if (!first)
			pops_buf_puts(out, ", ");
		first = 0;
		pops_buf_puts(out, cJSON_IsString(name) ? name->valuestring : "?");
		pops_buf_putc(out, '(');
		pops_buf_put_sanitized(out, s ? s : "", n > 80 ? 80 : n, 0);
		if (n > 80)
			pops_buf_puts(out, "...");
		pops_buf_putc(out, ')');
		free(s);
	}
}
