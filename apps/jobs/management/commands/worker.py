"""`manage.py worker`: works the queue (django-tasks-db's worker) and, beside it, the periodic schedule and
the recovery of jobs whose worker died."""

import logging
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from apps.jobs import queue, schedule

logger = logging.getLogger("jianbei.jobs")


class JobsWorker(Worker):
    def run_task(self, db_task_result) -> None:
        super().run_task(db_task_result)
        queue.after_attempt(db_task_result)


def housekeeping(stop: threading.Event, every: float) -> None:
    """Every `every` seconds: enqueue the periodic jobs that are due, and requeue orphaned jobs."""
    while not stop.is_set():
        try:
            close_old_connections()
            queue.recover_orphans()
            for name in schedule.enqueue_due():
                logger.info("Periodic job enqueued: %s", name)
        except Exception:  # keep the schedule alive through a database blip; the next tick tries again
            logger.exception("Worker housekeeping failed")
        finally:
            connection.close()
        stop.wait(every)


class Command(BaseCommand):
    help = "Run the background worker: queued jobs, their retries and the periodic schedule."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument(
            "--housekeeping",
            type=float,
            default=30.0,
            dest="every",
            help="seconds between schedule and orphan checks",
        )
        parser.add_argument("--batch", action="store_true", help="run what is queued now, then exit")

    def handle(self, *args, interval, every: float, batch, verbosity, **options):
        logging.getLogger("jianbei.jobs").setLevel(logging.INFO if verbosity else logging.WARNING)
        worker_id = get_random_string(32)
        own = queue.hold_worker_lock(worker_id)  # released by PostgreSQL when this process ends, however
        stop = threading.Event()
        keeper = threading.Thread(target=housekeeping, args=(stop, every), daemon=True)
        if batch:
            queue.recover_orphans()
            schedule.enqueue_due()
        else:
            keeper.start()
        worker = queue.make_worker(worker_id, JobsWorker, interval=interval, batch=batch)
        self.stdout.write(f"Worker {worker_id} started", self.style.SUCCESS)
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            own.close()
