"""Triage: from error lines to runbook pages, using the `errors:`/`context:` patterns in each
page's front matter; the line scanner, the report and the `runbook triage` command."""
