"""`runbook build-py36` (and `nox -s build-py36`): the guide's nine manual steps, scripted.

Production runs Python 3.6, which neither Homebrew nor Apple ships any more, and which does
not compile on macOS Big Sur without a patch. This command checks the machine first, builds
from a checksummed tarball with the corrected patches and flags derived from `brew --prefix`,
logs each step to its own file under a time limit, explains known failures, and proves the
result by using the installed interpreter. This module is only the command line: options in,
exit status out. The parts: host (preflight), plan (commands and flags), source (download,
checksum, patches), run (logs and time limits), build (the steps in order), verify (the
result at the point of use), causes (explanations).

Exit status: 0 built (or, with --dry-run, the preflight passed), 1 a step failed, 2 the
preflight failed (with or without --dry-run), 130 interrupted.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from runbook.py36 import source as py36_source
from runbook.py36 import verify as py36_verify
from runbook.py36.build import Build
from runbook.py36.plan import (
    DEFAULT_STEP_TIMEOUT,
    VERSIONS,
    Options,
    default_cache,
    default_prefix,
)


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
              help="Let a required check (ssl, zlib, pip) fail verification as a warning.")
@click.option("--no-alignment-patch", is_flag=True, help="Leave out the bpo-27987 alignment "
              "backport (applied by default on every platform); without it gcc 12 builds may "
              "segfault in ensurepip and ctypes.")
@click.option("--test", "test_names", multiple=True, metavar="NAME",
              help="Run only this regrtest test (repeatable, e.g. --test test_ctypes) instead "
              "of the whole suite.")
@click.option("--dry-run", is_flag=True, help="Print the preflight, every command and variable; "
              "run nothing. Exits 2 when a preflight check fails.")
def build_cmd(version, prefix, cache, source, sha256, url, install_deps, any_platform,
              no_optimizations, skip_tests, strict_tests, jobs, step_timeout, openssl_prefix,
              allow_missing, no_alignment_patch, test_names, dry_run):
    """Build CPython 3.6 on macOS Big Sur: the guide's steps, checked, logged and explained.

    Exit status: 0 built (with --dry-run: the preflight passed), 1 a step failed, 2 the
    preflight failed (also with --dry-run), 130 interrupted.
    """
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
        else None, allow_missing=tuple(allow_missing), dry_run=dry_run,
        alignment_patch=not no_alignment_patch, test_names=tuple(test_names))
    try:
        code = Build(options, echo=click.echo)()
    except py36_source.SourceError as exc:  # e.g. --sha256 contradicting a published checksum
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo("\nInterrupted; the running step was stopped. Re-run to start again.", err=True)
        code = 130
    raise SystemExit(code)
