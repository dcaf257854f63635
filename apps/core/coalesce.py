"""Follow-up work that several writes of one operation would each trigger — a roll-up recount after every
save of a request — done once, at the end of the outermost `coalesced()` block, still inside the caller's
transaction (so it stays all-or-nothing with the writes).

    @transaction.atomic
    @coalesced()                 # inside the atomic block: the work is flushed before the commit
    def request_transition(...): ...

    def recount(keys):
        if later(recount, keys):  # queued: the block will call recount(all keys) once
            return
        ...                       # outside any block (admin, shell): done at once
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar

_queue: ContextVar[dict | None] = ContextVar("coalesced_work", default=None)


@contextmanager
def coalesced():
    if _queue.get() is not None:  # an outer block flushes
        yield
        return
    queue: dict[Callable, set] = {}
    token = _queue.set(queue)
    try:
        yield
    finally:
        _queue.reset(token)
    # reached only when the block succeeded: an exception skips the work (its transaction rolls back)
    for work, keys in queue.items():
        work(keys)


def later(work: Callable[[set], None], keys: Iterable) -> bool:
    """Queue `work(keys)` for the end of the current block; False when there is no block (do it now)."""
    queue = _queue.get()
    if queue is None:
        return False
    queue.setdefault(work, set()).update(keys)
    return True
