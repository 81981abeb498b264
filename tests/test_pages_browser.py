"""The pages at 2 a.m., in a real headless Chromium at 1280x900 (desktop) and 390x844 (a phone,
touch emulated): the summary box and the first line of Fix step 1 on the first desktop screen, no
table wider than a phone, a copy button that shows at rest on a touch screen, log lines clear of
it, titles that outweigh section headings, the 404 page's search, and the printable page opened
from disk with the network cut.

Screenshots of the home page, a section page and three problem pages, at both sizes, go to
test-artifacts/screenshots/ (RUNBOOK_ARTIFACTS_DIR to change; CI uploads the folder).

The site is the session's `mkdocs build --strict` (conftest's site_build), served by
browserlib's site_url fixture; Chromium is launched with its helpers.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from browserlib import LAUNCH_ARGS, chromium_path  # site_url: a fixture of browserlib (conftest)
from sitebuild import REPO

pytestmark = pytest.mark.browser

DOCS = REPO / "docs"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(os.environ.get("RUNBOOK_ARTIFACTS_DIR") or REPO / "test-artifacts")
SCREENSHOT_PAGES = {
    "home": "",
    "section-etl": "etl/",
    "problem-presence-absence-invalid-set": "etl/presence-absence-invalid-set/",
    "problem-metabase-stale-results": "metabase/stale-results/",
    "problem-python36-big-sur": "software/python36-big-sur/",
}
AREAS = sorted(p.parent.name for p in DOCS.glob("*/index.md"))
PROBLEMS = sorted(f"{p.parent.name}/{p.stem}/" for a in AREAS for p in (DOCS / a).glob("*.md")
                  if p.name != "index.md")
OTHER_PAGES = ["", "using-snippets/", "errata/", "contacts/", "tags/"] + [f"{a}/" for a in AREAS]


@pytest.fixture(scope="module")
def chromium(playwright_driver):
    """A browser of this module's own: the phone context needs touch emulation, which the
    search tests' persistent context cannot switch on. Launched from the run's one driver."""
    browser = playwright_driver.chromium.launch(executable_path=chromium_path(), headless=True,
                                                args=LAUNCH_ARGS)
    yield browser
    browser.close()


def _closed_network(context):
    """Only the local site, and files for the offline copy: anything else is refused and noted."""
    context.outside = []

    def route(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:", "file:")):
            return route.continue_()
        context.outside.append(url)
        return route.abort()

    context.route("**/*", route)
    return context


@pytest.fixture(scope="module")
def desktop(chromium):
    context = _closed_network(chromium.new_context(viewport=DESKTOP))
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def phone(chromium):
    context = _closed_network(chromium.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2))
    yield context.new_page()
    context.close()


def open_page(page, base: str, path: str):
    page.goto(base + path, wait_until="load")
    page.wait_for_timeout(150)  # Material's scripts add the copy buttons after load


# ---------------------------------------------------------------- screenshots


@pytest.mark.parametrize("name,path", SCREENSHOT_PAGES.items(), ids=list(SCREENSHOT_PAGES))
def test_screenshots_at_desktop_and_phone_sizes(desktop, phone, site_url, name, path):  # noqa: F811
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for size, page in (("desktop-1280x900", desktop), ("phone-390x844", phone)):
        open_page(page, site_url, path)
        shot = folder / f"{name}-{size}.png"
        page.screenshot(path=str(shot))  # the first screen, as the reader gets it
        assert shot.stat().st_size > 10_000, f"{shot} looks empty"


# ---------------------------------------------------------------- the first screen


@pytest.mark.parametrize("path", PROBLEMS)
def test_summary_box_and_first_fix_step_on_the_first_desktop_screen(desktop, site_url, path):  # noqa: F811
    """Opened at the top, as from search or triage: the box and the first line of Fix step 1
    are on the first 1280x900 screen, without scrolling or clicking; the box's jump link
    still leads there."""
    open_page(desktop, site_url, path)
    assert desktop.evaluate("() => window.scrollY") == 0, f"{path}: the page did not open at its top"
    box = desktop.locator(".oncall-summary")
    top = box.bounding_box()
    assert top and top["y"] + top["height"] <= DESKTOP["height"], f"{path}: the summary box ends at {top}"
    first = desktop.locator(".oncall-summary__first")
    first_box = first.locator("dd").bounding_box()
    assert first_box["y"] + first_box["height"] <= DESKTOP["height"]
    assert first.locator("dd").inner_text().strip(), f"{path}: no first action"
    # the first Fix step's first line of text, unscrolled
    step = desktop.locator("h2#fix ~ ol > li").first
    line = step.evaluate(FIRST_LINE_JS)
    assert line, f"{path}: Fix step 1 has no text"
    assert 0 <= line["top"] and line["bottom"] <= DESKTOP["height"], (
        f"{path}: the first line of Fix step 1 spans {line['top']:.0f}-{line['bottom']:.0f} px "
        f"({line['top'] / DESKTOP['height']:.2f} screens down), not within the first {DESKTOP['height']} px")
    # and one click from the box brings a page scrolled elsewhere back to the step
    jump = first.locator("a.oncall-summary__jump")
    assert jump.get_attribute("href").endswith("#fix")
    jump.click()
    desktop.wait_for_timeout(300)
    rect = step.bounding_box()
    assert rect and 0 <= rect["y"] < DESKTOP["height"] - 40, f"{path}: Fix step 1 at {rect} after the jump"


# The first line box of an element's first text: where a reader sees the step begin.
FIRST_LINE_JS = """(el) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT,
        {acceptNode: (n) => n.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP});
    const text = walker.nextNode();
    if (!text) return null;
    const range = document.createRange();
    range.selectNodeContents(text);
    const rect = Array.from(range.getClientRects()).find(r => r.height > 0);
    return rect ? {top: rect.top, bottom: rect.bottom} : null;
}"""


# ---------------------------------------------------------------- phone


TABLES_JS = """() => Array.from(document.querySelectorAll('.md-content table')).map(t => {
    const r = t.getBoundingClientRect();
    return {left: r.left, right: r.right, scroll: t.scrollWidth, client: t.clientWidth,
            head: (t.querySelector('th') || t).textContent.trim().slice(0, 30)};
})"""


@pytest.mark.parametrize("path", OTHER_PAGES + PROBLEMS)
def test_no_table_overflows_a_phone(phone, site_url, path):  # noqa: F811
    open_page(phone, site_url, path)
    width = PHONE["width"]
    for table in phone.evaluate(TABLES_JS):
        assert table["left"] >= 0 and table["right"] <= width + 0.5, f"{path}: table {table} leaves the screen"
        assert table["scroll"] <= table["client"] + 1, f"{path}: table {table} hides columns behind a scroll"
    page_width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert page_width <= width, f"{path}: the page is {page_width}px wide on a {width}px phone"


def _alpha(color: str) -> float:
    parts = re.findall(r"[\d.]+", color)
    return float(parts[3]) if color.startswith("rgba") and len(parts) == 4 else 1.0


def test_copy_button_shows_at_rest_on_a_touch_screen(phone, site_url):  # noqa: F811
    open_page(phone, site_url, "etl/presence-absence-invalid-set/")
    assert phone.evaluate("() => matchMedia('(hover: none)').matches"), "touch emulation is off"
    buttons = phone.evaluate("""() => Array.from(document.querySelectorAll('.md-code__button[data-md-type=copy]'))
        .map(b => { const r = b.getBoundingClientRect();
                    return {color: getComputedStyle(b).color, w: r.width, right: r.right}; })""")
    assert buttons, "no copy buttons"
    for button in buttons:
        assert _alpha(button["color"]) >= 0.5, f"copy button drawn at {button['color']} at rest"
        assert button["w"] >= 20 and button["right"] <= PHONE["width"]


OVERLAP_JS = """() => Array.from(document.querySelectorAll('.md-content pre')).filter(p => p.querySelector('.md-code__nav'))
  .map(pre => {
    const code = pre.querySelector('code'), nav = pre.querySelector('.md-code__nav').getBoundingClientRect();
    const range = document.createRange(); range.selectNodeContents(code);
    const hits = Array.from(range.getClientRects()).filter(r => r.width > 0 &&
        r.left < nav.right && r.right > nav.left && r.top < nav.bottom && r.bottom > nav.top);
    const text = !pre.parentElement.className.includes('language-');
    return {text, under: hits.length, scroll: code.scrollWidth, client: code.clientWidth,
            first: code.textContent.slice(0, 40)};
  })"""


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_log_lines_wrap_clear_of_the_copy_button(request, site_url, size):  # noqa: F811
    page = request.getfixturevalue(size)
    open_page(page, site_url, "etl/presence-absence-invalid-set/")
    blocks = page.evaluate(OVERLAP_JS)
    assert any(b["text"] for b in blocks), "no log line blocks found"
    for block in blocks:
        assert block["under"] == 0, f"{size}: text runs under the copy button in {block}"
        if block["text"]:
            assert block["scroll"] <= block["client"] + 1, f"{size}: a log line is cut off: {block}"


# ---------------------------------------------------------------- reading


def test_title_outweighs_section_headings(desktop, site_url):  # noqa: F811
    open_page(desktop, site_url, "etl/sample-not-found/")
    weight = desktop.evaluate("""() => ['h1', 'h2'].map(h => {
        const s = getComputedStyle(document.querySelector('.md-content ' + h));
        return [parseInt(s.fontWeight), parseFloat(s.fontSize)]; })""")
    (h1_weight, h1_size), (h2_weight, h2_size) = weight
    assert h1_weight >= 600 and h1_weight >= h2_weight and h1_size > h2_size, weight


def test_parameter_names_are_not_broken_mid_word(desktop, site_url):  # noqa: F811
    open_page(desktop, site_url, "etl/presence-absence-invalid-set/")
    lines = desktop.evaluate("""() => Array.from(document.querySelectorAll('.md-content td:first-child code'))
        .map(c => [c.textContent, c.getClientRects().length])""")
    assert lines, "no parameter table"
    assert all(n == 1 for _, n in lines), f"names broken across lines: {lines}"


def test_404_page_opens_search_and_links_home(desktop, site_url):  # noqa: F811
    open_page(desktop, site_url, "404.html")
    assert "does not exist" in desktop.locator("h1").inner_text()
    desktop.get_by_text("Search the runbook").click()
    desktop.wait_for_timeout(200)
    assert desktop.evaluate("() => document.getElementById('__search').checked"), "search did not open"
    home = desktop.get_by_role("link", name="Go to the home page")
    assert home.get_attribute("href"), "no home link"


# ---------------------------------------------------------------- offline copy


def test_print_page_works_from_disk_with_the_network_cut(chromium, site_build):
    site, _ = site_build
    context = _closed_network(chromium.new_context(viewport=DESKTOP))
    page = context.new_page()
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto((site / "print_page" / "index.html").as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    text = page.locator("body").inner_text()
    assert "Presence/absence ETL: identifier in the wrong set" in text
    assert "set_config('runbook.presence_absence_id'" in text  # an included snippet, printed
    assert "not set for this deployment" in text  # the contacts page is part of it
    # Nothing may leave the machine (Material's header would fetch the repository's stars from
    # GitHub's API: overrides/partials/source.html drops the component that does it).
    outside = context.outside + failed
    assert outside == [], f"the offline copy asked for {outside}"
    pdf = ARTIFACTS / "runbook-print.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.stat().st_size > 50_000
    context.close()
