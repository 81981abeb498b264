"""The site's search, in a real headless Chromium: each problem's error text finds its page first.

Serves the site the session built (conftest's site_build, `mkdocs build --strict`) on
127.0.0.1 from a thread, and drives Debian's `chromium` with Playwright (no browser download).
One browser per session. A failing query saves a screenshot under the test's tmp_path.
Without Chromium or Playwright the tests skip, or fail under RUNBOOK_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading

import pytest

import triage_messages as tm
from requirements import need
from sitebuild import failure

pytestmark = pytest.mark.browser

CHROMIUM_CANDIDATES = [
    os.environ.get("RUNBOOK_CHROMIUM", ""),
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
]
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("chromium")
    return found


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="session")
def site_url(site_build):
    site, proc = site_build
    if failure(proc):
        pytest.fail(f"the site does not build, so search cannot be tested:\n{failure(proc)}", pytrace=False)
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    need("browser", sync_playwright is not None, "Playwright for Python is not installed")
    executable = chromium_path()
    need("browser", executable is not None,
         "no Chromium executable (apt-get install chromium, or set RUNBOOK_CHROMIUM)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=LAUNCH_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        # A closed network: block anything that is not the local site.
        context.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                      else route.abort())
        yield context
        context.close()


@pytest.fixture(scope="session")
def search_page(browser, site_url, tmp_path_factory):
    """One tab on the site's home page, the search index loaded, reused by every query."""
    page = browser.new_page()
    try:
        page.goto(site_url, wait_until="domcontentloaded")
        page.locator("input.md-search__input").click()
        page.wait_for_function(
            "() => { const m = document.querySelector('.md-search-result__meta');"
            " return m && !/Initializing/i.test(m.textContent); }",
            timeout=20000,
        )
    except Exception:
        page.screenshot(path=str(tmp_path_factory.mktemp("search") / "search-init.png"))
        raise
    yield page
    page.close()


RESULTS_JS = """() => Array.from(document.querySelectorAll('.md-search-result__item')).map(li => {
    const a = li.querySelector('a.md-search-result__link'); return a ? a.getAttribute('href') : ''; })"""


def search(page, query: str) -> tuple[list[str], str]:
    """Type the query into the search box; return (result page links best first, meta text).

    fill() alone does not start a search: fill all but the last character, then type it.
    Results count as settled when three polls 120 ms apart agree.
    """
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query[:-1])
    box.press_sequentially(query[-1])
    previous, same = None, 0
    for _ in range(100):
        page.wait_for_timeout(120)
        current = page.evaluate(RESULTS_JS)
        meta = page.locator(".md-search-result__meta").text_content() or ""
        settled = current or "No matching" in meta
        same = same + 1 if (settled and current == previous) else 0
        previous = current
        if same >= 2:
            break
    return previous or [], meta


def page_url(site_url: str, relpath: str) -> str:
    return site_url + relpath[:-3] + "/"


def _normalise(site_url: str, href: str) -> str:
    from urllib.parse import urljoin

    return urljoin(site_url, href).split("#")[0].split("?")[0]


def check_first(search_page, site_url, tmp_path, query, page):
    shot = tmp_path / f"search-{page.replace('/', '-')[:-3]}.png"
    try:
        links, meta = search(search_page, query)
    except Exception:
        search_page.screenshot(path=str(shot))
        raise
    got = [_normalise(site_url, href) for href in links]
    if not got or got[0] != page_url(site_url, page):
        search_page.screenshot(path=str(shot))
        pytest.fail(
            f"searching {query!r}: first result {got[:1]} is not {page_url(site_url, page)} "
            f"({meta!r}; top five: {got[:5]}); screenshot: {shot}",
            pytrace=False,
        )


@pytest.mark.parametrize(("query", "page"), tm.SEARCHES, ids=[q for q, _ in tm.SEARCHES])
def test_search_lists_the_problem_page_first(search_page, site_url, tmp_path, query, page):
    check_first(search_page, site_url, tmp_path, query, page)


def test_every_problem_page_has_a_search(search_page):
    assert {page for _, page in tm.SEARCHES} >= set(tm.PROBLEM_PAGES)


def test_search_for_nonsense_finds_nothing(search_page):
    links, meta = search(search_page, "zqxwvj")
    assert links == [] and "No matching" in meta
