"""Python binding throughput (issue 19): get + render of every prompt of
a bundle, round robin, from one Python thread.

  python3 bench/runtime_py.py BUNDLE [SECONDS]

Prints one line per loop: calls per second and microseconds per call,
the process's CPU time (the machine is shared). Loops: get + render_json
(the JSON text, what an application sends on), get + render (the text
parsed into a dict by json.loads), get + render_json with the variables
already JSON bytes (what the library call costs without json.dumps), and
get alone."""

import json
import sys
import time

import pops_runtime

VARS = {
    "summarize": {"text": "Q3 revenue rose 4% on cloud sales; the Berlin office opens in May.",
                  "audience": "the sales team"},
    "support/triage": {"subject": "Charged twice", "body": "My card was charged twice for March.",
                       "customer_tier": "pro"},
    "extract_invoice": {"document": "Invoice INV-2291 from Acme GmbH, total EUR 1,204.00, due 2026-12-31"},
}


def loop(rt, work, seconds, what):
    n = 0
    c0, w0 = time.process_time(), time.perf_counter()
    deadline = w0 + seconds
    while True:
        for name, variables, key in work:
            what(rt, name, variables, key)
        n += len(work)
        if time.perf_counter() >= deadline:
            break
    return n, time.process_time() - c0, time.perf_counter() - w0


def get_render_json(rt, name, variables, key):
    rt.get(name, key=key).render_json(variables)


def get_render(rt, name, variables, key):
    rt.get(name, key=key).render(variables)


def get_render_text(rt, name, variables, key):
    rt.get(name, key=key).render_json(variables)


def get_only(rt, name, variables, key):
    rt.get(name, key=key)


def main():
    bundle = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    with pops_runtime.Runtime(bundle) as rt:
        work = [(name, v, "user-%d" % i) for i, (name, v) in enumerate(sorted(VARS.items()))] * 10
        for name, variables, key in work[:3]:
            assert rt.get(name, key=key).render(variables)["messages"], name
        print("library %s (%s), python %s" % (pops_runtime.version(), pops_runtime.library_path(),
                                              sys.version.split()[0]))
        text = [(name, json.dumps(v).encode(), key) for name, v, key in work]
        for label, fn, w in (("get+render_json", get_render_json, work),
                             ("get+render (dict)", get_render, work),
                             ("get+render_json(b)", get_render_text, text),
                             ("get", get_only, work)):
            loop(rt, w, 0.3, fn)  # warm up
            n, cpu, wall = loop(rt, w, seconds, fn)
            print("%-18s %9.0f /s  %6.2f us/call  (%d calls, %.2f s CPU, %.2f s wall)"
                  % (label, n / cpu, 1e6 * cpu / n, n, cpu, wall))


if __name__ == "__main__":
    main()
