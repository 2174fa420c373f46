#!/usr/bin/env python3
"""Run a CI recipe's job the way its CI system would, in the current
directory (a checkout), for tests/cli/t0045-ci-recipes.sh.

  lib-ci.py github WORKFLOW.json JOB ARTIFACTS README DEPS [key=value...]
  lib-ci.py gitlab CI.json JOB README DEPS

WORKFLOW.json is the recipe as pops itself parses YAML (the test renders
`{{json this}}` with --vars RECIPE), so nothing here parses YAML. key=value
are matrix values. ARTIFACTS is a directory that stands in for the
artifact store between jobs. README is README.md, DEPS the package list
`make print-deps` prints.

GitHub: workflow and job `env`, `${{ }}` expressions (matrix, secrets,
github.*), step `if:` (success(), always(), failure() and the
conditions the recipes use), `run:` steps under `bash -e -o pipefail`
with the step's env, $GITHUB_PATH, $GITHUB_STEP_SUMMARY and $RUNNER_TEMP,
and a `gh` on PATH whose `gh api` keeps the pull request's comments in
github-comments.json beside ARTIFACTS (list, create, edit; --jq by jq);
`uses:` steps of checkout and cache do nothing (the directory is the
checkout), upload/download-artifact copy through ARTIFACTS, test-reporter
requires its JUnit file to be well-formed XML. GitLab: the job's
variables and before_script (or default's) and script, as one `sh -e`.

Install steps are not run (the pops under test is already first on
PATH) but checked: they must install the way README.md "Install" says
for CI (the same clone, checkout and make install shapes) and apt-get
only packages `make deps` knows. Anything else the emulation does not
know (an expression, an action, a condition) fails the run, so a recipe
cannot drift out of what is tested. Exit status: 0 when the job
succeeded, 1 when a step failed, 2 for a recipe this cannot run.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import xml.dom.minidom

KEY = "sk-test-not-a-real-key"


class Unknown(Exception):
    pass


def readme_install(readme):
    """The shapes of README.md's CI install: clone, checkout, make install."""
    text = open(readme, encoding="utf-8").read()
    m = re.search(r"^## Install\n(.*?)^## ", text, re.S | re.M)
    if not m:
        raise Unknown("README.md has no '## Install' section")
    return install_shapes(m.group(1).replace("\\\n", " "), "README.md")


def install_shapes(text, where):
    clone = re.search(r'git clone -q "\$POPS_GIT" (\S+)', text)
    if not clone:
        raise Unknown("%s: no 'git clone -q \"$POPS_GIT\" DIR'" % where)
    src = re.escape(clone.group(1))
    if not re.search(r'git -C %s checkout -q "\$POPS_REF"' % src, text):
        raise Unknown("%s: no 'git -C %s checkout -q \"$POPS_REF\"'" % (where, clone.group(1)))
    if not re.search(r"make -C %s -j2 install PREFIX=\S+" % src, text):
        raise Unknown("%s: no 'make -C %s -j2 install PREFIX=...'" % (where, clone.group(1)))
    return {"clone", "checkout", "install"}


def check_install(text, readme, deps, where):
    text = text.replace("\\\n", " ")
    if install_shapes(text, where) != readme_install(readme):
        raise Unknown("%s: not the README's install" % where)
    known = set(open(deps).read().split())
    for m in re.finditer(r"apt-get install ([^\n]*)", text):
        pkgs = [w for w in m.group(1).split() if not w.startswith("-")]
        missing = [p for p in pkgs if p not in known and p not in ("ca-certificates", "git", "curl", "jq")]
        if missing:
            raise Unknown("%s: apt-get installs %s, which make deps does not know" %
                          (where, " ".join(missing)))


# ---- GitHub Actions ----

def gh_context(matrix):
    return {
        "github.workspace": os.getcwd(),
        "github.server_url": "https://github.com",
        "github.run_id": "4242",
        "github.token": "ghs-test-token",
        "github.event.pull_request.number": "1",
        "github.ref": "refs/pull/1/merge",
        "github.event_name": "pull_request",
        "github.repository": "acme/prompts",
        "github.event.pull_request.head.repo.full_name": "acme/prompts",
    }


def gh_value(expr, matrix):
    expr = expr.strip()
    if expr.startswith("matrix."):
        k = expr[len("matrix."):]
        if k not in matrix:
            raise Unknown("no matrix value for %s" % expr)
        return str(matrix[k])
    if expr.startswith("secrets."):
        return KEY
    ctx = gh_context(matrix)
    if expr in ctx:
        return ctx[expr]
    raise Unknown("expression ${{ %s }}" % expr)


def gh_subst(text, matrix):
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: gh_value(m.group(1), matrix), text)


def gh_cond(cond, ok, matrix):
    """The `if:` conditions the recipes use, evaluated; anything else is Unknown."""
    if cond is None:
        return ok
    c = cond.strip()
    if c.startswith("${{") and c.endswith("}}"):
        c = c[3:-2].strip()
    ctx = gh_context(matrix)
    out = []
    for tok in re.findall(r"\(|\)|&&|\|\||!(?!=)|==|!=|'[^']*'|[A-Za-z_][\w.]*\(\)|"
                          r"startsWith\([^)]*\)|[A-Za-z_][\w.-]*", c):
        if tok == "&&":
            out.append(" and ")
        elif tok == "||":
            out.append(" or ")
        elif tok == "!":
            out.append(" not ")
        elif tok in ("==", "!=", "(", ")"):
            out.append(tok)
        elif tok == "success()":
            out.append(repr(ok))
        elif tok == "failure()":
            out.append(repr(not ok))
        elif tok == "always()":
            out.append("True")
        elif tok.startswith("startsWith("):
            a, b = [x.strip() for x in tok[len("startsWith("):-1].split(",", 1)]
            a = ctx.get(a, a)
            out.append(repr(a.startswith(b.strip("'"))))
        elif tok.startswith("'"):
            out.append(repr(tok[1:-1]))
        elif tok in ctx:
            out.append(repr(ctx[tok]))
        else:
            raise Unknown("condition %r: %s" % (cond, tok))
    return bool(eval("".join(out), {"__builtins__": {}}))


def gh_uses(step, artifacts, matrix):
    uses = step["uses"]
    name = uses.split("@")[0]
    # the directory is the checkout, and a cold cache is a valid cache
    if name in ("actions/checkout", "actions/cache"):
        return 0
    w = {k: gh_subst(str(v), matrix) for k, v in (step.get("with") or {}).items()}
    if name == "actions/upload-artifact":
        dest = os.path.join(artifacts, w["name"])
        os.makedirs(dest, exist_ok=True)
        files = glob.glob(w["path"])
        if not files:
            print("upload-artifact: nothing matches %s" % w["path"])
            return 1
        for f in files:
            if os.path.isdir(f):
                shutil.copytree(f, os.path.join(dest, os.path.basename(f)), dirs_exist_ok=True)
            else:
                shutil.copy(f, dest)
        return 0
    if name == "actions/download-artifact":
        if w.get("merge-multiple") != "True":
            raise Unknown("download-artifact without merge-multiple")
        for d in sorted(glob.glob(os.path.join(artifacts, w.get("pattern", "*")))):
            for f in os.listdir(d):
                shutil.copy(os.path.join(d, f), w.get("path", "."))
        return 0
    if name == "dorny/test-reporter":
        try:
            xml.dom.minidom.parse(w["path"])
        except Exception as e:
            print("test-reporter: %s: %s" % (w["path"], e))
            return 1
        return 0
    raise Unknown("action %s" % uses)


# `gh api` as the recipes use it, over a JSON file of the pull request's comments
FAKE_GH = r'''#!/usr/bin/env python3
import json, os, subprocess, sys
state = os.environ["LIBCI_GH_STATE"]
a = sys.argv[1:]
if not a or a[0] != "api" or not os.environ.get("GH_TOKEN"):
    sys.exit("gh: only 'gh api' with GH_TOKEN set is emulated")
method, path, jq, fields, i = "GET", None, None, {}, 1
while i < len(a):
    if a[i] == "-X": method = a[i + 1]; i += 2
    elif a[i] == "--jq": jq = a[i + 1]; i += 2
    elif a[i] == "--paginate": i += 1
    elif a[i] == "-F":
        k, v = a[i + 1].split("=", 1)
        fields[k] = open(v[1:]).read() if v.startswith("@") else v
        i += 2
    elif path is None: path = a[i]; i += 1
    else: sys.exit("gh: unexpected %s" % a[i])
comments = json.load(open(state)) if os.path.exists(state) else []
p = path.split("/")
if method == "GET" and p[-1] == "comments" and p[-3] == "issues":
    out = comments
elif method == "POST" and p[-1] == "comments" and p[-3] == "issues":
    out = {"id": 100 + len(comments), "user": {"login": "github-actions[bot]"},
           "body": fields["body"]}
    comments.append(out)
elif method == "PATCH" and p[-2] == "comments":
    out = [c for c in comments if str(c["id"]) == p[-1]]
    if not out: sys.exit("gh: HTTP 404")
    out = out[0]
    out["body"] = fields["body"]
else:
    sys.exit("gh: %s %s is not emulated" % (method, path))
json.dump(comments, open(state, "w"))
text = json.dumps(out)
if jq is not None:
    text = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True,
                          check=True).stdout
sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
'''


def github(workflow, job, artifacts, readme, deps, matrix):
    wf = json.load(open(workflow))
    j = wf["jobs"][job]
    if "if" in j and not gh_cond(j["if"], True, matrix):
        raise Unknown("job %s would not run on a pull request" % job)
    temp = os.path.abspath(".ci-runner-temp")
    os.makedirs(os.path.join(temp, "bin"), exist_ok=True)
    with open(os.path.join(temp, "bin", "gh"), "w") as f:
        f.write(FAKE_GH)
    os.chmod(os.path.join(temp, "bin", "gh"), 0o755)
    env = dict(os.environ)
    env["PATH"] = os.path.join(temp, "bin") + ":" + env["PATH"]
    env["LIBCI_GH_STATE"] = os.path.join(os.path.dirname(os.path.abspath(artifacts)),
                                         "github-comments.json")
    env.update({"GITHUB_ACTIONS": "true", "CI": "true", "RUNNER_TEMP": temp,
                "GITHUB_WORKSPACE": os.getcwd(),
                "GITHUB_PATH": os.path.join(temp, "path"),
                "GITHUB_STEP_SUMMARY": os.path.join(temp, "summary.md")})
    for scope in (wf.get("env") or {}, j.get("env") or {}):
        env.update({k: gh_subst(str(v), matrix) for k, v in scope.items()})
    ok = True
    for n, step in enumerate(j["steps"]):
        label = gh_subst(step.get("name") or step.get("uses") or "step %d" % n, matrix)
        if not gh_cond(step.get("if"), ok, matrix):
            print("skip  %s" % label)
            continue
        if step.get("name") == "Install pops":
            check_install(step["run"], readme, deps, "%s: %s" % (job, label))
            print("check %s (the pops under test is on PATH)" % label)
            continue
        if "uses" in step:
            code = gh_uses(step, artifacts, matrix)
        else:
            senv = dict(env)
            senv.update({k: gh_subst(str(v), matrix) for k, v in (step.get("env") or {}).items()})
            if os.path.exists(env["GITHUB_PATH"]):
                extra = [l for l in open(env["GITHUB_PATH"]).read().split("\n") if l]
                senv["PATH"] = ":".join(extra[::-1] + [env["PATH"]])
            code = subprocess.call(["bash", "-e", "-o", "pipefail", "-c",
                                    gh_subst(step["run"], matrix)], env=senv)
        print("%s  %s (exit %d)" % ("ok  " if code == 0 else "FAIL", label, code))
        ok = ok and code == 0
    return 0 if ok else 1


# ---- GitLab CI ----

def gitlab(ci, job, readme, deps):
    doc = json.load(open(ci))
    j = doc[job]
    before = j.get("before_script", (doc.get("default") or {}).get("before_script", []))
    env = dict(os.environ)
    env.update({k: str(v) for k, v in (doc.get("variables") or {}).items()})
    env.update({k: str(v) for k, v in (j.get("variables") or {}).items()})
    env.update({"GITLAB_CI": "true", "CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event",
                "OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY})
    lines, install = [], []
    for line in before + j["script"]:
        if re.match(r"(apt-get|git clone|git -C \S+ checkout|make -C \S+ .*install)", line):
            install.append(line)
        elif line.startswith("git remote set-url origin "):
            # the push token's URL: origin stays the test's bare repository
            print("skip  %s" % line)
        else:
            lines.append(line)
    check_install("\n".join(install), readme, deps, "%s: before_script" % job)
    print("check %s: before_script install (the pops under test is on PATH)" % job)
    code = subprocess.call(["sh", "-e", "-c", "\n".join(lines)], env=env)
    print("%s  %s (exit %d)" % ("ok  " if code == 0 else "FAIL", job, code))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    try:
        if len(sys.argv) >= 7 and sys.argv[1] == "github":
            matrix = dict(a.split("=", 1) for a in sys.argv[7:])
            sys.exit(github(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6],
                            matrix))
        if len(sys.argv) == 6 and sys.argv[1] == "gitlab":
            sys.exit(gitlab(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
    except Unknown as e:
        print("lib-ci: cannot run this recipe as written: %s" % e)
        sys.exit(2)
    sys.exit(__doc__)
