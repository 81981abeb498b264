"""The `runbook` command: one entry point, each subcommand living in the module that does its job.

Subcommands load lazily so that `runbook build-py36` on a bare Mac needs nothing that the
database commands import, and a broken module breaks only its own command.
"""

from __future__ import annotations

import importlib

import click

COMMANDS = {
    "list": ("runbook.snippets.commands:list_cmd", "List the snippets: id, title, effect, page."),
    "show": ("runbook.snippets.commands:show_cmd", "Print a snippet ready to paste, parameters set."),
    "run": ("runbook.snippets.commands:run_cmd", "Run a snippet with psql; writes are dry runs."),
    "receipts": ("runbook.snippets.receipt_commands:receipts_cmd", "List the receipts of committed runs; `show FILE` prints one."),
    "undo": ("runbook.snippets.receipt_commands:undo_cmd", "Put back what a committed run changed, from its receipt."),
    "check": ("runbook.snippets.commands:check_cmd", "Plan every SQL snippet against a live schema."),
    "triage": ("runbook.triage.cli:triage_cmd", "Map error lines or a log to their page; exit 0 found, 1 none, 2 error."),
    "playground": ("runbook.pg.playground:playground_cmd", "Start a throwaway ID3C-like database."),
    "build-py36": ("runbook.py36.cli:build_cmd", "Build Python 3.6 on macOS Big Sur (the guide, scripted)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        target, _ = COMMANDS[name]
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, summary) for name, (_, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(package_name="id3c-runbook")
def main():
    """ID3C Runbook: from an error line to its tested fix."""


if __name__ == "__main__":
    main()
