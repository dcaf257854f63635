"""Writes of the jobs a user watches, and of alerts for the administrators."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import mail_admins
from django.utils import timezone

from .models import Alert, Job
from .queue import policy_for

logger = logging.getLogger("jianbei.jobs")


def job_start(*, user, title: str, next_url: str = "") -> Job:
    return Job.objects.create(user=user, title=str(title)[:200], next_url=next_url)


def job_progress(*, job: Job, done: int, total: int | None = None) -> None:
    """Record progress in its own statement (outside any transaction of the task, so the page sees it)."""
    job.done = done
    fields = {"done": done}
    if total is not None:
        job.total = fields["total"] = total
    Job.objects.filter(pk=job.pk).update(**fields)


def job_finish(*, job: Job, message: str = "", content: bytes | None = None, filename: str = "") -> None:
    """Done: keep the file (served to the job's user only) and the message shown on the job's page."""
    if content is not None:
        job.file = default_storage.save(f"jobs/{job.user_id}/{job.pk}-{filename}", ContentFile(content))
        job.filename = filename
    job.status, job.message, job.finished_at = Job.Status.DONE, str(message), timezone.now()
    job.done = max(job.done, job.total)
    job.save(update_fields=["file", "filename", "status", "message", "finished_at", "done"])


def job_fail(*, job: Job, message: str) -> None:
    job.status, job.message, job.finished_at = Job.Status.FAILED, str(message), timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])


@contextmanager
def job_tracking(*, job_id: str, context):
    """Inside a task that takes its context: the Job (marked running); when the task raises on its last
    attempt the Job is marked failed, so the page stops waiting (earlier attempts are retried)."""
    job = Job.objects.get(pk=job_id)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    job.status = Job.Status.RUNNING
    try:
        yield job
    except Exception:
        if context.attempt >= policy_for(context.task_result.task.module_path).max_attempts:
            job_fail(job=job, message=Job.FAILED_MESSAGE)
        raise


def alert_raise(*, message: str) -> Alert:
    """Tell the administrators: an alert in the Django admin (Background jobs → Alerts), an error in the
    log, and an e-mail to ADMINS where configured."""
    alert = Alert.objects.create(message=message)
    logger.error("ALERT: %s", message)
    try:
        mail_admins("Jiangbei workbench alert", message)
    except Exception:  # the alert row and the log line are there; a mail server down must not hide them
        logger.exception("The alert could not be e-mailed to ADMINS")
    return alert
