"""Split a SQL snippet into its top-level statements, the way psql would send them.

`runbook check` plans each statement on its own (EXPLAIN), so it needs to know where one ends.
The splitter understands what can hide a semicolon: '...' and E'...' strings, "quoted
identifiers", $tag$ dollar quotes (DO bodies), -- and nested /* */ comments. A line that starts
with a backslash is a psql meta-command and is a statement of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_PLANNABLE = ("select", "with", "insert", "update", "delete", "values", "table", "merge")


@dataclass(frozen=True)
class Statement:
    text: str  # without leading comments or the trailing semicolon
    line: int  # 1-based line of its first character in the snippet

    @property
    def keyword(self) -> str:
        match = re.match(r"\\?[A-Za-z_]+", self.text)
        return match.group(0).lower() if match else ""

    @property
    def is_meta(self) -> bool:
        return self.text.startswith("\\")

    @property
    def plannable(self) -> bool:
        """A statement EXPLAIN accepts; DO blocks, GRANT, SET and meta-commands are not."""
        return self.keyword in _PLANNABLE

    @property
    def controls_transaction(self) -> bool:
        """begin / commit / rollback: the runner and `check` own the transaction."""
        return self.keyword in ("begin", "start", "commit", "rollback", "end", "abort")

    @property
    def creates_temp_table(self) -> bool:
        """`create temporary table ...`: a write snippet's scratch table (the undo log, a frozen
        scope), dropped at commit; later statements of the snippet read and fill it."""
        return re.match(r"create\s+(?:local\s+)?temp(?:orary)?\s+table\b", self.text, re.I) is not None

    @property
    def sets_config_only(self) -> bool:
        """`select set_config(...), ...` with no FROM: it only sets transaction-local settings."""
        body = re.sub(r"'(?:[^']|'')*'", "''", self.text)  # blank out literals before looking
        return (
            re.match(r"select\s+set_config\s*\(", body, re.I) is not None
            and re.search(r"\bfrom\b", body, re.I) is None
        )

    @property
    def summary(self) -> str:
        first = self.text.strip().splitlines()[0]
        return first if len(first) <= 70 else first[:67] + "..."


def _skip_comments_and_space(text: str, i: int) -> int:
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        elif text.startswith("/*", i):
            i = _end_of_block_comment(text, i)
        else:
            break
    return i


def _end_of_block_comment(text: str, i: int) -> int:
    depth, i = 0, i
    while i < len(text):
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return i


def _end_of_quoted(text: str, i: int, quote: str, backslash: bool) -> int:
    i += 1
    while i < len(text):
        ch = text[i]
        if backslash and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if text.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return i


def split(text: str) -> list[Statement]:
    """Top-level statements of `text`, in order (empty statements dropped)."""
    out: list[Statement] = []
    i = 0
    n = len(text)
    while True:
        i = _skip_comments_and_space(text, i)
        if i >= n:
            return out
        start = i
        line = text.count("\n", 0, start) + 1
        if text[i] == "\\":  # psql meta-command: up to the end of the line
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(Statement(text[start:end].strip(), line))
            i = end
            continue
        while i < n:
            ch = text[i]
            if ch == ";":
                break
            if text.startswith("--", i):
                end = text.find("\n", i)
                i = n if end < 0 else end + 1
            elif text.startswith("/*", i):
                i = _end_of_block_comment(text, i)
            elif ch == "'":
                escaped = i > 0 and text[i - 1] in "eE" and (i < 2 or not text[i - 2].isalnum())
                i = _end_of_quoted(text, i, "'", backslash=escaped)
            elif ch == '"':
                i = _end_of_quoted(text, i, '"', backslash=False)
            elif ch == "$":
                tag = _DOLLAR_TAG.match(text, i)
                if tag and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
                    close = text.find(tag.group(0), tag.end())
                    i = n if close < 0 else close + len(tag.group(0))
                else:
                    i += 1
            else:
                i += 1
        body = text[start:i].strip()
        if body:
            out.append(Statement(body, line))
        i += 1  # past the semicolon
