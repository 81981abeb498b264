"""`runbook` as an installed tool: the wheel alone, outside the checkout, finds its snippets and pages.

The wheel is built from this checkout (hatchling, no network) and unpacked into a folder that is
put on PYTHONPATH of a process started in another directory, with RUNBOOK_ROOT unset: what
`pipx install .` or `uv tool install .` gives, minus the copy of click and pyyaml.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from runbook import shell
from runbook.snippets import catalog

ROOT = catalog.repo_root()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # hatchling's own command: no pip needed (uv-made environments have none), no network
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    [wheel] = out.glob("id3c_runbook-*.whl")
    site = out / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def runbook(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("RUNBOOK_ROOT", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, "-m", "runbook", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def test_the_wheel_carries_every_snippet_page_and_schema(installed):
    content = installed / "runbook" / "content"
    for folder in ("snippets", "docs"):
        ours = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file())
        theirs = sorted(p.relative_to(content).as_posix() for p in (content / folder).rglob("*") if p.is_file())
        assert ours and theirs == ours, folder
    assert (installed / "runbook" / "pg" / "data" / "id3c-schema.sql").is_file()
    # an installed `runbook build-py36` (pipx, uv tool) has no checkout to read its patches from
    patches = ROOT / "tools" / "runbook" / "py36" / "patches"
    shipped = sorted(p.name for p in (installed / "runbook" / "py36" / "patches").glob("*.patch"))
    assert shipped == sorted(p.name for p in patches.glob("*.patch")) and len(shipped) == 3


def test_installed_commands_work_outside_the_checkout(installed, tmp_path):
    listed = runbook(installed, "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "find-plate-documents" in listed.stdout and "docs/barcodes/" in listed.stdout
    shown = runbook(installed, "show", "find-plate-documents", "-p", "plate=BAT-049A", cwd=tmp_path)
    assert shown.returncode == 0 and "\\set plate 'BAT-049A'" in shown.stdout, shown.stderr
    found = runbook(installed, "triage", "--json", "No identifier found for barcode «abcdef12»", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["problems"][0]["page"] == "etl/unknown-barcode.md"
    code = "from runbook.snippets import catalog; print(catalog.repo_root())"
    where = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(installed)}, check=True)
    assert Path(where.stdout.strip()) == installed / "runbook" / "content"


def test_runbook_command_is_the_bare_name_only_where_the_shell_finds_this_very_script(tmp_path, monkeypatch):
    script = tmp_path / "bin" / "runbook"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.delenv("NOX_CURRENT_SESSION", raising=False)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}/usr/bin:/bin")
    assert shell.runbook_command() == "runbook"
    monkeypatch.setenv("NOX_CURRENT_SESSION", "playground")  # on PATH only inside the session
    assert shell.runbook_command() == str(script)
    monkeypatch.delenv("NOX_CURRENT_SESSION")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # another runbook, or none, on the operator's PATH
    assert shell.runbook_command() == str(script)
