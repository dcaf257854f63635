"""Large exports and an import's apply step as background jobs, watched on a progress page."""

import io

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from apps.enterprises.models import Enterprise
from apps.jobs import run_queued
from apps.jobs.models import Job
from apps.service.exports import REQUEST_HEADERS
from apps.service.models import Request
from tests.conftest import client_for
from tests.core.test_imports import CODES, URL, row, xlsx
from tests.service.factories import local, make_request

EXPORT = "/service/requests/export/"


@pytest.fixture
def queued(settings):
    """Jobs wait in the queue, as with a worker, until the test runs them."""
    settings.JOBS_EAGER = False
    settings.EXPORT_DIRECT_MAX = 2


@pytest.fixture
def three_requests(staff_a, unit_a, unit_b, staff_b):
    mine = [
        make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10 + i), title=f"诉求{i}")
        for i in range(3)
    ]
    make_request(staff_b, handling_unit=unit_b, at=local(2024, 3, 4, 9), title="另一单位的诉求")
    return mine


def test_a_small_export_is_answered_at_once(staff_a, three_requests, settings):
    settings.EXPORT_DIRECT_MAX = 3
    response = client_for(staff_a).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()


def test_a_large_export_returns_at_once_with_a_queued_job_that_writes_the_exact_rows(
    staff_a, three_requests, queued
):
    client = client_for(staff_a)
    response = client.get(EXPORT, {"status": ""})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.user, job.status, job.file) == (staff_a, "queued", "")
    assert job.next_url == reverse("service:request_list") + "?status="  # "Continue": back to the list
    assert DBTaskResult.objects.get().status == "READY"

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'hx-trigger="every 1s"' in page.content.decode()  # the page polls while the job waits

    assert run_queued() == 1
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.percent) == ("done", 3, 3, 100)
    assert job.filename.startswith("requests-") and job.filename.endswith(".xlsx")

    progress = client.get(reverse("jobs:progress", args=[job.pk]))
    assert progress.status_code == 200
    html = progress.content.decode()
    assert "hx-trigger" not in html  # finished: polling stops
    assert reverse("jobs:download", args=[job.pk]) in html

    download = client.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == REQUEST_HEADERS
    expected = sorted(
        (r.pk, r.title, "产业技术研创园")
        for r in Request.objects.filter(pk__in=[r.pk for r in three_requests])
    )
    assert sorted((r[0], r[5], r[16]) for r in rows[1:]) == expected


def test_the_progress_endpoint_counts_rows_as_the_job_goes(staff_a, three_requests, queued, monkeypatch):
    import apps.core.tasks as core_tasks

    monkeypatch.setattr(core_tasks, "PROGRESS_EVERY", 2)
    seen = []
    original = core_tasks.job_progress

    def spy(*, job, done, total=None):
        original(job=job, done=done, total=total)
        seen.append((Job.objects.get(pk=job.pk).done, Job.objects.get(pk=job.pk).total))

    monkeypatch.setattr(core_tasks, "job_progress", spy)
    client = client_for(staff_a)
    client.get(EXPORT)
    run_queued()
    assert seen == [(0, 3), (2, 3)]


def test_another_user_gets_404_for_the_job_its_progress_and_its_file(
    staff_a, colleague_a, leader, three_requests, queued
):
    client_for(staff_a).get(EXPORT)
    run_queued()
    job = Job.objects.get()
    for other in (colleague_a, leader):
        client = client_for(other)
        for name in ("jobs:detail", "jobs:progress", "jobs:download"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404
    anonymous = client_for(None).get(reverse("jobs:download", args=[job.pk]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_export_job_runs_as_its_user_and_keeps_the_filters(staff_a, three_requests, queued, settings):
    settings.EXPORT_DIRECT_MAX = 0  # a job even for one row
    client_for(staff_a).get(EXPORT, {"q": "诉求1"})
    run_queued()
    job = Job.objects.get()
    sheet = load_workbook(job_file(job)).active
    assert [r[5] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["诉求1"]


def job_file(job):
    from django.core.files.storage import default_storage

    return io.BytesIO(default_storage.open(job.file).read())


# --- imports ---------------------------------------------------------------------------------------------


def test_import_apply_runs_as_a_job_with_progress(staff_a, unit_a, settings):
    settings.JOBS_EAGER = False
    client = client_for(staff_a)
    token = client.post(URL, {"file": xlsx([row(CODES[0], "甲"), row(CODES[1], "乙")])}).context["token"]

    response = client.post(URL, {"commit": "1", "token": token})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.status == "queued" and Enterprise.objects.count() == 0  # nothing written by the request

    assert run_queued() == 1
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == ("done", 2, 2)
    assert job.message == "导入完成：新增 2 条，更新 0 条。"  # in the district's language
    assert job.next_url == reverse("enterprises:list")
    assert sorted(Enterprise.objects.values_list("credit_code", "name")) == sorted(
        [(CODES[0], "甲"), (CODES[1], "乙")]
    )
    # the preview's token was spent when the job took the file
    again = client.post(URL, {"commit": "1", "token": token})
    assert again.status_code == 302 and again["Location"] == URL
    assert Job.objects.count() == 1


def test_an_import_job_whose_rows_no_longer_pass_writes_nothing_and_says_so(
    staff_a, unit_a, unit_b, settings
):
    from tests.factories import EnterpriseFactory

    settings.JOBS_EAGER = False
    client = client_for(staff_a)
    token = client.post(URL, {"file": xlsx([row(CODES[0]), row(CODES[1])])}).context["token"]
    client.post(URL, {"commit": "1", "token": token})
    EnterpriseFactory(unit=unit_b, credit_code=CODES[1])  # arrives between the preview and the job

    run_queued()
    job = Job.objects.get()
    assert job.status == "failed"
    assert job.message == "文件已无法通过校验（预览后相关记录有变化）：请重新上传查看原因。"
    assert list(Enterprise.objects.values_list("credit_code", flat=True)) == [CODES[1]]


def test_another_user_cannot_watch_an_import_job(staff_a, colleague_a, unit_a, settings):
    settings.JOBS_EAGER = False
    client = client_for(staff_a)
    token = client.post(URL, {"file": xlsx([row(CODES[0])])}).context["token"]
    client.post(URL, {"commit": "1", "token": token})
    job = Job.objects.get()
    assert client_for(colleague_a).get(reverse("jobs:progress", args=[job.pk])).status_code == 404
    assert client.get(reverse("jobs:progress", args=[job.pk])).status_code == 200
