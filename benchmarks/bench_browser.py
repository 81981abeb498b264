"""Triage in the browser: from the last keystroke to the known-error list, and a 10,000-line paste.

Builds the site (`mkdocs build --strict`), serves it on 127.0.0.1 and drives Debian's Chromium
through Playwright, as the browser tests do. Measures, in the page's own clock:
- one line: a catalogue message typed into the search box (the last key pressed for real),
  from that key's keydown to the known-error list being in the page; every catalogue message;
- a paste of 10,000 log lines into the home page's box, from the paste to the first frame
  after the list of problems is in the page; best and median of 5.
Targets (issue 16): under 50 ms and under 1 s. Also prints the pattern file's size. Prints only;
never asserts.

    python benchmarks/bench_browser.py [--lines N] [--runs N]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))

from benchlib import percentile, show  # noqa: E402

import triage_messages as tm  # noqa: E402
from browserlib import LAUNCH_ARGS, chromium_path, served  # noqa: E402
from sitebuild import failure, run_build  # noqa: E402

# The last keystroke: its keydown, or its beforeinput for a character no key makes (« typed).
KEYDOWN = """() => { window.__lastKey = null; window.__pending = null;
  document.addEventListener('keydown', (e) => { window.__pending = e.timeStamp; }, true);
  document.addEventListener('beforeinput', (e) => {
    window.__lastKey = window.__pending === null ? e.timeStamp : window.__pending; window.__pending = null; }, true); }"""

ONE_LINE = """(line) => {
  const s = window.runbookTriage.state.search;
  if (!s || s.query !== line || window.__lastKey === null) return null;
  return s.at - window.__lastKey;
}"""

PASTE = """async (text) => {
  const box = document.querySelector('[data-runbook-paste] textarea');
  window.runbookTriage.state.paste = null;
  await window.runbookTriage.load();
  const t0 = performance.now();
  box.value = text;
  box.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
  while (!window.runbookTriage.state.paste) await new Promise(requestAnimationFrame);
  await new Promise(requestAnimationFrame);
  return [performance.now() - t0, window.runbookTriage.state.paste.ms,
          document.querySelectorAll('.runbook-paste__item').length];
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10000, help="lines in the paste (default 10000)")
    parser.add_argument("--runs", type=int, default=5, help="paste runs (default 5)")
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("bench_browser: Playwright for Python is not installed; skipped")
        return
    executable = chromium_path()
    if executable is None:
        print("bench_browser: no Chromium (apt-get install chromium, or RUNBOOK_CHROMIUM); skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        proc = run_build(site)
        if failure(proc):
            print(failure(proc))
            sys.exit(1)
        pattern_file = site / "assets" / "runbook-patterns.json"
        raw = pattern_file.read_bytes()
        with served(site) as url:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=executable, headless=True, args=LAUNCH_ARGS)
                page = browser.new_page()
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
                page.goto(url)
                page.wait_for_function("() => window.runbookTriage")
                page.evaluate("() => window.runbookTriage.load()")
                page.evaluate(KEYDOWN)
                box = page.locator("input.md-search__input")
                box.click()
                singles = []
                for message, _, _ in tm.MESSAGES:
                    line = tm.LINE_FORMS["var-log-syslog"].format(message)
                    box.fill(line[:-1])
                    page.evaluate("() => { window.__lastKey = null; window.__pending = null; }")
                    box.press_sequentially(line[-1])
                    singles.append(page.wait_for_function(ONE_LINE, arg=line).json_value())
                text = tm.paste(args.lines)
                pastes = [page.evaluate(PASTE, text) for _ in range(args.runs)]
                browser.close()
    walls = [p[0] for p in pastes]
    rows = [
        ("one line, last keystroke to known-error list", f"{len(singles)} lines",
         f"median {statistics.median(singles):.1f} ms, p95 {percentile(singles, 95):.1f} ms, max {max(singles):.1f} ms"
         f" (first {singles[0]:.1f} ms)",
         "< 50 ms"),
        (f"{args.lines:,}-line paste to the list painted", f"{len(text) / 1e6:.2f} MB, {pastes[0][2]} problems",
         f"best {min(walls):.0f} ms, median {statistics.median(walls):.0f} ms (matching alone {min(p[1] for p in pastes):.0f} ms)",
         "< 1 s"),
        ("pattern file", "assets/runbook-patterns.json",
         f"{len(raw):,} bytes ({len(gzip.compress(raw)):,} gzipped)", ""),
    ]
    show("Triage in Chromium", ("what", "input", "measured", "target"), rows)


if __name__ == "__main__":
    main()
