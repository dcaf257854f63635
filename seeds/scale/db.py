"""The database side of the generator: which tables it fills, COPY, the refusal check, the wipe, sequences.

Rows are streamed with PostgreSQL's COPY FROM STDIN (psycopg2 `copy_expert`). Ids are given explicitly, so
rows can point at each other before they are written and a run is reproducible to the id; every identity
sequence is moved past the generated ids afterwards.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from contextlib import contextmanager

from django.apps import apps
from django.db import connection, models

from seeds.models import GeneratedDataset

# The apps whose records the generator writes; every table of their models (and their many-to-many tables)
# is "generated": wiped before a run and watched by the refusal check. Reference data set up by migrations
# stays: request categories (with their time limits) and enterprise tags.
GENERATED_APPS = ["units", "accounts", "enterprises", "service", "projects", "research", "investment"]
KEPT_MODELS = {"service.category", "enterprises.tag"}
# Wiped with the users they belong to, but no reason to refuse: signing in to a generated database makes them.
TRANSIENT_MODELS = {"accounts.usersession"}


def _derived() -> set[str]:
    """The campaigns' roll-ups: wiped with the records they count and rebuilt after a load, never refused."""
    from apps.workbench.rollups import models as rollup_models

    return {model._meta.label_lower for model in rollup_models()}


def generated_models() -> list[type[models.Model]]:
    found = []
    for label in GENERATED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.label_lower not in KEPT_MODELS and not model._meta.proxy:
                found.append(model)
    return found


def generated_tables() -> list[str]:
    return [m._meta.db_table for m in generated_models()]


def _numbered(model) -> bool:
    return isinstance(model._meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField)


def _q(name: str) -> str:
    """A quoted identifier. The SQL below names tables and columns from the model registry and the
    catalog (never from input), quoted: hence its `noqa: S608`."""
    return connection.ops.quote_name(name)


# --- COPY ----------------------------------------------------------------------------------------------


def encode(value) -> str:
    """One value in COPY's text format. Generated text never holds tabs, newlines or backslashes."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class Table:
    """A model's table as COPY sees it: the columns the generator fills, then every other column at its
    model default (so a field added later with a default needs no change here)."""

    def __init__(self, model: type[models.Model], columns: list[str]):
        self.name = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{self.name} has no column {sorted(unknown)}")
        rest = []
        for attname, field in fields.items():
            if attname in columns:
                continue
            # a default that depends on the moment (timezone.now) would make runs differ: fill it explicitly
            value = field.get_default()
            moving = field.has_default() and callable(field.default) and field.default not in (dict, list)
            if (value is None and not field.null) or moving:
                raise ValueError(f"generate_scale does not fill {model._meta.label}.{attname}; add it")
            rest.append((field.column, encode(value)))
        self.columns = [fields[c].column for c in columns] + [c for c, _ in rest]
        self.tail = "".join(f"\t{v}" for _, v in rest) + "\n"

    def line(self, *values) -> str:
        return "\t".join(map(encode, values)) + self.tail


class Loader:
    """Streams rows into tables with COPY. A background thread writes each batch while Python builds the
    next one (PostgreSQL works on the other core). Foreign keys are checked at commit (Django declares them
    deferrable) or not at all (replica mode), so batches of different tables may come in any order."""

    BATCH = 20_000

    def __init__(self):
        self._cursor = connection.cursor()  # used by the thread only, while the main thread builds rows
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._buffers: dict[Table, list[str]] = {}
        self._error: BaseException | None = None
        self.counts: dict[str, int] = {}  # rows queued per table
        self.seconds: dict[str, float] = {}  # time spent in COPY per table
        self.waited = 0.0  # time the builder waited for the writer
        self._thread = threading.Thread(target=self._run, name="generate-scale-copy", daemon=True)
        self._thread.start()

    def _run(self):
        while (item := self._queue.get()) is not None:
            if self._error is None:
                table, text = item
                started = time.monotonic()
                try:
                    self._cursor.copy_expert(
                        f"COPY {_q(table.name)} ({', '.join(map(_q, table.columns))}) FROM STDIN",
                        _Text(text),
                        size=1 << 18,
                    )
                except BaseException as exc:  # raised again in the main thread
                    self._error = exc
                self.seconds[table.name] = self.seconds.get(table.name, 0) + time.monotonic() - started

    def add(self, table: Table, line: str) -> None:
        """Queue one line (from `table.line`) for `table`."""
        buffer = self._buffers.setdefault(table, [])
        buffer.append(line)
        if len(buffer) >= self.BATCH:
            self._send(table)

    def _send(self, table: Table) -> None:
        if self._error is not None:
            raise self._error
        lines = self._buffers.pop(table, [])
        if lines:
            self.counts[table.name] = self.counts.get(table.name, 0) + len(lines)
            text = "".join(lines)
            started = time.monotonic()
            self._queue.put((table, text))
            self.waited += time.monotonic() - started

    def abandon(self) -> None:
        """Stop after a failure elsewhere (the transaction is rolled back anyway)."""
        self._error = self._error or RuntimeError("abandoned")
        self._buffers.clear()
        self._queue.put(None)
        self._thread.join()

    def flush(self) -> None:
        """Queue the lines still buffered (at the end of a part, so that its counts are exact)."""
        for table in list(self._buffers):
            self._send(table)

    def finish(self) -> None:
        """Write what is left and wait for the thread."""
        self.flush()
        self._queue.put(None)
        self._thread.join()
        self._cursor.close()
        if self._error is not None:
            raise self._error


class _Text:
    """A read-only file over a str, for copy_expert (avoids StringIO's copy of a large batch)."""

    def __init__(self, text: str):
        self._data = text.encode()
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


# --- the refusal check, the wipe and the sequences -----------------------------------------------------


def foreign_rows() -> dict[str, int]:
    """Rows of generated tables that the generator did not write: any row, if the database was never
    generated; rows above the ids the last run wrote, if it was."""
    marker = GeneratedDataset.objects.order_by("-created_at", "-id").first()
    written = marker.max_ids if marker else {}
    found = {}
    with connection.cursor() as cursor:
        for model in generated_models():
            table = model._meta.db_table
            if model._meta.label_lower in TRANSIENT_MODELS | _derived():
                continue
            if _numbered(model):
                column = _q(model._meta.pk.column)
                sql = f"SELECT count(*) FROM {_q(table)} WHERE {column} > %s"  # noqa: S608
                cursor.execute(sql, [written.get(table, 0)])
            else:
                cursor.execute(f"SELECT greatest(count(*) - %s, 0) FROM {_q(table)}", [written.get(table, 0)])  # noqa: S608
            n = cursor.fetchone()[0]
            if n:
                found[table] = n
    return found


def _references(cursor, tables: list[str]) -> list[tuple[str, str, bool, str]]:
    """Foreign keys into `tables`: (referencing table, column, nullable, referenced table)."""
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, a.attname, NOT a.attnotnull, c.confrelid::regclass::text
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY(%s)
        """,
        [tables],
    )
    return [
        (child.strip('"'), column, nullable, parent.strip('"')) for child, column, nullable, parent in cursor
    ]


def wipe() -> None:
    """Empty every generated table and restart its ids.

    Rows of other tables that point at generated rows (the figures' roll-ups, the admin log, a published
    board, an indicator version's editor) describe the data being replaced: the reference is cleared, or
    the row deleted when the reference is required. Tables that such rows point into cannot be truncated
    (PostgreSQL refuses even when nothing points at them any more): they are small (units, users) and are
    emptied with DELETE, after the tables that point at them.
    """
    tables = generated_tables()
    with connection.cursor() as cursor:
        refs = _references(cursor, tables)
        for child, column, nullable, _parent in refs:
            if child in tables:
                continue
            if nullable:
                cursor.execute(f"UPDATE {_q(child)} SET {_q(column)} = NULL WHERE {_q(column)} IS NOT NULL")  # noqa: S608
            else:
                cursor.execute(f"DELETE FROM {_q(child)} WHERE {_q(column)} IS NOT NULL")  # noqa: S608
        # Truncate all but the tables referenced from outside the truncated set (and what they reference).
        truncated = set(tables)
        changed = True
        while changed:
            changed = False
            for child, _column, _nullable, parent in refs:
                if parent in truncated and child not in truncated:
                    truncated.discard(parent)
                    changed = True
        cursor.execute(f"TRUNCATE {', '.join(_q(t) for t in tables if t in truncated)} RESTART IDENTITY")
        deleted = [t for t in tables if t not in truncated]
        # children first: a table is deleted after every remaining table that points at it
        while deleted:
            for table in deleted:
                if not any(p == table and c in deleted and c != table for c, _x, _n, p in refs):
                    cursor.execute(f"DELETE FROM {_q(table)}")  # noqa: S608
                    deleted.remove(table)
                    break
        GeneratedDataset.objects.all().delete()


def reset_sequences() -> dict[str, int]:
    """Move each generated table's id sequence past its highest id; returns the highest ids (the row
    count for a table without numbered ids)."""
    max_ids, derived = {}, _derived()
    with connection.cursor() as cursor:
        for model in generated_models():
            if model._meta.label_lower in derived:  # rebuilt after the load, not written by it
                continue
            table = _q(model._meta.db_table)
            if _numbered(model):
                column = _q(model._meta.pk.column)
                top = f"coalesce(max({column}), 0)"
                sql = f"SELECT setval(pg_get_serial_sequence(%s, %s), {top} + 1, false), {top} FROM {table}"  # noqa: S608
                cursor.execute(sql, [table, model._meta.pk.column])
                max_ids[model._meta.db_table] = cursor.fetchone()[1]
            else:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
                max_ids[model._meta.db_table] = cursor.fetchone()[0]
    return max_ids


@contextmanager
def indexes_set_aside(log=lambda line: None):
    """Drop the secondary indexes of the generated tables for the load, and build them again after it.

    Building an index over a full table (one sort) costs a fraction of keeping it up row by row during a
    COPY of millions of rows. Indexes that back a constraint (primary keys, unique) stay.
    """
    tables = generated_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid::regclass::text = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
    log(f"indexes: {len(indexes)} built again in {time.monotonic() - started:.1f} s")


def replica_mode() -> bool:
    """Skip triggers for the rest of the transaction when the database user may (a superuser).

    Generated rows are not user activity: the audit triggers would record 10 million "inserts" nobody made
    and slow the load several times over; foreign-key triggers are skipped too, which is safe because the
    generator writes consistent ids (its tests check the links). Without the privilege the load just runs
    with the triggers.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True
