"""The demo district's call-back sample and 督办 (issue #19): dated after 15 March 2024, shown on the live
March board (回访核实率, with its definition), absent from the published February board, which stays as
frozen."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.rankings.models import Publication
from apps.service.models import CallbackItem, CallbackSample, Supervision
from tests.conftest import client_for

# builds the demo district (~80 s): run by `make test-slow`, as the other walks over it
pytestmark = pytest.mark.slow

AFTER_REPORT = timezone.make_aware(timezone.datetime(2024, 3, 16))


@pytest.mark.django_db
def test_the_demo_has_a_sample_drawn_and_called_after_the_report(demo_district):
    sample = CallbackSample.objects.get()
    assert sample.month == date(2024, 3, 1) and sample.drawn_at > AFTER_REPORT
    items = CallbackItem.objects.filter(sample=sample)
    assert items.count() > 50
    assert not items.filter(checked_at__lt=AFTER_REPORT).exists()
    assert set(items.values_list("result", flat=True)) == {"", "confirmed", "unreachable"}
    assert Supervision.objects.get().created_at > AFTER_REPORT


@pytest.mark.django_db
def test_the_indicator_is_on_the_live_march_board_and_not_on_the_published_february_one(demo_district):
    from apps.accounts.models import User

    february = Publication.objects.get(month=date(2024, 2, 1), is_current=True)
    assert "callback_verified" not in [i["code"] for i in february.board["indicators"]]
    leader = client_for(User.objects.get(username="zhaomin"))
    page = leader.get(reverse("rankings:board"), {"month": "2024-03", "group": "parks"})
    assert page.status_code == 200 and page.context["publication"] is None
    assert "回访核实率" in page.content.decode()
    cells = [row["cells"]["callback_verified"] for row in page.context["group"]["rows"]]
    assert any(not cell["na"] for cell in cells)
    definition = next(
        i["definition"] for i in page.context["board"]["indicators"] if i["code"] == "callback_verified"
    )
    assert definition.startswith("回访抽查中企业确认已解决的") and definition in page.content.decode()
