"""How to spell the `runbook` command in a line the operator pastes into their own shell.

The playground prints `runbook run ... --dsn ...` lines. Under `nox -s playground` (or any
virtualenv that is not activated in the operator's shell) a bare `runbook` is not on their PATH,
so the line would fail when pasted: then the script's absolute path is printed instead.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path


def runbook_command() -> str:
    """`runbook` when that name on PATH is this very command outside a nox session, else a path."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is None or script.name != "runbook" or not script.exists():
        beside = Path(sys.executable).parent / "runbook"
        script = beside if beside.exists() else None
    if script is None:
        return f"{shlex.quote(sys.executable)} -m runbook"
    on_path = shutil.which("runbook")
    same = on_path is not None and Path(on_path).resolve() == script.resolve()
    if same and not os.environ.get("NOX_CURRENT_SESSION"):
        return "runbook"
    return shlex.quote(str(script.absolute()))
