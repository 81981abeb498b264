"""Running one build step: its output to a log file, a wall-clock limit, a short console line.

A hung test in the optimisation run prints nothing for hours; here every step has a limit,
the whole process group is stopped when it passes, and the console shows a heartbeat with the
log's last line so a stall is visible.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from runbook.py36.plan import SCRUB

HEARTBEAT = 60.0  # seconds between progress lines while a step runs


@dataclass
class Result:
    name: str
    returncode: int | None
    seconds: float
    timed_out: bool
    log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def child_env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env.update(extra)
    return env


def last_line(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 4096))
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip()[:120] if lines else ""


def run(name: str, argv: list, log: Path, env: dict, cwd: Path | None, timeout: float,
        echo, heartbeat: float = HEARTBEAT) -> Result:
    """Run argv with stdout and stderr appended to log; stop its process group after timeout."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ cd {cwd}\n" if cwd else "")
        out.write("".join(f"$ export {k}={v!r}\n" for k, v in env.items()))
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=child_env(env), stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        except OSError as exc:
            out.write(f"cannot start {argv[0]}: {exc}\n")
            return Result(name, 127, time.monotonic() - start, False, log)
        try:
            timed_out = wait(proc, start, timeout, heartbeat, log, echo)
        except KeyboardInterrupt:  # its own session gets no Ctrl-C: stop it here
            stop(proc)
            out.write("\n*** interrupted (Ctrl-C)\n")
            raise
        seconds = time.monotonic() - start
        if timed_out:
            out.write(f"\n*** stopped: no exit after {timeout:g}s (--step-timeout)\n")
        else:
            out.write(f"\n*** exit status {proc.returncode} after {seconds:.1f}s\n")
    return Result(name, proc.returncode, seconds, timed_out, log)


def wait(proc, start: float, timeout: float, heartbeat: float, log: Path, echo) -> bool:
    """Wait for the step, echoing a heartbeat; True when the time limit stopped it."""
    while True:
        left = timeout - (time.monotonic() - start)
        try:
            proc.wait(timeout=max(0.01, min(heartbeat, left)))
            return False
        except subprocess.TimeoutExpired:
            if time.monotonic() - start >= timeout:
                stop(proc)
                return True
            elapsed = int(time.monotonic() - start)
            echo(f"      ... {elapsed // 60}m{elapsed % 60:02d}s  {last_line(log)}")


def stop(proc: subprocess.Popen) -> None:
    """TERM the whole process group (make's children too), KILL it if it lingers."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
