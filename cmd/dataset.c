#include "common.h"
#include "cmd.h"
#include "datasetcmd.h"
#include "dataset.h"
#include "records.h"
#include "redact.h"
#include "strutil.h"

#include <cjson/cJSON.h>

/*
 * `pops dataset add DATASET --from FILE`: production records into a
 * golden dataset (issue 20, "Feedback into datasets"). The order is
 * fixed so a re-run adds nothing: read and filter (--where), redact,
 * sample (--sample, --stratify, --seed: drawn from the source alone),
 * then drop what the dataset already has (normalised vars hash), then
 * append in the dataset's format with provenance under `meta`.
 */

struct dataset_add_opts {
	const char *dataset;
	const char *from;
	const char *format;
	const char *where;
	long sample;
	const char *stratify;
	long seed;
	const char *label_from;
	pops_strv redact;
	int dry_run;
};

static const char *const format_choices[] = { "auto", "pops", "otel", "langfuse", NULL };

POPS_CMD_OPTS_SIZE(dataset_add, struct dataset_add_opts);
#define O struct dataset_add_opts
const pops_opt cmd_dataset_add_opts[] = {
	OPT_PATH(O, from, "from", "file",
	         "the production records (pops JSONL, OTLP JSON, Langfuse JSON/JSONL/CSV)",
	         .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_FILE),
	OPT_ENUM(O, format, "format", "format", format_choices,
	         "the records' format (default: detected)"),
	OPT_STRING(O, where, "where", "expr",
	           "keep records where FIELD OP VALUE holds (==, !=, <, >, <=, >=; && between)"),
	OPT_INT(O, sample, "sample", "n", 1, 10000000, "draw at most N of the matching records"),
	OPT_STRING(O, stratify, "stratify", "field",
	           "keep the mix of this field's values in the sample"),
	OPT_INT(O, seed, "seed", "s", 0, 2147483647, "the sample's random seed (default 1)"),
	OPT_STRING(O, label_from, "label-from", "field",
	           "the record field that becomes the row's expected (e.g. feedback.correction)"),
	OPT_LIST(O, redact, "redact", "pattern",
	         "replace email, phone, card or NAME=REGEX matches before writing (repeatable)"),
	OPT_BOOL(O, dry_run, "dry-run",
	         "report what would be added; write nothing", .short_name = 'n'),
	OPT_ARG(O, dataset, "dataset",
	        "the dataset file (.jsonl, .json, .yaml or .csv); created when absent",
	        .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_FILE),
	OPT_END
};
#undef O

const pops_cmd cmd_dataset_subcommands[] = {
	POPS_CMD_ROW("add", dataset_add, 0,
	             "Append production records to a golden dataset, with provenance"),
	POPS_CMD_END
};

/* ---- --where ---- */

enum { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };

#define MAX_CONDS 16

struct cond {
	char path[128];
	int op;
	cJSON *value;
};

struct where {
	struct cond c[MAX_CONDS];
	size_t n;
};

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* a VALUE: "text", 'text', a number, true/false/null, or a bare word */
static cJSON *parse_value(const char **sp)
{
	const char *s = *sp, *e;
	pops_buf b = POPS_BUF_INIT;
	cJSON *v;
	double d;

	if (*s == '"' || *s == '\'') {
		char q = *s++;

		for (; *s && *s != q; s++) {
			if (*s == '\\' && s[1])
				s++;
			pops_buf_putc(&b, *s);
		}
		if (*s != q) {
			pops_buf_dispose(&b);
			return NULL;
		}
		*sp = s + 1;
		v = cJSON_CreateString(b.ptr ? b.ptr : "");
		pops_buf_dispose(&b);
		return v;
	}
	for (e = s; *e && *e != ' ' && *e != '\t' && *e != '&'; e++)
		;
	if (e == s || strchr("<>=!", *s))
		return NULL;
	pops_buf_put(&b, s, (size_t)(e - s));
	*sp = e;
	if (!b.ptr)
		return NULL;
	if (!strcmp(b.ptr, "true") || !strcmp(b.ptr, "false"))
		v = cJSON_CreateBool(b.ptr[0] == 't');
	else if (!strcmp(b.ptr, "null"))
		v = cJSON_CreateNull();
	else if (pops_parse_double(&d, b.ptr) == 0)
		v = cJSON_CreateNumber(d);
	else
		v = cJSON_CreateString(b.ptr);
	pops_buf_dispose(&b);
	return v;
}

static int parse_op(const char **sp)
{
	static const struct { const char *s; int op; } ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
		{ "<", OP_LT }, { ">", OP_GT },
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(*sp, ops[i].s, strlen(ops[i].s))) {
			*sp += strlen(ops[i].s);
			return ops[i].op;
		}
	return -1;
}

static int where_bad(const char *expr, const char *at, const char *what)
{
	return pops_error_set(POPS_EINVALID, "--where '%s': %s at column %zu; write FIELD OP VALUE, "
	                      "e.g. feedback.thumbs == \"down\" && latency_ms > 2000",
	                      expr, what, (size_t)(at - expr) + 1);
}

static int where_parse(struct where *w, const char *expr)
{
	const char *s = expr;

	w->n = 0;
	for (;;) {
		struct cond *c;
		const char *p;

		if (w->n == MAX_CONDS)
			return where_bad(expr, s, "too many conditions");
		c = &w->c[w->n];
		s = skip_ws(s);
		for (p = s; *p && (*p == '.' || *p == '_' || *p == '-' || (*p >= '0' && *p <= '9') ||
		                   ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')); p++)
			;
		if (p == s || (size_t)(p - s) >= sizeof(c->path))
			return where_bad(expr, s, "expected a field");
		memcpy(c->path, s, (size_t)(p - s));
		c->path[p - s] = '\0';
		s = skip_ws(p);
		if ((c->op = parse_op(&s)) < 0)
			return where_bad(expr, s, "expected ==, !=, <, >, <= or >=");
		s = skip_ws(s);
		if (!(c->value = parse_value(&s)))
			return where_bad(expr, s, "expected a value");
		w->n++;
		s = skip_ws(s);
		if (!*s)
			return 0;
		if (strncmp(s, "&&", 2))
			return where_bad(expr, s, "expected && or the end");
		s += 2;
	}
}

static void where_free(struct where *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		cJSON_Delete(w->c[i].value);
	w->n = 0;
}

static int cmp_result(int op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_GT: return c > 0;
	case OP_LE: return c <= 0;
	default: return c >= 0;
	}
}

static int cond_holds(const struct cond *c, const pops_record *r)
{
	const cJSON *v = pops_record_get(r, c->path), *want = c->value;
	double d;

	if (!v || cJSON_IsNull(v))
		return cJSON_IsNull(want) ? c->op == OP_EQ : c->op == OP_NE;
	if (cJSON_IsNumber(want)) {
		if (cJSON_IsNumber(v))
			d = v->valuedouble;
		else if (!cJSON_IsString(v) || pops_parse_double(&d, v->valuestring) < 0)
			return c->op == OP_NE;
		return cmp_result(c->op, (d > want->valuedouble) - (d < want->valuedouble));
	}
	if (cJSON_IsBool(want))
		return cJSON_IsBool(v) ? cmp_result(c->op, cJSON_IsTrue(v) != cJSON_IsTrue(want))
		                       : c->op == OP_NE;
	if (cJSON_IsString(want) && cJSON_IsString(v))
		return cmp_result(c->op, strcmp(v->valuestring, want->valuestring));
	return c->op == OP_NE;
}

static int where_holds(const struct where *w, const pops_record *r)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!cond_holds(&w->c[i], r))
			return 0;
	return 1;
}

/* ---- sampling: a seeded reservoir per stratum ---- */

struct cand {
	size_t index;      /* the record's position in the source */
	cJSON *row;
};

struct stratum {
	char *key;
	size_t seen;
	struct cand *v;
	size_t n, cap, quota;
	double frac;
};

struct sampler {
	struct stratum *s;
	size_t n, cap;
	size_t limit;      /* --sample, 0: everything */
	uint64_t rng;
};

/* splitmix64: small, fast, and the same sequence everywhere */
static uint64_t rng_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* strata kept at once: each holds up to --sample rows, so this bounds memory */
#define MAX_STRATA 1000

/* the stratum `key`, added when new; NULL with the message set */
static struct stratum *stratum_of(struct sampler *sp, const char *key)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		if (!strcmp(sp->s[i].key, key))
			return &sp->s[i];
	if (sp->n == MAX_STRATA) {
		pops_error_set(POPS_EINVALID, "--stratify: more than %d distinct values; stratify by a "
		               "field with fewer values (a category, not an id)", MAX_STRATA);
		return NULL;
	}
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 8;
		struct stratum *nv = realloc(sp->s, cap * sizeof(*nv));

		if (!nv) {
			pops_error_oom();
			return NULL;
		}
		sp->s = nv;
		sp->cap = cap;
	}
	memset(&sp->s[sp->n], 0, sizeof(sp->s[0]));
	if (!(sp->s[sp->n].key = pops_strdup(key))) {
		pops_error_oom();
		return NULL;
	}
	return &sp->s[sp->n++];
}

/* offer a row (taken) of stratum `key`; 0 or POPS_ERROR */
static int sampler_add(struct sampler *sp, const char *key, size_t index, cJSON *row)
{
	struct stratum *st = stratum_of(sp, key);

	if (!st) {
		cJSON_Delete(row);
		return pops_error_code();
	}
	st->seen++;
	if (sp->limit && st->n == sp->limit) {
		uint64_t j = rng_next(&sp->rng) % st->seen;

		if (j < sp->limit) {
			cJSON_Delete(st->v[j].row);
			st->v[j].index = index;
			st->v[j].row = row;
		} else {
			cJSON_Delete(row);
		}
		return 0;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct cand *nv = realloc(st->v, cap * sizeof(*nv));

		if (!nv) {
			cJSON_Delete(row);
			return pops_error_oom();
		}
		st->v = nv;
		st->cap = cap;
	}
	st->v[st->n].index = index;
	st->v[st->n++].row = row;
	return 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct stratum *)a)->key, ((const struct stratum *)b)->key);
}

static int by_index(const void *a, const void *b)
{
	size_t x = ((const struct cand *)a)->index, y = ((const struct cand *)b)->index;

	return (x > y) - (x < y);
}

/* each stratum's share of the sample: largest remainders, ties by key */
static void set_quotas(struct sampler *sp, size_t *total)
{
	size_t i, sum = 0, seen = 0;

	if (sp->n > 1)
		qsort(sp->s, sp->n, sizeof(sp->s[0]), by_key);
	for (i = 0; i < sp->n; i++)
		seen += sp->s[i].seen;
	*total = seen;
	for (i = 0; i < sp->n; i++) {
		struct stratum *st = &sp->s[i];
		double exact = sp->limit && sp->limit < seen ?
		               (double)sp->limit * (double)st->seen / (double)seen : (double)st->n;

		st->quota = (size_t)exact;
		st->frac = exact - (double)st->quota;
		sum += st->quota;
	}
	while (sp->limit && sp->limit < seen && sum < sp->limit) {
		struct stratum *best = NULL;

		for (i = 0; i < sp->n; i++)
			if (sp->s[i].quota < sp->s[i].n && (!best || sp->s[i].frac > best->frac))
				best = &sp->s[i];
		if (!best)
			break;
		best->quota++;
		best->frac = -1;
		sum++;
	}
}

/* the sample, in source order, into *out (rows moved out of the sampler) */
static int sampler_take(struct sampler *sp, struct cand **out, size_t *nout, size_t *total)
{
	size_t i, k, n = 0;

	set_quotas(sp, total);
	for (i = 0; i < sp->n; i++)
		n += sp->s[i].quota;
	*nout = 0;
	if (!(*out = calloc(n ? n : 1, sizeof(**out))))
		return pops_error_oom();
	for (i = 0; i < sp->n; i++) {
		struct stratum *st = &sp->s[i];

		/* the reservoir is a uniform set, not a uniform order: shuffle */
		for (k = st->n; k > 1; k--) {
			size_t j = (size_t)(rng_next(&sp->rng) % k);
			struct cand t = st->v[k - 1];

			st->v[k - 1] = st->v[j];
			st->v[j] = t;
		}
		for (k = 0; k < st->quota; k++) {
			(*out)[(*nout)++] = st->v[k];
			st->v[k].row = NULL;
		}
	}
	if (*nout > 1)
		qsort(*out, *nout, sizeof(**out), by_index);
	return 0;
}

static void sampler_free(struct sampler *sp)
{
	size_t i, k;

	for (i = 0; i < sp->n; i++) {
		for (k = 0; k < sp->s[i].n; k++)
			cJSON_Delete(sp->s[i].v[k].row);
		free(sp->s[i].v);
		free(sp->s[i].key);
	}
	free(sp->s);
}

/* ---- hashes of the rows already there ---- */

struct hashes {
	uint64_t *v;
	size_t n, cap;
};

static int hashes_add(struct hashes *h, uint64_t x)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		uint64_t *nv = realloc(h->v, cap * sizeof(*nv));

		POPS_CHECK_ALLOC(nv);
		h->v = nv;
		h->cap = cap;
	}
	h->v[h->n++] = x;
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int hashes_has(const struct hashes *h, uint64_t x)
{
	size_t i;

	if (h->n && bsearch(&x, h->v, h->n, sizeof(x), u64_cmp))
		return 1;
	(void)i;
	return 0;
}

/* hashes of the dataset's rows (sorted) and their count; a missing file has none */
static int existing_rows(struct hashes *h, size_t *rows, const char *path)
{
	pops_dataset *ds;
	pops_case c = POPS_CASE_INIT;
	int r;

	*rows = 0;
	if ((r = pops_dataset_open(&ds, path, NULL)) < 0)
		return r == POPS_ENOTFOUND ? 0 : r;
	while ((r = pops_dataset_next(ds, &c)) > 0) {
		(*rows)++;
		if ((r = hashes_add(h, dataset_vars_hash(c.vars))) < 0)
			break;
	}
	pops_case_dispose(&c);
	pops_dataset_free(ds);
	if (r == 0 && h->n)
		qsort(h->v, h->n, sizeof(h->v[0]), u64_cmp);
	return r;
}

/* ---- one record -> a candidate row ---- */

struct counts {
	size_t records, no_vars, no_label, filtered, redactions, duplicates;
};

static int put(cJSON *o, const char *key, const cJSON *v)
{
	cJSON *copy;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (!(copy = cJSON_Duplicate(v, 1)) || !cJSON_AddItemToObject(o, key, copy)) {
		cJSON_Delete(copy);
		return pops_error_oom();
	}
	return 0;
}

static int meta_of(cJSON *row, const pops_record *r, const char *source)
{
	cJSON *m = cJSON_AddObjectToObject(row, "meta");

	POPS_CHECK_ALLOC(m);
	POPS_CHECK_ALLOC(cJSON_AddStringToObject(m, "source", source));
	POPS_CHECK_ALLOC(cJSON_AddNumberToObject(m, "line", r->line));
	if (r->trace_id)
		POPS_CHECK_ALLOC(cJSON_AddStringToObject(m, "trace_id", r->trace_id));
	if (r->timestamp)
		POPS_CHECK_ALLOC(cJSON_AddStringToObject(m, "timestamp", r->timestamp));
	if (r->served)
		POPS_CHECK_ALLOC(cJSON_AddStringToObject(m, "served", r->served));
	return 0;
}

/* the row for a record; *out NULL (and counted) when it has no vars / label */
static int make_row(cJSON **out, const pops_record *r, const struct dataset_add_opts *o,
                    struct counts *n)
{
	const cJSON *label = o->label_from ? pops_record_get(r, o->label_from) : NULL;
	cJSON *row;
	int error;

	*out = NULL;
	if (!r->vars) {
		n->no_vars++;
		return 0;
	}
	if (o->label_from && (!label || cJSON_IsNull(label) ||
	                      (cJSON_IsString(label) && !label->valuestring[0]))) {
		n->no_label++;
		return 0;
	}
	POPS_CHECK_ALLOC((row = cJSON_CreateObject()));
	if ((error = put(row, "vars", r->vars)) < 0 || (error = put(row, "expected", label)) < 0 ||
	    (error = meta_of(row, r, o->from)) < 0) {
		cJSON_Delete(row);
		return error;
	}
	*out = row;
	return 0;
}

/* the stratum of a record: its --stratify value as text */
static void stratum_key(pops_buf *b, const pops_record *r, const char *field)
{
	const cJSON *v = field ? pops_record_get(r, field) : NULL;
	char *s;

	pops_buf_clear(b);
	if (!field)
		return;
	if (!v || cJSON_IsNull(v)) {
		pops_buf_puts(b, "(none)");
	} else if (cJSON_IsString(v)) {
		pops_buf_puts(b, v->valuestring);
	} else if ((s = cJSON_PrintUnformatted(v))) {
		pops_buf_puts(b, s);
		cJSON_free(s);
	}
}

static int read_records(struct sampler *sp, struct counts *n, const struct dataset_add_opts *o,
                        const struct where *w, pops_records_format fmt, pops_records_format *seen)
{
	pops_records *rs;
	pops_record r = POPS_RECORD_INIT;
	pops_buf key = POPS_BUF_INIT;
	cJSON *row;
	int error;

	if ((error = pops_records_open(&rs, o->from, fmt)) < 0)
		return error;
	*seen = pops_records_format_of(rs);
	while ((error = pops_records_next(rs, &r)) > 0) {
		n->records++;
		if (!where_holds(w, &r)) {
			n->filtered++;
			continue;
		}
		if ((error = make_row(&row, &r, o, n)) < 0)
			break;
		if (!row)
			continue;
		stratum_key(&key, &r, o->stratify);
		if ((error = sampler_add(sp, key.ptr ? key.ptr : "", n->records, row)) < 0)
			break;
	}
	pops_record_dispose(&r);
	pops_buf_dispose(&key);
	pops_records_free(rs);
	return error;
}

/*
 * Redact each sampled row (before its hash: the rows already there were
 * redacted too), drop those the dataset or an earlier candidate has, move
 * the rest into `rows`.
 */
static int dedupe(cJSON *rows, struct cand *c, size_t nc, struct hashes *have, struct counts *n,
                  const pops_redactor *rd)
{
	struct hashes batch = { NULL, 0, 0 };
	size_t i, k;
	int error = 0;

	for (i = 0; i < nc && !error; i++) {
		uint64_t h;
		int dup;

		if ((error = pops_redact_json(rd, cJSON_GetObjectItemCaseSensitive(c[i].row, "vars"),
		                              &n->redactions)) < 0 ||
		    (error = pops_redact_json(rd, cJSON_GetObjectItemCaseSensitive(c[i].row, "expected"),
		                              &n->redactions)) < 0)
			break;
		h = dataset_vars_hash(cJSON_GetObjectItemCaseSensitive(c[i].row, "vars"));
		dup = hashes_has(have, h);

		for (k = 0; !dup && k < batch.n; k++)
			dup = batch.v[k] == h;
		if (dup) {
			n->duplicates++;
			continue;
		}
		if ((error = hashes_add(&batch, h)) < 0)
			break;
		if (!cJSON_AddItemToArray(rows, c[i].row))
			error = pops_error_oom();
		c[i].row = NULL;
	}
	free(batch.v);
	return error;
}

static void report(const struct dataset_add_opts *o, const struct counts *n,
                   const struct sampler *sp, size_t total, size_t sampled, size_t added,
                   pops_records_format fmt)
{
	size_t i;

	printf("%s: %zu records (%s)", o->from, n->records, pops_records_format_name(fmt));
	if (n->filtered)
		printf(", %zu not matching --where", n->filtered);
	if (n->no_vars)
		printf(", %zu skipped: no vars", n->no_vars);
	if (n->no_label)
		printf(", %zu skipped: no %s", n->no_label, o->label_from);
	printf("\n");
	if (o->sample) {
		printf("sampled %zu of %zu", sampled, total);
		if (o->stratify) {
			printf(", stratified by %s:", o->stratify);
			for (i = 0; i < sp->n; i++)
				printf("%s %s=%zu", i ? "," : "", sp->s[i].key, sp->s[i].quota);
		}
		printf("\n");
	}
	if (n->redactions)
		printf("redacted %zu matches\n", n->redactions);
	printf("%zu duplicates of rows already in %s\n", n->duplicates, o->dataset);
	printf("%s %zu rows to %s\n", o->dry_run ? "would add" : "added", added, o->dataset);
}

static int setup(const struct dataset_add_opts *o, struct where *w, pops_redactor **rd,
                 pops_records_format *fmt)
{
	size_t i;
	int error;

	*fmt = POPS_RECORDS_AUTO;
	if (o->format && (error = pops_records_format_parse(fmt, o->format)) < 0)
		return error;
	if (o->stratify && !o->sample)
		return pops_error_set(POPS_EINVALID, "--stratify needs --sample N (the size of the sample)");
	if (o->where && (error = where_parse(w, o->where)) < 0)
		return error;
	if ((error = pops_redactor_new(rd)) < 0)
		return error;
	for (i = 0; i < o->redact.n; i++)
		if ((error = pops_redactor_add(*rd, o->redact.v[i])) < 0)
			return error;
	return 0;
}

int cmd_dataset_add(pops_ctx *ctx, void *opts)
{
	const struct dataset_add_opts *o = opts;
	struct where w = { .n = 0 };
	struct sampler sp = { NULL, 0, 0, 0, 0 };
	struct hashes have = { NULL, 0, 0 };
	struct counts n = { 0, 0, 0, 0, 0, 0 };
	pops_redactor *rd = NULL;
	pops_records_format fmt, seen = POPS_RECORDS_POPS;
	struct cand *picked = NULL;
	size_t npicked = 0, total = 0, old_rows = 0, i;
	cJSON *rows = NULL;
	int error, ret = POPS_EXIT_OK;

	(void)ctx;
	sp.limit = o->sample > 0 ? (size_t)o->sample : 0;
	sp.rng = (uint64_t)(o->seed ? o->seed : 1);
	if ((error = setup(o, &w, &rd, &fmt)) < 0 ||
	    (error = existing_rows(&have, &old_rows, o->dataset)) < 0 ||
	    (error = read_records(&sp, &n, o, &w, fmt, &seen)) < 0 ||
	    (error = sampler_take(&sp, &picked, &npicked, &total)) < 0)
		goto done;
	if (!(rows = cJSON_CreateArray())) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = dedupe(rows, picked, npicked, &have, &n, rd)) < 0)
		goto done;
	if (!o->dry_run && cJSON_GetArraySize(rows) > 0 &&
	    (error = dataset_append(o->dataset, rows, old_rows)) < 0)
		goto done;
	report(o, &n, &sp, total, npicked, (size_t)cJSON_GetArraySize(rows), seen);
	if (fflush(stdout) == EOF || ferror(stdout))
		ret = cmd_error(POPS_EXIT_RUNTIME, "cannot write to stdout");
done:
	if (error < 0)
		ret = cmd_fail(error);
	for (i = 0; i < npicked; i++)
		cJSON_Delete(picked[i].row);
	free(picked);
	cJSON_Delete(rows);
	sampler_free(&sp);
	free(have.v);
	where_free(&w);
	pops_redactor_free(rd);
	return ret;
}
