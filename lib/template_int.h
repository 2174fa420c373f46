#ifndef POPS_TEMPLATE_INT_H
#define POPS_TEMPLATE_INT_H

/*
 * Internals shared by template_lex.c and template_compile.c (source ->
 * instructions), template.c (instructions -> text) and template_value.c
 * (values as JavaScript text). Not a public header.
 */

#include "common.h"
#include "template.h"

/* a byte range in a unit's pool */
typedef struct tpl_span {
	uint32_t off, len;
} tpl_span;

enum tpl_expr_kind {
	EX_PATH,   /* context lookup: segs; up = number of ../ */
	EX_DATA,   /* @name.rest */
	EX_STR, EX_NUM, EX_TRUE, EX_FALSE, EX_NULL, EX_UNDEF
};

typedef struct tpl_expr {
	uint8_t kind;
	uint8_t up;
	uint8_t explicit_this;    /* this.x / ./x: never walk the stack */
	uint8_t dkind;            /* EX_DATA: DK_* decided at compile time */
	uint16_t nseg;
	uint32_t seg;             /* first segment in unit->segs */
	tpl_span str;             /* EX_STR */
	double num;               /* EX_NUM */
} tpl_expr;

typedef struct tpl_hash {
	tpl_span key;
	uint32_t expr;
} tpl_hash;

enum tpl_data_kind { DK_OTHER, DK_ROOT, DK_INDEX, DK_KEY, DK_FIRST, DK_LAST };

enum tpl_op_code { OP_TEXT, OP_VAR, OP_BLOCK, OP_ELSE, OP_END, OP_PARTIAL, OP_HELPER };

enum tpl_block_kind {
	BK_SECTION, BK_INVERTED, BK_IF, BK_UNLESS, BK_EACH, BK_WITH, BK_IFEQ, BK_UNLESSEQ,
	BK_UNKNOWN              /* a helper pops does not have: an error when reached */
};

enum tpl_helper_kind { H_ROLE, H_HISTORY, H_SECTION, H_MEDIA, H_JSON, H_LOOKUP, H_UNKNOWN };

typedef struct tpl_op {
	uint8_t code;
	uint8_t kind;             /* block or helper kind */
	uint8_t escape;           /* OP_VAR: HTML-escape */
	uint32_t a, n;            /* TEXT: pool span; else first arg expr, count */
	uint32_t h, nh;           /* hash pairs */
	uint32_t mid, end;        /* blocks: pc of OP_ELSE (== end if none), OP_END */
	uint32_t line, col;
	int32_t partial;          /* OP_PARTIAL: unit index */
	tpl_span name;            /* BK_UNKNOWN / H_UNKNOWN: the helper's name */
} tpl_op;

typedef struct tpl_unit {
	char *name;               /* partial name; NULL for the main template */
	char *indent;             /* standalone indentation applied to its lines */
	char *label;              /* file name for messages */
	int loaded, missing;
	uint32_t ref_line, ref_col; int ref_unit;   /* first use, for "not found" */
	pops_buf pool;
	tpl_op *ops; size_t nops, aops;
	tpl_expr *exprs; size_t nexprs, aexprs;
	tpl_span *segs; size_t nsegs, asegs;
	tpl_hash *hash; size_t nhash, ahash;
} tpl_unit;

struct pops_template {
	int dialect;
	tpl_unit *units;          /* [0] is the main template */
	size_t nunits, aunits;
	char **warnings;          /* "file:line:col: ..." */
	size_t nwarnings;
};

/* ---- compiler state (template_lex.c, template_compile.c) ---- */

enum tok_type {
	T_TEXT, T_VAR, T_RAW, T_OPEN, T_INV, T_CLOSE, T_ELSE, T_PARTIAL, T_COMMENT, T_DELIM
};

typedef struct tok {
	uint8_t type, strip_l, strip_r, standalone;
	uint32_t start, len;          /* text, or the tag's content */
	uint32_t line, col;
	uint32_t trim_front, trim_back;
	uint32_t indent_start, indent_len;
} tok;

typedef struct open_block {
	uint32_t pc, name_start, name_len, line, col;
	uint32_t text_start, text_len;    /* the opening tag's content, for messages */
	int chained, has_else;
} open_block;

typedef struct cstate {
	pops_template *t;
	size_t ui;
	const char *src;
	size_t len;
	const char *label;
	unsigned first_line, first_col;
	size_t cur_off, cur_line, cur_line_start, cur_col;   /* position() */
	tok *toks;
	size_t ntoks, atoks;
	open_block *stack;
	size_t nstack, astack;
	const pops_template_options *opts;
} cstate;

#define UNIT(cs) (&(cs)->t->units[(cs)->ui])
#define MAX_ARGS 16

typedef struct arg {
	tpl_expr e;
	const char *key;   /* hash key or NULL */
	size_t keylen;
} arg;

#define grow pops_template__grow
#define pool_span pops_template__pool_span
#define add_seg pops_template__add_seg
#define parse_args pops_template__parse_args
#define store_args pops_template__store_args
#define cerr pops_template__cerr
#define trim_span pops_template__trim_span
#define is_ws pops_template__is_ws
#define position pops_template__position

int pops_template__grow(void *pp, size_t *alloc, size_t n, size_t elem);
void pops_template__position(cstate *cs, size_t off, uint32_t *line, uint32_t *col);
int pops_template__cerr(cstate *cs, uint32_t line, uint32_t col, const char *fmt, ...)
	POPS_PRINTF(4, 5);
void pops_template__trim_span(const char *s, uint32_t *start, uint32_t *len);
int pops_template__is_ws(int c);
int pops_template__pool_span(cstate *cs, tpl_span *sp, const char *p, size_t n);
int pops_template__add_seg(cstate *cs, tpl_expr *e, const char *p, size_t n, int *first);
/* positional arguments and key=value pairs of a Handlebars tag */
int pops_template__parse_args(cstate *cs, const tok *t, const char *p, const char *end,
                              arg *args, size_t *nargs);
/* append positional args (after the first `skip`) then hash pairs to op */
int pops_template__store_args(cstate *cs, tpl_op *op, const arg *args, size_t nargs, size_t skip);
/* pass 1: tokens (delimiter changes applied); pass 2: standalone lines and ~ */
int pops_template__tokenize(cstate *cs);
void pops_template__whitespace(cstate *cs);

/* compile one unit's source (template_compile.c) */
int pops_template__compile_unit(pops_template *t, size_t ui, const char *src,
                                size_t len, unsigned first_line, unsigned first_col,
                                const pops_template_options *opts);

/* ---- values as text (template_value.c) ---- */

/* pops_buf_put without the call when the bytes fit (the render hot path) */
static inline void pops_template__out_put(pops_buf *b, const char *p, size_t n)
{
	if (b->asize && b->size + n < b->asize && (!b->limit || b->size + n <= b->limit)) {
		memcpy(b->ptr + b->size, p, n);
		b->size += n;
		b->ptr[b->size] = '\0';
	} else {
		pops_buf_put(b, p, n);
	}
}

/* JavaScript-style number text */
int pops_template__put_number(pops_buf *out, double d);
/* n bytes of s with & < > " ' as HTML entities (Mustache escaping) */
void pops_template__put_escaped(pops_buf *out, const char *s, size_t n);
/* String(v) as a template prints it: null/undefined as nothing, arrays
 * joined with ",", objects as "[object Object]" */
void pops_template__put_js(pops_buf *out, const cJSON *v, int top, int depth);
/* a JSON string literal of n bytes of s */
void pops_template__json_string(pops_buf *out, const char *s, size_t n);

#endif
