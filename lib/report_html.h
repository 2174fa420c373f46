#ifndef POPS_REPORT_HTML_H
#define POPS_REPORT_HTML_H
#include <cjson/cJSON.h>
#include "report.h"
/*
 * The HTML report: one self-contained file (inline CSS and JavaScript
 * written here, a Content-Security-Policy that allows no request at all)
 * that reads with JavaScript off: the summary and case tables are plain
 * HTML, the script only filters and sorts rows it finds in the DOM. No
 * report data is ever inside a <script>; everything from the data is
 * HTML-escaped and made valid UTF-8.
 *
 * Per suite and model: pass rate with its Wilson interval as a bar and
 * the threshold marked, counts, cost, tokens, latency p50/p95/p99 and a
 * latency histogram (inline SVG), classification metrics and confusion
 * matrix when a summary has "classification". Per case: status, output
 * (past 4 KB collapsed), assertion results and reasons, jury judges,
 * tool calls, conversation turns, meta, vars. A suite run on several
 * models is a matrix of cases x models with rows whose statuses differ
 * marked as flips, and a word-level diff against the first model's
 * output; a pairwise assertion's baseline output is diffed likewise.
 * Each case row has the id "<suite>/<case id>" (suite: the file name
 * without directory and extension; "~<repeat>" after a repeat above 1;
 * bytes outside [A-Za-z0-9._~!$()*+,;=:@/-] percent-encoded), so
 * report.html#summarize/summary-07 links to it.
 *
 * The spools are streamed (a suite on several models keeps an index of
 * record offsets per model, not the records), so memory does not grow
 * with the outputs. 0 or POPS_ERROR; the file is replaced atomically or
 * left as it was; `path` "-" writes to standard output. `complete` = 0
 * marks the report incomplete.
 */
int pops_report_html(const char *path, const pops_report_group *g, size_t n, int complete);

/*
 * The trend report of `pops eval trend --html`: `trend` is
 * pops_trend_to_json's object ({"series":[{"suite","prompt","windows":
 * [{"start","pass_rate","ci_low","ci_high","flags",...}]}]}); one SVG
 * chart per series: pass rate per window with its Wilson band, flagged
 * windows marked, and the same numbers in a table. 0 or POPS_ERROR.
 */
int pops_report_html_trend(const char *path, const cJSON *trend);
#endif
