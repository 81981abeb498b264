"""Behaviour of the service snippets, run by bash against stand-ins first on PATH.

The stand-ins (tests/sh_stubs) record each call and print recorded outputs of the real commands.
These tests assert the commands called and their order, the files written, exit statuses and
messages: Metabase state and restart, the Switchboard capture-before-restart workflow and data
regeneration, the linelist rerun, the Husky Musher stuck-thread check (on recorded traces and,
where strace can attach, on real processes), reload/restart, and the Python 3.6 build entry point.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from requirements import need
from stubs import OUTPUTS, STUB_BIN, run_snippet

METABASE_SHOW = "snippets/sh/metabase/show-metabase-state.sh"
METABASE_RESTART = "snippets/sh/metabase/restart-metabase.sh"
SB_SHOW = "snippets/sh/switchboard/show-switchboard-status.sh"
SB_CAPTURE = "snippets/sh/switchboard/capture-switchboard-state.sh"
SB_REGENERATE = "snippets/sh/switchboard/regenerate-switchboard-data.sh"
SB_RESTART = "snippets/sh/switchboard/restart-switchboard.sh"
LINELIST = "snippets/sh/linelists/rerun-linelist.sh"
MUSHER_FIND = "snippets/sh/musher/find-stuck-musher-workers.sh"
MUSHER_RELOAD = "snippets/sh/musher/reload-husky-musher.sh"
MUSHER_RESTART = "snippets/sh/musher/restart-husky-musher.sh"
PY36 = "snippets/sh/software/build-python36.sh"

STATUS = ["systemctl", "status", "--no-pager", "--full"]


def tail(name: str, n: int) -> list[str]:
    return (OUTPUTS / name).read_text().splitlines()[-n:]


# --- Metabase -------------------------------------------------------------------------------


def test_show_metabase_state_running(tmp_path):
    run = run_snippet(METABASE_SHOW, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.calls == [
        [*STATUS, "metabase"],
        ["sudo", "docker", "container", "ls", "-a"],
        ["docker", "container", "ls", "-a"],
        ["sudo", "journalctl", "-u", "metabase", "-n", "100", "--no-pager"],
        ["journalctl", "-u", "metabase", "-n", "100", "--no-pager"],
    ]
    assert "Active: active (running)" in run.stdout
    assert "metabase/metabase:v0.41.2" in run.stdout
    journal = run.stdout.split("== the last 100 journal lines of metabase\n")[1].splitlines()
    assert journal == tail("journal-metabase.txt", 100)


def test_pasted_snippet_behaves_like_the_file(tmp_path):
    """Pasted into an interactive bash, the snippet makes the same calls and prints the same."""
    env = MUSHER | {"STUB_STRACE_DIR": "musher-stuck"}
    (tmp_path / "file").mkdir()
    (tmp_path / "paste").mkdir()
    as_file = run_snippet(MUSHER_FIND, tmp_path / "file", env)
    pasted = run_snippet(MUSHER_FIND, tmp_path / "paste", env, paste=True)
    assert pasted.returncode == as_file.returncode == 0, pasted.stderr
    assert stuck_threads(pasted.stdout) == stuck_threads(as_file.stdout) == STUCK
    assert len(pasted.calls) == len(as_file.calls) == 8
    show = run_snippet(METABASE_SHOW, tmp_path, {"STUB_UNIT_STATE": "failed"}, paste=True)
    assert show.returncode == 0 and "java.lang.OutOfMemoryError" in show.stdout


def test_show_metabase_state_failed_keeps_going(tmp_path):
    """systemctl status exits 3 for a failed unit; the container and journal still show."""
    run = run_snippet(METABASE_SHOW, tmp_path, {"STUB_UNIT_STATE": "failed"})
    assert run.returncode == 0, run.stderr
    assert "Active: failed" in run.stdout
    assert "(systemctl status exited 3: metabase is not running)" in run.stdout
    assert "Exited (137) 8 minutes ago" in run.stdout
    assert "java.lang.OutOfMemoryError: Java heap space" in run.stdout
    assert [c[0] for c in run.calls] == ["systemctl", "sudo", "docker", "sudo", "journalctl"]


def test_show_metabase_state_journal_lines(tmp_path):
    run = run_snippet(METABASE_SHOW, tmp_path, {"JOURNAL_LINES": "7", "STUB_FAIL": "docker"})
    assert run.returncode == 0
    assert "(docker exited 1: is the Docker daemon up?" in run.stdout
    assert run.stdout.rstrip("\n").splitlines()[-7:] == tail("journal-metabase.txt", 7)
    assert ["journalctl", "-u", "metabase", "-n", "7", "--no-pager"] in run.calls


def test_restart_metabase(tmp_path):
    run = run_snippet(METABASE_RESTART, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.calls == [
        ["sudo", "systemctl", "restart", "metabase"],
        ["systemctl", "restart", "metabase"],
        [*STATUS, "metabase"],
    ]
    assert "metabase restarted" in run.stdout


def test_restart_metabase_reports_a_failed_start(tmp_path):
    run = run_snippet(METABASE_RESTART, tmp_path, {"STUB_UNIT_STATE": "failed"})
    assert run.returncode == 1
    assert "metabase is not running after the restart (systemctl status exited 3)" in run.stderr


def test_restart_metabase_stops_when_restart_fails(tmp_path):
    run = run_snippet(METABASE_RESTART, tmp_path, {"STUB_FAIL": "systemctl:restart"})
    assert run.returncode == 1
    assert [*STATUS, "metabase"] not in run.calls


# --- SFS Switchboard ------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["sfs-switchboard", "scan-switchboard"])
def test_show_switchboard_status(service, tmp_path):
    run = run_snippet(SB_SHOW, tmp_path, {"SERVICE": service})
    assert run.returncode == 0, run.stderr
    assert run.calls == [
        [*STATUS, service],
        ["sudo", "journalctl", "-u", service, "-n", "100", "--no-pager"],
        ["journalctl", "-u", service, "-n", "100", "--no-pager"],
    ]
    assert f"{service}.service - SFS Switchboard" in run.stdout
    assert "make: *** [Makefile:41: data/scan-redcap.ndjson] Error 1" in run.stdout


def make_switchboard(tmp_path: Path, name: str = "sfs-switchboard") -> Path:
    checkout = tmp_path / "opt" / name
    data = checkout / "data"
    (data / "nested").mkdir(parents=True)
    (data / "sfs_switchboard.sqlite").write_bytes(b"SQLite format 3\x00" + bytes(range(256)))
    (data / "scan-redcap.ndjson").write_text('{"record_id": "1", "barcode": "aaaaaaaa"}\n')
    (data / "nested" / "partial.tmp").write_text("half written")
    old = time.time() - 86400
    os.utime(data / "scan-redcap.ndjson", (old, old))
    os.chmod(data / "nested" / "partial.tmp", 0o600)
    (checkout / "Pipfile").write_text("[packages]\n")
    return checkout


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), int(p.stat().st_mtime), p.stat().st_mode)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("service", ["sfs-switchboard", "scan-switchboard"])
def test_capture_switchboard_state(service, tmp_path):
    checkout = make_switchboard(tmp_path, service)
    captures = tmp_path / "captures"
    captures.mkdir()
    env = {"SERVICE": service, "SWITCHBOARD_DIR": str(checkout) + "/", "CAPTURE_ROOT": str(captures)}
    run = run_snippet(SB_CAPTURE, tmp_path, env)
    assert run.returncode == 0, run.stderr
    (dest,) = captures.iterdir()
    assert re.fullmatch(rf"{service}-state-\d{{8}}T\d{{6}}Z", dest.name)
    assert f"Captured the state of {service} in {dest}:" in run.stdout
    assert oct(dest.stat().st_mode & 0o777) == "0o700"
    assert (dest / "ps.txt").read_text() == (OUTPUTS / "ps-auxww.txt").read_text()
    assert (dest / "journal.txt").read_text().splitlines() == tail(f"journal-{service}.txt", 500)
    assert "Active: active (running)" in (dest / "systemctl-status.txt").read_text()
    assert snapshot(dest / "data") == snapshot(checkout / "data"), "copy keeps bytes, times, modes"
    assert run.calls == [
        ["ps", "auxww"],
        [*STATUS, service],
        ["sudo", "journalctl", "-u", service, "-n", "500", "--no-pager"],
        ["journalctl", "-u", service, "-n", "500", "--no-pager"],
    ]


def test_capture_of_a_failed_service(tmp_path):
    """A failed unit makes systemctl status exit 3: the capture goes on and records it."""
    checkout = make_switchboard(tmp_path)
    captures = tmp_path / "captures"
    captures.mkdir()
    env = {"SWITCHBOARD_DIR": str(checkout), "CAPTURE_ROOT": str(captures), "STUB_UNIT_STATE": "failed",
           "JOURNAL_LINES": "20"}
    run = run_snippet(SB_CAPTURE, tmp_path, env)
    assert run.returncode == 0, run.stderr
    (dest,) = captures.iterdir()
    assert "Active: failed" in (dest / "systemctl-status.txt").read_text()
    assert len((dest / "journal.txt").read_text().splitlines()) == 20
    assert (dest / "data" / "sfs_switchboard.sqlite").exists()


def test_capture_then_restart(tmp_path):
    """The workflow: the process list and the data are saved before the restart is sent."""
    checkout = make_switchboard(tmp_path)
    captures = tmp_path / "captures"
    captures.mkdir()
    env = {"SWITCHBOARD_DIR": str(checkout), "CAPTURE_ROOT": str(captures)}
    capture = run_snippet(SB_CAPTURE, tmp_path, env)
    assert capture.returncode == 0, capture.stderr
    (dest,) = captures.iterdir()
    assert (dest / "ps.txt").stat().st_size > 0 and (dest / "data" / "sfs_switchboard.sqlite").exists()
    restart = run_snippet(SB_RESTART, tmp_path, {"CAPTURE_ROOT": str(captures)})
    assert restart.returncode == 0, restart.stderr
    assert f"Failed state captured in {dest}" in restart.stdout
    calls = restart.calls  # one log for both runs: the capture's calls come first
    restart_at = calls.index(["sudo", "systemctl", "restart", "sfs-switchboard"])
    assert calls.index(["ps", "auxww"]) < restart_at
    assert calls[restart_at:] == [
        ["sudo", "systemctl", "restart", "sfs-switchboard"],
        ["systemctl", "restart", "sfs-switchboard"],
        [*STATUS, "sfs-switchboard"],
    ]
    assert not any("restart" in c for c in calls[:restart_at])


def test_restart_switchboard_refuses_without_capture(tmp_path):
    captures = tmp_path / "captures"
    (captures / "sfs-switchboard-state-20211201T020000Z").mkdir(parents=True)
    stale = time.time() - 2 * 3600
    os.utime(captures / "sfs-switchboard-state-20211201T020000Z", (stale, stale))
    (captures / "scan-switchboard-state-20211201T025000Z").mkdir()  # another service's
    run = run_snippet(SB_RESTART, tmp_path, {"CAPTURE_ROOT": str(captures)})
    assert run.returncode == 1
    assert "No capture of sfs-switchboard in" in run.stderr
    assert "capture-switchboard-state.sh" in run.stderr
    assert not any(c[0] in ("systemctl", "sudo") for c in run.calls)
    forced = run_snippet(SB_RESTART, tmp_path, {"CAPTURE_ROOT": str(captures), "SKIP_CAPTURE": "yes"})
    assert forced.returncode == 0
    assert ["systemctl", "restart", "sfs-switchboard"] in forced.calls


def make_envdirs(tmp_path: Path) -> Path:
    envd = tmp_path / "env.d"
    (envd / "redcap-sfs").mkdir(parents=True)
    (envd / "redcap-scan").mkdir()
    (envd / "redcap-sfs" / "REDCAP_API_TOKEN_redcap.iths.org_19212").write_text("SFS0TOKEN \n")
    (envd / "redcap-scan" / "REDCAP_API_TOKEN_redcap.iths.org_22461").write_text("SCAN0TOKEN\n")
    (envd / "redcap-scan" / "REDCAP_API_URL").write_text("https://redcap.iths.org/api/\n")
    return envd


def test_regenerate_switchboard_data(tmp_path):
    checkout = make_switchboard(tmp_path)
    envd = make_envdirs(tmp_path)
    names = "REDCAP_API_TOKEN_redcap.iths.org_19212 REDCAP_API_TOKEN_redcap.iths.org_22461 REDCAP_API_URL"
    env = {"SWITCHBOARD_DIR": f"{checkout}/", "ENV_DIR": f"{envd}/", "STUB_ENV_NAMES": names}
    run = run_snippet(SB_REGENERATE, tmp_path, env)
    assert run.returncode == 0, run.stderr
    make = ["pipenv", "run", "make", "-BC", f"{checkout}/"]
    assert run.calls == [
        ["envdir", f"{envd}/redcap-sfs/", "envdir", f"{envd}/redcap-scan/", *make],
        ["envdir", f"{envd}/redcap-scan/", *make],
        make,
        ["pipenv-env", f"PIPENV_PIPFILE={checkout}/Pipfile", *names.split()],
    ]
    assert "Regenerated the data" in run.stdout
    assert "TOKEN" not in run.stdout.replace("REDCAP_API_TOKEN", "")
    assert "Warning" not in run.stderr  # the data folder is ours
    if os.geteuid() == 0:  # as root, hand the data to nobody: the snippet warns, then goes on
        os.chown(checkout / "data", 65534, 65534)
        other = run_snippet(SB_REGENERATE, tmp_path, env)
        assert other.returncode == 0
        assert f"Warning: {checkout}/data belongs to nobody, you are root" in other.stderr


def test_regenerate_needs_both_envdirs(tmp_path):
    checkout = make_switchboard(tmp_path)
    envd = make_envdirs(tmp_path)
    shutil.rmtree(envd / "redcap-scan")
    run = run_snippet(SB_REGENERATE, tmp_path, {"SWITCHBOARD_DIR": str(checkout), "ENV_DIR": str(envd)})
    assert run.returncode == 2
    assert f"ENV_DIR: '{envd}/redcap-scan' is not a folder" in run.stderr
    assert run.calls == []
    missing = run_snippet(SB_REGENERATE, tmp_path, {"SWITCHBOARD_DIR": str(tmp_path / "nope"), "ENV_DIR": str(envd)})
    assert missing.returncode == 2 and "no Pipfile" in missing.stderr


# --- Linelists ------------------------------------------------------------------------------


CRON_JOB = ('0 6 * * * {user} promjob "wa-doh-linelists" chronic pipenv run envdir $ENVD/hutch envdir '
            '${{ENVD}}/redcap {generate} --date $(date --date=yesterday --iso-8601=date) '
            '--output-dir "s3://bucket/public-health-reporting" --output-dir "ssh://sft.wa.gov" '
            '--upload-if-empty "s3://bucket/public-health-reporting"')


def linelist_cron(tmp_path: Path, user: str = "ubuntu", job: str = CRON_JOB) -> Path:
    """An installed cron file shaped like backoffice's crontabs/wa-doh-linelists (2021-07)."""
    envd = tmp_path / "env.d"
    for name in ("hutch", "redcap"):
        (envd / name).mkdir(parents=True, exist_ok=True)
    (envd / "redcap" / "REDCAP_API_TOKEN_redcap.iths.org_22461").write_text("SCAN0TOKEN\n")
    (envd / "hutch" / "AWS_ACCESS_KEY_ID").write_text("AKIAEXAMPLE\n")
    generate = tmp_path / "opt" / "backoffice" / "bin" / "wa-doh-linelists" / "generate"
    generate.parent.mkdir(parents=True, exist_ok=True)
    generate.write_text(f'#!/usr/bin/env bash\nexec "{STUB_BIN}/generate" "$@"\n')  # the stand-in, at the job's path
    generate.chmod(0o755)
    cron = tmp_path / "backoffice-wa-doh-linelists"
    cron.write_text(
        "SHELL=/bin/bash\n"
        f"PATH={STUB_BIN}:/usr/local/bin:/usr/bin:/bin\n\n"
        "# Point Pipenv at the production environment\n"
        "PIPENV_PIPFILE=/opt/backoffice/wa-doh-linelists/Pipfile\n\n"
        "LOG_CONFIG=/opt/backoffice/id3c-production/logging.yaml\n"
        "LOG_LEVEL=warning\n"
        "PGSERVICE=production-etl\n\n"
        f"ENVD={envd}\n"
        'DOH_USERNAME="doh-example-user"\n\n'
        "# Generate and upload the previous day's linelist data once a day at 6 A.M.\n"
        + job.format(user=user, generate=generate) + "\n")
    return cron


LINELIST_NAMES = ("REDCAP_API_TOKEN_redcap.iths.org_22461 AWS_ACCESS_KEY_ID PGSERVICE PIPENV_PIPFILE"
                  " DOH_USERNAME LOG_CONFIG")


def linelist_env(tmp_path: Path, output_dir: str, user: str = "ubuntu") -> dict[str, str]:
    return {
        "LINELIST_DATE": "2021-11-29",
        "OUTPUT_DIR": output_dir,
        "CRON_FILE": str(linelist_cron(tmp_path, user)),
        "STUB_PIPENV_EXEC": "1",
        "STUB_ENV_NAMES": LINELIST_NAMES,
    }


def test_rerun_linelist_runs_the_installed_job_as_its_user(tmp_path):
    """pipenv run, the job's envdirs and settings (PGSERVICE=production-etl), as user ubuntu."""
    out = tmp_path / "linelists"
    env = linelist_env(tmp_path, str(out)) | {"PGSERVICE": "seattleflu-production"}
    run = run_snippet(LINELIST, tmp_path, env)
    assert run.returncode == 0, run.stderr
    envd = tmp_path / "env.d"
    generate = tmp_path / "opt" / "backoffice" / "bin" / "wa-doh-linelists" / "generate"
    command = ["pipenv", "run", "envdir", f"{envd}/hutch", "envdir", f"{envd}/redcap",
               str(generate), "--date", "2021-11-29", "--output-dir", str(out)]
    sudo = ["sudo", "-u", "ubuntu", "-H"]
    assert run.calls[0] == [*sudo, "mkdir", "-p", "-m", "700", "--", str(out)]
    assert out.stat().st_mode & 0o777 == 0o700
    settings = run.calls[1][len(sudo) + 1:-len(command)]
    assert run.calls[1][:len(sudo) + 1] == [*sudo, "env"] and run.calls[1][-len(command):] == command
    assert "PGSERVICE=production-etl" in settings and "DOH_USERNAME=doh-example-user" in settings
    assert "PIPENV_PIPFILE=/opt/backoffice/wa-doh-linelists/Pipfile" in settings
    assert run.calls[2] == command
    assert run.calls[3] == ["pipenv-env", "PIPENV_PIPFILE=/opt/backoffice/wa-doh-linelists/Pipfile",
                            *LINELIST_NAMES.split()[2:]]
    assert run.calls[4:6] == [command[2:], command[4:]]
    assert run.calls[6:] == [["generate", *command[7:]], ["generate-env", *LINELIST_NAMES.split()]]
    assert out.is_dir()
    assert "PGSERVICE=production-etl" in run.stdout and "as ubuntu" in run.stdout
    assert 'promjob "wa-doh-linelists"' in run.stdout  # the installed job line is shown
    assert "#linelist-submissions" in run.stdout


def test_rerun_linelist_as_the_job_user_needs_no_sudo_and_takes_several_destinations(tmp_path):
    me = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    env = linelist_env(tmp_path, "s3://wa-doh-linelists/incoming,ssh://sft.wa.gov", user=me)
    run = run_snippet(LINELIST, tmp_path, env)
    assert run.returncode == 0, run.stderr
    assert "sudo" not in run.commands()
    assert run.calls[-1][:1] == ["generate-env"]
    assert run.calls[-2] == ["generate", "--date", "2021-11-29", "--output-dir", "s3://wa-doh-linelists/incoming",
                             "--output-dir", "ssh://sft.wa.gov"]
    bad = run_snippet(LINELIST, tmp_path, env | {"LINELIST_DATE": "29/11/2021"})
    assert bad.returncode == 2 and "LINELIST_DATE must be a date as YYYY-MM-DD" in bad.stderr
    assert len(bad.calls) == len(run.calls)  # nothing more was called


def test_rerun_linelist_refuses_a_job_it_cannot_read_safely(tmp_path):
    env = linelist_env(tmp_path, str(tmp_path / "out"))
    for job, message in (
        (CRON_JOB.replace("$ENVD/hutch", "$HUTCH"), "the job uses $HUTCH, which"),
        (CRON_JOB.replace("envdir $ENVD/hutch", "envdir \"$(cat /etc/hostname)\""), "a part this snippet does not run"),
        (CRON_JOB.replace("pipenv run ", ""), "does not run through 'pipenv run'"),
        ("# " + CRON_JOB, "found 0"),
    ):
        linelist_cron(tmp_path, job=job)
        run = run_snippet(LINELIST, tmp_path, env)
        assert run.returncode == 1 and message in run.stderr, (job, run.stderr)
    missing = run_snippet(LINELIST, tmp_path, env | {"CRON_FILE": str(tmp_path / "nope")})
    assert missing.returncode == 2 and "CRON_FILE:" in missing.stderr and "sudo make -C" in missing.stderr
    log = (tmp_path / "stub.log").read_text()
    assert "generate" not in log  # no run ever reached the generator


# --- Husky Musher ---------------------------------------------------------------------------

STUCK = {(12702, 12702), (12703, 12710), (12704, 12711)}
MUSHER = {"STUB_MAINPID": "12701", "STUB_PS_THREADS": "ps-musher-threads.txt", "SAMPLE_SECONDS": "1"}


def stuck_threads(stdout: str) -> set[tuple[int, int]]:
    found = set()
    for line in stdout.splitlines():
        match = re.match(r"stuck: worker (\d+) thread (\d+): read\(", line)
        if match:
            found.add((int(match[1]), int(match[2])))
    return found


def traces_folder(stdout: str) -> Path:
    return Path(re.search(r"^Traces: (.+)$", stdout, re.M)[1])


def strace_folder(run) -> Path:
    """The folder the strace calls wrote into (from their -o arguments)."""
    folders = {Path(c[c.index("-o") + 1]).parent for c in run.calls if c[:3] == ["sudo", "timeout", "1"]}
    assert len(folders) == 1, folders
    return folders.pop()


def assert_musher_calls(run, workers=(12702, 12703, 12704)):
    assert run.calls[:2] == [
        ["systemctl", "show", "-p", "MainPID", "uwsgi@husky-musher"],
        ["ps", "-L", "-o", "pid=,lwp=", "--ppid", "12701"],
    ]
    folder = strace_folder(run)
    assert folder.name.startswith("musher-strace.")
    sampled = sorted(c for c in run.calls[2:] if c[0] == "sudo")
    assert sampled == [
        ["sudo", "timeout", "1", "strace", "-f", "-p", str(w), "-o", f"{folder}/{w}.trace"] for w in workers
    ]
    assert not any(c[:2] == ["systemctl", "reload"] or "restart" in c for c in run.calls)


def test_find_stuck_musher_workers_stuck(tmp_path):
    run = run_snippet(MUSHER_FIND, tmp_path, MUSHER | {"STUB_STRACE_DIR": "musher-stuck", "KEEP_TRACES": "yes"})
    assert run.returncode == 0, run.stderr
    # 12702, 12710 and 12711 never leave read( (strace marks the last one detached at the end of
    # the window); 12707 and 12709 read and go on; 12708 sits in readv(, 12713 read( completed.
    assert stuck_threads(run.stdout) == STUCK
    assert "master 12701, workers 12702 12703 12704, 12 threads" in run.stdout
    assert "3 thread(s) stayed blocked in read( for 1 s." in run.stdout
    assert "Reload advised: sudo systemctl reload uwsgi@husky-musher" in run.stdout
    assert_musher_calls(run)
    kept = traces_folder(run.stdout)
    assert kept == strace_folder(run) and kept.parent == tmp_path
    assert kept.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in kept.glob("*.trace")) == ["12702.trace", "12703.trace", "12704.trace"]
    assert "Kept as asked (KEEP_TRACES=yes)" in run.stdout


def test_find_stuck_musher_workers_removes_its_traces_by_default(tmp_path):
    """strace output can hold request fragments with personal data: nothing stays in TMPDIR."""
    for strace_dir in ("musher-stuck", "musher-healthy"):
        (tmp_path / strace_dir).mkdir()
        run = run_snippet(MUSHER_FIND, tmp_path / strace_dir, MUSHER | {"STUB_STRACE_DIR": strace_dir})
        assert run.returncode == 0, run.stderr
        assert strace_folder(run).parent == tmp_path / strace_dir
        assert not strace_folder(run).exists()
        assert list((tmp_path / strace_dir).glob("musher-strace.*")) == []
        assert "Traces:" not in run.stdout
    assert stuck_threads(run.stdout) == set()
    bad = run_snippet(MUSHER_FIND, tmp_path, MUSHER | {"STUB_STRACE_DIR": "musher-stuck", "KEEP_TRACES": "maybe"})
    assert bad.returncode == 2 and "KEEP_TRACES must be yes or no, not 'maybe'" in bad.stderr
    assert bad.calls == []


def test_find_stuck_musher_workers_healthy(tmp_path):
    run = run_snippet(MUSHER_FIND, tmp_path, MUSHER | {"STUB_STRACE_DIR": "musher-healthy"})
    assert run.returncode == 0, run.stderr
    assert stuck_threads(run.stdout) == set()
    assert "No thread stayed blocked in read( for 1 s: no reload needed." in run.stdout
    assert "Reload advised" not in run.stdout
    assert_musher_calls(run)


def test_find_stuck_musher_workers_not_running(tmp_path):
    run = run_snippet(MUSHER_FIND, tmp_path, MUSHER | {"STUB_MAINPID": "0", "STUB_STRACE_DIR": "musher-stuck"})
    assert run.returncode == 1
    assert "uwsgi@husky-musher is not running" in run.stderr
    assert run.calls == [["systemctl", "show", "-p", "MainPID", "uwsgi@husky-musher"]]


def test_find_stuck_musher_workers_untraceable(tmp_path):
    env = MUSHER | {"STUB_STRACE_DIR": "musher-healthy", "STUB_STRACE_DENY": "12704"}
    run = run_snippet(MUSHER_FIND, tmp_path, env)
    assert run.returncode == 1
    assert "Could not trace worker 12704 (exit 1): strace: attach: ptrace(PTRACE_SEIZE, 12704): Operation not permitted" in run.stderr
    assert "12704 could not be traced" in run.stderr
    assert "no reload needed" not in run.stdout


FAKE_UWSGI = r'''
import os, signal, sys, threading, time
out = sys.argv[1]

def worker(index):
    r, w = os.pipe()
    def ticker():
        while True:
            os.write(w, b"x"); time.sleep(0.1)
    def reader():
        while True:
            os.read(r, 1)
    def sleeper():
        while True:
            time.sleep(0.05)
    def stuck():
        with open(f"{out}/.stuck-{os.getpid()}", "w") as f:  # renamed whole: never read half-written
            f.write(str(threading.get_native_id()))
        os.rename(f"{out}/.stuck-{os.getpid()}", f"{out}/stuck-{os.getpid()}")
        dead_r, dead_w = os.pipe()
        os.read(dead_r, 1)  # nobody ever writes: blocked in read( for good
    targets = [ticker, reader, sleeper] + ([stuck] if index == 1 else [])
    for target in targets:
        threading.Thread(target=target, daemon=True).start()
    signal.pause()

children = []
for index in range(3):
    pid = os.fork()
    if pid == 0:
        worker(index)
        os._exit(0)
    children.append(pid)
with open(f"{out}/.workers", "w") as f:
    f.write(" ".join(map(str, children)))
os.rename(f"{out}/.workers", f"{out}/workers")
signal.signal(signal.SIGTERM, lambda *a: [os.kill(c, signal.SIGKILL) for c in children] and os._exit(0))
signal.pause()
'''


def strace_can_attach() -> tuple[bool, str]:
    if not shutil.which("strace") or not shutil.which("ps") or not shutil.which("timeout"):
        return False, "strace, ps or timeout is not installed"
    probe = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        proc = subprocess.run(["timeout", "1", "strace", "-p", str(probe.pid), "-o", os.devnull],
                              capture_output=True, text=True)
        ok = proc.returncode in (0, 124) and "Operation not permitted" not in proc.stderr
        return ok, proc.stderr.strip()[-200:]
    finally:
        probe.kill()
        probe.wait()


def fake_uwsgi_settled(folder: Path) -> bool:
    """FAKE_UWSGI is ready: its workers file written, each worker running its three threads (four
    in the stuck one) besides the main one, and the stuck thread asleep in read(."""
    stuck = list(folder.glob("stuck-*"))
    if len(stuck) != 1 or not (folder / "workers").exists():
        return False
    worker, tid = int(stuck[0].name.split("-")[1]), int(stuck[0].read_text())
    workers = [int(w) for w in (folder / "workers").read_text().split()]
    try:
        threads = {w: len(os.listdir(f"/proc/{w}/task")) for w in workers}
        task = Path(f"/proc/{worker}/task/{tid}")
        state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
        wchan = (task / "wchan").read_text().strip()
    except OSError:
        return False
    blocked = state == "S" and ("pipe" in wchan or wchan in ("0", ""))  # anon_pipe_read, pipe_read; 0 if hidden
    return blocked and all(n >= (5 if w == worker else 4) for w, n in threads.items())


def test_find_stuck_musher_workers_real_processes(tmp_path):
    """Real ps, timeout and strace on a forked master with three threaded workers, one of whose
    threads blocks in read( on a pipe nobody writes: exactly that thread is reported."""
    ok, why = strace_can_attach()
    need("strace", ok, why)
    real = tmp_path / "real-bin"
    real.mkdir()
    for name in ("ps", "strace"):
        (real / name).symlink_to(shutil.which(name))
    script = tmp_path / "fake_uwsgi.py"
    script.write_text(FAKE_UWSGI)
    master = subprocess.Popen([sys.executable, str(script), str(tmp_path)])
    try:
        # wait for the state itself, not a fixed time a loaded machine can overrun: every worker's
        # threads started and the stuck thread blocked in read(
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not fake_uwsgi_settled(tmp_path):
            time.sleep(0.05)
        assert fake_uwsgi_settled(tmp_path), "the fake uWSGI did not reach its stuck state in 30 s"
        (stuck_file,) = tmp_path.glob("stuck-*")
        stuck_tid = int(stuck_file.read_text())
        stuck_worker = int(stuck_file.name.split("-")[1])
        env = {"STUB_MAINPID": str(master.pid), "SAMPLE_SECONDS": "2"}
        run = run_snippet(MUSHER_FIND, tmp_path, env, path_before=(str(real),))
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=10)
    assert run.returncode == 0, run.stdout + run.stderr
    assert stuck_threads(run.stdout) == {(stuck_worker, stuck_tid)}, run.stdout
    assert "Reload advised" in run.stdout
    workers = sorted(int(w) for w in (tmp_path / "workers").read_text().split())
    assert f"workers {' '.join(map(str, workers))}, " in run.stdout


def test_reload_and_restart_husky_musher(tmp_path):
    reload = run_snippet(MUSHER_RELOAD, tmp_path)
    assert reload.returncode == 0, reload.stderr
    assert reload.calls == [
        ["sudo", "systemctl", "reload", "uwsgi@husky-musher"],
        ["systemctl", "reload", "uwsgi@husky-musher"],
        [*STATUS, "uwsgi@husky-musher"],
    ]
    assert "find-stuck-musher-workers.sh" in reload.stdout
    (tmp_path / "stub.log").unlink()
    restart = run_snippet(MUSHER_RESTART, tmp_path)
    assert restart.returncode == 0, restart.stderr
    assert restart.calls[:2] == [
        ["sudo", "systemctl", "restart", "uwsgi@husky-musher"],
        ["systemctl", "restart", "uwsgi@husky-musher"],
    ]
    failing = run_snippet(MUSHER_RELOAD, tmp_path, {"STUB_FAIL": "systemctl:reload"})
    assert failing.returncode == 1 and "Reloaded" not in failing.stdout


# --- Python 3.6 on Big Sur ------------------------------------------------------------------


def test_build_python36(tmp_path):
    checkout = tmp_path / "runbook"
    checkout.mkdir()
    (checkout / "noxfile.py").touch()
    env = {"RUNBOOK_DIR": str(checkout), "BUILD_ARGS": "--prefix /usr/local/python3.6  --version 3.6.15"}
    run = run_snippet(PY36, tmp_path, env, args=("--keep-build",))
    assert run.returncode == 0, run.stderr
    assert run.calls == [
        ["nox", "-s", "build-py36", "--", "--prefix", "/usr/local/python3.6", "--version", "3.6.15", "--keep-build"]
    ]
    plain = run_snippet(PY36, checkout, {})  # RUNBOOK_DIR defaults to the current folder
    assert plain.returncode == 0, plain.stderr
    assert plain.calls[-1] == ["nox", "-s", "build-py36", "--"]


def test_build_python36_needs_the_checkout(tmp_path):
    run = run_snippet(PY36, tmp_path, {"RUNBOOK_DIR": str(tmp_path / "elsewhere")})
    assert run.returncode == 2
    assert "RUNBOOK_DIR: no noxfile.py in" in run.stderr
    assert run.calls == []
