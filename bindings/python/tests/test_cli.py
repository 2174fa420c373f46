"""python3 -m pops_runtime, run as a user would (a subprocess)."""

import json
import os
import subprocess
import sys
import unittest

import bundles
import pops_runtime

PKG = os.path.dirname(os.path.dirname(os.path.abspath(pops_runtime.__file__)))
VARS = {"ticket": "printer on fire", "tags": ["urgent"]}


def cli(*args, stdin=None, env=None, cwd=None):
    e = dict(os.environ)
    e["PYTHONPATH"] = PKG + os.pathsep + e.get("PYTHONPATH", "")
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "pops_runtime"] + list(args), env=e,
                          input=stdin, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class Cli(unittest.TestCase):
    def setUp(self):
        self.b = bundles.project()[1]
        self.want = bundles.pops_render(self.b, "support/summarize.prompt", VARS)

    def test_render_prints_the_bytes_pops_render_prints(self):
        p = cli("render", self.b, "support/summarize", "--key", "user-42", "--vars", json.dumps(VARS))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, self.want)
        self.assertEqual(p.stderr, b"support/summarize@1:dev\n")

    def test_vars_file_and_stdin(self):
        f = os.path.join(bundles.tmpdir(), "cli-vars.json")
        with open(f, "w") as fh:
            json.dump(VARS, fh)
        p = cli("render", self.b, "support/summarize", "--vars-file", f)
        self.assertEqual((p.returncode, p.stdout), (0, self.want), p.stderr)
        p = cli("render", self.b, "support/summarize", "--vars-file", "-",
                stdin=json.dumps(VARS).encode())
        self.assertEqual((p.returncode, p.stdout), (0, self.want), p.stderr)

    def test_get_prints_the_fields(self):
        p = cli("get", self.b, "support/summarize", "--key", "user-42")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = json.loads(p.stdout)
        self.assertEqual(got["served"], "support/summarize@1:dev")
        self.assertEqual((got["name"], got["version"], got["side"]), ("support/summarize", 1, "stable"))
        self.assertEqual(got["model_id"], "gpt-4o-mini-2024-07-18")
        self.assertEqual(got["model"]["alias"], "fast")

    def test_get_on_a_rollout_shows_the_key_s_side(self):
        b = bundles.rollout_bundle("cli-rollout", percent=50)
        key = next("k%d" % i for i in range(1000) if pops_runtime.bucket(bundles.SALT, "k%d" % i) < 5000)
        p = cli("get", b, "support/summarize", "--key", key)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["served"], "support/summarize@2:dev~canary")
        p = cli("render", b, "support/summarize", "--key", key, "--vars", json.dumps(VARS))
        self.assertEqual(p.stdout, bundles.pops_render(bundles.project_v2(), "support/summarize.prompt", VARS))
        self.assertEqual(p.stderr, b"support/summarize@2:dev~canary\n")

    def test_errors_exit_1_with_a_message(self):
        p = cli("render", self.b, "support/nope")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, b"")
        self.assertRegex(p.stderr.decode(), r"^error: .*support/nope")
        p = cli("render", self.b, "support/summarize", "--vars", "{\"ticket\": 5}")
        self.assertEqual((p.returncode, p.stdout), (1, b""))
        self.assertRegex(p.stderr.decode(), r"^error: .*ticket")
        p = cli("render", self.b, "support/summarize", "--vars-file", "/nonexistent/vars.json")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"/nonexistent/vars.json", p.stderr)
        p = cli("get", os.path.join(bundles.tmpdir(), "no-such-dir"), "x")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"manifest.json", p.stderr)
        self.assertNotIn(b"Traceback", p.stderr)

    def test_usage_errors_exit_2(self):
        for args in ((), ("render",), ("render", self.b), ("frob", self.b, "x"),
                     ("render", self.b, "echo", "--vars", "{}", "--vars-file", "f"),
                     ("get", self.b, "echo", "--bogus")):
            p = cli(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(b"usage:", p.stderr, args)
            self.assertEqual(p.stdout, b"", args)

    def test_library_not_found_says_where_to_point(self):
        p = cli("--version", env={"POPS_RUNTIME_LIB": "/nonexistent/libpops.so.0"})
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"POPS_RUNTIME_LIB=/nonexistent/libpops.so.0", p.stderr)
        p = cli("--version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(pops_runtime.version().encode(), p.stdout)
        # a shared object that is not libpops is named, not called
        import _decimal
        p = cli("--version", env={"POPS_RUNTIME_LIB": _decimal.__file__})
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"does not export pops_runtime_version", p.stderr)
        # a relative path is the file there, not a name for the loader to search
        lib = os.path.realpath(pops_runtime.library_path())
        p = cli("--version", env={"POPS_RUNTIME_LIB": os.path.basename(lib)}, cwd=os.path.dirname(lib))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(lib.encode(), p.stdout)


if __name__ == "__main__":
    unittest.main()
