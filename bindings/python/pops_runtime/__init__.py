"""Serve the prompts of a ``pops export`` bundle from Python.

A pure-Python binding (ctypes, no compiler) over libpops.so.0, the pops
runtime library (pops-runtime(3)); every render is done by the same C
code as ``pops render --json``::

    import pops_runtime

    with pops_runtime.Runtime("prompts-prod") as rt:
        v = rt.get("support/summarize", key=user_id)
        request = v.render({"ticket": text})   # {"messages": [...], ...}
        send(v.model_id, request)
        log_served(v.served)                    # "support/summarize@4:prod~canary"

Which library is loaded, first match wins:

1. the path in the environment variable POPS_RUNTIME_LIB;
2. ``ctypes.util.find_library("pops")``: an installed libpops (``make
   install``, on the loader's path or in ldconfig's cache);
3. the library built in the pops checkout this package sits in
   (``bindings/python/../../build/lib/libpops.so.0``), so a checkout
   works after ``make`` with only PYTHONPATH set.

Threads: every method may be called from any thread at once; calls run
without the GIL. ``Runtime.close`` waits for calls in flight on that
runtime to return; a ``Variant`` stays valid after its runtime is closed
or reloaded, until it is released (``close``, ``with``, or garbage
collection).

Errors are ``pops_runtime.Error`` (``.code``: the library's negative
code, ``.message``: its message, naming the file or prompt); ``NotFound``
(a ``KeyError`` too) for a prompt the bundle does not hold or a
directory with no bundle, ``Invalid`` (a ``ValueError`` too) for a bundle
that does not load or variables the prompt refuses.
"""

import ctypes
import ctypes.util
import json
import os
import re
import threading
import time

__all__ = [
    "Runtime", "Variant", "Error", "NotFound", "Invalid",
    "bucket", "version", "library_path",
    "OK", "ERROR", "ENOTFOUND", "EINVALID",
]

# the library's major version this binding is written for (libpops.so.0)
ABI_MAJOR = 0

# the codes of include/pops/runtime.h
OK = 0
ERROR = -1
ENOTFOUND = -2
EINVALID = -6


class Error(Exception):
    """A call into libpops failed: ``code`` (negative) and ``message``."""

    def __init__(self, message, code=ERROR):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return self.message


class NotFound(Error, KeyError):
    """No such prompt in the bundle, or no bundle (manifest.json) there."""

    def __init__(self, message, code=ENOTFOUND):
        Error.__init__(self, message, code)

    # KeyError would print repr(message)
    __str__ = Error.__str__


class Invalid(Error, ValueError):
    """A bundle that does not load, or variables the prompt refuses."""

    def __init__(self, message, code=EINVALID):
        Error.__init__(self, message, code)


# compact, ASCII-only, no NaN (the library would refuse it as not JSON)
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

# "\u0000" in JSON text, not preceded by an escaped backslash
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")

_lib = None
_lib_path = None
_lib_lock = threading.Lock()


def _repo_candidates():
    """libpops.so.0 in the build of the checkout this package is in."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", "..", ".."))
    return [os.path.join(root, "build", "lib", "libpops.so.0")]


def _find():
    """What to dlopen (a path or a soname), or raise Error saying where we looked."""
    env = os.environ.get("POPS_RUNTIME_LIB")
    if env:
        if not os.path.exists(env):
            raise Error("POPS_RUNTIME_LIB=%s: no such file (unset it to use an "
                        "installed libpops.so.0)" % env)
        # a bare file name would be looked up on the loader's path, not here
        return os.path.abspath(env)
    name = ctypes.util.find_library("pops")
    if name:
        return name
    tried = _repo_candidates()
    for path in tried:
        if os.path.exists(path):
            return path
    raise Error("libpops.so.0 not found: set POPS_RUNTIME_LIB to its path, install "
                "it (make install), or build it in this checkout (make); looked in "
                "the loader's path and " + ", ".join(tried))


def _declare(lib):
    """argtypes and restype of every function the binding calls."""
    vp, cp, i, p = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER
    sigs = {
        "pops_runtime_version": (cp, []),
        "pops_runtime_open": (i, [p(vp), cp]),
        "pops_runtime_reload": (i, [vp]),
        "pops_runtime_reload_error": (cp, [vp]),
        "pops_runtime_close": (None, [vp]),
        "pops_runtime_get": (i, [p(vp), vp, cp, cp]),
        "pops_variant_release": (None, [vp]),
        "pops_variant_name": (cp, [vp]),
        "pops_variant_version": (ctypes.c_long, [vp]),
        "pops_variant_side": (cp, [vp]),
        "pops_variant_model_id": (cp, [vp]),
        "pops_variant_model_json": (cp, [vp]),
        "pops_variant_served": (cp, [vp]),
        "pops_variant_render": (i, [p(vp), vp, cp]),
        "pops_runtime_bucket": (ctypes.c_uint, [cp, cp]),
        "pops_runtime_last_error": (cp, []),
        "pops_runtime_free": (None, [vp]),
    }
    for fname, (res, args) in sigs.items():
        try:
            f = getattr(lib, fname)
        except AttributeError:
            raise Error("%s does not export %s: not a pops runtime library of this "
                        "version" % (_lib_path, fname)) from None
        f.restype = res
        f.argtypes = args


def _load():
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    with _lib_lock:
        if _lib is None:
            path = _find()
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                raise Error("cannot load %s: %s" % (path, e)) from None
            _lib_path = path
            _declare(lib)
            v = (lib.pops_runtime_version() or b"").decode("ascii", "replace")
            if v.split(".")[0] != str(ABI_MAJOR):
                raise Error("%s is libpops %s; this binding needs major version %d "
                            "(libpops.so.%d)" % (path, v, ABI_MAJOR, ABI_MAJOR))
            _lib = lib
    return _lib


def library_path():
    """The library this module loaded (a path or a soname), loading it first."""
    _load()
    return _lib_path


def _text(s, what):
    """str/bytes -> NUL-terminated bytes for the C API."""
    if isinstance(s, str):
        b = s.encode("utf-8")
    elif isinstance(s, (bytes, bytearray)):
        b = bytes(s)
    else:
        raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))
    if b"\0" in b:
        raise ValueError("%s contains a NUL character" % what)
    return b


def _fail(lib, code, what):
    """The exception for a failed call, with the thread's last error."""
    msg = lib.pops_runtime_last_error()
    msg = msg.decode("utf-8", "replace") if msg else ""
    if not msg:
        msg = "%s failed (code %d)" % (what, code)
    if code == ENOTFOUND:
        return NotFound(msg, code)
    if code == EINVALID:
        return Invalid(msg, code)
    return Error(msg, code)


def _str(b):
    return None if b is None else b.decode("utf-8", "replace")


class _Handle:
    """A C pointer that is freed once, after every call using it returned.

    use() hands out the pointer and counts the call; done() ends it;
    close() takes the pointer away (later use() raises Error), waits for
    the calls in flight, then frees it: a close racing other threads (or
    __del__) never frees twice and never frees under a running call.
    The runtime's; Variant inlines the same protocol (one object per get),
    with a plain lock: a threading.Condition costs more than a whole get.
    """

    __slots__ = ("ptr", "busy", "lock", "free", "what")

    def __init__(self, ptr, free, what):
        self.ptr = ptr
        self.busy = 0
        self.lock = threading.Lock()
        self.free = free
        self.what = what

    def use(self):
        with self.lock:
            ptr = self.ptr
            if ptr is None:
                raise Error("%s is closed" % self.what)
            self.busy += 1
        return ptr

    def done(self):
        with self.lock:
            self.busy -= 1

    def close(self):
        with self.lock:
            ptr, self.ptr = self.ptr, None
            busy = self.busy
        if ptr is None:
            return
        while busy:
            # calls in flight on other threads (close is rare: poll)
            time.sleep(0.0005)
            with self.lock:
                busy = self.busy
        self.free(ptr)


class Variant:
    """What to serve one caller: a reference to one side of one prompt.

    Obtained from ``Runtime.get``. Its fields are read once, on first
    use; it renders what it rendered before across reloads of its runtime.
    """

    # the _Handle protocol inlined (one object per get instead of two)
    __slots__ = ("_ptr", "_busy", "_lock", "_lib", "_cache", "__weakref__")

    def __init__(self, lib, ptr):
        self._lib = lib
        self._ptr = ptr
        self._busy = 0
        self._lock = threading.Lock()
        self._cache = None

    def _use(self):
        with self._lock:
            ptr = self._ptr
            if ptr is None:
                raise Error("this variant is released")
            self._busy += 1
        return ptr

    def _done(self):
        with self._lock:
            self._busy -= 1

    def _field(self, key, fn):
        cache = self._cache
        if cache is None:
            cache = self._cache = {}
        elif key in cache:
            return cache[key]
        ptr = self._use()
        try:
            val = fn(ptr)
        finally:
            self._done()
        cache[key] = val
        return val

    @property
    def name(self):
        """The prompt's name: "support/summarize"."""
        return self._field("name", lambda p: _str(self._lib.pops_variant_name(p)))

    @property
    def version(self):
        """The released version N (int), or None when the bundle does not say."""
        return self._field("version", lambda p: self._lib.pops_variant_version(p) or None)

    @property
    def side(self):
        """"stable" or "canary"."""
        return self._field("side", lambda p: _str(self._lib.pops_variant_side(p)))

    @property
    def model_id(self):
        """The provider's model id, or None when the prompt names no model."""
        return self._field("model_id", lambda p: _str(self._lib.pops_variant_model_id(p)))

    @property
    def model(self):
        """The resolved model: {"alias","provider","type","id","config"} (a new dict each time)."""
        text = self._field("model", lambda p: _str(self._lib.pops_variant_model_json(p)))
        return None if text is None else json.loads(text)

    @property
    def served(self):
        """The served-version string to log: "NAME@N:ENV" or "NAME@N:ENV~canary"."""
        return self._field("served", lambda p: _str(self._lib.pops_variant_served(p)))

    def render_json(self, variables=None):
        """The JSON text ``pops render --json`` prints for these variables.

        ``variables``: a dict (or any JSON-serialisable object), a JSON
        text (str or bytes), or None for none. Raises Invalid when they
        are not a JSON object or fail the prompt's input schema.
        """
        if variables is None:
            arg = None
        elif isinstance(variables, (str, bytes, bytearray)):
            arg = _text(variables, "variables")
        else:
            # ASCII JSON (non-ASCII as \u escapes): no NUL byte can appear
            arg = _encode(variables).encode("ascii")
        if arg is not None and b"\\u0000" in arg and _NUL_ESCAPE.search(arg):
            raise Invalid("variables: a NUL character (\\u0000) in a string: the prompt's "
                          "strings cannot hold one (pops render refuses it too)")
        lib = self._lib
        out = ctypes.c_void_p()
        ptr = self._use()
        try:
            rc = lib.pops_variant_render(ctypes.byref(out), ptr, arg)
        finally:
            self._done()
        if rc < 0:
            raise _fail(lib, rc, "pops_variant_render")
        try:
            return ctypes.string_at(out.value).decode("utf-8")
        finally:
            lib.pops_runtime_free(out)

    def render(self, variables=None):
        """The rendered request as a dict: {"schema_version","name","model","config","messages",...}."""
        return json.loads(self.render_json(variables))

    def as_dict(self):
        """Every field: name, version, side, model_id, model, served."""
        return {"name": self.name, "version": self.version, "side": self.side,
                "model_id": self.model_id, "model": self.model, "served": self.served}

    def close(self):
        """Release the variant now (later calls raise Error). Idempotent."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ did not run
            return
        with lock:
            ptr, self._ptr = self._ptr, None
            busy = self._busy
        if ptr is None:
            return
        while busy:
            # renders in flight on other threads (close is rare: poll)
            time.sleep(0.0005)
            with lock:
                busy = self._busy
        self._lib.pops_variant_release(ptr)

    release = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        if self._ptr is None and "served" not in (self._cache or {}):
            return "<pops_runtime.Variant (released)>"
        return "<pops_runtime.Variant %s %s>" % (self.served, self.side)


class Runtime:
    """A loaded bundle (``pops export --env ENV DIR``), served from memory.

    ``Runtime(dir)`` loads it whole or raises: NotFound (no manifest.json
    in ``dir``), Invalid (a file missing, changed since export, or that
    does not parse; the message names it), Error.
    """

    def __init__(self, directory):
        lib = _load()
        self._lib = lib
        self._h = None
        self._reload_lock = threading.Lock()
        self.directory = os.fspath(directory)
        arg = _text(self.directory, "the bundle directory")
        out = ctypes.c_void_p()
        rc = lib.pops_runtime_open(ctypes.byref(out), arg)
        if rc < 0:
            raise _fail(lib, rc, "pops_runtime_open")
        self._h = _Handle(out.value, lib.pops_runtime_close, "this runtime")

    def get(self, name, key=None):
        """The Variant to serve prompt ``name`` to the caller ``key``.

        ``key`` (str or bytes: a user or session id) picks the side of a
        running rollout, stickily; None, or a prompt without a rollout,
        gets the stable release. Raises NotFound for a prompt the bundle
        does not hold.
        """
        lib = self._lib
        n = _text(name, "the prompt name")
        k = None if key is None else _text(key, "the key")
        out = ctypes.c_void_p()
        h = self._h
        ptr = h.use()
        try:
            rc = lib.pops_runtime_get(ctypes.byref(out), ptr, n, k)
        finally:
            h.done()
        if rc < 0:
            raise _fail(lib, rc, "pops_runtime_get")
        return Variant(lib, out.value)

    def __getitem__(self, name):
        """rt["support/summarize"]: the stable variant (KeyError/NotFound if absent)."""
        return self.get(name)

    def __contains__(self, name):
        try:
            self.get(name).close()
        except NotFound:
            return False
        return True

    def reload(self):
        """Load the directory again; switch to it only if all of it loads.

        On failure the previous bundle keeps serving, the error is raised
        and kept in ``reload_error``.
        """
        lib = self._lib
        with self._reload_lock:
            ptr = self._h.use()
            try:
                rc = lib.pops_runtime_reload(ptr)
                if rc < 0:
                    raise _fail(lib, rc, "pops_runtime_reload")
            finally:
                self._h.done()

    @property
    def reload_error(self):
        """The message of the last failed reload not followed by a good one, or None."""
        # borrowed until the next reload: read under the lock reload takes
        with self._reload_lock:
            ptr = self._h.use()
            try:
                return _str(self._lib.pops_runtime_reload_error(ptr))
            finally:
                self._h.done()

    @property
    def closed(self):
        return self._h is None or self._h.ptr is None

    def close(self):
        """Free the runtime after calls in flight return; Variants stay valid. Idempotent."""
        h = getattr(self, "_h", None)
        if h is not None:
            h.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return "<pops_runtime.Runtime %r %s>" % (self.directory, state)


def bucket(salt, key):
    """The rollout bucket (0..9999) of ``key`` for ``salt``.

    The first 8 bytes of SHA-256(salt ":" key), big-endian, modulo
    10000; a key gets the canary when its bucket < percent * 100.
    """
    return _load().pops_runtime_bucket(_text(salt, "the salt"), _text(key, "the key"))


def version():
    """The library's version: "0.1.0"."""
    return _str(_load().pops_runtime_version())
