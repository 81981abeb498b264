r"""The pages triage reads: front matter, `errors:` patterns, `context:` lines, title and first fix step.

What finds a problem lives with its page; this module turns a docs/ folder into Problem objects.
The scanner (scanner.py) matches lines, the report (report.py) summarises the hits, and the
command (cli.py) is the only place that knows about click, messages and exit codes.

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

import re
import string
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from runbook.snippets import catalog

DEFAULT_BASE_URL = "http://localhost:8000/"
# Shared by `runbook triage` (triage/report.py) and the site's in-browser triage (site/patterns.py),
# so both lend context values and cap instances alike.
MAX_INSTANCES = 50  # distinct identifier sets reported per problem (JSON)
CONTEXT_WINDOW = 50  # lines between a context line and the problem line it lends its values to

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.S)
_ITEM = re.compile(r"^(?P<indent>\s*)\d+\.\s+(?P<text>.*)$")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


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
        path = site_path(self.relpath)
        return base_url.rstrip("/") + "/" + path.lstrip("/") + (f"#{self.anchor}" if self.anchor else "")


def site_path(relpath: str) -> str:
    """Where the site serves a page, relative to its root: etl/x.md -> etl/x/, etl/index.md -> etl/."""
    path = relpath[:-3] if relpath.endswith(".md") else relpath
    if path == "index" or path.endswith("/index"):
        return path[: -len("index")]
    return path + "/"


@dataclass
class ContextEntry:
    """One `context:` entry of a page."""

    pattern: re.Pattern
    alone: str | None = None
    anchor: str | None = None


class PageError(ValueError):
    """A page's front matter has a pattern that does not compile or a malformed `context:`."""


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
    # when first_seen and last_seen happened (report.parse_timestamp), to compare what follows
    first_when: datetime | None = field(default=None, repr=False)
    last_when: datetime | None = field(default=None, repr=False)


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
    """Every page under docs_dir (default: the runbook's docs/) with `errors:` or `context:` patterns.

    Raises PageError naming the page when a pattern does not compile or `context:` is malformed.
    """
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
            raise PageError(f"{relpath}: an errors pattern does not compile: {exc}") from None
        try:
            context = parse_context(meta.get("context"))
        except ValueError as exc:
            raise PageError(f"{relpath}: {exc}") from None
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
