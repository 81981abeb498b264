"""The report of a triage run: hits grouped into findings per page, their counts, first and last
seen, the identifiers found, and the `runbook show` command each fix starts with.

First and last seen are the earliest and latest timestamps parsed from the lines (ISO 8601,
syslog's `Nov 30 02:00:01`, nginx's `2021/11/29 20:51:08`), not the first and last line read:
`runbook triage --log syslog --log syslog.2.gz` reads the newer file first.
"""

from __future__ import annotations

import re
import shlex
from bisect import bisect_left
from datetime import datetime, timedelta

from runbook.snippets import catalog
from runbook.triage.pages import (
    CONTEXT_WINDOW,
    MAX_INSTANCES,
    Context,
    Finding,
    Problem,
    find_snippet,
)
from runbook.triage.scanner import Scanner

TEXT_INSTANCES = 3  # distinct identifier sets printed per problem as text (JSON: MAX_INSTANCES)

# The line facts besides the pages' patterns; the site's pattern file (runbook.site.patterns)
# carries these same expressions to the browser's triage.
TIMESTAMP = re.compile(
    r"(?P<iso>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
    r"|(?P<syslog>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2})"
    r"|(?P<nginx>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})"  # nginx's error.log
    # Apache's error.log ([Mon Nov 29 20:51:08.123456 2021]) and access log ([29/Nov/2021:20:51:08 -0800])
    r"|(?P<apache_error>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4})"
    r"|(?P<apache_access>\d{2}/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})"
)
TIMESTAMP_WITHIN = 64  # a stamp is searched in a line's first 64 characters
PROCESS = re.compile(r"[\w.@-]+\[(\d+)\]")  # syslog's program[pid]
PROCESS_WITHIN = 100


def parse_timestamp(stamp: re.Match, now: datetime | None = None) -> datetime | None:
    """When a TIMESTAMP match happened, as a naive wall-clock datetime (None if it is no real date).

    Syslog's stamp has no year: it is taken as this year, or last year when that would put it more
    than a day in the future (a December line read in January), as syslog readers do.
    """
    try:
        if stamp.group("iso"):
            text = stamp.group("iso").replace(",", ".").replace(" ", "T", 1)
            if text.endswith("Z"):
                text = text[:-1] + "+00:00"
            if re.search(r"[+-]\d{4}$", text):
                text = text[:-2] + ":" + text[-2:]
            # the wall-clock time as written: a log mixes stamps with and without an offset, and
            # both mean the host's clock
            return datetime.fromisoformat(_six_digits(text)).replace(tzinfo=None)
        if stamp.group("nginx"):
            return datetime.strptime(stamp.group("nginx"), "%Y/%m/%d %H:%M:%S")
        if stamp.group("apache_error"):
            text = re.sub(r"\.\d+", "", " ".join(stamp.group("apache_error").split()))
            return datetime.strptime(text, "%a %b %d %H:%M:%S %Y")
        if stamp.group("apache_access"):  # the wall-clock time as written, like the iso stamps
            return datetime.strptime(stamp.group("apache_access")[:-6], "%d/%b/%Y:%H:%M:%S")
        now = now or datetime.now()
        text = " ".join(stamp.group("syslog").split())
        for year in (now.year, now.year - 1):
            try:
                when = datetime.strptime(f"{year} {text}", "%Y %b %d %H:%M:%S")
            except ValueError:  # Feb 29 in a year without one
                continue
            if when <= now + timedelta(days=1):
                return when
        return None
    except ValueError:
        return None


def _six_digits(text: str) -> str:
    """Python 3.9's fromisoformat wants 3 or 6 fraction digits: pad or cut them to 6."""
    m = re.search(r"\.(\d+)", text)
    if not m:
        return text
    return text[:m.start(1)] + (m.group(1) + "000000")[:6] + text[m.end(1):]


class Triage:
    """Maps lines to problems; the scanner is built once per set of pages."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        self.contexts: dict[tuple[str, int], Context] = {}
        for problem in problems:
            for entry in problem.context:
                ctx = self.contexts.setdefault((entry.pattern.pattern, entry.pattern.flags), Context(entry.pattern))
                ctx.pages.add(problem.relpath)
                if entry.alone is not None and ctx.alone is None:
                    ctx.alone = Problem(relpath=problem.relpath, title=entry.alone, patterns=[],
                                        anchor=entry.anchor, alone=entry.alone)
        self._declared = {p.relpath: [c for c in self.contexts.values() if p.relpath in c.pages] for p in problems}
        # error patterns first: a line that is both a problem and a context line is a problem
        self.scanner = Scanner([(problem, pattern) for problem in problems for pattern in problem.patterns]
                               + [(ctx, ctx.pattern) for ctx in self.contexts.values()])
        self._snippets: dict[str, catalog.Snippet | None] = {}

    def classify(self, line: str) -> tuple[Problem, dict] | None:
        """(problem, named groups) of one line, or None (also for a context line)."""
        found = self.scanner.match_line(line)
        if found is None or isinstance(found[0], Context):
            return None
        problem, m = found
        return problem, {k: v for k, v in m.groupdict().items() if v is not None}

    def classify_context(self, line: str) -> tuple[Context, dict] | None:
        """(context, named groups) of a line that is a context line and no problem, or None."""
        found = self.scanner.match_line(line)
        if found is None or not isinstance(found[0], Context):
            return None
        return found[0], {k: v for k, v in found[1].groupdict().items() if v is not None}

    def _lend_context(self, hits: list) -> tuple[dict[int, dict], set[int]]:
        """Which context values each problem hit takes, and which context hits were taken.

        A problem line takes the values of the nearest line of each context its page declares:
        same input, same process (when both lines name one, as syslog's `id3c[pid]`), at most
        CONTEXT_WINDOW lines away, before or after.
        """
        by_context: dict[int, tuple[list, list]] = {}  # id(context) -> (sorted keys, hit indexes)
        for index, (source, hit) in enumerate(hits):
            if isinstance(hit.key, Context):
                keys, indexes = by_context.setdefault(id(hit.key), ([], []))
                keys.append((source, hit.lineno))
                indexes.append(index)
        lent: dict[int, dict] = {}
        taken: set[int] = set()
        if not by_context:
            return lent, taken
        for index, (source, hit) in enumerate(hits):
            if isinstance(hit.key, Context):
                continue
            for ctx in self._declared.get(hit.key.relpath, ()):
                if id(ctx) not in by_context:
                    continue
                keys, indexes = by_context[id(ctx)]
                process = _process(hit.line)
                best = None
                at = bisect_left(keys, (source, hit.lineno))
                for step in (-1, 1):  # walk outwards on each side to the first line of the same process
                    j = at if step == 1 else at - 1
                    while 0 <= j < len(keys) and keys[j][0] == source and abs(keys[j][1] - hit.lineno) <= CONTEXT_WINDOW:
                        other = hits[indexes[j]][1]
                        theirs = _process(other.line)
                        if process is None or theirs is None or theirs == process:
                            distance = abs(keys[j][1] - hit.lineno)
                            if best is None or distance < best[0]:
                                best = (distance, indexes[j])
                            break
                        j += step
                if best is not None:
                    taken.add(best[1])
                    match = hits[best[1]][1].match
                    values = lent.setdefault(index, {})
                    for k, v in match.groupdict().items():
                        if v is not None:
                            values.setdefault(k, v)
        return lent, taken

    def summarise(self, hits) -> list[Finding]:
        """Findings of (source, Hit) pairs (or bare hits, all of one input), in order of first line."""
        hits = [h if isinstance(h, tuple) else (0, h) for h in hits]
        now = datetime.now()
        lent, taken = self._lend_context(hits)
        findings: dict[int, Finding] = {}
        for index, (_, hit) in enumerate(hits):
            if isinstance(hit.key, Context):
                if index in taken or hit.key.alone is None:
                    continue
                problem = hit.key.alone
            else:
                problem = hit.key
            finding = findings.get(id(problem))
            if finding is None:
                finding = findings[id(problem)] = Finding(problem, first_line=hit.lineno, example=hit.line)
            finding.count += 1
            ts = TIMESTAMP.search(hit.line, 0, TIMESTAMP_WITHIN)
            if ts:
                _seen(finding, ts.group(0), parse_timestamp(ts, now))
            values = {k: v for k, v in hit.match.groupdict().items() if v is not None}
            for k, v in lent.get(index, {}).items():
                values.setdefault(k, v)
            groups = tuple(sorted(values.items()))
            if groups:
                finding.instances[groups] = finding.instances.get(groups, 0) + 1
        return list(findings.values())

    def snippet(self, snippet_id: str | None):
        if not snippet_id:
            return None
        if snippet_id not in self._snippets:
            self._snippets[snippet_id] = find_snippet(snippet_id)
        return self._snippets[snippet_id]

    def command(self, problem: Problem, groups: dict) -> str | None:
        """`runbook show <snippet> --param ...` filled from the groups that are its parameters."""
        if problem.alone is not None:
            return None  # a context line alone: what failed is not known, so no fix to offer
        snippet = self.snippet(problem.snippet)
        if snippet is None:
            return None
        given = {k: v for k, v in groups.items() if k in snippet.params}
        if not given:
            return None
        parts = ["runbook", "show", snippet.id]
        for name, value in given.items():
            parts += ["--param", f"{name}={value}"]
        missing = [n for n, p in snippet.params.items() if p.required and n not in given]
        cmd = " ".join(shlex.quote(p) for p in parts)
        return cmd + "".join(f" --param {n}=…" for n in missing)

    def report(self, findings: list[Finding], base_url: str) -> list[dict]:
        out = []
        for f in findings:
            instances = []
            for groups, count in list(f.instances.items())[:MAX_INSTANCES]:
                values = dict(groups)
                instances.append({"values": values, "count": count, "command": self.command(f.problem, values)})
            alone = f.problem.alone is not None
            out.append({
                "title": _alone_title(f) if alone else f.problem.title,
                "page": f.problem.relpath,
                "url": f.problem.url(base_url),
                "context_only": alone,
                "count": f.count,
                "first_seen": f.first_seen,
                "last_seen": f.last_seen,
                "first_line": f.first_line,
                "first_fix_step": f.problem.first_step,
                "snippet": f.problem.snippet,
                "instances": instances,
                "more_instances": max(0, len(f.instances) - MAX_INSTANCES),
                "example": f.example,
            })
        return out


def _seen(finding: Finding, stamp: str, when: datetime | None) -> None:
    """Widen the finding's first and last seen to a stamp; stamps that do not parse keep line order."""
    if finding.first_seen is None:
        finding.first_seen = finding.last_seen = stamp
        finding.first_when = finding.last_when = when
        return
    if when is None or finding.first_when is None:
        if finding.first_when is None:
            finding.last_seen, finding.last_when = stamp, when
        return
    if when < finding.first_when:
        finding.first_seen, finding.first_when = stamp, when
    if finding.last_when is None or when >= finding.last_when:
        finding.last_seen, finding.last_when = stamp, when


def _process(line: str) -> str | None:
    m = PROCESS.search(line, 0, PROCESS_WITHIN)
    return m.group(0) if m else None


def _alone_title(finding: Finding) -> str:
    """The `alone:` template filled with the values seen (a few, comma-separated)."""
    seen: dict[str, dict[str, None]] = {}  # name -> its values, in order
    for groups in finding.instances:
        for k, v in groups:
            seen.setdefault(k, {})[v] = None
    fill = {k: ", ".join(list(v)[:TEXT_INSTANCES]) + (", …" if len(v) > TEXT_INSTANCES else "")
            for k, v in seen.items()}
    try:
        return finding.problem.alone.format_map(_Blank(fill))
    except (ValueError, IndexError):
        return finding.problem.alone


class _Blank(dict):
    def __missing__(self, key):
        return "…"


def format_text(report: list[dict]) -> str:
    lines = []
    for item in report:
        seen = f"{item['count']} line{'s' if item['count'] != 1 else ''}"
        if item["first_seen"]:
            seen += f", first {item['first_seen']}"
            if item["last_seen"] != item["first_seen"] or item["count"] > 1:
                seen += f", last {item['last_seen']}"
        lines.append(f"{item['title']}  ({seen})")
        lines.append(f"  page:      {item['url']}")
        if item["first_fix_step"]:
            lines.append(f"  first fix: {item['first_fix_step']}")
        for inst in item["instances"][:TEXT_INSTANCES]:
            values = ", ".join(f"{k}={v}" for k, v in inst["values"].items())
            count = f" ({inst['count']}x)" if item["count"] > 1 else ""
            lines.append(f"  found:     {values}{count}")
            if inst["command"]:
                lines.append(f"    {inst['command']}")
        more = item["more_instances"] + max(0, len(item["instances"]) - TEXT_INSTANCES)
        if more:
            lines.append(f"  ... and {more} more distinct values (--json lists up to {MAX_INSTANCES})")
        lines.append("")
    return "\n".join(lines).rstrip("\n")
