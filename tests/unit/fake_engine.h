#ifndef POPS_TEST_FAKE_ENGINE_H
#define POPS_TEST_FAKE_ENGINE_H
/*
 * An in-process provider engine for runner tests: replies are a function
 * of the request ("echo: <text>"; judges answer by whether the text holds
 * "good", or with prose for "prose"; "boom" is a provider error).
 */
#include <signal.h>
#include "eval_run.h"

extern char fe_dir[];               /* project dir with p.prompt and d.jsonl */
extern pops_config *fe_cfg;
extern volatile sig_atomic_t fe_cancel;
extern int fe_cancel_after;         /* set fe_cancel after this many results */
extern size_t fe_calls;             /* requests the engine received */

void fe_setup(void);
void fe_put(const char *name, const char *text);
pops_eval_options fe_opts(void);
int fe_engine(const pops_provider_options *o, pops_provider_next_fn next,
              pops_provider_done_fn done, void *payload);
int fe_run_suite(pops_eval_group **g, const char *suite_yaml, pops_eval_options *o);
char *fe_suite_text(const char *rest);
double fe_num(const cJSON *o, const char *k);
#endif
