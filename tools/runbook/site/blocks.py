"""What a page shows around an included snippet: title line, parameter form, block, caption, table.

The snippet's header is for the runner; a reader wants it as a line above the block (the title,
and the effect, write in red), a form to fill the parameters in, and a block that pastes as it
is. So the block shows, instead of the YAML header, the lines that set the parameters (psql
`\\set name 'value'`, or shell `NAME=value`), filled with the examples, then the body. The
browser script (docs/assets/runbook-forms.js) rewrites those lines from the form as values are
typed, checking them with the same patterns the runner uses (converted by runbook.site.jsregex);
without it, the examples stay and the caption's `runbook show` command is the way to fill them.
The parameter table stays below, for reading.

Quoting follows the tools that read the lines: the psql lines are the runner's own
(runbook.snippets.client.psql_set_line: quotes doubled, backslashes and line breaks escaped);
bash values are quoted as shlex.quote does. A value with a quote or a semicolon therefore stays
one value.
"""

from __future__ import annotations

import html
import json
import shlex

from runbook.site.jsregex import JsRegexError, to_js_fullmatch
from runbook.snippets.catalog import Snippet
from runbook.snippets.client import psql_set_line


class BlockError(ValueError):
    """A snippet's header cannot become a form (a parameter pattern JavaScript cannot say)."""


def shell_assign(name: str, value: str) -> str:
    """`NAME=value`, quoted for bash (shlex.quote)."""
    return f"{name}={shlex.quote(value)}"


def shown_value(param) -> str:
    value = param.example if param.example is not None else param.default
    return "" if value is None else str(value)


def preamble(snippet: Snippet) -> list[str]:
    """The lines the block shows before the body, filled with the examples."""
    if snippet.kind == "sql":
        return ["\\set ON_ERROR_STOP on"] + [psql_set_line(n, shown_value(p)) for n, p in snippet.params.items()]
    return [shell_assign(n, shown_value(p)) for n, p in snippet.params.items()]


def body_range(snippet: Snippet) -> tuple[int, int] | None:
    """1-based first and last lines of the body without its blank edges (None when empty)."""
    lines = snippet.text.splitlines()
    body = snippet.body.splitlines()
    start = len(lines) - len(body)  # index of the body's first line
    numbered = [i for i, line in enumerate(body, start=start + 1) if line.strip()]
    return (numbered[0], numbered[-1]) if numbered else None


def _esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def title_line(snippet: Snippet, relpath: str) -> str:
    effect = _esc(snippet.effect)
    return (
        f'<p class="runbook-snippet__title"><strong>{_esc(snippet.title)}</strong>'
        f' · <code>{_esc(relpath)}</code>'
        f' · effect: <span class="runbook-effect runbook-effect--{effect}">{effect}</span></p>'
    )


def form(snippet: Snippet, relpath: str, uid: str) -> str:
    """The parameter form (hidden until the script shows it): one input per parameter."""
    if not snippet.params:
        return ""
    fields = []
    for name, param in snippet.params.items():
        try:
            source, flags = to_js_fullmatch(param.pattern) if param.pattern else ("", "")
        except JsRegexError as exc:
            raise BlockError(f"{relpath}: parameter {name!r}: pattern {param.pattern!r}: {exc}") from None
        field_id = f"{uid}-{name}"
        example = shown_value(param)
        hint = _esc(param.help) + (" (comma-separated list)" if param.list else "")
        if param.example is not None:
            hint += f" · e.g. <code>{_esc(param.example)}</code>"
        if param.default is not None:
            hint += f" · default <code>{_esc(param.default)}</code>"
        fields.append(
            f'<div class="runbook-form__field">'
            f'<label for="{field_id}"><code>{_esc(name)}</code></label>'
            f'<input id="{field_id}" name="{_esc(name)}" type="text" autocomplete="off" spellcheck="false"'
            f' value="{_esc(param.default)}" placeholder="{_esc(example)}"'
            f' data-pattern="{_esc(source)}" data-flags="{_esc(flags)}" data-python-pattern="{_esc(param.pattern)}"'
            f' data-type="{_esc(param.type)}" data-list="{str(param.list).lower()}"'
            f' data-required="{str(param.required).lower()}" aria-describedby="{field_id}-help {field_id}-problem">'
            f'<small id="{field_id}-help" class="runbook-form__help">{hint}</small>'
            f'<span id="{field_id}-problem" class="runbook-form__problem" aria-live="polite"></span>'
            f'</div>'
        )
    return (
        f'<form class="runbook-form" hidden autocomplete="off" data-snippet="{_esc(snippet.id)}">'
        f'<fieldset><legend>Parameters: the block below fills in as you type</legend>{"".join(fields)}</fieldset>'
        f'<p class="runbook-form__status" aria-live="polite"></p></form>'
    )


def opening(snippet: Snippet, relpath: str, uid: str) -> str:
    """The wrapper's opening tag, the title line and the form."""
    data = {
        "id": snippet.id, "kind": snippet.kind, "effect": snippet.effect,
        "preamble": len(preamble(snippet)), "params": list(snippet.params),
    }
    return (
        f'<div class="runbook-snippet" id="{uid}" data-runbook-snippet="{_esc(json.dumps(data))}">'
        + title_line(snippet, relpath) + form(snippet, relpath, uid)
    )


def caption(snippet: Snippet, indent: str) -> list[str]:
    """The caption under the block (the fallback without JavaScript) and the parameter table."""
    if snippet.kind == "sql":
        example = " ".join(f"--param {n}={shlex.quote(shown_value(p))}" for n, p in snippet.params.items())
        how = f"without the form: `runbook show {snippet.id}{' ' + example if example else ''}`"
        if snippet.effect == "write":
            how += f" · `runbook run {snippet.id} ...` is a dry run until `--commit`"
            if snippet.header.get("undo"):  # the honest exceptions (a cancel, a grant) say why
                how += f" · no undo: {snippet.header['undo']}"
            else:
                how += (" · pasted, keep its last result (the rows' before-images) before you type"
                        " `commit;`; a committed `runbook run` writes a receipt that `runbook undo` puts back")
    else:
        how = "paste it into a shell: the first lines set its variables" if snippet.params else "paste it into a shell"
    rows = ["", f'{indent}<small class="runbook-caption" markdown>{how}</small>', ""]
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


def _code(value) -> str:
    return f"`{value}`" if value not in (None, "") else ""
