"""Background jobs of the shared pipelines: large exports, an import's apply step, and the daily expiry of
import previews."""

from __future__ import annotations

import logging
from datetime import time

from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from apps.jobs import job, periodic
from apps.jobs.services import job_fail, job_finish, job_progress, job_tracking

from .exports import build_sheet, xlsx_bytes
from .imports import Importer

logger = logging.getLogger("jianbei.jobs")

PROGRESS_EVERY = 1000  # rows between two progress updates


@job(max_attempts=2, takes_context=True)
def export_run(context, *, job_id: str, sheet: str, query: str) -> int:
    """Write a registered sheet (apps/core/exports.py) for the job's user with the list's filters."""
    with job_tracking(job_id=job_id, context=context) as tracked, translation.override("zh-hans"):
        built = build_sheet(sheet, user=tracked.user, query=query)
        total = built.queryset.count()
        job_progress(job=tracked, done=0, total=total)

        def rows():
            for number, obj in enumerate(built.queryset.iterator(chunk_size=2000), start=1):
                yield built.row(obj)
                if number % PROGRESS_EVERY == 0:
                    job_progress(job=tracked, done=number)

        content = xlsx_bytes(built.headers, rows())
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        job_finish(
            job=tracked,
            content=content,
            filename=f"{built.filename_stem}-{stamp}.xlsx",
            message=_("%(n)d rows exported.") % {"n": total},
        )
        return total


@job(max_attempts=2, takes_context=True)
def import_apply(context, *, job_id: str, importer: str, path: str) -> dict:
    """Check the kept upload again and, if every row is still valid, write it all in one transaction (the
    import page's "Import all rows", apps/core/views.py ImportView)."""
    importer_class = import_string(importer)
    if not (isinstance(importer_class, type) and issubclass(importer_class, Importer)):
        raise TypeError(f"{importer} is not an importer")
    with job_tracking(job_id=job_id, context=context) as tracked, translation.override("zh-hans"):
        stored = default_storage.open(path, "rb")
        stored.name = path
        with stored:
            report = importer_class(tracked.user).commit(
                stored, progress=lambda done, total: job_progress(job=tracked, done=done, total=total)
            )
        if not report.ok:
            job_fail(
                job=tracked,
                message=_(
                    "The file no longer passes the checks (records changed since the preview):"
                    " upload it again to see why."
                ),
            )
            return {"ok": False}
        default_storage.delete(path)
        job_finish(
            job=tracked,
            message=_("Imported: %(created)d created, %(updated)d updated.")
            % {"created": report.created, "updated": report.updated},
        )
        return {"ok": True, "created": report.created, "updated": report.updated}


@job(max_attempts=3)
def import_previews_expire() -> None:
    """Delete the uploads kept for import previews that were never committed (older than 24 hours)."""
    call_command("purge_import_uploads", verbosity=0)


periodic(import_previews_expire, at=time(3, 15), name="core.import_previews_expire")
