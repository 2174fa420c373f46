#!/usr/bin/env python3
"""Check a pops HTML report in headless chromium (tests/cli/t0750, bench/).

  report_check.py summary REPORT.html REPORT.json   numbers equal the JSON's
  report_check.py nojs REPORT.html REPORT.json      readable with scripts off
  report_check.py filter REPORT.html REPORT.json STATUS  filter shows exactly those
  report_check.py text REPORT.html REPORT.json TEXT  the text filter shows exactly those
  report_check.py flips REPORT.html REPORT.json     filter flip shows the baseline's flips
  report_check.py sort REPORT.html latency|cost     rows sorted, highest first
  report_check.py fragment REPORT.html FRAGMENT     the case is the target, in view
  report_check.py quiet REPORT.html                 no request, no dialog
  report_check.py dialog-probe FILE.html            the dialog detector sees an alert
  report_check.py timing REPORT.html                {"load_ms","first_frame_ms","bytes","rows"}
  report_check.py screenshot REPORT.html OUT.png

Prints "ok: ..." and exits 0, or prints what differs and exits 1.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~!$()*+,;=:@/-")


def enc(s):
    return "".join(chr(c) if c in SAFE else "%%%02X" % c for c in s.encode())


def short(suite):
    base = suite.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base[1:] else base


def frag(suite, rec):
    f = enc(short(suite)) + "/" + enc(rec["id"])
    # records count repeats from 0; the fragment counts runs from 1
    run = rec.get("repeat", 0) + 1
    return f + ("~%d" % run if run > 1 else "")


def url(path):
    return "file://" + os.path.abspath(path)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_summary(b, html, report):
    b.load(url(html))
    rows = b.eval("""Array.from(document.querySelectorAll('#summary tr.group')).map(r => {
        const o = {suite: r.dataset.suite, model: r.dataset.model};
        r.querySelectorAll('td[data-k][data-v]').forEach(c => o[c.dataset.k] = parseFloat(c.dataset.v));
        return o; })""")
    if len(rows) != len(report["summary"]):
        fail("%d summary rows, the JSON has %d" % (len(rows), len(report["summary"])))
    for s in report["summary"]:
        got = [r for r in rows if r["suite"] == s["suite"] and r["model"] == s["model"]]
        if len(got) != 1:
            fail("no one row for %s on %s" % (s["suite"], s["model"]))
        for k in ("pass_rate", "cases", "passed", "failed", "errors", "cached", "cost_usd",
                  "latency_p50", "latency_p95", "latency_p99"):
            want = s.get(k) if s.get(k) is not None else (None if k == "cost_usd" else 0)
            have = got[0].get(k)
            if want is None and have is None:
                continue
            if have is None or want is None or abs(have - want) > 1e-9 * max(1, abs(want)):
                fail("%s on %s: %s is %r in the page, %r in the JSON" % (s["suite"], s["model"], k, have, want))
    print("ok: %d summary rows equal the JSON report's" % len(rows))


def check_nojs(b, html, report):
    b.call("Emulation.setScriptExecutionDisabled", {"value": True})
    b.load(url(html))
    st = b.eval("""({rows: document.querySelectorAll('#summary tr.group').length,
        cases: document.querySelectorAll('div.case').length,
        hidden: document.getElementById('controls').hidden,
        summary_alone: !document.querySelector('#summary .case, #summary #controls'),
        summary_first: !!(document.querySelector('#summary table').compareDocumentPosition(
            document.getElementById('controls')) & Node.DOCUMENT_POSITION_FOLLOWING),
        shown: document.getElementById('f-shown').textContent})""")
    # one row per case and repeat; a suite on several models has one row for all of them
    cases = len({frag(c["suite"], c) for c in report["cases"]})
    if st["rows"] != len(report["summary"]) or st["cases"] != cases:
        fail("with scripts off: %r, the JSON has %d groups and %d cases" %
             (st, len(report["summary"]), cases))
    if not st["summary_alone"] or not st["summary_first"]:
        fail("the summary table does not stand alone before the cases: %r" % st)
    if not st["hidden"] or st["shown"]:
        fail("with scripts off the controls show: %r" % st)
    print("ok: with scripts off, %d summary rows and %d case rows" % (st["rows"], st["cases"]))


def check_filter(b, html, report, status):
    b.load(url(html))
    visible = b.eval("""(() => { const s = document.getElementById('f-status');
        s.value = %s; s.dispatchEvent(new Event('change'));
        return Array.from(document.querySelectorAll('div.case')).filter(r => !r.hidden &&
            r.offsetParent !== null).map(r => r.id); })()""" % json.dumps(status))
    want = sorted({frag(c["suite"], c) for c in report["cases"] if c["status"] == status})
    if sorted(visible) != want:
        fail("filter %s shows %r, the failing cases are %r" % (status, sorted(visible), want))
    print("ok: filter %s shows exactly the %d %s cases" % (status, len(want), status))


def check_flips(b, html, report):
    b.load(url(html))
    visible = b.eval("""(() => { const s = document.getElementById('f-status');
        s.value = 'flip'; s.dispatchEvent(new Event('change'));
        return Array.from(document.querySelectorAll('div.case')).filter(r => !r.hidden &&
            r.offsetParent !== null).map(r => r.id); })()""")
    want = sorted({frag(s["suite"], f) for s in report["summary"]
                   for f in (s.get("baseline") or {}).get("flips", [])})
    if not want or sorted(visible) != want:
        fail("filter flip shows %r, the baseline's flips are %r" % (sorted(visible), want))
    print("ok: filter flip shows exactly the %d flips against the baseline" % len(want))


def check_text(b, html, report, text):
    b.load(url(html))
    visible = b.eval("""(async () => { const t = document.getElementById('f-text');
        t.value = %s; t.dispatchEvent(new Event('input'));
        await new Promise(r => setTimeout(r, 400));
        return Array.from(document.querySelectorAll('div.case')).filter(r => !r.hidden).map(r => r.id); })()"""
                     % json.dumps(text))
    want = sorted({frag(c["suite"], c) for c in report["cases"]
                   if text.lower() in json.dumps(c.get("vars", {})).lower() + (c.get("output") or "").lower()})
    if sorted(visible) != want:
        fail("text %r shows %r, the cases holding it are %r" % (text, sorted(visible), want))
    print("ok: text %r shows exactly the %d cases holding it" % (text, len(want)))


def check_sort(b, html, key):
    b.load(url(html))
    lat = b.eval("""(() => { const s = document.getElementById('f-sort');
        s.value = 'data-' + %s; s.dispatchEvent(new Event('change'));
        return Array.from(document.querySelectorAll('.cases > .body')).map(tb =>
            Array.from(tb.children).map(r => parseFloat(r.getAttribute(s.value)))); })()"""
                  % json.dumps(key))
    for rows in lat:
        if rows != sorted(rows, reverse=True):
            fail("sorted by %s, a table reads %r" % (key, rows))
    print("ok: every table sorted by %s, highest first" % key)


def check_fragment(b, html, fragment):
    b.load(url(html) + "#" + fragment)
    st = b.eval("""(() => { const e = document.getElementById(%s);
        if (!e) return null; const r = e.getBoundingClientRect();
        return {target: e.matches(':target'), top: r.top, bottom: r.bottom,
                h: window.innerHeight, y: window.scrollY}; })()""" % json.dumps(fragment))
    if not st:
        fail("no element with id %s" % fragment)
    if not st["target"] or st["bottom"] < 0 or st["top"] > st["h"]:
        fail("the case is not the target in view: %r" % st)
    print("ok: #%s is the :target, in the viewport (scrolled to %d)" % (fragment, st["y"]))


def check_quiet(b, html):
    page = url(html)
    b.load(page)
    b.eval("new Promise(r => setTimeout(r, 300))")
    others = [u for u in b.requests if u.split("#")[0] != page]
    if others:
        fail("requests made: %r" % others)
    if b.dialogs:
        fail("dialogs opened: %r" % b.dialogs)
    print("ok: no request and no dialog (%d document load)" % (len(b.requests)))


def main():
    cmd, html = sys.argv[1], sys.argv[2]
    report = None
    if cmd in ("summary", "nojs", "filter", "text", "flips"):
        with open(sys.argv[3]) as f:
            report = json.load(f)
    with Browser() as b:
        if cmd == "summary":
            check_summary(b, html, report)
        elif cmd == "nojs":
            check_nojs(b, html, report)
        elif cmd == "filter":
            check_filter(b, html, report, sys.argv[4])
        elif cmd == "flips":
            check_flips(b, html, report)
        elif cmd == "text":
            check_text(b, html, report, sys.argv[4])
        elif cmd == "sort":
            check_sort(b, html, sys.argv[3])
        elif cmd == "fragment":
            check_fragment(b, html, sys.argv[3])
        elif cmd == "quiet":
            check_quiet(b, html)
        elif cmd == "dialog-probe":
            b.load(url(html))
            if not b.dialogs:
                b.eval("new Promise(r => setTimeout(r, 300))")
            if not b.dialogs:
                fail("the probe page's alert was not seen")
            print("ok: the dialog detector saw %r" % b.dialogs)
        elif cmd == "timing":
            load = b.load(url(html))
            # the first frame drawn after the load event, from the navigation's start
            frame = b.eval("""new Promise(r => requestAnimationFrame(() =>
                requestAnimationFrame(() => r(performance.now()))))""")
            print(json.dumps({"load_ms": round(load), "first_frame_ms": round(frame),
                              "bytes": os.path.getsize(html),
                              "rows": b.eval("document.querySelectorAll('div.case').length")}))
        elif cmd == "screenshot":
            b.load(url(html))
            b.screenshot(sys.argv[3])
            print("ok: %s" % sys.argv[3])
        else:
            fail("unknown check %s" % cmd)


if __name__ == "__main__":
    main()
