"""What the site build adds to the pages, as a Python-Markdown extension MkDocs and Zensical both run.

- `extension`: the extension itself (mkdocs.yml `markdown_extensions: runbook.site.extension`);
- `blocks`: around each included snippet, the title line, the parameter form, the parameter lines
  in the block, the caption and the parameter table;
- `patterns`: the pattern file (docs/assets/runbook-patterns.json) for triage in the browser;
- `jsregex`: Python patterns written as JavaScript ones, or refused;
- `hooks`: the MkDocs hook left for front-matter checks (Zensical skips it; tests run them too);
- `compare`: MkDocs' and Zensical's builds side by side (`nox -s docs-zensical`).

The browser side lives with the pages: docs/assets/runbook-triage.js, runbook-forms.js, runbook.css.
"""
