"""Computed figures kept until the data under them changes.

The dashboard's values for a period and a month's live board are read far more often than the records
under them change (a meeting projects the board; big screens poll the API; every manager opens the same
month). `cached(key, compute)` returns the result computed for the current state of the database, from
the `figures_computedfigures` table when nothing has been written since it was computed, else computed
and kept. Nothing is ever served stale, so the live board still moves with every write.

How "nothing has been written since" is known, exactly and without making writers wait for each other:

- Every table the figures read (`watched_tables()`: the campaign apps' and the roll-ups' tables) has a
  statement-level trigger, `figures_touch()`, installed after every `migrate`. It takes a *shared*
  transaction-scoped advisory lock (writers never block one another) and then moves the
  `figures_generation` sequence on (a sequence is not transactional: no row is locked).
- A reader reads the sequence's current value G, then tries the same advisory lock *exclusively* for an
  instant (never waiting). It succeeds only if no writing transaction is in progress. Its figures are
  computed in later statements, so they see every transaction committed before that instant.
- A result is kept under G only if the instant was quiet. Any transaction that commits after the instant
  took its shared lock after it, so it moved the sequence past G and the kept result no longer matches.
  When the instant is not quiet the reader computes and keeps nothing.

The key also holds today's date (figures "as of today" change at midnight without a write). Bulk paths that
turn the triggers off (replica mode) call `writing()` and `invalidate()`, a restore `invalidate()`, and every
`migrate` forgets all (a new release may compute or render them differently; deployments run it). A figure
that moves with the time of day without any write (leads past a handling limit *now*, requests overdue
*now*) is never kept: the dashboard and the API show none, and the board measures those as of the month's
end.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

from django.apps import apps
from django.db import connection, connections
from django.utils import timezone

SEQUENCE = "figures_generation"
#: The advisory lock writers hold shared and readers try exclusively (two-int form, its own key space).
LOCK = (7300, 0)
#: Apps whose tables feed the figures and the board.
WATCHED_APPS = ("enterprises", "figures", "investment", "projects", "rankings", "research", "service",
                "units", "workdays")  # fmt: skip
#: Tables of those apps that no figure reads and that change on reading (a notification marked read).
UNWATCHED = {"figures_computedfigures", "service_notification"}
#: Kept results older than this are removed when a new one is kept (yesterday's keys are never read again).
KEEP_DAYS = 2

# A sequence never used reads last_value 1 before and after its first nextval(): 0 until it is called.
_GENERATION = "CASE WHEN g.is_called THEN g.last_value ELSE 0 END"
_LOOKUP = f"""
SELECT {_GENERATION},
       CASE WHEN pg_try_advisory_lock({LOCK[0]}, {LOCK[1]}) THEN pg_advisory_unlock({LOCK[0]}, {LOCK[1]})
            ELSE false END,
       c.payload
  FROM {SEQUENCE} g
  LEFT JOIN figures_computedfigures c ON c.key = %s AND c.generation = {_GENERATION}
"""  # noqa: S608  (constants only; the key is a parameter)

_KEEP = """
WITH old AS (DELETE FROM figures_computedfigures WHERE computed_at < now() - make_interval(days => %s))
INSERT INTO figures_computedfigures (key, generation, payload, computed_at) VALUES (%s, %s, %s, now())
ON CONFLICT (key) DO UPDATE
   SET generation = EXCLUDED.generation, payload = EXCLUDED.payload, computed_at = EXCLUDED.computed_at
 WHERE figures_computedfigures.generation <= EXCLUDED.generation
"""

TOUCH_FUNCTION = f"""
CREATE OR REPLACE FUNCTION figures_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared({LOCK[0]}, {LOCK[1]});
    PERFORM nextval('{SEQUENCE}');
    RETURN NULL;
END $$;
"""


def cached[T](key: str, compute: Callable[[], T]) -> T:
    """`compute()` as of now, kept under `key` (plus today's date) until the next write to a watched table."""
    key = f"{key}@{timezone.localdate():%Y-%m-%d}"
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP, [key])
        generation, quiet, payload = cursor.fetchone()
    if payload is not None:
        return pickle.loads(payload)  # noqa: S301  (written only by this module, as Django's DatabaseCache does)
    value = compute()
    if quiet:
        with connection.cursor() as cursor:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            cursor.execute(_KEEP, [KEEP_DAYS, key, generation, payload])
    return value


def invalidate(using: str = "default") -> None:
    """Forget every kept result: after writes that bypassed the triggers (replica mode, a restore) and after
    every migrate (a release may compute or render them differently)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT nextval('{SEQUENCE}')")
        cursor.execute("DELETE FROM figures_computedfigures")


def writing(using: str = "default") -> None:
    """What the trigger does, for a transaction that writes with the triggers off (replica mode): until it
    ends, no reader keeps a result, and the sequence has moved on."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_xact_lock_shared({LOCK[0]}, {LOCK[1]}), nextval('{SEQUENCE}')")


def watched_tables() -> list[str]:
    tables = {
        model._meta.db_table
        for label in WATCHED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    }
    return sorted(tables - UNWATCHED)


def install_triggers(using: str = "default", **kwargs) -> None:
    """post_migrate: the trigger on every watched table that exists (idempotent; new tables get it on their
    migrate), and every kept result forgotten. Nothing while migrated back before the sequence existed."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [SEQUENCE])
        if not cursor.fetchone()[0]:
            return
        cursor.execute(TOUCH_FUNCTION)
        existing = set(connection.introspection.table_names(cursor))
        for table in watched_tables():
            if table not in existing:
                continue
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER figures_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {connection.ops.quote_name(table)} FOR EACH STATEMENT EXECUTE FUNCTION figures_touch()"
            )
    if "figures_computedfigures" in existing:
        invalidate(using)
