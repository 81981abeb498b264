"""`runbook triage`: from error lines, standard input or whole logs to the page of each problem.

The only triage module that knows about click. Exit codes, like grep's, so a script can use them:
0 when at least one known problem was found, 1 when none was, 2 on an error (an unreadable log,
a page whose patterns do not parse, a usage error).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from runbook.triage.pages import DEFAULT_BASE_URL, PageError, load_problems
from runbook.triage.report import Triage, format_text

FOUND, NOT_FOUND, ERROR = 0, 1, 2


@click.command("triage")
@click.argument("lines", nargs=-1)
@click.option("--log", "logs", multiple=True, metavar="FILE",
              help="A log file to scan (plain or gzip), e.g. /var/log/syslog; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--base-url", envvar="RUNBOOK_SITE_URL", default=DEFAULT_BASE_URL, show_default=True,
              help="Where the runbook site is served (env RUNBOOK_SITE_URL).")
@click.option("--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The pages folder holding the errors: patterns (default: the checkout's docs/).")
def triage_cmd(lines, logs, as_json, base_url, docs_dir):
    """Map error lines, standard input (-) or a log file to their runbook page.

    Exit status: 0 when a known problem is found, 1 when none is, 2 on an error (like grep).

    \b
    Examples:
      runbook triage 'No sample with identifier «…» found'
      journalctl -u id3c --since today | runbook triage -
      runbook triage --log /var/log/syslog --log /var/log/syslog.2.gz --json
    """
    if not lines and not logs:
        raise click.UsageError("give an error line, - for standard input, or --log FILE")
    try:
        triage = Triage(load_problems(docs_dir))
    except PageError as exc:
        click.echo(f"runbook triage: {exc}", err=True)
        sys.exit(ERROR)
    scanner = triage.scanner

    reading = ["standard input"]

    def hits():
        # (source, hit), sources numbered in order: consecutive arguments are one input, their
        # lines numbered on; standard input and each file are inputs of their own
        source, lineno = 0, 0
        for item in lines:
            if item == "-":
                reading[0] = "standard input"
                source += 1
                for hit in scanner.scan_stream(sys.stdin.buffer):
                    yield source, hit
                source, lineno = source + 1, 0
            else:
                data = (item if item.endswith("\n") else item + "\n").encode("utf-8")
                for hit in scanner.scan_bytes(data, lineno):
                    yield source, hit
                lineno += data.count(b"\n")
        for path in logs:
            reading[0] = path
            source += 1
            for hit in scanner.scan_file(path):
                yield source, hit

    try:
        findings = triage.summarise(hits())
    except (OSError, EOFError) as exc:
        # missing, unreadable, a directory, not really gzip (BadGzipFile), truncated gzip (EOFError)
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        click.echo(f"runbook triage: cannot read {reading[0]}: {reason}", err=True)
        sys.exit(ERROR)
    report = triage.report(findings, base_url)
    if as_json:
        click.echo(json.dumps({"problems": report}, indent=2, ensure_ascii=False))
    elif report:
        click.echo(format_text(report))
    else:
        click.echo("no known problem found")
    sys.exit(FOUND if report else NOT_FOUND)
