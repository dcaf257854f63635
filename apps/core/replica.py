"""Reads from a streaming replica, when `DATABASE_REPLICA_URL` adds one (the `replica` database alias).

Only what is marked reads there: a view decorated with `@reads_from_replica` (the figures pages, the
dashboard, the figures API, the ranking board) runs its reads — template rendering included — on the
replica. Everything else stays on the primary: every write, the session, the to-do lists, the forms,
publishing a board. Four rules keep a reader from seeing the past:

- *Read your writes.* `PrimaryAfterWriteMiddleware` gives a browser that has just sent a POST (or any other
  write method) a cookie for `JIANBEI_READ_YOUR_WRITES_SECONDS` (default 10): while it holds, that browser
  reads the primary everywhere, so a user who has just logged a visit sees it counted at once. A cookie, not
  the session: the session lives on the primary, and marking it would add a write to every POST.
- *Inside a transaction on the primary, reads stay there* (they must see the transaction's own writes).
- *Writes always go to the primary*, also of a row read from the replica.
- *Unreachable replica: read the primary.* Before a marked view runs, the replica connection is checked
  (a connection kept open is checked once per request, as the primary's is; a new one gives up after
  `DATABASE_REPLICA_CONNECT_TIMEOUT` seconds); when the check fails, or the view fails on a lost replica
  connection, the view runs on the primary and the replica is left alone for
  `DATABASE_REPLICA_RETRY_SECONDS` (default 30) — one slow attempt per process per period, never a 500.

Lives in core, not in the project package: the campaign apps' views import the decorator, and every app may
depend on core, while `jianbei/` sits above the apps (its urls import them).
"""

from __future__ import annotations

import functools
import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

REPLICA = "replica"
COOKIE = "jb_primary"  # "this browser wrote a moment ago: read the primary"
_COOKIE_SALT = "apps.core.replica"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

logger = logging.getLogger("jianbei.replica")

#: The alias reads go to in this request's marked view (None: no opinion, i.e. the primary).
_reading_from: ContextVar[str | None] = ContextVar("reading_from", default=None)
#: Until when (time.monotonic) this process leaves an unreachable replica alone.
_replica_down_until = 0.0


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def _mark_down(exc: Exception) -> None:
    global _replica_down_until
    _replica_down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
    connections[REPLICA].close()
    logger.warning(
        "Replica unreachable (%s); reading the primary for %s s", exc, settings.REPLICA_RETRY_SECONDS
    )


def replica_usable() -> bool:
    """Is there a replica, not resting after a failure, that answers now? Connects if need be."""
    if not replica_configured() or time.monotonic() < _replica_down_until:
        return False
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return False
    replica = connections[REPLICA]
    try:
        replica.close_if_health_check_failed()  # a kept connection: one SELECT 1 per request
        replica.ensure_connection()
    except (OperationalError, InterfaceError) as exc:
        _mark_down(exc)
        return False
    return True


def reads_from_replica(view):
    """Run a read-only view's reads on the replica, if there is one the request may use (a GET, not right
    after this browser's own write, the replica reachable); else, or when the replica goes away while the
    view runs, on the primary."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in SAFE_METHODS or getattr(request, "reads_primary", False):
            return view(request, *args, **kwargs)
        if not replica_usable():
            return view(request, *args, **kwargs)
        token = _reading_from.set(REPLICA)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # a TemplateResponse's queries run here, on the replica too
            return response
        except (OperationalError, InterfaceError) as exc:
            _mark_down(exc)
        finally:
            _reading_from.reset(token)
        return view(request, *args, **kwargs)  # the replica went away mid-view: once more, on the primary

    return wrapped


class ReplicaRouter:
    """Reads go to the replica inside a `reads_from_replica` view only; writes always to the primary."""

    def db_for_read(self, model, **hints):
        alias = _reading_from.get()
        if alias is not None and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return alias
        if _from_replica(hints):
            return DEFAULT_DB_ALIAS  # a row read on the replica: its relations, read later, from the primary
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS if _reading_from.get() is not None or _from_replica(hints) else None

    def allow_relation(self, obj1, obj2, **hints):
        both = {obj1._state.db, obj2._state.db}
        return True if both <= {DEFAULT_DB_ALIAS, REPLICA} else None  # one database, two connections

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None  # the replica copies the primary's schema


def _from_replica(hints) -> bool:
    instance = hints.get("instance")
    return instance is not None and instance._state.db == REPLICA


class PrimaryAfterWriteMiddleware:
    """Read your writes: a browser that sent a write reads the primary for READ_YOUR_WRITES_SECONDS (the
    module docstring). Sets `request.reads_primary` for `reads_from_replica`; with no replica, no cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            request.reads_primary = True
            return self.get_response(request)
        seconds = settings.READ_YOUR_WRITES_SECONDS
        marker = request.get_signed_cookie(COOKIE, default=None, salt=_COOKIE_SALT, max_age=seconds)
        request.reads_primary = marker is not None
        response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            response.set_signed_cookie(
                COOKIE,
                "1",
                salt=_COOKIE_SALT,
                max_age=seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
