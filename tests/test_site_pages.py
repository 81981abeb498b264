"""What the built pages give the person on call, read from the HTML of `mkdocs build --strict`:
the summary box of every problem page, one name per problem (nav, home table, title), a page per
section, tags that link to the tags page, contacts from docs/contacts.yml, the 404 page, SITE_URL,
a build without .git, and the single printable page.

Layout and sizes in a browser are tests/test_pages_browser.py's.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from runbook.triage.pages import front_matter
from sitebuild import REPO, failure, mkdocs_command, run_build_with

DOCS = REPO / "docs"
AREAS = sorted(p.parent.name for p in DOCS.glob("*/index.md"))


def text_of(fragment: str) -> str:
    """The text of an HTML fragment, whitespace collapsed (no space left before : , .)."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).replace("¶", "").split())
    return re.sub(r" ([:,.])", r"\1", text)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def problem_pages() -> list[str]:
    """docs-relative paths of the problem pages: the pages of a section folder but its index."""
    return sorted(p.relative_to(DOCS).as_posix() for a in AREAS for p in (DOCS / a).glob("*.md")
                  if p.name != "index.md")


def meta_of(rel: str) -> dict:
    meta, _ = front_matter((DOCS / rel).read_text(encoding="utf-8"))
    assert meta, f"{rel}: no front matter"
    return meta


def h1_of(built: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", built, re.S)
    assert match, "no <h1>"
    return text_of(match.group(1))


def built_page(site: Path, rel: str) -> str:
    folder = rel[: -len("index.md")] if rel.endswith("index.md") else rel[:-3] + "/"
    path = site / folder / "index.html"
    return path.read_text(encoding="utf-8")


def test_sections_and_problems_are_found():
    assert set(AREAS) >= {"etl", "metabase", "results", "services"}
    assert len(problem_pages()) >= 20


# ---------------------------------------------------------------- summary box


@pytest.mark.parametrize("rel", problem_pages())
def test_summary_box_shows_the_front_matter(site, rel):
    meta, built = meta_of(rel), built_page(site, rel)
    box = re.search(r'<aside class="oncall-summary[^"]*"[^>]*>(.*?)</aside>', built, re.S)
    assert box, f"{rel}: no summary box"
    # right under the title, before the first section
    assert built.index("</h1>") < box.start() < built.index('id="what-you-see"')
    body = text_of(box.group(1))
    level, waits = meta["urgency"].split(":", 1)
    assert f"Urgency {level}: {waits.strip()}" in body
    assert f"Affects {meta['impact']}" in body
    assert meta["first_action"] in body
    assert 'href="#fix"' in box.group(1)
    assert re.search(rf'href="(\.\./)+contacts/#{meta["owner"]}">{meta["owner"]}</a>', box.group(1))
    changed = re.search(r"Last changed (.*?) · This page is wrong", body)
    assert changed and re.search(r"\b20\d\d\b", changed.group(1)), f"{rel}: last changed {changed}"
    issue = re.search(r'href="([^"]*issues/new\?[^"]*)"', box.group(1))
    assert issue, f"{rel}: no 'this page is wrong' link"
    url = unquote(html.unescape(issue.group(1)))
    assert url.startswith("https://github.com/seattleflu/id3c-runbook/issues/new?title=Page is wrong: ")
    assert h1_of(built) in url and rel[:-3] + "/" in url


def test_other_pages_show_last_changed_and_the_wrong_page_link(site):
    for rel in ["index.md", "contacts.md", "errata.md", "etl/index.md"]:
        built = built_page(site, rel)
        assert "oncall-summary" not in built
        assert "This page is wrong" in built and "Last changed" in built, rel


# ---------------------------------------------------------------- one name per problem


def nav_labels(built: str) -> dict[str, str]:
    """href (as written on the home page) -> label of every link in the primary nav."""
    nav = built.split('class="md-nav md-nav--primary"', 1)[1].split('class="md-sidebar md-sidebar--secondary"', 1)[0]
    return {m.group(1): text_of(m.group(2))
            for m in re.finditer(r'<a href="([^"]+)" class="md-nav__link[^"]*">(.*?)</a>', nav, re.S)}


@pytest.mark.parametrize("rel", problem_pages())
def test_one_name_per_problem_in_nav_home_and_title(site, rel):
    title = h1_of(built_page(site, rel))
    home = built_page(site, "index.md")
    href = rel[:-3] + "/"
    assert nav_labels(home).get(href) == title, f"nav says {nav_labels(home).get(href)!r}, the page {title!r}"
    links = {text_of(m.group(1)) for m in re.finditer(rf'<td><a href="{re.escape(href)}">(.*?)</a>', home)}
    assert links == {title}, f"home table says {links}, the page {title!r}"


# ---------------------------------------------------------------- sections and tags


@pytest.mark.parametrize("area", AREAS)
def test_section_page_lists_its_problems_with_a_symptom(site, area):
    built = built_page(site, f"{area}/index.md")
    rows = re.findall(r'<tr>\s*<td><a href="([^"]+)">(.*?)</a></td>\s*<td>(.*?)</td>', built, re.S)
    pages = sorted(p.stem for p in (DOCS / area).glob("*.md") if p.name != "index.md")
    assert sorted(href.rstrip("/") for href, _, _ in rows) == pages
    for href, label, symptom in rows:
        assert text_of(label) == h1_of(built_page(site, f"{area}/{href.rstrip('/')}.md"))
        assert len(text_of(symptom)) > 10
    # navigation.indexes: the section header in the nav is a link to this page
    home = built_page(site, "index.md")
    assert f'href="{area}/"' in home, f"the nav does not link the {area} section page"


@pytest.mark.parametrize("rel", problem_pages())
def test_tags_link_to_the_tags_page(site, rel):
    tags = meta_of(rel).get("tags") or []
    built = built_page(site, rel)
    for tag in tags:
        assert re.search(rf'<a href="(\.\./)+tags/#tag:[\w-]+" class="md-tag[^"]*">\s*{re.escape(tag)}\s*</a>', built), (
            f"{rel}: tag {tag} does not link to the tags page"
        )
    tags_page = built_page(site, "tags.md")
    assert all(f'href="../{rel[:-3]}/"' in tags_page for _ in tags[:1]), f"{rel} not on the tags page"


# ---------------------------------------------------------------- contacts


def test_contacts_page_has_no_todo_and_says_what_is_not_set(site):
    built = built_page(site, "contacts.md")
    body = text_of(built.split('<article', 1)[1])
    assert "TODO" not in body and "put the current" not in body
    assert "not set for this deployment" in body
    data = yaml.safe_load((DOCS / "contacts.yml").read_text(encoding="utf-8"))
    for role in data["roles"]:
        assert f'id="{role["id"]}"' in built
        assert role["name"] in body


def test_contacts_page_renders_what_a_deployment_fills_in(tmp_path):
    """A deployment's values appear as links; the ones it leaves empty say so."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DOCS / "contacts.md", docs / "contacts.md")
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    data = yaml.safe_load((DOCS / "contacts.yml").read_text(encoding="utf-8"))
    data["on_call"]["rota"] = "https://rota.example.org/id3c"
    data["on_call"]["pager"] = None
    data["on_call"]["channel"]["url"] = "https://chat.example.org/id3c-alerts"
    (docs / "contacts.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        f"INHERIT: {REPO / 'mkdocs.yml'}\ndocs_dir: {docs}\nwatch: []\nhooks: []\n"
        f"theme: {{name: material, custom_dir: {REPO / 'overrides'}}}\n"
        "nav: [index.md, contacts.md]\nstrict: false\n", encoding="utf-8")
    proc = run_build_with(config, tmp_path / "site", strict=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    built = (tmp_path / "site" / "contacts" / "index.html").read_text(encoding="utf-8")
    assert '<a href="https://rota.example.org/id3c">the current rota</a>' in built
    assert '<a href="https://chat.example.org/id3c-alerts">Slack #id3c-alerts</a>' in built
    pager = re.search(r"<td>pager</td>\s*<td>(.*?)</td>", built, re.S)
    assert pager and text_of(pager.group(1)) == "not set for this deployment"


# ---------------------------------------------------------------- 404, SITE_URL, no .git


def test_404_page_offers_search_and_home(site):
    built = (site / "404.html").read_text(encoding="utf-8")
    article = built.split("<article", 1)[1].split("</article>", 1)[0]
    assert 'for="__search"' in article
    assert re.search(r'<a class="md-button" href="[^"]+">Go to the home page</a>', article)


def test_site_url_comes_from_the_environment(tmp_path):
    url = "https://runbook.example.org/id3c/"
    proc = run_build_with(REPO / "mkdocs.yml", tmp_path / "site", env={"SITE_URL": url})
    assert not failure(proc), failure(proc)
    sitemap = (tmp_path / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{url}etl/</loc>" in sitemap and "localhost" not in sitemap
    page = (tmp_path / "site" / "etl" / "sample-not-found" / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{url}etl/sample-not-found/">' in page


def test_site_builds_from_a_tarball_without_git(tmp_path):
    """A release tarball has no .git: the last-changed dates fall back to the build date."""
    tree = tmp_path / "tree"
    for name in ["docs", "snippets", "overrides", "tools"]:
        shutil.copytree(REPO / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "mkdocs.yml", tree / "mkdocs.yml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(tree / "tools"), GIT_CEILING_DIRECTORIES=str(tmp_path))
    proc = subprocess.run([*mkdocs_command(), "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    built = (tmp_path / "site" / "etl" / "sample-not-found" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"Last changed <span[^>]*>[^<]*20\d\d", built)


# ---------------------------------------------------------------- the printable page


def test_print_page_holds_every_page_and_its_snippets_offline(site):
    built = (site / "print_page" / "index.html").read_text(encoding="utf-8")
    for rel in problem_pages() + ["contacts.md", "errata.md"]:
        assert h1_of(built_page(site, rel)) in text_of(built), f"{rel} is not on the print page"
    # the snippets are included, as on their pages: a statement of a write and of a read snippet
    for snippet in ["snippets/sql/etl/mark-presence-absence-skipped.sql", "snippets/sql/etl/show-identifier.sql"]:
        line = next(ln for ln in (REPO / snippet).read_text(encoding="utf-8").splitlines()
                    if ln.strip() and not ln.startswith("--") and len(ln) > 12)
        assert squeeze(line) in squeeze(text_of(built)), f"{snippet}: {line!r} not printed"
    # nothing it loads comes from another host
    loads = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"', built)
    assert loads and not [u for u in loads if re.match(r"(https?:)?//", u) and "localhost" not in u], loads


# ---------------------------------------------------------------- a plain static server


@pytest.fixture(scope="module")
def static_server(site):
    """`python3 -m http.server` on the built folder: what any static host does, no MkDocs."""
    proc = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1"],
                            cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ..."
        port = re.search(r"port (\d+)", line)
        assert port, f"http.server said {line!r}"
        yield f"http://127.0.0.1:{port.group(1)}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("area", AREAS)
def test_section_url_answers_200_from_a_plain_static_server(static_server, area):
    from urllib.request import urlopen

    with urlopen(f"{static_server}{area}/", timeout=10) as response:
        assert response.status == 200
        body = response.read().decode("utf-8")
    assert "Directory listing" not in body
    for page in (DOCS / area).glob("*.md"):
        if page.name != "index.md":
            assert f'href="{page.stem}/"' in body, f"/{area}/ does not link {page.stem}"


def test_every_stylesheet_and_script_of_the_site_is_linked_from_its_pages(site):
    """Each CSS and JS file of docs/ reaches the built pages: a second `extra_css:` key in
    mkdocs.yml once dropped the forms' stylesheet silently (YAML keeps the last key)."""
    home = built_page(site, "index.md")
    problem = built_page(site, "etl/sample-not-found.md")
    for path in sorted((REPO / "docs").rglob("*")):
        if path.suffix in (".css", ".js") and path.is_file():
            rel = path.relative_to(REPO / "docs").as_posix()
            assert rel in home and rel in problem, f"{rel} is linked from no page"


def test_mkdocs_yml_names_no_top_level_key_twice():
    keys = re.findall(r"(?m)^([A-Za-z_]+):", (REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []
