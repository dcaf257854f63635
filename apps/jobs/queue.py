"""Tasks, their retry policy, and running a queued row (by the worker, eagerly, or in tests).

A queued task is a `django_tasks_db.models.DBTaskResult` row. One row is one job for its whole life: each
attempt appends its worker's id to `worker_ids` (so `len(worker_ids)` is the attempt number). After a failed
attempt the task's policy either puts the row back to READY with `run_after` = now + back-off, or leaves it
FAILED: the dead-letter list (Django admin → Background jobs → Failed jobs, with a retry action).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.tasks import Task, TaskResultStatus, task
from django.utils import timezone

logger = logging.getLogger("jianbei.jobs")

# The advisory-lock namespace of live workers: a worker holds (LOCK_NAMESPACE, hashtext(worker id)) on a
# connection of its own for as long as it lives; a RUNNING row whose worker's lock is free was orphaned.
LOCK_NAMESPACE = 742_001


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)

    def delay(self, attempt: int) -> timedelta:
        """Wait after failed attempt `attempt` (1-based): backoff, 2×, 4×… capped at max_backoff."""
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)


DEFAULT_POLICY = RetryPolicy()
_policies: dict[str, RetryPolicy] = {}


def job(
    function: Callable | None = None,
    *,
    max_attempts: int = DEFAULT_POLICY.max_attempts,
    backoff: timedelta = DEFAULT_POLICY.backoff,
    max_backoff: timedelta = DEFAULT_POLICY.max_backoff,
    queue_name: str = "default",
    priority: int = 0,
    takes_context: bool = False,
) -> Task | Callable[[Callable], Task]:
    """A task with a retry policy: `@job`, or `@job(max_attempts=8, backoff=timedelta(minutes=1))`.
    max_attempts counts every run (1: never retried)."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    policy = RetryPolicy(max_attempts=max_attempts, backoff=backoff, max_backoff=max_backoff)

    def wrap(func: Callable) -> Task:
        defined = task(func, queue_name=queue_name, priority=priority, takes_context=takes_context)
        _policies[defined.module_path] = policy
        return defined

    return wrap(function) if function is not None else wrap


def policy_for(task_path: str) -> RetryPolicy:
    return _policies.get(task_path, DEFAULT_POLICY)


def run_row(row, *, worker_id: str) -> None:
    """Claim (if not yet claimed) and run one queued row here and now, then apply its retry policy."""
    from django_tasks_db.management.commands.db_worker import Worker

    if row.status != TaskResultStatus.RUNNING:
        row.claim(worker_id)
    runner = make_worker(worker_id, Worker)
    if not connection.in_atomic_block:  # the worker: the task's writes are its own
        runner.run_task(row)
    else:  # eagerly, inside the caller's (or the test's) transaction: a task that breaks it rolls back alone
        try:
            with transaction.atomic():
                runner.run_task(row)
        except Exception as exc:  # the task broke the transaction, so its failure could not be recorded
            row.set_failed(exc.__context__ or exc)
    after_attempt(row)


def make_worker(worker_id: str, worker_class, *, interval: float = 0, batch: bool = True):
    """A django-tasks-db worker of every queue: by default one that runs what is queued and stops (a job run
    eagerly); `manage.py worker` makes its long-running one here too."""
    return worker_class(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def after_attempt(row) -> None:
    """A failed attempt goes back to the queue after its back-off, or, its attempts spent, stays FAILED."""
    if row.status != TaskResultStatus.FAILED:
        return
    policy = policy_for(row.task_path)
    attempt = len(row.worker_ids)
    if attempt < policy.max_attempts:
        retry_at = timezone.now() + policy.delay(attempt)
        type(row).objects.filter(pk=row.pk).update(status=TaskResultStatus.READY, run_after=retry_at)
        row.status, row.run_after = TaskResultStatus.READY, retry_at
        logger.warning(
            "Job %s (%s) failed attempt %d of %d; retrying at %s",
            row.pk,
            row.task_path,
            attempt,
            policy.max_attempts,
            retry_at.isoformat(),
        )
    else:
        logger.error(
            "Job %s (%s) failed %d time(s); moved to the failed jobs list: %s",
            row.pk,
            row.task_path,
            attempt,
            row.exception_class_path,
        )


def ready_rows(now: datetime | None = None):
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = now or timezone.now()
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY).filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=now)
    )


def run_queued(*, now: datetime | None = None, limit: int = 1000, worker_id: str = "in-process") -> int:
    """Run, here, every queued job due by `now` (default: now), oldest first; returns how many ran.

    For tests and for development without a worker. `now` lets a test reach a retry's back-off."""
    ran = 0
    while ran < limit:
        with transaction.atomic():
            row = ready_rows(now).select_for_update(skip_locked=True).first()
            if row is None:
                break
            row.claim(worker_id)
        run_row(row, worker_id=worker_id)
        ran += 1
    return ran


def retry_failed(rows) -> int:
    """Put dead-lettered rows back in the queue for a full new round of attempts (the admin's action)."""
    return rows.filter(status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY, run_after=timezone.now(), worker_ids=[], finished_at=None
    )


# --- Workers' liveness and orphaned jobs -------------------------------------------------------------


def hold_worker_lock(worker_id: str):
    """Open a connection of the worker's own and hold its liveness lock on it; returns the connection
    (keep it open: the lock lives as long as it does, and PostgreSQL frees it when the process dies)."""
    from django.db import connections

    own = connections.create_connection("default")
    own.ensure_connection()
    with own.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, worker_id])
    return own


def _worker_alive(worker_id: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, worker_id])
        (free,) = cursor.fetchone()
        if free:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_NAMESPACE, worker_id])
    return not free


def recover_orphans() -> int:
    """Jobs left RUNNING by a worker that died (killed, crashed, machine lost) go back to the queue — or, if
    that was their last attempt, to the failed list. Returns how many rows were touched."""
    from django_tasks_db.models import DBTaskResult

    orphans = []
    alive: dict[str, bool] = {}
    for row in DBTaskResult.objects.running().only("id", "worker_ids", "task_path", "args_kwargs"):
        worker = row.worker_ids[-1] if row.worker_ids else ""
        if worker not in alive:
            alive[worker] = bool(worker) and _worker_alive(worker)
        if not alive[worker]:
            orphans.append(row)
    now = timezone.now()
    for row in orphans:
        if len(row.worker_ids) < policy_for(row.task_path).max_attempts:
            DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, run_after=now
            )
            logger.warning("Job %s (%s): its worker died; back in the queue", row.pk, row.task_path)
        else:
            DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="apps.jobs.queue.WorkerLost",
                traceback="The worker running this job stopped before it finished, on its last attempt.",
            )
            logger.error("Job %s (%s): its worker died on its last attempt", row.pk, row.task_path)
            _job_failed(row, now)
    return len(orphans)


def _job_failed(row, now) -> None:
    """The user's Job of a task given up (its `job_id`: an export, an import): failed too, so its progress
    page stops waiting — the task itself could not say so (job_tracking) when its worker died."""
    from .models import Job

    job_id = (row.args_kwargs or {}).get("kwargs", {}).get("job_id")
    if job_id:
        Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
            status=Job.Status.FAILED,
            finished_at=now,
            message=str(Job.FAILED_MESSAGE),
        )
