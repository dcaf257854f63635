"""Statements planned once per database connection.

PostgreSQL plans every statement it is sent. At province scale that was 0.5-1.3 ms of the 1-2 ms a list's
page query costs, and 3 of the 11 ms of the leader's home. The statements composed once per process
(apps.core.batch: `@reused`, `reused_values`, `composed_rows`, `composed_values`) are sent again and again
with the same text. So the second time a connection sends one, it is prepared (`PREPARE`) and executed in the
same round trip; from then on it is executed by name (`EXECUTE`), with no planning.

Parameters are written into the prepared text as literals, so its one plan is the plan of those very
values. A `Late` parameter differs at every read (the moment a home is read at, a page's ids): it stays a
parameter (`$1`, cast to its type), and PostgreSQL plans it as it plans any prepared statement (custom
plans for its first five runs, then a generic plan if that costs no more).

The queries log and the `django.db.backends` logger (Django's debug cursor, `CaptureQueriesContext`) show
each statement as composed, its values in place, not the name sent for it.

Each connection keeps its last `KEPT` statements and deallocates older ones. A statement that fails
after it was prepared is prepared afresh, under a new name, at its next sending but one; the old name stays
unused until the connection closes.

Prepared statements belong to the server session. Behind a transaction-pooling PgBouncer, sessions change
between transactions: set `DB_PREPARED_STATEMENTS=false` there.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg2.extensions import AsIs, register_adapter

# prepared statements per connection, the least recently executed deallocated: a plan kept costs the server
# session ~200 KB (the 28 statements of each role's home, lists and to-do pages at province scale: 5.5 MB)
KEPT = 64
SEEN = 1024  # statements sent once per connection, remembered to prepare at the second sending


@dataclass(frozen=True)
class Late:
    """A parameter given at each read (`value`), of the PostgreSQL type `cast` (e.g. "timestamptz")."""

    value: Any
    cast: str


class _Position(AsIs):
    """Where a `Late` parameter stands in a prepared text: `$n::type`."""


register_adapter(_Position, lambda position: position)


class _Session:
    """One connection's prepared statements (text → name) and the texts it has sent once (their hashes)."""

    def __init__(self):
        self.named: OrderedDict[str, str] = OrderedDict()
        self.seen: OrderedDict[int, None] = OrderedDict()
        self.names = (f"jb_{n}" for n in itertools.count(1))


_sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # the psycopg2 connection → its _Session


def values(params) -> tuple:
    """`params` with each `Late` parameter's value in its place (the statement as sent unprepared)."""
    return tuple(p.value if isinstance(p, Late) else p for p in params)


def execute(cursor, sql: str, params) -> None:
    """Run `sql` with `params` on `cursor` (a Django cursor), prepared the second time this connection sends
    the same text. Read the rows from `cursor` afterwards, as after `cursor.execute`."""
    sent = values(params)
    if not settings.DB_PREPARED_STATEMENTS:
        cursor.execute(sql, sent)
        return
    late, inline = [], []
    for p in params:
        if isinstance(p, Late):
            late.append(p.value)
            inline.append(_Position(f"${len(late)}::{p.cast}"))
        else:
            inline.append(p)
    text = cursor.cursor.mogrify(sql, inline).decode()
    session = _sessions.get(cursor.db.connection)
    if session is None:
        session = _sessions[cursor.db.connection] = _Session()
    name = session.named.get(text)
    if name is not None:
        session.named.move_to_end(text)
        try:
            _send(cursor, sql, sent, f"EXECUTE {name}", late)
        except DatabaseError:  # prepared again at its next sending, whatever became of this one
            del session.named[text]
            raise
        return
    seen = hash(text)
    if seen not in session.seen:  # the first time: planned as usual
        session.seen[seen] = None
        if len(session.seen) > SEEN:
            session.seen.popitem(last=False)
        cursor.execute(sql, sent)
        return
    del session.seen[seen]
    name = next(session.names)
    dropped = ""
    while session.named and len(session.named) >= KEPT:
        _, old = session.named.popitem(last=False)
        dropped += f"DEALLOCATE {old}; "
    prepare = f"{dropped}PREPARE {name} AS {text}; EXECUTE {name}"
    _send(cursor, sql, sent, prepare.replace("%", "%%") if late else prepare, late)
    session.named[text] = name


def _send(cursor, sql: str, sent: tuple, statement: str, late: list) -> None:
    """Send `statement` in place of `sql`, through Django's cursor (its error wrapping and execute wrappers);
    a logged cursor logs `sql` with its values, as it logs any statement, not the name sent for it."""
    arguments = f"({', '.join(['%s'] * len(late))})" if late else ""

    def instead(execute, _sql, _params, many, context):
        return execute(statement + arguments, late or None, many, context)

    with cursor.db.execute_wrapper(instead):
        if isinstance(cursor, CursorDebugWrapper):
            with cursor.debug_sql(cursor.cursor.mogrify(sql, sent).decode()):
                CursorWrapper.execute(cursor, sql, sent)  # not logged again as what was sent
        else:
            cursor.execute(sql, sent)
