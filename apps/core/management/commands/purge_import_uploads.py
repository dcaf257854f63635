from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.core.views import PREVIEW_EXPIRES

UPLOADS = "imports"  # apps.core.views.ImportView keeps each preview's file as imports/<user>/<token>.<ext>


class Command(BaseCommand):
    help = (
        "Delete the upload copies kept for import previews once the preview has expired (default 24 hours). "
        "A committed import deletes its own copy; this removes previews never committed. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=PREVIEW_EXPIRES // timedelta(hours=1),
            help="Age, in hours, after which a preview expires (default 24, as the import pages enforce).",
        )

    def handle(self, *args, hours, **options):
        cutoff = timezone.now() - timedelta(hours=hours)
        deleted = kept = 0
        for path in _kept_uploads():
            try:
                expired = default_storage.get_modified_time(path) < cutoff
            except FileNotFoundError:  # committed (and deleted) while this command ran
                continue
            if expired:
                default_storage.delete(path)
                deleted += 1
            else:
                kept += 1
        self.stdout.write(f"Deleted {deleted} expired import upload(s); {kept} preview(s) still open.")


def _kept_uploads():
    try:
        folders, files = default_storage.listdir(UPLOADS)
    except FileNotFoundError:  # nothing was ever uploaded
        return
    for name in files:
        yield f"{UPLOADS}/{name}"
    for folder in folders:
        try:
            _subfolders, names = default_storage.listdir(f"{UPLOADS}/{folder}")
        except FileNotFoundError:
            continue
        for name in names:
            yield f"{UPLOADS}/{folder}/{name}"
