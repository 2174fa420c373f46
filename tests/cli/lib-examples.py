#!/usr/bin/env python3
"""Every pops command line the documentation shows, as shell lines that
hand its words to `pops __parse --`:

  lib-examples.py ROOT >examples.sh

Reads the `$ ` lines of man/*.scd code blocks (EXAMPLES and the others:
pops-workflows(7) has its examples in the text) and of README.md,
prompts-example/README.md and docs/ci/README.md (console blocks, and
plain `pops ...` lines of sh blocks). A line continued with a backslash
is joined; each pipeline segment, `&&`/`;` part and `$(...)` that starts
with `pops` is one command line, cut at its first redirection; global
options (-C dir) are dropped, since __parse takes the command. Output:
one shell line per command line, "check FILE:LINE WORD...", quoted, for
the test to run with its own `check`."""
import os
import re
import shlex
import sys

root = sys.argv[1]
files = sorted(os.path.join("man", f) for f in os.listdir(os.path.join(root, "man"))
               if f.endswith(".scd"))
files += ["README.md", "prompts-example/README.md", "docs/ci/README.md"]


def commands(path):
    """(line number, shell text) of each documented command line"""
    lines = open(os.path.join(root, path), encoding="utf-8").read().split("\n")
    scd = path.endswith(".scd")
    block, kind, i = False, "", 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.strip().startswith("```"):
            block = not block
            kind = line.strip()[3:]
            continue
        if not block:
            continue
        if line.startswith("$ "):
            text = line[2:]
        elif kind in ("sh", "shell", "bash") and re.match(r"\s*pops\s", line):
            text = line.strip()
        else:
            continue
        start = i
        if scd:
            text = text.replace("\\\\", "\\")
        while text.endswith("\\") and i < len(lines):
            nxt = lines[i].replace("\\\\", "\\") if scd else lines[i]
            text = text[:-1] + " " + nxt.strip()
            i += 1
        yield start, text


OPS = {"|", "||", "&&", ";", "&", "(", ")"}
REDIR = re.compile(r"^\d*(>|>>|<|>&|<&)")


def pops_lines(text):
    # $(...) holds commands too; check them on their own
    inner = re.findall(r"\$\(([^()]*)\)", text)
    text = re.sub(r"\$\([^()]*\)", "X", text)
    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    words = list(lex)
    cur = []
    for w in words + [";"]:
        if w in OPS:
            if cur and cur[0] == "pops":
                yield cur
            cur = []
        else:
            cur.append(w)
    for t in inner:
        yield from pops_lines(t)


for f in files:
    if not os.path.exists(os.path.join(root, f)):
        continue
    for n, text in commands(f):
        for words in pops_lines(text):
            args = words[1:]
            # cut at the first redirection: what follows is the shell's
            for k, w in enumerate(args):
                if REDIR.match(w):
                    args = args[:k]
                    break
            while len(args) >= 2 and args[0] == "-C":
                args = args[2:]
            if not args or args[0] in ("-h", "--help", "--version"):
                continue
            print(" ".join(["check", shlex.quote("%s:%d" % (f, n))] +
                           [shlex.quote(a) for a in args]))
