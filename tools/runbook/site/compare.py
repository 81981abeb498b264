"""Compare two builds of the site (MkDocs' and Zensical's): pages, and what the extension adds.

Zensical reads mkdocs.yml but skips `hooks:` silently, so a build that "works" may lack what
the runbook adds. `nox -s docs-zensical` builds the site with both and runs this on the two
folders: per page, the snippet blocks, title lines, forms, captions, parameter tables and code
blocks, plus the pattern file and the home page's paste box. It prints what differs and exits 1
when anything does.

    python -m runbook.site.compare MKDOCS_SITE ZENSICAL_SITE
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from runbook.site.patterns import PATTERN_FILE

MARKS = {
    "snippet blocks": 'class="runbook-snippet"',
    "title lines": 'class="runbook-snippet__title"',
    "forms": 'class="runbook-form"',
    "captions": 'class="runbook-caption"',
    "tables": "<table",
    "code blocks": "<pre",
    "paste box": "data-runbook-paste",
    "triage script": "runbook-triage.js",
    "forms script": "runbook-forms.js",
}


def count(site: Path) -> dict[str, Counter]:
    """{page path: Counter of MARKS} for every built page (404.html aside)."""
    pages = {}
    for html in sorted(Path(site).rglob("index.html")):
        text = html.read_text(encoding="utf-8", errors="replace")
        pages[html.parent.relative_to(site).as_posix() or "."] = Counter(
            {name: text.count(mark) for name, mark in MARKS.items()})
    return pages


def differences(first: Path, second: Path) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(totals rows: what, first, second) and the lines that say what differs."""
    a, b = count(first), count(second)
    rows = [("pages", str(len(a)), str(len(b)))]
    total_a, total_b = sum(a.values(), Counter()), sum(b.values(), Counter())
    rows += [(name, str(total_a[name]), str(total_b[name])) for name in MARKS]
    pattern_a, pattern_b = Path(first) / PATTERN_FILE, Path(second) / PATTERN_FILE
    same_file = pattern_a.is_file() and pattern_b.is_file() and pattern_a.read_bytes() == pattern_b.read_bytes()
    rows.append(("pattern file", f"{pattern_a.stat().st_size} bytes" if pattern_a.is_file() else "missing",
                 ("identical" if same_file else f"{pattern_b.stat().st_size} bytes, differs")
                 if pattern_b.is_file() else "missing"))
    lines = [f"only in {first}: {p}" for p in sorted(set(a) - set(b))]
    lines += [f"only in {second}: {p}" for p in sorted(set(b) - set(a))]
    for page in sorted(set(a) & set(b)):
        for name in MARKS:
            if a[page][name] != b[page][name]:
                lines.append(f"{page}: {name} {a[page][name]} vs {b[page][name]}")
    if not same_file:
        lines.append("the pattern file differs or is missing")
    return rows, lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    first, second = (Path(p) for p in argv)
    rows, lines = differences(first, second)
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  {first.name:>14}  {second.name:>14}")
    for what, x, y in rows:
        print(f"{what:{width}}  {x:>14}  {y:>14}")
    if lines:
        print(f"\n{len(lines)} difference(s):")
        print("\n".join("  " + line for line in lines))
        return 1
    print("\nthe same pages, with the same blocks, forms, captions and tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
