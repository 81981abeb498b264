"""Checking the installed interpreter where it is used: imports, a ctypes callback, pip.

Each check runs in its own process and is judged by exit status, so a segfault (a signal) is
reported as a crash of that check and the rest still get checked. An import alone proves
little: 3.6 without the alignment backport imports ctypes fine and then crashes in a callback
or in pip, so ctypes is exercised through libc's qsort and pip is run. ssl, zlib and pip are
required; the others are warnings with their likely cause. hashlib says which backend it got.
"""

from __future__ import annotations

import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from runbook.py36.causes import MODULE_HINTS
from runbook.py36.run import child_env

MODULES = ("ssl", "zlib", "bz2", "sqlite3", "readline", "ctypes", "lzma", "hashlib", "pip")
REQUIRED = ("ssl", "zlib", "pip")
CTYPES_CALLBACK = """import ctypes
libc = ctypes.CDLL(None)
CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
values = (ctypes.c_int * 5)(5, 1, 4, 2, 3)
libc.qsort(values, len(values), ctypes.sizeof(ctypes.c_int), CMP(lambda a, b: a[0] - b[0]))
assert list(values) == [1, 2, 3, 4, 5], list(values)
print('callback through libc qsort: ok')
"""
HASHLIB_BACKEND = """import hashlib
try:
    import _hashlib
except ImportError:
    print('builtin hashes (no _hashlib): sha256 ' + hashlib.sha256(b'').hexdigest()[:8])
else:
    print('OpenSSL (_hashlib): sha256 ' + hashlib.sha256(b'').hexdigest()[:8])
"""
ARGS = {
    "ssl": ["-c", "import ssl; print(ssl.OPENSSL_VERSION)"],
    "zlib": ["-c", "import zlib; print('zlib', zlib.ZLIB_RUNTIME_VERSION)"],
    "ctypes": ["-c", CTYPES_CALLBACK],
    "hashlib": ["-c", HASHLIB_BACKEND],
    "pip": ["-m", "pip", "--version"],
}
TIMEOUT = 120
LINUX_SSL_HINT = ("ssl headers not found: `apt-get install libssl-dev` (Debian/Ubuntu; 3.6's "
                  "_ssl builds with OpenSSL 3) or --openssl-prefix; or accept it with "
                  "--allow-missing ssl")


@dataclass
class Check:
    module: str
    status: str  # ok | warning | error
    detail: str
    hint: str = ""


def _judge(proc_rc: int | None, out: str, err: str) -> tuple[bool, str]:
    if proc_rc is None:
        return False, f"no answer after {TIMEOUT}s"
    if proc_rc < 0:
        try:
            name = signal.Signals(-proc_rc).name
        except ValueError:
            name = f"signal {-proc_rc}"
        return False, f"killed by {name}"
    if proc_rc != 0:
        lines = err.strip().splitlines()
        return False, lines[-1] if lines else f"exit status {proc_rc}"
    return True, out.strip().splitlines()[-1] if out.strip() else "imported"


def _run(python: Path, args: list) -> tuple[int | None, str, str]:
    # An empty working folder: `-c` puts it first on sys.path, and a crash may leave a core.
    try:
        with tempfile.TemporaryDirectory(prefix="py36-verify-") as cwd:
            done = subprocess.run([str(python), *args], capture_output=True, text=True,
                                  timeout=TIMEOUT, env=child_env({}), stdin=subprocess.DEVNULL,
                                  cwd=cwd)
    except subprocess.TimeoutExpired:
        return None, "", ""
    except OSError as exc:
        return 127, "", str(exc)
    return done.returncode, done.stdout, done.stderr


def verify(python: Path, version: str, macos: bool, allow_missing=(), log=print) -> list:
    """One Check for the interpreter, then one per module, each logged as it is judged."""
    checks = []
    rc, out, err = _run(python, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
    ok, detail = _judge(rc, out, err)
    if not ok:
        checks.append(Check("python3.6", "error", detail,
                            "not installed: see logs/install.log" if not python.exists()
                            else "it does not start: see logs/make.log and logs/install.log"))
    elif not detail.startswith("3.6."):
        checks.append(Check("python3.6", "error", f"reports version {detail}", "not a 3.6 build"))
    else:
        status = "ok" if detail == version else "warning"
        checks.append(Check("python3.6", status, detail,
                            "" if status == "ok" else f"asked for {version}"))
    log(f"python3.6: {checks[0].status}: {checks[0].detail}")
    if checks[0].status == "error":
        return checks
    for module in MODULES:
        rc, out, err = _run(python, ARGS.get(module, ["-c", f"import {module}"]))
        ok, detail = _judge(rc, out, err)
        hint = ""
        if ok and module == "ssl" and macos and not detail.startswith("OpenSSL 1.1"):
            ok, hint = False, "macOS build must link OpenSSL 1.1 (openssl@1.1), not " + detail
        if not ok:
            if detail == "killed by SIGSEGV":
                hint = MODULE_HINTS["SIGSEGV"]
            hint = hint or (LINUX_SSL_HINT if module == "ssl" and not macos
                            else MODULE_HINTS.get(module, ""))
            fatal = module in REQUIRED and module not in allow_missing
            status = "error" if fatal else "warning"
        elif module == "hashlib" and detail.startswith("builtin"):
            status, hint = "warning", MODULE_HINTS["hashlib"]
        else:
            status = "ok"
        checks.append(Check(module, status, detail, hint))
        log(f"{module}: {status}: {detail}")
    return checks


def table(checks: list) -> list:
    """A plain-text summary table (the console may be a bare Terminal)."""
    width = max(len(c.module) for c in checks)
    lines = [f"{'module'.ljust(width)}  status   detail", f"{'-' * width}  -------  ------"]
    for c in checks:
        lines.append(f"{c.module.ljust(width)}  {c.status.ljust(7)}  {c.detail}")
        if c.hint:
            lines.append(f"{' ' * width}           likely cause: {c.hint}")
    return lines


def hashlib_backend(checks: list) -> str:
    """One sentence for the user: which hashlib they got."""
    check = next((c for c in checks if c.module == "hashlib"), None)
    if check is None or check.status == "error" or not check.detail.startswith(("OpenSSL",
                                                                                  "builtin")):
        return "hashlib: did not import (see the table)"
    if check.detail.startswith("OpenSSL"):
        return "hashlib uses OpenSSL (_hashlib was built)."
    return ("hashlib uses Python's builtin hashes: _hashlib was not built (see the hashlib "
            "row); sha256, md5 and the others work, OpenSSL-only algorithms do not.")
