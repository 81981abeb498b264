"""Known ways a Python 3.6 build fails, and what each means.

The guide ended in "if it fails, consider these instructions to be broken". These are the
failures people actually hit, matched against a step's log so the build can say why it stopped
instead of leaving the reader to scroll a 20,000-line log. The docs page lists the same causes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Cause:
    name: str
    pattern: str  # searched in each log line (re.search)
    meaning: str
    fix: str
    tail_only: bool = False  # look only at the last lines (what was running when it stopped)
    needs_timeout: bool = False  # only when the step was stopped by --step-timeout

    def search(self, text: str, timed_out: bool = False) -> str | None:
        """The first log line that shows this cause, or None."""
        if self.needs_timeout and not timed_out:
            return None
        lines = text.splitlines()
        if self.tail_only:
            lines = lines[-TAIL:]
        regex = re.compile(self.pattern)
        for line in lines:
            if regex.search(line):
                return line.strip()
        return None


TAIL = 25

CAUSES: tuple[Cause, ...] = (
    Cause(
        "sendfile",
        r"implicit declaration of function '?sendfile'?|struct sf_hdtr",
        "posixmodule.c uses sendfile() and struct sf_hdtr without their headers: the Big Sur "
        "SDK no longer includes <sys/socket.h> and <sys/uio.h> implicitly. The posixmodule "
        "patch was not applied to this tree.",
        "Check logs/patch.log; re-run without --source DIR (a fresh tree is patched), or apply "
        "patches/python-3.6-posixmodule-big-sur.patch with `patch -p1 --forward --fuzz=0`.",
    ),
    Cause(
        "platform-triplet",
        r"internal configure error for the platform triplet",
        "Command Line Tools / Xcode 13.3 and later ship a clang that answers "
        "`--print-multiarch`; 3.6's configure predates that (bpo-45405, never backported to 3.6) "
        "and stops.",
        "Install Command Line Tools 13.2 or older and select them with "
        "`sudo xcode-select --switch <path>`, or apply the bpo-45405 configure fix (pyenv "
        "carries a backport for 3.6).",
    ),
    Cause(
        "arm64",
        r"Unexpected output of 'arch'",
        "configure ran on Apple Silicon: 3.6 knows only i386, ppc and x86_64 Macs.",
        "Build under Rosetta: an Intel Homebrew in /usr/local and `arch -x86_64 nox -s "
        "build-py36`, or use pyenv's extra arm64 patches for 3.6.",
    ),
    Cause(
        "openssl3",
        r"openssl 0x0+ is too old for _hashlib",
        "setup.py read OpenSSL 3 headers: 3.6 finds the version only as a hex literal, which "
        "OpenSSL 3 no longer has, so it sees version 0 and skips _hashlib (and _ssl needs 1.1).",
        "Use OpenSSL 1.1: `brew install openssl@1.1` (the script puts its prefix first in "
        "CPPFLAGS), or point --openssl-prefix at an OpenSSL 1.1 install.",
    ),
    Cause(
        "openssl11-gone",
        r"openssl@1\.1 has been disabled|No available formula with the name \"?openssl@1\.1",
        "Homebrew no longer installs openssl@1.1: OpenSSL 1.1.1 reached its end of life in "
        "September 2023 and the formula was disabled (it may since have been removed).",
        "Install OpenSSL 1.1.1w another way (a tap that still carries it, or from source into "
        "a prefix such as ~/.local/openssl-1.1) and pass --openssl-prefix PATH.",
    ),
    Cause(
        "zlib-sysroot",
        r"zlib not available",
        "The interpreter was built without zlib, so ensurepip cannot unpack pip's wheel. On "
        "macOS, setup.py looks for zlib.h inside the SDK only when CFLAGS carries "
        "`-isysroot $(xcrun --show-sdk-path)`.",
        "Check `xcrun --show-sdk-path` prints an existing folder (`xcode-select --install` "
        "otherwise) and that `brew --prefix zlib` exists; the script adds both. Re-run.",
    ),
    Cause(
        "ctypes-libffi",
        r"import ctypes: killed by SIGSEGV|test_ctypes.*(crashed|Segmentation fault)",
        "ctypes crashes on import: on Linux 3.6 always links the system libffi, and libffi "
        "3.4's closures are not compatible with 3.6's ctypes.",
        "Leave it (ID3C does not need ctypes), or build libffi 3.3 into a prefix and add its "
        "include and lib folders to CPPFLAGS and LDFLAGS.",
    ),
    Cause(
        "faulthandler-stall",
        r"test_faulthandler",
        "The test suite stalled in test_faulthandler's stack-overflow test: gcc 10 and later "
        "compile 3.6.13's recursion so that it never overflows (bpo-38965, fixed after 3.6).",
        "Re-run with --skip-tests and, for the profile run of --enable-optimizations, "
        "--no-optimizations; or build with clang.",
        tail_only=True,
        needs_timeout=True,
    ),
)

# What usually breaks one module at a time, shown beside a failed import in the summary.
MODULE_HINTS = {
    "ssl": "OpenSSL 1.1 headers not found: `brew install openssl@1.1` (CPPFLAGS needs its "
    "include folder), or OpenSSL 3 headers were used instead; see --openssl-prefix",
    "zlib": "zlib.h not found: no SDK sysroot (`xcrun --show-sdk-path`) or `brew install zlib`",
    "bz2": "bzip2 headers not found: `brew install bzip2`",
    "sqlite3": "sqlite headers not found: `brew install sqlite`",
    "readline": "readline headers not found: `brew install readline` (and ncurses)",
    "ctypes": "libffi: on Linux the system libffi 3.4 breaks 3.6's ctypes (build libffi 3.3)",
    "lzma": "xz (liblzma) headers not found: `brew install xz` (missing from the guide's list)",
    "hashlib": "_hashlib not built: OpenSSL 3 headers (setup.py prints 'openssl 0x00000000 "
    "is too old for _hashlib'); use openssl@1.1",
}


def match(text: str, timed_out: bool = False) -> list[tuple[Cause, str]]:
    """Every known cause this log shows, with the line that shows it."""
    found = []
    for cause in CAUSES:
        line = cause.search(text, timed_out)
        if line is not None:
            found.append((cause, line))
    return found


def explain(text: str, timed_out: bool = False) -> list[str]:
    """Human-readable lines for each known cause in the log (empty when none matches)."""
    out = []
    for cause, line in match(text, timed_out):
        out += [f"Known cause ({cause.name}): {line}", f"  What it means: {cause.meaning}",
                f"  Fix: {cause.fix}"]
    return out
