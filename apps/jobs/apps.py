from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class JobsConfig(AppConfig):
    """Background work on the PostgreSQL queue (django.tasks + django-tasks-db): retries with back-off, the
    dead-letter list, the periodic schedule, the worker, and the jobs a user watches (exports, imports).
    Infrastructure beside core: it names no campaign app; each app's `tasks.py` defines its tasks and
    registers its schedules, found here by name."""

    name = "apps.jobs"
    default = True  # (this module also holds the queue library's config, TaskQueueConfig)
    verbose_name = _("Background jobs")

    def ready(self):
        # every app's tasks.py: their @job retry policies and their periodic() schedules are registered on
        # import, so the worker, the eager runner and the admin know them all
        autodiscover_modules("tasks")


class TaskQueueConfig(TasksAppConfig):
    """django-tasks-db (the queue's table) under a translated name: its own app name is English only, and
    it shows in the admin's permission lists. Its model's names are the library's msgids, translated in this
    project's catalog (below)."""

    verbose_name = _("Task queue")


# the library's model names, which it marks for translation but ships no Chinese for: named here so
# makemessages keeps them in this project's catalog
LIBRARY_STRINGS = (_("Task Result"), _("Task Results"))
