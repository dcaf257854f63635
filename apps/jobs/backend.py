"""The project's task backend: django-tasks-db's, plus running at once when JOBS_EAGER is on.

Eager (tests; JIANBEI_JOBS_EAGER=true in development without a worker) stores the row exactly as the queue
does and then runs it in the same process through the same runner as the worker, retry policy included —
so a test sees the same rows, attempts and dead letters a worker would leave. A retry is not run at once:
it waits, as in the queue, until `run_queued(now=...)` reaches its time.
"""

from django.conf import settings
from django_tasks_db.backend import DatabaseBackend


class JobsBackend(DatabaseBackend):
    def enqueue(self, task, args, kwargs):
        result = super().enqueue(task, args, kwargs)
        if getattr(settings, "JOBS_EAGER", False) and task.run_after is None:
            from .queue import run_row  # the runner imports the models; the backend loads before them

            run_row(result.db_result, worker_id="eager")
        return result
