"""The SQL statements a write sends, pinned: logging a visit with three requests (quality.md: ≤ 25) and one
transition (≤ 10). Counted as a web request sends them — one transaction of its own, so no savepoint — with
the roll-ups, the enterprise's visited month, the notifications and the unread badges included: everything a
write touches is one of these statements (no model signal, no trigger of ours adds work behind them; the
audit's triggers run inside the statements they watch)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.service import services
from apps.service.models import Category, Request
from apps.workbench import rollups
from apps.workdays.calendar import get_calendar

from ..factories import EnterpriseFactory
from .factories import A, local, make_request

pytestmark = pytest.mark.django_db

#: What quality.md allows, and what the code sends today (a change in either direction is worth a look). The
#: first permission check of a request reads the user's permissions: one of the statements counted.
#: the news for e-mail and group robots: one queued job (apps.messaging.services.notify), any channels
VISIT_LIMIT, VISIT_SENT = 25, 13
#: an acknowledgement also takes the request out of the requests waiting for one (RequestAckWait, issue #16
#: item 9b): one roll-up statement, where a late acknowledgement used to change none
TRANSITION_LIMIT, TRANSITION_SENT = 10, 6


@pytest.fixture(autouse=True)
def _jobs_queued(settings):
    """As in a web request: jobs are queued for the worker, not run inside the write (other tests run them
    at once)."""
    settings.JOBS_EAGER = False


def statements(captured) -> list[str]:
    """The statements of the write itself: the test's own transaction makes the service's atomic block a
    savepoint, which a web request does not have."""
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_logging_a_visit_with_three_requests_sends_thirteen_statements(
    staff_a, colleague_a, manager_a, unit_a, unit_b
):
    enterprise, categories = EnterpriseFactory(unit=unit_a, is_key=True), list(Category.objects.all()[:3])
    get_calendar()  # the working-day calendar is read once a minute per process, not per write
    items = [
        {"category": categories[0], "title": "人才公寓", "handling_unit": unit_a},  # to the unit's managers
        {"category": categories[1], "title": "招聘用工", "handling_unit": unit_a, "handler": colleague_a},
        {"category": categories[2], "title": "融资需求", "handling_unit": unit_b},
    ]
    with CaptureQueriesContext(connection) as captured:
        visit = services.visit_record(
            by=staff_a,
            visited_on=date(2024, 3, 4),
            enterprise=enterprise,
            lead_unit=unit_a,
            joint_units=[unit_b],
            mode="on_site",
            requests=items,
        )
    sent = statements(captured)
    print("\n".join(statement[:100] for statement in sent))
    assert Request.objects.filter(visit=visit).count() == 3 and manager_a.notifications.count() == 1
    assert rollups.differences() == {}  # and everything those statements keep is right
    assert len(sent) == VISIT_SENT <= VISIT_LIMIT


@pytest.mark.parametrize(
    ("action", "prepare"),
    [
        (A.ACKNOWLEDGE, []),
        (A.TRANSFER, [A.ACKNOWLEDGE]),  # notifies the new unit's managers
        (A.CLOSE, [A.ACKNOWLEDGE, A.CONTACT]),
    ],
)
def test_one_transition_sends_at_most_ten_statements(
    staff_a, colleague_a, manager_a, unit_a, unit_b, action, prepare
):
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, at=local(2024, 3, 4, 10))
    at = local(2024, 3, 4, 11)
    for step in prepare:
        req = services.request_transition(request=req, action=step, by=colleague_a, at=at)
    kwargs = {
        A.ACKNOWLEDGE: {"by": colleague_a},
        A.TRANSFER: {"by": manager_a, "unit": unit_b, "note": "职责不符"},
        A.CLOSE: {"by": colleague_a, "outcome": "solved", "answer": "已解决"},
    }[action]
    get_calendar()
    with CaptureQueriesContext(connection) as captured:
        services.request_transition(request=req, action=action, at=local(2024, 3, 5, 9), **kwargs)
    sent = statements(captured)
    print("\n".join(statement[:100] for statement in sent))
    assert rollups.differences() == {}
    assert len(sent) <= TRANSITION_LIMIT
    if action == A.ACKNOWLEDGE:
        assert len(sent) == TRANSITION_SENT
