#ifndef POPS_ASSERTION_H
#define POPS_ASSERTION_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "buf.h"
/*
 * Eval assertions. An assertion is compiled once from its suite or row
 * object (unknown types and keys, bad regexes and missing values are
 * rejected here, with file:line), then checked against many outputs.
 *
 * Types: equals, contains, icontains, starts-with, regex (PCRE2, JIT),
 * each also as not-<type>; contains-any, contains-all, icontains-any,
 * icontains-all (value: a list), contains-json (JSON somewhere in the
 * output, optionally matching a schema), also as not-; is-json,
 * json-schema, json-path (also not-);
 * length (min/max code points); word-count (min/max words);
 * levenshtein (value, threshold = max edits); rouge-n (n-gram recall of
 * value in the output >= threshold: the score is the recall);
 * latency-ms and cost (threshold = ceiling); tool-call (a call to
 * 'name' exists, optionally with 'arguments' equal, matching a JSON
 * Schema 'schema', or 'path' + 'value'), also as not-; tool-calls (the
 * expected calls as 'value', 'order: strict|any'; the score is the F1
 * of precision and recall); is-valid-tool-call (every call, or every
 * call to 'name', names a declared tool and has arguments valid against
 * its parameters schema); assert-set (a group of
 * deterministic assertions under `assert`, scored as one: the weighted
 * mean of their scores, passing at `threshold` or, without one, when
 * every weighted member passes); exec (command argv,
 * output on stdin, exit 0 = pass); judge and pairwise (graded by a model:
 * the runner does those, see lib/judge.h; context-faithfulness and
 * context-recall compile into judges with a shipped rubric that read the
 * case's `context`); similar (also not-: cosine
 * similarity of the output's and the value's embeddings >= threshold,
 * embedded by the runner, see lib/embed.h).
 *
 * String values are templates: {{name}} and {{a.b}} are replaced by the
 * case variables (and {{expected}}) when checked.
 */
typedef enum {
	POPS_ASSERT_EQUALS, POPS_ASSERT_CONTAINS, POPS_ASSERT_ICONTAINS,
	POPS_ASSERT_STARTS_WITH, POPS_ASSERT_REGEX, POPS_ASSERT_IS_JSON,
	POPS_ASSERT_JSON_SCHEMA, POPS_ASSERT_JSON_PATH, POPS_ASSERT_LENGTH,
	POPS_ASSERT_LEVENSHTEIN, POPS_ASSERT_LATENCY, POPS_ASSERT_COST,
	POPS_ASSERT_EXEC, POPS_ASSERT_JUDGE, POPS_ASSERT_PAIRWISE,
	POPS_ASSERT_CONTAINS_ANY, POPS_ASSERT_CONTAINS_ALL, POPS_ASSERT_ICONTAINS_ANY,
	POPS_ASSERT_ICONTAINS_ALL, POPS_ASSERT_CONTAINS_JSON, POPS_ASSERT_ROUGE_N,
	POPS_ASSERT_WORD_COUNT, POPS_ASSERT_TTFT,
	POPS_ASSERT_TOOL_CALL, POPS_ASSERT_TOOL_CALLS, POPS_ASSERT_VALID_TOOL_CALL,
	POPS_ASSERT_SIMILAR, POPS_ASSERT_SET,
	/* RAG presets: compiled into judges (type POPS_ASSERT_JUDGE, `preset` set) */
	POPS_ASSERT_CONTEXT_FAITHFULNESS, POPS_ASSERT_CONTEXT_RECALL
} pops_assert_type;

/* how a jury's verdicts make one (judge `aggregate:`) */
typedef enum {
	POPS_JURY_MAJORITY = 0, POPS_JURY_ALL, POPS_JURY_ANY, POPS_JURY_MEAN
} pops_jury_aggregate;

/* "majority", "all", "any", "mean" */
const char *pops_jury_aggregate_name(int aggregate);

typedef struct pops_assert {
	pops_assert_type type;
	int negate;
	char *name;          /* as written: "not-contains" */
	char *value;         /* string value/template, or NULL */
	int templated;       /* value contains "{{" */
	cJSON *json;         /* equals/json-path: non-string expected; json-schema,
	                      * contains-json: schema; the any/all types: the list */
	char *path;          /* json-path */
	double threshold;    /* levenshtein, latency-ms, cost, rouge-n */
	long min, max;       /* length, word-count; -1 = no bound */
	int n;               /* rouge-n: the n-gram size */
	double weight;       /* share of the case score (default 1; 0 = reported only) */
	char **argv;         /* exec, NULL-terminated */
	long timeout_ms;     /* exec */
	char *model;         /* judge/pairwise: model alias; similar: embeddings alias or NULL */
	char *rubric;        /* judge/pairwise */
	char *prompt;        /* judge: path of a .prompt overriding the built-in one */
	int pass_score;      /* judge: 0 = pass/fail verdict, else 1-5 score >= this */
	int allow_self_judge;
	int conversation;    /* judge: scope: conversation (the judge reads every turn) */
	char **models;       /* judge: a jury (models[0] is `model` too), or NULL */
	size_t nmodels;
	int aggregate;       /* judge jury: a pops_jury_aggregate */
	int scale_max;       /* judge: 0 (verdict or pass_score 1-5), or 5 / 10 for `scale` */
	int self_consistency;/* judge: times asked (1, or 2: the second with the rubric reworded) */
	int preset;          /* judge: a RAG preset (lib/judge.h POPS_PRESET_*), 0 = none */
	struct pops_assert **set;  /* assert-set: its members */
	size_t nset;
	int has_threshold;   /* assert-set: `threshold` given */
	int require_win;     /* pairwise: only a win passes (default: win or tie) */
	void *tool;          /* the tool-call types' own state (lib/assertion_tools.c) */
	void *re;            /* compiled pcre2_code when not templated */
	void *md;            /* its match data */
	char *file;
	unsigned line;
} pops_assert;

/*
 * Compile one assertion object. `file`/`line` locate it for messages.
 * Returns 0 and an assertion freed with pops_assert_free(), or
 * POPS_EINVALID ("file:line: unknown assertion type 'containz' (did you
 * mean 'contains'?)", "file:line: invalid regex '(': missing closing
 * parenthesis at offset 1").
 */
int pops_assert_compile(pops_assert **out, const cJSON *node, const char *file,
                        unsigned line);
void pops_assert_free(pops_assert *a);

/* 1 for judge and pairwise: checked with a model call by the runner */
int pops_assert_needs_model(const pops_assert *a);

/* similar's default threshold (cosine similarity) */
#define POPS_SIMILAR_THRESHOLD 0.8

/* 1 for similar / not-similar: the runner's similar pass embeds and checks them */
int pops_assert_needs_embeddings(const pops_assert *a);

/*
 * The model calls one check of `a` makes: pairwise 2 (both orders), a
 * judge one per jury judge times self_consistency, else 0.
 */
int pops_assert_judge_requests(const pops_assert *a);

typedef struct pops_assert_input {
	const char *output;
	size_t len;
	const cJSON *scope;   /* case vars + expected, for templates; may be NULL */
	double latency_ms;    /* < 0 unknown (a Batch API answer): latency-ms is an error */
	double cost_usd;      /* < 0 when unpriced */
	const char *case_id;  /* exec: POPS_CASE_ID */
	const char *cwd;      /* exec: where the command runs (the project root); NULL = here */
	double ttft_ms;       /* a streamed reply's time to first token; < 0 not streamed */
	const cJSON *tool_calls; /* the reply's tool calls [{"name","arguments"}]; NULL none */
	const cJSON *tools;   /* the prompt's tool definitions (lib/tools.h); NULL none */
} pops_assert_input;

typedef struct pops_assert_result {
	int pass;
	int error;           /* could not be checked: counts as an error, not a failure */
	double score;        /* 0..1: 1 or 0 as it passes, rouge-n its recall */
	pops_buf reason;     /* one line, for failures and errors (rouge-n: always, the score) */
} pops_assert_result;

#define POPS_ASSERT_RESULT_INIT { 0, 0, 0.0, POPS_BUF_INIT }

/*
 * Settle a similar (negate: not-similar) result from the cosine
 * similarity of the output's and `value`'s embeddings: pass, score (the
 * similarity for similar, 1/0 for not-similar) and the reason, always
 * ("cosine similarity 0.42 to 'x', below the threshold 0.8"). 0 or
 * POPS_ERROR.
 */
int pops_assert_similar_result(pops_assert_result *res, int negate, double threshold,
                               const char *value, double cosine);

/*
 * Check a deterministic assertion (not judge/pairwise). Always fills
 * `res` (reason replaced); returns 0, or POPS_ERROR on out of memory.
 */
int pops_assert_check(pops_assert_result *res, const pops_assert *a,
                      const pops_assert_input *in);

/*
 * exec assertions one by one, for a loop that runs many at once
 * (lib/assertion_exec.c). start: spawn a->argv in in->cwd with the
 * output on stdin and POPS_CASE_ID, POPS_VARS_FILE (and POPS_VARS when
 * small) in the environment; 0 with *out set (a program that cannot
 * start is a result, given by finish), or POPS_ERROR. wait_fds: the
 * descriptors to poll (0 while not finished: step again soon). step: 1
 * when it has ended, 0 not yet. timeout_ms: the assertion's. finish:
 * fill `res` (timed_out: kill it, an error result); 0 or POPS_ERROR.
 * free: kill if running, remove the vars file. run: all of it,
 * synchronously (pops_assert_check does that).
 */
typedef struct pops_assert_exec pops_assert_exec;
int pops_assert_exec_start(pops_assert_exec **out, const pops_assert *a,
                           const pops_assert_input *in);
size_t pops_assert_exec_wait_fds(const pops_assert_exec *ax, int *fds, short *events, size_t max);
int pops_assert_exec_step(pops_assert_exec *ax);
long pops_assert_exec_timeout_ms(const pops_assert_exec *ax);
int pops_assert_exec_finish(pops_assert_result *res, pops_assert_exec *ax, int timed_out);
void pops_assert_exec_free(pops_assert_exec *ax);
int pops_assert_exec_run(pops_assert_result *res, const pops_assert *a,
                         const pops_assert_input *in);

/*
 * Expand {{var}} / {{a.b}} in `tmpl` from `scope` into `out` (appended).
 * Strings are inserted as is, other values as compact JSON, missing
 * names as nothing. 0 or POPS_ERROR.
 */
int pops_assert_expand(pops_buf *out, const char *tmpl, const cJSON *scope);

/*
 * Would `a`'s value work for a row with this `scope`? Every {{name}} it
 * reads must be in the scope (a missing one would expand to nothing, and
 * 'contains' of nothing always passes), and a templated regex must
 * compile once expanded. 0, or POPS_EINVALID naming the assertion's
 * file:line (the caller adds the row's). Sends nothing, runs nothing.
 */
int pops_assert_check_scope(const pops_assert *a, const cJSON *scope);

/*
 * Make `reason` one line, in place: newline, carriage return and tab
 * become the escapes \n, \r, \t, and other control characters \xNN, so
 * a schema path, a value or a judge's reasoning cannot break a report
 * line or drive the terminal. 0 or POPS_ERROR (out of memory).
 */
int pops_assert_one_line(pops_buf *reason);

/* Is `type` a known assertion type name (including not- forms)? */
int pops_assert_type_known(const char *type);
#endif
