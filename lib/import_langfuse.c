#include "common.h"
#include "import_int.h"
#include "fileio.h"
#include "git.h"
#include "repo.h"
#include "strutil.h"

/*
 * `pops import langfuse`: a Langfuse prompt export -> one git commit per
 * prompt version, and the labels as environments (cmd/import.c releases
 * each label's version there through the normal promote code). Langfuse
 * versions are what Langfuse served, so each becomes a pops version with
 * its own date and message, and `NAME:production` renders what
 * Langfuse's production label pointed to.
 */

/* request settings pops sends; the rest of `config` is the application's */
static const char *const request_keys[] = {
	"temperature", "max_tokens", "top_p", "seed", "stop", NULL
};

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/*
 * "2024-05-01T09:00:00.000Z" or with "+02:00": seconds since the epoch
 * and the offset, as git records an author date. 0 when not that form.
 */
static int parse_time(const char *s, long long *when, int *tz)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 1;
	const char *p = s + 19;

	if (strlen(s) < 19 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om))
			return 0;
		p += 6;
	}
	if (*p)
		return 0;
	*tz = sign * (oh * 60 + om);
	*when = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
	        (long long)*tz * 60;
	return 1;
}

/* a valid pops name from a Langfuse one: each segment's odd characters become '-' */
static int pops_name(pops_buf *out, const char *src)
{
	const char *p;

	pops_buf_clear(out);
	if (pops_repo_check_name(src) == 0)
		return pops_buf_sets(out, src);
	for (p = src; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' && out->size && out->ptr[out->size - 1] != '/')
			pops_buf_putc(out, '/');
		else if (isalnum(c) || c == '_' || c == '-' || (c == '.' && out->size &&
		                                                out->ptr[out->size - 1] != '/'))
			pops_buf_putc(out, (char)c);
		else if (c >= 0x80)
			pops_buf_putc(out, (char)c);
		else if (out->size && out->ptr[out->size - 1] != '-' && out->ptr[out->size - 1] != '/')
			pops_buf_putc(out, '-');
	}
	while (out->size && (out->ptr[out->size - 1] == '/' || out->ptr[out->size - 1] == '-'))
		pops_buf_truncate(out, out->size - 1);
	pops_error_clear();
	return out->size && pops_repo_check_name(out->ptr) == 0 ? 0 :
	       pops_error_set(POPS_EINVALID, "Langfuse prompt name '%s' has no usable pops name", src);
}

/* environment names end up in ledger paths: pops.yaml's alphabet */
static int env_name_ok(const char *s)
{
	if (!*s || *s == '-' || *s == '.')
		return 0;
	return !s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")];
}

struct lf_ctx {
	pops_langfuse *lf;
	const pops_import_options *opts;
	const char *file;
	pops_yaml_doc *doc;
	cJSON *seen;           /* notes already given, so a prompt's versions repeat none */
};

/* 1 the first time `a` `b` is asked about, 0 after (or out of memory) */
static int first_time(struct lf_ctx *c, const char *a, const char *b)
{
	pops_buf key = POPS_BUF_INIT;
	int first;

	pops_buf_printf(&key, "%s\n%s", a, b);
	first = !pops_buf_oom(&key) && !cJSON_GetObjectItemCaseSensitive(c->seen, key.ptr) &&
	        cJSON_AddTrueToObject(c->seen, key.ptr);
	pops_buf_dispose(&key);
	return first;
}

static int note(struct lf_ctx *c, const cJSON *node, const char *fmt, ...) POPS_PRINTF(3, 4);

static int note(struct lf_ctx *c, const cJSON *node, const char *fmt, ...)
{
	pops_buf msg = POPS_BUF_INIT;
	unsigned line = node ? pops_yaml_line(c->doc, node) : 0;
	va_list ap;
	int error;

	va_start(ap, fmt);
	pops_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (line)
		error = pops_import__note(c->lf->imp, "%s:%u: %s", c->file, line, msg.ptr);
	else
		error = pops_import__note(c->lf->imp, "%s: %s", c->file, msg.ptr);
	pops_buf_dispose(&msg);
	return error;
}

/* chat messages -> {{role}} blocks; `{{var}}` stays as it is */
static int chat_body(struct lf_ctx *c, pops_buf *body, const cJSON *msgs, const char *name,
                     long version)
{
	const cJSON *m;
	int placeholders = 0, error;

	cJSON_ArrayForEach(m, msgs) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(m, "type");

		if (cJSON_IsString(type) && !strcmp(type->valuestring, "placeholder")) {
			/* a slot for messages the application passes: dotprompt's history */
			if (!placeholders++) {
				pops_buf_puts(body, "{{history}}\n");
				continue;
			}
			if ((error = note(c, m, "%s v%ld: a second placeholder is not imported: pops "
			                  "has one {{history}}", name, version)) < 0)
				return error;
			continue;
		}
		if (!cJSON_IsString(role) || !cJSON_IsString(content)) {
			if ((error = note(c, m, "%s v%ld: a chat message without a string role and "
			                  "content is not imported", name, version)) < 0)
				return error;
			continue;
		}
		pops_buf_printf(body, "{{role \"%s\"}}\n%s\n",
		                !strcmp(role->valuestring, "assistant") ? "model" : role->valuestring,
		                content->valuestring);
	}
	return POPS_OK;
}

/* the .prompt file of one version */
static int build_file(struct lf_ctx *c, pops_buf *f, const cJSON *o, const char *name,
                      long version)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
	const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(o, "prompt");
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(o, "config");
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(o, "tags");
	const cJSON *k;
	cJSON *req = cJSON_CreateObject(), *meta = cJSON_CreateObject();
	pops_buf body = POPS_BUF_INIT;
	int chat = cJSON_IsString(type) && !strcmp(type->valuestring, "chat"), error = POPS_OK;

	if (!req || !meta) {
		error = pops_error_oom();
		goto done;
	}
	if (type && !(cJSON_IsString(type) && (chat || !strcmp(type->valuestring, "text")))) {
		error = pops_error_set(POPS_EINVALID, "%s:%u: %s v%ld: type must be 'text' or 'chat'",
		                       c->file, pops_yaml_line(c->doc, type), name, version);
		goto done;
	}
	if (chat && cJSON_IsArray(prompt)) {
		if ((error = chat_body(c, &body, prompt, name, version)) < 0)
			goto done;
	} else if (!chat && cJSON_IsString(prompt)) {
		pops_buf_puts(&body, prompt->valuestring);
		if (body.size && body.ptr[body.size - 1] != '\n')
			pops_buf_putc(&body, '\n');
	} else {
		error = pops_error_set(POPS_EINVALID, "%s:%u: %s v%ld: 'prompt' must be %s", c->file,
		                       pops_yaml_line(c->doc, prompt ? prompt : o), name, version,
		                       chat ? "a list of chat messages" : "text");
		goto done;
	}
	if (strstr(body.ptr, "@@@langfusePrompt:") &&
	    (error = note(c, prompt, "%s v%ld: a reference to another Langfuse prompt "
	                  "(@@@langfusePrompt:...@@@) is kept as text; make it a partial", name,
	                  version)) < 0)
		goto done;
	cJSON_ArrayForEach(k, config) {
		size_t i;

		for (i = 0; request_keys[i] && strcmp(request_keys[i], k->string); i++)
			;
		if (request_keys[i])
			cJSON_AddItemToObject(req, k->string, cJSON_Duplicate(k, 1));
	}
	cJSON_AddStringToObject(meta, "name", cJSON_GetObjectItemCaseSensitive(o, "name")->valuestring);
	cJSON_AddNumberToObject(meta, "version", (double)version);
	if (cJSON_IsObject(config) && cJSON_GetArraySize(config))
		cJSON_AddItemToObject(meta, "config", cJSON_Duplicate(config, 1));
	if (cJSON_IsArray(tags) && cJSON_GetArraySize(tags))
		cJSON_AddItemToObject(meta, "tags", cJSON_Duplicate(tags, 1));
	/* JSON is YAML flow: the frontmatter is exact whatever the values hold */
	pops_buf_puts(f, "---\n");
	if (cJSON_GetArraySize(req)) {
		pops_buf_puts(f, "config: ");
		pops_import__json(f, req);
		pops_buf_putc(f, '\n');
	}
	pops_buf_puts(f, "metadata:\n  langfuse: ");
	pops_import__json(f, meta);
	pops_buf_puts(f, "\n---\n");
	pops_buf_put(f, body.ptr, body.size);
	if (pops_buf_oom(f) || pops_buf_oom(&body))
		error = pops_error_oom();
done:
	pops_buf_dispose(&body);
	cJSON_Delete(meta);
	cJSON_Delete(req);
	return error;
}

static int add_labels(struct lf_ctx *c, pops_langfuse_version *v, const cJSON *o)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(o, "labels");
	const cJSON *l;
	int error;

	/* exports from before labels mark the production version isActive */
	if (!labels && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "isActive"))) {
		if (!(v->labels = calloc(1, sizeof(char *))) || !(v->labels[0] = pops_strdup("production")))
			return pops_error_oom();
		v->nlabels = 1;
		return pops_import__need_env(c->lf->imp, "production");
	}
	v->labels = calloc((size_t)cJSON_GetArraySize(labels) + 1, sizeof(char *));
	POPS_CHECK_ALLOC(v->labels);
	cJSON_ArrayForEach(l, labels) {
		if (!cJSON_IsString(l) || !strcmp(l->valuestring, "latest"))
			continue;   /* latest is the newest version: HEAD */
		if (!env_name_ok(l->valuestring)) {
			if ((error = note(c, l, "%s v%ld: label '%s' is not an environment name "
			                  "(letters, digits, '-', '_', '.'); not released", v->source_name,
			                  v->version, l->valuestring)) < 0)
				return error;
			continue;
		}
		POPS_CHECK_ALLOC((v->labels[v->nlabels++] = pops_strdup(l->valuestring)));
		if ((error = pops_import__need_env(c->lf->imp, l->valuestring)) < 0)
			return error;
	}
	return POPS_OK;
}

static int add_version(struct lf_ctx *c, const cJSON *o)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(o, "version");
	const cJSON *created = cJSON_GetObjectItemCaseSensitive(o, "createdAt");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "commitMessage");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(o, "config"), "model");
	pops_langfuse_version *v;
	pops_buf pname = POPS_BUF_INIT, b = POPS_BUF_INIT;
	size_t i;
	int error;

	if (!cJSON_IsObject(o) || !cJSON_IsString(name) || !*name->valuestring ||
	    !cJSON_IsNumber(version) || version->valuedouble < 1 ||
	    version->valuedouble != (double)(long)version->valuedouble)
		return pops_error_set(POPS_EINVALID, "%s:%u: not a Langfuse prompt version (it needs "
		                      "'name' and an integer 'version')", c->file,
		                      pops_yaml_line(c->doc, o));
	if ((error = pops_name(&pname, name->valuestring)) < 0)
		goto done;
	for (i = 0; i < c->lf->n; i++)
		if (!strcmp(c->lf->v[i].source_name, name->valuestring) &&
		    c->lf->v[i].version == (long)version->valuedouble) {
			error = pops_error_set(POPS_EINVALID, "%s:%u: %s version %ld is in the export "
			                       "twice", c->file, pops_yaml_line(c->doc, o),
			                       name->valuestring, (long)version->valuedouble);
			goto done;
		}
	v = realloc(c->lf->v, (c->lf->n + 1) * sizeof(*v));
	if (!v) {
		error = pops_error_oom();
		goto done;
	}
	c->lf->v = v;
	v = &c->lf->v[c->lf->n++];
	memset(v, 0, sizeof(*v));
	POPS_IMPORT_BUF_RESET(&v->data);
	v->version = (long)version->valuedouble;
	if (!(v->name = pops_strdup(pname.ptr)) || !(v->source_name = pops_strdup(name->valuestring))) {
		error = pops_error_oom();
		goto done;
	}
	pops_buf_printf(&b, "%s/%s.prompt", c->opts->prompts_dir, v->name);
	if (!(v->path = pops_buf_detach(&b))) {
		error = pops_error_oom();
		goto done;
	}
	if (cJSON_IsString(created) &&
	    !(v->dated = parse_time(created->valuestring, &v->when, &v->tz_minutes)) &&
	    (error = note(c, created, "%s v%ld: createdAt '%s' is not an ISO 8601 time; the "
	                  "commit is dated now", v->source_name, v->version,
	                  created->valuestring)) < 0)
		goto done;
	/* the subject is Langfuse's message; the body says where it came from */
	if (cJSON_IsString(msg) && *msg->valuestring)
		pops_buf_printf(&b, "%s\n\n", msg->valuestring);
	else
		pops_buf_printf(&b, "prompt: %s version %ld from Langfuse\n\n", v->name, v->version);
	pops_buf_printf(&b, "Imported from Langfuse: prompt '%s' version %ld", v->source_name,
	                v->version);
	if (cJSON_IsString(created))
		pops_buf_printf(&b, ", created %s", created->valuestring);
	pops_buf_puts(&b, ".\n");
	if (!(v->message = pops_buf_detach(&b))) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = build_file(c, &v->data, o, v->source_name, v->version)) < 0 ||
	    (error = add_labels(c, v, o)) < 0)
		goto done;
	/* the application picks the model; a floating name there is no pin */
	if (cJSON_IsString(model) && first_time(c, v->source_name, model->valuestring) &&
	    (error = note(c, model, "%s: config.model '%s' is kept under metadata.langfuse, not "
	                  "as the prompt's model; pin one with 'pops model pin' and name it in "
	                  "'model:'", v->source_name, model->valuestring)) < 0)
		goto done;
	if (strcmp(v->name, v->source_name) && first_time(c, v->source_name, ""))
		error = note(c, name, "prompt '%s' is imported as '%s' (pops names have no spaces "
		             "or ':', '@', '#')", v->source_name, v->name);
done:
	pops_buf_dispose(&b);
	pops_buf_dispose(&pname);
	return error;
}

/* oldest first; a prompt's versions in version order whatever the clocks said */
static int by_time(const void *pa, const void *pb)
{
	const pops_langfuse_version *a = pa, *b = pb;
	int c;

	if (a->dated != b->dated)
		return a->dated ? -1 : 1;
	if (a->dated && a->when != b->when)
		return a->when < b->when ? -1 : 1;
	if ((c = strcmp(a->source_name, b->source_name)))
		return c;
	return a->version < b->version ? -1 : a->version > b->version;
}

static int by_name(const void *pa, const void *pb)
{
	const pops_langfuse_version *a = pa, *b = pb;
	int c = strcmp(a->source_name, b->source_name);

	return c ? c : a->version < b->version ? -1 : a->version > b->version;
}

static void order(pops_langfuse *lf)
{
	size_t i, j;

	qsort(lf->v, lf->n, sizeof(*lf->v), by_time);
	for (i = 0; i < lf->n; i++)
		for (j = i + 1; j < lf->n; j++)
			if (!strcmp(lf->v[i].source_name, lf->v[j].source_name) &&
			    lf->v[j].version < lf->v[i].version) {
				/* clocks disagree with versions: versions win */
				qsort(lf->v, lf->n, sizeof(*lf->v), by_name);
				return;
			}
}

int pops_import_langfuse(pops_langfuse **out, const char *path,
                         const pops_import_options *opts)
{
	static const pops_import_options defaults = POPS_IMPORT_OPTIONS_INIT;
	struct lf_ctx c;
	pops_buf data = POPS_BUF_INIT;
	const cJSON *root, *list, *o;
	cJSON *one = NULL;
	int error;
	size_t i, j;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.opts = opts ? opts : &defaults;
	c.file = path;
	if (!(c.lf = calloc(1, sizeof(*c.lf))) || !(c.lf->imp = pops_import__new()) ||
	    !(c.seen = cJSON_CreateObject())) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = pops_file_read(&data, path, POPS_YAML_MAX_BYTES)) < 0 ||
	    (error = pops_yaml_parse_json(&c.doc, data.ptr, data.size, path, NULL)) < 0)
		goto done;
	root = pops_yaml_root(c.doc);
	list = root;
	if (cJSON_IsObject(root) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "prompts")))
		list = cJSON_GetObjectItemCaseSensitive(root, "prompts");
	else if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "name")) {
		/* one prompt object, as the API returns it */
		if (!(one = cJSON_CreateArray())) {
			error = pops_error_oom();
			goto done;
		}
		cJSON_AddItemReferenceToArray(one, (cJSON *)root);
		list = one;
	}
	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list)) {
		error = pops_error_set(POPS_EINVALID, "%s: not a Langfuse prompt export (expected a "
		                       "list of prompt versions, or a prompt object)", path);
		goto done;
	}
	cJSON_ArrayForEach(o, list)
		if ((error = add_version(&c, o)) < 0)
			goto done;
	/* two Langfuse names may have become one pops name */
	for (i = 0; i < c.lf->n; i++)
		for (j = i + 1; j < c.lf->n; j++)
			if (!strcmp(c.lf->v[i].name, c.lf->v[j].name) &&
			    strcmp(c.lf->v[i].source_name, c.lf->v[j].source_name)) {
				error = pops_error_set(POPS_EINVALID, "%s: prompts '%s' and '%s' would both "
				                       "be '%s'; rename one in Langfuse first", path,
				                       c.lf->v[i].source_name, c.lf->v[j].source_name,
				                       c.lf->v[i].name);
				goto done;
			}
	order(c.lf);
	for (i = 0; i < c.lf->n; i++) {
		for (j = 0; j < i && strcmp(c.lf->v[j].name, c.lf->v[i].name); j++)
			;
		if (j == i)
			c.lf->imp->nprompts++;
	}
done:
	cJSON_Delete(one);
	cJSON_Delete(c.seen);
	pops_yaml_free(c.doc);
	pops_buf_dispose(&data);
	if (error < 0) {
		pops_langfuse_free(c.lf);
		return error;
	}
	*out = c.lf;
	return POPS_OK;
}

void pops_langfuse_free(pops_langfuse *lf)
{
	size_t i, j;

	if (!lf)
		return;
	for (i = 0; i < lf->n; i++) {
		pops_langfuse_version *v = &lf->v[i];

		free(v->name);
		free(v->source_name);
		free(v->path);
		free(v->message);
		pops_buf_dispose(&v->data);
		for (j = 0; j < v->nlabels; j++)
			free(v->labels[j]);
		free(v->labels);
	}
	free(lf->v);
	pops_import_free(lf->imp);
	free(lf);
}

/* ---- commits ---- */

/* one commit on HEAD changing `path` to `data`; `head` moves to it */
static int commit_file(git_oid *out, git_repository *repo, git_commit **head,
                       const char *path, const char *data, size_t len,
                       const git_signature *author, const git_signature *committer,
                       const char *message)
{
	git_tree *base = NULL, *tree = NULL;
	git_treebuilder *tb = NULL;
	git_tree_update up;
	git_oid blob, tree_id, empty;
	git_commit *next = NULL;
	int error;

	memset(&up, 0, sizeof(up));
	if ((error = git_blob_create_from_buffer(&blob, repo, data, len)) < 0)
		goto done;
	if (*head)
		error = git_commit_tree(&base, *head);
	else if ((error = git_treebuilder_new(&tb, repo, NULL)) == 0 &&
	         (error = git_treebuilder_write(&empty, tb)) == 0)
		error = git_tree_lookup(&base, repo, &empty);
	if (error < 0)
		goto done;
	up.action = GIT_TREE_UPDATE_UPSERT;
	git_oid_cpy(&up.id, &blob);
	up.filemode = GIT_FILEMODE_BLOB;
	up.path = path;
	if ((error = git_tree_create_updated(&tree_id, repo, base, 1, &up)) < 0 ||
	    (error = git_tree_lookup(&tree, repo, &tree_id)) < 0)
		goto done;
	/* "HEAD" moves only from the parent read here, or libgit2 refuses */
	if ((error = git_commit_create(out, repo, "HEAD", author, committer, NULL, message, tree,
	                               *head ? 1 : 0, (const git_commit **)(*head ? head : NULL))) < 0 ||
	    (error = git_commit_lookup(&next, repo, out)) < 0)
		goto done;
	git_commit_free(*head);
	*head = next;
	next = NULL;
done:
	git_commit_free(next);
	git_tree_free(tree);
	git_tree_free(base);
	git_treebuilder_free(tb);
	if (error < 0)
		return pops_git_error(error, "cannot commit an imported version");
	return POPS_OK;
}

/* the work tree and the index follow HEAD for `path` */
static int sync_worktree(git_index *index, const char *root, const char *path,
                         const char *data, size_t len)
{
	pops_buf full = POPS_BUF_INIT;
	char *slash;
	int error;

	pops_path_join(&full, root, path);
	slash = strrchr(full.ptr, '/');
	*slash = '\0';
	error = pops_mkdir_p(full.ptr, 0777);
	*slash = '/';
	if (!error)
		error = pops_file_write_atomic(full.ptr, data, len, 0666);
	if (!error && index && git_index_add_bypath(index, path) < 0)
		error = pops_git_error(-1, "cannot update the index");
	pops_buf_dispose(&full);
	return error;
}

int pops_import_langfuse_commit(pops_langfuse *lf, git_repository *repo, const char *root,
                                const git_signature *who, const pops_import_file *first,
                                const char *first_message)
{
	git_commit *head = NULL;
	git_signature *author = NULL;
	git_index *index = NULL;
	git_oid id;
	size_t i, j;
	int error;

	error = git_repository_head_unborn(repo) == 1 ? 0 :
	        git_revparse_single((git_object **)&head, repo, "HEAD^{commit}");
	if (error < 0)
		return pops_git_error(error, "cannot read HEAD");
	if (first && (error = commit_file(&id, repo, &head, first->path, first->data.ptr,
	                                  first->data.size, who, who, first_message)) < 0)
		goto done;
	for (i = 0; i < lf->n; i++) {
		pops_langfuse_version *v = &lf->v[i];

		git_signature_free(author);
		author = NULL;
		if (v->dated && (error = git_signature_new(&author, who->name, who->email,
		                                           (git_time_t)v->when, v->tz_minutes)) < 0) {
			error = pops_git_error(error, "invalid author");
			goto done;
		}
		if ((error = commit_file(&v->commit, repo, &head, v->path, v->data.ptr, v->data.size,
		                         author ? author : who, who, v->message)) < 0)
			goto done;
	}
	/* each file as its newest version, and the index with it */
	if (git_repository_index(&index, repo) < 0)
		index = NULL;
	if (first && (error = sync_worktree(index, root, first->path, first->data.ptr,
	                                    first->data.size)) < 0)
		goto done;
	for (i = 0; i < lf->n; i++) {
		for (j = i + 1; j < lf->n && strcmp(lf->v[j].path, lf->v[i].path); j++)
			;
		if (j < lf->n)
			continue;   /* a later version of the same file */
		if ((error = sync_worktree(index, root, lf->v[i].path, lf->v[i].data.ptr,
		                           lf->v[i].data.size)) < 0)
			goto done;
	}
	if (index && git_index_write(index) < 0)
		error = pops_git_error(-1, "cannot write the index");
done:
	git_index_free(index);
	git_signature_free(author);
	git_commit_free(head);
	return error;
}
