"""Real bundles for the tests: git repositories, the pops binary, pops export.

POPS_BIN: the pops binary (default: the checkout's ./pops). The bundles
are made once per test process under one temporary directory, removed
at exit; a test that changes a bundle works on a copy (copy_bundle).
"""

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
POPS = os.environ.get("POPS_BIN") or os.path.join(ROOT, "pops")
SALT = "4f2a91c0d3b5e6a7"

_tmp = None
_cache = {}


def tmpdir():
    global _tmp
    if _tmp is None:
        _tmp = tempfile.mkdtemp(prefix="pops-python-")
        if os.environ.get("POPS_KEEP_TMP") != "1":
            atexit.register(shutil.rmtree, _tmp, True)
    return _tmp


def _env():
    env = dict(os.environ)
    home = os.path.join(tmpdir(), "home")
    os.makedirs(home, exist_ok=True)
    env.update(HOME=home, GIT_CONFIG_NOSYSTEM="1", GIT_CEILING_DIRECTORIES=tmpdir(),
               LC_ALL="C", GIT_AUTHOR_NAME="Pops Tester", GIT_AUTHOR_EMAIL="tester@example.com",
               GIT_COMMITTER_NAME="Pops Tester", GIT_COMMITTER_EMAIL="tester@example.com")
    for k in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "NO_COLOR"):
        env.pop(k, None)
    return env


def run(argv, cwd, stdin=None, check=True):
    """Run a command; return its CompletedProcess (bytes)."""
    p = subprocess.run(argv, cwd=cwd, env=_env(), input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s" % (" ".join(argv), p.returncode,
                                                    p.stderr.decode("utf-8", "replace")))
    return p


def pops(args, cwd, **kw):
    return run([POPS] + list(args), cwd, **kw)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def blob_id(path):
    """The git blob id of a file (what the manifest records)."""
    with open(path, "rb") as f:
        data = f.read()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


SUMMARIZE_V1 = """---
model: fast
config:
  temperature: 0.2
input:
  schema:
    ticket: string
    tags?(array): string
---
{{role "system"}}
You summarize support tickets. {{> style}}
{{role "user"}}
Summarize: {{ticket}}{{#each tags}} #{{this}}{{/each}}
"""

SUMMARIZE_V2 = SUMMARIZE_V1.replace("Summarize:", "Summarize in one line:")


def project():
    """A repository with support/summarize (partials _style -> _inner) and
    echo (no model), released to dev and exported: (repo, bundle v1)."""
    if "project" in _cache:
        return _cache["project"]
    repo = os.path.join(tmpdir(), "repo")
    os.makedirs(repo)
    run(["git", "init", "-q", "-b", "main", "."], repo)
    pops(["init", "."], repo)
    write(os.path.join(repo, "prompts/support/summarize.prompt"), SUMMARIZE_V1)
    write(os.path.join(repo, "prompts/_style.prompt"), "Be brief. {{> inner}}")
    write(os.path.join(repo, "prompts/_inner.prompt"), "Inner v1.")
    write(os.path.join(repo, "prompts/echo.prompt"), "Echo {{q}}.\n")
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", "prompts"], repo)
    pops(["promote", "dev"], repo)
    v1 = os.path.join(tmpdir(), "bundle-v1")
    pops(["export", "--env", "dev", v1], repo)
    _cache["project"] = (repo, v1)
    return _cache["project"]


def project_v2():
    """The same repository after a second release (summarize@2, _inner
    changed): its export."""
    if "v2" in _cache:
        return _cache["v2"]
    repo, _ = project()
    write(os.path.join(repo, "prompts/support/summarize.prompt"), SUMMARIZE_V2)
    write(os.path.join(repo, "prompts/_inner.prompt"), "Inner v2.")
    run(["git", "commit", "-q", "-am", "summarize v2"], repo)
    pops(["promote", "dev"], repo)
    v2 = os.path.join(tmpdir(), "bundle-v2")
    pops(["export", "--env", "dev", v2], repo)
    _cache["v2"] = v2
    return v2


def copy_bundle(src, name):
    dst = os.path.join(tmpdir(), name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


def _manifest(bundle):
    with open(os.path.join(bundle, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def _entry(manifest, name):
    return next(p for p in manifest["prompts"] if p["name"] == name)


def rollout_bundle(name, percent=10):
    """Bundle v1 with v2 of support/summarize as a canary at `percent`,
    laid out as the contract's schema 3 manifest: canary files under
    @canary/, its partials under @canary/<name>@partials/ (written here
    from the two real exports, since this branch's pops export does not
    write rollouts yet)."""
    v1, v2 = project()[1], project_v2()
    dst = copy_bundle(v1, name)
    m, m2 = _manifest(dst), _manifest(v2)
    stable, new = _entry(m, "support/summarize"), _entry(m2, "support/summarize")
    pfile = "@canary/support/summarize.prompt"
    os.makedirs(os.path.join(dst, "@canary/support/summarize@partials"))
    shutil.copyfile(os.path.join(v2, new["file"]), os.path.join(dst, pfile))
    partials = []
    for part in new["partials"]:
        path = "@canary/support/summarize@partials/" + part["file"]
        shutil.copyfile(os.path.join(v2, part["file"]), os.path.join(dst, path))
        partials.append({"name": part["name"], "file": part["file"], "version": part["version"],
                         "blob": part["blob"], "path": path})
    stable["rollout"] = {
        "percent": percent, "salt": SALT, "since": "2026-12-02T13:00:00Z",
        "canary": {"version": new["version"], "blob": new["blob"], "file": pfile,
                   "partials": partials, "model": new["model"], "evidence": new["evidence"],
                   "source_commit": new["source_commit"], "ledger_commit": new["ledger_commit"]}}
    m["schema_version"] = 3
    with open(os.path.join(dst, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(m, f, indent="\t")
        f.write("\n")
    return dst


def has_canary():
    """This pops can start a rollout (pops promote --canary) and export it."""
    if "canary" not in _cache:
        h = pops(["promote", "-h"], tmpdir(), check=False)
        _cache["canary"] = b"--canary" in h.stdout + h.stderr
    return _cache["canary"]


def real_rollout(percent):
    """A repository whose dev runs a real rollout (pops promote --canary):
    support/summarize@1 stable (partial _inner v1), @2 canary (_inner v2),
    exported by pops export: (repo, bundle)."""
    key = "real-%d" % percent
    if key in _cache:
        return _cache[key]
    repo = os.path.join(tmpdir(), "repo-" + key)
    os.makedirs(repo)
    run(["git", "init", "-q", "-b", "main", "."], repo)
    pops(["init", "."], repo)
    write(os.path.join(repo, "prompts/support/summarize.prompt"), SUMMARIZE_V1)
    write(os.path.join(repo, "prompts/_style.prompt"), "Be brief. {{> inner}}")
    write(os.path.join(repo, "prompts/_inner.prompt"), "Inner v1.")
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", "v1"], repo)
    pops(["promote", "dev"], repo)
    write(os.path.join(repo, "prompts/support/summarize.prompt"), SUMMARIZE_V2)
    write(os.path.join(repo, "prompts/_inner.prompt"), "Inner v2.")
    run(["git", "commit", "-q", "-am", "v2"], repo)
    pops(["promote", "dev", "support/summarize", "--canary", str(percent)], repo)
    bundle = os.path.join(tmpdir(), "bundle-" + key)
    pops(["export", "--env", "dev", bundle], repo)
    _cache[key] = (repo, bundle)
    return _cache[key]


def example():
    """prompts-example released to dev and exported: the bundle."""
    if "example" in _cache:
        return _cache["example"]
    repo = os.path.join(tmpdir(), "example")
    shutil.copytree(os.path.join(ROOT, "prompts-example"), repo)
    run(["git", "init", "-q", "-b", "main", "."], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-q", "-m", "example"], repo)
    pops(["promote", "dev"], repo)
    bundle = os.path.join(tmpdir(), "bundle-example")
    pops(["export", "--env", "dev", bundle], repo)
    _cache["example"] = bundle
    return bundle


def vars_file(variables):
    vf = os.path.join(tmpdir(), "vars.json")
    with open(vf, "w", encoding="utf-8") as f:
        json.dump(variables, f)
    return vf


def pops_render(bundle, file, variables, cwd=None):
    """What `pops render --json BUNDLE/FILE --vars F` prints (bytes)."""
    return pops(["render", "--json", "--vars", vars_file(variables), os.path.join(bundle, file)],
                cwd or tmpdir()).stdout


def manifest_entries(bundle):
    return _manifest(bundle)["prompts"]
