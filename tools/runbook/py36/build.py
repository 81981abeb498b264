"""One run of the build plan: each step logged, timed and, when it fails, explained.

The plan (py36.plan) says what to run; this runs it in order, stops at the first failed step
and names its cause from that step's own log (py36.causes), then proves the result by using
the installed interpreter (py36.verify). Nothing here talks to click: `echo` is any callable
that prints a line, and the exit status is returned for the CLI (py36.cli) to use.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from runbook.py36 import causes as py36_causes
from runbook.py36 import source as py36_source
from runbook.py36 import verify as py36_verify
from runbook.py36.host import probe
from runbook.py36.plan import Options, Plan, describe, make_plan
from runbook.py36.run import Result, run

TEST_SUMMARY = re.compile(r"^(\d+) tests? failed( again)?:\s*$")
# Exit statuses, documented on the Software stack page.
OK, STEP_FAILED, PREFLIGHT_FAILED = 0, 1, 2


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

    def __init__(self, options: Options, echo=print):
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
        if not py36_causes.reasons(text, timed_out):
            self.echo(f"No known cause matched; see {log} and the Software stack page "
                      "(docs/software/python36-big-sur.md).")
        explained = py36_causes.explain(text, timed_out)
        if explained:
            self.echo("\n".join(explained))
        return False

    # -- the run -------------------------------------------------------------------------
    def __call__(self) -> int:
        ok = self.preflight()
        if self.options.dry_run:
            self.echo("\nPlan (dry run: only the read-only probes above ran)")
            self.echo("\n".join(describe(self.plan)))
        if not ok:
            self.echo("\nPreflight failed: fix the items marked FAIL (or see --help).")
            return PREFLIGHT_FAILED
        if self.options.dry_run:
            return OK
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
                return STEP_FAILED
            self.echo(f"      done in {time.monotonic() - start:.1f}s")
        self.summary()
        return OK

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
        for patch in self.plan.patches:
            try:
                outcome = py36_source.apply_patch(self.plan.tree, patch, log)
            except py36_source.SourceError as exc:
                log(str(exc))
                return self.fail(step.name, str(exc), tail=False)
            self.echo(f"      {patch.name}: {outcome}")
        if not self.options.alignment_patch:
            self.warnings.append("built without the alignment backport (--no-alignment-patch): "
                                 "ensurepip and ctypes may segfault (known cause `alignment`)")
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
        if checks[0].status != "error":
            self.echo("      " + py36_verify.hashlib_backend(checks))
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
