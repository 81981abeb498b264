"""Coverage by discovery: every SQL snippet has a behaviour test, a page that includes it, a
header that parses with examples that pass its own patterns, and follows the snippet rules.
Plus `runbook check` against the fixture schema, intact and broken."""

from __future__ import annotations

import ast
import re
import sys
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


def behaviour_tests(path: Path) -> list[str]:
    """The tests of a snippet, found by name as FastAPI's docs_src mirror does: in
    tests/test_sql_<area>.py (its folder under snippets/sql/), the functions named
    test_<snippet_id with _ for ->, alone or followed by _<what it shows>. A test that merely
    mentions the id elsewhere, or the generic checks of test_sql_writes.py, do not count."""
    area_file = TESTS / f"test_sql_{path.parent.name}.py"
    if not area_file.exists():
        return []
    # a test named for a longer id of the same folder (find-sample-documents) is that one's
    siblings = {p.stem for p in path.parent.glob("*.sql")} | {path.stem}

    def owner(test: str) -> str | None:
        ids = [s for s in siblings if test == _test_name(s) or test.startswith(_test_name(s) + "_")]
        return max(ids, key=len) if ids else None

    tree = ast.parse(area_file.read_text(encoding="utf-8"))
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and owner(node.name) == path.stem]


def _test_name(snippet_id: str) -> str:
    return "test_" + snippet_id.replace("-", "_")


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
    name = "test_" + path.stem.replace("-", "_")
    assert behaviour_tests(path), (
        f"{path.stem}: no behaviour test: add {name}_<what it shows> to tests/test_sql_{path.parent.name}.py")


def test_behaviour_tests_are_found_by_name_not_by_a_mention(tmp_path, monkeypatch):
    """A file that only quotes the id, or a test of a longer id, is no test of this snippet."""
    monkeypatch.setattr(sys.modules[__name__], "TESTS", tmp_path)
    snippet = tmp_path / "snippets" / "sql" / "demo" / "find-sample.sql"
    snippet.parent.mkdir(parents=True)
    for sibling in ("find-sample.sql", "find-sample-documents.sql"):
        (snippet.parent / sibling).write_text("select 1;\n", encoding="utf-8")
    (tmp_path / "test_sql_demo.py").write_text(
        'def test_other():\n    run(db, "find-sample")\n\n'
        "def test_find_sample_documents_lists():\n    pass\n", encoding="utf-8")
    assert behaviour_tests(snippet) == []
    (tmp_path / "test_sql_demo.py").write_text("def test_find_sample_by_barcode():\n    pass\n", encoding="utf-8")
    assert behaviour_tests(snippet) == ["test_find_sample_by_barcode"]
    assert behaviour_tests(tmp_path / "snippets" / "sql" / "elsewhere" / "find-sample.sql") == []


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
