"""Checking the installed interpreter the way pyenv does, but stricter.

Each module is imported in its own process and judged by exit status, so a segfault (a
signal) is reported as a crash of that module and the rest still get checked. ssl and zlib are
required (pip needs both); the others are warnings with their likely cause.
"""

from __future__ import annotations

import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from runbook.py36.causes import MODULE_HINTS
from runbook.py36.run import child_env

MODULES = ("ssl", "zlib", "bz2", "sqlite3", "readline", "ctypes", "lzma", "hashlib")
REQUIRED = ("ssl", "zlib")
CODE = {
    "ssl": "import ssl; print(ssl.OPENSSL_VERSION)",
    "zlib": "import zlib; print('zlib', zlib.ZLIB_RUNTIME_VERSION)",
    "hashlib": "import hashlib, _hashlib; print('sha256', hashlib.sha256(b'').hexdigest()[:8])",
}
TIMEOUT = 120
LINUX_SSL_HINT = ("3.6 needs OpenSSL 1.1 headers (libssl-dev is OpenSSL 3 on current "
                  "distributions): build OpenSSL 1.1.1w into a prefix and pass "
                  "--openssl-prefix, or accept it with --allow-missing ssl")


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


def _run(python: Path, code: str) -> tuple[int | None, str, str]:
    # An empty working folder: `-c` puts it first on sys.path, and a crash may leave a core.
    try:
        with tempfile.TemporaryDirectory(prefix="py36-verify-") as cwd:
            done = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
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
    rc, out, err = _run(python, "import sys; print('%d.%d.%d' % sys.version_info[:3])")
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
        rc, out, err = _run(python, CODE.get(module, f"import {module}"))
        ok, detail = _judge(rc, out, err)
        hint = ""
        if ok and module == "ssl" and macos and not detail.startswith("OpenSSL 1.1"):
            ok, hint = False, "macOS build must link OpenSSL 1.1 (openssl@1.1), not " + detail
        if not ok:
            hint = hint or (LINUX_SSL_HINT if module == "ssl" and not macos
                            else MODULE_HINTS.get(module, ""))
            fatal = module in REQUIRED and module not in allow_missing
            status = "error" if fatal else "warning"
        else:
            status = "ok"
        checks.append(Check(module, status, detail, hint))
        log(f"import {module}: {detail}" if not ok else f"import {module}: ok: {detail}")
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
