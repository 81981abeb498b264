"""The environment that chooses a PostgreSQL provider, and a fixture that clears it, so a provider
test decides the provider itself whatever the run's own settings (CI forces some of them)."""

from __future__ import annotations

import pytest

PROVIDER_ENV = ("RUNBOOK_DATABASE_URL", "RUNBOOK_PG_BINDIR", "RUNBOOK_PG_PROVIDER", "DOCKER_HOST",
                "RUNBOOK_PG_IMAGE", "RUNBOOK_REQUIRE_DOCKER", "RUNBOOK_PG_PULL_TIMEOUT")


@pytest.fixture
def clean_env(monkeypatch):
    for key in PROVIDER_ENV:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch
