"""The one reader of include lines and code fences (runbook.snippets.includes)."""

from __future__ import annotations

from runbook.snippets.includes import fences, includes, pages_including

PAGE = '''# Page

    ```sql
    --8<-- "snippets/sql/etl/show-identifier.sql"
    ```

~~~~text
```sql
not a fence of its own: inside a tilde fence
```
~~~
still inside: three tildes do not close four
~~~~

See snippets/sql/etl/find-sample.sql (a mention, no include).
````
unclosed'''


def test_fences_close_on_the_same_character_at_least_as_long():
    found = list(fences(PAGE))
    assert [(f.lang, f.start, f.indent) for f in found] == [("sql", 3, "    "), ("text", 7, ""), ("", 16, "")]
    assert found[0].lines == ['    --8<-- "snippets/sql/etl/show-identifier.sql"']
    assert found[1].lines[0] == "```sql" and found[1].lines[-1] == "still inside: three tildes do not close four"
    assert found[2].lines == ["unclosed"]
    lang, lines, start = found[0]  # unpacks as the tests read it
    assert (lang, start) == ("sql", 3)


def test_includes_are_lines_holding_only_the_include(tmp_path):
    assert includes(PAGE) == [(3, "snippets/sql/etl/show-identifier.sql")]
    docs = tmp_path / "docs"
    (docs / "etl").mkdir(parents=True)
    (docs / "etl" / "page.md").write_text(PAGE, encoding="utf-8")
    assert pages_including("snippets/sql/etl/show-identifier.sql", docs) == ["docs/etl/page.md"]
    assert pages_including("snippets/sql/etl/find-sample.sql", docs) == []
