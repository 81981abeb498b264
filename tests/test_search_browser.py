"""The site's search, in a real headless Chromium: each problem's error text finds its page first.

The site and Chromium come from tests/browserlib.py; a query counts as answered when Material's
search worker has answered it and the list shows that answer (no timing window). One tab for
every query. A failing query saves a screenshot under the test's tmp_path.
"""

from __future__ import annotations

import pytest

import triage_messages as tm
from browserlib import open_page, search

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def search_page(browser, site_url, tmp_path_factory):
    """One tab on the site's home page, the search index loaded, reused by every query."""
    page = open_page(browser, site_url)
    try:
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
