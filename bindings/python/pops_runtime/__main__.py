"""python3 -m pops_runtime: render or inspect a prompt of a pops export bundle.

  python3 -m pops_runtime render DIR NAME [--key K] [--vars JSON | --vars-file F]
      prints the request JSON (the bytes `pops render --json` prints) on
      stdout and the served-version string on stderr
  python3 -m pops_runtime get DIR NAME [--key K]
      prints the variant's fields as one JSON object

Exit status: 0, 1 on an error (message on stderr), 2 on a usage error.
"""

import argparse
import json
import os
import sys

import pops_runtime


def _parser():
    p = argparse.ArgumentParser(
        prog="python3 -m pops_runtime",
        description="Serve the prompts of a `pops export` bundle (libpops runtime).")
    p.add_argument("--version", action="store_true",
                   help="print the binding's library version and path, and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    r = sub.add_parser("render", help="render a prompt for some variables, as `pops render --json`")
    r.add_argument("dir", metavar="DIR", help="the bundle directory (pops export --env ENV DIR)")
    r.add_argument("name", metavar="NAME", help="the prompt's name, e.g. support/summarize")
    r.add_argument("--key", help="the caller's key (user or session id): picks a rollout's side")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--vars", metavar="JSON", help="the variables, a JSON object")
    g.add_argument("--vars-file", metavar="FILE", help="read the variables' JSON object from FILE (- for stdin)")
    q = sub.add_parser("get", help="print what is served for NAME (and KEY) as JSON")
    q.add_argument("dir", metavar="DIR", help="the bundle directory")
    q.add_argument("name", metavar="NAME", help="the prompt's name")
    q.add_argument("--key", help="the caller's key (user or session id)")
    return p


def _read_vars(args):
    if args.vars is not None:
        return args.vars
    if args.vars_file is None:
        return None
    if args.vars_file == "-":
        return sys.stdin.buffer.read()
    try:
        with open(args.vars_file, "rb") as f:
            return f.read()
    except OSError as e:
        raise pops_runtime.Error("cannot read the variables file '%s': %s"
                                 % (args.vars_file, e.strerror or e)) from None


def _run(args):
    with pops_runtime.Runtime(args.dir) as rt:
        with rt.get(args.name, key=args.key) as v:
            if args.command == "get":
                sys.stdout.write(json.dumps(v.as_dict(), indent=2, ensure_ascii=False) + "\n")
                return 0
            text = v.render_json(_read_vars(args))
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
            sys.stderr.write(v.served + "\n")
    return 0


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.version:
            print("pops_runtime %s (%s)" % (pops_runtime.version(), pops_runtime.library_path()))
            return 0
        if args.command is None:
            parser.print_usage(sys.stderr)
            sys.stderr.write("python3 -m pops_runtime: error: a command is required (render or get)\n")
            return 2
        return _run(args)
    except (pops_runtime.Error, ValueError) as e:
        sys.stderr.write("error: %s\n" % e)
        return 1
    except BrokenPipeError:
        # the reader went away (| head): no traceback, and none at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
