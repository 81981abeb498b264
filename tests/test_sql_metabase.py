"""Behaviour of the Metabase snippets: cancelling long queries with real sessions, the cache TTL
of a question in Metabase's application database, and the role grant."""

from __future__ import annotations

import os
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from requirements import need
from sqlsnippets import column, ok, refused, run

# The old query has run OLD_ENOUGH s when the snippet looks; the young one is started just before
# it and must stay under the threshold while `runbook run` starts psql and the snippet runs. On a
# loaded two-core machine that took more than the former 0.9 s: 4 s leaves room, 6 s is past it.
THRESHOLD_MINUTES = "0.0667"  # 4 s
OLD_ENOUGH = 6.0  # seconds the old query has run before the snippet looks
YOUNG_AGE = 1.0  # seconds the young query has run, at least, when the snippet looks


def url_as(url: str, user: str, password: str | None = None) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    auth = user + (f":{password}" if password else "")
    return urlunsplit((parts.scheme, f"{auth}@{host}", parts.path, parts.query, ""))


def metabase_url(pg_server, db) -> str:
    """A URL that logs in as the `metabase` role (given a password only if this run created it)."""
    url = url_as(db.url, "metabase")
    try:
        psycopg.connect(url, connect_timeout=5).close()
        return url
    except psycopg.OperationalError as exc:
        if "metabase" not in pg_server.created_roles:
            need("postgres", False, f"cannot log in as metabase on this server: {exc}")
    db.execute("alter role metabase password 'runbook-test'")
    return url_as(db.url, "metabase", "runbook-test")


class Sessions:
    """psql sessions running `select pg_sleep(60)`, each tagged with an application_name."""

    def __init__(self, psql_bin, db):
        self.psql_bin, self.db, self.procs = psql_bin, db, {}

    def start(self, name: str, url: str) -> None:
        env = {**os.environ, "PGAPPNAME": name}
        self.procs[name] = subprocess.Popen(
            [self.psql_bin, "-X", "--dbname", url, "-c", "select pg_sleep(60)"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def state(self, name: str):
        rows = self.db.execute(
            "select pid, state, usename from pg_stat_activity where application_name = %s", (name,))
        return rows[0] if rows else None

    def wait_active(self, name: str, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.state(name)
            if row and row[1] == "active":
                return row[0]
            time.sleep(0.02)
        raise AssertionError(f"session {name} never became active")

    def stop(self) -> None:
        self.db.execute("select pg_terminate_backend(pid) from pg_stat_activity"
                        " where application_name = any(%s)", (list(self.procs),))
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=10)


@pytest.fixture
def sessions(psql_bin, id3c_db):
    s = Sessions(psql_bin, id3c_db)
    yield s
    s.stop()


def test_cancel_long_queries_cancels_only_old_metabase_queries(pg_server, id3c_db, sessions):
    sessions.start("rb-old-metabase", metabase_url(pg_server, id3c_db))
    sessions.start("rb-other-user", id3c_db.url)
    old = sessions.wait_active("rb-old-metabase")
    other = sessions.wait_active("rb-other-user")
    started = time.monotonic()
    young_url = metabase_url(pg_server, id3c_db)
    time.sleep(max(0.0, OLD_ENOUGH - (time.monotonic() - started)))

    dry = ok(run(id3c_db, "cancel-long-queries", minutes=THRESHOLD_MINUTES))
    assert [(r["pid"], r["action"]) for r in dry.rows()] == [(str(old), "would cancel (dry run)")]
    assert sessions.state("rb-old-metabase")[1] == "active", "a dry run cancels nothing"

    sessions.start("rb-young-metabase", young_url)  # started just before the snippet looks
    young_started = time.monotonic()
    young = sessions.wait_active("rb-young-metabase")
    time.sleep(YOUNG_AGE)  # young, not brand new: a threshold read as seconds would cancel it
    done = ok(run(id3c_db, "cancel-long-queries", commit=True, minutes=THRESHOLD_MINUTES))
    elapsed = time.monotonic() - started
    young_age = time.monotonic() - young_started
    assert young_age < float(THRESHOLD_MINUTES) * 60, (
        f"the machine took {young_age:.1f} s to start the young query and run the snippet: "
        "past the threshold, so this run cannot tell young from old")
    assert [(r["pid"], r["usename"], r["action"]) for r in done.rows()] == [(str(old), "metabase", "cancelled")]
    assert done.total == 0

    _out, err = sessions.procs["rb-old-metabase"].communicate(timeout=10)
    assert "canceling statement due to user request" in err
    assert sessions.state("rb-other-user") == (other, "active", id3c_db.execute("select current_user")[0][0])
    assert sessions.state("rb-young-metabase")[:2] == (young, "active")
    assert elapsed < 60


def test_cancel_long_queries_finds_nothing_when_nothing_is_old(pg_server, id3c_db, sessions):
    sessions.start("rb-young-metabase", metabase_url(pg_server, id3c_db))
    sessions.wait_active("rb-young-metabase")
    out = ok(run(id3c_db, "cancel-long-queries", commit=True))  # default: 5 minutes
    assert out.rows() == []
    assert sessions.state("rb-young-metabase")[1] == "active"


# --------------------------------------------------------------------------------------------
# set-question-cache-ttl (Metabase's application database)


def _cards(db):
    db.execute("insert into report_card (name, cache_ttl, archived) values"
               " ('Daily results', null, false), ('Daily results', 24, true), ('Weekly', null, false)")
    return dict(db.execute("select id, name from report_card"))


def _ttls(db):
    return dict(db.execute("select id, cache_ttl from report_card order by id"))


def test_set_question_cache_ttl_of_a_uniquely_named_question(metabase_db):
    _cards(metabase_db)
    before = _ttls(metabase_db)
    out = ok(run(metabase_db, "set-question-cache-ttl", commit=True, question="Weekly", cache_ttl=0))
    assert column(out.rows(), "name") == ["Weekly"]
    assert [(c.table, c.updated) for c in out.changes] == [("public.report_card", 1)]
    after = _ttls(metabase_db)
    assert after == {**before, 3: 0}


def test_set_question_cache_ttl_refuses_a_name_shared_by_several_cards_unless_told(metabase_db):
    _cards(metabase_db)
    before = metabase_db.snapshot(schemas=("public",))
    refused(run(metabase_db, "set-question-cache-ttl", commit=True, question="Daily results", cache_ttl=0),
            "question 'Daily results'", "2 cards", "ids 1, 2", "cards=2")
    assert metabase_db.snapshot(schemas=("public",)) == before
    out = ok(run(metabase_db, "set-question-cache-ttl", commit=True, question="Daily results", cache_ttl=0, cards=2))
    assert out.total == 2
    assert _ttls(metabase_db) == {1: 0, 2: 0, 3: None}


def test_set_question_cache_ttl_refuses_an_unknown_or_hostile_name(metabase_db):
    _cards(metabase_db)
    before = metabase_db.snapshot(schemas=("public",))
    refused(run(metabase_db, "set-question-cache-ttl", commit=True, question="Daily", cache_ttl=0),
            "no card has this name")
    hostile = "x'); drop table report_card; --"
    refused(run(metabase_db, "set-question-cache-ttl", commit=True, question=hostile, cache_ttl=0),
            "no card has this name")
    assert metabase_db.snapshot(schemas=("public",)) == before


# --------------------------------------------------------------------------------------------
# grant-metabase-role


@pytest.fixture
def admin_role(metabase_db):
    name = f"Rb-Admin-{os.getpid()}"
    metabase_db.execute(f'create role "{name}"')
    yield name
    metabase_db.execute(f'drop role if exists "{name}"')


def _member(db, role):
    return db.execute("select pg_has_role(%s, 'metabase', 'member')", (role,))[0][0]


def test_grant_metabase_role_dry_run_then_commit(metabase_db, admin_role):
    dry = ok(run(metabase_db, "grant-metabase-role", admin_role=admin_role))
    assert dry.rows() == [{"admin_role": admin_role, "member_of_metabase": "t"}]
    assert not dry.committed and _member(metabase_db, admin_role) is False

    done = ok(run(metabase_db, "grant-metabase-role", commit=True, admin_role=admin_role))
    assert done.committed and _member(metabase_db, admin_role) is True
    metabase_db.execute(f'revoke metabase from "{admin_role}"')


def test_grant_metabase_role_refuses_an_unknown_role(metabase_db):
    refused(run(metabase_db, "grant-metabase-role", commit=True, admin_role="nobody_here_123"),
            "admin_role nobody_here_123", "no such role")
