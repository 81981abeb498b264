"""MkDocs hooks: tie pages to the snippet catalogue and to triage's error patterns.

- After every fenced include of a snippet (`--8<-- "snippets/..."`), add the parameter table
  generated from the snippet's header and the `runbook` commands that run it, so the page and
  the file cannot disagree.
- Fail the build when a page's `errors:` front matter holds a pattern that does not compile, or
  its `context:` front matter an entry that triage would refuse (see runbook.triage).
- Fail the build when a problem page (one with `errors:`) lacks the `urgency:` or `impact:` its
  summary box shows (check_summary_front_matter).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

try:
    from runbook.snippets import catalog
    from runbook.triage import pages as triage
except ImportError:  # building from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from runbook.snippets import catalog
    from runbook.triage import pages as triage

INCLUDE = re.compile(r'^(?P<indent>\s*)--8<--\s+"(?P<path>snippets/[^"]+)"\s*$')
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})")


def on_config(config):
    # Read snippets from the checkout being built, not from the one the runbook package was
    # installed from (an editable install elsewhere would otherwise supply other headers).
    os.environ.setdefault("RUNBOOK_ROOT", str(Path(config.config_file_path).resolve().parent))
    return config


def on_page_markdown(markdown, page, config, files):
    check_error_patterns(page)
    check_summary_front_matter(page)
    return add_snippet_tables(markdown)


def check_error_patterns(page):
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


def add_snippet_tables(markdown: str) -> str:
    lines = markdown.split("\n")
    out: list[str] = []
    pending = None  # (indent, fence, snippet path) of an open fence holding an include
    fence_open = None
    for line in lines:
        out.append(line)
        match = FENCE.match(line)
        if fence_open is None and match:
            fence_open = (match["indent"], match["fence"])
            continue
        if fence_open is not None:
            include = INCLUDE.match(line)
            if include:
                pending = include["path"]
            elif match and line.strip() == fence_open[1]:
                if pending:
                    out.extend(snippet_table(pending, fence_open[0]))
                fence_open, pending = None, None
    return "\n".join(out)


def snippet_table(relpath: str, indent: str) -> list[str]:
    path = catalog.repo_root() / relpath
    if not path.exists():
        return []  # pymdownx.snippets' check_paths reports it
    snippet = catalog.load(path)
    if snippet.kind == "sql":
        example = " ".join(f"--param {n}={_shell_quote(v)}" for n, v in snippet.examples().items())
        how = f"`runbook show {snippet.id} {example}`".replace("  ", " ")
        if snippet.effect == "write":
            how += f" · `runbook run {snippet.id} ... ` is a dry run until `--commit`"
    else:
        how = "environment variables, set before pasting"
    rows = [
        "",
        f'{indent}<small markdown>**{snippet.title}** · `{snippet.relpath}` · effect: **{snippet.effect}** · {how}</small>',
        "",
    ]
    if snippet.params:
        name_col = "variable" if snippet.kind == "sh" else "parameter"
        rows += [
            f"{indent}| {name_col} | example | default | meaning |",
            f"{indent}|---|---|---|---|",
        ]
        for param in snippet.params.values():
            rows.append(
                f"{indent}| `{param.name}` | {_code(param.example)} | {_code(param.default)} | "
                f"{param.help}{' (comma-separated list)' if param.list else ''} |"
            )
        rows.append("")
    return rows


def _code(value):
    return f"`{value}`" if value not in (None, "") else ""


def _shell_quote(value):
    value = "" if value is None else str(value)
    return value if re.fullmatch(r"[\w@%+=:,./-]+", value) else "'" + value.replace("'", "'\\''") + "'"
