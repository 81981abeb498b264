"""The snippet catalogue: headers parse the way the runner, the site and triage expect."""

from __future__ import annotations

import re

import pytest

from runbook.snippets import catalog

SQL = """\
-- title: Find a thing
-- effect: write
-- params:
--   barcodes: {list: true, pattern: '^[0-9a-f]{8}$', example: 'aaaaaaaa,bbbbbbbb', help: the barcodes}
--   day: {type: date, example: '2020-06-01', help: a day}
--   id: {type: uuid, example: 'b3a1f6a2-3c2d-4e5f-8a9b-0c1d2e3faaaa', help: an identifier}
--   revision: {type: integer, default: 8, help: the ETL revision}
--
-- prose: this is not YAML: it would not parse
select 1;
"""


@pytest.fixture
def snippet(tmp_path):
    path = tmp_path / "find-thing.sql"
    path.write_text(SQL)
    return catalog.load(path)


def test_header_stops_at_a_bare_marker_and_reads_params(snippet):
    assert (snippet.id, snippet.kind, snippet.effect) == ("find-thing", "sql", "write")
    assert list(snippet.params) == ["barcodes", "day", "id", "revision"]
    assert snippet.params["revision"].default == "8" and not snippet.params["revision"].required


def test_bind_fills_defaults_and_normalises_lists(snippet):
    bound = snippet.bind({"barcodes": " aaaaaaaa , bbbbbbbb", "day": "2020-06-01",
                          "id": "b3a1f6a2-3c2d-4e5f-8a9b-0c1d2e3faaaa"})
    assert bound == {"barcodes": "aaaaaaaa,bbbbbbbb", "day": "2020-06-01",
                     "id": "b3a1f6a2-3c2d-4e5f-8a9b-0c1d2e3faaaa", "revision": "8"}


GOOD = {"barcodes": "aaaaaaaa", "day": "2020-06-01", "id": "b3a1f6a2-3c2d-4e5f-8a9b-0c1d2e3faaaa"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"day": None}, "missing parameter 'day'"),
        ({"nope": "1"}, "unknown parameter 'nope'"),
        ({"barcodes": "aaaaaaaaa"}, "parameter 'barcodes': 'aaaaaaaaa' does not match"),
        ({"barcodes": "x'); drop table warehouse.sample; --"}, "parameter 'barcodes'"),
        ({"barcodes": "aaaaaaaa,,bbbbbbbb"}, "parameter 'barcodes' is empty"),
        ({"day": "2020-13-45"}, "parameter 'day': '2020-13-45' is not a valid date"),
        ({"id": "not-a-uuid"}, "parameter 'id': 'not-a-uuid' is not a valid uuid"),
        ({"revision": "8a"}, "parameter 'revision': '8a' is not a valid integer"),
    ],
)
def test_bind_names_the_bad_parameter(snippet, change, message):
    given = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(catalog.ParamError, match=re.escape(message)):
        snippet.bind(given)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("-- effect: read\nselect 1;\n", "lacks 'title'"),
        ("-- title: x\n-- effect: delete\nselect 1;\n", "effect must be one of"),
        ("-- title: x\n-- effect: read\n-- params:\n--   a: {example: 1}\nselect 1;\n", "has no help"),
        ("-- title: [x\nselect 1;\n", "not YAML"),
    ],
)
def test_bad_headers_are_refused(tmp_path, text, problem):
    path = tmp_path / "bad.sql"
    path.write_text(text)
    with pytest.raises(catalog.HeaderError, match=problem):
        catalog.load(path)


def test_shell_header_skips_the_shebang(tmp_path):
    path = tmp_path / "show-thing.sh"
    path.write_text("#!/usr/bin/env bash\n# title: Show\n# effect: read\n\n# prose\nset -eu\n")
    assert catalog.load(path).title == "Show"


def test_every_repository_snippet_has_a_unique_id():
    ids = [s.id for s in catalog.discover()]
    assert ids and len(ids) == len(set(ids))


def test_body_is_what_follows_the_header(snippet):
    assert snippet.body == "-- prose: this is not YAML: it would not parse\nselect 1;"



def test_find_by_id_reads_only_that_file(tmp_path, monkeypatch):
    area = tmp_path / "snippets" / "sql" / "area"
    area.mkdir(parents=True)
    (area / "find-thing.sql").write_text(SQL)
    broken = area / "broken-thing.sql"
    broken.write_text("-- title: [\n")
    monkeypatch.setenv("RUNBOOK_ROOT", str(tmp_path))
    assert catalog.find("find-thing").relpath == "snippets/sql/area/find-thing.sql"
    with pytest.raises(catalog.HeaderError):  # a path is found by discovering every snippet
        catalog.find("snippets/sql/area/find-thing.sql")
    broken.unlink()
    assert catalog.find("snippets/sql/area/find-thing.sql").id == "find-thing"
    with pytest.raises(KeyError, match="no snippet 'no-thing'"):
        catalog.find("no-thing")
