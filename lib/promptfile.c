#include "common.h"
#include "promptfile.h"
#include "strutil.h"
#include "yamldoc.h"
#include "fileio.h"
#include "confine.h"
#include "picoschema.h"

struct pops_prompt {
	char *filename;
	char *body;
	cJSON *meta;            /* resolved metadata (owned) */
	const char *model;      /* borrowed from meta */
	const cJSON *config, *input_schema, *output_schema, *input_default;
	pops_template *tpl;
	char **warnings;
	size_t nwarnings;
};

static const char *const known_keys[] = {
	"config", "description", "ext", "input", "metadata", "model", "name", "output",
	"raw", "toolChoice", "toolDefs", "tools", "variant", "version", NULL
};

static int warn(pops_prompt *p, const char *fmt, ...) POPS_PRINTF(2, 3);
static int warn(pops_prompt *p, const char *fmt, ...)
{
	pops_buf b = POPS_BUF_INIT;
	char **nw;
	va_list ap;

	va_start(ap, fmt);
	pops_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	nw = realloc(p->warnings, (p->nwarnings + 1) * sizeof(char *));
	/* realloc may have moved the array even if the message ran out of memory */
	if (nw)
		p->warnings = nw;
	if (!nw || pops_buf_oom(&b)) {
		pops_buf_dispose(&b);
		return pops_error_oom();
	}
	p->warnings[p->nwarnings++] = pops_buf_detach(&b);
	return POPS_OK;
}

static size_t line_end(const char *s, size_t len, size_t i)
{
	const char *nl = memchr(s + i, '\n', len - i);

	return nl ? (size_t)(nl - s) : len;
}

/* dotprompt's FRONTMATTER_AND_BODY_REGEX, written out */
void pops_prompt_split_frontmatter(pops_prompt_split *f, const char *s, size_t len)
{
	size_t i = 0, e, k;
	unsigned line = 1;

	memset(f, 0, sizeof(*f));
	for (;;) {   /* comment and blank lines before the first --- */
		e = line_end(s, len, i);
		if (e == len)
			return;
		if (s[i] != '#') {
			for (k = i; k < e && (s[k] == ' ' || s[k] == '\t'); k++)
				;
			if (k < e)
				break;
		}
		i = e + 1;
		line++;
	}
	if (len - i < 3 || memcmp(s + i, "---", 3))
		return;
	for (k = i + 3; k < e && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'); k++)
		;
	if (k < e)
		return;
	f->fm_start = e + 1;
	f->fm_line = line + 1;
	for (i = e + 1, line++; i <= len; line++) {
		e = line_end(s, len, i);
		if (e - i >= 3 && !memcmp(s + i, "---", 3)) {
			for (k = i + 3; k < e && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'); k++)
				;
			/*
			 * dotprompt (and so Genkit) closes frontmatter only with a
			 * line break after the '---': without one the whole file
			 * is template text, and it is sent as such
			 */
			if (k == e && e >= len) {
				f->eof_close_line = line;
				return;
			}
			if (k == e) {
				f->has = 1;
				f->fm_end = i;
				f->body_start = e < len ? e + 1 : len;
				f->body_line = line + 1;
				return;
			}
		}
		if (e >= len)
			return;
		i = e + 1;
	}
}

static int where(pops_buf *b, const pops_yaml_doc *doc, const cJSON *node)
{
	return pops_buf_printf(b, "%s:%u:%u", pops_yaml_filename(doc), pops_yaml_line(doc, node),
	                       pops_yaml_col(doc, node));
}

static int shape_error(const pops_yaml_doc *doc, const cJSON *node, const char *what)
{
	pops_buf b = POPS_BUF_INIT;

	where(&b, doc, node);
	pops_error_set(POPS_EINVALID, "%s: %s", b.ptr, what);
	pops_buf_dispose(&b);
	return POPS_EINVALID;
}

/*
 * Defaults the schema would refuse. Genkit's own gallery gives
 * input.default keys its schema does not list, and dotprompt renders
 * them, so a render never fails on a default (promptfile_render.c leaves
 * such defaults out of validation); lint and render say so here.
 */
static int warn_defaults(pops_prompt *p, const pops_yaml_doc *doc, const cJSON *def_node,
                         const cJSON *schema)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	const cJSON *extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
	const cJSON *d;
	pops_buf b = POPS_BUF_INIT, what = POPS_BUF_INIT;
	int error = POPS_OK;

	cJSON_ArrayForEach(d, def_node) {
		const cJSON *prop = cJSON_GetObjectItemCaseSensitive(props, d->string);

		pops_buf_clear(&b);
		where(&b, doc, d);
		pops_buf_clear(&what);
		pops_buf_printf(&what, "input.default.%s", d->string);
		if (!prop && cJSON_IsFalse(extra))
			error = warn(p, "%s: input.default '%s' is not in input.schema; it is rendered "
			             "but not validated (add it to the schema or remove the default)",
			             b.ptr, d->string);
		else if (prop && pops_schema_validate(prop, d, what.ptr) < 0)
			error = warn(p, "%s: %s; the default is rendered but not validated", b.ptr,
			             pops_error_last());
		if (error < 0)
			break;
	}
	pops_buf_dispose(&what);
	pops_buf_dispose(&b);
	return error;
}

/* frontmatter mapping -> metadata, with Picoschema converted */
/* a known key's value has the shape it must have: 0, or POPS_EINVALID naming the line */
static int check_known(const pops_yaml_doc *doc, const cJSON *k)
{
	const char *key = k->string;

	if ((!strcmp(key, "model") || !strcmp(key, "name") || !strcmp(key, "description") ||
	     !strcmp(key, "variant")) && !cJSON_IsString(k) && !cJSON_IsNull(k))
		return shape_error(doc, k, "expected a string");
	if ((!strcmp(key, "config") || !strcmp(key, "input") || !strcmp(key, "output") ||
	     !strcmp(key, "metadata") || !strcmp(key, "ext")) && !cJSON_IsObject(k) && !cJSON_IsNull(k))
		return shape_error(doc, k, "expected a mapping");
	if (!strcmp(key, "tools") && !cJSON_IsArray(k))
		return shape_error(doc, k, "expected a list of tool names");
	if (!strcmp(key, "tools")) {
		const cJSON *t;

		cJSON_ArrayForEach(t, k)
			if (!cJSON_IsString(t) || !*t->valuestring)
				return shape_error(doc, t, "expected a tool name (a string)");
	}
	if (!strcmp(key, "toolChoice") && !cJSON_IsString(k))
		return shape_error(doc, k, "expected auto, none, required or a tool name");
	return 0;
}

/* "ns.key: v" goes to ext.ns.key (`dot` is the last '.' of the key) */
static int add_ext(cJSON *ext, const cJSON *k, const char *dot)
{
	char *ns = pops_strndup(k->string, (size_t)(dot - k->string));
	cJSON *nso;

	POPS_CHECK_ALLOC(ns);
	nso = cJSON_GetObjectItemCaseSensitive(ext, ns);
	if (!nso)
		nso = cJSON_AddObjectToObject(ext, ns);
	free(ns);
	cJSON_AddItemToObject(nso, dot + 1, cJSON_Duplicate(k, 1));
	return 0;
}

/* an unknown key close to a known one is likely a typo: say so (it stays under raw) */
static int warn_unknown(pops_prompt *p, const pops_yaml_doc *doc, const cJSON *k)
{
	const char *g = pops_suggest(k->string, known_keys, 2);
	pops_buf b = POPS_BUF_INIT;
	int error;

	if (!g || !strcmp(g, k->string))
		return 0;
	where(&b, doc, k);
	error = warn(p, "%s: unknown key '%s' (did you mean '%s'?); kept under raw", b.ptr,
	             k->string, g);
	pops_buf_dispose(&b);
	return error;
}

/* the frontmatter's keys into `meta` (known ones) and `ext` (namespaced ones) */
static int meta_keys(pops_prompt *p, const pops_yaml_doc *doc, const cJSON *fm, cJSON *meta,
                     cJSON *ext)
{
	const cJSON *k;
	int error = 0;

	cJSON_ArrayForEach(k, fm) {
		const char *key = k->string;
		const char *dot = strrchr(key, '.');
		int known = 0;

		for (int i = 0; known_keys[i]; i++)
			known |= !strcmp(key, known_keys[i]);
		if (known) {
			if ((error = check_known(doc, k)) < 0)
				return error;
			if (cJSON_IsNull(k) && (!strcmp(key, "config") || !strcmp(key, "metadata")))
				continue;
			cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
			cJSON_AddItemToObject(meta, key, cJSON_Duplicate(k, 1));
		} else if (dot && dot != key) {
			error = add_ext(ext, k, dot);
		} else {
			error = warn_unknown(p, doc, k);
		}
		if (error)
			return error;
	}
	return 0;
}

/* Picoschema in input.schema (side 0) or output.schema (side 1) to JSON Schema */
static int convert_schema(pops_prompt *p, const pops_yaml_doc *doc, const cJSON *fm, cJSON *meta,
                          int side, const pops_prompt_options *o)
{
	const char *sk = side ? "output" : "input";
	cJSON *sec = cJSON_GetObjectItemCaseSensitive(meta, sk);
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(fm, sk),
	                                                    "schema");
	cJSON *schema = cJSON_GetObjectItemCaseSensitive(sec, "schema"), *conv = NULL, *unres, *n;
	pops_buf b = POPS_BUF_INIT;
	int error;

	if (!schema)
		return 0;
	unres = cJSON_CreateArray();
	where(&b, doc, src);
	if ((error = pops_picoschema(&conv, schema, o->resolve_schema, o->schema_payload, unres)) < 0) {
		pops_error_prefix(error, "%s: %s.schema: ", b.ptr, sk);
		goto done;
	}
	cJSON_ArrayForEach(n, unres) {
		if ((error = warn(p, "%s: %s.schema: schema '%s' is not defined here (registered in "
		                  "application code?); %s", b.ptr, sk, n->valuestring,
		                  side ? "output schema left out" : "input is not validated against it"))) {
			cJSON_Delete(conv);
			goto done;
		}
	}
	if (conv)
		cJSON_ReplaceItemInObjectCaseSensitive(sec, "schema", conv);
	else
		cJSON_DeleteItemFromObjectCaseSensitive(sec, "schema");
done:
	pops_buf_dispose(&b);
	cJSON_Delete(unres);
	return error;
}

/* input.default: a mapping, whose values the input schema is checked against */
static int check_defaults(pops_prompt *p, const pops_yaml_doc *doc, const cJSON *fm,
                          const cJSON *meta)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(meta, "input");
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(in, "default");
	const cJSON *def_node = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(fm, "input"), "default");

	if (def && !cJSON_IsObject(def))
		return shape_error(doc, def_node, "input.default: expected a mapping of variable values");
	if (def && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(in, "schema")))
		return warn_defaults(p, doc, def_node, cJSON_GetObjectItemCaseSensitive(in, "schema"));
	return 0;
}

static int build_meta(pops_prompt *p, const pops_yaml_doc *doc, const cJSON *fm,
                      const pops_prompt_options *o)
{
	cJSON *meta = cJSON_CreateObject(), *ext = cJSON_CreateObject();
	int error = POPS_OK;

	if (!meta || !ext) {
		error = pops_error_oom();
		goto done;
	}
	cJSON_AddItemToObject(meta, "config", cJSON_CreateObject());
	cJSON_AddItemToObject(meta, "metadata", cJSON_CreateObject());
	if ((error = meta_keys(p, doc, fm, meta, ext)) < 0)
		goto done;
	if (!cJSON_GetObjectItemCaseSensitive(meta, "ext"))
		cJSON_AddItemToObject(meta, "ext", ext), ext = NULL;
	cJSON_AddItemToObject(meta, "raw", cJSON_Duplicate(fm, 1));
	if ((error = convert_schema(p, doc, fm, meta, 0, o)) < 0 ||
	    (error = convert_schema(p, doc, fm, meta, 1, o)) < 0 ||
	    (error = check_defaults(p, doc, fm, meta)) < 0)
		goto done;
	cJSON_Delete(p->meta);
	p->meta = meta;
	meta = NULL;
done:
	cJSON_Delete(ext);
	cJSON_Delete(meta);
	return error;
}

/* name and variant from "dir/name.variant.prompt" */
static void default_name(cJSON *meta, const char *filename)
{
	const char *base, *dot;
	char *stem;

	if (!filename || cJSON_GetObjectItemCaseSensitive(meta, "name"))
		return;
	base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	if (!pops_ends_with(base, ".prompt"))
		return;
	stem = pops_strndup(base, strlen(base) - strlen(".prompt"));
	if (!stem || !*stem) {
		free(stem);
		return;
	}
	dot = strchr(stem, '.');
	if (dot && !cJSON_GetObjectItemCaseSensitive(meta, "variant")) {
		cJSON_AddStringToObject(meta, "variant", dot + 1);
		stem[dot - stem] = '\0';
	}
	cJSON_AddStringToObject(meta, "name", stem);
	free(stem);
}

static void set_views(pops_prompt *p)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(p->meta, "model");
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(p->meta, "input");
	const cJSON *outp = cJSON_GetObjectItemCaseSensitive(p->meta, "output");

	p->model = cJSON_IsString(m) ? m->valuestring : NULL;
	p->config = cJSON_GetObjectItemCaseSensitive(p->meta, "config");
	p->input_schema = cJSON_GetObjectItemCaseSensitive(in, "schema");
	p->input_default = cJSON_GetObjectItemCaseSensitive(in, "default");
	p->output_schema = cJSON_GetObjectItemCaseSensitive(outp, "schema");
}

int pops_prompt_parse(pops_prompt **out, const char *data, size_t len, const char *filename,
                      const pops_prompt_options *opts)
{
	static const pops_prompt_options defaults = POPS_PROMPT_OPTIONS_INIT;
	pops_template_options to = POPS_TEMPLATE_OPTIONS_INIT;
	pops_prompt *p = NULL;
	pops_yaml_doc *doc = NULL;
	pops_prompt_split f;
	size_t bad, bs, be;
	unsigned line, col;
	int error = POPS_OK;
	const char *label = filename ? filename : "prompt";

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (len > POPS_PROMPT_MAX_BYTES)
		return pops_error_set(POPS_EINVALID, "%s: %zu bytes is larger than the %u-byte limit for "
		                      "prompt files", label, len, (unsigned)POPS_PROMPT_MAX_BYTES);
	if (!pops_utf8_valid(data, len, &bad)) {
		size_t ls = 0;

		line = 1;
		for (size_t i = 0; i < bad; i++)
			if (data[i] == '\n')
				line++, ls = i + 1;
		return pops_error_set(POPS_EINVALID, "%s:%u:%zu: invalid UTF-8 (byte 0x%02x); save the "
		                      "file as UTF-8", label, line, bad - ls + 1, (unsigned char)data[bad]);
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->filename = pops_strdup(label))) {
		error = pops_error_oom();
		goto done;
	}
	pops_prompt_split_frontmatter(&f, data, len);
	if (f.eof_close_line &&
	    (error = warn(p, "%s:%u:1: the closing '---' has no line break after it, so dotprompt "
	                  "reads the whole file, frontmatter included, as template text; end the "
	                  "line", label, f.eof_close_line)) < 0)
		goto done;
	if (f.has) {
		const cJSON *root;

		if ((error = pops_yaml_parse(&doc, data + f.fm_start, f.fm_end - f.fm_start, label,
		                             f.fm_line - 1, NULL)) < 0)
			goto done;
		root = pops_yaml_root(doc);
		if (!cJSON_IsObject(root) && !cJSON_IsNull(root)) {
			error = pops_error_set(POPS_EINVALID, "%s:%u:1: frontmatter must be a mapping "
			                       "(key: value lines)", label, f.fm_line);
			goto done;
		}
		if (cJSON_IsObject(root)) {
			if ((error = build_meta(p, doc, root, opts)) < 0)
				goto done;
		}
		bs = f.body_start;
		line = f.body_line;
		be = len;
		/* body.trim(), keeping track of where it starts */
		while (bs < be && strchr(" \t\r\n\f\v", data[bs])) {
			if (data[bs] == '\n')
				line++;
			bs++;
		}
		while (be > bs && strchr(" \t\r\n\f\v", data[be - 1]))
			be--;
	} else {
		bs = 0;
		be = len;
		line = 1;
	}
	if (!p->meta) {
		p->meta = cJSON_CreateObject();
		if (!p->meta) {
			error = pops_error_oom();
			goto done;
		}
		cJSON_AddItemToObject(p->meta, "config", cJSON_CreateObject());
		cJSON_AddItemToObject(p->meta, "metadata", cJSON_CreateObject());
		cJSON_AddItemToObject(p->meta, "ext", cJSON_CreateObject());
	}
	default_name(p->meta, filename);
	set_views(p);
	col = 1;
	for (size_t i = bs; i > 0 && data[i - 1] != '\n'; i--)
		col++;
	if (!(p->body = pops_strndup(data + bs, be - bs))) {
		error = pops_error_oom();
		goto done;
	}
	to.dialect = POPS_TEMPLATE_HANDLEBARS;
	to.filename = label;
	to.first_line = line;
	to.first_col = col;
	to.load_partial = opts->load_partial;
	to.payload = opts->partial_payload;
	to.partial_dir = opts->partial_dir;
	if ((error = pops_template_compile(&p->tpl, p->body, be - bs, &to)) < 0)
		goto done;
	for (size_t i = 0; i < pops_template_warning_count(p->tpl); i++)
		if ((error = warn(p, "%s", pops_template_warning(p->tpl, i))) < 0)
			goto done;
	*out = p;
	p = NULL;
done:
	pops_yaml_free(doc);
	pops_prompt_free(p);
	return error;
}

void pops_prompt_free(pops_prompt *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nwarnings; i++)
		free(p->warnings[i]);
	free(p->warnings);
	pops_template_free(p->tpl);
	cJSON_Delete(p->meta);
	free(p->body);
	free(p->filename);
	free(p);
}

const char *pops_prompt_model(const pops_prompt *p) { return p->model; }
const cJSON *pops_prompt_config(const pops_prompt *p) { return p->config; }
const cJSON *pops_prompt_input_schema(const pops_prompt *p) { return p->input_schema; }
const cJSON *pops_prompt_output_schema(const pops_prompt *p) { return p->output_schema; }
const cJSON *pops_prompt_input_default(const pops_prompt *p) { return p->input_default; }
const cJSON *pops_prompt_metadata(const pops_prompt *p) { return p->meta; }

const cJSON *pops_prompt_tools(const pops_prompt *p)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(p->meta, "tools");

	return cJSON_IsArray(t) && cJSON_GetArraySize(t) ? t : NULL;
}

const char *pops_prompt_tool_choice(const pops_prompt *p)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(p->meta, "toolChoice");

	return cJSON_IsString(t) ? t->valuestring : NULL;
}
const pops_template *pops_prompt_template(const pops_prompt *p) { return p->tpl; }
const char *pops_prompt_body(const pops_prompt *p) { return p->body; }
const char *pops_prompt_filename(const pops_prompt *p) { return p->filename; }
size_t pops_prompt_warning_count(const pops_prompt *p) { return p->nwarnings; }

const char *pops_prompt_warning(const pops_prompt *p, size_t i)
{
	return i < p->nwarnings ? p->warnings[i] : NULL;
}

/* the directory a partial found in `dir` must stay inside: the prompts
 * root when `dir` is in it (a symlink to a sibling directory's file is
 * fine there, as for render by name), else `dir` itself */
static const char *confine_dir(const pops_prompt_dirs *d, const char *dir)
{
	if (d->root && (dir == d->root || pops_confine_inside(dir, d->root)))
		return d->root;
	return dir;
}

int pops_prompt_dir_loader(void *payload, const char *name, pops_buf *out)
{
	const pops_prompt_dirs *d = payload;
	const char *slash = strrchr(name, '/');
	pops_buf path = POPS_BUF_INIT;
	int error = POPS_ENOTFOUND;

	if (!*name || *name == '/' || !strcmp(name, "..") || strstr(name, "../") ||
	    pops_ends_with(name, "/.."))
		return POPS_ENOTFOUND;
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20)
			return POPS_ENOTFOUND;
	for (const char *const *dir = d->dirs; *dir && error == POPS_ENOTFOUND; dir++) {
		const char *in = confine_dir(d, *dir);

		pops_buf_clear(&path);
		if (slash)
			pops_buf_printf(&path, "%s/%.*s/_%s.prompt", *dir, (int)(slash - name), name, slash + 1);
		else
			pops_buf_printf(&path, "%s/_%s.prompt", *dir, name);
		if (pops_buf_oom(&path)) {
			error = pops_error_oom();
			break;
		}
		error = pops_confine_read(out, path.ptr, in, path.ptr, in, POPS_PROMPT_MAX_BYTES);
	}
	pops_buf_dispose(&path);
	return error;
}

int pops_prompt_load_file(pops_prompt **out, const char *path, const char *prompts_root,
                          const pops_prompt_options *opts)
{
	pops_prompt_options o = POPS_PROMPT_OPTIONS_INIT;
	pops_buf data = POPS_BUF_INIT;
	char *dir = NULL;
	const char *dirs[3];
	pops_prompt_dirs pd;
	const char *slash = strrchr(path, '/');
	int error;

	*out = NULL;
	if (opts)
		o = *opts;
	if (!(dir = slash ? pops_strndup(path, (size_t)(slash - path)) : pops_strdup("."))) {
		error = pops_error_oom();
		goto done;
	}
	if (!*dir) {
		free(dir);
		dir = pops_strdup("/");
	}
	dirs[0] = dir;
	dirs[1] = prompts_root && strcmp(prompts_root, dir) ? prompts_root : NULL;
	dirs[2] = NULL;
	pd.dirs = dirs;
	pd.root = prompts_root;
	if (!o.load_partial) {
		o.load_partial = pops_prompt_dir_loader;
		o.partial_payload = &pd;
		if (!o.partial_dir)
			o.partial_dir = slash ? dir : "";
	}
	if (o.confine && prompts_root)
		error = pops_confine_read(&data, path, prompts_root, path, prompts_root,
		                          POPS_PROMPT_MAX_BYTES);
	else
		error = pops_file_read(&data, path, POPS_PROMPT_MAX_BYTES);
	if (error < 0)
		goto done;
	error = pops_prompt_parse(out, data.ptr, data.size, path, &o);
done:
	pops_buf_dispose(&data);
	free(dir);
	return error;
}

unsigned pops_prompt_frontmatter_line(const char *data, size_t len)
{
	pops_prompt_split f;

	pops_prompt_split_frontmatter(&f, data, len);
	return f.has ? f.fm_line - 1 : 0;
}

int pops_prompt_frontmatter(cJSON **out, size_t *body_off, const char *data, size_t len,
                            const char *label)
{
	pops_yaml_doc *doc = NULL;
	pops_prompt_split f;
	cJSON *fm = NULL;
	int error;

	*out = NULL;
	*body_off = 0;
	pops_prompt_split_frontmatter(&f, data, len);
	if (f.has) {
		if ((error = pops_yaml_parse(&doc, data + f.fm_start, f.fm_end - f.fm_start, label,
		                             f.fm_line - 1, NULL)) < 0)
			goto done;
		fm = pops_yaml_detach(doc);
		if (fm && !cJSON_IsObject(fm) && !cJSON_IsNull(fm)) {
			error = pops_error_set(POPS_EINVALID, "%s:%u:1: frontmatter must be a mapping "
			                       "(key: value lines)", label, f.fm_line);
			goto done;
		}
		if (cJSON_IsNull(fm)) {
			cJSON_Delete(fm);
			fm = NULL;
		}
		*body_off = f.body_start;
	}
	if (!fm && !(fm = cJSON_CreateObject())) {
		error = pops_error_oom();
		goto done;
	}
	*out = fm;
	fm = NULL;
	error = POPS_OK;
done:
	cJSON_Delete(fm);
	pops_yaml_free(doc);
	return error;
}
