from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from apps.accounts.models import User
from apps.core.batch import Aggregate, Rows, execute, reused, reused_values
from apps.core.exports import export_response
from apps.core.querysets import TableRow
from apps.core.views import FilteredListView, safe_next, url_maker
from apps.core.widgets import option_html
from apps.enterprises.models import Enterprise
from apps.units.models import Unit

from .. import exports as _exports  # noqa: F401 (registers the requests sheet)
from .. import services
from ..filters import LoggedRequestFilter, RequestFilter
from ..forms import ActionForm, AttachmentForm, RequestForm
from ..models import (
    OPEN_STATUSES,
    URGENCY_RANK,
    Attachment,
    Notification,
    Request,
    RequestEvent,
    Status,
    Supervision,
    VisitAssignment,
)
from ..selectors import busy_units, handler_counts
from .common import HANDLER_COLUMNS, due_badge, handler_name, request_rows, request_table, table_values
from .supervision import supervision_context

A = RequestEvent.Action


class RequestListView(FilteredListView):
    filterset_class = RequestFilter
    template_name = "service/request_list.html"
    table_rows = request_table

    def get_queryset(self):
        return Request.objects.visible_to(self.request.user)

    # An unfiltered page is found through the unit's arms (Request.visible_arms), each arm's first fifty
    # from its own index in the list's order, where the OR walked the district's list order past every
    # other unit's requests (most units' first and last pages: 25-85 ms at province scale, 17-28 through
    # the arms). Filtered, the OR is answered from the filter's index and the arms were no better (closed
    # requests: 26-36 ms either way for most units) or worse (a person, a month long past, a search,
    # another order can make an arm's index a poor way to its rows). Counted through the arms in no order,
    # each from its own index alone: reading 1,001 entries of each arm in order to count them took 45-155
    # ms, and the OR counted a bitmap of the unit's rows from the table's pages (2.7 ms against 0.3).
    count_in_order = False

    def visibility_arms(self):
        if self.filter_chosen():
            return None
        arms = Request.objects.visible_arms(self.request.user)  # None: a leader's, every request
        if arms is None or self.request.user.unit_id in busy_units():
            return None  # a busy unit's page is among the district list order's first entries (BUSY_SHARE)
        return arms

    def visibility_key(self):
        return self.request.user.units_seen  # Request.objects.visible_to: every unit's, or the unit's

    def without_visibility(self):
        return Request.objects.all()  # the arms are visible_to's rule, split (Request.objects._unit_sees)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The same-day acknowledgement drill-down (a figure's or the ranking board's `ack_decided=true`: every
        # listed request's 事不过夜 is decided) marks those that missed it.
        chosen = getattr(self.filterset.form, "cleaned_data", {}) if self.filterset.is_bound else {}
        context["mark_ack_missed"] = chosen.get("ack_decided") is True
        return context


class LoggedRequestListView(RequestListView):
    """The requests the user logged, wherever they are now (status, handling unit, deadline), 50 to a page:
    the person who logged a request follows it to its end (they are told when it is closed, returned,
    reopened or withdrawn). Only those they may still open (`visible_to`)."""

    filterset_class = LoggedRequestFilter
    template_name = "service/logged_requests.html"

    def get_queryset(self):
        user = self.request.user
        return Request.objects.visible_to(user).filter(created_by=user)

    def visibility_arms(self):
        return None  # their own requests: read from request_logged_by, not the unit's arms

    def visibility_key(self):
        return None  # their own: the user's, not only their unit's


class RequestExportView(View):
    def get(self, request):
        # up to EXPORT_DIRECT_MAX rows at once; more as a job with a progress page (apps/core/exports.py)
        back = reverse("service:request_list") + (f"?{request.GET.urlencode()}" if request.GET else "")
        return export_response(request, "service.requests", back=back)


class RequestDetailView(DetailView):
    template_name = "service/request_detail.html"
    context_object_name = "req"

    def get_queryset(self):
        return request_rows(Request.objects.visible_to(self.request.user)).select_related(
            "visit", "joint_action"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        req, user = self.object, self.request.user
        services.notifications_read(user=user, request=req)  # the badge on this page counts them off too
        moves = services.allowed_moves(user, req)
        context.update(
            events=req.events.select_related("by"),
            attachments=req.attachments.select_related("uploaded_by"),
            co_units=req.co_units.all(),
            moves=[(m, services.MOVES[m].label) for m in moves],
            action_form=ActionForm(initial={"expected_status": req.status}),
            unit_users=User.objects.filter(unit_id=req.handling_unit_id, is_active=True)
            if A.ASSIGN in moves
            else [],
            units=Unit.objects.active() if {A.DISPATCH, A.TRANSFER} & set(moves) else [],
            satisfaction_choices=Request.Satisfaction.choices,
            outcome_choices=Request.Outcome.choices,
            can_attach=services.can_attach(user, req),
            attachment_form=AttachmentForm(),
            now=timezone.now(),
        )
        context.update(supervision_context(user, req, context["now"]))
        return context


@require_POST
def request_act(request, pk):
    """Apply one life-cycle move posted from the request page or a to-do list."""
    req = get_object_or_404(Request.objects.visible_to(request.user), pk=pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The action could not be read. Try again."))
        return redirect(safe_next(request, req_url(req)))
    data = form.cleaned_data
    action = data["action"]
    if action in (A.CONFIRM, A.REOPEN, "feedback"):
        # One "feedback" form: unsatisfied reopens the request (重办), anything else confirms it.
        action = A.REOPEN if data["satisfaction"] == Request.Satisfaction.UNSATISFIED else A.CONFIRM
    try:
        services.request_transition(
            request=req,
            action=action,
            by=request.user,
            note=data["note"],
            expected_status=data["expected_status"],
            expected_version=data["expected_version"],
            unit=data["unit"],
            handler=data["handler"] if action == A.ASSIGN else None,
            outcome=data["outcome"],
            answer=data["answer"],
            satisfaction=data["satisfaction"],
            days=data["days"] or 0,
            co_units=data["co_units"]
            if action in (A.DISPATCH, A.TRANSFER) and "co_units" in request.POST
            else None,
        )
    except PermissionDenied:
        messages.error(request, _("You may not do that on this request."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        label = services.MOVES[action].label if action in services.MOVES else action
        messages.success(request, _("Done: %(action)s.") % {"action": label})
    return redirect(safe_next(request, req_url(req)))


def req_url(req) -> str:
    from django.urls import reverse

    return reverse("service:request_detail", args=[req.pk])


@require_POST
def attachment_upload(request, pk):
    req = get_object_or_404(Request.objects.visible_to(request.user), pk=pk)
    if not services.can_attach(request.user, req):
        raise PermissionDenied
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(request=req, by=request.user, uploaded=form.cleaned_data["file"])
            messages.success(request, _("Attachment added."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a file."))
    return redirect(req_url(req))


def attachment_download(request, pk):
    """Attachments are served only through this permission check, never from a guessable URL."""
    attachment = get_object_or_404(
        Attachment.objects.filter(request__in=Request.objects.visible_to(request.user)), pk=pk
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


class RequestCreateView(View):
    """Log a request that did not come from a visit (hotline, letter, meeting, online, leader)."""

    template_name = "service/request_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("service.add_request"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        initial = {}
        enterprise = None
        if request.GET.get("enterprise", "").isdecimal():
            enterprise = (
                Enterprise.objects.visible_to(request.user).filter(pk=request.GET["enterprise"]).first()
            )
            initial["enterprise"] = enterprise
        return render(
            request,
            self.template_name,
            {"form": RequestForm(user=request.user, initial=initial), "enterprise": enterprise},
        )

    def post(self, request):
        form = RequestForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            req = services.request_create(
                by=request.user,
                enterprise=d["enterprise"],
                source=d["source"],
                category=d["category"],
                title=d["title"],
                description=d["description"],
                urgency=d["urgency"],
                handling_unit=d["handling_unit"],
            )
            messages.success(request, _("Request #%(id)d logged.") % {"id": req.pk})
            return redirect(req_url(req))
        enterprise = form.cleaned_data.get("enterprise")
        return render(request, self.template_name, {"form": form, "enterprise": enterprise})


TODO_PAGE = 50  # rows per page of a to-do list: a busy handler's page stays small
# My to-do shows the unit's most urgent items nobody handles yet, and links to the unit's to-do for all: 50
# of them were half of a busy handler's page, for a section the unit to-do and the manager's desk serve
UNASSIGNED_SHOWN = 10


def _page(request, queryset, rows):
    """One page of a to-do list (`?page=`): its `rows` (a queryset of what the list shows) and the paginator,
    which counts them. The page's ids are chosen on `queryset` — the request table alone, filtered and
    ordered as `rows` — then its rows read with their joins: joined first, PostgreSQL merged a busy unit's
    thousands of open items with every enterprise to keep 50 (74 ms at province scale); and with the joins in
    the query that chooses them (even joins it then drops), it could not read the ids from an index alone."""
    paginator = Paginator(queryset.values_list("pk", flat=True), TODO_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = rows.filter(pk__in=page.object_list)  # a subquery, in the list's order
    return page


def _counted_page(request, count: int, param: str = "page"):
    """The page (`?<param>=`) of a to-do list whose `count` items were counted beforehand with other figures:
    its number as the paginator reads it (not a number: the first; past the end: the last). Its rows are the
    caller's to read, from `(page.number - 1) * TODO_PAGE`."""
    paginator = Paginator((), TODO_PAGE)
    paginator.count = count
    return paginator.get_page(request.GET.get(param))


def my_todo(request):
    """The handler's open items, most urgent and soonest due first, 50 to a page, with how many are overdue
    and due today above them, and the unit's items nobody handles yet."""
    user = request.user
    now = timezone.now()
    # in one round trip: the handler's counts (read from the index request_todo alone), the unit's items
    # nobody handles, and which of the handler's items are under supervision (督办, tagged in the table)
    got = execute({"mine": handler_counts(user, now), **_my_todo_specs(user.pk, user.unit_id)})
    counts = got["mine"] | {"waiting": got["waiting"]["n"]}
    page = _counted_page(request, counts["open"])
    items = []
    if counts["open"]:
        items = request_table(values=_my_todo_rows(user.pk, (page.number - 1) * TODO_PAGE), now=now)
    unassigned = []
    if user.unit_id and counts["waiting"]:
        unassigned = request_table(values=_unassigned_rows(user.unit_id), now=now)
    assignments = [a | {"due_on": date.fromisoformat(a["due_on"])} for a in got["assignments"]]
    return render(
        request,
        "service/my_todo.html",
        {
            "items": items,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "due": {"overdue": counts["overdue"], "due_today": counts["due_today"]},
            "unassigned": unassigned,
            "unassigned_count": counts["waiting"],
            "assignments": assignments,
            "supervised_ids": {row["request_id"] for row in got["supervised"]},
        },
    )


MY_TODO_ORDER = (URGENCY_RANK, "close_due", "pk")  # the most urgent, then the soonest due
ASSIGNMENTS_SHOWN = 100


@reused
def _my_todo_specs(user_id: int, unit_id: int | None) -> dict:
    """What My to-do counts besides the handler's own items, composed once per process and user: the
    unit's open items nobody handles (none without a unit), which of the handler's items are under
    supervision, and the visits the handler is asked to make (the first 100 by date)."""
    return {
        "assignments": Rows(
            VisitAssignment.objects.filter(assignee_id=user_id, visit__isnull=True).values(
                "enterprise_id", "due_on", enterprise_name=F("enterprise__name")
            )[:ASSIGNMENTS_SHOWN]
        ),
        "waiting": Aggregate(_unassigned(unit_id) if unit_id else Request.objects.none(), n=Count("pk")),
        "supervised": Rows(
            Supervision.objects.pending()
            .filter(request__handler_id=user_id, request__status__in=OPEN_STATUSES)
            .order_by()
            .values("request_id")
        ),
    }


@reused_values
def _my_todo_rows(user_id: int, offset: int):
    """One page of a handler's open items, from `offset`, as a request table's values (composed once per
    process and page)."""
    mine = Request.objects.open().filter(handler_id=user_id).order_by(*MY_TODO_ORDER)
    return table_values(mine[offset : offset + TODO_PAGE])


@reused_values
def _unassigned_rows(unit_id: int):
    """The unit's most urgent open items nobody handles yet, as a request table's values."""
    return table_values(_unassigned(unit_id).order_by(*MY_TODO_ORDER)[:UNASSIGNED_SHOWN])


def _unassigned(unit_id: int):
    """The unit's open items nobody handles yet."""
    return Request.objects.open().filter(handling_unit_id=unit_id, handler__isnull=True)


def unit_todo(request):
    """The unit's to-do list: every open item of the unit (50 to a page); managers assign, decide extensions,
    confirm."""
    user = request.user
    unit_id = user.unit_id
    if request.GET.get("unit", "").isdecimal() and user.has_perm("accounts.view_all_units"):
        unit_id = int(request.GET["unit"])
    unit = user.unit if unit_id == user.unit_id else None  # one's own unit comes with the signed-in user
    if unit is None and unit_id:
        unit = get_object_or_404(Unit, pk=unit_id)
    counts = execute(_unit_todo_counts(unit_id))  # the three sections counted in one round trip
    now = timezone.now()
    pages = {}
    for name, (param, _order) in UNIT_TODO_SECTIONS.items():
        page = _counted_page(request, counts[name]["n"], param)
        if page.paginator.count:  # an empty section asks nothing more
            page.object_list = _todo_rows(_unit_todo_rows(unit_id, name, (page.number - 1) * TODO_PAGE), now)
        pages[name] = page
    is_manager = user.has_perm("accounts.manage_unit") and unit_id == user.unit_id
    handlers = User.objects.filter(unit_id=unit_id, is_active=True) if is_manager else []
    return render(
        request,
        "service/unit_todo.html",
        {
            "unit": unit,
            **pages,
            "handler_options": HandlerOptions([(person.pk, str(person)) for person in handlers]),
            "is_manager": is_manager,
            "satisfaction_options": _options(Request.Satisfaction.choices, chosen=""),
            "now": now,
        },
    )


def _options(choices, *, chosen) -> str:
    """The `<option>`s of a row's select on the unit to-do: the empty one (selected when `chosen` is "" or
    None), then `choices` ((value, label) pairs), the one equal to `chosen` selected."""
    chosen = {"" if chosen is None else str(chosen)}
    return mark_safe(
        option_html("", "—", chosen) + "".join(option_html(v, label, chosen) for v, label in choices)
    )


class HandlerOptions(dict):
    """A row's handler options on the unit to-do, by the row's handler (`handler_options[handler_id]`):
    each variant — nobody yet, one of the unit's people, someone no longer among them — drawn once a page,
    not the unit's people once for each of 50 rows."""

    def __init__(self, handlers: list[tuple[int, str]]):
        chosen = (None, *(pk for pk, _name in handlers))
        super().__init__({pk: _options(handlers, chosen=pk) for pk in chosen})
        self.nobody_listed = _options(handlers, chosen=-1)  # a handler who left the unit: no option chosen

    def __missing__(self, handler_id):
        return self.nobody_listed


# The unit to-do's sections: (their page parameter, their order)
UNIT_TODO_SECTIONS = {
    "page_obj": ("page", ("urgency_rank", "close_due", "pk")),
    "extensions": ("extensions_page", ("close_due",)),
    "to_confirm": ("confirm_page", ("closed_at",)),
}


def _unit_todo_sections(unit_id: int | None) -> dict:
    """The requests of each section of a unit's to-do: open, asking for more time, closed and waiting for
    the enterprise's feedback."""
    of_unit = Request.objects.filter(handling_unit_id=unit_id)
    return {
        "page_obj": of_unit.open(),
        "extensions": of_unit.open().filter(pending_extension_days__gt=0),
        "to_confirm": of_unit.filter(status="closed"),
    }


@reused
def _unit_todo_counts(unit_id: int | None) -> dict:
    """How many requests each section of a unit's to-do has (specs composed once per process and unit)."""
    return {name: Aggregate(rows, n=Count("*")) for name, rows in _unit_todo_sections(unit_id).items()}


@reused_values
def _unit_todo_rows(unit_id: int | None, section: str, offset: int):
    """One page of a section of a unit's to-do, from `offset`, as values of TODO_COLUMNS and HANDLER_COLUMNS
    (composed once per process and page). The page's ids are chosen on the request table alone, then its
    rows read with their joins, as `_page` does."""
    requests = _unit_todo_sections(unit_id)[section].annotate(urgency_rank=URGENCY_RANK)
    requests = requests.order_by(*UNIT_TODO_SECTIONS[section][1])
    rows = requests.annotate(
        supervised=Exists(Supervision.objects.pending().filter(request=OuterRef("pk")))
    ).values(*TODO_COLUMNS, *HANDLER_COLUMNS)
    return rows.filter(pk__in=requests.values("pk")[offset : offset + TODO_PAGE])


# What a to-do section's rows show (jinja2/service/unit_todo_rows.html), read as values: 150 rows of a
# manager's page built as requests with their enterprise and handler cost more than the page's queries.
TODO_COLUMNS = ("pk", "title", "status", "version", "urgency", "close_due", "handler_id", "outcome",
                "pending_extension_days", "supervised", "enterprise__name")  # fmt: skip


class TodoRow:
    """One row of a to-do section: its columns, and its links, labels and badges worked out in Python."""

    __slots__ = (
        *(column.replace("__", "_") for column in TODO_COLUMNS),
        "handler_name",
        "url",
        "act_url",
        "status_label",
        "urgency_label",
        "due",
        "outcome_label",
        "asked_label",
    )


def _todo_rows(requests, now) -> list[TodoRow]:
    """The rows of a to-do section (`requests`: values of TODO_COLUMNS and HANDLER_COLUMNS) with what they
    print: links, status, deadline and urgency badges (as includes/request_badges.html), worked out once in
    Python — each label translated once a page, not once a row."""
    detail, act = url_maker("service:request_detail"), url_maker("service:request_act")
    statuses, urgencies, outcomes = (
        {value: str(label) for value, label in choices}
        for choices in (Status.choices, Request.Urgency.choices, Request.Outcome.choices)
    )
    labels = {"overdue": _("overdue"), "due_today": _("due today"), "due": _("due %(date)s")}
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now, zone)
    asked = {}
    rows = []
    for values in requests:
        r = TodoRow()
        for column in TODO_COLUMNS:
            setattr(r, column.replace("__", "_"), values[column])
        r.enterprise_name = r.enterprise_name or ""  # a request without an enterprise (null=True)
        r.handler_name = handler_name(values)
        r.url, r.act_url = detail(r.pk), act(r.pk)
        r.status_label = statuses.get(r.status, r.status)
        r.urgency_label = "" if r.urgency == Request.Urgency.NORMAL else urgencies[r.urgency]
        r.due = due_badge(r, now, today, zone, labels)
        r.outcome_label = outcomes.get(r.outcome, "") if r.outcome else ""
        days = r.pending_extension_days or 0
        if days not in asked:
            asked[days] = ngettext("%(days)s working day asked", "%(days)s working days asked", days) % {
                "days": days
            }
        r.asked_label = asked[days]
        rows.append(r)
    return rows


def _dispatchable(user):
    """The requests waiting for a unit that `user` dispatches: those their unit logged, or all for leaders."""
    return _waiting_for_a_unit(*_desk_scope(user))


def _desk_scope(user) -> tuple[bool, int | None]:
    """Whose waiting requests `user` dispatches: (True, None) every unit's, with the district permission;
    else (False, their unit's id)."""
    every = user.has_perm("accounts.view_all_units")
    return every, None if every else user.unit_id


def _waiting_for_a_unit(every: bool, logged_unit_id: int | None):
    """The requests waiting for a unit: all (`every`), or those `logged_unit_id` logged."""
    items = Request.objects.filter(status=Status.NEW)
    return items if every else items.filter(logged_unit_id=logged_unit_id)


def dispatch_desk(request):
    """Requests not yet with a unit, oldest first, 50 to a page: the dispatcher ticks one or several and
    sends them to the responsible unit in one go (one unit list on the page, not one per row)."""
    user = request.user
    if not user.has_perm("service.dispatch_request"):
        raise PermissionDenied
    scope = _desk_scope(user)
    page = _counted_page(request, execute(_desk_count(*scope))["queue"]["n"])
    page.object_list = (
        _desk_rows(_desk_values(*scope, (page.number - 1) * TODO_PAGE)) if page.paginator.count else []
    )
    return render(
        request,
        "service/dispatch_desk.html",
        {
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "units": Unit.objects.active().values_list("pk", "short_name"),
        },
    )


DESK_ORDER = ("received_at", "pk")  # the oldest first


@reused
def _desk_count(every: bool, logged_unit_id: int | None) -> dict:
    """How many requests wait for a unit at the desk (composed once per process and unit)."""
    return {"queue": Aggregate(_waiting_for_a_unit(every, logged_unit_id), n=Count("*"))}


@reused_values
def _desk_values(every: bool, logged_unit_id: int | None, offset: int):
    """One page of the desk from `offset`, as the values its rows print, whether each came back from a unit
    among them (composed once per process and page). The page's ids are chosen on the request table alone,
    then its rows read with their joins, as `_page` does."""
    queue = _waiting_for_a_unit(every, logged_unit_id).order_by(*DESK_ORDER)
    returned = RequestEvent.objects.filter(request=OuterRef("pk"), action=A.RETURN)
    return (
        queue.annotate(returned=Exists(returned))
        .values(
            "pk",
            "title",
            "version",
            "source",
            "received_at",
            "returned",
            enterprise_name=F("enterprise__name"),
            category_name=F("category__name"),
            logged_unit_name=F("logged_unit__short_name"),
        )
        .filter(pk__in=queue.values("pk")[offset : offset + TODO_PAGE])
    )


class DeskRow(TableRow):
    """One row of the dispatch desk: the columns it reads (`_desk_values`) and what it prints."""

    columns = ("pk", "title", "version", "source", "received_at", "returned", "enterprise_name",
               "category_name", "logged_unit_name")  # fmt: skip
    __slots__ = (*columns, "url", "source_label", "received_label")


def _desk_rows(values: list[dict]) -> list[DeskRow]:
    """What the desk's rows print (jinja2/service/dispatch_rows.html), worked out once in Python: the link,
    the enterprise-source badge, the time received; nothing for a name a request lacks."""
    detail = url_maker("service:request_detail")
    by_enterprise = str(Request.Source.ENTERPRISE.label)
    rows = []
    for v in values:
        r = DeskRow()
        for column in DeskRow.columns:
            setattr(r, column, "" if v[column] is None else v[column])
        r.url = detail(r.pk)
        r.source_label = by_enterprise if r.source == Request.Source.ENTERPRISE else ""
        r.received_label = f"{timezone.localtime(r.received_at):%m-%d %H:%M}"
        rows.append(r)
    return rows


@require_POST
def dispatch_many(request):
    """Dispatch the ticked requests to one unit: each is one move of the life cycle (the service checks the
    user may make it and that nobody changed the request since the page was drawn)."""
    user = request.user
    if not user.has_perm("service.dispatch_request"):
        raise PermissionDenied
    back = safe_next(request, "service:dispatch_desk")
    ids = [int(pk) for pk in request.POST.getlist("requests") if pk.isdecimal() and len(pk) < 12][:TODO_PAGE]
    chosen = request.POST.get("unit", "")
    unit = (
        Unit.objects.active().filter(pk=chosen).first() if chosen.isdecimal() and len(chosen) < 12 else None
    )
    if not ids or unit is None:
        messages.error(request, _("Tick the requests to dispatch and choose the unit."))
        return redirect(back)
    done = 0
    for req in _dispatchable(user).filter(pk__in=ids).order_by("pk"):
        version = request.POST.get(f"version-{req.pk}", "")
        try:
            services.request_transition(
                request=req,
                action=A.DISPATCH,
                by=user,
                unit=unit,
                expected_status=Status.NEW,
                # a version missing or unreadable is one nobody saw: refused as a change since the page
                expected_version=int(version) if version.isdecimal() and len(version) < 12 else -1,
            )
        except PermissionDenied:
            messages.error(request, _("#%(id)d: you may not dispatch it.") % {"id": req.pk})
        except ValidationError as exc:
            messages.error(request, f"#{req.pk}: {' '.join(exc.messages)}")
        else:
            done += 1
    if done:
        messages.success(
            request,
            _("%(count)d request(s) dispatched to %(unit)s.") % {"count": done, "unit": unit.short_name},
        )
    return redirect(back)


def notifications(request):
    items = Notification.objects.filter(user=request.user).select_related("request")[:100]
    return render(request, "service/notifications.html", {"items": items})


@require_POST
def notifications_read(request):
    services.notifications_read(user=request.user)
    return redirect("service:notifications")
