#ifndef POPS_DEFAULTS_H
#define POPS_DEFAULTS_H

/*
 * Tunables in one place. Limits exist so that hostile or broken input
 * produces an error instead of exhausting memory or time.
 */

/* YAML loader: applies to pops.yaml, suites, frontmatter, datasets */
#define POPS_YAML_MAX_DEPTH        64
#define POPS_YAML_MAX_ALIAS_NODES  100000   /* nodes created by alias expansion */
#define POPS_YAML_MAX_BYTES        (16u * 1024 * 1024)

/* files pops reads whole (pops.yaml, suites, prompts) */
#define POPS_CONFIG_MAX_BYTES      (4u * 1024 * 1024)
#define POPS_PROMPT_MAX_BYTES      (8u * 1024 * 1024)

/* template engine: limits that turn hostile templates into errors */
#define POPS_TEMPLATE_MAX_PARTIALS      128   /* distinct (partial, indentation) units */
#define POPS_TEMPLATE_MAX_DEPTH         256   /* nested blocks and context frames */
#define POPS_TEMPLATE_MAX_PARTIAL_DEPTH 32    /* partials rendering partials */
#define POPS_TEMPLATE_MAX_STEPS         10000000ul  /* instructions per render */
#define POPS_RENDER_MAX_BYTES      (16u * 1024 * 1024)   /* one rendered prompt */

/*
 * datasets (lib/dataset): one JSONL line or CSV record. Its variables are
 * rendered into a prompt, which is capped at POPS_RENDER_MAX_BYTES, so a
 * longer row could never be sent; 16 MB still holds a long document or a
 * base64 image of ~12 MB. Checked while reading: memory stays bounded.
 */
#define POPS_DATASET_MAX_ROW_BYTES (16u * 1024 * 1024)
/* JSON values in one row: cJSON spends ~64 bytes per value and a row is
 * copied a few times on its way to a prompt, so this bounds the tree
 * (a 16 MB line of `[0,0,...]` would be 8M nodes, 512 MB per copy) */
#define POPS_DATASET_MAX_VALUES    100000u
/* CSV columns: each is a template variable in every row */
#define POPS_DATASET_MAX_COLUMNS   10000u

/* version cache file ($GIT_COMMON_DIR/pops/versions/): larger is ignored */
#define POPS_VERSION_CACHE_MAX_BYTES (64u * 1024 * 1024)

/* version walk: path depth whose tree look-ups are remembered */
#define POPS_WALK_MEMO_DEPTH       16

/* git's commit-graph file read by the version walk; larger is not used */
#define POPS_COMMIT_GRAPH_MAX_BYTES (256u * 1024 * 1024)

/* prompt diff --word: largest token grid aligned word by word */
#define POPS_DIFF_WORD_MAX_CELLS   (4u * 1024 * 1024)

/* command line */
#define POPS_SUGGEST_MAX_DISTANCE  2

/* releases and evidence notes: compare-and-swap ref updates */
#define POPS_CAS_MAX_ATTEMPTS      50       /* retries after a lost race */
#define POPS_CAS_BACKOFF_MS        2        /* first backoff; doubles, capped at 64x */
#define POPS_CAS_RETRY_MS          120000   /* pops_casref_retry: give up after this long */
#define POPS_CAS_RETRY_MAX_SLEEP_MS 100     /* its backoff cap (full jitter below it) */
#define POPS_CAS_STALE_LOCK_S      5        /* a ref lock this old is left over, not held */
#define POPS_NOTE_MAX_BYTES        (64u * 1024 * 1024)

/* providers and the HTTP engine (lib/provider*, lib/http) */
#define POPS_PROVIDER_CONCURRENCY    8
#define POPS_PROVIDER_RETRIES        4
#define POPS_PROVIDER_RETRY_BASE_MS  500
#define POPS_PROVIDER_RETRY_MAX_MS   60000
#define POPS_PROVIDER_TIMEOUT_MS     120000
#define POPS_PROVIDER_MAX_BODY       (16u * 1024 * 1024)
#define POPS_EXEC_MAX_OUTPUT         (16u * 1024 * 1024)
#define POPS_CASSETTE_MAX_BYTES      (256u * 1024 * 1024)
/* pacing by x-ratelimit-remaining-tokens: the reply tokens a request is assumed to use */
#define POPS_HTTP_OUTPUT_TOKENS_GUESS 256
/*
 * exec assertions: POPS_VARS (the case's vars in the environment, kept
 * for older scripts) only up to this size; POPS_VARS_FILE always. Linux
 * refuses one environment string over 128 KiB (E2BIG), and the whole
 * environment shares ARG_MAX.
 */
#define POPS_EXEC_VARS_ENV_MAX       (32u * 1024)
/*
 * Until a provider has answered once, a request that cannot connect to it
 * (refused, DNS, TLS) is retried this many times, not POPS_PROVIDER_RETRIES:
 * a provider that is down should stop the run in seconds (lib/provider.c),
 * and one that is up answers the first retry.
 */
#define POPS_PROVIDER_DOWN_RETRIES   1

#endif
