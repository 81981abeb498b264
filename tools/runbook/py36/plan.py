"""The build plan: every step, command and environment variable, derived from options and host.

Kept free of side effects so that `--dry-run` prints exactly what a build would run and the
tests can check the configure flags of a simulated Big Sur without a Mac.
"""

from __future__ import annotations

import os
import shlex
import sys
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from runbook.py36.host import FORMULAE, Host
from runbook.py36.source import expected_sha256

VERSIONS = ("3.6.13", "3.6.15")
DEFAULT_VERSION = "3.6.13"
DEFAULT_STEP_TIMEOUT = 3600.0
URL = "https://www.python.org/ftp/python/{v}/Python-{v}.tgz"
# Package data (pyproject: "runbook.py36" = ["patches/*.patch"]): found outside a checkout too.
PATCHES = Path(__file__).resolve().parent / "patches"
PATCH = PATCHES / "python-3.6-posixmodule-big-sur.patch"
# bpo-27987 backported: without it gcc 12's aligned stores crash ctypes, and with it ensurepip.
ALIGNMENT_PATCH = PATCHES / "python-3.6-alignment-bpo-27987.patch"
# Lets setup.py read OpenSSL 3's version, so _hashlib is built; not on macOS (openssl@1.1 there).
HASHLIB_PATCH = PATCHES / "python-3.6-openssl3-hashlib.patch"
DEPLOYMENT_TARGET = "11.0"
# Variables that would make the build or its ensurepip pick up the caller's Python or pip setup.
SCRUB = ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__", "PYTHONSTARTUP",
         "PIP_REQUIRE_VIRTUALENV", "PIP_USER")


def default_cache() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "id3c-runbook" / "python"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "id3c-runbook" / "python"


def default_prefix() -> Path:
    return Path.home() / ".local" / "python3.6"


@dataclass
class Options:
    version: str = DEFAULT_VERSION
    prefix: Path = field(default_factory=default_prefix)
    cache: Path = field(default_factory=default_cache)
    source: Path | None = None
    sha256: str | None = None
    url: str | None = None
    install_deps: bool = False
    any_platform: bool = False
    optimizations: bool = True
    tests: bool = True
    strict_tests: bool = False
    jobs: int | None = None
    step_timeout: float = DEFAULT_STEP_TIMEOUT
    openssl_prefix: str | None = None
    allow_missing: tuple = ()
    dry_run: bool = False
    alignment_patch: bool = True
    test_names: tuple = ()  # only these regrtest tests (e.g. test_ctypes); empty: the whole suite

    @property
    def tarball_name(self) -> str:
        """The official name, or the mirror URL's file name (its checksum then needs --sha256)."""
        if self.url:
            name = Path(urllib.parse.urlparse(self.url).path).name
            if name:
                return name
        return f"Python-{self.version}.tgz"

    @property
    def download_url(self) -> str:
        return self.url or URL.format(v=self.version)


@dataclass
class Step:
    name: str  # also the log file's stem: <cache>/logs/<name>.log
    title: str
    argv: list = field(default_factory=list)  # empty for steps done in Python
    env: dict = field(default_factory=dict)  # variables set on top of the caller's environment
    cwd: Path | None = None
    note: str = ""  # what a Python-side step does, shown in the plan
    skipped: str = ""  # why it will not run (shown in the plan)

    def shell(self) -> str:
        """The step as one line to paste into a shell."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        cmd = " ".join(shlex.quote(a) for a in self.argv)
        where = f"cd {shlex.quote(str(self.cwd))} && " if self.cwd else ""
        return where + (f"{env} " if env else "") + cmd


@dataclass
class Plan:
    options: Options
    host: Host
    tree: Path
    tarball: Path | None
    env: dict
    steps: list
    patches: list = field(default_factory=list)  # applied in order, each with fuzz 0

    @property
    def python(self) -> Path:
        return self.options.prefix / "bin" / "python3.6"

    @property
    def logs(self) -> Path:
        return self.options.cache / "logs"

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)


def build_env(options: Options, host: Host) -> dict:
    """Compiler flags from `brew --prefix` (macOS) or --openssl-prefix, never /usr/local/opt.

    Include paths go in CPPFLAGS: 3.6's setup.py reads `-I` only from CPPFLAGS, so the guide's
    CFLAGS-only includes leave _ssl unbuilt. `-isysroot` goes in CFLAGS, where setup.py looks
    for the SDK that holds zlib.h, and in LDFLAGS for the link.
    """
    env: dict = {}
    cppflags: list = []
    ldflags: list = []
    if host.is_macos:
        env["CC"] = "/usr/bin/clang"
        env["MACOSX_DEPLOYMENT_TARGET"] = DEPLOYMENT_TARGET
        # openssl@1.1 first so its headers win over any OpenSSL 3 elsewhere on the path.
        order = ["openssl@1.1"] + [f for f in FORMULAE if f != "openssl@1.1"]
        for formula in order:
            prefix = host.prefixes.get(formula)
            if prefix:
                cppflags.append(f"-I{prefix}/include")
                ldflags.append(f"-L{prefix}/lib")
        if host.sdk:
            env["CFLAGS"] = f"-isysroot {host.sdk}"
            ldflags.append(f"-isysroot {host.sdk}")
    elif options.openssl_prefix:
        cppflags.append(f"-I{options.openssl_prefix}/include")
        ldflags += [f"-L{options.openssl_prefix}/lib",
                    f"-Wl,-rpath,{options.openssl_prefix}/lib"]
    if cppflags:
        env["CPPFLAGS"] = " ".join(cppflags)
    if ldflags:
        env["LDFLAGS"] = " ".join(ldflags)
    return env


def patches_for(options: Options, host: Host) -> list:
    """posixmodule (a no-op off macOS), the alignment backport (every platform, unless
    --no-alignment-patch), and off macOS the OpenSSL 3 _hashlib fix (a no-op on OpenSSL 1.1)."""
    chosen = [PATCH]
    if options.alignment_patch:
        chosen.append(ALIGNMENT_PATCH)
    if not host.is_macos:
        chosen.append(HASHLIB_PATCH)
    return chosen


def configure_args(options: Options) -> list:
    args = ["./configure", f"--prefix={options.prefix}", "--with-ensurepip"]
    if options.optimizations:
        args.append("--enable-optimizations")
    return args


def make_plan(options: Options, host: Host) -> Plan:
    """Every step in order; skipped ones stay in the list with the reason."""
    jobs = options.jobs or os.cpu_count() or 1
    source = options.source
    cache = options.cache
    if source is not None and source.is_dir():
        tree, tarball = source, None
    else:
        tarball = source if source is not None else cache / "downloads" / options.tarball_name
        tree = cache / "build" / f"Python-{options.version}"
    env = build_env(options, host)
    steps = []

    deps = Step("deps", "install missing Homebrew formulae",
                argv=["brew", "install", *host.missing])
    if not host.missing:
        deps.skipped = "nothing missing"
    elif not options.install_deps:
        deps.skipped = "without --install-deps (run: brew install " + " ".join(host.missing) + ")"
    steps.append(deps)

    fetch = Step("fetch", f"download {options.tarball_name} and verify its sha256",
                 argv=["curl", "-fL", "--retry", "3", "-o", str(tarball), options.download_url])
    want = expected_sha256(tarball.name if tarball else "", options.sha256)
    if source is not None:
        fetch.argv = []
        fetch.title = f"check {source.name}"
        fetch.note = (f"use {source} (an unpacked tree)" if tarball is None else
                      f"use {source}; sha256 must be {want}" if want else
                      f"use {source}; no known sha256 (pass --sha256 to check it)")
        if tarball is None:
            fetch.skipped = "--source is a folder"
    else:
        fetch.note = f"sha256 must be {want}; a mismatch deletes the download and stops"
    steps.append(fetch)

    extract = Step("extract", f"extract into {tree.parent} (a fresh tree each run)",
                   note=f"tar -xzf {tarball} -C {tree.parent}" if tarball else "")
    if tarball is None:
        extract.skipped = "--source is a folder"
    steps.append(extract)

    patches = patches_for(options, host)
    patch_cmds = ["$ " + " ".join(["patch", "-p1", "--forward", "--fuzz=0", "-i", str(p)])
                  for p in patches]
    patch = Step("patch", f"apply {len(patches)} patches (each skipped when already applied)",
                 cwd=tree,
                 note="\n     ".join(patch_cmds))
    if not host.is_macos:
        patch.note += "\n     (the posixmodule hunk is inside #ifdef __APPLE__: no change here)"
    if not options.alignment_patch:
        patch.note += "\n     without the alignment backport (--no-alignment-patch)"
    steps.append(patch)
    steps.append(Step("configure", "configure", argv=configure_args(options), env=env, cwd=tree))
    steps.append(Step("make", f"compile with {jobs} jobs", argv=["make", f"-j{jobs}"], env=env,
                      cwd=tree))
    test_argv = ["make", "test"]
    if options.test_names:
        test_argv.append("TESTOPTS=" + " ".join(options.test_names))
    test = Step("test", "run the test suite" if not options.test_names else
                "run " + " ".join(options.test_names), argv=test_argv, env=env, cwd=tree,
                note="failures stop the build" if options.strict_tests else
                "failures are listed; they stop the build only with --strict-tests")
    if not options.tests:
        test.skipped = "--skip-tests"
    steps.append(test)
    steps.append(Step("install", f"install into {options.prefix}", argv=["make", "altinstall"],
                      env=env, cwd=tree))
    steps.append(Step("verify", "import each module in its own process",
                      note=f"{options.prefix}/bin/python3.6 -c 'import <module>' for "
                      "ssl zlib bz2 sqlite3 readline ctypes (with a callback) lzma hashlib "
                      "(naming its backend), and -m pip --version"))
    return Plan(options, host, tree, tarball, env, steps, patches)


def describe(plan: Plan) -> list:
    """The plan as text lines: environment, then each step's command."""
    o = plan.options
    lines = [f"Python {o.version} -> {o.prefix}/bin/python3.6",
             f"cache {o.cache} (logs in {plan.logs}), source tree {plan.tree}",
             f"per-step time limit {o.step_timeout:g}s",
             "Environment for configure, make, test and install"
             + (" (plus the caller's, without " + ", ".join(SCRUB) + "):")]
    lines += [f"  {k}={shlex.quote(v)}" for k, v in plan.env.items()] or ["  (nothing added)"]
    for number, step in enumerate(plan.steps, 1):
        head = f"{number}. {step.name}: {step.title}"
        if step.skipped:
            lines.append(f"{head}  [skipped: {step.skipped}]")
            continue
        lines.append(head)
        if step.argv:
            lines.append(f"     $ {step.shell()}")
        if step.note:
            lines.append(f"     {step.note}")
    return lines
