#ifndef POPS_POPS_H
#define POPS_POPS_H

/*
 * Every public header of lib/, for code that uses pops as a library (the
 * unit tests, a future runtime): include this instead of guessing which
 * module declares what. Headers ending in _int.h are internal to their
 * module and are deliberately not here; docs/architecture.md describes
 * the modules and their contracts.
 */

#include "assertion.h"
#include "buf.h"
#include "cache.h"
#include "casref.h"
#include "closure.h"
#include "config.h"
#include "configedit.h"
#include "confine.h"
#include "curlapi.h"
#include "dataset.h"
#include "defaults.h"
#include "error.h"
#include "eval_batch.h"
#include "eval_flips.h"
#include "eval_merge.h"
#include "eval_prompt.h"
#include "eval_run.h"
#include "evidence.h"
#include "exec.h"
#include "export.h"
#include "fileio.h"
#include "fingerprint.h"
#include "git.h"
#include "http.h"
#include "http_trace.h"
#include "import.h"
#include "jsonget.h"
#include "jsonschema.h"
#include "judge.h"
#include "models.h"
#include "pairwise.h"
#include "partialfile.h"
#include "picoschema.h"
#include "project.h"
#include "promote.h"
#include "prompt_commit.h"
#include "promptfile.h"
#include "provider.h"
#include "release.h"
#include "repo.h"
#include "report.h"
#include "rollout.h"
#include "sha256.h"
#include "shape.h"
#include "stats.h"
#include "strutil.h"
#include "suite.h"
#include "sync.h"
#include "template.h"
#include "wire.h"
#include "yamldoc.h"

#endif
