"""`runbook build-py36` (and `nox -s build-py36`): the guide's nine manual steps, scripted.

Production runs Python 3.6, which neither Homebrew nor Apple ships any more, and which does
not compile on macOS Big Sur without a patch. This command checks the machine first, builds
from a checksummed tarball with the corrected patch and flags derived from `brew --prefix`,
logs each step to its own file under a time limit, explains known failures, and proves the
result by importing the modules that matter. The parts live in small modules:
py36_host (preflight), py36_plan (commands and flags), py36_source (download, checksum,
patch), py36_run (logs and time limits), py36_verify (imports), py36_causes (explanations).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import click

from runbook.py36 import causes as py36_causes
from runbook.py36 import source as py36_source
from runbook.py36 import verify as py36_verify
from runbook.py36.host import probe
from runbook.py36.plan import (
    DEFAULT_STEP_TIMEOUT,
    PATCH,
    VERSIONS,
    Options,
    Plan,
    default_cache,
    default_prefix,
    describe,
    make_plan,
)
from runbook.py36.run import Result, run

TEST_SUMMARY = re.compile(r"^(\d+) tests? failed( again)?:\s*$")


def failed_tests(text: str) -> list:
    """Test names from regrtest's summary ("2 tests failed:" then indented names).

    When regrtest re-ran failures, its "failed again" list is the one that counts.
    """
    lists = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = TEST_SUMMARY.match(line.strip())
        if not match:
            continue
        names = []
        for follow in lines[i + 1:]:
            if not follow.startswith((" ", "\t")) or not follow.strip():
                break
            names += follow.split()
        lists.append((bool(match.group(2)), names))
    if not lists:
        return []
    again = [names for is_again, names in lists if is_again]
    return again[-1] if again else lists[-1][1]


class Build:
    """One run of the plan; each step method returns True to go on."""

    def __init__(self, options: Options, echo=click.echo):
        self.options = options
        self.echo = echo
        self.results: list = []
        self.warnings: list = []
        self.host = probe(options.any_platform, options.optimizations, options.install_deps,
                          options.openssl_prefix)
        self.plan: Plan = make_plan(options, self.host)

    # -- console -------------------------------------------------------------------------
    def preflight(self) -> bool:
        self.echo("Preflight")
        for c in self.host.checks:
            mark = "ok  " if c.ok else ("FAIL" if c.fatal else "warn")
            self.echo(f"  {mark} {c.name}: {c.detail}")
            if not c.ok and c.fix:
                self.echo(f"       fix: {c.fix}")
        return not any(c.fatal and not c.ok for c in self.host.checks)

    def log_path(self, name: str) -> Path:
        return self.plan.logs / f"{name}.log"

    def fail(self, name: str, message: str, texts=(), timed_out: bool = False,
             tail: bool = True) -> bool:
        """Say why a step stopped: the message, the log's last lines, the known causes."""
        self.echo(f"\nFAILED at {name}: {message}")
        log = self.log_path(name)
        text = "\n".join(texts) if texts else (log.read_text("utf-8", "replace")
                                                if log.exists() else "")
        lines = [line for line in text.splitlines() if line.strip()][-15:]
        if lines and tail:
            self.echo(f"Last lines of {log}:")
            self.echo("\n".join(f"  | {line}" for line in lines))
        explained = py36_causes.explain(text, timed_out)
        if explained:
            self.echo("\n".join(explained))
        else:
            self.echo(f"No known cause matched; see {log} and the Software stack page "
                      "(docs/software/python36-big-sur.md).")
        return False

    # -- the run -------------------------------------------------------------------------
    def __call__(self) -> int:
        ok = self.preflight()
        if self.options.dry_run:
            self.echo("\nPlan (dry run: only the read-only probes above ran)")
            self.echo("\n".join(describe(self.plan)))
            return 0
        if not ok:
            self.echo("\nPreflight failed: fix the items marked FAIL (or see --help).")
            return 2
        self.plan.logs.mkdir(parents=True, exist_ok=True)
        self.log_path("preflight").write_text(
            "".join(f"{c.name}: {'ok' if c.ok else 'FAIL'}: {c.detail}\n" for c in self.host.checks))
        total = len(self.plan.steps)
        for index in range(total):
            step = self.plan.steps[index]
            label = f"[{index + 1}/{total}] {step.name}"
            if step.skipped:
                self.echo(f"{label}: skipped ({step.skipped})")
                continue
            self.echo(f"{label}: {step.title}")
            self.log_path(step.name).write_text("")
            start = time.monotonic()
            ok = getattr(self, f"step_{step.name}")(step)
            self.results.append((step.name, time.monotonic() - start, ok))
            if not ok:
                self.summary()
                return 1
            self.echo(f"      done in {time.monotonic() - start:.1f}s")
        self.summary()
        return 0

    def summary(self) -> None:
        self.echo("\nStep times")
        for name, seconds, ok in self.results:
            self.echo(f"  {name:<10} {seconds:9.2f}s  {'ok' if ok else 'FAILED'}  "
                      f"{self.log_path(name)}")
        for warning in self.warnings:
            self.echo(f"warning: {warning}")

    def logger(self, name: str):
        path = self.log_path(name)

        def log(message: str) -> None:
            with open(path, "a", encoding="utf-8") as out:
                out.write(message.rstrip("\n") + "\n")
        return log

    def command(self, step) -> Result:
        return run(step.name, step.argv, self.log_path(step.name), step.env, step.cwd,
                   self.options.step_timeout, self.echo)

    def run_or_fail(self, step) -> bool:
        result = self.command(step)
        if result.ok:
            return True
        why = (f"no exit after {self.options.step_timeout:g}s (--step-timeout)"
               if result.timed_out else f"exit status {result.returncode}")
        return self.fail(step.name, f"{step.shell()}: {why}", timed_out=result.timed_out)

    def step_deps(self, step) -> bool:
        if not self.run_or_fail(step):
            return False
        # Formulae just installed may have had no prefix yet: probe and plan again.
        self.host = probe(self.options.any_platform, self.options.optimizations, False,
                          self.options.openssl_prefix)
        done = self.plan.steps[: self.plan.steps.index(step) + 1]
        self.plan = make_plan(self.options, self.host)
        self.plan.steps[: len(done)] = done
        if self.host.missing:
            return self.fail(step.name, "still missing: " + " ".join(self.host.missing))
        return True

    def step_fetch(self, step) -> bool:
        log = self.logger(step.name)
        o = self.options
        tarball = self.plan.tarball
        try:
            want = py36_source.expected_sha256(tarball.name, o.sha256)
            if o.source is None:
                py36_source.fetch(o.download_url, tarball, want, log)
            else:
                got = py36_source.verify(tarball, want, downloaded=False)
                log(f"{tarball}: sha256 {got}" + (" verified" if want else " (not checked)"))
                if not want:
                    self.warnings.append(f"{tarball.name}: no published sha256 and no --sha256; "
                                         f"its sha256 is {got}")
        except py36_source.SourceError as exc:
            log(str(exc))
            return self.fail(step.name, str(exc), tail=False)
        return True

    def step_extract(self, step) -> bool:
        log = self.logger(step.name)
        try:
            tree = py36_source.extract(self.plan.tarball, self.plan.tree.parent, log)
        except py36_source.SourceError as exc:
            log(str(exc))
            return self.fail(step.name, str(exc), tail=False)
        if tree != self.plan.tree:
            for later in self.plan.steps:
                if later.cwd == self.plan.tree:
                    later.cwd = tree
            self.plan.tree = tree
        return True

    def step_patch(self, step) -> bool:
        log = self.logger(step.name)
        try:
            outcome = py36_source.apply_patch(self.plan.tree, PATCH, log)
        except py36_source.SourceError as exc:
            log(str(exc))
            return self.fail(step.name, str(exc), tail=False)
        self.echo(f"      {outcome}")
        return True

    def step_configure(self, step) -> bool:
        return self.run_or_fail(step)

    def step_make(self, step) -> bool:
        return self.run_or_fail(step)

    def step_install(self, step) -> bool:
        return self.run_or_fail(step)

    def step_test(self, step) -> bool:
        result = self.command(step)
        if result.ok:
            return True
        if result.timed_out:
            return self.fail(step.name, f"no exit after {self.options.step_timeout:g}s "
                             "(--step-timeout); --skip-tests skips the suite", timed_out=True)
        failed = failed_tests(result.log.read_text("utf-8", "replace"))
        if not failed:
            return self.fail(step.name, f"make test: exit status {result.returncode} and no "
                             "test summary (the build itself may be broken)")
        listed = " ".join(failed)
        if self.options.strict_tests:
            return self.fail(step.name, f"{len(failed)} test(s) failed (--strict-tests): {listed}")
        self.echo(f"      {len(failed)} test(s) failed: {listed} (not fatal without --strict-tests)")
        self.warnings.append(f"tests failed: {listed} (see {result.log})")
        return True

    def step_verify(self, step) -> bool:
        log = self.logger(step.name)
        checks = py36_verify.verify(self.plan.python, self.options.version, self.host.is_macos,
                                    self.options.allow_missing, log)
        self.echo("\n".join("      " + line for line in py36_verify.table(checks)))
        for c in checks:
            if c.status == "warning":
                self.warnings.append(f"{c.module}: {c.detail}" + (f" ({c.hint})" if c.hint else ""))
        errors = [c for c in checks if c.status == "error"]
        texts = []
        for name in ("make", "install", "verify"):
            path = self.log_path(name)
            if path.exists():
                texts.append(path.read_text("utf-8", "replace"))
        if errors:
            if any(c.status == "ok" for c in checks):
                self.echo(f"\nPython {self.options.version} is installed and runs ({self.plan.python}),"
                          " but lacks what the build requires:")
            return self.fail(step.name, "required module(s) failed: "
                             + ", ".join(f"{c.module} ({c.detail})" for c in errors), texts)
        explained = py36_causes.explain("\n".join(texts))
        if explained:
            self.echo("\n".join("      " + line for line in explained))
        self.echo(f"\nPython {self.options.version} is ready: {self.plan.python}")
        return True


@click.command(name="build-py36")
@click.option("--version", "version", type=click.Choice(VERSIONS), default=VERSIONS[0],
              show_default=True, help="CPython release (3.6.13 is the guide's).")
@click.option("--prefix", type=click.Path(path_type=Path), default=None,
              help=f"Install here, no sudo needed [default: {default_prefix()}]. The guide used "
              "/usr/local/python.")
@click.option("--cache", type=click.Path(path_type=Path), default=None,
              help=f"Downloads, source tree and logs [default: {default_cache()}].")
@click.option("--source", type=click.Path(exists=True, path_type=Path), default=None,
              help="A local tarball (sha256 checked when its name is official, else --sha256) "
              "or an unpacked source tree (built in place).")
@click.option("--sha256", default=None, metavar="HEX", help="Expected sha256 of a --source tarball whose name "
              "is not an official one.")
@click.option("--url", default=None, metavar="URL", help="Download from here instead of python.org (a mirror).")
@click.option("--install-deps", is_flag=True, help="brew install the missing formulae first.")
@click.option("--any-platform", is_flag=True, help="Build on a system other than macOS 11 on "
              "Intel (Linux, arm64, newer macOS); checks there become warnings.")
@click.option("--no-optimizations", is_flag=True, help="Leave out --enable-optimizations (profile-"
              "guided optimization): much faster build, slightly slower interpreter.")
@click.option("--skip-tests", is_flag=True, help="Do not run make test.")
@click.option("--strict-tests", is_flag=True, help="Stop when any test fails (by default "
              "failures are listed and the install goes on).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Parallel make jobs [default: number of cores].")
@click.option("--step-timeout", type=click.FloatRange(min=0.1), default=DEFAULT_STEP_TIMEOUT,
              metavar="SECONDS",
              show_default=True, help="Wall-clock limit of each step, in seconds.")
@click.option("--openssl-prefix", type=click.Path(file_okay=False), default=None, metavar="PATH",
              help="An OpenSSL 1.1 install to use instead of `brew --prefix openssl@1.1`.")
@click.option("--allow-missing", multiple=True, type=click.Choice(py36_verify.REQUIRED),
              help="Let a required module (ssl, zlib) fail verification as a warning.")
@click.option("--dry-run", is_flag=True, help="Print every command and variable; run nothing.")
def build_cmd(version, prefix, cache, source, sha256, url, install_deps, any_platform,
              no_optimizations, skip_tests, strict_tests, jobs, step_timeout, openssl_prefix,
              allow_missing, dry_run):
    """Build CPython 3.6 on macOS Big Sur: the guide's steps, checked, logged and explained."""
    named = re.search(r"Python-(3\.6\.\d+)", source.name) if source else None
    source_of_version = click.get_current_context().get_parameter_source("version")
    if named and named.group(1) != version:
        if source_of_version == click.core.ParameterSource.DEFAULT:
            version = named.group(1)  # --source Python-3.6.15.tgz means 3.6.15
        else:
            click.echo(f"warning: --version {version} but --source is {source.name}", err=True)
    options = Options(
        version=version, prefix=(prefix or default_prefix()).expanduser().absolute(),
        cache=(cache or default_cache()).expanduser().absolute(),
        source=source.expanduser().absolute() if source else None, sha256=sha256, url=url,
        install_deps=install_deps, any_platform=any_platform, optimizations=not no_optimizations,
        tests=not skip_tests, strict_tests=strict_tests, jobs=jobs, step_timeout=step_timeout,
        openssl_prefix=str(Path(openssl_prefix).expanduser().absolute()) if openssl_prefix
        else None, allow_missing=tuple(allow_missing), dry_run=dry_run)
    try:
        code = Build(options)()
    except py36_source.SourceError as exc:  # e.g. --sha256 contradicting a published checksum
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo("\nInterrupted; the running step was stopped. Re-run to start again.", err=True)
        code = 130
    raise SystemExit(code)
