"""Where pages include snippets: the one reader of `--8<--` lines and code fences in Markdown.

`runbook list` (which page shows a snippet), the site build (captions and parameter tables beside
an include) and the tests (every snippet included, no inline sql/sh fence) must agree on what an
include and a fence are; a second hand-written regular expression would drift. The syntax is
pymdownx.snippets' block form, a line holding only `--8<-- "path"`, and CommonMark's fences of
three or more backticks or tildes, closed by a line of at least as many of the same character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

INCLUDE = re.compile(r'^(?P<indent>[ \t]*)--8<--[ \t]+"(?P<path>[^"]+)"[ \t]*$')
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)")


@dataclass(frozen=True)
class Fence:
    """A fenced block: its language (lower case, "" when none), body lines, first body line (0-based)."""

    lang: str
    lines: list[str]
    start: int
    indent: str = ""

    def __iter__(self):  # unpacks as (lang, lines, start), as the tests read it
        return iter((self.lang, self.lines, self.start))


def fences(markdown: str) -> Iterator[Fence]:
    """Every fenced block of a page, in order; an unclosed fence runs to the end of the page."""
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m:
            mark = m["fence"]
            close = re.compile(rf"^[ \t]*{re.escape(mark[0])}{{{len(mark)},}}[ \t]*$")
            body, start = [], i + 1
            i += 1
            while i < len(lines) and not close.match(lines[i]):
                body.append(lines[i])
                i += 1
            yield Fence(m["lang"].lower(), body, start, m["indent"])
        i += 1


def includes(markdown: str) -> list[tuple[int, str]]:
    """(line number, 0-based; path) of every include line of a page."""
    return [(n, m["path"]) for n, line in enumerate(markdown.split("\n")) if (m := INCLUDE.match(line))]


def pages_including(relpath: str, docs: Path) -> list[str]:
    """Pages under docs/ with an include line for relpath (a path from the root that holds docs/),
    as paths from that root; a page that only mentions the path does not count."""
    found = []
    for page in sorted(Path(docs).rglob("*.md")):
        if any(path == relpath for _, path in includes(page.read_text(errors="replace"))):
            found.append(page.relative_to(Path(docs).parent).as_posix())
    return found
