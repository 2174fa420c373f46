"""pops_runtime against real bundles made by `pops export` (bundles.py)."""

import gc
import json
import os
import re
import shutil
import threading
import time
import unittest

import bundles
import pops_runtime

VARS = {"ticket": "printer on fire", "tags": ["urgent", "hw"]}


class LoadAndGet(unittest.TestCase):
    def setUp(self):
        self.repo, self.v1 = bundles.project()
        self.rt = pops_runtime.Runtime(self.v1)

    def tearDown(self):
        self.rt.close()

    def test_get_reads_the_manifest_fields(self):
        entry = next(e for e in bundles.manifest_entries(self.v1) if e["name"] == "support/summarize")
        with self.rt.get("support/summarize", key="user-42") as v:
            self.assertEqual(v.name, "support/summarize")
            self.assertEqual(v.version, 1)
            self.assertEqual(v.side, "stable")
            self.assertEqual(v.model_id, "gpt-4o-mini-2024-07-18")
            self.assertEqual(v.model, entry["model"])
            self.assertEqual(v.model["config"], {"temperature": 0.2})
            self.assertEqual(v.served, "support/summarize@1:dev")
            self.assertEqual(v.as_dict()["served"], v.served)
            self.assertIn("support/summarize@1:dev", repr(v))

    def test_a_prompt_without_a_model(self):
        v = self.rt.get("echo")
        self.assertIsNone(v.model_id)
        self.assertEqual(v.served, "echo@1:dev")
        self.assertEqual(json.loads(v.render_json({"q": "hi"}))["messages"][0]["content"][0]["text"],
                         "Echo hi.\n")

    def test_render_is_what_pops_render_json_prints(self):
        want = bundles.pops_render(self.v1, "support/summarize.prompt", VARS)
        v = self.rt.get("support/summarize")
        got = v.render_json(VARS)
        self.assertEqual(got.rstrip("\n"), want.decode("utf-8").rstrip("\n"))
        self.assertEqual(v.render(VARS), json.loads(want))
        # the same variables as JSON text, str or bytes
        self.assertEqual(v.render_json(json.dumps(VARS)), got)
        self.assertEqual(v.render_json(json.dumps(VARS).encode()), got)
        self.assertIn("Be brief. Inner v1.", got)

    def test_missing_prompt_is_not_found_and_a_key_error(self):
        with self.assertRaises(pops_runtime.NotFound) as cm:
            self.rt.get("support/nope", key="k")
        e = cm.exception
        self.assertIsInstance(e, KeyError)
        self.assertIsInstance(e, pops_runtime.Error)
        self.assertEqual(e.code, pops_runtime.ENOTFOUND)
        self.assertIn("support/nope", str(e))
        self.assertNotIn("support/nope", self.rt)
        self.assertIn("echo", self.rt)
        with self.assertRaises(KeyError):
            self.rt["support/nope"]

    def test_bad_variables_are_invalid(self):
        v = self.rt.get("support/summarize")
        for bad in ("not json", "[1, 2]", "{\"ticket\": ", {"ticket": 5}):
            with self.assertRaises(pops_runtime.Invalid, msg=repr(bad)) as cm:
                v.render(bad)
            self.assertEqual(cm.exception.code, pops_runtime.EINVALID)
            self.assertIsInstance(cm.exception, ValueError)
            self.assertTrue(str(cm.exception), "the message is the library's, not empty")
        with self.assertRaises(pops_runtime.Invalid) as cm:
            v.render({"ticket": 5})
        self.assertIn("ticket", str(cm.exception))
        with self.assertRaises(ValueError):
            v.render("{\"ticket\": \"a\0b\"}")
        with self.assertRaises(ValueError):
            v.render({"ticket": float("nan")})
        # a NUL in a string is refused, as pops render refuses it (the
        # library's strings would cut it short)
        for bad in ({"ticket": "a\0b"}, "{\"ticket\": \"a\\u0000b\"}", "{\"t\": \"\\\\\\u0000\"}"):
            with self.assertRaises(pops_runtime.Invalid, msg=repr(bad)) as cm:
                v.render(bad)
            self.assertIn("NUL", str(cm.exception))
        # an escaped backslash before u0000 is not a NUL
        self.assertIn("a\\\\u0000b", v.render_json({"ticket": "a\\u0000b"}))
        with self.assertRaises(TypeError):
            self.rt.get("echo", key=42)
        # still renders after the failures
        self.assertIn("printer on fire", v.render_json(VARS))

    def test_a_variant_outlives_close_and_release_is_idempotent(self):
        rt = pops_runtime.Runtime(self.v1)
        v = rt.get("support/summarize")
        rt.close()
        rt.close()
        self.assertTrue(rt.closed)
        self.assertIn("printer on fire", v.render_json(VARS))
        with self.assertRaises(pops_runtime.Error):
            rt.get("support/summarize")
        v.close()
        v.close()
        with self.assertRaises(pops_runtime.Error):
            v.render_json(VARS)
        # a variant dropped without close is released when collected
        released = []
        real = pops_runtime.Variant.close

        def close(variant):
            released.append(variant._ptr)
            real(variant)
        pops_runtime.Variant.close = close
        try:
            v = self.rt.get("echo")
            ptr = v._ptr
            del v
            gc.collect()
        finally:
            pops_runtime.Variant.close = real
        self.assertEqual([p for p in released if p is not None], [ptr])
        with pops_runtime.Runtime(self.v1) as rt2:
            self.assertFalse(rt2.closed)
        self.assertTrue(rt2.closed)


class BadBundles(unittest.TestCase):
    def test_no_bundle_there(self):
        empty = os.path.join(bundles.tmpdir(), "not-a-bundle")
        os.makedirs(empty, exist_ok=True)
        with self.assertRaises(pops_runtime.Error) as cm:
            pops_runtime.Runtime(empty)
        self.assertEqual(cm.exception.code, pops_runtime.ENOTFOUND)
        self.assertIn("manifest.json", str(cm.exception))

    def test_a_changed_file_names_itself(self):
        b = bundles.copy_bundle(bundles.project()[1], "changed")
        with open(os.path.join(b, "support/summarize.prompt"), "a") as f:
            f.write("edited\n")
        with self.assertRaises(pops_runtime.Invalid) as cm:
            pops_runtime.Runtime(b)
        self.assertIn("support/summarize.prompt", str(cm.exception))


class Reload(unittest.TestCase):
    def test_a_corrupted_bundle_keeps_the_old_one_serving(self):
        b = bundles.copy_bundle(bundles.project()[1], "reload")
        v2 = bundles.project_v2()
        want1 = bundles.pops_render(b, "support/summarize.prompt", VARS).decode()
        want2 = bundles.pops_render(v2, "support/summarize.prompt", VARS).decode()
        with pops_runtime.Runtime(b) as rt:
            self.assertIsNone(rt.reload_error)
            held = rt.get("support/summarize")
            with open(os.path.join(b, "manifest.json"), "w") as f:
                f.write("{\"schema_version\": 2, \"prompts\": [")
            with self.assertRaises(pops_runtime.Error) as cm:
                rt.reload()
            self.assertIn("manifest.json", str(cm.exception))
            self.assertEqual(rt.reload_error, str(cm.exception))
            v = rt.get("support/summarize")
            self.assertEqual(v.version, 1)
            self.assertEqual(v.render_json(VARS).rstrip(), want1.rstrip())
            # a good bundle again: served from then on; held variants keep v1
            shutil.rmtree(b)
            shutil.copytree(v2, b)
            rt.reload()
            self.assertIsNone(rt.reload_error)
            v = rt.get("support/summarize")
            self.assertEqual((v.version, v.served), (2, "support/summarize@2:dev"))
            self.assertEqual(v.render_json(VARS).rstrip(), want2.rstrip())
            self.assertEqual(held.version, 1)
            self.assertEqual(held.render_json(VARS).rstrip(), want1.rstrip())

    def test_readers_in_threads_while_another_reloads(self):
        """Every render a reader gets is one of the two releases, whole, and
        matches the version of the variant it came from."""
        b = bundles.copy_bundle(bundles.project()[1], "threads")
        v1, v2 = bundles.project()[1], bundles.project_v2()
        want = {1: bundles.pops_render(v1, "support/summarize.prompt", VARS).decode().rstrip(),
                2: bundles.pops_render(v2, "support/summarize.prompt", VARS).decode().rstrip()}
        stop = threading.Event()
        counts, errors = [], []
        rt = pops_runtime.Runtime(b)

        def reader(i):
            n = 0
            try:
                while not stop.is_set():
                    v = rt.get("support/summarize", key="user-%d-%d" % (i, n))
                    got = v.render_json(VARS).rstrip()
                    if got != want.get(v.version):
                        errors.append("thread %d: version %r rendered %r" % (i, v.version, got))
                        return
                    n += 1
            except Exception as e:  # reported below, the test fails
                errors.append("thread %d: %r" % (i, e))
            counts.append(n)

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        good, bad = 0, 0
        try:
            deadline = time.monotonic() + 2.0
            src = v2
            while time.monotonic() < deadline:
                # a corrupted prompt file: the reload fails, readers go on
                with open(os.path.join(b, "support/summarize.prompt"), "a") as f:
                    f.write("corrupt")
                with self.assertRaises(pops_runtime.Invalid):
                    rt.reload()
                bad += 1
                for f in ("manifest.json", "support/summarize.prompt", "_inner.prompt", "_style.prompt"):
                    shutil.copyfile(os.path.join(src, f), os.path.join(b, f))
                rt.reload()
                good += 1
                src = v1 if src == v2 else v2
        finally:
            stop.set()
            for t in threads:
                t.join()
            rt.close()
        self.assertEqual(errors, [])
        self.assertEqual(len(counts), 4)
        self.assertGreater(min(counts), 0)
        self.assertGreater(good, 1)
        self.assertGreater(bad, 1)

    def test_close_waits_for_calls_in_flight(self):
        b = bundles.project()[1]
        rt = pops_runtime.Runtime(b)
        errors = []

        def reader():
            try:
                while True:
                    rt.get("support/summarize").render_json(VARS)
            except pops_runtime.Error as e:
                if "closed" not in str(e):
                    errors.append(repr(e))

        threads = [threading.Thread(target=reader) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        rt.close()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


class Rollout(unittest.TestCase):
    """A schema 3 bundle (contract.md): the canary side for keys whose
    bucket is below the share, stable otherwise and without a key."""

    def setUp(self):
        self.b = bundles.rollout_bundle("rollout", percent=10)
        self.rt = pops_runtime.Runtime(self.b)
        self.v2 = bundles.project_v2()

    def tearDown(self):
        self.rt.close()

    def test_sides_follow_the_bucket_rule(self):
        stable = bundles.pops_render(bundles.project()[1], "support/summarize.prompt", VARS).decode().rstrip()
        canary = bundles.pops_render(self.v2, "support/summarize.prompt", VARS).decode().rstrip()
        self.assertNotEqual(stable, canary)
        seen = {"stable": 0, "canary": 0}
        for i in range(400):
            key = "user-%d" % i
            v = self.rt.get("support/summarize", key=key)
            side = "canary" if pops_runtime.bucket(bundles.SALT, key) < 1000 else "stable"
            self.assertEqual(v.side, side, key)
            seen[side] += 1
            if side == "canary":
                self.assertEqual((v.version, v.served), (2, "support/summarize@2:dev~canary"))
                self.assertEqual(v.render_json(VARS).rstrip(), canary)
            else:
                self.assertEqual((v.version, v.served), (1, "support/summarize@1:dev~stable"))
                self.assertEqual(v.render_json(VARS).rstrip(), stable)
            # sticky
            self.assertEqual(self.rt.get("support/summarize", key=key).side, side)
        self.assertGreater(seen["canary"], 10)
        self.assertGreater(seen["stable"], 300)
        v = self.rt.get("support/summarize")
        self.assertEqual((v.side, v.served), ("stable", "support/summarize@1:dev~stable"))
        # user-42 is bucket 6898: stable at 10 %
        self.assertEqual(self.rt.get("support/summarize", key="user-42").side, "stable")
        # a prompt without a rollout is served as before
        self.assertEqual(self.rt.get("echo", key="user-1").served, "echo@1:dev")


@unittest.skipUnless(bundles.has_canary(), "this pops has no promote --canary yet (branch rollout)")
class RealRollout(unittest.TestCase):
    """A rollout started by pops promote --canary and exported by pops
    export: each key gets the side pops render NAME:ENV --key says, and
    each side renders as pops render --json renders its bundle file."""

    def test_keys_get_the_side_pops_render_key_serves(self):
        repo, b = bundles.real_rollout(30)
        entry = next(e for e in bundles.manifest_entries(b) if e["name"] == "support/summarize")
        ro = entry["rollout"]
        self.assertEqual(ro["percent"], 30)
        want = {"stable": bundles.pops_render(b, entry["file"], VARS).decode().rstrip(),
                "canary": bundles.pops_render(b, ro["canary"]["file"], VARS).decode().rstrip()}
        self.assertIn("Inner v2.", want["canary"])
        self.assertIn("Inner v1.", want["stable"])
        with pops_runtime.Runtime(b) as rt:
            sides = set()
            # ten keys, and one of each side for sure (the salt is random)
            keys = ["user-%d" % i for i in range(10)]
            for below in (True, False):
                keys.append(next("k%d" % i for i in range(10000)
                                 if (pops_runtime.bucket(ro["salt"], "k%d" % i) < 3000) == below))
            for key in keys:
                v = rt.get("support/summarize", key=key)
                side = "canary" if pops_runtime.bucket(ro["salt"], key) < 3000 else "stable"
                self.assertEqual(v.side, side, key)
                self.assertEqual(v.version, {"stable": 1, "canary": 2}[side])
                self.assertEqual(v.served, "support/summarize@%d:dev~%s" % (v.version, side))
                self.assertEqual(v.model, (ro["canary"] if side == "canary" else entry)["model"])
                self.assertEqual(v.render_json(VARS).rstrip(), want[side])
                p = bundles.pops(["render", "support/summarize:dev", "--key", key,
                                  "--vars", bundles.vars_file(VARS)], repo)
                self.assertIn(v.served, p.stderr.decode())
                sides.add(side)
            self.assertEqual(sides, {"stable", "canary"})
            self.assertEqual(rt.get("support/summarize").served, "support/summarize@1:dev~stable")


class Bucket(unittest.TestCase):
    def test_contract_vectors(self):
        self.assertEqual(pops_runtime.bucket("4f2a91c0d3b5e6a7", "user-42"), 6898)
        self.assertEqual(pops_runtime.bucket("4f2a91c0d3b5e6a7", "alice"), 8247)
        self.assertEqual(pops_runtime.bucket("s", ""), 2920)
        self.assertEqual(pops_runtime.bucket(b"s", b""), 2920)

    def test_the_rule_in_python(self):
        import hashlib
        for key in ("", "a", "user-1", "\u00e9l\u00e8ve", "x" * 300):
            h = hashlib.sha256(("s1:" + key).encode()).digest()
            self.assertEqual(pops_runtime.bucket("s1", key), int.from_bytes(h[:8], "big") % 10000)


class Version(unittest.TestCase):
    def test_version_matches_the_header(self):
        with open(os.path.join(bundles.ROOT, "include/pops/runtime.h")) as f:
            h = f.read()
        major = re.search(r"POPS_RUNTIME_VERSION_MAJOR (\d+)", h).group(1)
        minor = re.search(r"POPS_RUNTIME_VERSION_MINOR (\d+)", h).group(1)
        self.assertRegex(pops_runtime.version(), r"^%s\.%s\.\d+$" % (major, minor))
        self.assertTrue(pops_runtime.library_path())


class Example(unittest.TestCase):
    """Every prompt of prompts-example, several variable sets."""

    CASES = {
        "summarize": [{"text": "Q3 revenue rose 4%."},
                      {"text": "Outage at 09:00 UTC", "audience": "the SRE team"}],
        "support/triage": [{"subject": "Refund", "body": "Charged twice"},
                           {"subject": "2FA", "body": "Lost phone", "customer_tier": "enterprise"}],
        "extract_invoice": [{"document": "Invoice INV-7 from Acme, total EUR 12.00"},
                            {"document": "\u00fcml\u00e4ut \"quoted\" {{not a tag}}\n\ttab"}],
    }

    def test_render_equals_pops_render_for_every_prompt(self):
        bundle = bundles.example()
        entries = bundles.manifest_entries(bundle)
        self.assertEqual(sorted(e["name"] for e in entries), sorted(self.CASES))
        with pops_runtime.Runtime(bundle) as rt:
            for e in entries:
                v = rt.get(e["name"], key="someone")
                self.assertEqual(v.model, e["model"])
                for variables in self.CASES[e["name"]]:
                    want = bundles.pops_render(bundle, e["file"], variables).decode()
                    self.assertEqual(v.render_json(variables).rstrip("\n"), want.rstrip("\n"),
                                     "%s %r" % (e["name"], variables))
            # what pops render refuses, the runtime refuses
            refused = {"text": "x", "tone": "calm"}
            p = bundles.pops(["render", "--json", "--vars", bundles.vars_file(refused),
                              os.path.join(bundle, "summarize.prompt")], bundles.tmpdir(), check=False)
            self.assertEqual(p.returncode, 2)
            with self.assertRaises(pops_runtime.Invalid) as cm:
                rt.get("summarize").render(refused)
            self.assertIn("tone", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
