"""With DEBUG off, a failure shows the generic page with a reference, logs the same reference, and leaves no
partial write: a visit whose write fails after its requests were inserted is not saved, nor are they."""

import logging
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from apps.enterprises import services as enterprise_services
from apps.service.models import Category, Request, Visit

from ..factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_a_failure_mid_write_shows_a_reference_logs_it_and_saves_nothing(
    staff_a, unit_a, monkeypatch, caplog
):
    enterprise = EnterpriseFactory(unit=unit_a)
    category = Category.objects.filter(is_active=True).first()
    calls = []

    def marking_the_month_fails(**kwargs):  # after the visit and its two requests were inserted
        calls.append(Request.objects.count())
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(enterprise_services, "enterprise_visited", marking_the_month_fails)
    client = Client(raise_request_exception=False)
    client.force_login(staff_a)
    data = {
        "visited_on": date.today().isoformat(),
        "enterprise": enterprise.pk,
        "lead_unit": unit_a.pk,
        "mode": "on_site",
        "requests-TOTAL_FORMS": 2,
        "requests-INITIAL_FORMS": 0,
    }
    for i in range(2):
        data |= {
            f"requests-{i}-category": category.pk,
            f"requests-{i}-title": f"诉求{i}",
            f"requests-{i}-urgency": "normal",
        }
    with caplog.at_level(logging.ERROR, logger="jianbei.errors"):
        response = client.post(reverse("service:visit_create"), data)
    assert response.status_code == 500
    body = response.content.decode()
    assert "the disk is full" not in body and "Traceback" not in body
    reference = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{12}", reference) and reference in body
    assert any(reference in record.getMessage() for record in caplog.records)
    assert calls == [2]  # both requests were written, then rolled back with the visit
    assert (Visit.objects.count(), Request.objects.count()) == (0, 0)


def test_every_answer_carries_its_request_id(staff_a):
    client = Client()
    client.force_login(staff_a)
    first, second = client.get(reverse("home")), client.get(reverse("home"))
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
