"""`runbook build-py36` without a Mac or the network, and once on real sources.

Four layers: the plan on a simulated Big Sur (fake `uname`, `sw_vers`, `xcrun`, `brew` first
on PATH); the two patches against the real heads of 3.6.13's posixmodule.c, obmalloc.c and
objimpl.h; whole builds of a synthetic source tarball whose configure and Makefile record what
they were given and install a stand-in python3.6 that can fail the ways real builds fail, with
excerpts of real build logs (tests/py36_fixtures/real/) as the failures; and, opt-in
(RUNBOOK_PY36_SOURCE, `nox -s build-py36-real`), a real build checked at the point of use.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from requirements import need
from runbook.py36 import causes as py36_causes
from runbook.py36 import source as py36_source
from runbook.py36.build import failed_tests
from runbook.py36.cli import build_cmd
from runbook.py36.host import FORMULAE, probe
from runbook.py36.plan import (
    ALIGNMENT_PATCH,
    HASHLIB_PATCH,
    PATCH,
    Options,
    describe,
    make_plan,
)
from runbook.py36.run import run
from runbook.snippets import catalog
from runbook.triage import pages as triage

ROOT = catalog.repo_root()
FIXTURES = Path(__file__).parent / "py36_fixtures"
POSIX_HEAD = FIXTURES / "posixmodule-3.6.13-head.c"
OBMALLOC_HEAD = FIXTURES / "obmalloc-3.6.13-head.c"  # lines 1-664 of Objects/obmalloc.c
OBJIMPL_HEAD = FIXTURES / "objimpl-3.6.13-head.h"  # lines 1-265 of Include/objimpl.h
SETUP_HEAD = FIXTURES / "setup-3.6.13-head.py.txt"  # lines 1-905 of setup.py (not linted)
REAL_LOGS = FIXTURES / "real"
PAGE = ROOT / "docs" / "software" / "python36-big-sur.md"


def write_exe(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# --- a simulated Big Sur --------------------------------------------------------------------


@pytest.fixture
def bigsur(tmp_path, monkeypatch):
    """Fake macOS commands first on PATH; returns a namespace to tweak and read them."""
    bin_dir, opt, sdk = tmp_path / "fakebin", tmp_path / "brew" / "opt", tmp_path / "sdk"
    sdk.mkdir(parents=True)
    write_exe(bin_dir / "uname", '#!/bin/sh\ncase "$1" in -s) echo Darwin;; '
              '-m) echo "${FAKE_MACHINE:-x86_64}";; *) echo Darwin;; esac\n')
    write_exe(bin_dir / "sw_vers", '#!/bin/sh\necho "${FAKE_MACOS:-11.4}"\n')
    write_exe(bin_dir / "xcrun", f'#!/bin/sh\ncase "$1" in --show-sdk-path) echo {sdk};;\n'
              '--find) [ -z "$FAKE_NO_PROFDATA" ] && echo /Library/Developer/CommandLineTools/'
              'usr/bin/llvm-profdata || exit 1;;\n*) exit 1;; esac\n')
    write_exe(bin_dir / "brew", f'#!/bin/sh\nrecord="{tmp_path}/brew.calls"\necho "$@" >> "$record"\n'
              f'case "$1" in --prefix) echo "{opt}/$2";;\n'
              f'install) shift; for f in "$@"; do mkdir -p "{opt}/$f"; done;;\n'
              'esac\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for formula in FORMULAE:
        (opt / formula).mkdir(parents=True)

    class Mac:
        pass

    mac = Mac()
    mac.opt, mac.sdk, mac.bin, mac.calls = opt, sdk, bin_dir, tmp_path / "brew.calls"
    return mac


def plan_for(tmp_path, **kw):
    options = Options(prefix=tmp_path / "prefix", cache=tmp_path / "cache", **kw)
    host = probe(options.any_platform, options.optimizations, options.install_deps,
                 options.openssl_prefix)
    return make_plan(options, host)


def test_bigsur_configure_flags_come_from_brew_prefix(bigsur, tmp_path):
    plan = plan_for(tmp_path)
    assert [c.name for c in plan.host.checks if not c.ok] == []
    configure = plan.step("configure")
    assert configure.argv == ["./configure", f"--prefix={tmp_path / 'prefix'}",
                              "--with-ensurepip", "--enable-optimizations"]
    order = ["openssl@1.1", "bzip2", "readline", "sqlite", "zlib", "xz", "ncurses"]
    assert configure.env == {
        "CC": "/usr/bin/clang",
        "MACOSX_DEPLOYMENT_TARGET": "11.0",
        "CFLAGS": f"-isysroot {bigsur.sdk}",
        "CPPFLAGS": " ".join(f"-I{bigsur.opt}/{f}/include" for f in order),
        "LDFLAGS": " ".join(f"-L{bigsur.opt}/{f}/lib" for f in order) + f" -isysroot {bigsur.sdk}",
    }
    assert "/usr/local/opt" not in "\n".join(describe(plan))
    assert "openssl/" not in configure.env["CPPFLAGS"]  # openssl@1.1, never OpenSSL 3
    # every build step sees the same variables (distutils checks MACOSX_DEPLOYMENT_TARGET)
    for name in ("make", "test", "install"):
        assert plan.step(name).env == configure.env
    assert plan.step("make").argv == ["make", f"-j{os.cpu_count()}"]
    assert plan.step("test").argv == ["make", "test"] and not plan.step("test").skipped
    assert plan.step("install").argv == ["make", "altinstall"]
    patch_note = plan.step("patch").note
    assert f"patch -p1 --forward --fuzz=0 -i {PATCH}" in patch_note
    assert f"patch -p1 --forward --fuzz=0 -i {ALIGNMENT_PATCH}" in patch_note
    assert plan.step("deps").skipped == "nothing missing"


def test_options_change_the_plan(bigsur, tmp_path):
    plan = plan_for(tmp_path, jobs=3, optimizations=False, tests=False)
    assert plan.step("make").argv == ["make", "-j3"]
    assert "--enable-optimizations" not in plan.step("configure").argv
    assert plan.step("test").skipped == "--skip-tests"
    assert "llvm-profdata" not in [c.name for c in plan.host.checks]

    tree = tmp_path / "Python-3.6.13"
    tree.mkdir()
    plan = plan_for(tmp_path, source=tree)
    assert plan.step("fetch").skipped and plan.step("extract").skipped
    assert plan.step("configure").cwd == tree

    plan = plan_for(tmp_path, version="3.6.15")
    assert plan.step("fetch").argv[-1].endswith("/3.6.15/Python-3.6.15.tgz")
    assert "54570b7e339e2cfd72b29c7e2fdb47c0b7b18b7412e61de5b463fc087c13b043" in plan.step(
        "fetch").note

    plan = plan_for(tmp_path, openssl_prefix="/opt/openssl-1.1")
    assert plan.step("configure").env["CPPFLAGS"].startswith("-I/opt/openssl-1.1/include ")

    assert HASHLIB_PATCH not in plan_for(tmp_path).patches  # macOS builds use openssl@1.1

    plan = plan_for(tmp_path, alignment_patch=False, test_names=("test_ctypes", "test_gc"))
    assert str(ALIGNMENT_PATCH) not in plan.step("patch").note
    assert "--no-alignment-patch" in plan.step("patch").note
    assert plan.step("test").argv == ["make", "test", "TESTOPTS=test_ctypes test_gc"]


def test_missing_formulae_print_the_command_or_install_them(bigsur, tmp_path):
    shutil.rmtree(bigsur.opt / "xz")
    shutil.rmtree(bigsur.opt / "openssl@1.1")
    plan = plan_for(tmp_path)
    formulae = next(c for c in plan.host.checks if c.name == "formulae")
    assert not formulae.ok and formulae.fatal
    assert formulae.fix.startswith("brew install openssl@1.1 xz")
    assert plan.step("deps").skipped.startswith("without --install-deps")

    plan = plan_for(tmp_path, install_deps=True)
    formulae = next(c for c in plan.host.checks if c.name == "formulae")
    assert not formulae.fatal
    assert plan.step("deps").argv == ["brew", "install", "openssl@1.1", "xz"]
    assert not plan.step("deps").skipped


@pytest.mark.parametrize("machine, macos, words", [
    ("arm64", "11.4", "Rosetta"),
    ("x86_64", "12.6", "Big Sur (11.x)"),
])
def test_other_macs_need_any_platform(bigsur, tmp_path, monkeypatch, machine, macos, words):
    monkeypatch.setenv("FAKE_MACHINE", machine)
    monkeypatch.setenv("FAKE_MACOS", macos)
    check = plan_for(tmp_path).host.checks[0]
    assert check.name == "platform" and not check.ok and check.fatal
    assert words in check.detail + check.fix
    check = plan_for(tmp_path, any_platform=True).host.checks[0]
    assert not check.ok and not check.fatal


def test_llvm_profdata_is_checked_before_optimizing(bigsur, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_NO_PROFDATA", "1")
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which",
                        lambda name, *a, **k: None if name == "llvm-profdata" else real_which(name))
    check = next(c for c in plan_for(tmp_path).host.checks if c.name == "llvm-profdata")
    assert not check.ok and check.fatal and "--no-optimizations" in check.fix


def test_dry_run_prints_everything_and_runs_nothing(bigsur, tmp_path):
    args = ["--dry-run", "--prefix", str(tmp_path / "prefix"), "--cache", str(tmp_path / "cache")]
    result = CliRunner().invoke(build_cmd, args)
    assert result.exit_code == 0, result.output
    assert "Preflight failed" not in result.output
    shutil.rmtree(bigsur.opt / "xz")
    result = CliRunner().invoke(build_cmd, args)
    # a failed preflight is an exit status a script can test, after the whole plan
    assert result.exit_code == 2, result.output
    out = result.output
    assert out.rstrip().endswith("Preflight failed: fix the items marked FAIL (or see --help).")
    assert "FAIL formulae: missing: xz" in out and "fix: brew install xz" in out
    assert f"CPPFLAGS='-I{bigsur.opt}/openssl@1.1/include" in out
    assert "MACOSX_DEPLOYMENT_TARGET=11.0" in out and "CC=/usr/bin/clang" in out
    assert "./configure --prefix=" in out and "make altinstall" in out
    assert "brew install xz" in out
    assert not (tmp_path / "cache").exists() and not (tmp_path / "prefix").exists()
    assert "install" not in bigsur.calls.read_text()  # only `brew --prefix` probes ran


def test_linux_plan_with_any_platform(tmp_path):
    if os.uname().sysname == "Darwin":
        pytest.skip("checks the non-macOS plan")
    plan = plan_for(tmp_path, any_platform=True, openssl_prefix="/opt/ssl11")
    env = plan.step("configure").env
    assert "CC" not in env and "MACOSX_DEPLOYMENT_TARGET" not in env
    assert env["CPPFLAGS"] == "-I/opt/ssl11/include"
    assert env["LDFLAGS"] == "-L/opt/ssl11/lib -Wl,-rpath,/opt/ssl11/lib"
    assert plan_for(tmp_path).host.checks[0].fatal  # without --any-platform
    assert plan.patches == [PATCH, ALIGNMENT_PATCH, HASHLIB_PATCH]


# --- the patches ----------------------------------------------------------------------------

CONTEXT_13_30 = """\
#ifdef __APPLE__
   /*
    * Step 1 of support for weak-linking a number of symbols existing on
    * OSX 10.4 and later, see the comment in the #ifdef __APPLE__ block
    * at the end of this file for more information.
    */
#  pragma weak lchown
#  pragma weak statvfs
#  pragma weak fstatvfs

#endif /* __APPLE__ */

#define PY_SSIZE_T_CLEAN

#include "Python.h"
#include "structmember.h"
#ifndef MS_WINDOWS
#include "posixmodule.h"
"""

GUIDE_HUNK = """\
diff --git a/Modules/posixmodule.c b/Modules/posixmodule.c
index 776a3d2..3b91180 100644
--- a/Modules/posixmodule.c
+++ b/Modules/posixmodule.c
@@ -19,7 +19,10 @@
 #  pragma weak lchown
 #  pragma weak statvfs
 #  pragma weak fstatvfs
-
+#include <sys/types.h>
+#include <sys/socket.h>
+#include <sys/uio.h>
+#include <copyfile.h>
 #endif /* __APPLE__ */
 #define PY_SSIZE_T_CLEAN
"""


HEADS = {"Modules/posixmodule.c": POSIX_HEAD, "Objects/obmalloc.c": OBMALLOC_HEAD,
         "Include/objimpl.h": OBJIMPL_HEAD, "setup.py": SETUP_HEAD}


@pytest.fixture
def posix_tree(tmp_path, build_tools):
    tree = tmp_path / "Python-3.6.13"
    for name, head in HEADS.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(head, tree / name)
    return tree


def test_alignment_heads_are_the_real_lines():
    obmalloc = OBMALLOC_HEAD.read_text().splitlines()
    assert len(obmalloc) == 664 and obmalloc[0] == '#include "Python.h"'
    assert obmalloc[652:654] == ["#define ALIGNMENT               8               /* must be 2^N */",
                                 "#define ALIGNMENT_SHIFT         3"]
    objimpl = OBJIMPL_HEAD.read_text().splitlines()
    assert len(objimpl) == 265 and objimpl[257] == "    double dummy;  /* force worst-case alignment */"


def test_alignment_patch_applies_at_offset_0_fuzz_0_and_once(posix_tree):
    messages = []
    assert py36_source.apply_patch(posix_tree, ALIGNMENT_PATCH, messages.append) == "applied"
    said = "\n".join(messages)
    assert "offset" not in said.lower() and "fuzz" not in said.lower(), said
    obmalloc = (posix_tree / "Objects" / "obmalloc.c").read_text()
    assert re.search(r"#if SIZEOF_VOID_P > 4\n(?:[/ ].*\n)*#define ALIGNMENT +16 .*\n"
                     r"#define ALIGNMENT_SHIFT +4\n#else\n#define ALIGNMENT +8 .*\n"
                     r"#define ALIGNMENT_SHIFT +3\n#endif\n", obmalloc), obmalloc[-2000:]
    objimpl = (posix_tree / "Include" / "objimpl.h").read_text()
    assert "    long double dummy;" in objimpl and "    double dummy;" not in objimpl
    assert (posix_tree / "Modules" / "posixmodule.c").read_text() == POSIX_HEAD.read_text()
    assert py36_source.apply_patch(posix_tree, ALIGNMENT_PATCH, messages.append) == (
        "already applied")
    assert not list(posix_tree.rglob("*.rej")) and not list(posix_tree.rglob("*.orig"))


def hashlib_version_seen(setup_py: Path, opensslv_h: str) -> int:
    """Run the OpenSSL version detection of a (patched or not) setup.py on a header text."""
    source = setup_py.read_text().splitlines()
    start = next(i for i, line in enumerate(source) if "openssl_ver = 0" in line)
    end = next(i for i, line in enumerate(source) if "#print('openssl_ver" in line)
    body = "\n".join(line[8:] for line in source[start:end])
    namespace = {"re": re, "os": os, "find_file": lambda *a: ["inc"], "inc_dirs": [],
                 "search_for_ssl_incs_in": [], "host_platform": "linux", "open": lambda *a:
                 io.StringIO(opensslv_h)}
    exec(body, namespace)
    return namespace["openssl_ver"]


OPENSSLV_3 = """# define OPENSSL_VERSION_MAJOR  3
# define OPENSSL_VERSION_MINOR  0
# define OPENSSL_VERSION_NUMBER          \\
    ( (OPENSSL_VERSION_MAJOR<<28)        \\
      |(OPENSSL_VERSION_MINOR<<20)       \\
      |(OPENSSL_VERSION_PATCH<<4)        \\
      |_OPENSSL_VERSION_PRE_RELEASE )
"""
OPENSSLV_11 = "# define OPENSSL_VERSION_NUMBER  0x101010ffL\n"


def test_hashlib_patch_lets_setup_py_see_openssl_3(posix_tree):
    setup_py = posix_tree / "setup.py"
    assert hashlib_version_seen(setup_py, OPENSSLV_3) == 0  # 3.6 as released: "too old"
    assert py36_source.apply_patch(posix_tree, HASHLIB_PATCH, lambda m: None) == "applied"
    assert hashlib_version_seen(setup_py, OPENSSLV_3) == 0x30000000
    assert hashlib_version_seen(setup_py, OPENSSLV_11) == 0x101010FF  # 1.1 unchanged


def test_alignment_patch_refuses_a_tree_without_its_files(tmp_path, build_tools):
    tree = tmp_path / "Python-3.9"
    (tree / "Objects").mkdir(parents=True)
    shutil.copy(OBMALLOC_HEAD, tree / "Objects" / "obmalloc.c")
    with pytest.raises(py36_source.SourceError, match=r"Include/objimpl\.h does not exist"):
        py36_source.apply_patch(tree, ALIGNMENT_PATCH, lambda m: None)
    assert (tree / "Objects" / "obmalloc.c").read_text() == OBMALLOC_HEAD.read_text()


def test_fixture_holds_lines_13_to_30_of_posixmodule():
    lines = POSIX_HEAD.read_text().splitlines(keepends=True)
    assert len(lines) == 30
    assert "".join(lines[12:30]) == CONTEXT_13_30


def test_patch_applies_at_offset_0_fuzz_0_and_once(posix_tree):
    messages = []
    assert py36_source.apply_patch(posix_tree, PATCH, messages.append) == "applied"
    said = "\n".join(messages)
    assert "offset" not in said.lower() and "fuzz" not in said.lower(), said
    patched = (posix_tree / "Modules" / "posixmodule.c").read_text().splitlines()
    assert patched[18:28] == [
        "#  pragma weak lchown", "#  pragma weak statvfs", "#  pragma weak fstatvfs",
        "#include <sys/types.h>", "#include <sys/socket.h>", "#include <sys/uio.h>",
        "#include <copyfile.h>", "#endif /* __APPLE__ */", "", "#define PY_SSIZE_T_CLEAN"]
    before = (posix_tree / "Modules" / "posixmodule.c").read_bytes()
    assert py36_source.apply_patch(posix_tree, PATCH, messages.append) == "already applied"
    assert (posix_tree / "Modules" / "posixmodule.c").read_bytes() == before
    assert not list(posix_tree.rglob("*.rej")) and not list(posix_tree.rglob("*.orig"))


@pytest.mark.parametrize("patch_file", [PATCH, ALIGNMENT_PATCH, HASHLIB_PATCH],
                         ids=lambda p: p.stem)
def test_git_apply_accepts_the_patch(posix_tree, patch_file):
    need("build-tools", shutil.which("git") is not None, "needs git (apt-get install git)")
    done = subprocess.run(["git", "apply", "--check", "-v", str(patch_file)], cwd=posix_tree,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_guides_hunk_needs_fuzz_and_ours_does_not(posix_tree, tmp_path):
    guide = tmp_path / "guide.patch"
    guide.write_text(GUIDE_HUNK)
    strict = subprocess.run(["patch", "-p1", "--dry-run", "--fuzz=0", "-i", str(guide)],
                            cwd=posix_tree, capture_output=True, text=True)
    assert strict.returncode != 0  # as printed, it only applies fuzzed


def test_a_file_without_the_context_stops_with_the_patch_output(posix_tree):
    target = posix_tree / "Modules" / "posixmodule.c"
    target.write_text("/* CPython 3.9 */\n#define PY_SSIZE_T_CLEAN\n" + "\n" * 40)
    with pytest.raises(py36_source.SourceError) as caught:
        py36_source.apply_patch(posix_tree, PATCH, lambda m: None)
    message = str(caught.value)
    assert "does not apply with fuzz 0" in message and "posixmodule.c" in message
    assert "FAILED" in message or "failed" in message.lower()  # patch's own words follow
    assert target.read_text().startswith("/* CPython 3.9 */")
    assert not list(posix_tree.rglob("*.rej"))


# --- whole builds of a synthetic source -----------------------------------------------------

CONFIGURE = r"""#!/bin/bash
# records its arguments and flags; fails on request with a given log line
{ printf '%s\n' "$@"; echo "CPPFLAGS=$CPPFLAGS"; echo "LDFLAGS=$LDFLAGS"; echo "CC=$CC"; } \
  > configure.args
for arg in "$@"; do case "$arg" in --prefix=*) echo "PREFIX=${arg#--prefix=}" > prefix.mk;; esac; done
echo "checking for gcc... gcc"
if [ -n "$FAKE_CONFIGURE_FAIL" ]; then echo "configure: error: $FAKE_CONFIGURE_FAIL"; exit 1; fi
echo "creating Makefile"
"""

MAKEFILE = """\
include prefix.mk
all:
\t@echo "gcc -c Modules/posixmodule.c"
\t@echo "make flags: $(MAKEFLAGS)" > make.flags
\t@if [ -n "$$FAKE_MAKE_LOG" ]; then printf '%s\\n' "$$FAKE_MAKE_LOG"; fi
\t@if [ "$$FAKE_HANG" = make ]; then sleep 60; fi
\t@test -z "$$FAKE_MAKE_FAIL"
test:
\t@echo "regrtest given: $(TESTOPTS)"
\t@echo "0:00:01 load avg: 0.52 [101/405] test_faulthandler"
\t@if [ "$$FAKE_HANG" = test ]; then sleep 60; fi
\t@if [ -n "$$FAKE_TEST_FAIL" ]; then printf '%s\\n' "== Tests result: FAILURE ==" "" \\
\t  "403 tests OK." "" "2 tests failed:" "    test_ssl test_urllib2net" "" \\
\t  "Total duration: 12 min"; exit 2; fi
\t@echo "== Tests result: SUCCESS =="
altinstall:
\t@if [ -n "$$FAKE_INSTALL_LOG" ]; then printf '%s\\n' "$$FAKE_INSTALL_LOG"; exit 1; fi
\tmkdir -p $(PREFIX)/bin
\tcp python3.6.stand-in $(PREFIX)/bin/python3.6
\tchmod +x $(PREFIX)/bin/python3.6
"""

STAND_IN = r"""#!/bin/bash
# a stand-in python3.6: answers the verification step's questions
code="$2"
for m in $FAKE_MISSING; do
  if [[ "$code" == "import $m"* || "$1 $2" == "-m $m" ]]; then
    echo "ModuleNotFoundError: No module named '_$m'" >&2; exit 1; fi
done
case "$code" in
  *sys.version_info*) echo "3.6.13";;
  "import ssl"*) echo "${FAKE_SSL_VERSION:-OpenSSL 1.1.1k  25 Mar 2021}";;
  "import ctypes"*) if [ -n "$FAKE_SEGV" ]; then ulimit -c 0; kill -SEGV $$; fi
    [[ "$code" == *qsort* ]] && echo "callback through libc qsort: ok";;
  "import hashlib"*) if [ -n "$FAKE_NO_HASHLIB" ]; then echo "builtin hashes (no _hashlib): sha256 e3b0c442"
    else echo "OpenSSL (_hashlib): sha256 e3b0c442"; fi;;
  pip) echo "pip 18.1 from /prefix/lib/python3.6/site-packages/pip (python 3.6)";;
  *) echo imported;;
esac
"""


def synthetic_tarball(path: Path, top: str = "Python-3.6.13") -> Path:
    files = {"configure": (CONFIGURE, 0o755), "Makefile": (MAKEFILE, 0o644),
             "python3.6.stand-in": (STAND_IN, 0o755)}
    files.update({name: (head.read_text(), 0o644) for name, head in HEADS.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, (text, mode) in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def synthetic(tmp_path, monkeypatch):
    for var in ("FAKE_HANG", "FAKE_TEST_FAIL", "FAKE_SEGV", "FAKE_MISSING", "FAKE_MAKE_LOG",
                "FAKE_MAKE_FAIL", "FAKE_CONFIGURE_FAIL", "FAKE_INSTALL_LOG", "FAKE_SSL_VERSION",
                "FAKE_NO_HASHLIB"):
        monkeypatch.delenv(var, raising=False)
    # The synthetic configure and Makefile compile nothing; the preflight only asks for a compiler.
    stand_ins = tmp_path / "stand-ins"
    write_exe(stand_ins / "cc", "#!/bin/sh\necho 'cc: stand-in, the synthetic build compiles nothing' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", f"{stand_ins}{os.pathsep}{os.environ['PATH']}")
    tarball = synthetic_tarball(tmp_path / "in" / "Python-3.6.13-synthetic.tgz")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    base = ["--prefix", str(tmp_path / "prefix"), "--cache", str(tmp_path / "cache"),
            "--any-platform", "--no-optimizations", "--step-timeout", "20"]

    def build(*args, source=True, env=None):
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        extra = ["--source", str(tarball), "--sha256", digest] if source else []
        started = time.monotonic()
        result = CliRunner().invoke(build_cmd, [*base, *extra, *args])
        result.seconds = time.monotonic() - started
        for key in env or {}:
            monkeypatch.delenv(key)
        return result

    build.tmp, build.tarball, build.digest = tmp_path, tarball, digest
    build.tree = tmp_path / "cache" / "build" / "Python-3.6.13"
    build.logs = tmp_path / "cache" / "logs"
    return build


@pytest.fixture
def build_tools():
    """make and patch, which the synthetic builds really run (.ci/run installs them)."""
    missing = [tool for tool in ("make", "patch") if not shutil.which(tool)]
    need("build-tools", os.name == "posix" and not missing,
         f"needs {' and '.join(missing) or 'a POSIX system'} (apt-get install make patch)")


needs_posix = pytest.mark.usefixtures("build_tools")


@needs_posix
def test_synthetic_build_runs_every_step(synthetic):
    result = synthetic("--jobs", "2")
    assert result.exit_code == 0, result.output
    tree = synthetic.tree
    args = (tree / "configure.args").read_text().splitlines()
    assert args[:2] == [f"--prefix={synthetic.tmp / 'prefix'}", "--with-ensurepip"]
    assert "-j2" in (tree / "make.flags").read_text() or "j2" in (tree / "make.flags").read_text()
    assert "#include <copyfile.h>" in (tree / "Modules" / "posixmodule.c").read_text()
    assert "long double dummy;" in (tree / "Include" / "objimpl.h").read_text()
    assert "openssl_major_re" in (tree / "setup.py").read_text()  # not macOS: the hashlib fix
    assert "python-3.6-alignment-bpo-27987.patch: applied" in result.output
    assert re.search(r"ctypes\s+ok\s+callback through libc qsort: ok", result.output)
    assert re.search(r"pip\s+ok\s+pip 18\.1", result.output)
    assert "hashlib uses OpenSSL (_hashlib was built)." in result.output
    for step in ("fetch", "extract", "patch", "configure", "make", "test", "install", "verify"):
        assert (synthetic.logs / f"{step}.log").exists(), step
    assert "test_faulthandler" in (synthetic.logs / "test.log").read_text()
    assert "Python 3.6.13 is ready" in result.output
    assert re.search(r"ssl\s+ok\s+OpenSSL 1\.1\.1k", result.output)
    assert "Step times" in result.output

    # the tree is already patched: building it in place skips the patch
    again = CliRunner().invoke(build_cmd, [
        "--source", str(tree), "--prefix", str(synthetic.tmp / "prefix"),
        "--cache", str(synthetic.tmp / "cache"), "--any-platform", "--no-optimizations",
        "--skip-tests"])
    assert again.exit_code == 0, again.output
    assert "python-3.6-posixmodule-big-sur.patch: already applied" in again.output
    assert "python-3.6-alignment-bpo-27987.patch: already applied" in again.output
    assert "python-3.6-openssl3-hashlib.patch: already applied" in again.output


@needs_posix
def test_no_alignment_patch_leaves_the_tree_and_warns(synthetic):
    result = synthetic("--skip-tests", "--no-alignment-patch")
    assert result.exit_code == 0, result.output
    assert (synthetic.tree / "Include" / "objimpl.h").read_text() == OBJIMPL_HEAD.read_text()
    assert (synthetic.tree / "Objects" / "obmalloc.c").read_text() == OBMALLOC_HEAD.read_text()
    assert "alignment-bpo-27987" not in result.output.split("[5/9]")[0]
    assert ("warning: built without the alignment backport (--no-alignment-patch)"
            in result.output)


@needs_posix
def test_the_user_is_told_the_hashlib_backend(synthetic):
    result = synthetic("--skip-tests", env={"FAKE_NO_HASHLIB": "1"})
    assert result.exit_code == 0, result.output
    assert re.search(r"hashlib\s+warning\s+builtin hashes \(no _hashlib\)", result.output)
    assert "hashlib uses Python's builtin hashes: _hashlib was not built" in result.output
    assert "warning: hashlib: builtin hashes" in result.output


@needs_posix
def test_only_the_named_tests_run(synthetic):
    result = synthetic("--test", "test_ctypes", "--test", "test_gc")
    assert result.exit_code == 0, result.output
    assert "regrtest given: test_ctypes test_gc\n" in (synthetic.logs / "test.log").read_text()
    assert "test: run test_ctypes test_gc" in result.output


@needs_posix
def test_checksum_mismatch_deletes_the_download_and_extracts_nothing(synthetic):
    served = synthetic_tarball(synthetic.tmp / "mirror" / "Python-3.6.13.tgz")
    result = synthetic("--url", served.as_uri(), source=False)
    assert result.exit_code == 1, result.output
    assert "sha256 mismatch for Python-3.6.13.tgz" in result.output
    assert "614950d3d54f6e78dac651b49c64cfe2ceefea5af3aff3371a9e4b27a53b2669" in result.output
    assert not (synthetic.tmp / "cache" / "downloads" / "Python-3.6.13.tgz").exists()
    assert not (synthetic.tmp / "cache" / "build").exists()

    # a local tarball with a wrong --sha256 stops too, but the user's file is kept
    result = CliRunner().invoke(build_cmd, [
        "--source", str(synthetic.tarball), "--sha256", "0" * 64, "--any-platform",
        "--cache", str(synthetic.tmp / "cache"), "--prefix", str(synthetic.tmp / "prefix")])
    assert result.exit_code == 1 and "sha256 mismatch" in result.output
    assert synthetic.tarball.exists() and not (synthetic.tmp / "cache" / "build").exists()


@needs_posix
def test_a_good_download_is_verified_and_cached(synthetic):
    served = synthetic_tarball(synthetic.tmp / "mirror" / "Python-3.6.13-mirror.tgz")
    # an unofficial name: the checksum comes from --sha256
    digest = hashlib.sha256(served.read_bytes()).hexdigest()
    result = synthetic("--url", served.as_uri(), "--sha256", digest, "--skip-tests", source=False)
    assert result.exit_code == 0, result.output
    cached = synthetic.tmp / "cache" / "downloads" / "Python-3.6.13-mirror.tgz"
    assert cached.exists()
    assert f"sha256 {digest} verified" in (synthetic.logs / "fetch.log").read_text()
    served.unlink()  # the second run uses the verified copy in the cache
    result = synthetic("--url", served.as_uri(), "--sha256", digest, "--skip-tests", source=False)
    assert result.exit_code == 0, result.output
    assert "verifies" in (synthetic.logs / "fetch.log").read_text()
    # a --sha256 contradicting the published one for an official name is refused
    result = synthetic("--sha256", "1" * 64, "--dry-run", "--url",
                       "https://mirror.example/Python-3.6.13.tgz", source=False)
    assert result.exit_code != 0 and "differs from the published sha256" in result.output


@needs_posix
def test_failing_tests_are_listed_and_stop_only_when_strict(synthetic):
    result = synthetic(env={"FAKE_TEST_FAIL": "1"})
    assert result.exit_code == 0, result.output
    assert "2 test(s) failed: test_ssl test_urllib2net" in result.output
    assert (synthetic.tmp / "prefix" / "bin" / "python3.6").exists()

    result = synthetic("--strict-tests", env={"FAKE_TEST_FAIL": "1"})
    assert result.exit_code == 1
    assert "FAILED at test: 2 test(s) failed (--strict-tests): test_ssl test_urllib2net" in (
        result.output)


@needs_posix
def test_a_hung_step_is_stopped_by_the_timeout(synthetic):
    result = synthetic("--step-timeout", "1.5", env={"FAKE_HANG": "make"})
    assert result.exit_code == 1
    assert "FAILED at make" in result.output and "no exit after 1.5s" in result.output
    assert result.seconds < 15
    assert "stopped: no exit after 1.5s" in (synthetic.logs / "make.log").read_text()


@needs_posix
def test_a_stall_in_test_faulthandler_is_explained(synthetic):
    result = synthetic("--step-timeout", "1.5", env={"FAKE_HANG": "test"})
    assert result.exit_code == 1
    assert "Known cause (faulthandler-stall)" in result.output
    assert "--skip-tests" in result.output


@needs_posix
def test_a_segfaulting_module_is_a_warning_with_its_cause(synthetic):
    result = synthetic("--skip-tests", env={"FAKE_SEGV": "1"})
    assert result.exit_code == 0, result.output
    assert re.search(r"ctypes\s+warning\s+killed by SIGSEGV", result.output)
    assert "Known cause (alignment): ctypes: warning: killed by SIGSEGV" in result.output
    assert "warning: ctypes: killed by SIGSEGV" in result.output


@needs_posix
def test_required_modules_fail_the_build_unless_allowed(synthetic):
    result = synthetic("--skip-tests", env={"FAKE_MISSING": "ssl lzma"})
    assert result.exit_code == 1
    assert re.search(r"ssl\s+error\s+ModuleNotFoundError", result.output)
    assert re.search(r"lzma\s+warning", result.output) and "brew install xz" in result.output
    result = synthetic("--skip-tests", "--allow-missing", "ssl", env={"FAKE_MISSING": "ssl"})
    assert result.exit_code == 0, result.output


@needs_posix
def test_ssl_must_be_openssl_1_1_on_macos(synthetic, bigsur):
    result = synthetic("--skip-tests", "--install-deps", env={"FAKE_SSL_VERSION": "OpenSSL 3.1.4"})
    assert result.exit_code == 1, result.output
    assert "must link OpenSSL 1.1" in result.output


@needs_posix
def test_a_refused_brew_install_is_explained(synthetic, bigsur):
    shutil.rmtree(bigsur.opt / "openssl@1.1")
    write_exe(bigsur.bin / "brew", f'#!/bin/sh\ncase "$1" in --prefix) echo "{bigsur.opt}/$2";;\n'
              'install) echo "Error: openssl@1.1 has been disabled because it is not supported '
              'upstream! It was disabled on 2024-10-24." >&2; exit 1;;\nesac\n')
    result = synthetic("--skip-tests", "--install-deps")
    assert result.exit_code == 1
    assert "FAILED at deps" in result.output and "Known cause (openssl11-gone)" in result.output
    assert "--openssl-prefix" in result.output


@needs_posix
def test_install_deps_runs_brew_install_on_bigsur(synthetic, bigsur):
    shutil.rmtree(bigsur.opt / "xz")
    result = synthetic("--skip-tests", "--install-deps")
    assert result.exit_code == 0, result.output
    assert "install xz" in bigsur.calls.read_text()
    args = (synthetic.tree / "configure.args").read_text()
    assert f"CPPFLAGS=-I{bigsur.opt}/openssl@1.1/include" in args
    assert f"-I{bigsur.opt}/xz/include" in args


SAMPLES = {
    "sendfile": ("make", "./Modules/posixmodule.c:8382:19: error: implicit declaration of "
                 "function 'sendfile' is invalid in C99 [-Werror,-Wimplicit-function-declaration]"),
    "platform-triplet": ("configure", "internal configure error for the platform triplet, "
                         "please file a bug report"),
    "arm64": ("configure", "Unexpected output of 'arch' on OSX"),
    "zlib-sysroot": ("install", "zipimport.ZipImportError: can't decompress data; "
                     "zlib not available"),
}


@needs_posix
@pytest.mark.parametrize("cause", sorted(SAMPLES))
def test_known_causes_are_explained(synthetic, cause):
    step, line = SAMPLES[cause]
    env = {"configure": {"FAKE_CONFIGURE_FAIL": line},
           "make": {"FAKE_MAKE_LOG": line, "FAKE_MAKE_FAIL": "1"},
           "install": {"FAKE_INSTALL_LOG": line}}[step]
    result = synthetic("--skip-tests", env=env)
    assert result.exit_code == 1
    assert f"FAILED at {step}" in result.output
    assert f"Known cause ({cause})" in result.output
    meaning = next(c for c in py36_causes.CAUSES if c.name == cause).meaning
    assert meaning in result.output


def test_every_cause_matches_its_lines_and_only_those():
    lines = {name: line for name, (_, line) in SAMPLES.items()}
    lines["sendfile-struct"] = ("./Modules/posixmodule.c:8402:24: error: variable has incomplete "
                                "type 'struct sf_hdtr'")
    lines["alignment"] = "ctypes: warning: killed by SIGSEGV"
    lines["openssl3"] = "warning: openssl 0x00000000 is too old for _hashlib"
    lines["openssl11-gone"] = ("Error: openssl@1.1 has been disabled because it is not "
                               "supported upstream! It was disabled on 2024-10-24.")
    for name, line in lines.items():
        found = [c.name for c, _ in py36_causes.match(line)]
        assert found == [name.replace("-struct", "")], (name, found)
    stall = "0:41:07 load avg: 1.9 [187/405] test_faulthandler"
    assert py36_causes.match(stall) == []  # only when the step was stopped
    assert [c.name for c, _ in py36_causes.match(stall, timed_out=True)] == ["faulthandler-stall"]


def test_regrtest_summary_parsing():
    text = ("== Tests result: FAILURE ==\n\n1 test failed:\n    test_socket\n\n"
            "2 tests failed:\n    test_ssl\n    test_urllib2net\n\nTotal duration: 9 min\n")
    assert failed_tests(text) == ["test_ssl", "test_urllib2net"]
    again = text + "Re-running failed tests in verbose mode\n1 test failed again:\n    test_ssl\n"
    assert failed_tests(again) == ["test_ssl"]
    assert failed_tests("== Tests result: SUCCESS ==\n") == []


def test_ctrl_c_stops_the_step_it_started(tmp_path):
    pid_file = tmp_path / "pid"

    def interrupt(message):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run("hang", ["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"], tmp_path / "hang.log",
            {}, None, 30, interrupt, heartbeat=0.3)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert "interrupted (Ctrl-C)" in (tmp_path / "hang.log").read_text()


def test_heartbeat_shows_progress_and_log_tail(tmp_path):
    seen = []
    result = run("slow", ["sh", "-c", "echo compiling _ssl; sleep 0.7"], tmp_path / "slow.log",
                 {}, None, 10, seen.append, heartbeat=0.2)
    assert result.ok and seen and "compiling _ssl" in seen[-1]


def test_the_page_documents_every_option_and_cause():
    text = PAGE.read_text()
    front, _ = triage.front_matter(text)
    assert front["tags"] == ["software", "shell"]
    for option in build_cmd.params:
        for flag in option.opts:
            if flag.startswith("--"):
                assert f"`{flag}" in text, flag
    for cause in py36_causes.CAUSES:
        assert f"`{cause.name}`" in text, cause.name
    patterns = [re.compile(p) for p in front["errors"]]
    for line in [line for _, line in SAMPLES.values()] + [
            "warning: openssl 0x00000000 is too old for _hashlib",
            "warning: ctypes: killed by SIGSEGV", "pip: error: killed by SIGSEGV"]:
        assert any(p.search(line) for p in patterns), line
    assert '--8<-- "snippets/sh/software/build-python36.sh"' in text
    assert not re.search(r"^\s*```(sh|bash|console|shell)\s*\n(?!\s*--8<--)", text, re.M)


# --- opt-in: a real build, checked where it is used ------------------------------------------

POINT_OF_USE = """import ssl, hashlib, ctypes, zlib, bz2, lzma, sqlite3, readline
libc = ctypes.CDLL(None)
CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
values = (ctypes.c_int * 6)(6, 5, 1, 4, 2, 3)
libc.qsort(values, len(values), ctypes.sizeof(ctypes.c_int), CMP(lambda a, b: a[0] - b[0]))
assert list(values) == [1, 2, 3, 4, 5, 6], list(values)
print(ssl.OPENSSL_VERSION)
"""
REAL_TESTS = ("test_ctypes", "test_ssl", "test_hashlib", "test_gc")


def test_real_build_works_at_the_point_of_use(tmp_path):
    """Builds real 3.6 sources (RUNBOOK_PY36_SOURCE, a tarball; RUNBOOK_PY36_SHA256 when its
    name is not an official one) as a user would, then uses the installed python3.6.
    Minutes of CPU: run it with `nox -s build-py36-real -- --source PATH`."""
    source = os.environ.get("RUNBOOK_PY36_SOURCE", "")
    need("py36-source", bool(source) and Path(source).exists(),
         "set RUNBOOK_PY36_SOURCE to a CPython 3.6 source tarball (nox -s build-py36-real)")
    argv = [sys.executable, "-m", "runbook", "build-py36",
            "--any-platform", "--no-optimizations", "--source", source,
            "--cache", str(tmp_path / "cache"), "--prefix", str(tmp_path / "prefix"),
            *[arg for name in REAL_TESTS for arg in ("--test", name)]]
    if os.environ.get("RUNBOOK_PY36_SHA256"):
        argv += ["--sha256", os.environ["RUNBOOK_PY36_SHA256"]]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tools")}
    done = subprocess.run(argv, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, cwd=tmp_path)
    print(done.stdout[-6000:])  # the step times, shown with -s or on failure
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"Step times\n(  \w+ +[\d.]+s  ok .*\n)+", done.stdout)
    test_log = (tmp_path / "cache" / "logs" / "test.log").read_text()
    for name in REAL_TESTS:
        assert name in test_log
    assert "crashed" not in test_log

    python = tmp_path / "prefix" / "bin" / "python3.6"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    used = subprocess.run([str(python), "-c", POINT_OF_USE], capture_output=True, text=True,
                          env=clean, cwd=tmp_path)
    assert used.returncode == 0, used.stderr
    assert used.stdout.startswith("OpenSSL ")
    pip = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True,
                         env=clean, cwd=tmp_path)
    assert pip.returncode == 0 and re.match(r"pip \d+", pip.stdout), pip.stderr
    assert re.search(r"hashlib uses (OpenSSL|Python's builtin hashes)", done.stdout)


# --- causes named from real logs (tests/py36_fixtures/real/README.md) ------------------------

def real_log(name: str) -> str:
    return (REAL_LOGS / name).read_text()


def test_real_ensurepip_segfault_is_the_alignment_cause_not_openssl():
    text = real_log("install-ensurepip-segfault.log")
    assert [c.name for c in py36_causes.reasons(text)] == ["alignment"]
    explained = py36_causes.explain(text)
    assert explained[0] == "Known cause (alignment): Segmentation fault"
    assert ("Also in this log, a warning (openssl3): warning: openssl 0x00000000 is too old "
            "for _hashlib") in explained
    assert not any(line.startswith("Known cause (openssl3)") for line in explained)


def test_a_segfault_away_from_ensurepip_and_ctypes_is_not_the_alignment_cause():
    text = real_log("install-ensurepip-segfault.log").replace("ensurepip", "compileall")
    assert py36_causes.reasons(text) == []


def test_real_pip_crash_in_verification_is_the_alignment_cause():
    text = real_log("verify-pip-segfault.log")
    assert [c.name for c in py36_causes.reasons(text)] == ["alignment"]
    assert py36_causes.explain(text)[0] == "Known cause (alignment): pip: error: killed by SIGSEGV"


def test_real_openssl3_line_in_a_good_build_is_only_a_warning():
    text = real_log("make-openssl3.log")
    assert py36_causes.reasons(text) == []
    assert py36_causes.explain(text)[0].startswith("Also in this log, a warning (openssl3)")


def test_real_regrtest_summary_lists_test_ssl():
    assert failed_tests(real_log("test-ssl-openssl3.log")) == ["test_ssl"]


@needs_posix
def test_install_failing_with_the_real_log_names_alignment(synthetic):
    result = synthetic("--skip-tests", env={
        "FAKE_INSTALL_LOG": real_log("install-ensurepip-segfault.log")})
    assert result.exit_code == 1
    out = result.output
    assert re.search(r"FAILED at install: .*make altinstall: exit status [12]\n", out)
    assert "  | Segmentation fault" in out  # the log's own last lines are shown
    assert out.index("Known cause (alignment): Segmentation fault") < out.index(
        "Also in this log, a warning (openssl3)")
    assert "Known cause (openssl3)" not in out and "No known cause matched" not in out


@needs_posix
def test_a_failure_with_only_the_openssl_warning_is_not_explained_by_it(synthetic):
    result = synthetic("--skip-tests", env={
        "FAKE_MAKE_LOG": real_log("make-openssl3.log"), "FAKE_MAKE_FAIL": "1"})
    assert result.exit_code == 1
    assert "No known cause matched" in result.output
    assert "Also in this log, a warning (openssl3)" in result.output
    assert "Known cause (openssl3)" not in result.output

