"""MkDocs hook: the front-matter checks, which need the page and so cannot live in the extension.

Everything the build adds to a page comes from the Markdown extension (runbook.site.extension),
which MkDocs and Zensical both run. What is left here checks a page's own front matter, which a
Markdown extension never sees: that each `errors:` pattern compiles and each `context:` entry is
one triage accepts. Zensical ignores `hooks:`; tests/test_site.py runs the same checks over every
page, so they hold whichever tool builds the site.
"""

from __future__ import annotations

import re

from mkdocs.exceptions import PluginError

from runbook.triage import pages as triage


def on_page_markdown(markdown, page, config, files):
    check_error_patterns(page)
    return markdown


def check_error_patterns(page):
    """Fail the build when the page's `errors:` or `context:` front matter would break triage."""
    for pattern in page.meta.get("errors") or []:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise PluginError(
                f"{page.file.src_uri}: errors pattern {pattern!r} does not compile: {exc}"
            ) from None
    try:
        triage.parse_context(page.meta.get("context"))
    except ValueError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None
