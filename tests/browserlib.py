"""The built site in a real headless Chromium, for the browser tests (search, triage, forms).

Serves the site the session built (conftest's site, `mkdocs build --strict`) on 127.0.0.1
from a thread, and drives Debian's `chromium` with Playwright (no browser download), on a closed
network. Without Chromium or Playwright the tests skip, or fail under RUNBOOK_REQUIRE_BROWSER=1.

Fixtures (import them into a test module): site_url, browser (a persistent context: clipboard
allowed). Helpers: served (a folder on 127.0.0.1; bench_browser uses it too), open_page, search (type a query as an operator does and wait for Material's
search to answer it), copied_text (what a copy button copies).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from requirements import need

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

# Counts the search worker's queries and answers (Material's messages: 2 = query, 3 = result) and
# keeps the last answer, so a test waits for the answer to what it typed instead of a quiet spell.
SEARCH_PROBE = """
(() => {
  const Original = window.Worker;
  window.__search = { sent: 0, received: 0, items: null };
  window.Worker = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (e.data && e.data.type === 3) { window.__search.received += 1; window.__search.items = e.data.data.items; }
      });
    }
    postMessage(message, ...rest) {
      if (message && message.type === 2) window.__search.sent += 1;
      return super.postMessage(message, ...rest);
    }
  };
  // what a copy button copies: clipboard.js copies from a selected, hidden textarea
  window.__copied = [];
  document.addEventListener('copy', (e) => {
    const t = e.target;
    const text = t && typeof t.value === 'string' ? t.value.substring(t.selectionStart, t.selectionEnd)
      : String(document.getSelection());
    window.__copied.push(text);
  }, true);
})();
"""


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@contextlib.contextmanager
def served(folder: Path):
    """The folder served on 127.0.0.1 from a thread while the block runs; yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site_url(site):
    """The built site (conftest's site: the test fails when it does not build), served on 127.0.0.1."""
    with served(site) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_driver():
    """The run's one Playwright driver: its sync API refuses a second one in the same process
    while the first runs, so every browser of the suite is launched from this one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    need("browser", sync_playwright is not None, "Playwright for Python is not installed")
    need("browser", chromium_path() is not None,
         "no Chromium executable (apt-get install chromium, or set RUNBOOK_CHROMIUM)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver, tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright_driver.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS,
        viewport={"width": 1280, "height": 900},
    )
    # A closed network: block anything that is not the local site.
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                  else route.abort())
    context.add_init_script(SEARCH_PROBE)
    yield context
    context.close()


def open_page(browser, url: str):
    """A new tab on url, its errors collected in page.errors (a test can assert there are none)."""
    page = browser.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(url, wait_until="domcontentloaded")
    return page


RESULTS_JS = """() => Array.from(document.querySelectorAll('.md-search-result__item')).map(li => {
    const a = li.querySelector('a.md-search-result__link'); return a ? a.getAttribute('href') : ''; })"""

# Settled: the worker answered every query sent since typing began, and the list shows that answer
# (its first link is the answer's first page, or the answer is empty and the meta says so).
SETTLED_JS = """(before) => {
  const s = window.__search;
  if (!s || s.sent <= before || s.received < s.sent) return false;
  const items = s.items || [];
  const first = document.querySelector('.md-search-result__list a.md-search-result__link');
  if (!items.length) return /No matching/.test(document.querySelector('.md-search-result__meta').textContent);
  return !!first && new URL(first.href).pathname.endsWith('/' + items[0][0].location.split('#')[0]);
}"""


def search(page, query: str, timeout: float = 20000) -> tuple[list[str], str]:
    """Type the query into the search box; (result page links best first, meta text) once the
    search worker has answered it. fill() alone does not start a search: fill all but the last
    character, then type it."""
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(query[:-1])
    before = page.evaluate("() => window.__search.sent")
    box.press_sequentially(query[-1])
    page.wait_for_function(SETTLED_JS, arg=before, timeout=timeout)
    return page.evaluate(RESULTS_JS), page.locator(".md-search-result__meta").text_content() or ""


def copied_text(page, button) -> str | None:
    """Click a copy button; the text it copied, or None when it copied nothing."""
    count = page.evaluate("() => window.__copied.length")
    button.click(force=True)
    try:
        page.wait_for_function("(n) => window.__copied.length > n", arg=count, timeout=2000)
    except Exception:  # playwright's TimeoutError: nothing was copied
        return None
    return page.evaluate("() => window.__copied[window.__copied.length - 1]")
