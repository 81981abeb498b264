r"""Python regular expressions as JavaScript ones that match the same lines, or a clear refusal.

The site's own triage script runs the pages' `errors:`/`context:` patterns in the browser, and the
parameter forms check values with the snippets' `pattern:`s. Both were written for Python's `re`.
Rewriting the text (`(?P<` to `(?<`) would miss the differences that compile in both but match
differently, so this module reads the pattern with Python's own parser and writes each node out
in JavaScript (flag `u`), spelling out what JavaScript means otherwise:

- `(?P<name>...)`, `(?P=name)`: `(?<name>...)`, and a numbered backreference;
- `\d`, `\w`, `\s`, `\b` are Unicode in Python: `\p{Nd}`, `[\p{L}\p{N}_]`, Python's whitespace
  set, and a boundary built from lookarounds (JavaScript's are ASCII even with `u`);
- `.` excludes only `\n` (JavaScript also stops at `\r`, U+2028, U+2029); `$` also matches before
  a final newline; `\Z` is the end; `(?m)` and `(?s)` become explicit lookarounds and classes;
- `(?i)` for the whole pattern becomes the flag `i`; `(?a)` makes the classes ASCII.

What JavaScript cannot say is refused with JsRegexError: possessive quantifiers, atomic groups,
conditional groups, `(?i:...)` scoped to part of a pattern, and characters outside the BMP. The
site build fails on such a pattern, so Python and the browser never disagree silently.
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # Python 3.9, 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]


class JsRegexError(ValueError):
    """A Python pattern has no JavaScript equivalent here; the message says which construct."""


# Python's str.isspace() set, which `\s` matches in a str pattern.
_PY_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WORD = r"\p{L}\p{N}_"
_ASCII_WORD = r"A-Za-z0-9_"
_SYNTAX = set("^$\\.*+?()[]{}|/")
_CLASS_SYNTAX = set("\\]^-[")

_POSSESSIVE = getattr(_c, "POSSESSIVE_REPEAT", object())
_ATOMIC = getattr(_c, "ATOMIC_GROUP", object())


def _char(code: int, in_class: bool) -> str:
    if code > 0xFFFF:
        raise JsRegexError(f"character U+{code:X} is outside the BMP")
    ch = chr(code)
    if ch in (_CLASS_SYNTAX if in_class else _SYNTAX):
        return "\\" + ch
    if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or code in (0x2028, 0x2029):
        return f"\\u{code:04x}"
    return ch


class _Writer:
    def __init__(self, flags: int):
        self.flags = flags
        self.names: dict[int, str] = {}

    def ascii(self, flags: int) -> bool:
        return bool(flags & re.ASCII)

    def category(self, cat, flags: int, in_class: bool) -> str:
        ascii_ = self.ascii(flags)
        digit, word = ("0-9", _ASCII_WORD) if ascii_ else (r"\p{Nd}", _WORD)
        space = r"\t-\r\x1c-\x20" if ascii_ else _PY_SPACE
        positive = {
            _c.CATEGORY_DIGIT: digit, _c.CATEGORY_WORD: word, _c.CATEGORY_SPACE: space,
        }
        negative = {
            _c.CATEGORY_NOT_DIGIT: digit, _c.CATEGORY_NOT_WORD: word, _c.CATEGORY_NOT_SPACE: space,
        }
        if cat in positive:
            return positive[cat] if in_class else f"[{positive[cat]}]"
        if cat in negative:
            if in_class:
                raise JsRegexError(r"a negated class escape (\D, \W, \S) inside [...]")
            return f"[^{negative[cat]}]"
        raise JsRegexError(f"unsupported category {cat}")

    def charclass(self, items, flags: int) -> str:
        negate = bool(items) and items[0][0] is _c.NEGATE
        body, extra = [], []
        for op, arg in items[1:] if negate else items:
            if op is _c.LITERAL:
                body.append(_char(arg, True))
            elif op is _c.RANGE:
                body.append(f"{_char(arg[0], True)}-{_char(arg[1], True)}")
            elif op is _c.CATEGORY:
                if arg in (_c.CATEGORY_NOT_DIGIT, _c.CATEGORY_NOT_WORD, _c.CATEGORY_NOT_SPACE) and not negate:
                    extra.append(self.category(arg, flags, False))
                else:
                    body.append(self.category(arg, flags, True))
            else:
                raise JsRegexError(f"unsupported item {op} in a character class")
        if not body and not extra:
            return "[^\\s\\S]" if not negate else "[\\s\\S]"
        out = ("[^" if negate else "[") + "".join(body) + "]" if body else ""
        if extra:
            return "(?:" + "|".join(([out] if out else []) + extra) + ")"
        return out

    def boundary(self, flags: int, negate: bool) -> str:
        w = _ASCII_WORD if self.ascii(flags) else _WORD
        if negate:
            return f"(?:(?<=[{w}])(?=[{w}])|(?<![{w}])(?![{w}]))"
        return f"(?:(?<=[{w}])(?![{w}])|(?<![{w}])(?=[{w}]))"

    def seq(self, items, flags: int) -> str:
        return "".join(self.node(op, arg, flags) for op, arg in items)

    def node(self, op, arg, flags: int) -> str:
        if op is _c.LITERAL:
            if flags & re.IGNORECASE and not self.flags & re.IGNORECASE:
                raise JsRegexError("(?i:...) on part of a pattern (put (?i) at the start)")
            return _char(arg, False)
        if op is _c.NOT_LITERAL:
            return f"[^{_char(arg, True)}]"
        if op is _c.ANY:
            return "[\\s\\S]" if flags & re.DOTALL else "[^\\n]"
        if op is _c.IN:
            if flags & re.IGNORECASE and not self.flags & re.IGNORECASE:
                raise JsRegexError("(?i:...) on part of a pattern (put (?i) at the start)")
            return self.charclass(arg, flags)
        if op is _c.AT:
            multiline = flags & re.MULTILINE
            return {
                _c.AT_BEGINNING: "(?<![\\s\\S])" if not multiline else "(?<![^\\n])",
                _c.AT_BEGINNING_STRING: "(?<![\\s\\S])",
                _c.AT_END: "(?=\\n?(?![\\s\\S]))" if not multiline else "(?![^\\n])",
                _c.AT_END_STRING: "(?![\\s\\S])",
                _c.AT_BOUNDARY: self.boundary(flags, False),
                _c.AT_NON_BOUNDARY: self.boundary(flags, True),
            }[arg]
        if op is _c.BRANCH:
            return "(?:" + "|".join(self.seq(branch, flags) for branch in arg[1]) + ")"
        if op is _c.SUBPATTERN:
            group, add, remove, items = arg
            inner_flags = (flags | add) & ~remove
            if (add | remove) & re.IGNORECASE:
                raise JsRegexError("(?i:...) or (?-i:...) on part of a pattern (put (?i) at the start)")
            inner = self.seq(items, inner_flags)
            if group is None:
                return f"(?:{inner})"
            name = self.names.get(group)
            return f"(?<{name}>{inner})" if name else f"({inner})"
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, items = arg
            inner = self.seq(items, flags)
            if not (len(items) == 1 and items[0][0] in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY, _c.SUBPATTERN)):
                inner = f"(?:{inner})"
            if high == _c.MAXREPEAT:
                quant = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
            elif low == high:
                quant = f"{{{low}}}"
            elif (low, high) == (0, 1):
                quant = "?"
            else:
                quant = f"{{{low},{high}}}"
            return inner + quant + ("?" if op is _c.MIN_REPEAT else "")
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            direction, items = arg
            kind = ("=" if op is _c.ASSERT else "!")
            return ("(?<" if direction < 0 else "(?") + kind + self.seq(items, flags) + ")"
        if op is _c.GROUPREF:
            return f"(?:\\{arg})"
        if op is _POSSESSIVE:
            raise JsRegexError("a possessive quantifier (*+, ++, ?+, {m,n}+)")
        if op is _ATOMIC:
            raise JsRegexError("an atomic group (?>...)")
        if op is _c.GROUPREF_EXISTS:
            raise JsRegexError("a conditional group (?(name)yes|no)")
        raise JsRegexError(f"unsupported construct {op}")


def to_js(pattern: str | re.Pattern, flags: int = 0) -> tuple[str, str]:
    """(source, flags) of the JavaScript RegExp matching what `re.compile(pattern, flags)` matches.

    Raises re.error when Python cannot compile it, JsRegexError when JavaScript cannot say it.
    """
    if isinstance(pattern, re.Pattern):
        pattern, flags = pattern.pattern, pattern.flags
    if isinstance(pattern, bytes):
        raise JsRegexError("a bytes pattern")
    compiled = re.compile(pattern, flags)  # re.error for Python first
    parsed = _parser.parse(pattern, flags)
    all_flags = parsed.state.flags | compiled.flags
    writer = _Writer(all_flags)
    writer.names = {number: name for name, number in compiled.groupindex.items()}
    source = writer.seq(list(parsed), all_flags)
    js_flags = "u" + ("i" if all_flags & re.IGNORECASE else "")
    return source, js_flags


def to_js_fullmatch(pattern: str, flags: int = 0) -> tuple[str, str]:
    """Like to_js, for `re.fullmatch` (what the snippet runner checks parameters with)."""
    source, js_flags = to_js(pattern, flags)
    return f"^(?:{source})$", js_flags
