"""The ``url`` provider: an existing server (RUNBOOK_DATABASE_URL) on which only the databases
this run creates (named ``runbook_<run>_*``) are touched, and dropped at the end; roles the
fixture creates there (``reporter``, ``metabase``) are dropped too, roles that already existed are
left alone. The user needs CREATEDB (and CREATEROLE unless those roles exist).
"""

from __future__ import annotations

import sys
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from runbook.pg.base import _RUNNING, Server, ServerStartError, quote_ident


def url_with_dbname(url: str, dbname: str) -> str:
    """The same server as `url` (a URI or key=value conninfo), database `dbname`, as a URI."""
    if url.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname), parts.query, ""))
    from psycopg.conninfo import conninfo_to_dict

    params = {k: str(v) for k, v in conninfo_to_dict(url).items() if k != "dbname"}
    return f"postgresql:///{quote(dbname)}" + ("?" + urlencode(params) if params else "")



class UrlServer(Server):
    """An existing server (RUNBOOK_DATABASE_URL): only this run's databases are touched."""

    provider = "url"

    def __init__(self, url: str):
        super().__init__()
        self.base_url = url
        from psycopg.conninfo import conninfo_to_dict

        self.admin_db = conninfo_to_dict(url).get("dbname") or "postgres"
        self.roles_before: set[str] = set()

    def url(self, dbname: str | None = None) -> str:
        return url_with_dbname(self.base_url, dbname or self.admin_db)

    def start(self) -> UrlServer:
        import psycopg

        try:
            self._fetch_version()
        except psycopg.Error as exc:
            raise ServerStartError(f"RUNBOOK_DATABASE_URL: cannot connect: {exc}") from exc
        self.roles_before = self.existing_roles()
        _RUNNING.add(self)
        return self

    def describe(self) -> str:
        parts = urlsplit(self.url())
        host = parts.hostname or dict(
            p.split("=", 1) for p in parts.query.split("&") if "=" in p
        ).get("host", "localhost")
        return f"provider url ({host}), PostgreSQL {self.version}, collation {self.collation()}"

    def _shutdown(self) -> None:
        # Drop what this run created, newest first, then the roles it created, if they are free.
        import psycopg

        try:
            admin = self.admin()
        except psycopg.Error:
            return
        for name in reversed(self.created_databases):
            try:
                admin.execute(self.drop_sql(name))
            except psycopg.Error as exc:
                print(f"runbook: could not drop database {name}: {exc}", file=sys.stderr)
        for role in sorted(self.created_roles):
            try:
                admin.execute(f"drop role if exists {quote_ident(role)}")
            except psycopg.Error as exc:  # another run's database still uses it
                print(f"runbook: left role {role} in place: {exc}".strip(), file=sys.stderr)
