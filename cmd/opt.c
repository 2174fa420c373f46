#include "common.h"
#include "opt.h"
#include <math.h>
#include "strutil.h"

static void *field(void *out, const pops_opt *o)
{
	return (char *)out + o->offset;
}

int pops_opt_takes_value(const pops_opt *o)
{
	return o->type != POPS_OPT_BOOL && o->type != POPS_OPT_OPTIONAL && o->type != POPS_OPT_ARG &&
	       o->type != POPS_OPT_ARGS && o->type != POPS_OPT_END;
}

static int is_positional(const pops_opt *o)
{
	return o->type == POPS_OPT_ARG || o->type == POPS_OPT_ARGS;
}

static int usage_error(const pops_opt *opts, const char *cmdpath,
                       const char *fmt, ...) POPS_PRINTF(3, 4);

static int usage_error(const pops_opt *opts, const char *cmdpath,
                       const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pops_opt_print_synopsis(stderr, opts, cmdpath);
	fprintf(stderr, "hint: see 'pops%s%s -h' for the options\n", *cmdpath ? " " : "", cmdpath);
	return POPS_OPT_USAGE;
}

static int strv_push(pops_strv *sv, const char *s)
{
	const char **v = realloc(sv->v, (sv->n + 2) * sizeof(*v));

	if (!v)
		return -1;
	v[sv->n++] = s;
	v[sv->n] = NULL;
	sv->v = v;
	return 0;
}

/* 250ms, 30s, 2m, 1h, or a plain number of seconds (fractions allowed) */
static int parse_duration(long *out, const char *s)
{
	char *end;
	double v, scale = 1000;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		scale = 1;
	else if (!strcmp(end, "s") || !*end)
		scale = 1000;
	else if (!strcmp(end, "m"))
		scale = 60000;
	else if (!strcmp(end, "h"))
		scale = 3600000;
	else
		return -1;
	if (v * scale > (double)LONG_MAX)
		return -1;
	*out = (long)(v * scale + 0.5);
	return 0;
}

static int set_value(void *out, const pops_opt *o, const char *cmdpath,
                     const pops_opt *opts, const char *arg)
{
	switch (o->type) {
	case POPS_OPT_STRING:
	case POPS_OPT_PATH:
		*(const char **)field(out, o) = arg;
		return 0;
	case POPS_OPT_ENUM: {
		const char *const *c;

		for (c = o->choices; c && *c; c++)
			if (!strcmp(*c, arg)) {
				*(const char **)field(out, o) = arg;
				return 0;
			}
		return usage_error(opts, cmdpath, "option --%s: '%s' is not one of the choices",
		                   o->name, arg);
	}
	case POPS_OPT_INT: {
		long v;

		if (pops_parse_long(&v, arg, o->min, o->max) < 0)
			return usage_error(opts, cmdpath, "option --%s: %s", o->name,
			                   pops_error_last());
		*(long *)field(out, o) = v;
		return 0;
	}
	case POPS_OPT_NUMBER: {
		double v;

		if (pops_parse_double(&v, arg) < 0)
			return usage_error(opts, cmdpath, "option --%s: %s", o->name,
			                   pops_error_last());
		if (o->max > o->min && (v < (double)o->min || v > (double)o->max)) {
			if (o->max == LONG_MAX)
				return usage_error(opts, cmdpath, "option --%s: expected a number >= %ld, got '%s'",
				                   o->name, o->min, arg);
			return usage_error(opts, cmdpath, "option --%s: expected a number from %ld to %ld, got '%s'",
			                   o->name, o->min, o->max, arg);
		}
		*(double *)field(out, o) = v;
		return 0;
	}
	case POPS_OPT_SHARD: {
		pops_opt_shard *sh = field(out, o);

		if (pops_shard_parse(&sh->i, &sh->n, arg) < 0)
			return usage_error(opts, cmdpath, "option --%s: expected i/n with 1 <= i <= n "
			                   "(n at most %u), got '%s'", o->name, POPS_SHARD_MAX, arg);
		return 0;
	}
	case POPS_OPT_DURATION:
		if (parse_duration((long *)field(out, o), arg) < 0)
			return usage_error(opts, cmdpath,
			                   "option --%s: '%s' is not a duration (e.g. 500ms, 30s, 2m)",
			                   o->name, arg);
		return 0;
	case POPS_OPT_LIST:
		if (strv_push(field(out, o), arg) < 0)
			return usage_error(opts, cmdpath, "out of memory");
		return 0;
	default:
		return 0;
	}
}

static const pops_opt *find_long(const pops_opt *opts, const char *name,
                                 size_t len, int *negated)
{
	const pops_opt *o;

	*negated = 0;
	for (o = opts; o->type; o++)
		if (!is_positional(o) && strlen(o->name) == len &&
		    !strncmp(o->name, name, len))
			return o;
	if (len > 3 && !strncmp(name, "no-", 3)) {
		for (o = opts; o->type; o++)
			if (o->type == POPS_OPT_BOOL && strlen(o->name) == len - 3 &&
			    !strncmp(o->name, name + 3, len - 3)) {
				*negated = 1;
				return o;
			}
	}
	return NULL;
}

static const pops_opt *find_short(const pops_opt *opts, char c)
{
	const pops_opt *o;

	for (o = opts; o->type; o++)
		if (o->short_name == c && !is_positional(o))
			return o;
	return NULL;
}

static int unknown_option(const pops_opt *opts, const char *cmdpath,
                          const char *name, size_t len)
{
	const char *names[128];
	const pops_opt *o;
	pops_buf word = POPS_BUF_INIT;
	const char *guess;
	size_t n = 0;
	int ret;

	for (o = opts; o->type && n + 1 < POPS_ARRAY_SIZE(names); o++)
		if (!is_positional(o) && !(o->flags & POPS_OPTF_HIDDEN))
			names[n++] = o->name;
	names[n] = NULL;
	pops_buf_put(&word, name, len);
	guess = pops_suggest(word.ptr, names, POPS_SUGGEST_MAX_DISTANCE);
	if (guess)
		ret = usage_error(opts, cmdpath, "unknown option '--%s' (did you mean '--%s'?)",
		                  word.ptr, guess);
	else
		ret = usage_error(opts, cmdpath, "unknown option '--%s'", word.ptr);
	pops_buf_dispose(&word);
	return ret;
}

/* with `stop`, parsing ends before the first positional argument (or after "--") */
static int parse(void *out, const pops_opt *opts, const char *cmdpath,
                 int argc, char **argv, int *stop)
{
	const pops_opt *o, *next_pos = opts;
	int i, only_args = 0, ret;

	/* absent and 0 differ for numbers (--threshold 0 is a threshold) */
	for (o = opts; o->type; o++)
		if (o->type == POPS_OPT_NUMBER)
			*(double *)field(out, o) = NAN;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!only_args && !strcmp(a, "--")) {
			if (stop) {
				*stop = i + 1;
				return 0;
			}
			only_args = 1;
			continue;
		}
		if (stop && (a[0] != '-' || !a[1])) {
			*stop = i;
			return 0;
		}
		/* the caller prints the help: it knows the summary (pops_cmd_print_help) */
		if (!only_args && (!strcmp(a, "-h") || !strcmp(a, "--help")))
			return POPS_OPT_HELP;
		if (!only_args && a[0] == '-' && a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			int negated;

			o = find_long(opts, name, len, &negated);
			if (!o)
				return unknown_option(opts, cmdpath, name, len);
			if (o->type == POPS_OPT_BOOL) {
				if (eq)
					return usage_error(opts, cmdpath, "option --%s takes no value",
					                   o->name);
				*(int *)field(out, o) = !negated;
				continue;
			}
			if (o->type == POPS_OPT_OPTIONAL && !negated) {
				*(const char **)field(out, o) = eq ? eq + 1 : "";
				continue;
			}
			if (negated)
				return unknown_option(opts, cmdpath, name, len);
			if (!eq && i + 1 >= argc)
				return usage_error(opts, cmdpath, "option --%s needs a value", o->name);
			if ((ret = set_value(out, o, cmdpath, opts, eq ? eq + 1 : argv[++i])))
				return ret;
			continue;
		}
		if (!only_args && a[0] == '-' && a[1]) {
			const char *p;

			for (p = a + 1; *p; p++) {
				o = find_short(opts, *p);
				if (!o)
					return usage_error(opts, cmdpath, "unknown option '-%c'", *p);
				if (o->type == POPS_OPT_BOOL) {
					*(int *)field(out, o) = 1;
					continue;
				}
				if (o->type == POPS_OPT_OPTIONAL) {
					*(const char **)field(out, o) = "";
					continue;
				}
				if (p[1]) {
					ret = set_value(out, o, cmdpath, opts, p + 1);
				} else if (i + 1 < argc) {
					ret = set_value(out, o, cmdpath, opts, argv[++i]);
				} else {
					return usage_error(opts, cmdpath, "option -%c needs a value", *p);
				}
				if (ret)
					return ret;
				break;
			}
			continue;
		}
		/* positional */
		while (next_pos->type && !is_positional(next_pos))
			next_pos++;
		if (!next_pos->type)
			return usage_error(opts, cmdpath, "unexpected argument '%s'", a);
		if (next_pos->type == POPS_OPT_ARG) {
			*(const char **)field(out, next_pos) = a;
			next_pos++;
		} else if (strv_push(field(out, next_pos), a) < 0) {
			return usage_error(opts, cmdpath, "out of memory");
		}
	}
	/* a prefix is followed by the rest of the line: what it requires may come there */
	if (stop) {
		*stop = argc;
		return 0;
	}
	for (o = opts; o->type; o++) {
		if (!(o->flags & POPS_OPTF_REQUIRED))
			continue;
		if (o->type == POPS_OPT_ARG && !*(const char **)field(out, o))
			return usage_error(opts, cmdpath, "missing <%s>", o->name);
		if (o->type == POPS_OPT_ARGS && !((pops_strv *)field(out, o))->n)
			return usage_error(opts, cmdpath, "missing <%s>", o->name);
		if ((o->type == POPS_OPT_STRING || o->type == POPS_OPT_PATH ||
		     o->type == POPS_OPT_ENUM) && !*(const char **)field(out, o))
			return usage_error(opts, cmdpath, "option --%s is required", o->name);
	}
	return 0;
}

int pops_opt_parse(void *out, const pops_opt *opts, const char *cmdpath,
                   int argc, char **argv)
{
	return parse(out, opts, cmdpath, argc, argv, NULL);
}

int pops_opt_parse_prefix(void *out, const pops_opt *opts, int argc, char **argv, int *used)
{
	return parse(out, opts, "", argc, argv, used);
}

void pops_opt_dispose(void *out, const pops_opt *opts)
{
	const pops_opt *o;

	for (o = opts; o->type; o++) {
		if (o->type == POPS_OPT_LIST || o->type == POPS_OPT_ARGS) {
			pops_strv *sv = field(out, o);

			free(sv->v);
			sv->v = NULL;
			sv->n = 0;
		}
	}
}

void pops_opt_print_synopsis(FILE *f, const pops_opt *opts, const char *cmdpath)
{
	const pops_opt *o;
	int has_opts = 0;

	for (o = opts; o->type; o++)
		if (!is_positional(o) && !(o->flags & POPS_OPTF_HIDDEN))
			has_opts = 1;
	fprintf(f, "usage: pops%s%s%s", *cmdpath ? " " : "", cmdpath, has_opts ? " [<options>]" : "");
	for (o = opts; o->type; o++) {
		int req = o->flags & POPS_OPTF_REQUIRED;

		if (o->type == POPS_OPT_ARG)
			fprintf(f, req ? " <%s>" : " [<%s>]", o->name);
		else if (o->type == POPS_OPT_ARGS)
			fprintf(f, req ? " <%s>..." : " [<%s>...]", o->name);
	}
	fputc('\n', f);
}

static void print_rows(FILE *f, const pops_opt *opts, int positional);

void pops_opt_print_usage(FILE *f, const pops_opt *opts, const char *cmdpath,
                          const char *summary)
{
	pops_opt_print_synopsis(f, opts, cmdpath);
	if (summary)
		fprintf(f, "\n%s\n", summary);
	fputc('\n', f);
	print_rows(f, opts, 1);
}

void pops_opt_print_options(FILE *f, const pops_opt *opts)
{
	print_rows(f, opts, 0);
}

static void print_rows(FILE *f, const pops_opt *opts, int positional)
{
	const pops_opt *o;
	pops_buf left = POPS_BUF_INIT;

	for (o = opts; o->type; o++) {
		if ((o->flags & POPS_OPTF_HIDDEN) || (!positional && is_positional(o)))
			continue;
		pops_buf_clear(&left);
		if (is_positional(o)) {
			pops_buf_printf(&left, "<%s>", o->name);
		} else {
			if (o->short_name)
				pops_buf_printf(&left, "-%c, ", o->short_name);
			else
				pops_buf_puts(&left, "    ");
			pops_buf_printf(&left, "--%s", o->name);
			if (pops_opt_takes_value(o))
				pops_buf_printf(&left, " <%s>", o->value_name ? o->value_name : "value");
			else if (o->type == POPS_OPT_OPTIONAL)
				pops_buf_printf(&left, "[=<%s>]", o->value_name ? o->value_name : "value");
		}
		if (left.size < 26)
			fprintf(f, "    %-26s%s\n", left.ptr, o->help);
		else
			fprintf(f, "    %s\n    %26s%s\n", left.ptr, "", o->help);
		if (o->type == POPS_OPT_ENUM && o->choices) {
			const char *const *c;

			fprintf(f, "    %26s(", "");
			for (c = o->choices; *c; c++)
				fprintf(f, "%s%s", c == o->choices ? "" : ", ", *c);
			fputs(")\n", f);
		}
	}
	pops_buf_dispose(&left);
}
