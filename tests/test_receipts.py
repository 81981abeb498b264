"""Receipts and undo, for every write snippet found by discovery (the scenarios of
test_sql_writes): a committed run writes a private receipt, `runbook undo --commit` restores every
table exactly, the snippet captures every row it changes, and undo refuses when it should.

Tables are compared by checksum: md5 over every row's text, ordered, for every table of every
schema but the system ones, so a json document that came back with other whitespace would show.
Sequences are not compared: an undo re-inserts rows with their original keys and leaves every
sequence where it is, and an undone insert leaves its sequence advanced, as a rollback would.
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from click.testing import CliRunner

import scenario as sc
from runbook.cli import main
from runbook.snippets import receipts
from sqlsnippets import ok, run, snippets
from test_sql_writes import SCENARIOS, WRITE_IDS

pytestmark = pytest.mark.postgres

IRREVERSIBLE = {s for s in WRITE_IDS if snippets()[s].header.get("undo")}


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def checksums(db) -> dict[str, str]:
    """{schema.table: md5 of its rows' text, sorted} for every user table."""
    tables = db.execute(
        "select format('%I.%I', table_schema, table_name) from information_schema.tables"
        " where table_type = 'BASE TABLE'"
        "   and table_schema not in ('pg_catalog', 'information_schema')"
        "   and table_schema not like 'pg_temp%' order by 1")
    return {t: db.execute(f"select md5(coalesce(string_agg(t::text, E'\\n' order by t::text), ''))"
                          f" from {t} as t")[0][0] for (t,) in tables}


@pytest.fixture
def state(tmp_path, monkeypatch) -> Path:
    """A private XDG_STATE_HOME: receipts go to <it>/id3c-runbook/receipts."""
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home / "id3c-runbook" / "receipts"


@pytest.fixture
def prepared(request):
    """(snippet id, database, params, expected rows) with the snippet's scenario seeded."""
    snippet_id = request.param
    db = request.getfixturevalue("metabase_db" if snippets()[snippet_id].database == "metabase" else "id3c_db")
    cleanup = []
    params, expected = SCENARIOS[snippet_id](db, cleanup)
    yield snippet_id, db, params, expected
    for step in cleanup:
        step()


def run_commit(db, snippet_id, params, *extra, dsn=None):
    args = ["run", snippet_id, "--dsn", dsn or db.url, "--commit", *extra]
    for name, value in params.items():
        args += ["-p", f"{name}={value}"]
    return cli(*args)


def only_receipt(state: Path, snippet_id: str) -> Path:
    found = sorted(state.glob(f"*-{snippet_id}.json"))
    assert len(found) == 1, f"{snippet_id}: expected one receipt in {state}, found {found}"
    return found[0]


# --------------------------------------------------------------------------------------------
# every write snippet


@pytest.mark.parametrize("prepared", WRITE_IDS, indirect=True)
def test_write_snippet_captures_every_row_it_changes(prepared):
    """Coverage: rows changed per table (pg_stat_xact_user_tables) equal the before-images the
    snippet put in pg_temp.runbook_undo per table, and its last result shows them for a paste."""
    snippet_id, db, params, expected = prepared
    dry = ok(run(db, snippet_id, **params))
    changed = {c.table: c.total for c in dry.changes}
    captured = Counter(row["relation"] for row in dry.captured or [])
    assert changed == dict(captured), (
        f"{snippet_id}: rows changed per table {changed}, before-images captured per table {dict(captured)}")
    assert sum(changed.values()) == expected, f"{snippet_id}: the scenario changes {expected} rows"
    for row in dry.captured or []:
        assert row["key"], f"{snippet_id}: a captured row without its key"
        assert (row["before"] is None) == (row["op"] == "insert"), f"{snippet_id}: {row}"
    if dry.captured is not None:
        shown = dry.before_images()
        assert [(r["relation"], r["op"]) for r in shown] == [(r["relation"], r["op"]) for r in dry.captured], \
            f"{snippet_id}: a pasted run does not end with the before-images"


@pytest.mark.parametrize("prepared", WRITE_IDS, indirect=True)
def test_commit_then_undo_restores_every_table(prepared, state):
    snippet_id, db, params, expected = prepared
    before = checksums(db)
    done = run_commit(db, snippet_id, params, "--expect", expected)
    assert done.exit_code == 0, done.output
    receipt = only_receipt(state, snippet_id)
    assert f"receipt: {receipt}" in done.stdout
    data = json.loads(receipt.read_text())
    assert data["status"] == "committed" and data["total"] == expected
    assert data["snippet"]["sha256"] == receipts.file_sha256(snippets()[snippet_id].path)
    if expected:
        assert checksums(db) != before
    undo = cli("undo", receipt.name, "--dsn", db.url, "--commit", "--expect", expected)
    if snippet_id in IRREVERSIBLE:
        assert undo.exit_code == 1 and snippets()[snippet_id].header["undo"] in undo.stderr
        return
    assert undo.exit_code == 0, undo.output
    assert f"committed: {expected} rows changed" in undo.stdout
    after = checksums(db)
    differ = sorted(t for t in before if before[t] != after.get(t))
    assert not differ, (f"{snippet_id}: undo did not restore {', '.join(differ)} exactly (a json column? "
                        "its before-image must carry the received text under runbook_json_text)")
    assert len(list(state.glob("*-undo.json"))) == 1, "an undo writes its own receipt"


# --------------------------------------------------------------------------------------------
# refusals


def test_undo_refuses_a_row_changed_since_the_receipt(id3c_db, state):
    group = sc.pa_document(id3c_db, {"samples": []})
    assert run_commit(id3c_db, "mark-presence-absence-skipped", {"presence_absence_id": group}).exit_code == 0
    receipt = only_receipt(state, "mark-presence-absence-skipped")
    id3c_db.execute("update receiving.presence_absence set processing_log = processing_log || '[{\"by\": \"someone\"}]'")
    changed = checksums(id3c_db)
    undo = cli("undo", receipt, "--dsn", id3c_db.url, "--commit")
    assert undo.exit_code == 1
    assert f'receiving.presence_absence row {{"presence_absence_id": {group}}} changed since the receipt' in undo.stderr
    assert checksums(id3c_db) == changed
    assert not list(state.glob("*-undo.json")) or json.loads(
        next(state.glob("*-undo.json")).read_text())["status"] == "rolled back"


def test_undo_twice_refuses_the_second_time(id3c_db, state):
    doc = sc.pa_document(id3c_db, {"samples": [{"investigatorId": "aaaaaaaa"}]})
    sc.pa_document(id3c_db, {"samples": []})
    before = checksums(id3c_db)
    assert run_commit(id3c_db, "delete-presence-absence-document", {"presence_absence_id": doc}).exit_code == 0
    receipt = only_receipt(state, "delete-presence-absence-document")
    first = cli("undo", receipt, "--dsn", id3c_db.url, "--commit")
    assert first.exit_code == 0, first.output
    assert checksums(id3c_db) == before
    second = cli("undo", receipt, "--dsn", id3c_db.url, "--commit")
    assert second.exit_code == 1
    assert f'receiving.presence_absence row {{"presence_absence_id": {doc}}} exists again' in second.stderr
    assert checksums(id3c_db) == before


def test_undo_of_an_update_twice_says_it_was_undone(metabase_db, state):
    metabase_db.execute("insert into report_card (name, cache_ttl) values ('Weekly', 3)")
    params = {"question": "Weekly", "cache_ttl": "0"}
    assert run_commit(metabase_db, "set-question-cache-ttl", params).exit_code == 0
    receipt = only_receipt(state, "set-question-cache-ttl")
    assert cli("undo", receipt, "--dsn", metabase_db.url, "--commit").exit_code == 0
    assert metabase_db.execute("select cache_ttl from report_card")[0][0] == 3
    again = cli("undo", receipt, "--dsn", metabase_db.url, "--commit")
    assert again.exit_code == 1 and "undone already?" in again.stderr


def test_a_receipt_that_cannot_be_written_stops_the_commit(id3c_db, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # a file where the state folder should be: even root cannot write there
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    doc = sc.pa_document(id3c_db, {"samples": []})
    before = checksums(id3c_db)
    result = run_commit(id3c_db, "delete-presence-absence-document", {"presence_absence_id": doc})
    assert result.exit_code == 1
    assert "cannot use the receipts folder" in result.stderr and "nothing was committed" in result.stderr
    assert checksums(id3c_db) == before


def test_undo_refuses_another_database(id3c_db, pg_server, id3c_template, state):
    from runbook import pg as postgres

    doc = sc.pa_document(id3c_db, {"samples": []})
    assert run_commit(id3c_db, "delete-presence-absence-document", {"presence_absence_id": doc}).exit_code == 0
    other = postgres.clone(pg_server, id3c_template)
    try:
        undo = cli("undo", only_receipt(state, "delete-presence-absence-document"), "--dsn", other.url, "--commit")
        assert undo.exit_code == 1 and f"the receipt is of database {id3c_db.name}" in undo.stderr
    finally:
        other.drop_later()


# --------------------------------------------------------------------------------------------
# the receipt file


def _with_password(url: str) -> tuple[str, str]:
    """The URL with a password in it (its own, if it has one), and that password."""
    parts = urlsplit(url)
    if parts.password:
        return url, parts.password
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}:s3cr3t-pw@{host}")), "s3cr3t-pw"


def test_receipts_are_private_and_hold_no_password(id3c_db, state):
    dsn, password = _with_password(id3c_db.url)
    doc = sc.pa_document(id3c_db, {"samples": [{"investigatorId": "aaaaaaaa"}]})
    result = run_commit(id3c_db, "delete-presence-absence-document", {"presence_absence_id": doc}, dsn=dsn)
    assert result.exit_code == 0, result.output
    receipt = only_receipt(state, "delete-presence-absence-document")
    undo = cli("undo", receipt, "--dsn", dsn, "--commit")
    assert undo.exit_code == 0, undo.output
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    files = list(state.iterdir())
    assert len(files) == 2
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        text = path.read_text()
        assert password not in text, f"{path.name} holds the DSN's password"
    data = json.loads(receipt.read_text())
    assert data["database"] == id3c_db.name and data["user"]
    assert data["rows"][0]["before"]["document"] == {"samples": [{"investigatorId": "aaaaaaaa"}]}
    assert data["rows_changed"] == {"receiving.presence_absence": {"inserted": 0, "updated": 0, "deleted": 1}}


def test_receipts_lists_newest_first_and_shows_one(id3c_db, state):
    for _ in range(2):
        doc = sc.pa_document(id3c_db, {"samples": []})
        assert run_commit(id3c_db, "delete-presence-absence-document", {"presence_absence_id": doc}).exit_code == 0
    assert run_commit(id3c_db, "delete-never-tested-results", {}).exit_code == 0  # 0 rows: still a receipt
    listed = cli("receipts")
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["when", "(UTC)", "snippet"]
    assert [line.split()[1] for line in lines[1:]] == [
        "delete-never-tested-results", "delete-presence-absence-document", "delete-presence-absence-document"]
    assert all(id3c_db.name in line and "committed" in line for line in lines[1:])
    newest = sorted(state.iterdir())[-1]
    shown = cli("receipts", "show", newest.name)
    assert shown.exit_code == 0 and json.loads(shown.stdout) == json.loads(newest.read_text())
    assert cli("receipts", "show", "nope.json").exit_code == 1


def test_no_receipts_yet(state):
    result = cli("receipts")
    assert result.exit_code == 0 and f"no receipts in {state}" in result.stdout
    assert not os.path.exists(state)


def test_a_write_that_captures_nothing_cannot_commit(id3c_db, state, tmp_path):
    from runbook.snippets import catalog, runner

    path = tmp_path / "delete-sites.sql"
    path.write_text("-- title: x\n-- effect: write\nbegin;\ndelete from warehouse.site where identifier = 'gone';\n")
    snippet = catalog.load(path)
    id3c_db.execute("insert into warehouse.site (identifier) values ('gone'), ('kept')")
    before = checksums(id3c_db)
    written = []
    out = runner.run_snippet(snippet, {}, dsn=id3c_db.url, commit=True, before_commit=written.append)
    assert out.exit_code == runner.EXIT_ERROR and not out.committed and not written
    assert out.refusal.endswith("warehouse.site: 1 changed, 0 captured")
    assert checksums(id3c_db) == before and not state.exists()


def _sql_words(text: str) -> str:
    """SQL without comments, whitespace folded: the same definition however it is laid out."""
    import re

    return " ".join(re.sub(r"--[^\n]*", "", text).split())


@pytest.mark.parametrize("snippet_id", WRITE_IDS)
def test_a_write_snippets_undo_table_is_the_runners_own(snippet_id):
    """Each write snippet repeats the capture table (a paste cannot include a shared file); every
    copy must be the runner's definition word for word, or the runner misreads what it captured."""
    from runbook.snippets import catalog
    from runbook.snippets.runner import UNDO_TABLE

    text = _sql_words(catalog.find(snippet_id).body)
    if "runbook_undo" not in text:  # the honest exceptions say why in their header
        assert catalog.find(snippet_id).header.get("undo"), f"{snippet_id} captures nothing and says not why"
        return
    assert _sql_words(UNDO_TABLE + " on commit drop;") in text, snippet_id
