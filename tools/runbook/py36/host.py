"""What this machine offers a Python 3.6 build, and what is missing (the preflight).

Every fact comes from a command on PATH (`uname`, `sw_vers`, `xcrun`, `brew`), never from
Python's own platform module, so the tests can simulate Big Sur with fake commands and every
check can say which command to run to fix it. Probes only read; they install nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# The guide's list plus xz (without it there is no lzma) and openssl@1.1 (plain `openssl` is
# OpenSSL 3 today, which 3.6 cannot use).
FORMULAE = ("bzip2", "openssl@1.1", "readline", "sqlite", "zlib", "xz", "ncurses")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    fatal: bool = True  # a failed fatal check stops the build


@dataclass
class Host:
    system: str = ""
    machine: str = ""
    macos: str = ""
    sdk: str = ""
    brew: str = ""
    prefixes: dict = field(default_factory=dict)  # formula -> prefix (str), installed or not
    missing: list = field(default_factory=list)  # formulae whose prefix does not exist
    compiler: str = ""
    llvm_profdata: str = ""
    checks: list = field(default_factory=list)

    @property
    def is_macos(self) -> bool:
        return self.system == "Darwin"


def _out(*argv: str) -> str | None:
    """stdout of a read-only probe, stripped; None when the command is missing or fails."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def probe(any_platform: bool = False, optimizations: bool = True, install_deps: bool = False,
          openssl_prefix: str | None = None) -> Host:
    """Probe the machine and judge it, one Check per requirement, in the order they matter."""
    host = Host(system=_out("uname", "-s") or "unknown", machine=_out("uname", "-m") or "unknown")
    checks = host.checks
    relaxed = "allowed by --any-platform" if any_platform else ""

    if host.is_macos:
        host.macos = _out("sw_vers", "-productVersion") or "unknown"
        if host.machine == "arm64":
            checks.append(Check(
                "platform", False, f"macOS {host.macos} on arm64 (Apple Silicon)",
                "3.6 predates Apple Silicon: build under Rosetta with an Intel Homebrew "
                "(`arch -x86_64 nox -s build-py36`) or add pyenv's arm64 patches; "
                "--any-platform tries anyway", fatal=not any_platform))
        elif not host.macos.startswith("11."):
            checks.append(Check(
                "platform", False, f"macOS {host.macos} on {host.machine}: the guide and patch "
                "target Big Sur (11.x)", "--any-platform tries anyway", fatal=not any_platform))
        else:
            checks.append(Check("platform", True, f"macOS {host.macos} on {host.machine}"))
    else:
        checks.append(Check(
            "platform", any_platform,
            f"{host.system} {host.machine}: not macOS; {relaxed or 'this build targets Big Sur'}"
            + ("; the posixmodule patch changes nothing here (#ifdef __APPLE__)"
               if any_platform else ""),
            "" if any_platform else "add --any-platform to build here anyway",
            fatal=not any_platform))

    if host.is_macos:
        _probe_macos(host, install_deps, openssl_prefix)
        host.compiler = "/usr/bin/clang"
    else:
        host.compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang") or ""
        checks.append(Check("compiler", bool(host.compiler), host.compiler or "no C compiler",
                            "install gcc or clang (e.g. `apt-get install build-essential`)"))
        if openssl_prefix:
            host.prefixes["openssl@1.1"] = openssl_prefix
            ok = Path(openssl_prefix, "include", "openssl", "ssl.h").exists()
            checks.append(Check("openssl", ok, f"--openssl-prefix {openssl_prefix}",
                                "give the prefix of an OpenSSL 1.1 install (holding "
                                "include/openssl/ssl.h)"))

    for tool in ("make", "patch"):
        path = shutil.which(tool)
        checks.append(Check(tool, bool(path), path or f"{tool} not found",
                            "xcode-select --install" if host.is_macos else f"install {tool}"))

    if optimizations:
        uses_clang = "clang" in os.path.basename(host.compiler)
        if uses_clang:
            host.llvm_profdata = (_out("xcrun", "--find", "llvm-profdata") if host.is_macos
                                  else None) or shutil.which("llvm-profdata") or ""
            checks.append(Check(
                "llvm-profdata", bool(host.llvm_profdata),
                host.llvm_profdata or "not found: --enable-optimizations needs it with clang",
                "install the Xcode Command Line Tools (`xcode-select --install`), or pass "
                "--no-optimizations"))
        else:
            checks.append(Check("llvm-profdata", True, "not needed (gcc profiles by itself)"))
    return host


def _probe_macos(host: Host, install_deps: bool, openssl_prefix: str | None) -> None:
    checks = host.checks
    host.sdk = _out("xcrun", "--show-sdk-path") or ""
    sdk_ok = bool(host.sdk) and Path(host.sdk).is_dir()
    checks.append(Check("command line tools", sdk_ok,
                        f"SDK {host.sdk}" if sdk_ok else "`xcrun --show-sdk-path` gave no SDK",
                        "xcode-select --install"))
    host.brew = shutil.which("brew") or ""
    checks.append(Check(
        "homebrew", bool(host.brew), host.brew or "brew not found",
        '/bin/bash -c "$(curl -fsSL https://raw.githubusercontent.com/Homebrew/install/HEAD/'
        'install.sh)"'))
    if not host.brew:
        return
    for formula in FORMULAE:
        if formula == "openssl@1.1" and openssl_prefix:
            prefix = openssl_prefix
        else:
            prefix = _out("brew", "--prefix", formula) or ""
        host.prefixes[formula] = prefix
        if not prefix or not Path(prefix).is_dir():
            host.missing.append(formula)
    if host.missing:
        fix = "brew install " + " ".join(host.missing)
        if "openssl@1.1" in host.missing:
            fix += ("  (if Homebrew refuses openssl@1.1 as disabled, install OpenSSL 1.1.1w "
                    "from a tap or from source and pass --openssl-prefix)")
        checks.append(Check(
            "formulae", False, "missing: " + " ".join(host.missing)
            + ("; --install-deps installs them first" if install_deps else ""),
            fix, fatal=not install_deps))
    else:
        checks.append(Check("formulae", True, " ".join(FORMULAE)))
