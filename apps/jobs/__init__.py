"""Background work on the PostgreSQL queue: Django's Tasks framework (`django.tasks`) with django-tasks-db,
plus what they lack — retries with back-off, a dead-letter list, periodic schedules, orphan recovery — here.
Why this and not procrastinate: docs/decisions/0002-task-queue.md.

Define a task in the tasks.py of the app whose work it does (it is imported at start-up, by name):

    # apps/messaging/tasks.py
    from datetime import timedelta
    from apps.jobs import job

    @job(max_attempts=5, backoff=timedelta(seconds=30))   # or plain @job (5 attempts, 30 s back-off)
    def delivery_send(*, delivery_id: int) -> None:
        ...                                               # raise to fail this attempt

    @job(takes_context=True)                              # the context tells the attempt number (1-based)
    def robot_post(context, *, delivery_id: int) -> None:
        attempt = context.attempt

Enqueue it with Django's API; arguments must be JSON values (ids, strings — not model instances):

    delivery_send.enqueue(delivery_id=delivery.pk)

The row is written on the default database in the caller's transaction: the job exists exactly when the
caller's writes commit (no on_commit needed), and a worker picks it up after that.

Retry policy: an attempt fails when the task raises. Attempt n (1-based) failed → the job waits
min(backoff × 2^(n−1), max_backoff) (default 30 s, 60 s, 120 s, 240 s; max_backoff 1 hour) and runs again,
up to max_attempts runs in all; then it stays FAILED and shows in the Django admin (Background jobs → Failed
jobs), where an admin may retry it (a full new round of attempts). A job whose worker died mid-run is put
back in the queue by the next worker (it counts as an attempt). Tasks must therefore be safe to run again.

Periodic: `periodic(task, at=time(8, 30), days=predicate)` in tasks.py (local time, Asia/Shanghai).

Run the worker: `manage.py worker` (docker compose: the `worker` service; `make run` starts one).

Tests (and development with JIANBEI_JOBS_EAGER=true) run each job at once when it is enqueued, through the
same runner as the worker (tests/conftest.py sets `settings.JOBS_EAGER = True`). A retry still waits for its
back-off: reach it with `run_queued(now=timezone.now() + timedelta(hours=1))`. With
`settings.JOBS_EAGER = False` a test sees the job queued and runs it with `run_queued()`. The queue's rows:
`django_tasks_db.models.DBTaskResult` (status READY / RUNNING / SUCCESSFUL / FAILED, `worker_ids` one per
attempt).
"""

from .queue import RetryPolicy, job, run_queued
from .schedule import periodic

__all__ = ["RetryPolicy", "job", "periodic", "run_queued"]
