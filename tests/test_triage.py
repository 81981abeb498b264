"""`runbook triage`: every known message maps to its page and no other; logs are summarised right."""

from __future__ import annotations

import gzip
import json
import random
import re
import shlex
import subprocess
import sys

import pytest
from click.testing import CliRunner

import triage_messages as tm
from runbook.site import hooks as site_hooks
from runbook.snippets import catalog
from runbook.snippets import commands as snippet_commands
from runbook.snippets.includes import fences
from runbook.triage import cli as triage_cli
from runbook.triage import pages as triage
from runbook.triage import report as triage_report
from runbook.triage import scanner as triage_scanner
from runbook.triage.scanner import Scanner, anchors

DOCS = catalog.repo_root() / "docs"


@pytest.fixture(scope="module")
def problems():
    return triage.load_problems(DOCS)


@pytest.fixture(scope="module")
def engine(problems):
    return triage_report.Triage(problems)


def pages_matching(problems, line):
    return sorted({p.relpath for p in problems for pattern in p.patterns if pattern.search(line)})


def run(*args, input=None):
    result = CliRunner().invoke(triage_cli.triage_cmd, [*args, "--docs", str(DOCS)], input=input)
    return result


# --- the pages and their patterns ---------------------------------------------------------------

@pytest.mark.parametrize("page", tm.PROBLEM_PAGES)
def test_problem_page_has_patterns(problems, page):
    assert (DOCS / page).exists(), f"docs/{page} does not exist yet"
    found = {p.relpath: p for p in problems}
    assert page in found, f"docs/{page} has no `errors:` patterns in its front matter"
    problem = found[page]
    assert problem.title and problem.title != page, f"docs/{page} has no '# ' title"
    assert problem.first_step, f"docs/{page} has no numbered step under '## Fix'"


def test_every_problem_page_in_an_area_folder_has_patterns(problems):
    """Pages in docs/<area>/ are problems: each must carry what finds it (the top-level pages,
    index, errata, contacts and how-tos, and each area's own index.md, are not problems)."""
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.glob("*/**/*.md") if p.name != "index.md")
    assert pages, "no problem pages under docs/<area>/"
    with_patterns = {p.relpath for p in problems}
    missing = [page for page in pages if page not in with_patterns]
    assert not missing, f"problem pages without `errors:` patterns in their front matter: {missing}"


def test_every_snippet_named_by_a_page_exists_and_some_groups_fill_parameters(problems):
    filled = []
    for problem in problems:
        groups = {name for pattern in problem.patterns + [c.pattern for c in problem.context]
                  for name in pattern.groupindex}
        if problem.snippet is None:
            continue
        snippet = triage.find_snippet(problem.snippet)
        assert snippet is not None, f"{problem.relpath}: no snippet {problem.snippet!r} (or its header is broken)"
        filled += [(problem.relpath, g) for g in sorted(groups & set(snippet.params))]
    for page, group in [(tm.UNKNOWN_BARCODE, "barcode"), (tm.SAMPLE_NOT_FOUND, "identifier"),
                        (tm.PA_INVALID_SET, "presence_absence_id"), (tm.FHIR_SET, "barcodes")]:
        assert (page, group) in filled, f"{page}: no named group {group!r} for its snippet's parameter"


def test_every_pattern_has_a_literal_anchor(problems):
    """Anchors keep a 1M-line scan fast: a pattern without one runs on every line."""
    for problem in problems:
        for pattern in problem.patterns + [c.pattern for c in problem.context]:
            assert anchors(pattern), f"{problem.relpath}: {pattern.pattern!r} has no literal text to pre-filter on"


# --- every literal message, in both eras, to its page and no other -------------------------------

MESSAGE_IDS = [f"{page.split('/')[-1][:-3]}-{i}" for i, (_, page, _) in enumerate(tm.MESSAGES)]


@pytest.mark.parametrize(("message", "page", "groups"), tm.MESSAGES, ids=MESSAGE_IDS)
def test_message_maps_to_its_page_only(problems, engine, message, page, groups):
    rng = random.Random(message)
    cases = [(message, groups)] + [tm.variants(message, rng, groups) for _ in range(3)]
    for text, expected in cases:
        for line in (text, tm.as_syslog(text), "2021-11-29 20:51:08,123 ERROR " + text):
            assert pages_matching(problems, line) == [page], line
            found = engine.classify(line)
            assert found is not None and found[0].relpath == page, line
            if expected:
                assert {k: found[1].get(k) for k in expected} == expected, line


@pytest.mark.parametrize("line", tm.UNRELATED)
def test_unrelated_lines_map_to_nothing(problems, line):
    assert pages_matching(problems, line) == []


def test_variants_really_change_the_values():
    rng = random.Random(1)
    text, groups = tm.variants(tm.MESSAGES[0][0], rng, tm.MESSAGES[0][2])
    assert "aaaaaaaa" not in text and groups["barcode"] in text


# --- the scanner agrees with a plain line-by-line search ------------------------------------------

def mixed_log(rng: random.Random, lines: int, ratio: float = 0.05):
    """(log text, expected page per line index) mixing unrelated lines and every message."""
    out, expected = [], []
    for i in range(lines):
        when = f"Nov 29 {20 + i // 3600 % 4:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
        if rng.random() < ratio:
            message, page, groups = rng.choice(tm.MESSAGES)
            text, _ = tm.variants(message, rng, groups)
            out.append(tm.as_syslog(text, when=when))
            expected.append(page)
        else:
            out.append(when + rng.choice(tm.UNRELATED)[15:])
            expected.append(None)
    return "\n".join(out) + "\n", expected


def test_scanner_equals_line_by_line_search(problems, tmp_path):
    rng = random.Random(7)
    text, expected = mixed_log(rng, 3000, 0.1)
    scanner = Scanner((p, pat) for p in problems for pat in p.patterns)
    path = tmp_path / "syslog"
    path.write_text(text, encoding="utf-8")
    for chunk in (257, 4096, 1 << 20):  # chunk edges fall inside lines and inside «»
        hits = list(scanner.scan_file(path, chunk=chunk))
        got = {h.lineno: h.key.relpath for h in hits}
        want = {i + 1: page for i, page in enumerate(expected) if page}
        assert got == want, f"chunk={chunk}"
        for h in hits:
            assert h.line == text.splitlines()[h.lineno - 1]


# --- the command ------------------------------------------------------------------------------------

def savepoint(group, pid=4242, when="Nov 29 20:51:08"):
    return tm.as_syslog(f"Rolling back to savepoint presence_absence group {group}", pid=pid, when=when,
                        logger="id3c.db.session").replace("ERROR", "DEBUG")


def test_single_line_gives_title_url_step_and_filled_command(problems):
    by_page = {p.relpath: p for p in problems}
    result = run(tm.as_syslog("Aborting with error: Unknown discharge disposition value «96» for barcode «aaaaaaaa»."))
    assert result.exit_code == 0, result.output
    page = by_page[tm.DISCHARGE]
    assert page.title in result.output
    assert "http://localhost:8000/etl/redcap-discharge-disposition/" in result.output
    assert page.first_step in result.output


# --- context lines: the savepoint line lends the group number to the problem beside it ------------

SNF_UUID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


def snf_episode(group, pid=4242, when="Nov 29 20:51:08"):
    """What syslog holds when the presence/absence ETL meets a SampleNotFoundError."""
    return [
        tm.as_syslog(f"No sample found with identifier «{SNF_UUID}» or collection identifier «None»", pid=pid,
                     when=when, logger="id3c.cli.command.etl.presence_absence"),
        savepoint(group, pid, when),
        tm.as_syslog(f"Aborting with error: {SNF_UUID}", pid=pid, when=when),
    ]


def invalid_set_episode(group, pid=5151, when="Nov 29 21:06:08", set_name="samples-haarvi"):
    return [savepoint(group, pid, when),
            tm.as_syslog(f"Aborting with error: Identifier found in invalid set «{set_name}»", pid=pid, when=when)]


def test_context_lines_are_no_problem_by_themselves(problems, engine):
    for line, pages, values in tm.CONTEXT:
        for text in (line, tm.as_syslog(line)):
            assert pages_matching(problems, text) == [], text
            assert engine.classify(text) is None
            ctx, found = engine.classify_context(text)
            assert sorted(ctx.pages) == sorted(pages) and found == values


def test_sample_not_found_reports_the_group_and_no_skip(tmp_path):
    path = tmp_path / "syslog"
    path.write_text("\n".join([tm.UNRELATED[1], *snf_episode(4711), tm.UNRELATED[2]]) + "\n", encoding="utf-8")
    report = json.loads(run("--log", str(path), "--json").output)["problems"]
    assert [(r["page"], r["count"], r["context_only"]) for r in report] == [(tm.SAMPLE_NOT_FOUND, 2, False)]
    assert report[0]["instances"] == [{
        "values": {"identifier": SNF_UUID, "presence_absence_id": "4711"}, "count": 2,
        "command": f"runbook show show-identifier --param identifier={SNF_UUID}",
    }]
    text = run("--log", str(path)).output
    assert "Presence/absence ETL: SampleNotFoundError  (2 lines" in text
    assert "presence_absence_id=4711" in text
    assert "mark-presence-absence-skipped" not in text and "failed: see the error" not in text


def test_invalid_set_prints_the_skip_command_with_the_group(tmp_path):
    path = tmp_path / "syslog"
    path.write_text("\n".join(invalid_set_episode(4800)) + "\n", encoding="utf-8")
    result = run("--log", str(path))
    assert result.exit_code == 0, result.output
    assert "runbook show mark-presence-absence-skipped --param presence_absence_id=4800" in result.output
    assert "(1 line, first Nov 29 21:06:08)" in result.output
    # the same two lines given as arguments are one input too
    result = run(*invalid_set_episode(4801))
    assert "runbook show mark-presence-absence-skipped --param presence_absence_id=4801" in result.output


def test_savepoint_alone_points_at_the_page_without_a_command():
    result = run(savepoint(4900))
    assert result.exit_code == 0, result.output
    assert "Presence/absence group 4900 failed: see the error logged just before it" in result.output
    assert "http://localhost:8000/etl/presence-absence-invalid-set/#savepoint-line" in result.output
    assert "runbook show" not in result.output and "first fix" not in result.output
    # with an error that no page knows, beside it
    report = json.loads(run(savepoint(4901), tm.as_syslog("Aborting with error: could not serialize access"),
                            "--json").output)["problems"]
    assert [(r["page"], r["context_only"], r["count"]) for r in report] == [(tm.PA_INVALID_SET, True, 1)]
    assert report[0]["instances"] == [{"values": {"presence_absence_id": "4901"}, "count": 1, "command": None}]


def test_the_alone_anchor_exists_on_its_page(engine):
    alone = [ctx.alone for ctx in engine.contexts.values() if ctx.alone is not None]
    assert alone, "no context entry says how to report its line alone"
    for problem in alone:
        if problem.anchor:
            body = (DOCS / problem.relpath).read_text(encoding="utf-8")
            assert re.search(r"\{:?\s*#" + re.escape(problem.anchor) + r"\s*\}", body), \
                f"{problem.relpath} has no {{: #{problem.anchor} }}"


def test_each_context_pattern_is_shown_on_a_page_declaring_it(engine):
    for ctx in engine.contexts.values():
        shown = []
        for page in ctx.pages:
            body = (DOCS / page).read_text(encoding="utf-8")
            shown += [line for fence in fences(body) if fence.lang == "text" for line in fence.lines]
        assert any(ctx.pattern.search(line) for line in shown), f"{ctx.pattern.pattern!r}: no page of {ctx.pages} shows it"


def test_each_problem_takes_the_group_of_its_own_process_and_episode(tmp_path):
    """Runs every 15 minutes, each a new process: several episodes of both errors, a failure no page
    knows, and lines of other processes between them. Counts are those of the error lines."""
    rng = random.Random(3)
    lines = []
    snf_groups, skip_groups, alone_groups = [], [], []
    for run_no in range(12):
        when = f"Nov 29 {10 + run_no // 4:02d}:{run_no % 4 * 15:02d}:07"
        pid, group = 1000 + run_no, 4000 + run_no
        kind = run_no % 3
        episode = (snf_episode(group, pid, when) if kind == 0 else invalid_set_episode(group, pid, when) if kind == 1
                   else [savepoint(group, pid, when), tm.as_syslog("Aborting with error: deadlock detected", pid=pid, when=when)])
        (snf_groups, skip_groups, alone_groups)[kind].append(str(group))
        # another process's savepoint line right beside the episode does not lend its group
        episode.insert(1, savepoint(9999, pid + 500, when))
        lines += episode
        lines += [when + rng.choice(tm.UNRELATED)[15:] for _ in range(rng.randint(0, 5))]
    path = tmp_path / "syslog"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = {(r["page"], r["context_only"]): r for r in json.loads(run("--log", str(path), "--json").output)["problems"]}
    snf = report[(tm.SAMPLE_NOT_FOUND, False)]
    assert snf["count"] == 2 * len(snf_groups)
    assert sorted(i["values"]["presence_absence_id"] for i in snf["instances"]) == snf_groups
    assert all(i["count"] == 2 and "mark-presence-absence-skipped" not in (i["command"] or "") for i in snf["instances"])
    skip = report[(tm.PA_INVALID_SET, False)]
    assert skip["count"] == len(skip_groups)
    assert sorted(i["command"] for i in skip["instances"]) == sorted(
        f"runbook show mark-presence-absence-skipped --param presence_absence_id={g}" for g in skip_groups)
    alone = report[(tm.PA_INVALID_SET, True)]
    assert sorted(i["values"]["presence_absence_id"] for i in alone["instances"]) == sorted(alone_groups + ["9999"])
    assert alone["count"] == len(alone_groups) + 12


@pytest.mark.parametrize(("context", "message"), [
    ("  - 'broken ('", "does not compile"),
    ("  - pattern: 'group (?P<n>\\d+)'\n    alone: 'group {m} failed'", "not named groups"),
    ("  - pattern: 'group (?P<n>\\d+)'\n    lone: 'x'", "unknown keys"),
    ("  - 42", "neither a pattern"),
])
def test_bad_context_entries_are_reported(tmp_path, context, message):
    (tmp_path / "bad.md").write_text(f"---\ncontext:\n{context}\n---\n# Bad\n", encoding="utf-8")
    result = CliRunner().invoke(triage_cli.triage_cmd, ["x", "--docs", str(tmp_path)])
    assert result.exit_code != 0
    assert "bad.md" in result.output and message in result.output, result.output
    meta, _ = triage.front_matter((tmp_path / "bad.md").read_text(encoding="utf-8"))
    page = type("Page", (), {"meta": meta, "file": type("File", (), {"src_uri": "bad.md"})()})()
    with pytest.raises(Exception, match=message):
        site_hooks.check_error_patterns(page)


def test_barcode_fills_the_snippet_parameter():
    result = run("Nov 29 20:51:08 backoffice id3c[1]: id3c.db WARNING: No identifier found for barcode «abcdef12»")
    assert result.exit_code == 0, result.output
    assert "barcode=abcdef12" in result.output
    assert "runbook show find-closest-barcodes --param barcode=abcdef12" in result.output


def test_base_url_is_configurable():
    result = run("--base-url", "https://runbook.example.org/id3c", "Aborting with error: None")
    assert "https://runbook.example.org/id3c/etl/sample-not-found/" in result.output


def test_exit_status_is_zero_found_one_none_like_grep():
    assert run(tm.UNRELATED[0]).exit_code == 1
    assert "no known problem" in run(tm.UNRELATED[0]).output
    assert run(tm.UNRELATED[0], "--json").exit_code == 1
    assert json.loads(run(tm.UNRELATED[0], "--json").output) == {"problems": []}
    assert run(tm.UNRELATED[0], tm.MESSAGES[0][0]).exit_code == 0
    assert run("-", input="\n".join(tm.UNRELATED) + "\n").exit_code == 1


def test_exit_status_of_the_installed_command_for_a_script():
    """What an operator's `if runbook triage ...; then` sees: the real process's status."""
    found = subprocess.run([sys.executable, "-m", "runbook", "triage", tm.MESSAGES[0][0]], capture_output=True)
    none = subprocess.run([sys.executable, "-m", "runbook", "triage", tm.UNRELATED[0]], capture_output=True)
    error = subprocess.run([sys.executable, "-m", "runbook", "triage", "--log", "/nonexistent/syslog"], capture_output=True)
    assert (found.returncode, none.returncode, error.returncode) == (0, 1, 2), (found, none, error)


def test_first_and_last_seen_follow_the_timestamps_not_the_input_order(tmp_path):
    """`--log syslog --log syslog.2.gz` reads the newer file first: first seen is still the oldest line."""
    line = "id3c[7]: id3c.db WARNING: No identifier found for barcode «abcdef12»"
    newer, older = tmp_path / "syslog", tmp_path / "syslog.2.gz"
    newer.write_text(f"Nov 30 02:00:01 backoffice {line}\nNov 30 03:10:00 backoffice {line}\n", encoding="utf-8")
    older.write_bytes(gzip.compress(f"Nov  8 23:59:59 backoffice {line}\nNov 28 01:00:00 backoffice {line}\n".encode()))
    result = run("--log", str(newer), "--log", str(older), "--json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)["problems"]
    assert (report["count"], report["first_seen"], report["last_seen"]) == (4, "Nov  8 23:59:59", "Nov 30 03:10:00")
    # ISO stamps too, with fractions of either separator and an offset: compared as written
    iso = tmp_path / "etl.log"
    iso.write_text(f"2021-11-29 21:00:00,001 {line}\n2021-11-29T20:51:08.123-08:00 {line}\n"
                   f"2021-11-29T21:00:00.5 {line}\n", encoding="utf-8")
    [report] = json.loads(run("--log", str(iso), "--json").output)["problems"]
    assert (report["first_seen"], report["last_seen"]) == ("2021-11-29T20:51:08.123-08:00", "2021-11-29T21:00:00.5")


def test_syslog_stamps_without_a_year_take_the_year_that_is_not_in_the_future():
    from datetime import datetime

    m = triage_report.TIMESTAMP.search
    now = datetime(2027, 1, 2, 12, 0)
    assert triage_report.parse_timestamp(m("Dec 31 23:00:00 host"), now) == datetime(2026, 12, 31, 23, 0)
    assert triage_report.parse_timestamp(m("Jan  2 11:00:00 host"), now) == datetime(2027, 1, 2, 11, 0)
    assert triage_report.parse_timestamp(m("2021/11/29 20:51:08"), now) == datetime(2021, 11, 29, 20, 51, 8)
    assert triage_report.parse_timestamp(m("2021-13-45 20:51:08"), now) is None


def test_standard_input(problems):
    text = "\n".join(tm.as_syslog(m) for m, _, _ in tm.MESSAGES[:3]) + "\n" + tm.UNRELATED[1] + "\n"
    result = run("-", "--json", input=text)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["problems"]
    assert [(r["page"], r["count"]) for r in report] == [(tm.UNKNOWN_BARCODE, 3)]


def test_mixed_log_is_summarised_with_counts_and_times(tmp_path):
    rng = random.Random(11)
    text, expected = mixed_log(rng, 5000, 0.08)
    lines = text.splitlines()
    plain = tmp_path / "syslog"
    plain.write_text(text, encoding="utf-8")
    gz = tmp_path / "syslog.2.gz"
    gz.write_bytes(gzip.compress(text.encode("utf-8")))
    want = {}
    for i, page in enumerate(expected):
        if page:
            stamp = lines[i][:15]
            count, first, _ = want.get(page, (0, stamp, stamp))
            want[page] = (count + 1, first, stamp)
    assert len(want) >= 10  # the mix really holds many problems
    for path in (plain, gz):
        result = run("--log", str(path), "--json")
        assert result.exit_code == 0, result.output
        got = {r["page"]: (r["count"], r["first_seen"], r["last_seen"]) for r in json.loads(result.output)["problems"]}
        assert got == want
    # text output says the same, one block per problem
    result = run("--log", str(plain))
    for count, first, last in want.values():
        assert f"({count} line{'s' if count > 1 else ''}, first {first}, last {last})" in result.output
    assert result.output.count("  page:      http://localhost:8000/") == len(want)


def test_iso_timestamps(tmp_path):
    path = tmp_path / "etl.log"
    path.write_text(
        "2021-11-29T20:51:08.123-08:00 host id3c[1]: No identifier found for barcode «abcdef12»\n"
        "2021-11-29 21:00:00,001 WARNING No identifier found for barcode «abcdef12»\n",
        encoding="utf-8",
    )
    report = json.loads(run("--log", str(path), "--json").output)["problems"]
    assert report[0]["count"] == 2
    assert report[0]["first_seen"] == "2021-11-29T20:51:08.123-08:00"
    assert report[0]["last_seen"] == "2021-11-29 21:00:00,001"
    assert report[0]["instances"] == [{
        "values": {"barcode": "abcdef12"}, "count": 2,
        "command": "runbook show find-closest-barcodes --param barcode=abcdef12",
    }]


def test_apache_proxy_error_for_metabase_only(tmp_path):
    """Apache's error.log line for Metabase's port (3000, backoffice's metabase/create-container)
    leads to "Metabase is down" with Apache's own timestamp read; the same line for another port,
    and the backend-agnostic AH01114 line, lead to nothing. The access log's 503 for /metabase
    counts too, with its own timestamp form."""
    line = ("[Mon Nov 29 20:51:08.123456 2021] [proxy:error] [pid 1234:tid 140245] (111)Connection refused: "
            "AH00957: HTTP: attempt to connect to 127.0.0.1:3000 (localhost) failed")
    other = line.replace("127.0.0.1:3000", "127.0.0.1:3001")
    agnostic = ("[Mon Nov 29 20:51:08.123530 2021] [proxy_http:error] [pid 1234:tid 140245] "
                "[client 10.0.0.1:52044] AH01114: HTTP: failed to make connection to backend: localhost")
    access = '10.0.0.1 - - [29/Nov/2021:20:52:00 -0800] "GET /metabase/ HTTP/1.1" 503 299'
    path = tmp_path / "error.log"
    path.write_text("\n".join([line, other, agnostic, access]) + "\n", encoding="utf-8")
    report = json.loads(run("--log", str(path), "--json").output)["problems"]
    assert [(r["page"], r["count"], r["first_seen"], r["last_seen"]) for r in report] == [
        (tm.METABASE_DOWN, 2, "Mon Nov 29 20:51:08.123456 2021", "29/Nov/2021:20:52:00 -0800")
    ]


@pytest.mark.parametrize("kind", ["missing", "directory", "under-a-file", "bad-gzip", "truncated-gzip", "unreadable"])
def test_unreadable_file_exits_two_with_a_clear_message(tmp_path, kind, monkeypatch):
    path = tmp_path / "syslog.gz"
    if kind == "under-a-file":
        (tmp_path / "plain").write_text("x\n")
        path = tmp_path / "plain" / "syslog"
    elif kind == "directory":
        path.mkdir()
    elif kind == "bad-gzip":
        path.write_bytes(b"\x1f\x8b" + b"not really gzip")
    elif kind == "truncated-gzip":
        path.write_bytes(gzip.compress(b"No identifier found for barcode \xc2\xababcdef12\xc2\xbb\n" * 1000)[:60])
    elif kind == "unreadable":
        path.write_text("x\n")
        path.chmod(0)
        try:
            path.open().close()
        except PermissionError:
            pass
        else:  # root reads a mode-0 file: let the scanner meet the error a normal user gets
            denied = str(path)

            def open_denied(file, *args, **kwargs):
                if str(file) == denied:
                    raise PermissionError(13, "Permission denied", denied)
                return open(file, *args, **kwargs)

            monkeypatch.setattr(triage_scanner, "open", open_denied, raising=False)
    other = tmp_path / "fine.log"
    other.write_text("nothing to see\n")
    result = run("--log", str(other), "--log", str(path))
    assert result.exit_code == 2
    assert f"cannot read {path}" in result.output


def test_installed_command_runs():
    """The real entry point, as an operator runs it (lazy group -> runbook.triage.cli:triage_cmd)."""
    out = subprocess.run(
        [sys.executable, "-m", "runbook", "triage", "--json", "Aborting with error: More than one sample "
         "matching sample and/or collection barcodes: [Record(id=1, identifier=None)]"],
        capture_output=True, text=True, check=True,
    )
    assert json.loads(out.stdout)["problems"][0]["page"] == tm.MORE_THAN_ONE


def test_pattern_that_does_not_compile_is_reported(tmp_path):
    (tmp_path / "bad.md").write_text("---\nerrors:\n  - 'broken ('\n---\n# Bad\n", encoding="utf-8")
    result = CliRunner().invoke(triage_cli.triage_cmd, ["x", "--docs", str(tmp_path)])
    assert result.exit_code != 0
    assert "bad.md" in result.output and "does not compile" in result.output


def test_title_and_first_fix_step_parsing(tmp_path):
    (tmp_path / "area").mkdir()
    (tmp_path / "area" / "p.md").write_text(
        "---\nerrors:\n  - 'Boom (?P<barcode>\\w+)'\n---\n# Boom happened\n\n## What you see\n"
        "1. not this\n\n## Fix\nIntro.\n\n1. Look at [the log](../x.md) and **the\n   barcode**.\n\n"
        "    ```sql\n    --8<-- \"x\"\n    ```\n2. Then this.\n",
        encoding="utf-8",
    )
    [problem] = triage.load_problems(tmp_path)
    assert problem.title == "Boom happened"
    assert problem.first_step == "Look at the log and the barcode."
    assert problem.url("http://h:1/") == "http://h:1/area/p/"
    assert re.search(problem.patterns[0], "Boom x1")


def test_printed_commands_run(engine):
    """Every `runbook show` command triage prints for the catalogue's lines is accepted by `show`."""
    rng = random.Random(5)
    commands = set()
    for message, _, groups in tm.MESSAGES:
        if not groups:
            continue
        for text, _ in [(message, groups)] + [tm.variants(message, rng, groups) for _ in range(2)]:
            problem, found = engine.classify(text)
            command = engine.command(problem, found)
            if command:
                commands.add(command)
    assert len(commands) >= 8
    for command in sorted(commands):
        argv = shlex.split(command)
        assert argv[:2] == ["runbook", "show"] and "…" not in command, command
        result = CliRunner().invoke(snippet_commands.show_cmd, argv[2:])
        assert result.exit_code == 0, f"{command}: {result.output}"


def test_each_pages_own_examples_lead_back_to_it(problems, engine):
    """Each `text` fence under a page's '## What you see' holds a line that triage maps to that
    page (an error, or a context line the page declares), and none of its lines maps to another page."""
    for problem in problems:
        body = (DOCS / problem.relpath).read_text(encoding="utf-8")
        if "## What you see" not in body:
            continue
        section = body.split("## What you see", 1)[1].split("\n## ", 1)[0]
        for fence in fences(section):
            if fence.lang != "text":
                continue
            lines = [line.strip() for line in fence.lines if line.strip()]
            pages = [(line, (engine.classify(line) or (None,))[0]) for line in lines]
            context = [line for line in lines if (engine.classify_context(line) or (None,))[0] is not None
                       and problem.relpath in engine.classify_context(line)[0].pages]
            assert any(p is problem for _, p in pages) or context, f"{problem.relpath}: no line of {lines[:3]} maps to it"
            for line, p in pages:
                assert p is None or p is problem, f"{problem.relpath}: {line!r} maps to {p.relpath}"


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"No sample (?:found )?with identifier «(?P<identifier>[0-9a-f-]{36})»", ["with identifier «"]),
    (r"(?:Specimen|Sample) with unexpected barcode", [" with unexpected barcode"]),
    (r"(?:Specimen|Sample)\d", ["ample", "pecimen"]),  # the parser factors out the common "S"
    (r"(?i)uwsgi workers available", ["uwsgi workers available"]),
    (r"^(?!.*CRON).*bin/wa-doh-linelists/generate", ["bin/wa-doh-linelists/generate"]),
    (r"\d+ \w+", None),
    (r"(?:ab|cd)", None),  # too short to pre-filter on: runs on every line
])
def test_anchors(pattern, expected):
    assert anchors(re.compile(pattern)) == expected


def test_unanchored_pattern_still_found(tmp_path):
    scanner = Scanner([("digits", re.compile(r"\d{5} \w+")), ("word", re.compile(r"Boom «x»"))])
    text = "nothing\nabc 12345 go\nBoom «x» here\n«» 1 2\n"
    hits = list(scanner.scan_text(text))
    assert [(h.key, h.lineno, h.line) for h in hits] == [("digits", 2, "abc 12345 go"), ("word", 3, "Boom «x» here")]


def test_unanchored_line_anchors_and_offsets():
    scanner = Scanner([("start", re.compile(r"^\d{3}$"))])
    text = "«éé» x\n123\nabc 456\n789\n"
    assert [(h.lineno, h.line) for h in scanner.scan_text(text)] == [(2, "123"), (4, "789")]
