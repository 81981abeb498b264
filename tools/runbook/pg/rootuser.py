"""Running as root: PostgreSQL refuses to, so the server runs as an unprivileged system user
(RUNBOOK_PG_USER, default ``runbook-postgres``, created with useradd when missing), and the
folders and binaries it needs are opened to others only where they are not already.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

from runbook.pg.base import ServerStartError

DEFAULT_SERVICE_USER = "runbook-postgres"


def service_user() -> str | None:
    """The unprivileged user the server runs as when we are root; None when we are not root."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    import pwd

    name = os.environ.get("RUNBOOK_PG_USER") or DEFAULT_SERVICE_USER
    try:
        pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        result = subprocess.run(
            [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", name],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise ServerStartError(  # noqa: B904
                f"PostgreSQL refuses to run as root and `useradd {name}` failed: "
                f"{result.stderr.strip()}. Create an unprivileged user and set RUNBOOK_PG_USER."
            )
    return name


def open_path_for(*paths: Path) -> None:
    """Let others traverse the folders leading to `paths` and read the binaries and libraries.

    Only permission bits that are missing are added (o+x on ancestors; o+rX inside a PostgreSQL
    install tree), so on a normal system this changes nothing.
    """
    for path in paths:
        path = Path(path).resolve()
        for folder in [*reversed(path.parents), path]:
            mode = folder.stat().st_mode
            if folder.is_dir() and not mode & stat.S_IXOTH:
                folder.chmod(mode | stat.S_IXOTH)
    for bindir in paths[1:]:
        install = Path(bindir).resolve().parent
        for sub in ("bin", "lib", "share"):
            root = install / sub
            if not root.is_dir():
                continue
            for dirpath, _dirs, files in os.walk(root):
                d = Path(dirpath)
                if d.stat().st_mode & 0o005 != 0o005:
                    d.chmod(d.stat().st_mode | 0o005)
                for f in files:
                    p = d / f
                    if p.is_symlink():
                        continue
                    mode = p.stat().st_mode
                    want = stat.S_IROTH | (stat.S_IXOTH if mode & stat.S_IXUSR else 0)
                    if mode & want != want:
                        p.chmod(mode | want)
