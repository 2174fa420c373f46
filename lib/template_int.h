#ifndef POPS_TEMPLATE_INT_H
#define POPS_TEMPLATE_INT_H

/*
 * Internals shared by template_compile.c (source -> instructions) and
 * template.c (instructions -> text). Not a public header.
 */

#include <stdint.h>
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
	uint16_t nseg;
	uint32_t seg;             /* first segment in unit->segs */
	tpl_span str;             /* EX_STR */
	double num;               /* EX_NUM */
} tpl_expr;

typedef struct tpl_hash {
	tpl_span key;
	uint32_t expr;
} tpl_hash;

enum tpl_op_code { OP_TEXT, OP_VAR, OP_BLOCK, OP_ELSE, OP_END, OP_PARTIAL, OP_HELPER };

enum tpl_block_kind {
	BK_SECTION, BK_INVERTED, BK_IF, BK_UNLESS, BK_EACH, BK_WITH, BK_IFEQ, BK_UNLESSEQ
};

enum tpl_helper_kind { H_ROLE, H_HISTORY, H_SECTION, H_MEDIA, H_JSON, H_LOOKUP };

typedef struct tpl_op {
	uint8_t code;
	uint8_t kind;             /* block or helper kind */
	uint8_t escape;           /* OP_VAR: HTML-escape */
	uint32_t a, n;            /* TEXT: pool span; else first arg expr, count */
	uint32_t h, nh;           /* hash pairs */
	uint32_t mid, end;        /* blocks: pc of OP_ELSE (== end if none), OP_END */
	uint32_t line, col;
	int32_t partial;          /* OP_PARTIAL: unit index */
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
};

/* compile one unit's source (template_compile.c) */
int pops_template__compile_unit(pops_template *t, size_t ui, const char *src,
                                size_t len, unsigned first_line, unsigned first_col,
                                const pops_template_options *opts);

/* JavaScript-style number text */
int pops_template__put_number(pops_buf *out, double d);

#endif
