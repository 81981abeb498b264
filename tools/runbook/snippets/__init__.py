"""Snippets: the catalogue of snippet files and their headers, the statement splitter, the psql
runner, and the `list`/`show`/`run`/`check` commands built on them."""
