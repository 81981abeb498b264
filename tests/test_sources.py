"""Every claim has a source, and every departure from the guide has its errata row.

- Each problem page (docs/<area>/*.md) lists `sources:` in its front matter: a guide section
  (`guide: "<section> / Problem: <title>"`, one of the guide's headings) or a file of a public
  repository of the system (`seattleflu/<repo>:<path>`). A sentence that no source backs is
  written as advice; this test cannot read sentences, but it makes the list exist and well formed.
- A page marks a guide step it changes with a link `errata.md#<id>` at that step; a snippet marks
  it with `departs: [<id>, ...]` in its header. Each marked id must be a row of docs/errata.md,
  each row must be marked by some page or snippet, and each page a row names must link back to it
  and each snippet it names must exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runbook.snippets import catalog
from runbook.triage import pages as triage
from sitebuild import REPO
from test_site import GUIDE_TOC

DOCS = REPO / "docs"
ERRATA = DOCS / "errata.md"

# The public repositories of the system that pages may cite (the brief's list, plus the
# customizations repository that the discharge-disposition page rests on).
SOURCE_REPOS = {"seattleflu/id3c", "seattleflu/backoffice", "seattleflu/documentation",
                "seattleflu/id3c-customizations"}
REPO_SOURCE = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+):(?P<path>[\w.@+-]+(?:/[\w.@+-]+)*)$")
GUIDE_SECTIONS = {heading for heading, _, _ in GUIDE_TOC if not heading.startswith("(")}

ROW_ID = re.compile(r"^\|\s*\[(?P<id>[a-z0-9-]+)\]\(#(?P=id)\)\{ #(?P=id) \}\s*\|")
PAGE_LINK = re.compile(r"\]\((?P<path>[\w./-]+\.md)(?:#[\w-]*)?\)")
SNIPPET_NAME = re.compile(r"`(?P<id>[a-z0-9]+(?:-[a-z0-9]+)+)`")
ERRATA_LINK = re.compile(r"errata\.md#(?P<id>[\w-]+)")


def problem_pages() -> list[Path]:
    return sorted(p for p in DOCS.glob("*/*.md") if p.name != "index.md")  # section indexes list, they claim nothing


def relpath(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()


# ---------------------------------------------------------------- sources


def check_sources(meta: dict) -> list[str]:
    """The problems of one page's `sources:` (empty when it is well formed)."""
    sources = meta.get("sources")
    if not sources:
        return ["no sources: in the front matter"]
    if not isinstance(sources, list):
        return [f"sources: is a {type(sources).__name__}, not a list"]
    problems = []
    for item in sources:
        if isinstance(item, dict):
            if set(item) != {"guide"}:
                problems.append(f"{item!r}: a mapping source must be exactly {{guide: <section>}}")
            elif item["guide"] not in GUIDE_SECTIONS:
                problems.append(f"guide section {item['guide']!r} is not a heading of the guide")
        elif isinstance(item, str):
            m = REPO_SOURCE.match(item)
            if not m:
                problems.append(f"{item!r} is not owner/repo:path")
            elif m["repo"] not in SOURCE_REPOS:
                problems.append(f"{item!r}: {m['repo']} is not one of {sorted(SOURCE_REPOS)}")
        else:
            problems.append(f"{item!r} is neither a guide section nor a repository path")
    return problems


@pytest.mark.parametrize("path", problem_pages(), ids=relpath)
def test_problem_page_lists_well_formed_sources(path):
    meta, _ = triage.front_matter(path.read_text(encoding="utf-8"))
    assert check_sources(meta) == [], relpath(path)


@pytest.mark.parametrize("meta,problem", [
    ({}, "no sources"),
    ({"sources": "seattleflu/id3c:lib/id3c/db/__init__.py"}, "not a list"),
    ({"sources": ["https://github.com/seattleflu/id3c/blob/master/lib/id3c/db/__init__.py"]}, "not owner/repo:path"),
    ({"sources": ["seattleflu/id3c lib/id3c/db/__init__.py"]}, "not owner/repo:path"),
    ({"sources": ["seattleflu/id3c:/lib/id3c/db/__init__.py"]}, "not owner/repo:path"),
    ({"sources": ["someone/fork:lib/id3c/db/__init__.py"]}, "is not one of"),
    ({"sources": [{"guide": "Metabase / Problem: Metabase is on fire"}]}, "not a heading of the guide"),
    ({"sources": [{"guide": "Metabase / Problem: Metabase is down", "why": "x"}]}, "exactly"),
    ({"sources": [42]}, "neither"),
])
def test_malformed_sources_are_refused(meta, problem):
    found = check_sources(meta)
    assert len(found) == 1 and problem in found[0], found


def test_well_formed_sources_pass():
    assert check_sources({"sources": [
        {"guide": "Metabase / Problem: Metabase is down"},
        "seattleflu/backoffice:metabase/README.md",
        "seattleflu/id3c:lib/id3c/cli/command/etl/presence_absence.py",
    ]}) == []


# ---------------------------------------------------------------- errata


def errata_rows(text: str) -> dict[str, str]:
    """id -> the rest of its table row, for every row of errata.md that carries an id."""
    rows: dict[str, str] = {}
    for line in text.split("\n"):
        m = ROW_ID.match(line)
        if m:
            assert m["id"] not in rows, f"errata id {m['id']} appears twice"
            rows[m["id"]] = line[m.end():]
    return rows


def page_marks(docs: Path) -> dict[str, set[str]]:
    """errata id -> pages (relative to docs/) that link errata.md#id."""
    marks: dict[str, set[str]] = {}
    for path in docs.rglob("*.md"):
        if path.name == "errata.md" and path.parent == docs:
            continue
        _, body = triage.front_matter(path.read_text(encoding="utf-8"))
        for m in ERRATA_LINK.finditer(body):
            marks.setdefault(m["id"], set()).add(path.relative_to(docs).as_posix())
    return marks


def _all_snippets():
    root = REPO / "snippets"
    return [catalog.load(p) for p in sorted(root.rglob("*")) if p.suffix in (".sql", ".sh")]


def errata_problems(errata_text: str, docs: Path, snippets: dict[str, set[str]], snippet_ids: set[str]) -> list[str]:
    rows = errata_rows(errata_text)
    pages = page_marks(docs)
    problems = [
        f"errata row without an id: {line[:80]!r}"
        for line in errata_text.split("\n")
        if line.startswith("|") and not ROW_ID.match(line) and not _is_table_head(line)
    ]
    for errata_id in sorted(set(pages) | set(snippets)):
        if errata_id not in rows:
            where = sorted(pages.get(errata_id, set()) | snippets.get(errata_id, set()))
            problems.append(f"{', '.join(where)} mark(s) {errata_id!r}, which has no row in errata.md")
    for errata_id, rest in rows.items():
        where = rest.rsplit("|", 2)[-2] if rest.count("|") >= 2 else ""
        named_pages = {m["path"] for m in PAGE_LINK.finditer(where)}
        named_snippets = {m["id"] for m in SNIPPET_NAME.finditer(where)}
        if not (pages.get(errata_id) or snippets.get(errata_id)):
            problems.append(f"errata row {errata_id!r} is marked by no page or snippet")
        for page in sorted(named_pages):
            if not (docs / page).is_file():
                problems.append(f"errata row {errata_id!r} names {page}, which does not exist")
            elif page not in pages.get(errata_id, set()):
                problems.append(f"errata row {errata_id!r} names {page}, which does not link errata.md#{errata_id}")
        for snippet_id in sorted(named_snippets - snippet_ids):
            problems.append(f"errata row {errata_id!r} names snippet {snippet_id}, which does not exist")
    return problems


def _is_table_head(line: str) -> bool:
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    return cells[0] == "id" or all(re.fullmatch(r":?-+:?", c) for c in cells)


def test_errata_rows_and_departure_marks_agree():
    snippets = _all_snippets()
    problems = errata_problems(
        ERRATA.read_text(encoding="utf-8"), DOCS, snippet_marks_of(snippets), {s.id for s in snippets}
    )
    assert problems == []


def snippet_marks_of(snippets) -> dict[str, set[str]]:
    marks: dict[str, set[str]] = {}
    for snippet in snippets:
        departs = snippet.header.get("departs") or []
        assert isinstance(departs, list), f"{snippet.id}: departs: is not a list"
        for errata_id in departs:
            marks.setdefault(str(errata_id), set()).add(snippet.id)
    return marks


ERRATA_SAMPLE = """# Errata

| id | guide | runbook | why | where |
|---|---|---|---|---|
| [kept-row](#kept-row){ #kept-row } | a | b | c | [page](etl/a.md), `find-thing` |
"""


def _docs(tmp_path: Path, page_text: str) -> Path:
    (tmp_path / "etl").mkdir()
    (tmp_path / "etl" / "a.md").write_text(page_text, encoding="utf-8")
    (tmp_path / "errata.md").write_text(ERRATA_SAMPLE, encoding="utf-8")
    return tmp_path


def test_errata_check_passes_a_consistent_pair(tmp_path):
    docs = _docs(tmp_path, "# A\n\nStep ([errata](../errata.md#kept-row)).\n")
    assert errata_problems(ERRATA_SAMPLE, docs, {}, {"find-thing"}) == []


def test_errata_check_fails_a_mark_without_row(tmp_path):
    docs = _docs(tmp_path, "# A\n\n[e](../errata.md#kept-row) and [e](../errata.md#no-such-row)\n")
    assert errata_problems(ERRATA_SAMPLE, docs, {}, {"find-thing"}) == [
        "etl/a.md mark(s) 'no-such-row', which has no row in errata.md"
    ]


def test_errata_check_fails_a_snippet_mark_without_row(tmp_path):
    docs = _docs(tmp_path, "[e](../errata.md#kept-row)\n")
    assert errata_problems(ERRATA_SAMPLE, docs, {"gone-row": {"find-thing"}}, {"find-thing"}) == [
        "find-thing mark(s) 'gone-row', which has no row in errata.md"
    ]


def test_errata_check_fails_a_row_that_points_at_nothing(tmp_path):
    docs = _docs(tmp_path, "# A, marking nothing\n")
    assert errata_problems(ERRATA_SAMPLE, docs, {}, set()) == [
        "errata row 'kept-row' is marked by no page or snippet",
        "errata row 'kept-row' names etl/a.md, which does not link errata.md#kept-row",
        "errata row 'kept-row' names snippet find-thing, which does not exist",
    ]


def test_errata_check_fails_a_row_without_id(tmp_path):
    docs = _docs(tmp_path, "[e](../errata.md#kept-row)\n")
    text = ERRATA_SAMPLE + "| Linelists: edit the crontab | a snippet | why | `rerun-linelist` |\n"
    assert errata_problems(text, docs, {}, {"find-thing"}) == [
        "errata row without an id: '| Linelists: edit the crontab | a snippet | why | `rerun-linelist` |'"
    ]


def test_errata_check_fails_a_row_naming_a_missing_page(tmp_path):
    docs = _docs(tmp_path, "[e](../errata.md#kept-row)\n")
    (docs / "etl" / "a.md").unlink()
    (docs / "b.md").write_text("[e](errata.md#kept-row)\n", encoding="utf-8")
    assert errata_problems(ERRATA_SAMPLE, docs, {}, {"find-thing"}) == [
        "errata row 'kept-row' names etl/a.md, which does not exist"
    ]
