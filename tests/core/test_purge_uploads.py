"""Upload copies kept for import previews are deleted once the preview expires (#17 item 7).

`manage.py purge_import_uploads` (run daily by the scheduler) deletes every kept copy older than 24 hours;
a committed import deletes its own copy at once.
"""

import io
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.models import Enterprise

from ..conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/enterprises/import/"
HOURS = 3600


def age(path: str, hours: float) -> None:
    then = time.time() - hours * HOURS
    os.utime(default_storage.path(path), (then, then))


def kept() -> list[str]:
    if not default_storage.exists("imports"):
        return []
    folders, files = default_storage.listdir("imports")
    return sorted(
        [f"imports/{f}" for f in files]
        + [f"imports/{d}/{f}" for d in folders for f in default_storage.listdir(f"imports/{d}")[1]]
    )


def purge(**options) -> str:
    out = io.StringIO()
    call_command("purge_import_uploads", stdout=out, **options)
    return out.getvalue()


def enterprise_file() -> SimpleUploadedFile:
    """One good enterprise row for unit A."""
    workbook = Workbook()
    workbook.active.append(["企业名称", "统一社会信用代码", "所属园区", "行业门类", "企业规模"])
    code = make_credit_code("9", "1", "320111", "P0000001")
    workbook.active.append(["南京示例科技有限公司", code, "产业技术研创园", "C", "small"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("enterprises.xlsx", buffer.getvalue())


def test_copies_older_than_a_day_are_deleted_and_newer_ones_kept():
    old = default_storage.save("imports/7/aaa.xlsx", ContentFile(b"x" * 100))
    fresh = default_storage.save("imports/7/bbb.csv", ContentFile(b"y"))
    other = default_storage.save("imports/9/ccc.xlsx", ContentFile(b"z"))
    age(old, 25)
    age(other, 24.5)
    age(fresh, 23)

    assert purge() == "Deleted 2 expired import upload(s); 1 preview(s) still open.\n"
    assert kept() == [fresh]


def test_no_upload_folder_is_nothing_to_do():
    assert purge() == "Deleted 0 expired import upload(s); 0 preview(s) still open.\n"


def test_an_expired_preview_cannot_be_committed_once_purged(staff_a, settings):
    settings.LANGUAGE_CODE = "en"
    client = client_for(staff_a)
    preview = client.post(URL, {"file": enterprise_file()})
    assert preview.context["report"].ok
    (copy,) = kept()
    age(copy, 25)

    purge()
    response = client.post(URL, {"commit": "1", "token": preview.context["token"]}, follow=True)

    assert kept() == []
    assert "That upload has expired. Upload the file again." in response.content.decode()
    assert Enterprise.objects.count() == 0


def test_a_committed_import_leaves_no_copy(staff_a):
    client = client_for(staff_a)
    preview = client.post(URL, {"file": enterprise_file()})
    client.post(URL, {"commit": "1", "token": preview.context["token"]})
    assert Enterprise.objects.count() == 1
    assert kept() == []


def test_a_preview_older_than_a_day_cannot_be_committed_even_before_the_purge_runs(staff_a, settings):
    settings.LANGUAGE_CODE = "en"
    client = client_for(staff_a)
    preview = client.post(URL, {"file": enterprise_file()})
    (copy,) = kept()
    age(copy, 24.1)
    response = client.post(URL, {"commit": "1", "token": preview.context["token"]}, follow=True)
    assert "That upload has expired. Upload the file again." in response.content.decode()
    assert Enterprise.objects.count() == 0
