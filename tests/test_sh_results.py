"""diff-presence-absence-documents.sh, run for real: psql exports two receiving.presence_absence
documents from the fixture database, jq normalises them, and the snippet prints only what
differs. A plate re-pushed with one sample result marked Fail must show exactly that result.
"""

from __future__ import annotations

import copy
import json
import os
import shutil

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


def run_diff(db, tmp_path, psql_bin, old_id, new_id, paste=False):
    work = tmp_path / "tmp"
    work.mkdir(exist_ok=True)
    env = libpq_env(db.url) | {"OLD_ID": str(old_id), "NEW_ID": str(new_id), "TMPDIR": str(work)}
    # psql and jq wherever this machine has them (Homebrew's jq is not in stubs.SYSTEM_PATH)
    path_before = (os.path.dirname(psql_bin), os.path.dirname(shutil.which("jq")))
    run = run_snippet(DIFF, tmp_path, env, path_before=path_before, paste=paste)
    assert list(work.iterdir()) == [], "the mktemp -d folder is removed"
    assert run.calls == []  # no stand-in involved: real psql, jq and diff
    return run


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
    assert run.stdout.splitlines()[-1] == f"1 value(s) only in {old_id}, 1 only in {new_id}."


def test_diff_of_identical_documents(id3c_db, psql_bin, jq, tmp_path):
    first = scenario.pa_document(id3c_db, plate())
    second = scenario.pa_document(id3c_db, json.dumps(plate(), ensure_ascii=False))
    run = run_diff(id3c_db, tmp_path, psql_bin, first, second)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "The two documents hold the same values."
    assert not any(line[:2] in ("- ", "+ ") for line in run.stdout.splitlines())


def test_diff_unknown_id(id3c_db, psql_bin, jq, tmp_path):
    known = scenario.pa_document(id3c_db, plate())
    run = run_diff(id3c_db, tmp_path, psql_bin, known, 987654)
    assert run.returncode == 1
    assert "No receiving.presence_absence row has presence_absence_id 987654" in run.stderr
    assert "only what differs" not in run.stdout
