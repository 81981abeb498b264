"""What the site build adds (runbook.site, a Python-Markdown extension), read in the built HTML.

Every snippet include becomes a block with its title line (write in red), a form when it has
parameters, a code block that starts with the lines setting the parameters to the examples (what
a reader without JavaScript copies) and then the body without the YAML header, a caption with the
`runbook show` fallback and the parameter table. The pattern file holds every page's patterns; a
pattern JavaScript cannot say, or Python cannot compile, fails the build.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys

import pytest

from runbook.site import blocks, patterns
from runbook.snippets import catalog, runner
from runbook.snippets.commands import pages_including
from sitebuild import REPO, mkdocs_command

BLOCK = re.compile(r'<div class="runbook-snippet" id="[^"]+" data-runbook-snippet="(?P<meta>[^"]+)">'
                   r'(?P<head>.*?)<pre[^>]*>.*?<code[^>]*>(?P<code>.*?)</code>', re.S)
NAV = re.compile(r"<nav class=\"md-code__nav\">.*?</nav>", re.S)


def blocks_in(site, relpath: str) -> list[tuple[dict, str, str]]:
    """(meta, html before the code, code text) of every snippet block on a built page."""
    page = (site / relpath[len("docs/"):-len(".md")] / "index.html").read_text(encoding="utf-8")
    found = []
    for m in BLOCK.finditer(page):
        code = html.unescape(re.sub(r"<[^>]+>", "", NAV.sub("", m["code"])))
        found.append((json.loads(html.unescape(m["meta"])), m["head"], code))
    return found


@pytest.mark.parametrize("snippet", catalog.discover(), ids=lambda s: s.id)
def test_each_included_snippet_shows_title_form_filled_block_and_caption(site, snippet):
    pages = pages_including(snippet.relpath, REPO / "docs")
    assert pages, f"{snippet.id} is on no page"
    for relpath in pages:
        mine = [b for b in blocks_in(site, relpath) if b[0]["id"] == snippet.id]
        assert mine, f"{relpath}: no block for {snippet.id}"
        meta, head, code = mine[0]
        assert f"runbook-effect--{snippet.effect}" in head and html.escape(snippet.title) in head
        assert ('class="runbook-form"' in head) == bool(snippet.params)
        lines = code.split("\n")
        assert lines[:meta["preamble"]] == blocks.preamble(snippet)
        body = snippet.body.strip("\n").split("\n")
        assert lines[meta["preamble"]:meta["preamble"] + len(body)] == body
        assert "title:" not in "\n".join(lines[:meta["preamble"] + 1]) and "params:" not in code
        page = (site / relpath[len("docs/"):-len(".md")] / "index.html").read_text(encoding="utf-8")
        if snippet.kind == "sql":
            assert f"runbook show {snippet.id}" in page


@pytest.mark.parametrize("snippet", [s for s in catalog.discover() if s.kind == "sql" and s.effect == "write"],
                         ids=lambda s: s.id)
def test_a_write_snippets_caption_says_how_to_take_it_back(site, snippet):
    """Pasted, a write keeps nothing until commit; the caption says to keep its before-images and
    that a committed run can be undone, or, for the exceptions, why it cannot."""
    relpath = pages_including(snippet.relpath, REPO / "docs")[0]
    page = (site / relpath[len("docs/"):-len(".md")] / "index.html").read_text(encoding="utf-8")
    captions = [html.unescape(re.sub(r"<[^>]+>", "", c))
                for c in re.findall(r'<small class="runbook-caption"[^>]*>(.*?)</small>', page, re.S)]
    [text] = [c for c in captions if f"runbook show {snippet.id} " in c + " "]
    if snippet.header.get("undo"):
        assert "no undo: " + snippet.header["undo"] in text
    else:
        assert "before-images" in text and "runbook undo" in text


@pytest.mark.parametrize("value", ["plain", "it's", "a\\b", "x'; drop table t; --", "''", "é «x»", "a\\'b"])
def test_psql_lines_are_the_runners(value):
    assert blocks.psql_set_line("p", value) == runner.psql_set_line("p", value)


@pytest.mark.parametrize("value", ["plain", "it's", "$(id) `id` $HOME", "a b;c", "", "é", "'\"'"])
def test_shell_lines_read_back_in_bash(value):
    line = blocks.shell_assign("NAME", value)
    out = subprocess.run(["bash", "-c", line + '\nprintf %s "$NAME"'], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == value


def test_pattern_file_holds_every_pattern_in_triage_order(site):
    data = json.loads((site / patterns.PATTERN_FILE).read_text(encoding="utf-8"))
    from runbook.triage import pages as triage

    problems = triage.load_problems(REPO / "docs")
    assert [(e["page"], e["python"]) for e in data["patterns"] if e["kind"] == "error"] == [
        (p.relpath, x.pattern) for p in problems for x in p.patterns]
    contexts = [e for e in data["patterns"] if e["kind"] == "context"]
    assert contexts and all(e["pages"] for e in contexts)
    assert data["patterns"][-len(contexts):] == contexts, "context patterns must come after every error pattern"
    assert set(data["pages"]) == {p.relpath for p in problems}


def test_pattern_file_is_rewritten_only_when_it_changes(tmp_path):
    (tmp_path / "a.md").write_text("---\nerrors:\n  - 'boom (?P<n>\\d+)'\n---\n# A\n", encoding="utf-8")
    target = patterns.write(tmp_path)
    first = target.stat().st_mtime_ns
    assert json.loads(target.read_text())["patterns"][0]["groups"] == ["n"]
    assert patterns.write(tmp_path).stat().st_mtime_ns == first
    (tmp_path / "a.md").write_text("---\nerrors:\n  - 'bang (?P<m>\\d+)'\n---\n# A\n", encoding="utf-8")
    assert json.loads(patterns.write(tmp_path).read_text())["patterns"][0]["groups"] == ["m"]


MKDOCS_YML = """\
site_name: t
markdown_extensions:
  - runbook.site.extension:
      base_path: {root}
      docs_dir: {docs}
"""


@pytest.mark.parametrize(("pattern", "says"), [
    ("'count a++'", "cannot run in the browser"),
    ("'(?>atomic)'", "cannot run in the browser|does not compile"),  # Python 3.11+ | 3.9, 3.10
    ("'broken ('", "does not compile"),
])
def test_a_pattern_that_does_not_work_in_both_fails_the_build(tmp_path, pattern, says):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(f"---\nerrors:\n  - {pattern}\n---\n# Index\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML.format(root=REPO, docs=docs), encoding="utf-8")
    proc = subprocess.run([*mkdocs_command(), "build", "--strict", "--config-file", str(tmp_path / "mkdocs.yml"),
                           "--site-dir", str(tmp_path / "site")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    output = proc.stderr + proc.stdout
    assert "index.md" in output and any(s in output for s in says.split("|")), output


def test_the_home_page_has_the_paste_box_hidden_without_javascript(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<div class=\"runbook-paste\" data-runbook-paste hidden>", home)
    assert "Paste an error or a log excerpt" in home


def test_the_extension_imports_no_cli_module():
    code = ("import sys, runbook.site.extension, runbook.site.compare; "
            "bad = sorted(m for m in sys.modules if m == 'click' or m.startswith(('click.', 'runbook.cli'))); "
            "print(bad, file=sys.stderr); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO / "tools")})
    assert proc.returncode == 0, proc.stderr
