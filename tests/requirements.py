"""Skip, or fail under CI, when a test's outside dependency is missing.

`need("postgres", available, reason)`: when not available, the test is skipped, unless the
environment sets RUNBOOK_REQUIRE_<WHAT>=1 (RUNBOOK_REQUIRE_POSTGRES, _BROWSER, _JQ, ...: .ci/run
sets them), in which case it fails with the reason. Works in tests and in fixtures (a session
fixture that calls it skips or errors every test that uses it).
"""

from __future__ import annotations

import os

import pytest


def _key(what: str) -> str:
    return "RUNBOOK_REQUIRE_" + what.upper().replace("-", "_").replace(" ", "_")


def required(what: str) -> bool:
    """True when RUNBOOK_REQUIRE_<WHAT> is set to a true value (1, true, yes)."""
    return os.environ.get(_key(what), "").strip().lower() in ("1", "true", "yes", "on")


def need(what: str, available: bool, reason: str = "") -> None:
    """Return quietly when available; otherwise skip, or fail when RUNBOOK_REQUIRE_<WHAT>=1."""
    if available:
        return
    message = f"{what} not available" + (f": {reason}" if reason else "")
    if required(what):
        pytest.fail(f"{message} ({_key(what)}=1)", pytrace=False)
    pytest.skip(message)
