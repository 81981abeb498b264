"""diff-presence-absence-documents.sh, run for real: psql exports two receiving.presence_absence
documents from the fixture database, jq normalises them, and the snippet prints only what
differs. A plate re-pushed with one sample result marked Fail must show exactly that result.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

import scenario
from requirements import need
from stubs import run_snippet

DIFF = "snippets/sh/results/diff-presence-absence-documents.sh"
LIBPQ_ENV = {"host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "user": "PGUSER",
             "password": "PGPASSWORD", "dbname": "PGDATABASE", "sslmode": "PGSSLMODE"}

pytestmark = pytest.mark.postgres


@pytest.fixture
def jq():
    path = shutil.which("jq")
    need("jq", path is not None, "install jq (apt-get install jq); CI sets RUNBOOK_REQUIRE_JQ=1")
    return path


def libpq_env(url: str) -> dict[str, str]:
    """The fixture's connection as the PG* variables an operator would set."""
    return {LIBPQ_ENV[k]: str(v) for k, v in conninfo_to_dict(url).items() if k in LIBPQ_ENV}


def sample(barcode: str, sample_id: int, covid: str, comment: str = "") -> dict:
    return {
        "investigatorId": barcode,
        "sampleId": sample_id,
        "chip": "BAT-049A-chip1",
        "isCurrentExpressionResult": True,
        "sampleComment": comment,
        "initialProceedToSequencingCall": True,
        "sampleProceedToSequencing": True,
        "targetResults": [
            {"geneTarget": "COVID-19", "targetStatus": covid, "id": sample_id * 10 + 1,
             "controlStatus": "NotControl", "wellResults": [{"ct": 24.5, "well": "A1"}]},
            {"geneTarget": "RNaseP", "targetStatus": "Detected", "id": sample_id * 10 + 2,
             "controlStatus": "NotControl", "wellResults": [{"ct": 28.1, "well": "A1"}]},
        ],
    }


def plate() -> dict:
    return {"samples": [
        sample("AAAAAAAA", 7001, "NotDetected", 'lab note: "rerun"\\ok\ttabbed «é»'),
        sample("BBBBBBBB", 7002, "Detected"),
        sample("CCCCCCCC", 7003, "NotDetected", "line one\nline two"),
    ]}


def run_diff(db, tmp_path, psql_bin, old_id, new_id, paste=False, keep_dir=None):
    work = tmp_path / "tmp"
    work.mkdir(exist_ok=True)
    keep_dir = keep_dir or str(tmp_path / "kept" / "retro-failed")
    env = libpq_env(db.url) | {"OLD_ID": str(old_id), "NEW_ID": str(new_id), "TMPDIR": str(work),
                               "KEEP_DIR": keep_dir}
    # psql and jq wherever this machine has them (Homebrew's jq is not in stubs.SYSTEM_PATH)
    path_before = (os.path.dirname(psql_bin), os.path.dirname(shutil.which("jq")))
    run = run_snippet(DIFF, tmp_path, env, path_before=path_before, paste=paste)
    assert list(work.iterdir()) == [], "nothing is left in the temporary folder"
    assert run.calls == []  # no stand-in involved: real psql, jq and diff
    return run


def kept_files(folder: Path) -> dict[str, str]:
    """{name: text} of what the snippet kept; no working folder is left behind."""
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("paste", [False, True], ids=["file", "pasted"])
def test_diff_shows_exactly_the_failed_result(id3c_db, psql_bin, jq, tmp_path, paste):
    old = plate()
    new = copy.deepcopy(old)
    new["samples"][1]["targetResults"][0]["targetStatus"] = "Fail"
    new["samples"].reverse()  # a re-push may list the samples in another order
    # The old one as compact json text with escapes, the new one pretty-printed by the seeder.
    (old_id,) = id3c_db.execute(
        "insert into receiving.presence_absence (document) values (%s::json) returning presence_absence_id",
        (json.dumps(old, separators=(",", ":"), ensure_ascii=True),),
    )[0]
    new_id = scenario.pa_document(id3c_db, new)
    run = run_diff(id3c_db, tmp_path, psql_bin, old_id, new_id, paste=paste)
    assert run.returncode == 0, run.stderr
    assert [line for line in run.stdout.splitlines() if line[:2] in ("- ", "+ ")] == [
        '- .samples[BBBBBBBB].targetResults[COVID-19].targetStatus = "Detected"',
        '+ .samples[BBBBBBBB].targetResults[COVID-19].targetStatus = "Fail"',
    ]
    assert run.stdout.splitlines()[0] == f"presence_absence_id {old_id} (-) against {new_id} (+), only what differs:"
    assert run.stdout.splitlines()[-2] == f"1 value(s) only in {old_id}, 1 only in {new_id}."
    keep = tmp_path / "kept" / "retro-failed"
    assert run.stdout.splitlines()[-1] == (
        f"Kept, as stored: {keep}/presence_absence-{old_id}.json and {keep}/presence_absence-{new_id}.json")


def test_diff_keeps_both_documents_as_stored_in_a_private_folder(id3c_db, psql_bin, jq, tmp_path):
    """The page deletes the incorrect document afterwards: its copy must outlive the snippet."""
    old, new = plate(), plate()
    new["samples"][0]["sampleFailed"] = True
    compact = json.dumps(old, separators=(",", ":"), ensure_ascii=True)
    (old_id,) = id3c_db.execute(
        "insert into receiving.presence_absence (document) values (%s::json) returning presence_absence_id",
        (compact,))[0]
    new_id = scenario.pa_document(id3c_db, new)
    stored_new = id3c_db.execute("select document::text from receiving.presence_absence"
                                 " where presence_absence_id = %s", (new_id,))[0][0]
    run = run_diff(id3c_db, tmp_path, psql_bin, old_id, new_id)
    assert run.returncode == 0, run.stderr
    keep = tmp_path / "kept" / "retro-failed"
    assert stat.S_IMODE(keep.stat().st_mode) == 0o700
    files = kept_files(keep)
    assert files == {f"presence_absence-{old_id}.json": compact + "\n",
                     f"presence_absence-{new_id}.json": stored_new + "\n"}
    assert all(stat.S_IMODE((keep / name).stat().st_mode) == 0o600 for name in files)
    # the document is then deleted (page step 5): the copy stays, and a rerun does not clobber it
    id3c_db.execute("delete from receiving.presence_absence where presence_absence_id = %s", (old_id,))
    again = run_diff(id3c_db, tmp_path, psql_bin, old_id, new_id)
    assert again.returncode == 1
    assert kept_files(keep) == files


def test_diff_refuses_a_keep_dir_open_to_others(id3c_db, psql_bin, jq, tmp_path):
    first = scenario.pa_document(id3c_db, plate())
    second = scenario.pa_document(id3c_db, plate())
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    run = run_diff(id3c_db, tmp_path, psql_bin, first, second, keep_dir=str(shared))
    assert run.returncode == 2
    assert f"KEEP_DIR: '{shared}' is open to others (drwxr-xr-x)" in run.stderr
    assert list(shared.iterdir()) == []
    # a quoted ~/... is taken from HOME
    ok = run_diff(id3c_db, tmp_path, psql_bin, first, second, keep_dir="~/retro")
    assert ok.returncode == 0, ok.stderr
    assert sorted(kept_files(tmp_path / "home" / "retro")) == [
        f"presence_absence-{first}.json", f"presence_absence-{second}.json"]


def test_diff_of_identical_documents(id3c_db, psql_bin, jq, tmp_path):
    first = scenario.pa_document(id3c_db, plate())
    second = scenario.pa_document(id3c_db, json.dumps(plate(), ensure_ascii=False))
    run = run_diff(id3c_db, tmp_path, psql_bin, first, second)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-2] == "The two documents hold the same values."
    assert not any(line[:2] in ("- ", "+ ") for line in run.stdout.splitlines())


def test_diff_unknown_id(id3c_db, psql_bin, jq, tmp_path):
    known = scenario.pa_document(id3c_db, plate())
    run = run_diff(id3c_db, tmp_path, psql_bin, known, 987654)
    assert run.returncode == 1
    assert "No receiving.presence_absence row has presence_absence_id 987654" in run.stderr
    assert "only what differs" not in run.stdout
