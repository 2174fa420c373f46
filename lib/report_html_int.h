#ifndef POPS_REPORT_HTML_INT_H
#define POPS_REPORT_HTML_INT_H
/*
 * Internal to the HTML report (lib/report_html*.c): the pieces one
 * writer's files share. Everything appended is HTML: text from the data
 * goes through pops_html__text/attr and nothing else.
 */
#include <stdio.h>
#include <cjson/cJSON.h>
#include "buf.h"

/* outputs longer than this many bytes are collapsed in a <details> */
#define POPS_HTML_COLLAPSE 4096

/* `s` (NULL = nothing) as element text or a double-quoted attribute value */
void pops_html__text(pops_buf *b, const char *s);
void pops_html__attr(pops_buf *b, const char *s);
/* a JSON value printed compactly, as text (NULL = nothing); oom shows in `b` */
void pops_html__json(pops_buf *b, const cJSON *v);

/*
 * A case row's id: `suite` (the short suite name) "/" the case id, with
 * "~<repeat>" when `repeat` > 1 (counted from 1: a record's "repeat"
 * counts from 0, so its second run is "~2"); bytes outside the safe set
 * percent-encoded, so the result is both the id attribute and the
 * fragment, with nothing left to escape.
 */
void pops_html__frag(pops_buf *b, const char *suite, const char *id, int repeat);

/*
 * One case record's result: with `numbers`, a line with status, latency,
 * cost and tokens first (the matrix's cells; the single-model table has
 * columns for them). Then error or why it failed, the baseline's result
 * (its status, a flip marked, its score, a note when its output is not
 * known), conversation turns,
 * the output (collapsed past POPS_HTML_COLLAPSE), a word diff against
 * `base` (NULL = none; `base_name` says what it is) when they differ (open
 * when `base` is the record's baseline output and the case flipped),
 * assertions with reasons and judges, tool calls, label, vars, meta.
 */
void pops_html__result(pops_buf *b, const cJSON *rec, int numbers, const char *base,
                       const char *base_name);

/*
 * The baseline's output for `rec`: its "baseline" object's (a --baseline
 * run), else the one a pairwise assertion compared with; or NULL.
 */
const char *pops_html__baseline_output(const cJSON *rec);

/* 1 when `rec`'s "baseline" status was pass and it is fail now, or the other way */
int pops_html__baseline_flip(const cJSON *rec);

/*
 * Word-level diff of `a` (old) to `b2` (new): common words as text,
 * removed in <del>, added in <ins>. Texts too long to diff in bounded
 * time and memory get a note instead.
 */
void pops_html__diff(pops_buf *b, const char *a, const char *b2);

/* inline SVG: the pass rate with its Wilson interval, the threshold marked (< 0: none) */
void pops_html__wilson(pops_buf *b, double rate, double lo, double hi, double threshold);

/*
 * Inline SVG: a histogram of the latency_ms of the records of `spool`
 * (streamed twice, rewound). 0 or POPS_ERROR (damaged spool, memory).
 */
int pops_html__histogram(pops_buf *b, FILE *spool);

/* the tables of a summary's "classification" (metrics, confusion matrix) */
void pops_html__classification(pops_buf *b, const cJSON *cls);

/* one trend series (pops_trend_to_json's) as an SVG chart and a table */
void pops_html__trend_series(pops_buf *b, const cJSON *series);

/* <!doctype> to <body>: the policy, the title, the stylesheet */
void pops_html__head(pops_buf *b, const char *title);
/* the script and the end of the document */
void pops_html__tail(pops_buf *b);
#endif
