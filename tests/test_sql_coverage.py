"""Coverage by discovery: every SQL snippet has a behaviour test, a page that includes it, a
header that parses with examples that pass its own patterns, and follows the snippet rules.
Plus `runbook check` against the fixture schema, intact and broken."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from runbook.cli import main
from runbook.snippets import catalog
from runbook.snippets.commands import pages_including
from runbook.snippets.statements import split

TESTS = Path(__file__).parent
SQL_FILES = sorted((catalog.snippets_root() / "sql").rglob("*"))
SQL_FILES = [p for p in SQL_FILES if p.is_file()]
ids = [p.relative_to(catalog.snippets_root()).as_posix() for p in SQL_FILES]
each_file = pytest.mark.parametrize("path", SQL_FILES, ids=ids)

# Behaviour tests live in the area files; the generic write checks (test_sql_writes) do not count.
BEHAVIOUR_FILES = sorted(p for p in TESTS.glob("test_sql_*.py")
                         if p.name not in ("test_sql_coverage.py", "test_sql_writes.py"))


def _behaviour_text() -> str:
    return "\n".join(p.read_text() for p in BEHAVIOUR_FILES)


def _code(text: str) -> str:
    """The snippet without comments and string literals (psql :'var' references kept)."""
    text = re.sub(r"--[^\n]*", "", text)
    return re.sub(r""":'\w+'|:"\w+"|'(?:[^']|'')*'""",
                  lambda m: m.group(0) if m.group(0).startswith(":") else "''", text)


@each_file
def test_is_an_sql_snippet_with_a_header_that_parses(path):
    assert path.suffix == ".sql", f"{path.name}: only .sql files belong under snippets/sql"
    snippet = catalog.load(path)
    assert snippet.kind == "sql"
    assert snippet.tags and "SQL" in snippet.tags, "header needs tags: [SQL, <area>...]"
    assert "PLACEHOLDER" not in snippet.text
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", snippet.id), "names are verb-object"


@each_file
def test_examples_pass_their_own_patterns(path):
    snippet = catalog.load(path)
    for name, param in snippet.params.items():
        assert param.example is not None or param.default is not None, f"{name}: no example or default"
    snippet.bind(snippet.examples())  # raises ParamError naming the parameter


@each_file
def test_has_a_behaviour_test(path):
    snippet_id = path.stem
    assert f'"{snippet_id}"' in _behaviour_text(), (
        f"{snippet_id}: no behaviour test runs it (tests/test_sql_<area>.py)")


@each_file
def test_is_included_by_a_page(path):
    relpath = path.relative_to(catalog.repo_root()).as_posix()
    assert pages_including(relpath), f"no page under docs/ includes {relpath}"


@each_file
def test_uses_exactly_its_parameters_quoted_by_psql(path):
    snippet = catalog.load(path)
    code = _code(snippet.text)
    bodies = re.sub(r"\$\$.*?\$\$", "", code, flags=re.S)  # psql does not substitute inside $$
    quoted = set(re.findall(r":'(\w+)'", bodies)) | set(re.findall(r':"(\w+)"', bodies))
    bare = re.findall(r"(?<![:\w]):(?![:=])([A-Za-z_]\w*)", re.sub(r":['\"]\w+['\"]", "", bodies))
    assert not bare, f"bare psql variables (unquoted): {bare}"
    assert quoted == set(snippet.params), "every parameter used, and only parameters"
    inside = re.findall(r"\$\$.*?\$\$", code, flags=re.S)
    assert not any(re.search(r":['\"]\w+['\"]", body) for body in inside), (
        "psql does not substitute inside $$: pass values with set_config('runbook.x', :'x', true)")
    for name in re.findall(r"current_setting\('runbook\.(\w+)'", code):
        assert name == "dry_run" or f"set_config('runbook.{name}', :'{name}', true)" in snippet.text


@each_file
def test_a_write_opens_its_transaction_and_leaves_the_end_to_the_operator(path):
    """A write snippet's first statement is begin; so that a paste commits nothing by itself;
    no snippet commits, rolls back or sets savepoints: the operator or the runner ends it."""
    snippet = catalog.load(path)
    keywords = [s.keyword for s in split(snippet.text)]
    control = {"begin", "commit", "rollback", "savepoint", "end", "start", "abort"}
    if snippet.effect == "write":
        assert keywords[0] == "begin", "a write snippet starts with begin;"
        keywords = keywords[1:]
    assert not set(keywords) & control
    # exception handlers open subtransactions, whose rows the change counter would still count
    assert not re.search(r"\bexception\s+when\b", snippet.text, re.I)


def test_runbook_list_names_every_sql_snippet_and_its_page():
    result = CliRunner().invoke(main, ["list", "--kind", "sql"])
    assert result.exit_code == 0, result.output
    for path in SQL_FILES:
        line = next(x for x in result.output.splitlines() if x.startswith(path.stem + " "))
        assert "(no page)" not in line, line


# --------------------------------------------------------------------------------------------
# runbook check


def test_check_passes_on_the_fixture_schema_and_executes_nothing(id3c_db, metabase_db):
    before = id3c_db.snapshot()
    result = CliRunner().invoke(main, ["check", "--dsn", id3c_db.url, "--metabase-dsn", metabase_db.url])
    assert result.exit_code == 0, result.output
    for path in SQL_FILES:
        assert re.search(rf"^ok\s+{re.escape(path.stem)}: ", result.output, re.M), result.output
    assert "not planned" in result.output  # DO blocks are reported, not silently counted
    assert id3c_db.snapshot() == before


def test_check_names_the_snippets_a_dropped_column_breaks(id3c_db):
    id3c_db.execute("alter table warehouse.sample drop column collection_identifier cascade")
    chosen = ["find-sample", "show-identifier", "delete-sample-results", "find-plate-documents",
              "move-barcodes-to-set"]
    result = CliRunner().invoke(main, ["check", "--dsn", id3c_db.url, *chosen])
    assert result.exit_code == 1
    failed = set(re.findall(r"^FAIL\s+(\S+)", result.output, re.M))
    assert failed == {"find-sample", "show-identifier", "delete-sample-results"}, result.output
    assert 'column sample.collection_identifier does not exist' in result.output
    assert "3 snippet(s) do not fit this schema" in result.output


def test_check_skips_metabase_snippets_without_their_dsn(id3c_db):
    result = CliRunner().invoke(main, ["check", "--dsn", id3c_db.url, "set-question-cache-ttl", "find-sample"])
    assert result.exit_code == 0
    assert re.search(r"^skip\s+set-question-cache-ttl: .*--metabase-dsn", result.output, re.M)
