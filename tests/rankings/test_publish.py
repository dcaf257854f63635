"""Publishing freezes a month's board; republishing needs an admin and a reason; indicators are versioned.

The dataset (`march`): two of the seeded indicators stay on — closure rate (weight 20, target 90 %) and
same-day acknowledgement (weight 10, target 90 %), both linear, capped at the target. Requests of March 2024,
all acknowledged the day they came:
  R1  4 Mar → unit A, closed 7 Mar      R2  4 Mar → unit A, in progress      R3 11 Mar → unit B, closed 13 Mar
Unit A: closure 50.0 % → 20 × 50/90 = 11.11 points, acknowledgement 100 % → 10 points: 21.11 of 30 = 70.4.
Unit B: 100 % and 100 % → 30 of 30 = 100.0. The office (bureaus) has nothing to measure: unranked.
"""

import copy
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from apps.rankings.board import compute_board
from apps.rankings.models import Indicator, IndicatorVersion, Publication
from apps.rankings.services import board_publish, indicator_save

from ..conftest import client_for
from ..service.factories import acknowledge, close, contact, local, make_request
from .factories import IndicatorFactory, only_indicators, row_of

pytestmark = pytest.mark.django_db

MARCH = date(2024, 3, 1)
BOARD = reverse("rankings:board") + "?month=2024-03&group=parks"  # the parks: units A and B
PUBLISH = reverse("rankings:publish") + "?month=2024-03"


@pytest.fixture
def march(staff_a, staff_b, unit_a, unit_b, office):
    only_indicators("closure_rate", "same_day_ack")
    r1 = acknowledge(make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10)), staff_a,
                     local(2024, 3, 4, 11))  # fmt: skip
    close(contact(r1, staff_a, local(2024, 3, 5, 10)), staff_a, local(2024, 3, 7, 10))
    r2 = acknowledge(make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10)), staff_a,
                     local(2024, 3, 4, 11))  # fmt: skip
    r2 = contact(r2, staff_a, local(2024, 3, 5, 10))
    r3 = acknowledge(make_request(staff_a, handling_unit=unit_b, at=local(2024, 3, 11, 10)), staff_b,
                     local(2024, 3, 11, 10, 30))  # fmt: skip
    close(contact(r3, staff_b, local(2024, 3, 12, 10)), staff_b, local(2024, 3, 13, 10))
    return {"r2": r2}


def closure_of(board, unit) -> tuple:
    row = row_of(board, unit)
    cell = row["cells"]["closure_rate"]
    return cell["value"], cell["num"], cell["den"], cell["points"], row["score"], row["rank"]


def weights(board) -> dict[str, str]:
    return {i["code"]: i["weight"] for i in board["indicators"]}


def test_the_board_of_the_dataset_is_as_described(march, unit_a, unit_b, office):
    board = compute_board(MARCH)
    assert closure_of(board, unit_a) == ("50.0", "1", "2", "11.11", "70.4", 2)
    assert closure_of(board, unit_b) == ("100.0", "1", "1", "20.00", "100.0", 1)
    assert (row_of(board, office)["score"], row_of(board, office)["rank"]) == (None, None)
    assert weights(board) == {"closure_rate": "20.00", "same_day_ack": "10.00"}


def test_a_published_board_never_changes_when_records_and_indicators_do(
    march, leader, admin_user, staff_a, unit_a, unit_b
):
    publication = board_publish(month=MARCH, by=leader)
    frozen = copy.deepcopy(publication.board)

    close(march["r2"], staff_a, local(2024, 3, 20, 10))  # unit A now closed both of its requests
    closure = Indicator.objects.get(code="closure_rate")
    closure.weight = Decimal("30.00")
    indicator_save(indicator=closure, by=admin_user)

    live = compute_board(MARCH)
    assert closure_of(live, unit_a) == ("100.0", "2", "2", "30.00", "100.0", 1)
    assert weights(live) == {"closure_rate": "30.00", "same_day_ack": "10.00"}

    publication.refresh_from_db()
    assert publication.board == frozen
    assert closure_of(publication.board, unit_a) == ("50.0", "1", "2", "11.11", "70.4", 2)

    response = client_for(leader).get(BOARD)
    assert response.status_code == 200
    assert response.context["publication"] == publication
    board = response.context["board"]
    assert closure_of(board, unit_a) == ("50.0", "1", "2", "11.11", "70.4", 2)
    assert closure_of(board, unit_b) == ("100.0", "1", "1", "20.00", "100.0", 1)
    assert weights(board) == {"closure_rate": "20.00", "same_day_ack": "10.00"}
    assert [i["version"] for i in board["indicators"] if i["code"] == "closure_rate"] == [1]
    html = response.content.decode()
    assert "<strong>70.4</strong>" in html and "<strong>100.0</strong>" in html
    assert "weight 20.00" in html and "weight 30.00" not in html


def test_a_new_indicator_after_publishing_does_not_enter_the_published_board(march, leader, admin_user):
    board_publish(month=MARCH, by=leader)
    indicator_save(
        indicator=IndicatorFactory.build(code="late_comer", peer_groups=["parks", "bureaus"]), by=admin_user
    )
    response = client_for(leader).get(BOARD)
    assert [i["code"] for i in response.context["board"]["indicators"]] == ["closure_rate", "same_day_ack"]
    assert "late_comer" in weights(compute_board(MARCH))


def test_a_leader_cannot_republish_and_nothing_changes(march, leader):
    first = board_publish(month=MARCH, by=leader)
    with pytest.raises(PermissionDenied):
        board_publish(month=MARCH, by=leader, reason="数据有误")
    assert list(Publication.objects.values_list("pk", "is_current")) == [(first.pk, True)]


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_admin_cannot_republish_without_a_reason(march, leader, admin_user, reason):
    first = board_publish(month=MARCH, by=leader)
    with pytest.raises(ValidationError):
        board_publish(month=MARCH, by=admin_user, reason=reason)
    assert list(Publication.objects.values_list("pk", "is_current")) == [(first.pk, True)]


def test_an_admin_republishes_with_a_reason_and_the_old_publication_stays(
    march, leader, admin_user, staff_a, unit_a
):
    first = board_publish(month=MARCH, by=leader)
    close(march["r2"], staff_a, local(2024, 3, 20, 10))
    second = board_publish(month=MARCH, by=admin_user, reason="  补录3月20日办结的诉求  ")
    first.refresh_from_db()
    assert (first.is_current, closure_of(first.board, unit_a)[0]) == (False, "50.0")
    assert (second.is_current, second.reason, second.published_by) == (
        True,
        "补录3月20日办结的诉求",
        admin_user,
    )
    assert closure_of(second.board, unit_a)[0] == "100.0"
    assert Publication.objects.filter(month=MARCH).count() == 2
    assert Publication.objects.filter(month=MARCH, is_current=True).get() == second
    response = client_for(leader).get(BOARD)
    assert response.context["publication"] == second
    assert closure_of(response.context["board"], unit_a)[0] == "100.0"


def test_the_database_holds_one_current_publication_per_month(march, leader):
    first = board_publish(month=MARCH, by=leader)
    with pytest.raises(IntegrityError), transaction.atomic():
        Publication.objects.create(month=MARCH, board=first.board, published_by=leader)


def test_a_month_that_has_not_started_cannot_be_published(leader):
    with pytest.raises(ValidationError):
        board_publish(month=date(2999, 1, 1), by=leader)
    assert not Publication.objects.exists()


def test_the_current_month_cannot_be_published_while_its_figures_still_move(leader):
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        board_publish(month=date(today.year, today.month, 1), by=leader)
    assert not Publication.objects.exists()


def test_publishing_asks_for_confirmation_and_shows_what_will_be_frozen(march, leader, unit_a, unit_b):
    client = client_for(leader)
    with translation.override("en"):
        page = client.get(PUBLISH, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Publishing cannot be undone." in html
    # the parks: B first (100.0), A last (70.4); two ranked units make no list
    parks = (
        '<td>Parks and business districts</td><td class="num">2</td><td>医药谷</td><td>研创园</td><td>—</td>'
    )
    assert parks in html
    assert 'name="confirm" value="2024-03"' in html
    assert not Publication.objects.exists()
    # a POST without the confirmation (the old one-click form) shows the same page and publishes nothing
    unconfirmed = client.post(PUBLISH)
    assert unconfirmed.status_code == 200
    assert not Publication.objects.exists()
    assert client.post(PUBLISH, {"confirm": "2024-02"}).status_code == 200  # another month's confirmation
    assert not Publication.objects.exists()


def test_a_leader_publishes_through_the_board_page(march, leader, unit_a):
    response = client_for(leader).post(PUBLISH, {"confirm": "2024-03"})
    assert response.status_code == 302
    assert response["Location"] == reverse("rankings:board") + "?month=2024-03"
    publication = Publication.objects.get()
    assert (publication.month, publication.published_by, publication.is_current) == (MARCH, leader, True)
    assert closure_of(publication.board, unit_a)[0] == "50.0"


def test_an_admin_republishes_through_the_board_page_only_with_a_reason(march, leader, admin_user):
    board_publish(month=MARCH, by=leader)
    client = client_for(admin_user)
    assert client.post(PUBLISH, {"reason": "", "confirm": "2024-03"}).status_code == 200  # asked again
    assert Publication.objects.count() == 1
    assert client.post(PUBLISH, {"reason": "更正数据", "confirm": "2024-03"}).status_code == 302
    assert list(Publication.objects.order_by("published_at").values_list("reason", "is_current")) == [
        ("", False),
        ("更正数据", True),
    ]


@pytest.mark.parametrize("who", ["staff_a", "manager_a", "staff_b"])
def test_staff_and_managers_cannot_publish_and_nothing_is_written(march, users, who):
    assert client_for(users[who]).post(PUBLISH, {"confirm": "2024-03"}).status_code == 403
    assert client_for(users[who]).get(PUBLISH).status_code == 403
    with pytest.raises(PermissionDenied):
        board_publish(month=MARCH, by=users[who])
    assert not Publication.objects.exists()


def test_staff_cannot_republish_through_the_page_and_nothing_changes(march, leader, staff_a):
    first = board_publish(month=MARCH, by=leader)
    assert client_for(staff_a).post(PUBLISH, {"reason": "想改排名"}).status_code == 403
    assert list(Publication.objects.values_list("pk", "is_current")) == [(first.pk, True)]


# --- indicators are versioned ---------------------------------------------------------------------------


def versions(indicator) -> list[tuple]:
    return list(
        IndicatorVersion.objects.filter(indicator=indicator)
        .order_by("version")
        .values_list("version", "data__weight", "changed_by__username")
    )


def test_every_save_of_an_indicator_increments_its_version_and_keeps_a_copy(admin_user):
    closure = Indicator.objects.get(code="closure_rate")
    assert (closure.version, versions(closure)) == (1, [(1, "20", None)])  # as seeded
    for weight in ("25.00", "30.00"):
        closure.weight = Decimal(weight)
        indicator_save(indicator=closure, by=admin_user)
    closure.refresh_from_db()
    assert (closure.version, closure.weight) == (3, Decimal("30.00"))
    assert versions(closure) == [(1, "20", None), (2, "25.00", "admin"), (3, "30.00", "admin")]


def test_a_new_indicator_saved_through_the_service_starts_at_version_one(admin_user):
    indicator = indicator_save(
        indicator=IndicatorFactory.build(code="fresh", weight=Decimal("7.50")), by=admin_user
    )
    assert (indicator.version, versions(indicator)) == (1, [(1, "7.50", "admin")])


def test_staff_cannot_save_an_indicator(staff_a):
    closure = Indicator.objects.get(code="closure_rate")
    closure.weight = Decimal("99")
    with pytest.raises(PermissionDenied):
        indicator_save(indicator=closure, by=staff_a)
    closure.refresh_from_db()
    assert (closure.weight, closure.version, len(versions(closure))) == (Decimal("20.00"), 1, 1)


def _admin_form_data(response) -> dict:
    """What the admin change form would post back unchanged: the main form's fields and every inline's
    management form and hidden fields."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            value = formset.management_form[name].value()
            data[f"{formset.prefix}-{name}"] = "" if value is None else str(value)
        for sub in formset.forms:
            for hidden in sub.hidden_fields():
                value = hidden.value()
                if value is not None:
                    data[hidden.html_name] = str(value)
    return data


def test_saving_an_indicator_in_the_django_admin_keeps_a_version(admin_user):
    closure = Indicator.objects.get(code="closure_rate")
    url = reverse("admin:rankings_indicator_change", args=[closure.pk])
    client = client_for(admin_user)
    data = _admin_form_data(client.get(url))
    data["weight"] = "25.00"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    closure.refresh_from_db()
    assert (closure.version, closure.weight) == (2, Decimal("25.00"))
    assert versions(closure) == [(1, "20", None), (2, "25.00", "admin")]
    assert IndicatorVersion.objects.get(indicator=closure, version=2).data["peer_groups"] == [
        "bureaus",
        "parks",
        "streets",
    ]


def test_the_republish_confirmation_shows_the_board_republishing_would_freeze_not_the_current_one(
    march, leader, admin_user, staff_a, unit_a, unit_b
):
    board_publish(month=MARCH, by=leader)  # B first, A last
    for _ in range(3):  # B falls to 2 of 5 closed (40.0 %): A (1 of 2) is first now
        make_request(staff_a, handling_unit=unit_b, at=local(2024, 3, 20, 10))
    with translation.override("en"):
        html = client_for(admin_user).get(PUBLISH, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Republish the board of 2024-03?" in html
    assert '<td class="num">2</td><td>研创园</td><td>医药谷</td>' in html
    assert closure_of(Publication.objects.get().board, unit_a)[5] == 2  # the frozen one still has A second
