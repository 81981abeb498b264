"""The pattern file: every page's `errors:` and `context:` patterns, for triage in the browser.

`runbook triage` and the site's search must find the same page with the same values, so the site
does not keep patterns of its own: this module reads the pages as triage does
(runbook.triage.pages.load_problems, same order, so the first pattern that matches wins in both),
converts each pattern to JavaScript (runbook.site.jsregex) and writes one JSON file that
docs/assets/runbook-triage.js loads. A pattern JavaScript cannot say fails the build
(PatternFileError), and when `node` is on PATH every converted pattern is also compiled there.

The file goes into the docs folder (docs/assets/runbook-patterns.json, ignored by git) when the
Markdown extension is set up: a Markdown extension learns neither MkDocs' nor Zensical's output
folder, but both copy what docs/ holds, and both set up the extensions before they do. It is
rewritten only when its content changes, so `mkdocs serve` does not rebuild in a loop.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from runbook.site.jsregex import JsRegexError, to_js
from runbook.triage import pages, report

PATTERN_FILE = "assets/runbook-patterns.json"  # under docs/, and so under the built site
VERSION = 1

class PatternFileError(ValueError):
    """A page's pattern cannot go into the pattern file; the message names the page and pattern."""


def _js(page: str, pattern: re.Pattern) -> dict:
    try:
        source, flags = to_js(pattern)
    except JsRegexError as exc:
        raise PatternFileError(f"{page}: pattern {pattern.pattern!r} cannot run in the browser: {exc}") from None
    return {"source": source, "flags": flags, "python": pattern.pattern, "groups": list(pattern.groupindex)}


def build(docs_dir: Path) -> dict:
    """The pattern file's content for the pages under docs_dir."""
    try:
        problems = pages.load_problems(Path(docs_dir))
    except Exception as exc:  # pages.PageError naming the page, or a page YAML cannot read
        raise PatternFileError(str(exc)) from None
    entries: list[dict] = []
    contexts: dict[tuple[str, int], dict] = {}
    for problem in problems:
        for pattern in problem.patterns:
            entries.append({"kind": "error", "page": problem.relpath, **_js(problem.relpath, pattern)})
        for entry in problem.context:
            key = (entry.pattern.pattern, entry.pattern.flags)
            ctx = contexts.get(key)
            if ctx is None:
                ctx = contexts[key] = {"kind": "context", "pages": [], "alone": None,
                                       **_js(problem.relpath, entry.pattern)}
            ctx["pages"].append(problem.relpath)
            if entry.alone is not None and ctx["alone"] is None:
                ctx["alone"] = {"page": problem.relpath, "title": entry.alone, "anchor": entry.anchor}
    entries += contexts.values()  # after every error pattern: a line that is both is a problem
    return {
        "version": VERSION,
        "pages": {p.relpath: {"title": p.title, "url": pages.site_path(p.relpath), "snippet": p.snippet}
                  for p in problems},
        "patterns": entries,
        # the line facts `runbook triage` reads besides the pages' patterns: its own expressions
        "process": {"source": to_js(report.PROCESS.pattern)[0], "flags": "u", "within": report.PROCESS_WITHIN},
        "timestamp": {"source": to_js(report.TIMESTAMP.pattern)[0], "flags": "u",
                      "within": report.TIMESTAMP_WITHIN},
        "context_window": pages.CONTEXT_WINDOW,
        "max_instances": pages.MAX_INSTANCES,
    }


def check_in_node(content: dict, node: str | None = None) -> None:
    """Compile every JavaScript pattern with node, when there is one; PatternFileError otherwise."""
    node = node or shutil.which("node") or shutil.which("nodejs")
    if node is None:
        return
    items = content["patterns"] + [content["process"], content["timestamp"]]
    script = (
        "const items = JSON.parse(require('fs').readFileSync(0, 'utf8')); const bad = [];"
        "for (const it of items) { try { new RegExp(it.source, it.flags); }"
        " catch (e) { bad.push((it.page || (it.pages || []).join(',')) + ': ' + (it.python || it.source) + ': ' + e.message); } }"
        "process.stdout.write(JSON.stringify(bad));"
    )
    proc = subprocess.run([node, "-e", script], input=json.dumps(items), capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise PatternFileError(f"node could not check the patterns: {proc.stderr.strip()}")
    bad = json.loads(proc.stdout or "[]")
    if bad:
        raise PatternFileError("patterns that do not compile in JavaScript:\n  " + "\n  ".join(bad))


_cache: dict[str, tuple[tuple, dict]] = {}


def _signature(docs_dir: Path) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(docs_dir.rglob("*.md")))


def write(docs_dir: Path) -> Path:
    """Build, check and write docs_dir/assets/runbook-patterns.json (only when it changes)."""
    docs_dir = Path(docs_dir).resolve()
    signature = _signature(docs_dir)
    cached = _cache.get(str(docs_dir))
    if cached is None or cached[0] != signature:
        content = build(docs_dir)
        check_in_node(content)
        _cache[str(docs_dir)] = (signature, content)
    else:
        content = cached[1]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    target = docs_dir / PATTERN_FILE
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".runbook-patterns-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    return target
