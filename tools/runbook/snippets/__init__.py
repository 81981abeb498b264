"""Snippets: the catalogue of snippet files and their headers (catalog), where pages include them
(includes), the statement splitter (statements), the psql client and the runner (client, runner),
`runbook check` (check), receipts and undo (receipts, undo), and the commands built on them:
list/show/run/check (commands), receipts/undo (receipt_commands)."""
