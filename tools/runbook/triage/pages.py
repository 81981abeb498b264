r"""`runbook triage`: from error lines or a whole log to the runbook page that fixes each problem.

The patterns live with their page, in its front matter (`errors:`, Python regular expressions
searched in one log line), so a page and what finds it travel together. Named groups in a pattern
carry the identifiers the fix needs; when the page names a `snippet:` whose parameters have the
same names, triage prints the `runbook show` command with them filled in.

A page may also name `context:` lines: lines that are no problem by themselves but carry a value
the page's problem needs (the presence/absence ETL logs `Rolling back to savepoint presence_absence
group N` for every document that fails, whatever the error). Such a line lends its named groups to
the nearest problem line of a page that declares it (same input, same process, within
CONTEXT_WINDOW lines). Left alone, it is reported only when an entry says how (`alone:`), pointing
at its page (and `anchor:`), never with a snippet command:

    context:
      - 'plain pattern'                      # lends its groups; ignored when alone
      - pattern: 'Rolling back to savepoint presence_absence group (?P<presence_absence_id>\d+)'
        alone: 'Presence/absence group {presence_absence_id} failed: ...'   # format fields: its groups
        anchor: savepoint-line               # optional: where on the page to point
"""

from __future__ import annotations

import json
import re
import shlex
import string
import sys
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

import click
import yaml

from runbook.snippets import catalog
from runbook.triage.scanner import Scanner

DEFAULT_BASE_URL = "http://localhost:8000/"
MAX_INSTANCES = 50  # distinct identifier sets reported per problem (JSON)
TEXT_INSTANCES = 3  # ... and printed as text
CONTEXT_WINDOW = 50  # lines between a context line and the problem line it lends its values to

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.S)
_ITEM = re.compile(r"^(?P<indent>\s*)\d+\.\s+(?P<text>.*)$")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_TIMESTAMP = re.compile(
    r"(?P<iso>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
    r"|(?P<syslog>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2})"
    r"|(?P<nginx>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})"  # nginx's error.log
    # Apache's error.log ([Mon Nov 29 20:51:08.123456 2021]) and access log ([29/Nov/2021:20:51:08 -0800])
    r"|(?P<apache_error>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4})"
    r"|(?P<apache_access>\d{2}/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})"
)
_PROCESS = re.compile(r"[\w.@-]+\[(\d+)\]")  # syslog's program[pid]


@dataclass
class Problem:
    """A runbook page that has `errors:` patterns."""

    relpath: str  # under docs/, e.g. etl/sample-not-found.md
    title: str
    patterns: list[re.Pattern]
    snippet: str | None = None
    first_step: str | None = None
    context: list[ContextEntry] = field(default_factory=list)
    anchor: str | None = None  # a place on the page (the report of a context line alone)
    alone: str | None = None  # set on the stand-in problem of a context line alone: its title template

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        path = self.relpath[:-3] if self.relpath.endswith(".md") else self.relpath
        if path == "index" or path.endswith("/index"):
            path = path[: -len("index")]
        else:
            path += "/"
        return base_url.rstrip("/") + "/" + path.lstrip("/") + (f"#{self.anchor}" if self.anchor else "")


@dataclass
class ContextEntry:
    """One `context:` entry of a page."""

    pattern: re.Pattern
    alone: str | None = None
    anchor: str | None = None


class Context:
    """A context pattern, shared by every page that declares it (the scanner's key for its lines)."""

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern
        self.pages: set[str] = set()  # relpaths whose problem lines take its values
        self.alone: Problem | None = None  # the stand-in reported for a line with no problem beside it


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


def parse_context(entries) -> list[ContextEntry]:
    """The `context:` entries of a page's front matter; ValueError says what is wrong."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ValueError("context: must be a list")
    parsed = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"pattern": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str):
            raise ValueError(f"context entry {entry!r} is neither a pattern nor a mapping with a pattern")
        unknown = set(entry) - {"pattern", "alone", "anchor"}
        if unknown:
            raise ValueError(f"context entry {entry['pattern']!r}: unknown keys {sorted(unknown)}")
        try:
            pattern = re.compile(entry["pattern"])
        except re.error as exc:
            raise ValueError(f"context pattern {entry['pattern']!r} does not compile: {exc}") from None
        alone = entry.get("alone")
        if alone is not None:
            fields = {f for _, f, _, _ in string.Formatter().parse(str(alone)) if f is not None}
            if not fields <= set(pattern.groupindex):
                raise ValueError(f"context entry {entry['pattern']!r}: alone names {sorted(fields - set(pattern.groupindex))}, "
                                 "which are not named groups of its pattern")
        parsed.append(ContextEntry(pattern, None if alone is None else str(alone), entry.get("anchor")))
    return parsed


def load_problems(docs_dir: Path | None = None) -> list[Problem]:
    """Every page under docs_dir (default: the checkout's docs/) with `errors:` or `context:` patterns."""
    docs_dir = Path(docs_dir) if docs_dir else catalog.repo_root() / "docs"
    problems = []
    for path in sorted(docs_dir.rglob("*.md")):
        meta, body = front_matter(path.read_text(encoding="utf-8"))
        errors = meta.get("errors") or []
        if not errors and not meta.get("context"):
            continue
        relpath = path.relative_to(docs_dir).as_posix()
        try:
            patterns = [re.compile(str(p)) for p in errors]
        except re.error as exc:
            raise click.ClickException(f"{relpath}: an errors pattern does not compile: {exc}") from None
        try:
            context = parse_context(meta.get("context"))
        except ValueError as exc:
            raise click.ClickException(f"{relpath}: {exc}") from None
        problems.append(
            Problem(
                relpath=relpath,
                title=title_of(body, relpath),
                patterns=patterns,
                snippet=meta.get("snippet"),
                first_step=first_fix_step(body),
                context=context,
            )
        )
    return problems


def find_snippet(snippet_id: str):
    """The snippet of that id (catalog.find reads only its own file), or None."""
    try:
        return catalog.find(snippet_id)
    except (KeyError, catalog.HeaderError):
        return None


class Triage:
    """Maps lines to problems; the scanner is built once per set of pages."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        self.contexts: dict[tuple[str, int], Context] = {}
        for problem in problems:
            for entry in problem.context:
                ctx = self.contexts.setdefault((entry.pattern.pattern, entry.pattern.flags), Context(entry.pattern))
                ctx.pages.add(problem.relpath)
                if entry.alone is not None and ctx.alone is None:
                    ctx.alone = Problem(relpath=problem.relpath, title=entry.alone, patterns=[],
                                        anchor=entry.anchor, alone=entry.alone)
        self._declared = {p.relpath: [c for c in self.contexts.values() if p.relpath in c.pages] for p in problems}
        # error patterns first: a line that is both a problem and a context line is a problem
        self.scanner = Scanner([(problem, pattern) for problem in problems for pattern in problem.patterns]
                               + [(ctx, ctx.pattern) for ctx in self.contexts.values()])
        self._snippets: dict[str, catalog.Snippet | None] = {}

    def classify(self, line: str) -> tuple[Problem, dict] | None:
        """(problem, named groups) of one line, or None (also for a context line)."""
        found = self.scanner.match_line(line)
        if found is None or isinstance(found[0], Context):
            return None
        problem, m = found
        return problem, {k: v for k, v in m.groupdict().items() if v is not None}

    def classify_context(self, line: str) -> tuple[Context, dict] | None:
        """(context, named groups) of a line that is a context line and no problem, or None."""
        found = self.scanner.match_line(line)
        if found is None or not isinstance(found[0], Context):
            return None
        return found[0], {k: v for k, v in found[1].groupdict().items() if v is not None}

    def _lend_context(self, hits: list) -> tuple[dict[int, dict], set[int]]:
        """Which context values each problem hit takes, and which context hits were taken.

        A problem line takes the values of the nearest line of each context its page declares:
        same input, same process (when both lines name one, as syslog's `id3c[pid]`), at most
        CONTEXT_WINDOW lines away, before or after.
        """
        by_context: dict[int, tuple[list, list]] = {}  # id(context) -> (sorted keys, hit indexes)
        for index, (source, hit) in enumerate(hits):
            if isinstance(hit.key, Context):
                keys, indexes = by_context.setdefault(id(hit.key), ([], []))
                keys.append((source, hit.lineno))
                indexes.append(index)
        lent: dict[int, dict] = {}
        taken: set[int] = set()
        if not by_context:
            return lent, taken
        for index, (source, hit) in enumerate(hits):
            if isinstance(hit.key, Context):
                continue
            for ctx in self._declared.get(hit.key.relpath, ()):
                if id(ctx) not in by_context:
                    continue
                keys, indexes = by_context[id(ctx)]
                process = _process(hit.line)
                best = None
                at = bisect_left(keys, (source, hit.lineno))
                for step in (-1, 1):  # walk outwards on each side to the first line of the same process
                    j = at if step == 1 else at - 1
                    while 0 <= j < len(keys) and keys[j][0] == source and abs(keys[j][1] - hit.lineno) <= CONTEXT_WINDOW:
                        other = hits[indexes[j]][1]
                        theirs = _process(other.line)
                        if process is None or theirs is None or theirs == process:
                            distance = abs(keys[j][1] - hit.lineno)
                            if best is None or distance < best[0]:
                                best = (distance, indexes[j])
                            break
                        j += step
                if best is not None:
                    taken.add(best[1])
                    match = hits[best[1]][1].match
                    values = lent.setdefault(index, {})
                    for k, v in match.groupdict().items():
                        if v is not None:
                            values.setdefault(k, v)
        return lent, taken

    def summarise(self, hits) -> list[Finding]:
        """Findings of (source, Hit) pairs (or bare hits, all of one input), in order of first line."""
        hits = [h if isinstance(h, tuple) else (0, h) for h in hits]
        lent, taken = self._lend_context(hits)
        findings: dict[int, Finding] = {}
        for index, (_, hit) in enumerate(hits):
            if isinstance(hit.key, Context):
                if index in taken or hit.key.alone is None:
                    continue
                problem = hit.key.alone
            else:
                problem = hit.key
            finding = findings.get(id(problem))
            if finding is None:
                finding = findings[id(problem)] = Finding(problem, first_line=hit.lineno, example=hit.line)
            finding.count += 1
            ts = _TIMESTAMP.search(hit.line, 0, 64)
            if ts:
                stamp = ts.group(0)
                if finding.first_seen is None:
                    finding.first_seen = stamp
                finding.last_seen = stamp
            values = {k: v for k, v in hit.match.groupdict().items() if v is not None}
            for k, v in lent.get(index, {}).items():
                values.setdefault(k, v)
            groups = tuple(sorted(values.items()))
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
        if problem.alone is not None:
            return None  # a context line alone: what failed is not known, so no fix to offer
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
            alone = f.problem.alone is not None
            out.append({
                "title": _alone_title(f) if alone else f.problem.title,
                "page": f.problem.relpath,
                "url": f.problem.url(base_url),
                "context_only": alone,
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


def _process(line: str) -> str | None:
    m = _PROCESS.search(line, 0, 100)
    return m.group(0) if m else None


def _alone_title(finding: Finding) -> str:
    """The `alone:` template filled with the values seen (a few, comma-separated)."""
    seen: dict[str, dict[str, None]] = {}  # name -> its values, in order
    for groups in finding.instances:
        for k, v in groups:
            seen.setdefault(k, {})[v] = None
    fill = {k: ", ".join(list(v)[:TEXT_INSTANCES]) + (", …" if len(v) > TEXT_INSTANCES else "")
            for k, v in seen.items()}
    try:
        return finding.problem.alone.format_map(_Blank(fill))
    except (ValueError, IndexError):
        return finding.problem.alone


class _Blank(dict):
    def __missing__(self, key):
        return "…"


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
        sys.exit(2)
    report = triage.report(findings, base_url)
    if as_json:
        click.echo(json.dumps({"problems": report}, indent=2, ensure_ascii=False))
    elif report:
        click.echo(format_text(report))
    else:
        click.echo("no known problem found")
