"""MkDocs hook: the front-matter checks, which need the page and so cannot live in the extension.

Everything the build adds to a page comes from the Markdown extension (runbook.site.extension),
which MkDocs and Zensical both run. What is left here checks a page's own front matter, which a
Markdown extension never sees: that each `errors:` pattern compiles and each `context:` entry is
one triage accepts. Zensical ignores `hooks:`; tests/test_site.py runs the same checks over every
page, so they hold whichever tool builds the site.
It also refuses a problem page (one with `errors:`) that lacks the `urgency:` or `impact:` its
summary box shows (check_summary_front_matter).
"""

from __future__ import annotations

import re

from mkdocs.exceptions import PluginError

from runbook.triage import pages as triage


def on_page_markdown(markdown, page, config, files):
    check_error_patterns(page)
    check_summary_front_matter(page)
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


# ---------------------------------------------------------------- summary box front matter
# The summary box (overrides/partials/summary.html) shows these on every problem page; a page
# without them would hide how urgent it is. Kept apart so it moves as one piece.

URGENCY_LEVELS = ("Now", "Today", "This week")


def check_summary_front_matter(page) -> None:
    """Refuse a problem page (it has `errors:`) without `urgency:` or `impact:`.

    `urgency:` reads "Level: what waits while it is broken", Level one of URGENCY_LEVELS.
    """
    meta = page.meta
    if not meta.get("errors"):
        return
    where = page.file.src_uri
    for key in ("urgency", "impact"):
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip():
            raise PluginError(f"{where}: front matter lacks {key}: (the summary box shows it)")
    level = meta["urgency"].split(":", 1)[0].strip()
    if level not in URGENCY_LEVELS:
        raise PluginError(
            f"{where}: urgency: starts with {level!r}; use one of {', '.join(URGENCY_LEVELS)}, "
            "then ': what waits while it is broken'"
        )

