"""`runbook triage`: from error lines or a whole log to the runbook page that fixes each problem.

The patterns live with their page, in its front matter (`errors:`, Python regular expressions
searched in one log line), so a page and what finds it travel together. Named groups in a pattern
carry the identifiers the fix needs; when the page names a `snippet:` whose parameters have the
same names, triage prints the `runbook show` command with them filled in.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
import yaml

from . import catalog
from .logscan import Scanner

DEFAULT_BASE_URL = "http://localhost:8000/"
MAX_INSTANCES = 50  # distinct identifier sets reported per problem (JSON)
TEXT_INSTANCES = 3  # ... and printed as text

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.S)
_ITEM = re.compile(r"^(?P<indent>\s*)\d+\.\s+(?P<text>.*)$")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_TIMESTAMP = re.compile(
    r"(?P<iso>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
    r"|(?P<syslog>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2})"
    r"|(?P<nginx>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})"  # nginx's error.log
)


@dataclass
class Problem:
    """A runbook page that has `errors:` patterns."""

    relpath: str  # under docs/, e.g. etl/sample-not-found.md
    title: str
    patterns: list[re.Pattern]
    snippet: str | None = None
    first_step: str | None = None

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        path = self.relpath[:-3] if self.relpath.endswith(".md") else self.relpath
        if path == "index" or path.endswith("/index"):
            path = path[: -len("index")]
        else:
            path += "/"
        return base_url.rstrip("/") + "/" + path.lstrip("/")


@dataclass
class Finding:
    """Every line of one problem in the input."""

    problem: Problem
    count: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    first_line: int | None = None
    example: str | None = None
    instances: dict = field(default_factory=dict)  # tuple(sorted(groups.items())) -> count


def front_matter(text: str) -> tuple[dict, str]:
    """(YAML front matter, body) of a Markdown page."""
    m = _FRONT.match(text)
    if not m:
        return {}, text
    meta = yaml.safe_load(m.group(1)) or {}
    return (meta if isinstance(meta, dict) else {}), text[m.end():]


def _plain(markdown: str) -> str:
    text = _LINK.sub(r"\1", markdown)
    return re.sub(r"\*\*|__", "", text).strip()


def first_fix_step(body: str) -> str | None:
    """The first numbered item under `## Fix`, joined to one line."""
    in_fix, item, indent = False, None, 0
    for line in body.splitlines():
        if line.startswith("## "):
            if item is not None:
                break
            in_fix = line[3:].strip().lower() == "fix"
            continue
        if not in_fix:
            continue
        if item is None:
            m = _ITEM.match(line)
            if m:
                item, indent = [m.group("text")], len(m.group("indent"))
            continue
        stripped = line.strip()
        if (not stripped or _ITEM.match(line) or stripped.startswith(("```", "~~~", "!!!", "???", "--8<--"))
                or len(line) - len(line.lstrip()) <= indent):
            break
        item.append(stripped)
    return _plain(" ".join(item)) if item else None


def title_of(body: str, fallback: str) -> str:
    for line in body.splitlines():
        if line.startswith("# "):
            return _plain(line[2:])
    return fallback


def load_problems(docs_dir: Path | None = None) -> list[Problem]:
    """Every page under docs_dir (default: the checkout's docs/) with `errors:` patterns."""
    docs_dir = Path(docs_dir) if docs_dir else catalog.repo_root() / "docs"
    problems = []
    for path in sorted(docs_dir.rglob("*.md")):
        meta, body = front_matter(path.read_text(encoding="utf-8"))
        errors = meta.get("errors") or []
        if not errors:
            continue
        relpath = path.relative_to(docs_dir).as_posix()
        try:
            patterns = [re.compile(str(p)) for p in errors]
        except re.error as exc:
            raise click.ClickException(f"{relpath}: an errors pattern does not compile: {exc}") from None
        problems.append(
            Problem(
                relpath=relpath,
                title=title_of(body, relpath),
                patterns=patterns,
                snippet=meta.get("snippet"),
                first_step=first_fix_step(body),
            )
        )
    return problems


def find_snippet(snippet_id: str):
    """The snippet of that id, reading only its own file (a broken neighbour doesn't matter)."""
    for path in sorted(catalog.snippets_root().rglob(snippet_id + ".*")):
        if path.suffix in catalog.KINDS:
            try:
                return catalog.load(path)
            except catalog.HeaderError:
                return None
    return None


class Triage:
    """Maps lines to problems; the scanner is built once per set of pages."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        self.scanner = Scanner((problem, pattern) for problem in problems for pattern in problem.patterns)
        self._snippets: dict[str, catalog.Snippet | None] = {}

    def classify(self, line: str) -> tuple[Problem, dict] | None:
        """(problem, named groups) of one line, or None."""
        found = self.scanner.match_line(line)
        if found is None:
            return None
        problem, m = found
        return problem, {k: v for k, v in m.groupdict().items() if v is not None}

    def summarise(self, hits) -> list[Finding]:
        findings: dict[str, Finding] = {}
        for hit in hits:
            problem = hit.key
            finding = findings.get(problem.relpath)
            if finding is None:
                finding = findings[problem.relpath] = Finding(problem, first_line=hit.lineno, example=hit.line)
            finding.count += 1
            ts = _TIMESTAMP.search(hit.line, 0, 64)
            if ts:
                stamp = ts.group(0)
                if finding.first_seen is None:
                    finding.first_seen = stamp
                finding.last_seen = stamp
            groups = tuple(sorted((k, v) for k, v in hit.match.groupdict().items() if v is not None))
            if groups:
                finding.instances[groups] = finding.instances.get(groups, 0) + 1
        return list(findings.values())

    def snippet(self, snippet_id: str | None):
        if not snippet_id:
            return None
        if snippet_id not in self._snippets:
            self._snippets[snippet_id] = find_snippet(snippet_id)
        return self._snippets[snippet_id]

    def command(self, problem: Problem, groups: dict) -> str | None:
        """`runbook show <snippet> --param ...` filled from the groups that are its parameters."""
        snippet = self.snippet(problem.snippet)
        if snippet is None:
            return None
        given = {k: v for k, v in groups.items() if k in snippet.params}
        if not given:
            return None
        parts = ["runbook", "show", snippet.id]
        for name, value in given.items():
            parts += ["--param", f"{name}={value}"]
        missing = [n for n, p in snippet.params.items() if p.required and n not in given]
        cmd = " ".join(shlex.quote(p) for p in parts)
        return cmd + "".join(f" --param {n}=…" for n in missing)

    def report(self, findings: list[Finding], base_url: str) -> list[dict]:
        out = []
        for f in findings:
            instances = []
            for groups, count in list(f.instances.items())[:MAX_INSTANCES]:
                values = dict(groups)
                instances.append({"values": values, "count": count, "command": self.command(f.problem, values)})
            out.append({
                "title": f.problem.title,
                "page": f.problem.relpath,
                "url": f.problem.url(base_url),
                "count": f.count,
                "first_seen": f.first_seen,
                "last_seen": f.last_seen,
                "first_line": f.first_line,
                "first_fix_step": f.problem.first_step,
                "snippet": f.problem.snippet,
                "instances": instances,
                "more_instances": max(0, len(f.instances) - MAX_INSTANCES),
                "example": f.example,
            })
        return out


def format_text(report: list[dict]) -> str:
    lines = []
    for item in report:
        seen = f"{item['count']} line{'s' if item['count'] != 1 else ''}"
        if item["first_seen"]:
            seen += f", first {item['first_seen']}"
            if item["last_seen"] != item["first_seen"] or item["count"] > 1:
                seen += f", last {item['last_seen']}"
        lines.append(f"{item['title']}  ({seen})")
        lines.append(f"  page:      {item['url']}")
        if item["first_fix_step"]:
            lines.append(f"  first fix: {item['first_fix_step']}")
        for inst in item["instances"][:TEXT_INSTANCES]:
            values = ", ".join(f"{k}={v}" for k, v in inst["values"].items())
            count = f" ({inst['count']}x)" if item["count"] > 1 else ""
            lines.append(f"  found:     {values}{count}")
            if inst["command"]:
                lines.append(f"    {inst['command']}")
        more = item["more_instances"] + max(0, len(item["instances"]) - TEXT_INSTANCES)
        if more:
            lines.append(f"  ... and {more} more distinct values (--json lists up to {MAX_INSTANCES})")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


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

    \b
    Examples:
      runbook triage 'No sample with identifier «…» found'
      journalctl -u id3c --since today | runbook triage -
      runbook triage --log /var/log/syslog --log /var/log/syslog.2.gz --json
    """
    if not lines and not logs:
        raise click.UsageError("give an error line, - for standard input, or --log FILE")
    triage = Triage(load_problems(docs_dir))
    scanner = triage.scanner

    reading = ["standard input"]

    def hits():
        for item in lines:
            if item == "-":
                reading[0] = "standard input"
                yield from scanner.scan_stream(sys.stdin.buffer)
            else:
                yield from scanner.scan_text(item if item.endswith("\n") else item + "\n")
        for path in logs:
            reading[0] = path
            yield from scanner.scan_file(path)

    try:
        findings = triage.summarise(hits())
    except (OSError, EOFError) as exc:
        # missing, unreadable, a directory, not really gzip (BadGzipFile), truncated gzip (EOFError)
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        click.echo(f"runbook triage: cannot read {reading[0]}: {reason}", err=True)
        sys.exit(2)
    report = triage.report(findings, base_url)
    if as_json:
        click.echo(json.dumps({"problems": report}, indent=2, ensure_ascii=False))
    elif report:
        click.echo(format_text(report))
    else:
        click.echo("no known problem found")
