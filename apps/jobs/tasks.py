"""The queue's own housekeeping: finished jobs and their files do not pile up."""

from datetime import time, timedelta

from django.core.files.storage import default_storage
from django.tasks import TaskResultStatus
from django.utils import timezone

from .models import Job, PeriodicRun
from .queue import job
from .schedule import periodic

KEEP_SUCCESSFUL = timedelta(days=30)  # failed jobs stay until an admin retries or deletes them
KEEP_USER_FILES = timedelta(days=7)  # an export holds what its user may see: not kept for long
KEEP_SLOTS = timedelta(days=90)


@job(max_attempts=3)
def jobs_prune() -> dict:
    """Delete successful queue rows after 30 days, users' finished jobs and their files after 7, and
    periodic slots after 90. Returns how many of each."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    results, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_SUCCESSFUL
    ).delete()
    old_jobs = Job.objects.filter(finished_at__lt=now - KEEP_USER_FILES)
    for path in old_jobs.exclude(file="").values_list("file", flat=True):
        default_storage.delete(path)
    jobs, _ = old_jobs.delete()
    slots, _ = PeriodicRun.objects.filter(slot__lt=now - KEEP_SLOTS).delete()
    return {"results": results, "jobs": jobs, "slots": slots}


periodic(jobs_prune, at=time(4, 0), name="jobs.prune")
