import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_tasks_db.models import DBTaskResult


class PeriodicRun(models.Model):
    """One slot of a periodic schedule, claimed once (apps/jobs/schedule.py)."""

    name = models.CharField(_("schedule"), max_length=200)
    slot = models.DateTimeField(_("slot"))
    enqueued_at = models.DateTimeField(_("enqueued at"), default=timezone.now)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="periodic_run_once")]

    def __str__(self):
        return f"{self.name} @ {self.slot:%Y-%m-%d %H:%M}"


class FailedJob(DBTaskResult):
    """The dead-letter list: queued jobs whose attempts are spent (the admin shows only FAILED rows)."""

    class Meta:
        proxy = True
        verbose_name = _("failed job")
        verbose_name_plural = _("failed jobs")


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Only the user who started a job may watch it or download its file."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class Job(models.Model):
    """Background work a user started and watches: an export or an import's apply step. Its task updates
    `done`/`total` as it goes; the page polls them; the file it writes is served to this user only."""

    # what a job's page says when it failed (the reason is for the administrators, in the failed jobs list)
    FAILED_MESSAGE = _("The job failed. The administrators can see why; try again later.")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(pgettext_lazy("a heading", "title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    file = models.CharField(_("file"), max_length=300, blank=True)  # a path in the default storage
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    next_url = models.CharField(_("next page"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [models.Index(fields=["user", "-created_at"], name="job_user_recent")]

    def __str__(self):
        return self.title

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class Alert(models.Model):
    """Something the administrators must look at (the nightly roll-up check found a difference…): listed in
    the Django admin's Background jobs → Alerts, and logged as an error."""

    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self):
        return self.message[:80]
