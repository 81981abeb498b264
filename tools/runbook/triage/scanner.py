"""Fast scanning of big logs for many line patterns, without a Python loop over every line.

Each pattern is reduced to the literal text any match must contain (its "anchors"). One bytes
regex, an alternation of all anchors, runs over large chunks of the raw file; only the lines that
hold an anchor are decoded and tried against the real patterns. On a syslog where 1% of lines are
problems, that keeps the per-line Python work to the problem lines.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

try:  # Python 3.11+
    import re._constants as _sre
    import re._parser as _parser
except ImportError:  # Python 3.9, 3.10
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

CHUNK = 32 * 1024 * 1024
MIN_ANCHOR = 3  # shorter literals would make the pre-filter fire on most lines


def _literal_runs(items) -> list[str]:
    """Runs of consecutive literal characters in a parsed sequence (top level only)."""
    runs, current = [], []
    for op, arg in items:
        if op is _sre.LITERAL:
            current.append(chr(arg))
        else:
            if current:
                runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def _anchors(items) -> list[str] | None:
    """Literals such that any match of the parsed sequence contains at least one of them.

    None when no such set is known (the pattern then runs on every line).
    """
    best: list[str] | None = None

    def better(candidate):
        nonlocal best
        if candidate and all(len(a) >= MIN_ANCHOR for a in candidate):
            score = min(len(a) for a in candidate) / len(candidate)
            if best is None or score > min(len(a) for a in best) / len(best):
                best = candidate

    for run in _literal_runs(items):
        better([run])
    for op, arg in items:
        if op is _sre.SUBPATTERN:
            # (group, add_flags, del_flags, pattern); flags like (?i:...) make literals unsafe
            if arg[1] & _sre.SRE_FLAG_IGNORECASE:
                continue
            better(_anchors(arg[-1]))
        elif op is _sre.BRANCH:
            alternatives = []
            for branch in arg[1]:
                sub = _anchors(branch)
                if sub is None:
                    alternatives = None
                    break
                alternatives.extend(sub)
            if alternatives:
                better(sorted(set(alternatives)))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and arg[0] >= 1:
            better(_anchors(arg[2]))
    return best


def anchors(pattern: re.Pattern) -> list[str] | None:
    """The literals one of which every match of `pattern` contains, or None.

    For a pattern with the IGNORECASE flag the literals hold in any case (the scanner then
    searches them case-insensitively).
    """
    return _anchors(_parser.parse(pattern.pattern, pattern.flags & ~re.IGNORECASE))


def _minimal(table: dict[bytes, set[int]]) -> dict[bytes, list[int]]:
    """Needles none of which contains another; each keeps the hints of the needles it covers."""
    kept: dict[bytes, set[int]] = {}
    for needle in sorted(table, key=len):
        cover = next((k for k in kept if k in needle), None)
        if cover is None:
            kept[needle] = set(table[needle])
        else:
            kept[cover].update(table[needle])
    return {k: sorted(v) for k, v in kept.items()}


@dataclass
class Hit:
    """One line that matched: which pattern key, the match, the line and its number (1-based)."""

    key: object
    match: re.Match
    line: str
    lineno: int


class Scanner:
    """Finds, in a text or a file, every line one of the given patterns matches (first key wins)."""

    def __init__(self, patterns: Iterable[tuple[object, re.Pattern]]):
        self.patterns = list(patterns)
        exact: dict[bytes, set[int]] = {}  # anchor -> pattern indexes
        folded: dict[bytes, set[int]] = {}  # anchors of IGNORECASE patterns, lower-cased
        self.unanchored: list[int] = []
        for index, (_, pattern) in enumerate(self.patterns):
            found = anchors(pattern)
            if found is None:
                self.unanchored.append(index)
                continue
            ignore_case = bool(pattern.flags & re.IGNORECASE)
            for anchor in found:
                table = folded if ignore_case else exact
                key = (anchor.lower() if ignore_case else anchor).encode("utf-8")
                table.setdefault(key, set()).update([index])
        # One bytes.find pass per needle: drop needles that contain a shorter needle (its hits
        # cover theirs), handing their patterns to the shorter one.
        self.needles = [(needle, False, hints) for needle, hints in _minimal(exact).items()]
        self.needles += [(needle, True, hints) for needle, hints in _minimal(folded).items()]

    def match_line(self, line: str, first: list[int] | None = None):
        """(key, match) of the first pattern (in the given order) that matches the line, or None."""
        order = sorted(set(first or []))
        for index in order:
            key, pattern = self.patterns[index]
            m = pattern.search(line)
            if m:
                return key, m
        for index, (key, pattern) in enumerate(self.patterns):
            if index in order:
                continue
            m = pattern.search(line)
            if m:
                return key, m
        return None

    def scan_bytes(self, data: bytes, lineno_base: int = 0) -> Iterator[Hit]:
        """Hits in a block of whole lines (no partial last line)."""
        candidates: dict[int, list[int]] = {}  # line start -> pattern indexes hinted by anchors
        lowered = None
        rfind, find = data.rfind, None
        for needle, ignore_case, hints in self.needles:
            if ignore_case:
                if lowered is None:
                    lowered = data.lower()  # ASCII only, so byte offsets stay the same
                find = lowered.find
            else:
                find = data.find
            pos = find(needle)
            while pos >= 0:
                start = rfind(b"\n", 0, pos) + 1
                hinted = candidates.get(start)
                if hinted is None:
                    candidates[start] = list(hints)
                else:
                    hinted.extend(hints)
                end = find(b"\n", pos)  # one candidate per line and needle
                if end < 0:
                    break
                pos = find(needle, end)
        if self.unanchored:
            text = data.decode("utf-8", "replace")
            for index in self.unanchored:
                # per line, so ^ and $ are line anchors; offsets move from characters to bytes
                pattern = self.patterns[index][1]
                multiline = re.compile(pattern.pattern, pattern.flags | re.MULTILINE)
                char_pos = byte_pos = 0
                for m in multiline.finditer(text):
                    start = text.rfind("\n", 0, m.start()) + 1
                    byte_pos += len(text[char_pos:start].encode("utf-8", "replace"))
                    char_pos = start
                    candidates.setdefault(byte_pos, []).append(index)
        if not candidates:
            return
        starts = sorted(candidates)
        count_from, count_pos = lineno_base, 0
        for start in starts:
            end = data.find(b"\n", start)
            raw = data[start:] if end < 0 else data[start:end]
            line = raw.decode("utf-8", "replace").rstrip("\r")
            found = self.match_line(line, candidates[start])
            if found is None:
                continue
            count_from += data.count(b"\n", count_pos, start)
            count_pos = start
            yield Hit(found[0], found[1], line, count_from + 1)

    def scan_text(self, text: str) -> Iterator[Hit]:
        return self.scan_bytes(text.encode("utf-8"))

    def scan_file(self, path, chunk: int = CHUNK) -> Iterator[Hit]:
        """Hits in a file (gzip recognised by its magic bytes), read in chunks of whole lines."""
        with open(path, "rb") as probe:
            magic = probe.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as handle:
            yield from self.scan_stream(handle, chunk)

    def scan_stream(self, handle, chunk: int = CHUNK) -> Iterator[Hit]:
        carry = b""
        lineno = 0
        while True:
            block = handle.read(chunk)
            if not block:
                break
            block = carry + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                carry = block
                continue
            carry = block[cut:]
            body = block[:cut]
            yield from self.scan_bytes(body, lineno)
            lineno += body.count(b"\n")
        if carry:
            yield from self.scan_bytes(carry, lineno)
