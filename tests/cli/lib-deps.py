#!/usr/bin/env python3
"""Which programs the tests call that a fresh Debian 12 with `make deps`
would not have: argv[1] the tree, argv[2] a file with the package list
`make print-deps` prints. Prints one line per missing program."""
import os, re, subprocess, sys
root, pkgfile = sys.argv[1], sys.argv[2]
wanted = set(open(pkgfile).read().split()) | {"build-essential", "git"}
# what a debootstrap minbase has: the Essential packages
q = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Essential}\t${Depends}\t${Pre-Depends}\t${Priority}\n"],
                   capture_output=True, text=True, check=True).stdout
deps = {}
for line in q.splitlines():
    name, ess, d, pd, prio = (line.split("\t") + ["", "", "", ""])[:5]
    deps[name] = [a.split()[0].split(":")[0] for alt in (d + "," + pd).split(",") if alt.strip()
                  for a in alt.split("|")[:1]]
    if ess == "yes" or prio == "required":
        wanted.add(name)
# and what those depend on
todo, have = list(wanted), set()
while todo:
    p = todo.pop()
    if p in have:
        continue
    have.add(p)
    todo.extend(deps.get(p, []))
files = [os.path.join(root, "tests/cli", f) for f in os.listdir(os.path.join(root, "tests/cli"))
         if f.endswith(".sh")]
files += [os.path.join(root, f) for f in ("tests/run.sh", "prompts-example/demo.sh", ".ci/run")]
# words in command position, and absolute paths of programs
cmdpos = re.compile(r"(?:^|&&|\|\||[|;({]|\$\(|\bthen\b|\bdo\b|\belse\b|test_must_fail|"
                    r"test_expect_code [0-9]+|command -v|exec)\s*([a-z][a-z0-9_.+-]*)(?=\s|$|[;|&)])", re.M)
abspath = re.compile(r"(?<![\w/.])(/usr/bin/[a-z0-9_.+-]+|/bin/[a-z0-9_.+-]+)")
builtin = set("""cd echo printf test true false exit return set unset export read wait
    trap kill shift local eval exec command type ulimit umask alias break continue case esac
    if fi then else elif do done for while until in pops fakellm time""".split())
used = {}
for f in files:
    if not os.path.exists(f):
        continue
    text = open(f, encoding="utf-8", errors="replace").read()
    # titles and comments are prose
    text = re.sub(r"^\s*#.*$", "", text, flags=re.M)
    text = re.sub(r"^test_expect_success '[^']*'", "", text, flags=re.M)
    for w in cmdpos.findall(text):
        if w not in builtin:
            used.setdefault(w, f)
    for w in abspath.findall(text):
        used.setdefault(w, f)
bad = []
for w, f in sorted(used.items()):
    paths = [w] if w.startswith("/") else ["/usr/bin/" + w, "/bin/" + w, "/usr/sbin/" + w, "/sbin/" + w]
    paths = [p for p in paths if os.path.exists(p)]
    if not paths:
        continue   # a shell function or a word, not a program here
    owner = None
    for p in paths + [os.path.realpath(paths[0])]:
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        lines = [l for l in r.stdout.splitlines() if not l.startswith("diversion")]
        if r.returncode == 0 and lines:
            owner = lines[0].split(":")[0].split(",")[0].strip()
            break
    if owner is None:
        r = subprocess.run(["dpkg", "-S", "/usr" + paths[0] if paths[0].startswith("/bin") else paths[0][4:]],
                           capture_output=True, text=True)
        owner = r.stdout.split(":")[0].strip() if r.returncode == 0 else None
    if owner and owner not in have:
        bad.append("%s (package %s) is called by %s" % (w, owner, os.path.relpath(f, root)))
for b in bad:
    print(b)
