"""Campaign 1 — serving enterprises: visits, the requests heard there, and their life cycle.

A request's status changes only through `services.request_transition`, which appends a RequestEvent; the
deadlines stored on the request are derived from those events by `clocks.compute` and can be re-run.
"""

import uuid
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.querysets import pk_among
from apps.enterprises.models import Contact, Enterprise
from apps.units.models import Unit


class Concerns(models.TextChoices):
    """What a visit or a request is about. Campaign 1 counts those about enterprises; a higher campaign that
    logs its visits and problems through this app says so when it calls (projects: a project; research: an
    R&D entity), with the unit they count for, so that its figures read this app's roll-ups by both."""

    ENTERPRISE = "enterprise", _("An enterprise")
    PROJECT = "project", _("A project")
    RD_ENTITY = "rd_entity", _("An R&D entity")


def _concerns_field():
    return models.CharField(
        _("concerns"), max_length=10, choices=Concerns.choices, default=Concerns.ENTERPRISE, editable=False
    )


def _counts_for_field():
    return models.ForeignKey(
        Unit,
        verbose_name=_("counts for unit"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        help_text=_("The unit whose figures it counts in, when it concerns a project (the project's unit)."),
    )


CHECKIN_MAX_ACCURACY_M = 100_000  # a fix less precise than 100 km does not say where a visit was


class VisitQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see visits their unit led or joined; leaders see all."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("accounts.view_all_units"):
            return self
        led, joined = self._unit_sees(user.unit_id)
        return self.filter(led | joined)  # both from indexes, ORed as bitmaps: no join, no DISTINCT

    def visible_arms(self, user) -> list[Q] | None:
        """The same visits as disjoint conditions, each read from its own index, for the visit list to read
        as a union in its order (apps.core.querysets.OrderedUnion); None: everything."""
        if user.has_perm("accounts.view_all_units"):
            return None
        led, joined = self._unit_sees(user.unit_id)
        return [led, joined & ~led]

    @staticmethod
    def _unit_sees(unit_id) -> tuple[Q, Q]:
        """Led by the unit (visit_unit_order); joined by it (pk_among: the primary key's index)."""
        joined = Visit.joint_units.through.objects.filter(unit_id=unit_id).values("visit_id")
        return Q(lead_unit_id=unit_id), pk_among(joined)

    def in_period(self, start, end):
        return self.filter(visited_on__gte=start, visited_on__lte=end)


class Visit(models.Model):
    """A visit (走访) to an enterprise — or, for later campaigns, to a project or an R&D entity, which
    link to their visits from their own apps; `target_name` then names what was visited."""

    class Mode(models.TextChoices):
        ON_SITE = "on_site", _("On site")
        VIDEO = "video", _("Video call")
        PHONE = "phone", _("Phone")
        MEETING = "meeting", _("Meeting")

    visited_on = models.DateField(_("date"))
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="visits",
        null=True,
        blank=True,
    )
    target_name = models.CharField(_("visited"), max_length=200, blank=True)
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("lead unit"),
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,  # visit_unit_date and visit_unit_order start with it
    )
    joint_units = models.ManyToManyField(
        Unit, verbose_name=_("joint units"), blank=True, related_name="joint_visits"
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff who went"), related_name="visits", blank=True
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.ON_SITE)
    summary = models.TextField(_("summary"), max_length=5000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("logged at"), default=timezone.now)
    concerns = _concerns_field()
    counts_for = _counts_for_field()
    # The optional location check-in (browser geolocation, asked each time): where the phone said it was,
    # how sure it was, and when. All four or none (visit_checkin_complete); written only by visit_record.
    checkin_latitude = models.DecimalField(
        _("check-in latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        editable=False,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    checkin_longitude = models.DecimalField(
        _("check-in longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        editable=False,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    checkin_accuracy = models.PositiveIntegerField(
        _("check-in accuracy (m)"),
        null=True,
        blank=True,
        editable=False,
        validators=[MinValueValidator(1), MaxValueValidator(CHECKIN_MAX_ACCURACY_M)],
    )
    checkin_at = models.DateTimeField(_("checked in at"), null=True, blank=True, editable=False)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    checkin_latitude__isnull=True,
                    checkin_longitude__isnull=True,
                    checkin_accuracy__isnull=True,
                    checkin_at__isnull=True,
                )
                | Q(
                    checkin_latitude__gte=-90,
                    checkin_latitude__lte=90,
                    checkin_longitude__gte=-180,
                    checkin_longitude__lte=180,
                    checkin_accuracy__gt=0,
                    checkin_at__isnull=False,
                ),
                name="visit_checkin_complete",
                violation_error_message=_("A check-in needs its latitude, longitude, accuracy and time."),
            )
        ]
        indexes = [
            models.Index(fields=["visited_on"], name="visit_date"),
            models.Index(fields=["lead_unit", "visited_on"], name="visit_unit_date"),
            # a unit's visit list in order (its arm of visible_arms), read from the index alone, filtered by
            # mode too (the busiest unit's phone visits: 870 pages of rows read for 85, 2.7 ms -> 0.3)
            models.Index(
                fields=["lead_unit", "-visited_on", "-id"], include=["mode"], name="visit_unit_order"
            ),
            # the visits a unit joined (the other arm, found by id): their list columns without the rows
            models.Index(fields=["id"], include=["visited_on", "lead_unit", "mode"], name="visit_joined_arm"),
            models.Index(fields=["enterprise", "visited_on"], name="visit_enterprise_date"),
            # the visit list's search by what was visited (apps.service.filters.text_or_enterprise)
            GinIndex(OpClass(Upper("target_name"), name="gin_trgm_ops"), name="visit_target_trgm"),
            models.Index(fields=["visited_on"], condition=Q(concerns="project"), name="visit_project_date"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.target}"

    @property
    def target(self) -> str:
        return self.target_name or (self.enterprise.name if self.enterprise_id else "")

    @property
    def has_checkin(self) -> bool:
        return self.checkin_at is not None


class VisitAssignment(models.Model):
    """A manager asks a staff member to visit a key enterprise not yet visited this year."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="visit_assignments"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.CASCADE, related_name="+"
    )
    due_on = models.DateField(_("visit by"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("visit assignment")
        verbose_name_plural = _("visit assignments")

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.assignee}"


class Category(models.Model):
    """Request taxonomy with default time limits in working days (admin-editable)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    contact_days = models.PositiveSmallIntegerField(_("first contact within (working days)"), default=1)
    close_days = models.PositiveSmallIntegerField(_("close within (working days)"), default=10)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    NEW = "new", _("New")
    DISPATCHED = "dispatched", _("Dispatched")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")
    CONFIRMED = "confirmed", _("Confirmed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = [Status.NEW, Status.DISPATCHED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.PAUSED]
CLOSED_STATUSES = [Status.CLOSED, Status.CONFIRMED]


def overdue_q(now) -> Q:
    """Overdue at `now`: open, its clock running (not paused) and past its deadline — as `Request.due_state`
    says it. For a filter or a count's filter (the to-do counts, the manager's home by handler)."""
    return Q(status__in=OPEN_STATUSES, close_due__lt=now) & ~Q(status=Status.PAUSED)


class RequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see requests their unit logged, handles or co-handles; leaders see all."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("accounts.view_all_units"):
            return self
        # Three arms PostgreSQL answers from indexes and ORs as bitmaps (BitmapOr), never a scan of the whole
        # table (pk_among: the co-handled requests from the primary key's index).
        handles, logged, co_handles = self._unit_sees(user.unit_id)
        return self.filter(handles | logged | co_handles)

    def visible_arms(self, user) -> list[Q] | None:
        """The same requests as disjoint conditions, for the request list to read as a union in its order
        (apps.core.querysets.OrderedUnion), each arm its first page's entries from its own index in that
        order; None: everything. Read as the OR, a page of most units' lists walked the district's list
        order past every other unit's requests, dropping them one by one: 20,000 to 200,000 entries for a
        unit with a few thousand requests (40–85 ms at province scale; the busiest unit's first page came
        after a few hundred, which is why the bench, measuring that unit alone, never showed it)."""
        if user.has_perm("accounts.view_all_units"):
            return None
        handles, logged, co_handles = self._unit_sees(user.unit_id)
        return [handles, logged & ~handles, co_handles & ~handles & ~logged]

    @staticmethod
    def _unit_sees(unit_id) -> tuple[Q, Q, Q]:
        """Handled by the unit (request_unit_list_order), logged by it (request_logged_list_order),
        co-handled by it (pk_among: the primary key's index)."""
        co_handled = Request.co_units.through.objects.filter(unit_id=unit_id).values("request_id")
        return Q(handling_unit_id=unit_id), Q(logged_unit_id=unit_id), pk_among(co_handled)

    def locked(self):
        """The requests locked for a write (FOR UPDATE): their own rows alone, never those a select_related
        joins — a move that locked its request's category queued every move of the category's requests,
        and a request logged in that category meanwhile deadlocked against it."""
        return self.select_for_update(of=("self",))

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self):
        return self.filter(status__in=CLOSED_STATUSES)

    def overdue(self, now=None):
        return self.filter(overdue_q(now or timezone.now()))

    def received_between(self, start, end):
        """Requests received in [start, end] (dates, Asia/Shanghai calendar days)."""
        return self.filter(received_on__gte=start, received_on__lte=end)


# The to-do lists' first order: 0 critical, 1 urgent, 2 normal (Request.Urgency); then the soonest due. The
# index request_todo holds this very expression.
URGENCY_RANK = Case(
    When(urgency="critical", then=Value(0)),
    When(urgency="urgent", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


class Request(models.Model):
    """A request (诉求) raised by an enterprise: one item of the issue to-do list (问题待办清单)."""

    class Source(models.TextChoices):
        VISIT = "visit", _("Visit")
        HOTLINE = "hotline", _("12345 hotline")
        LETTER = "letter", _("Letter")
        MEETING = "meeting", _("Meeting")
        ONLINE = "online", _("Online")
        LEADER = "leader", _("Leader's instruction")
        # submitted by an enterprise contact through their personal link (企业自报), no staff author
        ENTERPRISE = "enterprise", _("Submitted by the enterprise")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")
        CRITICAL = "critical", _("Critical")

    class Outcome(models.TextChoices):
        SOLVED = "solved", _("Solved")
        EXPLAINED = "explained", _("Explained, not solvable")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASIC = "basic", _("Basically satisfied")
        UNSATISFIED = "unsatisfied", _("Unsatisfied")

    class RatedBy(models.TextChoices):
        """Who gave the satisfaction rating the figures count: the enterprise's own rating replaces a
        staff-entered one (existing ratings were migrated as staff-entered)."""

        STAFF = "staff", _("Entered by staff")
        ENTERPRISE = "enterprise", _("Given by the enterprise")

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="requests",
        null=True,
        db_index=False,  # request_enterprise starts with it
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.VISIT)
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        on_delete=models.PROTECT,
        related_name="requests",
        null=True,
        blank=True,
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(pgettext_lazy("a request's heading", "title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    logged_unit = models.ForeignKey(
        Unit,
        verbose_name=_("logged by unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # request_logged_unit and request_logged_list_order start with it
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,  # a request the enterprise submitted itself has its contact instead
        blank=True,
        db_index=False,  # request_logged_by starts with it
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("submitted by contact"),
        on_delete=models.SET_NULL,
        related_name="requests",
        null=True,
        blank=True,
        editable=False,
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    received_on = models.DateField(_("received on"), editable=False)  # Asia/Shanghai date of received_at
    joint_action = models.ForeignKey(
        "JointAction",
        verbose_name=_("joint action"),
        on_delete=models.SET_NULL,
        related_name="requests",
        null=True,
        blank=True,
    )

    # Set only by the transition service (read-only in forms and admin).
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.NEW, editable=False
    )
    handling_unit = models.ForeignKey(
        Unit,
        verbose_name=_("handling unit"),
        on_delete=models.PROTECT,
        related_name="handled_requests",
        null=True,
        blank=True,
        db_index=False,  # request_unit_list_order and seven more indexes start with it
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        related_name="handled_requests",
        null=True,
        blank=True,
        db_index=False,  # request_handler_status starts with it
    )
    co_units = models.ManyToManyField(Unit, verbose_name=_("co-handling units"), blank=True, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("answer given"), max_length=5000, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    satisfaction_by = models.CharField(
        _("satisfaction rated by"), max_length=10, choices=RatedBy.choices, blank=True, editable=False
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    pending_extension_days = models.PositiveSmallIntegerField(_("extension asked (working days)"), default=0)

    # Derived from the events by clocks.compute (re-runnable after a calendar or rule change).
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    ack_due = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    contact_due = models.DateTimeField(_("first contact by"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    close_due = models.DateTimeField(_("close by"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    feedback_at = models.DateTimeField(_("feedback at"), null=True, blank=True)
    ack_on_time = models.BooleanField(_("acknowledged the same working day"), null=True, blank=True)
    closed_on_time = models.BooleanField(_("closed on time"), null=True, blank=True)
    workdays_to_close = models.PositiveSmallIntegerField(_("working days to close"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)  # +1 on every transition
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    concerns = _concerns_field()
    counts_for = _counts_for_field()

    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        permissions = [
            ("dispatch_request", _("Can dispatch requests to units (dispatch desk)")),
            ("handle_request", _("Can work on requests of own unit")),
        ]
        indexes = [
            models.Index(fields=["received_on"], name="request_received"),
            models.Index(fields=["handling_unit", "status"], name="request_unit_status"),
            models.Index(fields=["handler", "status"], name="request_handler_status"),
            models.Index(fields=["logged_unit", "received_on"], name="request_logged_unit"),
            # the logged arm of a staff member's request list filtered by status, as request_unit_status
            # is the handled arm's: without it a middle unit's closed requests were found among all 1,337
            # it logged, each read from the table (1,315 pages, 3-4 ms of the count and again of the page)
            models.Index(fields=["logged_unit", "status"], name="request_logged_unit_status"),
            # the unit's logged arm of a staff member's request list in its order (Request.visible_arms), the
            # handling unit to leave out those it also handles: an unfiltered page from the index alone
            models.Index(
                fields=["logged_unit", "-received_at", "-id"],
                include=["handling_unit"],
                name="request_logged_list_order",
            ),
            # what a staff member logged lately, by status (their home): from the index alone. Without it
            # PostgreSQL ANDed the unit's and the user's whole history (75,000 entries, 8 ms at province).
            models.Index(
                fields=["created_by", "received_on"],
                include=["logged_unit", "status"],
                name="request_logged_by",
            ),
            models.Index(fields=["status", "close_due"], name="request_status_due"),
            models.Index(fields=["enterprise", "received_on"], name="request_enterprise"),
            # the request list's order: its first and last pages read 50 index entries, not every request
            models.Index(fields=["-received_at", "-id"], name="request_list_order"),
            # closed within a period (project problems solved, the roll-ups' late closings)
            models.Index(fields=["closed_at"], name="request_closed_at"),
            # the request list's search by title (apps.service.filters.text_or_enterprise)
            GinIndex(OpClass(Upper("title"), name="gin_trgm_ops"), name="request_title_trgm"),
            # one unit's list in order, and one unit's month for the roll-up recounts
            models.Index(fields=["handling_unit", "-received_at", "-id"], name="request_unit_list_order"),
            models.Index(fields=["handling_unit", "received_on"], name="request_unit_received"),
            models.Index(fields=["handling_unit", "close_due"], name="request_unit_due"),
            # deadlines in a partial month, district-wide: counted from the index alone
            models.Index(
                fields=["close_due"],
                include=["status", "concerns", "closed_on_time", "closed_at"],
                name="request_due",
            ),
            # My to-do: a handler's open items in the list's order (50 entries read, not the handler's
            # thousands) and its counts (overdue, due today) from the index alone
            models.Index(
                F("handler"),
                URGENCY_RANK,
                F("close_due"),
                F("id"),
                include=["status"],
                condition=Q(status__in=OPEN_STATUSES),
                name="request_todo",
            ),
            # the unit's to-do: its open items in the same order, and those with an extension to decide
            models.Index(
                F("handling_unit"),
                URGENCY_RANK,
                F("close_due"),
                F("id"),
                condition=Q(status__in=OPEN_STATUSES),
                name="request_unit_todo",
            ),
            models.Index(
                fields=["handling_unit", "close_due"],
                condition=Q(status__in=OPEN_STATUSES, pending_extension_days__gt=0),
                name="request_extension_asked",
            ),
            # ...and its closed requests awaiting the enterprise's feedback ("to confirm"), in closing order,
            # their ids too: a page's ids and the count read from the index alone
            models.Index(
                fields=["handling_unit", "closed_at", "id"],
                condition=Q(status=Status.CLOSED),
                name="request_unit_to_confirm",
            ),
            # the manager's home: the unit's open items counted per handler (all, overdue, unassigned,
            # extensions asked) from the index alone
            models.Index(
                fields=["handling_unit", "handler"],
                include=["id", "status", "close_due", "pending_extension_days"],
                condition=Q(status__in=OPEN_STATUSES),
                name="request_unit_open",
            ),
            # the dispatch desk: the requests still waiting for a unit, oldest first (a few hundred of a
            # million; the list order's index walked them among every dispatched request)
            models.Index(
                fields=["received_at", "id"], condition=Q(status=Status.NEW), name="request_dispatch_queue"
            ),
            # ...and a unit manager's desk, the requests their unit logged (counted on their home too):
            # without it PostgreSQL ANDed the queue with every request the unit ever logged
            models.Index(
                fields=["logged_unit", "received_at", "id"],
                condition=Q(status=Status.NEW),
                name="request_unit_dispatch_queue",
            ),
            # a partial month of project problems (raised, solved): a few percent of the requests
            models.Index(
                fields=["received_on"], condition=Q(concerns="project"), name="request_project_received"
            ),
            models.Index(
                fields=["closed_at"], condition=Q(concerns="project"), name="request_project_closed"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def due_state(self, now=None) -> str:
        """'overdue', 'due_today', 'due' or '' (closed / no deadline) for the badge shown everywhere."""
        if not self.is_open or self.close_due is None or self.status == Status.PAUSED:
            return ""
        now = now or timezone.now()
        if self.close_due < now:
            return "overdue"
        if timezone.localdate(self.close_due) == timezone.localdate(now):
            return "due_today"
        return "due"


class RequestEvent(models.Model):
    """One append-only row per change of a request: who, when, from, to, note (and the action's data)."""

    class Action(models.TextChoices):
        CREATE = "create", _("Received")
        DISPATCH = "dispatch", _("Dispatched")
        ASSIGN = "assign", _("Handler assigned")
        ACKNOWLEDGE = "acknowledge", _("Acknowledged")
        CONTACT = "contact", _("First contact")
        CLOSE = "close", _("Closed")
        CONFIRM = "confirm", _("Feedback recorded")
        REOPEN = "reopen", _("Reopened")
        TRANSFER = "transfer", _("Transferred")
        RETURN = "return", _("Returned to dispatcher")
        EXTEND_ASK = "extend_ask", _("Extension requested")
        EXTEND_APPROVE = "extend_approve", _("Extension approved")
        EXTEND_REFUSE = "extend_refuse", _("Extension refused")
        PAUSE = "pause", _("Paused")
        RESUME = "resume", _("Resumed")
        WITHDRAW = "withdraw", _("Withdrawn")
        REMIND = "remind", _("Reminder sent")

    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=15, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=15, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=15, choices=Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,  # an enterprise contact's move (submitted, rated): `contact` instead
        blank=True,
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("enterprise contact"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), max_length=5000, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        indexes = [models.Index(fields=["request", "at"], name="request_event_request_at")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


def _attachment_path(instance, filename: str) -> str:
    # Never the uploaded name: an unguessable path, served only through a permission-checked view.
    return f"requests/{instance.request_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


def _visit_attachment_path(instance, filename: str) -> str:
    return f"visits/{instance.visit_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class StoredFile(models.Model):
    """What every uploaded file keeps: its shown name, size, who uploaded it and when. The file itself is
    stored under an unguessable name and served only through a view that checks its record's visibility;
    services.attachments checks each upload (types, size) before it is stored."""

    ALLOWED_EXTENSIONS = [".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", ".doc", ".xls", ".txt"]

    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class Attachment(StoredFile):
    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    # a photo the enterprise sent with its own request: its contact, no staff uploader
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("enterprise contact"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta(StoredFile.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class VisitAttachment(StoredFile):
    """Evidence of a visit: a photo (from the phone's camera; resized, turned upright and stripped of every
    EXIF tag but the time taken before it is stored, always a JPEG) or a document."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document")

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=_visit_attachment_path, max_length=200)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)  # a photo's DateTimeOriginal

    class Meta(StoredFile.Meta):
        verbose_name = _("visit attachment")
        verbose_name_plural = _("visit attachments")


class JointActionQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("accounts.view_all_units"):
            return self
        return self.filter(unit_id=user.unit_id)


class JointAction(models.Model):
    """A joint action (专项行动) answering similar requests of several enterprises at once, e.g. one
    targeted recruitment fair. Closing it closes every linked request with its answer."""

    title = models.CharField(pgettext_lazy("a heading", "title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    unit = models.ForeignKey(Unit, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Request.Outcome.choices, blank=True)
    answer = models.TextField(_("answer"), max_length=5000, blank=True)

    objects = JointActionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("joint action")
        verbose_name_plural = _("joint actions")

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """An item for the unread badge: a request reached you (dispatch, assignment, transfer, reminder), or one
    you logged was closed, returned, reopened or withdrawn by someone else. The badge reads
    `User.unread_notifications`, which the services that create and read notifications keep."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="+"
    )
    message = models.CharField(_("message"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user"], name="notification_unread", condition=Q(read_at__isnull=True))
        ]

    def __str__(self) -> str:
        return self.message


# --- the states the figures count ---------------------------------------------------------------------------
# One definition each, on the request's own columns: the roll-ups' increments evaluate them on the record the
# service has just written (apps.core.conditions.holds), their rebuild and the selectors in SQL.

CLOSED = Q(status__in=CLOSED_STATUSES, closed_at__isnull=False)  # closed or confirmed, with its closing time
SOLVED = CLOSED & Q(outcome=Request.Outcome.SOLVED)
ON_TIME = CLOSED & Q(closed_on_time=True)  # closed no later than its closing deadline
ACK_SAME_DAY = Q(ack_on_time=True)  # acknowledged by the end of its dispatch working day (事不过夜)
HAS_FEEDBACK = ~Q(satisfaction="")
SATISFIED = Q(satisfaction__in=[Request.Satisfaction.SATISFIED, Request.Satisfaction.BASIC])
REOPENED = Q(reopen_count__gt=0)
WITHDRAWN = Q(status=Status.WITHDRAWN)
PAUSED = Q(status=Status.PAUSED)
# has a closing deadline, was not withdrawn and is not paused: a paused request's clock is stopped (its
# deadline moves by the working days paused when it resumes), so it is neither on time nor late while paused
DUE = Q(close_due__isnull=False) & ~WITHDRAWN & ~PAUSED
TIMED = CLOSED & Q(workdays_to_close__isnull=False)  # closed, with its working days to close


ACK_WAITING = Q(
    acknowledged_at__isnull=True, ack_due__isnull=False
)  # its same-day clock runs, not acknowledged


def ack_pending(now) -> Q:
    """Not acknowledged yet, with its same-day deadline still ahead at `now`: neither acknowledged the same
    day nor late yet (事不过夜 is decided when the deadline passes). A condition of the moment: the roll-up
    keeps the requests waiting by their deadline (`RequestAckWait`); a reader takes those due after now."""
    return ACK_WAITING & Q(ack_due__gt=now)


# --- roll-ups (kept by the services, see rollups.py) --------------------------------------------------------


def _rollup_unit():
    return models.ForeignKey(Unit, null=True, on_delete=models.CASCADE, related_name="+")


class RequestMonth(models.Model):
    """Requests by what they concern, the unit they count for (the handling unit; a project problem: the
    project's unit), the month received and the month closed (NULL: not closed) — so "closed by the period's
    end" stays exact for past periods — and the same totalled over the district (`district`), so district
    figures read a few rows a month instead of one per unit."""

    concerns = models.CharField(max_length=10, choices=Concerns.choices)
    district = models.BooleanField(
        default=False
    )  # True: the district's total (unit NULL), read by district figures
    unit = _rollup_unit()
    month = models.DateField(_("month received"))
    closed_month = models.DateField(_("month closed"), null=True)
    n = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    ack = models.IntegerField(default=0)
    feedback = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    workdays_sum = models.BigIntegerField(default=0)
    workdays_n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("request roll-up")
        verbose_name_plural = _("request roll-ups")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["concerns", "district", "unit", "month", "closed_month"],
                nulls_distinct=False,
                name="request_month_key",
            )
        ]
        indexes = [models.Index(fields=["concerns", "closed_month"], name="request_month_closed")]

    def __str__(self):
        return f"{self.concerns} {self.unit_id} {self.month:%Y-%m} → {self.closed_month}: {self.n}"


class RequestDueMonth(models.Model):
    """Requests not withdrawn whose closing deadline falls in `month` (Asia/Shanghai), and those closed on
    time, by what they concern and the unit they count for."""

    concerns = models.CharField(max_length=10, choices=Concerns.choices)
    district = models.BooleanField(
        default=False
    )  # True: the district's total (unit NULL), read by district figures
    unit = _rollup_unit()
    month = models.DateField(_("month due"))
    due = models.IntegerField(default=0)
    due_on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("deadline roll-up")
        verbose_name_plural = _("deadline roll-ups")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["concerns", "district", "unit", "month"],
                nulls_distinct=False,
                name="request_due_month_key",
            )
        ]

    def __str__(self):
        return f"{self.concerns} {self.unit_id} {self.month:%Y-%m}: {self.due}"


class VisitMonth(models.Model):
    """Visits by what they concern and month: per unit they count for (an enterprise visit: the units that led
    or joined it; a project visit: the project's unit), and in the district's total (`district`; a joint
    visit counts once there)."""

    concerns = models.CharField(max_length=10, choices=Concerns.choices)
    district = models.BooleanField(
        default=False
    )  # True: the district's total (unit NULL), read by district figures
    unit = _rollup_unit()
    month = models.DateField(_("month"))
    visits = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("visit roll-up")
        verbose_name_plural = _("visit roll-ups")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["concerns", "district", "unit", "month"], nulls_distinct=False, name="visit_month_key"
            )
        ]

    def __str__(self):
        return f"{self.concerns} {self.unit_id} {self.month:%Y-%m}: {self.visits}"


class RequestCategoryMonth(models.Model):
    """Requests by what they concern, category and month received: per unit they count for, and the district's
    total (`district`) — the dashboard's requests by category (热点诉求) read months of these, never the
    requests."""

    concerns = models.CharField(max_length=10, choices=Concerns.choices)
    district = models.BooleanField(default=False)  # True: the district's total (unit NULL)
    unit = _rollup_unit()
    month = models.DateField(_("month received"))
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("category roll-up")
        verbose_name_plural = _("category roll-ups")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["concerns", "district", "unit", "month", "category"],
                nulls_distinct=False,
                name="request_category_month_key",
            )
        ]

    def __str__(self):
        return f"{self.concerns} {self.unit_id} {self.month:%Y-%m} {self.category_id}: {self.n}"


class RequestAckWait(models.Model):
    """Requests waiting for their same-day acknowledgement (`ACK_WAITING`) by what they concern, the unit they
    count for, the month received and the deadline (one of a few moments per working day), and the same
    totalled over the district: those not yet decided at a moment are the rows due after it, read without
    a request row."""

    concerns = models.CharField(max_length=10, choices=Concerns.choices)
    district = models.BooleanField(default=False)  # True: the district's total (unit NULL)
    unit = _rollup_unit()
    month = models.DateField(_("month received"))
    ack_due = models.DateTimeField(_("acknowledge by"))
    waiting = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("acknowledgement roll-up")
        verbose_name_plural = _("acknowledgement roll-ups")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["concerns", "district", "unit", "month", "ack_due"],
                nulls_distinct=False,
                name="request_ack_wait_key",
            )
        ]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m} {self.ack_due:%Y-%m-%d %H:%M}: {self.waiting}"


# --- the call-back sample (回访抽查) and supervision (督办) -------------------------------------------


class CallbackSample(models.Model):
    """The call-back sample of one month (回访抽查): of the requests closed in the month, 10 % of each
    handling unit's (at least 3, all when it closed fewer), drawn once by `manage.py draw_callback_sample`
    with the seed kept here — drawing the month again returns this sample, and the seed redraws the same
    one."""

    month = models.DateField(_("month closed"), unique=True)
    seed = models.BigIntegerField(_("seed"))
    drawn_at = models.DateTimeField(_("drawn at"), default=timezone.now)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-month"]
        verbose_name = _("call-back sample")
        verbose_name_plural = _("call-back samples")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class CallbackItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Checkers and leaders see every sampled request; a unit sees its own only once called, so that
        nobody learns which enterprises will be called before the call."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("service.check_callback") or user.has_perm("accounts.view_all_units"):
            return self
        return self.filter(unit_id=user.unit_id).checked()

    def checked(self):
        return self.exclude(result="")

    def reached(self):
        """Called and answered: confirmed or disputed (the denominator of 回访核实率)."""
        return self.filter(result__in=[CallbackItem.Result.CONFIRMED, CallbackItem.Result.DISPUTED])


class CallbackItem(models.Model):
    """One sampled closure and the checker's call: confirmed, not actually solved (the request is reopened
    with the checker's note), or could not reach."""

    class Result(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed solved")
        DISPUTED = "disputed", _("Not actually solved")
        UNREACHABLE = "unreachable", _("Could not reach")

    sample = models.ForeignKey(
        CallbackSample, verbose_name=_("call-back sample"), on_delete=models.CASCADE, related_name="items"
    )
    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.PROTECT, related_name="callback_items"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("handling unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The unit that closed the request, when the sample was drawn."),
    )
    result = models.CharField(_("call result"), max_length=12, choices=Result.choices, blank=True)
    note = models.TextField(_("checker's note"), max_length=2000, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    checked_at = models.DateTimeField(_("called at"), null=True, blank=True)

    objects = CallbackItemQuerySet.as_manager()

    class Meta:
        ordering = ["sample", "unit", "request"]
        verbose_name = _("call-back check")
        verbose_name_plural = _("call-back checks")
        permissions = [("check_callback", _("Can record the calls of the call-back sample"))]
        constraints = [
            models.UniqueConstraint(fields=["sample", "request"], name="callback_item_once_per_sample")
        ]
        indexes = [models.Index(fields=["sample", "unit"], name="callback_item_sample_unit")]

    def __str__(self) -> str:
        return f"{self.sample} #{self.request_id}"


class SupervisionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Whoever may open the request sees its supervision."""
        return self.filter(request__in=Request.objects.visible_to(user))

    def pending(self):
        """The instruction is not answered yet: the request cannot be closed."""
        return self.filter(answered_at__isnull=True)

    def not_done(self):
        """Not answered yet, or answered while the request is still open: it stays in the meeting memo."""
        return self.filter(Q(answered_at__isnull=True) | Q(request__status__in=OPEN_STATUSES))


class Supervision(models.Model):
    """督办: a leader puts an overdue request under supervision with an instruction (批示) and its own
    deadline. The request cannot be closed until the instruction is answered; it stays in the meeting memo
    until done (answered and the request no longer open)."""

    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.PROTECT, related_name="supervisions"
    )
    instruction = models.TextField(_("instruction (批示)"), max_length=2000)
    due_on = models.DateField(_("supervision deadline"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("supervised by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("supervised at"), default=timezone.now)
    answer = models.TextField(_("answer to the instruction"), max_length=5000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        permissions = [("supervise_request", _("Can put overdue requests under supervision"))]
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(answered_at__isnull=True),
                name="one_pending_supervision_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.request_id} {self.instruction[:30]}"


# --- signs of gaming (the leaders' quality page, apps.rankings.quality; the request list's filters) ------

LAST_HOUR = CLOSED & Q(
    closed_at__lte=models.F("close_due"), closed_at__gt=models.F("close_due") - timedelta(hours=1)
)  # closed in the last hour before its closing deadline


def withdrawn_late() -> Q:
    """Withdrawn after its closing deadline had passed (the daily reminders go out from then), or after a
    reminder (催办) was recorded on it: a withdrawal that may hide a late request."""
    events = RequestEvent.objects.filter(request=models.OuterRef("pk"))
    after_deadline = events.filter(action=RequestEvent.Action.WITHDRAW, at__gt=models.OuterRef("close_due"))
    # withdrawal ends the life cycle: a reminder on a withdrawn request came before it
    reminded = events.filter(action=RequestEvent.Action.REMIND)
    return WITHDRAWN & (models.Exists(after_deadline) | models.Exists(reminded))
