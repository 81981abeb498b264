"""Triage speed: `runbook triage --log` against `grep -E -c` with the same patterns, same file.

Generates a syslog of 1,000,000 lines (1% of them known problems, every message of
tests/triage_messages.py with other barcodes and uuids), then times, best of 3 runs each:
- `python -m runbook triage --log FILE --json` (the whole command, interpreter start included);
- `grep -E -c -f PATTERNS FILE`, the pages' patterns translated to POSIX ERE.
Prints both, their ratio and the line counts each found. Target: triage within 3x grep and
under 10 s. Prints only; never asserts.

    python benchmarks/bench_triage.py [--lines N] [--ratio R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))

import triage_messages as tm  # noqa: E402
from runbook.triage import pages as triage  # noqa: E402

HOST = "backoffice"
NOISE = [
    "CRON[{pid}]: (id3c) CMD (envdir /opt/backoffice/id3c-production/env.d/ id3c etl presence-absence --commit)",
    "systemd[1]: Started Session {n} of user id3c.",
    "sshd[{pid}]: Accepted publickey for admin from 10.0.{a}.{b} port {port} ssh2",
    "kernel: [{n}.{port}] EXT4-fs (xvda1): re-mounted. Opts: (null)",
    "id3c[{pid}]: id3c.db.session INFO: Processing presence_absence group {n}",
    "id3c[{pid}]: id3c.db.session DEBUG: Savepoint presence_absence group {n} released",
    "id3c[{pid}]: id3c.cli.command.etl.manifest INFO: Upserted sample {n} with barcodes «{hex}»",
    "postgres[{pid}]: [{n}-1] LOG:  checkpoint complete: wrote {port} buffers (0.8%); 0 WAL file(s) added",
    'nginx[{pid}]: 10.0.{a}.{b} - - "GET /metabase/api/card/{n}/query HTTP/1.1" 200 {port} "-" "Mozilla/5.0"',
    "uwsgi[{pid}]: [pid: {pid}|app: 0|req: {n}/{port}] 10.0.{a}.{b} () {{40 vars in 512 bytes}} GET /musher/ => generated 200 bytes in {a} msecs",
    "id3c[{pid}]: id3c.cli.command.etl.fhir INFO: Processed specimen «{hex}» of bundle {uuid}",
    "dockerd[{pid}]: time=\"2021-11-29T20:51:13\" level=info msg=\"Container {hex} health status: healthy\"",
    "id3c[{pid}]: id3c.cli.command INFO: Committing all changes",
    "systemd[1]: Starting Daily apt download activities...",
    "rsyslogd[{pid}]: imuxsock: Acquired UNIX socket '/run/systemd/journal/syslog' (fd 3) from systemd.",
]
MONTH = "Nov"


def generate(path: Path, lines: int, ratio: float, seed: int = 2021) -> int:
    """Write the syslog; return how many problem lines it holds."""
    rng = random.Random(seed)
    problems = []
    for _ in range(4000):
        message, _, groups = rng.choice(tm.MESSAGES)
        problems.append(tm.variants(message, rng, groups)[0])
    noise = []
    for _ in range(20000):
        noise.append(rng.choice(NOISE).format(
            pid=rng.randint(100, 65000), n=rng.randint(1, 999999), a=rng.randint(0, 255), b=rng.randint(1, 254),
            port=rng.randint(1024, 65535), hex=f"{rng.getrandbits(32):08x}",
            uuid=f"{rng.getrandbits(128):032x}",
        ))
    count = 0
    out = []
    with path.open("w", encoding="utf-8") as handle:
        for i in range(lines):
            seconds = i * 86400 * 7 // lines
            day, rest = divmod(seconds, 86400)
            stamp = f"{MONTH} {22 + day:2d} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d} {HOST} "
            if rng.random() < ratio:
                count += 1
                out.append(f"{stamp}id3c[{rng.randint(100, 65000)}]: id3c.cli.command ERROR: {rng.choice(problems)}\n")
            else:
                out.append(stamp + rng.choice(noise) + "\n")
            if len(out) >= 50000:
                handle.write("".join(out))
                out = []
        handle.write("".join(out))
    return count


def to_ere(pattern: re.Pattern) -> str:
    """A Python pattern as POSIX ERE for grep -E (named groups, \\d, \\s, (?i), lazy quantifiers).

    Look-behinds have no ERE form and are dropped (grep then counts a superset).
    """
    text = pattern.pattern
    folded = bool(pattern.flags & re.IGNORECASE)
    text = text.replace("(?i)", "")
    text = re.sub(r"\(\?<[!=][^)]*\)", "", text)
    text = re.sub(r"\(\?P<\w+>", "(", text)
    text = text.replace("(?:", "(")
    text = re.sub(r"([*+?}])\?", r"\1", text)
    for py, ere in ((r"\d", "[0-9]"), (r"\s", "[[:space:]]"), (r"\S", "[^[:space:]]"), (r"\w", "[[:alnum:]_]")):
        text = text.replace(py, ere)
    text = text.replace("[[0-9]", "[0-9").replace("[[:alnum:]_]-]", "[[:alnum:]_-]")
    if folded:  # each letter outside brackets as [xX]
        out, depth = [], 0
        i = 0
        while i < len(text):
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                out.append(text[i:i + 2])
                i += 2
                continue
            if c == "[":
                depth += 1
            elif c == "]" and depth:
                depth -= 1
            out.append(f"[{c.lower()}{c.upper()}]" if c.isalpha() and depth == 0 else c)
            i += 1
        text = "".join(out)
    return text


def best_of(runs: int, command: list[str]) -> tuple[float, str]:
    best, output = float("inf"), ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode not in (0, 1):
            raise SystemExit(f"{command[0]} failed: {done.stderr}")
        best, output = min(best, elapsed), done.stdout
    return best, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--ratio", type=float, default=0.01)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the syslog here and keep it")
    args, _ = parser.parse_known_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "syslog"
        start = time.perf_counter()
        planted = generate(log, args.lines, args.ratio)
        size = log.stat().st_size
        print(f"triage bench: {args.lines:,} lines, {size / 1e6:.0f} MB, {planted:,} problem lines "
              f"(generated in {time.perf_counter() - start:.1f} s)")

        problems = triage.load_problems()
        ere = folder / "patterns.ere"
        ere.write_text("\n".join(to_ere(p) for prob in problems for p in prob.patterns) + "\n", encoding="utf-8")

        t_triage, out = best_of(args.runs, [sys.executable, "-m", "runbook", "triage", "--log", str(log), "--json"])
        found = sum(item["count"] for item in json.loads(out)["problems"])
        t_grep, out = best_of(args.runs, ["grep", "-E", "-c", "-f", str(ere), str(log)])
        grep_found = int(out.strip() or 0)

    ratio = t_triage / t_grep if t_grep else float("inf")
    print(f"  runbook triage --log: {t_triage:6.2f} s  ({found:,} lines matched, {len(problems)} pages)")
    print(f"  grep -E -c -f:        {t_grep:6.2f} s  ({grep_found:,} lines matched)")
    print(f"  ratio triage/grep:    {ratio:6.2f}x  (target: within 3x and under 10 s: "
          f"{'met' if ratio <= 3 and t_triage < 10 else 'NOT met'})")


if __name__ == "__main__":
    main()
