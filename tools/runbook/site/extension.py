"""The Python-Markdown extension the site build uses (mkdocs.yml: markdown_extensions).

It ties the pages to the snippet catalogue and to triage's patterns, in a form both MkDocs and
Zensical (Material's successor, which reads mkdocs.yml but ignores `hooks:`) run:

- a preprocessor, before pymdownx.snippets, rewrites every fence that includes a snippet
  (`--8<-- "snippets/..."`): the title line and the parameter form above it, the parameter lines
  and only the body inside it (a line range of the same include, so pymdownx.snippets still reads
  the file and `check_paths` still fails on a missing one), the caption and the parameter table
  below it (runbook.site.blocks);
- when it is set up, it writes the pattern file for triage in the browser (runbook.site.patterns).

Options: `base_path` (where snippet paths start, as pymdownx.snippets' base_path; default the
current folder), `docs_dir` (the pages; default `docs`). Checks of a page's own front matter
need the page, which an extension does not get: runbook.site.hooks has them.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from runbook.site import blocks, patterns
from runbook.snippets import catalog
from runbook.snippets.includes import FENCE, INCLUDE

PRIORITY = 33  # pymdownx.snippets is 32: this runs first, and sees the include lines
# normalize_whitespace (30) deletes the stash's STX/ETX marks, so the HTML waits behind a plain
# marker line until after it, and goes into the stash before html_block (20) and fences (25).
STASH_PRIORITY = 29
MARKER = re.compile(r"^(?P<indent>\s*)@@runbook-html-(?P<n>\d+)@@$")


class SnippetBlocks(Preprocessor):
    """Rewrites each fenced snippet include into title, form, block, caption and table."""

    def __init__(self, md: Markdown, base_path: Path, held_html: list[str]):
        super().__init__(md)
        self.base_path = base_path
        self.held_html = held_html

    def hold(self, html: str) -> str:
        self.held_html.append(html)
        return f"@@runbook-html-{len(self.held_html) - 1}@@"

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fence = None  # (indent, marker) of the open fence
        held: list[str] = []  # lines of the open fence
        count = 0
        for line in lines:
            match = FENCE.match(line)
            if fence is None:
                if match:
                    fence, held = (match["indent"], match["fence"]), [line]
                else:
                    out.append(line)
                continue
            held.append(line)
            # closed by the same marker only, as SuperFences (which renders the page) closes it
            if match and line.strip() == fence[1]:
                count += 1
                out.extend(self.rewrite(held, fence[0], count))
                fence, held = None, []
        out.extend(held)  # an unclosed fence stays as it was
        return out

    def rewrite(self, fenced: list[str], indent: str, count: int) -> list[str]:
        includes = [(i, m) for i, line in enumerate(fenced)
                    if (m := INCLUDE.match(line)) and _whole_snippet(m["path"])]
        if len(includes) != 1:
            return fenced
        index, include = includes[0]
        path = self.base_path / include["path"]
        if not path.is_file():
            return fenced  # pymdownx.snippets' check_paths reports it
        snippet = catalog.load(path)
        uid = f"rb-{count}-{snippet.id}"
        span = blocks.body_range(snippet)
        inner = include["indent"]
        body = [f'{inner}--8<-- "{include["path"]}:{span[0]}:{span[1]}"'] if span else []
        block = fenced[:index] + [inner + line for line in blocks.preamble(snippet)] + body + fenced[index + 1:]
        stash = self.hold
        return [
            "", indent + stash(blocks.opening(snippet, include["path"], uid)), "",
            *block,
            "", indent + stash("</div>"),
            *blocks.caption(snippet, indent),
        ]


def _whole_snippet(path: str) -> bool:
    """An include of a whole snippet file (not of another file, nor a line range of one)."""
    return path.startswith("snippets/") and ":" not in path


class StashHtml(Preprocessor):
    """Puts the HTML SnippetBlocks held back into the stash, in place of its marker lines."""

    def __init__(self, md: Markdown, held_html: list[str]):
        super().__init__(md)
        self.held_html = held_html

    def run(self, lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            m = MARKER.match(line)
            if m and int(m["n"]) < len(self.held_html):
                line = m["indent"] + self.md.htmlStash.store(self.held_html[int(m["n"])])
            out.append(line)
        self.held_html.clear()
        return out


class RunbookExtension(Extension):
    """Snippet blocks with forms, and the pattern file for the browser's triage."""

    def __init__(self, **kwargs):
        self.config = {
            "base_path": [".", "folder that snippet paths start from (as pymdownx.snippets)"],
            "docs_dir": ["docs", "the pages, whose errors:/context: go into the pattern file"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        patterns.write(Path(self.getConfig("docs_dir")))
        held: list[str] = []
        md.preprocessors.register(SnippetBlocks(md, Path(self.getConfig("base_path")), held),
                                  "runbook_snippets", PRIORITY)
        md.preprocessors.register(StashHtml(md, held), "runbook_stash", STASH_PRIORITY)


def makeExtension(**kwargs) -> RunbookExtension:  # noqa: N802 (Python-Markdown's entry point)
    return RunbookExtension(**kwargs)
