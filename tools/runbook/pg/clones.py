"""Databases on a server: a template loaded once from SQL files, and per-test clones of it
made in a few milliseconds (CREATE DATABASE ... TEMPLATE), dropped in the background.
"""

from __future__ import annotations

import os
from pathlib import Path

from runbook.pg.base import DATABASE_COLLATION, Server, quote_ident


class Database:
    """A database on a server: `name`, `url`, `execute()`, `snapshot()`, `drop()`."""

    def __init__(self, server: Server, name: str):
        self.server = server
        self.name = name
        self.url = server.url(name)
        self._conn = None

    def connection(self):
        if self._conn is None or self._conn.closed:
            self._conn = self.server.connect(self.name)
        return self._conn

    def execute(self, sql: str, params=None) -> list[tuple]:
        """Run one statement (or several, without params) in autocommit; rows of the last one."""
        cur = self.connection().execute(sql, params)
        return cur.fetchall() if cur.description else []

    def tables(self, schemas=("receiving", "warehouse")) -> list[str]:
        rows = self.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1",
            (list(schemas),),
        )
        return [r[0] for r in rows]

    def snapshot(self, schemas=("receiving", "warehouse")) -> dict[str, list[tuple]]:
        """{schema.table: rows sorted} for every table in the schemas: compare before and after."""
        out = {}
        for table in self.tables(schemas):
            schema, name = table.split(".", 1)
            rows = self.execute(f"select * from {quote_ident(schema)}.{quote_ident(name)}")
            out[table] = sorted(rows, key=repr)
        return out

    def close(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.close()

    def drop(self) -> None:
        self.close()
        drop_database(self.server, self.name)

    def drop_later(self) -> None:
        """Close, and drop in the background (see Server.drop_later)."""
        self.close()
        self.server.drop_later(self.name)

    def __repr__(self) -> str:
        return f"<Database {self.name} on {self.server.provider}>"


def load_sql(server: Server, dbname: str, sql_files) -> None:
    """Run SQL files (plain SQL, no psql meta-commands) in one transaction each."""
    with server.connect(dbname) as conn:
        for path in sql_files:
            text = Path(path).read_text()
            try:
                with conn.transaction():
                    conn.execute(text)
            except Exception as exc:
                raise RuntimeError(f"{path}: {exc}") from exc


def clone_strategy(server: Server) -> str:
    """CREATE DATABASE strategy for clones: RUNBOOK_PG_CLONE_STRATEGY, else file_copy on our own
    PostgreSQL >= 15 servers (fsync is off there, so its checkpoints are cheap; about twice as fast
    as wal_log for this schema on PG 18), else the server's default (an existing server's
    checkpoints are not ours to force)."""
    env = os.environ.get("RUNBOOK_PG_CLONE_STRATEGY", "").strip().lower()
    if env:
        if env not in ("wal_log", "file_copy", "default"):
            raise ValueError(f"RUNBOOK_PG_CLONE_STRATEGY={env}: expected wal_log, file_copy or default")
        return "" if env == "default" else env
    if server.provider != "url" and getattr(server, "server_version_num", 0) >= 150000:
        return "file_copy"
    return ""


def create_database(server: Server, name: str, template: str = "template0",
                    strategy: str = "") -> Database:
    """An empty database (template0) gets the run's collation and UTF8 explicitly, so that an
    existing server with another default sorts as our own servers do; a clone inherits them."""
    sql = f"create database {quote_ident(name)} template {quote_ident(template)}"
    if template == "template0":
        sql += (f" encoding 'UTF8' lc_collate '{DATABASE_COLLATION}'"
                f" lc_ctype '{DATABASE_COLLATION}'")
        if getattr(server, "server_version_num", 0) >= 150000:  # a server whose default is ICU
            sql += " locale_provider libc"
    if strategy:
        sql += f" strategy {strategy}"
    server.admin_execute(sql)
    server.created_databases.append(name)
    return Database(server, name)


def create_template(server: Server, name: str, sql_files) -> str:
    """Create database `name` from template0 and load the SQL files into it; returns the name.

    Roles the files create (among FIXTURE_ROLES) are remembered so that an existing server gets
    back only what it had.
    """
    before = server.existing_roles()
    db = create_database(server, name)
    try:
        load_sql(server, name, sql_files)
    finally:
        server.created_roles |= server.existing_roles() - before - getattr(server, "roles_before", set())
        db.close()
    return name


_clone_counter = iter(range(1, 10**9))


def clone(server: Server, template: str, name: str | None = None) -> Database:
    """A fresh database copied from `template` (which must have no open connections)."""
    name = name or server.db_name(f"t{next(_clone_counter)}")
    return create_database(server, name, template=template, strategy=clone_strategy(server))


def drop_database(server: Server, name: str) -> None:
    server.admin_execute(server.drop_sql(name))
    if name in server.created_databases:
        server.created_databases.remove(name)
