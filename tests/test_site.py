"""The documentation site: it builds strictly, holds every problem of the guide, its search finds
every literal error message, and its pages keep the conventions (snippet includes only, danger
boxes before writes, roles instead of names, allowed tags, `errors:` on every problem page).

The site is built once per session (the conftest's site_build, shared with the browser tests),
as `mkdocs build --strict`.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

import triage_messages as tm
from runbook.snippets import catalog
from runbook.snippets import includes as includes_module
from runbook.triage import pages as triage
from sitebuild import REPO, warnings

DOCS = REPO / "docs"
SNIPPETS = REPO / "snippets"

ALLOWED_TAGS = {"ETL", "SQL", "shell", "Metabase", "REDCap", "results", "barcodes", "services", "software"}
NOT_PROBLEMS = {"index.md", "using-snippets.md", "errata.md", "contacts.md", "tags.md"}
PEOPLE = ["Peter", "Brian", "Misja", "Sarah", "Becca", "Annie"]
CODE_LANGUAGES = {"sql", "sh", "bash", "shell", "console", "psql", "zsh", "pgsql", "postgresql"}

# The guide's table of contents, problem by problem: (guide heading, page, title the page carries).
GUIDE_TOC = [
    ("General / Problem: Unknown barcode", "etl/unknown-barcode.md", "Unknown barcode"),
    ("FHIR ETL / Problem: AssertionError", "etl/fhir-unexpected-barcode-set.md",
     "FHIR ETL: specimen with an unexpected barcode set"),
    ("Presence Absence ETL / Problem: SampleNotFoundError", "etl/sample-not-found.md",
     "Presence/absence ETL: SampleNotFoundError"),
    ("Presence Absence ETL / Problem: AssertionError", "etl/presence-absence-invalid-set.md",
     "Presence/absence ETL: identifier in the wrong set"),
    ("Manifest ETL / Problem: AssertionError", "etl/manifest-found-in-set.md",
     "Manifest ETL: identifier found in the wrong set"),
    ("Manifest ETL / Problem: Exception", "etl/manifest-more-than-one-sample.md",
     "Manifest ETL: more than one sample matching"),
    ("REDCap DET ETL / Problem: Duplicate REDCap record ID in a project", "etl/redcap-duplicate-record-id.md",
     "REDCap DET ETL: duplicate record id"),
    ("REDCap DET ETL / Problem: Unknown discharge disposition value", "etl/redcap-discharge-disposition.md",
     "REDCap DET ETL: unknown discharge disposition"),
    ("Metabase / Problem: Metabase is down", "metabase/metabase-down.md", "Metabase is down"),
    ("Metabase / Problem: Metabase queries are slow", "metabase/slow-queries.md", "Metabase queries are slow"),
    ("Metabase / Problem: Metabase results are stale", "metabase/stale-results.md", "Metabase results are stale"),
    ("SCAN RoR PDF generation / Problem: PDF generation errors out for specific barcodes",
     "return-of-results/pdf-generation-errors.md", "PDF generation errors for specific barcodes"),
    ("SCAN RoR PDF generation / Problem: REDCap records with duplicated barcodes are dropped",
     "return-of-results/duplicated-barcodes-dropped.md", "REDCap records with duplicated barcodes dropped"),
    ("Presence Absence Results / Problem: Need to investigate results from a specific plate",
     "results/investigate-plate.md", "Investigate the results of a plate"),
    ("Presence Absence Results / Problem: A plate was swapped", "results/plate-swapped.md", "A plate was swapped"),
    ("Presence Absence Results / Problem: A sample was retroactively failed",
     "results/sample-retroactively-failed.md", "A sample was retroactively failed"),
    ("Barcode collection sets / Problem: labels for the incorrect collection identifier were used",
     "barcodes/wrong-collection-set.md", "Labels of the wrong collection set were used"),
    ("SFS Switchboard / Problem: SFS Switchboard does not load certain barcodes",
     "services/sfs-switchboard.md", "SFS Switchboard does not load barcodes"),
    ("Software Stack / Problem: compiling Python 3.6 on MacOS Big Sur", "software/python36-big-sur.md",
     "Python 3.6"),
    ("Linelists / Problem: Linelist didn't run successfully", "linelists/linelist-failed.md",
     "A linelist did not run"),
    ("Husky Musher / Problem: uWSGI workers available alert", "services/husky-musher-workers.md",
     "uWSGI workers available alert"),
    # Added to the documentation after the 2021 guide (facts section 5).
    ("(2022) Presence Absence Results Exist for a Sample Marked as never-tested",
     "results/never-tested-results.md", "Presence/absence results exist for a sample marked never-tested"),
]

# One catalogue (tests/triage_messages.py): search is checked with the messages as the pages show
# them (their own example values: search cannot know another barcode), pattern mapping with all.
SEARCHED = tm.PAGE_MESSAGES
MESSAGES = tm.site_messages()

# lunr's English stop words: the search index drops them, so a query needs only the other tokens.
STOP_WORDS = set("""a able about across after all almost also am among an and any are as at be because been
but by can cannot could dear did do does either else ever every for from get got had has have he her hers
him his how however i if in into is it its just least let like likely may me might most must my neither no
nor not of off often on only or other our own rather said say says she should since so some than that the
their them then there these they this tis to too twas us wants was we were what when where which while who
whom why will with would yet you your""".split())


# ---------------------------------------------------------------- helpers


def page_files() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def relpath(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()


def problem_pages() -> list[Path]:
    """Every page but the general ones and the section pages (<area>/index.md)."""
    return [p for p in page_files() if relpath(p) not in NOT_PROBLEMS and p.name != "index.md"]


def front_matter(path: Path) -> tuple[dict, str]:
    return triage.front_matter(path.read_text(encoding="utf-8"))


# one reader of includes and fences for the tests, `runbook list` and the site build
INCLUDE = includes_module.INCLUDE
fences = includes_module.fences
includes = includes_module.includes


def url_of(rel: str) -> str:
    return rel[: -len(".md")] + "/" if rel != "index.md" else ""


def tokens(text: str, separator: str) -> list[str]:
    return [t for t in re.split(separator, text.lower()) if t]


# ---------------------------------------------------------------- the build


@pytest.fixture(scope="session")
def search_index(site):
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))


def test_site_builds_strictly_without_warnings(site_build):
    dest, proc = site_build
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert warnings(proc) == []
    assert (dest / "index.html").is_file()
    assert (dest / "search" / "search_index.json").is_file()


@pytest.mark.parametrize("heading,page,title", GUIDE_TOC, ids=[t[1] for t in GUIDE_TOC])
def test_every_guide_problem_has_its_page(site, heading, page, title):
    built = site / url_of(page) / "index.html"
    assert built.is_file(), f"{heading}: {built} not built"
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", built.read_text(encoding="utf-8"), re.S)
    assert h1, f"{page} has no <h1>"
    text = html.unescape(re.sub(r"<[^>]+>", "", h1.group(1))).replace("¶", "").strip()
    assert title in text, f"{heading}: page title {text!r} lacks {title!r}"


def test_index_lists_every_problem_page():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for _, page, _ in GUIDE_TOC:
        assert f"]({page})" in index, f"index.md does not link {page}"


# ---------------------------------------------------------------- search


def test_separator_splits_identifiers_and_guillemets(search_index):
    separator = search_index["config"]["separator"]
    assert tokens("receiving.presence_absence", separator) == ["receiving", "presence", "absence"]
    assert tokens("«collections-haarvi»", separator) == ["collections", "haarvi"]
    assert tokens("receiving.manifest", separator) == ["receiving", "manifest"]
    assert tokens("'samples' {x} [Record(id=1)] \"q\"", separator) == ["samples", "x", "record", "id", "1", "q"]
    assert tokens("SampleNotFoundError", separator) == ["samplenotfounderror"]


def page_tokens(search_index: dict, page: str) -> set[str]:
    separator = search_index["config"]["separator"]
    url = url_of(page)
    found: set[str] = set()
    for doc in search_index["docs"]:
        if doc["location"] == url or doc["location"].startswith(url + "#"):
            text = re.sub(r"<[^>]+>", " ", doc["title"] + " " + doc["text"])
            found |= set(tokens(text, separator))
    assert found, f"{page} is not in the search index"
    return found


@pytest.mark.parametrize("message,page,_", SEARCHED, ids=[f"{i}:{m[1]}" for i, m in enumerate(SEARCHED)])
def test_search_finds_each_message_on_its_page(search_index, message, page, _):
    separator = search_index["config"]["separator"]
    wanted = {t for t in tokens(message, separator) if t not in STOP_WORDS}
    missing = wanted - page_tokens(search_index, page)
    assert not missing, f"{page} lacks {sorted(missing)} of {message!r}"


def test_search_finds_error_class_names(search_index):
    assert "samplenotfounderror" in page_tokens(search_index, "etl/sample-not-found.md")
    assert "assertionerror" in page_tokens(search_index, "etl/presence-absence-invalid-set.md")


# ---------------------------------------------------------------- triage patterns


def all_patterns() -> dict[str, list[re.Pattern]]:
    """Each page's `errors:` patterns, as `runbook triage` loads them."""
    return {problem.relpath: problem.patterns for problem in triage.load_problems(DOCS)}


@pytest.mark.parametrize("message,page,mapped", MESSAGES, ids=[f"{i}:{m[1]}" for i, m in enumerate(MESSAGES)])
def test_each_message_line_maps_to_its_page_only(message, page, mapped):
    patterns = all_patterns()
    hits_for_page = 0
    for line in message.split("\n"):
        pages = {rel for rel, pats in patterns.items() if any(p.search(line) for p in pats)}
        assert pages <= {page}, f"{line!r} maps to {sorted(pages)}"
        hits_for_page += bool(pages)
    if mapped:
        assert hits_for_page, f"no pattern of {page} matches {message!r}"


@pytest.mark.parametrize("path", problem_pages(), ids=relpath)
def test_problem_page_has_errors_matching_its_shown_lines(path):
    meta, body = front_matter(path)
    errors = meta.get("errors")
    assert errors, f"{relpath(path)} has no errors: patterns"
    shown = [line for lang, lines, _ in fences(body) if lang in ("text", "") for line in lines]
    for pattern in errors:
        rx = re.compile(pattern)
        assert any(rx.search(line) for line in shown), f"{relpath(path)}: {pattern!r} matches no line it shows"


# ---------------------------------------------------------------- page conventions


@pytest.mark.parametrize("path", page_files(), ids=relpath)
def test_no_inline_code_fence(path):
    _, body = front_matter(path)
    for lang, lines, start in fences(body):
        if lang in CODE_LANGUAGES:
            content = [line for line in lines if line.strip()]
            assert content and all(INCLUDE.match(line) for line in content), (
                f"{relpath(path)}:{start}: a ```{lang} fence holds code instead of only a --8<-- include"
            )


@pytest.mark.parametrize("path", page_files(), ids=relpath)
def test_includes_name_existing_snippets(path):
    for _, include in includes(path.read_text(encoding="utf-8")):
        assert include.startswith("snippets/"), f"{relpath(path)} includes {include} from outside snippets/"
        assert (REPO / include).is_file(), f"{relpath(path)} includes missing {include}"


def test_every_snippet_is_included_by_a_page():
    included = {inc for p in page_files() for _, inc in includes(p.read_text(encoding="utf-8"))}
    files = {f.relative_to(REPO).as_posix() for f in SNIPPETS.rglob("*") if f.suffix in (".sql", ".sh")}
    assert files - included == set()


def is_write(snippet_path: str) -> bool:
    return catalog.load(REPO / snippet_path).effect == "write"


@pytest.mark.parametrize("path", page_files(), ids=relpath)
def test_danger_admonition_precedes_every_write_include(path):
    lines = path.read_text(encoding="utf-8").split("\n")
    previous = 0
    for n, include in includes("\n".join(lines)):
        if is_write(include):
            between = lines[previous:n]
            assert any(re.match(r"^\s*!!! danger\b", line) for line in between), (
                f"{relpath(path)}:{n + 1}: no '!!! danger' before the write snippet {include}"
            )
        previous = n + 1


@pytest.mark.parametrize("path", page_files(), ids=relpath)
def test_tags_are_allowed(path):
    tags = front_matter(path)[0].get("tags") or []
    assert set(tags) <= ALLOWED_TAGS, f"{relpath(path)}: tags {sorted(set(tags) - ALLOWED_TAGS)} not allowed"


@pytest.mark.parametrize("path", problem_pages(), ids=relpath)
def test_problem_page_has_template_sections(path):
    _, body = front_matter(path)
    heads = re.findall(r"^## (.+)$", body, re.M)
    assert heads[:4] == ["What you see", "What it means", "Fix", "Escalate"], f"{relpath(path)}: {heads}"
    fix = body.split("## Fix", 1)[1].split("\n## ", 1)[0]
    first = next((line for line in fix.split("\n") if line.strip()), "")
    assert re.match(r"^1\.\s+\S", first), f"{relpath(path)}: ## Fix does not start with step 1: {first!r}"


@pytest.mark.parametrize("path", problem_pages(), ids=relpath)
def test_problem_page_snippet_exists(path):
    """`snippet:` (what triage offers) names exactly one snippet file."""
    meta, _ = front_matter(path)
    snippet = meta.get("snippet")
    if not snippet:
        return
    matches = [f for f in SNIPPETS.rglob("*") if f.stem == snippet and f.suffix in (".sql", ".sh")]
    assert len(matches) == 1, f"{relpath(path)}: snippet {snippet!r} not found"


def contacts_data() -> dict:
    """docs/contacts.yml: the deployment's on-call facts and roles (the contacts page renders it)."""
    import yaml

    return yaml.safe_load((DOCS / "contacts.yml").read_text(encoding="utf-8"))


def test_people_are_named_only_on_the_contacts_page(site, search_index):
    names = re.compile(r"\b(" + "|".join(PEOPLE) + r")\b")
    sources = [p for p in page_files()]
    sources += [f for f in SNIPPETS.rglob("*") if f.is_file()]
    sources += [REPO / "mkdocs.yml"]
    # the contacts page and the printable copy of the whole site (which holds it) show them
    built = [f for f in site.rglob("*.html")
             if not {"contacts", "print_page"} & set(f.relative_to(site).parts)]
    for f in sources + built:
        hit = names.search(f.read_text(encoding="utf-8", errors="replace"))
        assert not hit, f"{f} names {hit.group(0)}"
    for doc in search_index["docs"]:
        if not doc["location"].startswith("contacts/"):
            hit = names.search(doc["title"] + " " + doc["text"])
            assert not hit, f"search entry {doc['location']} names {hit.group(0)}"
    people = " ".join(str(role.get("people")) for role in contacts_data()["roles"])
    assert all(name in people for name in PEOPLE)
    contacts_html = (site / "contacts" / "index.html").read_text(encoding="utf-8")
    assert all(name in contacts_html for name in PEOPLE)


def test_contacts_has_an_anchor_for_every_role_the_pages_link(site):
    roles = {role["id"] for role in contacts_data()["roles"]}
    built = (site / "contacts" / "index.html").read_text(encoding="utf-8")
    for role in roles:
        assert f'id="{role}"' in built, f"contacts page has no anchor #{role}"
    for p in page_files():
        for anchor in re.findall(r"contacts\.md#([\w-]+)", p.read_text(encoding="utf-8")):
            assert anchor in roles, f"{relpath(p)} links contacts.md#{anchor}, which does not exist"


def test_org_links_are_marked():
    org = re.compile(r"\]\((https://(?:seattle-flu-study\.slack\.com|backoffice\.seattleflu\.org|"
                     r"github\.com/seattleflu/(?:backoffice|id3c-customizations|documentation))[^)]*)\)")
    for p in page_files():
        text = p.read_text(encoding="utf-8")
        for m in org.finditer(text):
            after = text[m.end(): m.end() + 40]
            assert "(needs org access)" in after, f"{relpath(p)}: {m.group(1)} is not marked (needs org access)"


# ---------------------------------------------------------------- summary front matter


def _scratch_site(tmp_path: Path, page: str) -> Path:
    """A config that INHERITs the repository's mkdocs.yml (theme, extensions, hooks) but builds
    one page from a scratch docs folder; returns the config file."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Scratch\n", encoding="utf-8")
    (docs / "problem.md").write_text(page, encoding="utf-8")
    import yaml

    class Loader(yaml.SafeLoader):  # mkdocs.yml's !ENV and !relative tags: read as plain values
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    repo_config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    config = tmp_path / "mkdocs.yml"
    # Paths in a config are relative to its own folder: point them back at the checkout.
    hooks = [str(REPO / hook) for hook in repo_config.get("hooks") or []]
    config.write_text(
        f"INHERIT: {REPO / 'mkdocs.yml'}\n"
        f"docs_dir: {docs}\n"
        f"theme: {{name: material, custom_dir: {REPO / repo_config['theme']['custom_dir']}}}\n"
        f"hooks: {json.dumps(hooks)}\n"
        "strict: false\n"
        "watch: []\n"
        "nav: [index.md, problem.md]\n"
        "plugins: [search]\n",  # lists replace the inherited ones: no contacts data here
        encoding="utf-8",
    )
    return config


SCRATCH_PROBLEM = """---
errors: ['Something broke «(?P<barcode>[^»]+)»']
{summary}---
# Something broke

## What you see
```text
Something broke «aaaaaaaa»
```
"""


@pytest.mark.parametrize("missing", ["urgency", "impact"])
def test_build_refuses_a_problem_page_without_urgency_or_impact(tmp_path, missing):
    from sitebuild import run_build_with

    summary = {"urgency": "Now: everything waits", "impact": "Everyone"}
    del summary[missing]
    text = SCRATCH_PROBLEM.format(summary="".join(f"{k}: '{v}'\n" for k, v in summary.items()))
    proc = run_build_with(_scratch_site(tmp_path, text), tmp_path / "site", strict=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert f"problem.md: front matter lacks {missing}:" in proc.stdout + proc.stderr


def test_build_refuses_an_urgency_without_a_known_level(tmp_path):
    from sitebuild import run_build_with

    text = SCRATCH_PROBLEM.format(summary="urgency: 'Soonish: it waits'\nimpact: Everyone\n")
    proc = run_build_with(_scratch_site(tmp_path, text), tmp_path / "site", strict=False)
    assert proc.returncode != 0
    assert "urgency: starts with 'Soonish'" in proc.stdout + proc.stderr


def test_build_accepts_a_problem_page_with_urgency_and_impact(tmp_path):
    from sitebuild import run_build_with

    text = SCRATCH_PROBLEM.format(summary="urgency: 'Today: one record waits'\nimpact: One participant\n")
    proc = run_build_with(_scratch_site(tmp_path, text), tmp_path / "site", strict=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    built = (tmp_path / "site" / "problem" / "index.html").read_text(encoding="utf-8")
    assert 'class="oncall-summary oncall-summary--today"' in built
    assert "One participant" in built


@pytest.mark.parametrize("path", problem_pages(), ids=relpath)
def test_problem_page_has_summary_front_matter(path):
    meta, _ = front_matter(path)
    level = str(meta.get("urgency", "")).split(":", 1)[0]
    assert level in ("Now", "Today", "This week"), f"{relpath(path)}: urgency {meta.get('urgency')!r}"
    assert str(meta.get("urgency")).split(":", 1)[1].strip(), f"{relpath(path)}: urgency says not what waits"
    assert str(meta.get("impact") or "").strip(), f"{relpath(path)}: no impact"
    assert str(meta.get("first_action") or "").strip(), f"{relpath(path)}: no first_action"
    roles = {role["id"] for role in contacts_data()["roles"]}
    assert meta.get("owner") in roles, f"{relpath(path)}: owner {meta.get('owner')!r} is not a role of contacts.yml"


@pytest.mark.parametrize("path", problem_pages(), ids=relpath)
def test_every_fix_ends_with_check_its_fixed(path):
    _, body = front_matter(path)
    fix = body.split("## Fix", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    steps = re.findall(r"^\d+\.\s+(.*)$", fix, re.M)
    assert steps and steps[-1].startswith("**Check it's fixed.**"), (
        f"{relpath(path)}: the last Fix step is {steps[-1] if steps else None!r}"
    )
