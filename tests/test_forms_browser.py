"""The parameter forms, in Chromium, down to psql: what the copy button copies runs as it is.

A write snippet's form is filled on its page, the copy button clicked, and the copied text piped
into real psql against a fresh fixture database: it runs, prints its dry-run result and changes
no table until `commit;` follows it. A value with a quote or a semicolon is refused by the form
(copying is disabled, saying why) or stays one value (a Metabase question named with quotes,
a semicolon and a backslash gets its TTL and nothing else changes). Every parameter of every
snippet is checked by the form as runbook.snippets.catalog checks it for the runner.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest

import scenario as sc
from browserlib import copied_text, open_page
from runbook.site import blocks
from runbook.snippets import catalog
from runbook.snippets.commands import pages_including
from runbook.snippets.runner import psql_set_line
from sitebuild import REPO

pytestmark = pytest.mark.browser


def block_of(page, snippet_id: str):
    return page.locator(f".runbook-snippet[id$='-{snippet_id}']").first


def fill(block, name: str, value: str) -> None:
    field = block.locator(f"input[name={name}]")
    field.fill(value)
    field.dispatch_event("input")


def psql(psql_bin, db, script: str) -> subprocess.CompletedProcess:
    """The script piped into psql, as a paste into an interactive session runs it."""
    return subprocess.run([psql_bin, "-X", "--dbname", db.url], input=script, capture_output=True,
                          text=True, timeout=60)


def test_a_filled_write_form_copies_a_dry_run_that_psql_runs(browser, site_url, id3c_db, psql_bin):
    for code in ("aaaaaaaa", "bbbbbbbb", "cccccccc"):
        sc.identifier(id3c_db, "samples", code)
    sc.sample(id3c_db, sample_barcode="cccccccc")
    page = open_page(browser, site_url + "etl/sample-not-found/")
    try:
        block = block_of(page, "create-samples-from-aliquot-manifest")
        block.locator("[data-clipboard-target]").wait_for()
        assert copied_text(page, block.locator("[data-clipboard-target]")) is None, "copied with the value missing"
        assert "sample_barcodes is missing" in block.locator(".runbook-form__status").inner_text()

        fill(block, "sample_barcodes", " aaaaaaaa, bbbbbbbb,cccccccc ")
        copied = copied_text(page, block.locator("[data-clipboard-target]"))
        shown = block.locator("pre code").inner_text()
        assert not page.errors, page.errors
    finally:
        page.close()
    assert copied == shown.rstrip()
    assert copied.startswith("\\set ON_ERROR_STOP on\n\\set sample_barcodes 'aaaaaaaa,bbbbbbbb,cccccccc'\n")
    assert "-- title:" not in copied and "params:" not in copied

    before = id3c_db.snapshot()
    dry = psql(psql_bin, id3c_db, copied + "\n")
    assert dry.returncode == 0, dry.stderr
    assert "to create" in dry.stdout and "left alone: a sample has it" in dry.stdout
    assert id3c_db.snapshot() == before, "the pasted block kept changes without commit;"

    kept = psql(psql_bin, id3c_db, copied + "\ncommit;\n")
    assert kept.returncode == 0, kept.stderr
    created = id3c_db.execute(
        "select identifier.barcode::text from warehouse.sample"
        " join warehouse.identifier on identifier.uuid::text = sample.identifier order by 1")
    assert created == [("aaaaaaaa",), ("bbbbbbbb",), ("cccccccc",)]


@pytest.mark.parametrize("value", ["aaaaaaaa'; drop table warehouse.sample; --", "aaaaaaaa;bbbbbbbb"])
def test_a_value_with_a_quote_or_semicolon_is_refused_where_the_pattern_forbids_it(browser, site_url, value):
    page = open_page(browser, site_url + "etl/sample-not-found/")
    try:
        block = block_of(page, "create-samples-from-aliquot-manifest")
        block.locator("[data-clipboard-target]").wait_for()
        fill(block, "sample_barcodes", "aaaaaaaa")
        assert copied_text(page, block.locator("[data-clipboard-target]")) is not None
        fill(block, "sample_barcodes", value)
        assert copied_text(page, block.locator("[data-clipboard-target]")) is None
        assert "does not match" in block.locator(".runbook-form__status").inner_text()
        assert block.locator("[data-clipboard-target]").is_disabled()
    finally:
        page.close()


QUESTION = "Lab's \"daily\"; drop table report_card; -- \\ end"


def test_a_value_with_quotes_and_a_semicolon_stays_one_value_in_psql(browser, site_url, metabase_db, psql_bin):
    metabase_db.execute("insert into report_card (name, cache_ttl) values (%s, null), ('Daily results', null)",
                        (QUESTION,))
    page = open_page(browser, site_url + "metabase/stale-results/")
    try:
        block = block_of(page, "set-question-cache-ttl")
        block.locator("[data-clipboard-target]").wait_for()
        fill(block, "question", QUESTION)
        fill(block, "cache_ttl", "7")
        copied = copied_text(page, block.locator("[data-clipboard-target]"))
    finally:
        page.close()
    assert psql_set_line("question", QUESTION) in copied.splitlines()
    before = metabase_db.snapshot(schemas=("public",))
    dry = psql(psql_bin, metabase_db, copied + "\n")
    assert dry.returncode == 0, dry.stderr
    assert metabase_db.snapshot(schemas=("public",)) == before
    kept = psql(psql_bin, metabase_db, copied + "\ncommit;\n")
    assert kept.returncode == 0, kept.stderr
    assert metabase_db.execute("select name, cache_ttl from report_card order by name") == [
        ("Daily results", None), (QUESTION, 7)]


def test_shell_values_are_quoted_as_bash_reads_them(browser, site_url, tmp_path):
    value = "/var/tmp/it's; touch " + str(tmp_path / "pwned") + " $(id) `id`"
    page = open_page(browser, site_url + "services/sfs-switchboard/")
    try:
        block = block_of(page, "restart-switchboard")
        block.locator("[data-clipboard-target]").wait_for()
        fill(block, "CAPTURE_ROOT", value)
        line = next(li for li in block.locator("pre code").inner_text().splitlines() if li.startswith("CAPTURE_ROOT="))
    finally:
        page.close()
    assert line == blocks.shell_assign("CAPTURE_ROOT", value)
    out = subprocess.run(["bash", "-c", line + '\nprintf %s "$CAPTURE_ROOT"'], capture_output=True, text=True)
    assert out.stdout == value and not (tmp_path / "pwned").exists()


def test_values_in_the_url_fill_the_form(browser, site_url):
    identifier = str(uuid.uuid4())
    page = open_page(browser, site_url + f"etl/sample-not-found/?identifier={identifier}")
    try:
        block = block_of(page, "show-identifier")
        block.locator("[data-clipboard-target]").wait_for()
        assert block.locator("input[name=identifier]").input_value() == identifier
        assert f"\\set identifier '{identifier}'" in block.locator("pre code").inner_text()
        assert copied_text(page, block.locator("[data-clipboard-target]")).startswith("\\set ON_ERROR_STOP on\n")
    finally:
        page.close()


VALUES = ["", " x ", "a'b", "aaaaaaaa", "AAAAAAAB", "aaaaaaaa,bbbbbbbb", "aaaaaaaa, ", "aaaaaaaa,,bbbbbbbb",
          "12", "-3", "0", "1_000", "2021-02-28", "2021-02-30", "2020-06-01", str(uuid.UUID(int=7)),
          "urn:uuid:" + str(uuid.UUID(int=8)), "LIMS123456", "BAT-049A", "America/Los_Angeles", "/var/tmp",
          "s3://bucket/x", "yes", "maybe", "alice_admin", "1bad", "collections-scan-kiosks", "Daily results", "é"]

CHECK_JS = """(values) => Array.from(document.querySelectorAll('.runbook-snippet')).flatMap(block => {
  const id = JSON.parse(block.dataset.runbookSnippet).id;
  return Array.from(block.querySelectorAll('input[name]')).flatMap(input => values.map(v => {
    const saved = input.value; input.value = v;
    const r = window.runbookForms.check(input); input.value = saved;
    return [id, input.name, v, r.problem ? null : r.value];
  }));
})"""


def python_check(snippet: catalog.Snippet, name: str, value: str):
    try:
        return snippet.params[name].check(value)
    except catalog.ParamError:
        return None


def test_every_form_checks_values_as_the_runner_does(browser, site_url):
    """Dates are the exception by design: the form takes YYYY-MM-DD only, what every Python the
    runner supports reads (3.11's date.fromisoformat also takes 20210228; none is tried here)."""
    snippets = {s.id: s for s in catalog.discover() if s.params}
    pages = sorted({p for s in snippets.values() for p in pages_including(s.relpath, REPO / "docs")})
    seen, wrong = set(), []
    for relpath in pages:
        page = open_page(browser, site_url + relpath[len("docs/"):-len(".md")] + "/")
        try:
            page.wait_for_function("() => window.runbookForms")
            for snippet_id, name, value, js in page.evaluate(CHECK_JS, VALUES):
                seen.add((snippet_id, name))
                py = python_check(snippets[snippet_id], name, value)
                if js != py:
                    wrong.append(f"{snippet_id}.{name}={value!r}: form {js!r}, runner {py!r}")
            assert not page.errors, page.errors
        finally:
            page.close()
    assert seen == {(s.id, n) for s in snippets.values() for n in s.params}
    assert not wrong, "\n".join(wrong)
