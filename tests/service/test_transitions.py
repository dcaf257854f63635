"""The life cycle of a request: one table of moves, one service, one event per change.

Every allowed (action, status) pair succeeds for the right actor and writes exactly one event; every other
pair is refused with nothing written; wrong actors, missing reasons and stale views are refused with nothing
changed. Requests are logged by staff_a (unit A) on Monday 4 March 2024 at 10:00 and dispatched to unit A.
"""

import importlib.util
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.service import services
from apps.service.models import OPEN_STATUSES, JointAction, Request, RequestEvent, Status
from apps.service.services import MOVES, TransitionError

from ..conftest import client_for
from ..factories import EnterpriseFactory, UserFactory
from .factories import ANSWER, NOTE, A, act, category, local, make_request, walk_to

pytestmark = pytest.mark.django_db

S = Status
T0 = local(2024, 3, 4, 10)  # logged and dispatched; the walk to a status takes a minute per step
AT = local(2024, 3, 4, 15)  # the move under test

OPEN = {"new", "dispatched", "acknowledged", "in_progress", "paused"}
HANDLING = {"dispatched", "acknowledged", "in_progress", "paused"}
WORKING = {"acknowledged", "in_progress"}

# The life cycle as the issue states it: action → (statuses it may start from, status it leads to).
# None: the status stays as it is.
EXPECTED_MOVES = {
    "dispatch": ({"new"}, "dispatched"),
    "assign": (HANDLING, None),
    "acknowledge": ({"dispatched"}, "acknowledged"),
    "contact": ({"acknowledged"}, "in_progress"),
    "close": (WORKING, "closed"),
    "confirm": ({"closed"}, "confirmed"),
    "reopen": ({"closed"}, "in_progress"),
    "transfer": ({"dispatched", "acknowledged", "in_progress"}, "dispatched"),
    "return": ({"dispatched", "acknowledged"}, "new"),
    "extend_ask": (WORKING, None),
    "extend_approve": (WORKING, None),
    "extend_refuse": (WORKING, None),
    "pause": (WORKING, "paused"),
    "resume": ({"paused"}, "in_progress"),
    "withdraw": (OPEN, "withdrawn"),
}

# Who may take each move on a request of unit A, and the data it needs.
ACTOR = {
    "dispatch": "manager_a",
    "assign": "manager_a",
    "acknowledge": "staff_a",
    "contact": "staff_a",
    "close": "staff_a",
    "confirm": "manager_a",
    "reopen": "manager_a",
    "transfer": "manager_a",
    "return": "staff_a",
    "extend_ask": "staff_a",
    "extend_approve": "manager_a",
    "extend_refuse": "manager_a",
    "pause": "staff_a",
    "resume": "staff_a",
    "withdraw": "staff_a",
}

ALLOWED = sorted((action, status) for action, (sources, _) in EXPECTED_MOVES.items() for status in sources)
FORBIDDEN = sorted(
    (action, status)
    for action, (sources, _) in EXPECTED_MOVES.items()
    for status in S.values
    if status not in sources
)


def snapshot(req) -> dict:
    return Request.objects.filter(pk=req.pk).values().get()


def event_count(req) -> int:
    return RequestEvent.objects.filter(request=req).count()


@pytest.fixture
def in_status(staff_a, manager_a, unit_a):
    """A request of unit A in the given status (new: not yet dispatched)."""

    def make(status: str) -> Request:
        if status == "new":
            return make_request(staff_a, at=T0)
        req = make_request(staff_a, handling_unit=unit_a, at=T0)
        return walk_to(req, status, handler=staff_a, manager=manager_a, at=T0)

    return make


def move_kwargs(action, request) -> dict:
    """The data the move needs, given the pytest request (for fixtures)."""
    if action in ("dispatch",):
        return {"unit": request.getfixturevalue("unit_a")}
    if action == "transfer":
        return {"unit": request.getfixturevalue("unit_b")}
    if action == "assign":
        return {"handler": request.getfixturevalue("colleague_a")}
    if action == "extend_ask":
        return {"days": 3}
    return {}


def test_the_table_of_moves_is_the_life_cycle_of_the_issue():
    table = {action: ({str(s) for s in move.sources}, move.target) for action, move in MOVES.items()}
    assert table == EXPECTED_MOVES


def test_moves_that_need_a_reason_are_the_side_paths():
    assert {a for a, move in MOVES.items() if move.needs_note} == {
        "transfer",
        "return",
        "extend_ask",
        "extend_refuse",
        "pause",
        "withdraw",
    }


@pytest.mark.parametrize(("action", "status"), ALLOWED)
def test_allowed_move_succeeds_and_writes_exactly_one_event(request, in_status, action, status):
    req = in_status(status)
    if action in ("extend_approve", "extend_refuse"):
        req = act(req, A.EXTEND_ASK, request.getfixturevalue("staff_a"), AT - timedelta(minutes=30), days=3)
    by = request.getfixturevalue(ACTOR[action])
    before = event_count(req)
    expected = EXPECTED_MOVES[action][1] or status

    result = act(req, action, by, AT, **move_kwargs(action, request))

    assert result.status == expected
    assert Request.objects.get(pk=req.pk).status == expected
    assert event_count(req) == before + 1
    event = RequestEvent.objects.filter(request=req).latest("id")
    assert (event.action, event.from_status, event.to_status, event.by, event.at) == (
        action,
        status,
        expected,
        by,
        AT,
    )
    assert event.note == (NOTE if MOVES[action].needs_note else "")


@pytest.mark.parametrize(("action", "status"), FORBIDDEN)
def test_forbidden_move_is_refused_and_changes_nothing(request, in_status, action, status):
    req = in_status(status)
    before, events = snapshot(req), event_count(req)

    with pytest.raises(TransitionError):
        act(req, action, request.getfixturevalue(ACTOR[action]), AT, **move_kwargs(action, request))

    assert snapshot(req) == before
    assert snapshot(req)["status"] == status
    assert event_count(req) == events


def test_unknown_action_is_refused(in_status, staff_a):
    req = in_status("dispatched")
    with pytest.raises(TransitionError):
        services.request_transition(request=req, action="set_status", by=staff_a, at=AT)
    assert event_count(req) == 2


# --- who may act ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "actor", "kwargs"),
    [
        pytest.param("dispatched", "acknowledge", "staff_b", {}, id="other-unit-acknowledges"),
        pytest.param("in_progress", "close", "staff_b", {}, id="other-unit-closes"),
        pytest.param("dispatched", "withdraw", "staff_b", {}, id="other-unit-withdraws"),
        pytest.param("in_progress", "extend_approve", "staff_a", {}, id="staff-approves-extension"),
        pytest.param("in_progress", "extend_refuse", "colleague_a", {}, id="staff-refuses-extension"),
        pytest.param("closed", "confirm", "staff_a", {}, id="staff-records-feedback"),
        pytest.param("closed", "reopen", "colleague_a", {}, id="staff-reopens"),
        pytest.param("new", "dispatch", "staff_a", {"unit": "unit_a"}, id="staff-dispatches"),
        pytest.param("in_progress", "transfer", "staff_a", {"unit": "unit_b"}, id="staff-transfers"),
        pytest.param("dispatched", "assign", "colleague_a", {"handler": "colleague_a"}, id="staff-assigns"),
        pytest.param("dispatched", "acknowledge", "leader", {}, id="leader-does-not-handle-for-the-unit"),
        pytest.param("dispatched", "acknowledge", "manager_b", {}, id="manager-of-other-unit"),
        pytest.param("in_progress", "extend_approve", "manager_b", {}, id="other-manager-approves"),
        pytest.param("closed", "confirm", "manager_b", {}, id="other-manager-confirms"),
    ],
)
def test_wrong_actor_is_denied_and_nothing_changes(request, in_status, status, action, actor, kwargs):
    req = in_status(status)
    if action in ("extend_approve", "extend_refuse"):
        req = act(req, A.EXTEND_ASK, request.getfixturevalue("staff_a"), AT - timedelta(minutes=30), days=3)
    kwargs = {key: request.getfixturevalue(value) for key, value in kwargs.items()}
    before, events = snapshot(req), event_count(req)

    with pytest.raises(PermissionDenied):
        act(req, action, request.getfixturevalue(actor), AT, **kwargs)

    assert snapshot(req) == before
    assert event_count(req) == events


@pytest.fixture
def manager_b(unit_b):
    from apps.accounts import roles

    return UserFactory(username="manager_b", unit=unit_b, role=roles.UNIT_MANAGER)


def test_any_staff_of_the_handling_unit_may_close(in_status, colleague_a):
    req = act(in_status("in_progress"), A.CLOSE, colleague_a, AT)
    assert req.status == "closed"


def test_co_handling_unit_sees_but_cannot_close(in_status, staff_b, unit_b):
    req = in_status("in_progress")
    req.co_units.set([unit_b])
    assert Request.objects.visible_to(staff_b).filter(pk=req.pk).exists()

    with pytest.raises(PermissionDenied):
        act(req, A.CLOSE, staff_b, AT)
    assert snapshot(req)["status"] == "in_progress"


def test_leader_may_dispatch_any_request_to_any_unit(in_status, leader, unit_b, staff_b):
    req = act(in_status("new"), A.DISPATCH, leader, AT, unit=unit_b, handler=staff_b)
    assert (req.status, req.handling_unit, req.handler) == ("dispatched", unit_b, staff_b)


def test_allowed_moves_lists_the_buttons_of_each_actor(in_status, staff_a, manager_a, staff_b):
    req = in_status("in_progress")
    # allowed_moves compares with the real clock: give the request a deadline in the future.
    Request.objects.filter(pk=req.pk).update(close_due=timezone.now() + timedelta(days=3))
    req.refresh_from_db()

    assert services.allowed_moves(staff_a, req) == ["close", "extend_ask", "pause", "withdraw"]
    assert services.allowed_moves(manager_a, req) == [
        "assign",
        "close",
        "transfer",
        "extend_ask",
        "pause",
        "withdraw",
    ]
    assert services.allowed_moves(staff_b, req) == []


# --- data each move needs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("transfer", "dispatched"),
        ("return", "dispatched"),
        ("extend_ask", "in_progress"),
        ("extend_refuse", "in_progress"),
        ("pause", "in_progress"),
        ("withdraw", "dispatched"),
    ],
)
@pytest.mark.parametrize("note", ["", "   \n "])
def test_side_paths_require_a_reason(request, in_status, action, status, note):
    req = in_status(status)
    if action == "extend_refuse":
        req = act(req, A.EXTEND_ASK, request.getfixturevalue("staff_a"), AT - timedelta(minutes=30), days=3)
    before, events = snapshot(req), event_count(req)

    with pytest.raises(TransitionError, match="Give a reason"):
        act(
            req, action, request.getfixturevalue(ACTOR[action]), AT, note=note, **move_kwargs(action, request)
        )

    assert snapshot(req) == before
    assert event_count(req) == events


@pytest.mark.parametrize(
    ("outcome", "answer"),
    [
        pytest.param("", ANSWER, id="no-outcome"),
        pytest.param("fixed", ANSWER, id="unknown-outcome"),
        pytest.param("solved", "", id="no-answer"),
        pytest.param("explained", "  \t ", id="blank-answer"),
    ],
)
def test_close_requires_outcome_and_answer(in_status, staff_a, outcome, answer):
    req = in_status("in_progress")
    before, events = snapshot(req), event_count(req)

    with pytest.raises(TransitionError):
        act(req, A.CLOSE, staff_a, AT, outcome=outcome, answer=answer)

    assert snapshot(req) == before
    assert event_count(req) == events


def test_close_stores_outcome_and_the_trimmed_answer(in_status, staff_a):
    req = act(
        in_status("in_progress"), A.CLOSE, staff_a, AT, outcome="explained", answer="  政策不支持，已解释  "
    )

    assert (req.status, req.outcome, req.answer) == ("closed", "explained", "政策不支持，已解释")
    assert req.events.latest("id").data == {"outcome": "explained"}


def test_dispatch_requires_a_unit(in_status, manager_a):
    req = in_status("new")
    with pytest.raises(TransitionError):
        act(req, A.DISPATCH, manager_a, AT)
    assert snapshot(req)["status"] == "new"


def test_transfer_to_the_same_unit_is_refused(in_status, manager_a, unit_a):
    req = in_status("in_progress")
    with pytest.raises(TransitionError):
        act(req, A.TRANSFER, manager_a, AT, unit=unit_a)
    assert snapshot(req)["status"] == "in_progress"


def test_transfer_moves_request_to_new_unit_and_notifies_its_managers(in_status, manager_a, unit_b):
    from apps.accounts import roles
    from apps.service.models import Notification

    manager_of_b = UserFactory(unit=unit_b, role=roles.UNIT_MANAGER)
    req = act(in_status("in_progress"), A.TRANSFER, manager_a, AT, unit=unit_b)

    assert (req.status, req.handling_unit, req.handler) == ("dispatched", unit_b, None)
    assert req.events.latest("id").data == {
        "unit": unit_b.pk,
        "from_unit": req.logged_unit_id,
        "handler": None,
    }
    assert list(Notification.objects.filter(request=req, created_at=AT).values_list("user", flat=True)) == [
        manager_of_b.pk
    ]


def test_dispatch_with_a_handler_of_another_unit_is_refused(in_status, manager_a, unit_a, staff_b):
    req = in_status("new")
    with pytest.raises(TransitionError):
        act(req, A.DISPATCH, manager_a, AT, unit=unit_a, handler=staff_b)
    assert snapshot(req)["handler_id"] is None


def test_assign_requires_a_handler_of_the_handling_unit(in_status, manager_a, staff_b):
    req = in_status("dispatched")
    with pytest.raises(TransitionError):
        act(req, A.ASSIGN, manager_a, AT, handler=staff_b)
    with pytest.raises(TransitionError):
        act(req, A.ASSIGN, manager_a, AT)
    assert snapshot(req)["handler_id"] is None


def test_assign_sets_the_handler(in_status, manager_a, colleague_a):
    req = act(in_status("acknowledged"), A.ASSIGN, manager_a, AT, handler=colleague_a)
    assert (req.status, req.handler) == ("acknowledged", colleague_a)


def test_return_sends_the_request_back_to_the_dispatch_desk(in_status, staff_a, manager_a, colleague_a):
    req = act(in_status("dispatched"), A.ASSIGN, manager_a, AT - timedelta(hours=1), handler=colleague_a)

    req = act(req, A.RETURN, staff_a, AT)

    assert (req.status, req.handling_unit, req.handler) == ("new", None, None)
    assert req.events.latest("id").data == {"from_unit": req.logged_unit_id}


def test_extension_must_be_asked_before_the_deadline(in_status, staff_a):
    req = in_status("in_progress")
    assert req.close_due == local(2024, 3, 18, 18)
    before, events = snapshot(req), event_count(req)

    with pytest.raises(TransitionError, match="before the deadline"):
        act(req, A.EXTEND_ASK, staff_a, local(2024, 3, 18, 18, 1), days=3)

    assert snapshot(req) == before
    assert event_count(req) == events


@pytest.mark.parametrize("days", [0, -1, 31, 100])
def test_extension_outside_1_to_30_working_days_is_refused(in_status, staff_a, days):
    req = in_status("in_progress")
    with pytest.raises(TransitionError):
        act(req, A.EXTEND_ASK, staff_a, AT, days=days)
    assert snapshot(req)["pending_extension_days"] == 0


@pytest.mark.parametrize("days", [1, 30])
def test_extension_of_1_to_30_working_days_is_asked(in_status, staff_a, days):
    req = act(in_status("in_progress"), A.EXTEND_ASK, staff_a, AT, days=days)
    assert req.pending_extension_days == days
    assert req.events.latest("id").data == {"days": days}


def test_only_one_extension_may_be_pending(in_status, staff_a):
    req = act(in_status("in_progress"), A.EXTEND_ASK, staff_a, AT, days=3)
    with pytest.raises(TransitionError):
        act(req, A.EXTEND_ASK, staff_a, AT + timedelta(minutes=5), days=5)
    assert snapshot(req)["pending_extension_days"] == 3
    assert req.events.filter(action=A.EXTEND_ASK).count() == 1


@pytest.mark.parametrize("action", ["extend_approve", "extend_refuse"])
def test_deciding_without_a_pending_extension_is_refused(in_status, manager_a, action):
    req = in_status("in_progress")
    events = event_count(req)
    with pytest.raises(TransitionError):
        act(req, action, manager_a, AT)
    assert event_count(req) == events


def test_unsatisfied_feedback_reopens_the_request(in_status, manager_a):
    req = act(in_status("closed"), A.REOPEN, manager_a, AT, satisfaction="unsatisfied")

    assert (req.status, req.reopen_count, req.satisfaction) == ("in_progress", 1, "unsatisfied")
    event = req.events.latest("id")
    assert (event.action, event.from_status, event.to_status, event.data) == (
        "reopen",
        "closed",
        "in_progress",
        {"satisfaction": "unsatisfied"},
    )


def test_a_second_reopen_counts_two(in_status, staff_a, manager_a):
    req = act(in_status("closed"), A.REOPEN, manager_a, AT)
    req = act(req, A.CLOSE, staff_a, AT + timedelta(hours=1))
    req = act(req, A.REOPEN, manager_a, AT + timedelta(hours=2))
    assert req.reopen_count == 2


@pytest.mark.parametrize("satisfaction", ["satisfied", "basic"])
def test_satisfied_feedback_confirms_the_request(in_status, manager_a, satisfaction):
    req = act(in_status("closed"), A.CONFIRM, manager_a, AT, satisfaction=satisfaction)
    assert (req.status, req.reopen_count, req.satisfaction) == ("confirmed", 0, satisfaction)


def test_the_logging_units_manager_records_feedback_on_a_request_handled_elsewhere(
    staff_a, manager_a, staff_b, unit_b
):
    req = make_request(staff_a, handling_unit=unit_b, at=T0)
    req = walk_to(req, "closed", handler=staff_b, manager=None, at=T0)

    req = act(req, A.CONFIRM, manager_a, AT)

    assert req.status == "confirmed"


@pytest.mark.parametrize(
    ("action", "satisfaction"),
    [("confirm", "unsatisfied"), ("reopen", "satisfied"), ("confirm", ""), ("confirm", "happy")],
)
def test_feedback_that_does_not_match_the_move_is_refused(in_status, manager_a, action, satisfaction):
    req = in_status("closed")
    before = snapshot(req)
    with pytest.raises(TransitionError):
        act(req, action, manager_a, AT, satisfaction=satisfaction)
    assert snapshot(req) == before


def test_stale_expected_status_is_refused(in_status, staff_a):
    req = in_status("acknowledged")
    before, events = snapshot(req), event_count(req)

    with pytest.raises(TransitionError, match="Someone else"):
        act(req, A.CONTACT, staff_a, AT, expected_status="dispatched")

    assert snapshot(req) == before
    assert event_count(req) == events


def test_matching_expected_status_is_applied(in_status, staff_a):
    req = act(in_status("acknowledged"), A.CONTACT, staff_a, AT, expected_status="acknowledged")
    assert req.status == "in_progress"


def test_withdrawn_request_is_no_longer_open(in_status, staff_a):
    req = act(in_status("in_progress"), A.WITHDRAW, staff_a, AT, note="企业已自行解决")
    assert req.status == "withdrawn"
    assert not req.is_open
    assert req.events.latest("id").note == "企业已自行解决"
    assert not Request.objects.open().filter(pk=req.pk).exists()


def test_every_status_change_leaves_a_complete_history(in_status, staff_a, manager_a):
    req = act(in_status("closed"), A.CONFIRM, manager_a, AT)
    history = list(req.events.values_list("action", "from_status", "to_status"))
    assert history == [
        ("create", "", "new"),
        ("dispatch", "new", "dispatched"),
        ("acknowledge", "dispatched", "acknowledged"),
        ("contact", "acknowledged", "in_progress"),
        ("close", "in_progress", "closed"),
        ("confirm", "closed", "confirmed"),
    ]


# --- joint actions ----------------------------------------------------------------------------------


@pytest.fixture
def three_of_unit_a(staff_a, manager_a, unit_a):
    """Three open requests of unit A from three enterprises: dispatched, in progress, paused."""
    reqs = []
    for status in ("dispatched", "in_progress", "paused"):
        req = make_request(
            staff_a, handling_unit=unit_a, at=T0, category=category("招聘用工"), title="招工难"
        )
        reqs.append(walk_to(req, status, handler=staff_a, manager=manager_a, at=T0))
    return reqs


def test_joint_action_links_open_requests_of_own_unit(three_of_unit_a, staff_a):
    action = services.joint_action_create(
        by=staff_a, title="江北新区专场招聘会", description="", requests=three_of_unit_a
    )

    assert action.unit_id == staff_a.unit_id
    assert set(action.requests.values_list("pk", flat=True)) == {r.pk for r in three_of_unit_a}


def test_joint_action_needs_at_least_two_requests(three_of_unit_a, staff_a):
    with pytest.raises(ValidationError):
        services.joint_action_create(
            by=staff_a, title="专场招聘会", description="", requests=three_of_unit_a[:1]
        )
    assert not JointAction.objects.exists()


def test_joint_action_refuses_a_request_of_another_unit(three_of_unit_a, staff_a, staff_b, unit_b):
    other = make_request(staff_b, handling_unit=unit_b, at=T0)
    with pytest.raises(ValidationError):
        services.joint_action_create(
            by=staff_a, title="专场招聘会", description="", requests=[*three_of_unit_a, other]
        )
    assert not JointAction.objects.exists()
    assert not Request.objects.filter(joint_action__isnull=False).exists()


def test_joint_action_refuses_requests_a_leader_s_unit_does_not_handle(three_of_unit_a, leader):
    """The action belongs to its creator's unit, which closes it: a leader cannot group unit A's requests
    into an action of the district office that nobody could then close."""
    with pytest.raises(ValidationError):
        services.joint_action_create(by=leader, title="专场招聘会", description="", requests=three_of_unit_a)
    assert not JointAction.objects.exists()


def test_joint_action_refuses_a_closed_request(three_of_unit_a, staff_a):
    closed = act(three_of_unit_a[1], A.CLOSE, staff_a, AT)
    with pytest.raises(ValidationError):
        services.joint_action_create(
            by=staff_a, title="专场招聘会", description="", requests=[three_of_unit_a[0], closed]
        )
    assert not JointAction.objects.exists()


def test_closing_a_joint_action_closes_each_open_member_with_its_answer(three_of_unit_a, staff_a):
    dispatched, in_progress, paused = three_of_unit_a
    action = services.joint_action_create(
        by=staff_a, title="专场招聘会", description="", requests=three_of_unit_a
    )

    services.joint_action_close(
        action=action, by=staff_a, outcome="solved", answer=" 已组织专场招聘会 ", at=AT
    )

    action.refresh_from_db()
    assert (action.closed_at, action.outcome, action.answer) == (AT, "solved", "已组织专场招聘会")
    for req in three_of_unit_a:
        req.refresh_from_db()
        assert (req.status, req.outcome, req.answer, req.closed_at) == (
            "closed",
            "solved",
            "已组织专场招聘会",
            AT,
        )
    # Each keeps its own history, walking only the steps it still needed.
    assert list(dispatched.events.filter(at=AT).values_list("action", flat=True)) == ["acknowledge", "close"]
    assert list(in_progress.events.filter(at=AT).values_list("action", flat=True)) == ["close"]
    assert list(paused.events.filter(at=AT).values_list("action", flat=True)) == ["resume", "close"]
    assert set(RequestEvent.objects.filter(at=AT).values_list("by", flat=True)) == {staff_a.pk}


def test_closing_a_joint_action_leaves_members_already_closed_alone(three_of_unit_a, staff_a, manager_a):
    action = services.joint_action_create(
        by=staff_a, title="专场招聘会", description="", requests=three_of_unit_a
    )
    done = act(three_of_unit_a[1], A.CLOSE, staff_a, AT - timedelta(hours=1), answer="单独答复")
    done = act(done, A.CONFIRM, manager_a, AT - timedelta(minutes=30))
    events = event_count(done)

    services.joint_action_close(action=action, by=staff_a, outcome="solved", answer="已组织专场招聘会", at=AT)

    done.refresh_from_db()
    assert (done.status, done.answer) == ("confirmed", "单独答复")
    assert event_count(done) == events


def test_closing_a_joint_action_twice_is_refused(three_of_unit_a, staff_a):
    action = services.joint_action_create(
        by=staff_a, title="专场招聘会", description="", requests=three_of_unit_a
    )
    services.joint_action_close(action=action, by=staff_a, outcome="solved", answer="已组织", at=AT)

    with pytest.raises(TransitionError):
        services.joint_action_close(action=action, by=staff_a, outcome="solved", answer="再次", at=AT)


def test_closing_a_joint_action_without_answer_changes_nothing(three_of_unit_a, staff_a):
    action = services.joint_action_create(
        by=staff_a, title="专场招聘会", description="", requests=three_of_unit_a
    )
    before = [snapshot(r) for r in three_of_unit_a]

    with pytest.raises(TransitionError):
        services.joint_action_close(action=action, by=staff_a, outcome="solved", answer="  ", at=AT)

    assert [snapshot(r) for r in three_of_unit_a] == before
    action.refresh_from_db()
    assert action.closed_at is None


def test_closing_a_joint_action_skips_members_that_left_the_unit(three_of_unit_a, staff_a, manager_a, unit_b):
    """A member transferred to another unit or returned to the dispatch desk is no longer the unit's to
    answer: the action still closes, and those members keep their own course."""
    dispatched, in_progress, paused = three_of_unit_a
    extra = walk_to(
        make_request(staff_a, handling_unit=staff_a.unit, at=T0, title="招工难"),
        "in_progress",
        handler=staff_a,
        manager=manager_a,
        at=T0,
    )
    action = services.joint_action_create(
        by=staff_a, title="专场招聘会", description="", requests=[*three_of_unit_a, extra]
    )
    act(dispatched, A.RETURN, staff_a, AT - timedelta(hours=2))
    act(extra, A.TRANSFER, manager_a, AT - timedelta(hours=1), unit=unit_b)

    services.joint_action_close(action=action, by=staff_a, outcome="solved", answer="已组织专场招聘会", at=AT)

    statuses = dict(Request.objects.filter(joint_action=action).values_list("pk", "status"))
    assert statuses == {
        dispatched.pk: "new",
        in_progress.pk: "closed",
        paused.pk: "closed",
        extra.pk: "dispatched",
    }
    action.refresh_from_db()
    assert action.closed_at == AT


# --- status is never set any other way --------------------------------------------------------------


def test_status_is_not_an_editable_model_field():
    assert Request._meta.get_field("status").editable is False


def test_admin_form_of_requests_has_no_status_field(rf, admin_user):
    if importlib.util.find_spec("apps.service.admin") is None:
        pytest.skip("apps/service/admin.py does not exist yet: requests have no admin to check.")
    from django.contrib import admin

    if Request not in admin.site._registry:
        pytest.skip("Requests are not registered in the admin.")
    request = rf.get("/admin/")
    request.user = admin_user
    model_admin = admin.site._registry[Request]
    assert "status" not in model_admin.get_form(request).base_fields
    assert "status" not in model_admin.get_form(request, Request()).base_fields


def test_posting_a_status_to_the_request_form_is_ignored(staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a)
    response = client_for(staff_a).post(
        reverse("service:request_create"),
        {
            "enterprise": enterprise.pk,
            "source": "hotline",
            "category": category().pk,
            "title": "热线反映停水",
            "urgency": "normal",
            "handling_unit": "",
            "status": "closed",
            "reopen_count": "5",
            "closed_on_time": "on",
        },
    )

    assert response.status_code == 302
    req = Request.objects.get()
    assert (req.status, req.reopen_count, req.closed_on_time, req.closed_at) == ("new", 0, None, None)
    assert list(req.events.values_list("action", flat=True)) == ["create"]


def test_posting_a_status_to_the_visit_form_is_ignored(staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a)
    today = timezone.localdate()
    response = client_for(staff_a).post(
        reverse("service:visit_create"),
        {
            "visited_on": today.isoformat(),
            "enterprise": enterprise.pk,
            "lead_unit": unit_a.pk,
            "mode": "on_site",
            "summary": "",
            "status": "closed",
            "requests-TOTAL_FORMS": "1",
            "requests-INITIAL_FORMS": "0",
            "requests-MIN_NUM_FORMS": "0",
            "requests-MAX_NUM_FORMS": "30",
            "requests-0-category": category().pk,
            "requests-0-title": "人才公寓",
            "requests-0-urgency": "normal",
            "requests-0-handling_unit": unit_a.pk,
            "requests-0-status": "closed",
            "requests-0-handler": staff_a.pk,
        },
    )

    assert response.status_code == 302
    req = Request.objects.get()
    assert (req.status, req.handler, req.closed_at) == ("dispatched", None, None)


def test_open_statuses_are_the_ones_before_closure():
    assert set(OPEN_STATUSES) == OPEN
