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
    near: str = ""  # the line counts only when this is on it or on one of the NEAR lines before
    warning: bool = False  # true of the build but never why a step stopped: shown beside

    def search(self, text: str, timed_out: bool = False) -> str | None:
        """The first log line that shows this cause, or None."""
        if self.needs_timeout and not timed_out:
            return None
        lines = text.splitlines()
        if self.tail_only:
            lines = lines[-TAIL:]
        regex = re.compile(self.pattern)
        context = re.compile(self.near) if self.near else None
        for index, line in enumerate(lines):
            if not regex.search(line):
                continue
            if context is None or any(context.search(before)
                                      for before in lines[max(0, index - NEAR):index + 1]):
                return line.strip()
        return None


TAIL = 25
NEAR = 15  # lines before a crash that show what was running

CAUSES: tuple[Cause, ...] = (
    Cause(
        "sendfile",
        r"implicit declaration of function '?sendfile'?|struct sf_hdtr",
        "posixmodule.c uses sendfile() and struct sf_hdtr without their headers: the Big Sur "
        "SDK no longer includes <sys/socket.h> and <sys/uio.h> implicitly. The posixmodule "
        "patch was not applied to this tree.",
        "Check logs/patch.log; re-run without --source DIR (a fresh tree is patched), or apply "
        "python-3.6-posixmodule-big-sur.patch (its path is in `--dry-run`'s plan) with "
        "`patch -p1 --forward --fuzz=0`.",
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
        "setup.py read OpenSSL 3 headers: 3.6 reads OPENSSL_VERSION_NUMBER only as a hex "
        "literal, which OpenSSL 3 defines as an expression, so it sees version 0 and skips "
        "_hashlib. _ssl still builds and works with OpenSSL 3; hashlib falls back to Python's "
        "builtin hashes (md5, sha1, sha2, sha3, blake2). This never stops a build by itself.",
        "Off macOS the build applies python-3.6-openssl3-hashlib.patch, which fixes "
        "it: check logs/patch.log (a --source tree patched before may lack it). On macOS "
        "OpenSSL 3 headers were found before openssl@1.1's: `brew install openssl@1.1` or "
        "--openssl-prefix.",
        warning=True,
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
        "alignment",
        r"Segmentation fault|Error 139\b|killed by SIGSEGV|crashed \(Exit code -11\)",
        "A segfault while running ensurepip (pip imports ctypes) or using ctypes: CPython 3.6 "
        "aligns objects to 8 bytes, compilers assume 16 on 64-bit (gcc 12 stores two pointers "
        "in PyCFuncPtr_new with one aligned movaps), so whether it crashes depends on the heap "
        "layout. Upstream fixed it in 3.7 (bpo-27987), never in 3.6. libffi is not involved.",
        "Build with the alignment backport (python-3.6-alignment-bpo-27987.patch, "
        "applied by default: leave out --no-alignment-patch; a --source tree built before "
        "needs a fresh extract). `CFLAGS=-fno-tree-vectorize` is only a stopgap.",
        near=r"ensurepip|ctypes|pip",
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
    "ssl": "OpenSSL headers not found: `brew install openssl@1.1` (CPPFLAGS needs its "
    "include folder), `apt-get install libssl-dev` on Debian/Ubuntu, or --openssl-prefix",
    "zlib": "zlib.h not found: no SDK sysroot (`xcrun --show-sdk-path`) or `brew install zlib`",
    "bz2": "bzip2 headers not found: `brew install bzip2` (Debian/Ubuntu: libbz2-dev)",
    "sqlite3": "sqlite headers not found: `brew install sqlite` (Debian/Ubuntu: libsqlite3-dev)",
    "readline": "readline headers not found: `brew install readline` (and ncurses; "
    "Debian/Ubuntu: libreadline-dev)",
    "ctypes": "_ctypes not built: libffi headers missing (Debian/Ubuntu: libffi-dev)",
    "lzma": "xz (liblzma) headers not found: `brew install xz` (missing from the guide's list; "
    "Debian/Ubuntu: liblzma-dev)",
    "hashlib": "builtin hashes only: _hashlib was not built; with OpenSSL 3 headers and "
    "without the openssl3-hashlib patch, setup.py cannot read the version (known cause "
    "`openssl3`)",
    "pip": "ensurepip did not install pip: see logs/install.log",
    "SIGSEGV": "3.6's 8-byte object alignment (known cause `alignment`): build with the "
    "bpo-27987 backport (the default; not --no-alignment-patch)",
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
    """Readable lines: first why the step stopped, then the warnings the same log shows.

    A warning (such as OpenSSL 3's skipped _hashlib) is never given as the reason: a log can
    hold it beside the real failure, as `make altinstall` does when ensurepip crashes.
    """
    out = []
    found = match(text, timed_out)
    for cause, line in [f for f in found if not f[0].warning]:
        out += [f"Known cause ({cause.name}): {line}", f"  What it means: {cause.meaning}",
                f"  Fix: {cause.fix}"]
    for cause, line in [f for f in found if f[0].warning]:
        out += [f"Also in this log, a warning ({cause.name}): {line}",
                f"  What it means: {cause.meaning}", f"  If you need it: {cause.fix}"]
    return out


def reasons(text: str, timed_out: bool = False) -> list[Cause]:
    """The causes that explain why a step stopped (warnings left out)."""
    return [cause for cause, _ in match(text, timed_out) if not cause.warning]
