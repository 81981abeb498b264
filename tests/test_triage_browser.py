"""Triage in the browser agrees with `runbook triage`: one differential test over the catalogue.

Every message of tests/triage_messages.py, with its own values and with other ones, pasted whole
into the site's search box in each form the real ETLs print it (debug console, default console,
syslog; tracebacks are catalogue messages of their own) lists its page first, as "Known error",
with the values runbook.triage finds in the same line. The home page's paste box reports a
10,000-line excerpt as runbook.triage reports it (pages, counts, values, context lines). Every
pattern of the pattern file compiles in Chromium, and the Python-to-JavaScript conversion matches
what Python matches on the lines that tell them apart.
"""

from __future__ import annotations

import json
import random
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

import triage_messages as tm
from browserlib import open_page
from runbook.site import jsregex
from runbook.triage import pages
from runbook.triage.report import Triage
from sitebuild import REPO

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def python_triage():
    return Triage(pages.load_problems(REPO / "docs"))


@pytest.fixture(scope="module")
def home(browser, site_url):
    page = open_page(browser, site_url)
    page.locator("input.md-search__input").click()
    page.wait_for_function("() => window.runbookTriage")
    page.evaluate("() => window.runbookTriage.load()")
    yield page
    page.close()


KNOWN_JS = """(query) => {
  const s = window.runbookTriage.state.search;
  if (!s || s.query !== query) return null;
  const first = document.querySelector('.md-search-result a');
  const link = document.querySelector('.md-search-result .runbook-known__link');
  return { page: s.page, first_is_known: !!first && first === link,
           href: link ? link.href : null, title: link ? link.textContent : null };
}"""


def search_known(page, line: str) -> dict:
    """Type the line into the search box as an operator pastes it; what the known list shows."""
    box = page.locator("input.md-search__input")
    box.fill(line[:-1])
    box.press_sequentially(line[-1])
    handle = page.wait_for_function(KNOWN_JS, arg=line, timeout=10000)
    return handle.json_value()


# Paste each line into the search box (the input event a paste fires) and read what the known
# list then shows, for many lines in one call.
PASTE_SEARCH_JS = """async (lines) => {
  const box = document.querySelector('input.md-search__input');
  const out = [];
  for (const line of lines) {
    box.focus();
    box.value = line;
    box.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
    let shown = null;
    for (let i = 0; i < 500 && !shown; i++) {
      await new Promise(r => setTimeout(r, 0));
      const s = window.runbookTriage.state.search;
      if (s && s.query === line) {
        const first = document.querySelector('.md-search-result a');
        const link = document.querySelector('.md-search-result .runbook-known__link');
        shown = { page: s.page, first_is_known: !!first && first === link,
                  href: link ? link.href : null, title: link ? link.textContent : null };
      }
    }
    out.push(shown);
  }
  return out;
}"""


def catalogue_lines() -> list[tuple[str, str | None]]:
    """(line, page or None) for every message in every form, with its values and with others."""
    rng = random.Random(1804)
    lines = []
    for message, page, groups in tm.MESSAGES:
        for text in (message, tm.variants(message, rng, groups)[0]):
            for form in tm.LINE_FORMS.values():
                lines.append((form.format(text), page))
    lines += [(line, None) for line in tm.UNRELATED]
    return lines


def test_every_catalogue_line_lists_its_page_first_with_the_values_triage_finds(home, python_triage):
    wrong = []
    lines = catalogue_lines()
    shown_all = home.evaluate(PASTE_SEARCH_JS, [line for line, _ in lines])
    for (line, expected), shown in zip(lines, shown_all):
        found = python_triage.classify(line)
        py_page, py_values = (found[0].relpath, found[1]) if found else (None, {})
        if shown is None:
            wrong.append(f"{line[:110]!r}: the search box did not answer")
            continue
        js_values = dict(parse_qsl(urlsplit(shown["href"]).query)) if shown["href"] else {}
        problems = []
        if py_page != expected:
            problems.append(f"runbook triage names {py_page}")
        if shown["page"] != expected:
            problems.append(f"the site names {shown['page']}")
        if expected and not shown["first_is_known"]:
            problems.append("the known error is not the first result")
        if expected and not shown["title"].startswith("Known error: "):
            problems.append(f"title {shown['title']!r}")
        if js_values != py_values:
            problems.append(f"values {js_values} in the link, triage finds {py_values}")
        if problems:
            wrong.append(f"{line[:110]!r}: {'; '.join(problems)}")
    assert not home.errors, home.errors
    assert not wrong, f"{len(wrong)} of {len(lines)} lines:\n" + "\n".join(wrong[:20])


def test_following_a_known_error_fills_the_form(browser, site_url):
    page = open_page(browser, site_url)
    try:
        line = tm.LINE_FORMS["var-log-syslog"].format("No identifier found for barcode «4f2a9c1e»")
        page.locator("input.md-search__input").click()
        shown = search_known(page, line)
        assert shown["page"] == tm.UNKNOWN_BARCODE
        page.locator("input.md-search__input").press("Enter")
        page.wait_for_url("**/etl/unknown-barcode/?barcode=4f2a9c1e")
        field = page.locator(".runbook-snippet input[name=barcode]").first
        field.wait_for()
        assert field.input_value() == "4f2a9c1e"
        block = field.locator("xpath=ancestor::div[contains(@class,'runbook-snippet')]")
        assert "\\set barcode '4f2a9c1e'" in block.locator("pre code").inner_text()
        assert "runbook-snippet--invalid" not in (block.get_attribute("class") or "")
        assert not page.errors, page.errors
    finally:
        page.close()


def paste_into(box, text: str) -> None:
    """What a paste does to a textarea (fill() types 1.4 MB through the input pipeline, slowly)."""
    box.evaluate("(el, text) => { el.focus(); el.value = text;"
                 " el.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertFromPaste'})); }", text)


PASTE_JS = """() => Array.from(document.querySelectorAll('.runbook-paste__item')).map(li =>
  [li.dataset.page, Number(li.dataset.count), li.querySelector('.runbook-paste__link').textContent])"""


def comparable(report: list[dict]) -> list[dict]:
    keys = ("title", "page", "context_only", "count", "first_line", "more_instances")
    return [{**{k: item[k] for k in keys},
             "instances": [(inst["values"], inst["count"]) for inst in item["instances"]]} for item in report]


def test_paste_box_reports_10000_lines_as_triage_does(home, site_url, python_triage):
    text = tm.paste(10000)
    expected = python_triage.report(python_triage.summarise(python_triage.scanner.scan_text(text)), site_url)
    assert len(expected) >= 10 and any(item["context_only"] for item in expected)
    home.goto(site_url)
    box = home.locator("[data-runbook-paste] textarea")
    box.wait_for()
    home.evaluate("() => { window.runbookTriage.state.paste = null; }")
    paste_into(box, text)
    home.wait_for_function("() => window.runbookTriage.state.paste", timeout=30000)
    listed = home.evaluate(PASTE_JS)
    assert listed == [[item["page"], item["count"], item["title"]] for item in expected]
    got = home.evaluate("(text) => window.runbookTriage.report(text)", text)
    assert comparable(got) == comparable(expected)
    assert not home.errors, home.errors


def test_every_pattern_of_the_pattern_file_compiles_in_chromium(home, site_url):
    data = json.loads(home.evaluate(
        "() => fetch(new URL('assets/runbook-patterns.json', location.href)).then(r => r.text())"))
    problems = pages.load_problems(REPO / "docs")
    python = [p.pattern for problem in problems for p in problem.patterns]
    errors = [entry for entry in data["patterns"] if entry["kind"] == "error"]
    assert [entry["python"] for entry in errors] == python
    failed = home.evaluate("""(items) => items.filter(it => { try { new RegExp(it.source, it.flags); return false; }
                                                       catch (e) { return true; } }).map(it => it.python)""",
                           data["patterns"])
    assert failed == []
    for entry in data["patterns"]:
        assert entry["groups"] == list(re.compile(entry["python"]).groupindex)


# Patterns and lines on which Python's and JavaScript's own readings differ.
CONVERSIONS = [
    (r"(?P<n>\d+)$", ["abc ٤٢", "x 42\n", "x 42\n\n", "42"]),
    (r"\bcafé\b", ["un café noir", "cafés", "xcafé"]),
    (r"a.c", ["a\rc", "a\nc", "a\u2028c", "abc"]),
    (r"^x\Z", ["x", "x\n"]),
    (r"(?i)ÄRGER (?P<w>\w+)", ["ärger straße", "ÄRGER _x"]),
    (r"(?m)^b$", ["a\nb\nc", "ab"]),
    (r"(?s)a.b", ["a\nb"]),
    (r"\s+X", ["\x1cX", "\u00a0X", "\ufeffX"]),
    (r"(?P<q>['\"])(?P<v>.*?)(?P=q)", ["say 'hi' \"there\""]),
    (r"(?x) a \ b  # comment", ["a b", "ab"]),
    (r"[\D]+", ["12ab3"]),
]


def python_result(pattern: str, subject: str):
    m = re.search(pattern, subject)
    if not m:
        return None
    return [m.start(), m.end(), {k: v for k, v in m.groupdict().items() if v is not None}]


def test_converted_patterns_match_what_python_matches(home):
    cases = []
    for pattern, subjects in CONVERSIONS:
        source, flags = jsregex.to_js(pattern)
        for subject in subjects:
            cases.append({"source": source, "flags": flags, "subject": subject,
                          "python": pattern, "expected": python_result(pattern, subject)})
    got = home.evaluate("""(cases) => cases.map(c => {
        const m = new RegExp(c.source, c.flags).exec(c.subject);
        if (!m) return null;
        const groups = {};
        for (const [k, v] of Object.entries(m.groups || {})) if (v !== undefined) groups[k] = v;
        return [m.index, m.index + m[0].length, groups];
    })""", cases)
    wrong = [(c["python"], c["subject"], c["expected"], g) for c, g in zip(cases, got) if g != c["expected"]]
    assert not wrong, wrong


@pytest.mark.parametrize("pattern", [r"a++", r"(?>ab)c", r"(?P<x>a)?(?(x)b|c)", r"x(?i:y)", "\U0001f600",
                                     r"[^\W\d]"])
def test_patterns_javascript_cannot_say_are_refused(pattern):
    with pytest.raises(jsregex.JsRegexError):
        jsregex.to_js(pattern)
