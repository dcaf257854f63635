import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.core.filters import FilterSet
from apps.core.periods import end_of_period, start_of_day
from apps.core.querysets import pk_among
from apps.core.widgets import DateInput
from apps.enterprises.models import Enterprise
from apps.units.models import Unit

from .models import (
    ACK_SAME_DAY,
    CLOSED,
    HAS_FEEDBACK,
    LAST_HOUR,
    ON_TIME,
    REOPENED,
    SATISFIED,
    WITHDRAWN,
    Category,
    Concerns,
    Request,
    Status,
    Visit,
    ack_pending,
    withdrawn_late,
)

# pg_trgm finds a term by its three-character pieces: a shorter word has none, and no index can find it
TRIGRAM = 3
# the most enterprises whose rows are looked up in their index; more (a term like 有限公司, in every name)
# and the rows are read in the list's order instead, each checked
FEW_ENTERPRISES = 500


def text_or_enterprise(field: str, value: str) -> Q:
    """Rows whose `field` or whose enterprise's name contains `value` (case-insensitive). Compared through a
    join with the enterprises, a rare term read every row of the list at province scale (an enterprise's
    name on the request list: 1 to 2.8 s). A term with a word of three characters or more, naming a few
    hundred enterprises at most, is found from indexes: `field`'s trigram index, and those enterprises' rows
    (the enterprises found by their own trigram index), ORed as bitmaps. Otherwise the list is read in its
    order through the join, each row checked: a common term fills a page within its first rows, and no
    index can find a shorter one (reading thousands of enterprises' entries, or hashing every enterprise
    first, cost 100-280 ms where the join found a page in 25-40)."""
    own = Q(**{f"{field}__icontains": value})
    if max(map(len, value.split()), default=0) >= TRIGRAM:
        named = Enterprise.objects.filter(name__icontains=value).order_by().values_list("pk", flat=True)
        few = list(named[: FEW_ENTERPRISES + 1])
        if len(few) <= FEW_ENTERPRISES:
            return own | Q(enterprise_id__in=few)
    return own | Q(enterprise__name__icontains=value)


def _units(request):
    return Unit.objects.choices()


def _colleagues(request):
    """Handler/staff dropdowns list the people of one unit: the unit chosen in the same filter (leaders, who
    may see every unit) or the user's own — a province has thousands of staff, too many for one list."""
    users = User.objects.filter(is_active=True, unit__isnull=False).select_related("unit")
    own = getattr(getattr(request, "user", None), "unit_id", None)
    chosen = own
    if request is not None and request.user.has_perm("accounts.view_all_units"):
        picked = request.GET.get("handling_unit") or request.GET.get("unit") or ""
        chosen = int(picked) if picked.isdecimal() and len(picked) < 10 else own
    return users.filter(unit_id=chosen)


class DateRangeMixin(FilterSet):
    date_from = django_filters.DateFilter(label=_("From"), method="filter_from", widget=DateInput())
    date_to = django_filters.DateFilter(label=_("To"), method="filter_to", widget=DateInput())
    date_field = ""

    def filter_from(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": value})

    def filter_to(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__lte": value})


class VisitFilter(DateRangeMixin):
    date_field = "visited_on"
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=_units, method="filter_unit")
    staff = django_filters.ModelChoiceFilter(label=_("Staff"), queryset=_colleagues, field_name="staff")
    enterprise = django_filters.CharFilter(label=_("Enterprise"), method="filter_enterprise")
    key_only = django_filters.BooleanFilter(
        label=_("Key enterprises only"), method="filter_key", widget=forms.CheckboxInput
    )
    mode = django_filters.ChoiceFilter(label=_("Mode"), choices=Visit.Mode.choices)

    class Meta:
        model = Visit
        fields = ["date_from", "date_to", "unit", "staff", "enterprise", "key_only", "mode"]

    def filter_unit(self, queryset, name, value):
        joined = Visit.joint_units.through.objects.filter(unit=value).values("visit_id")
        return queryset.filter(Q(lead_unit=value) | pk_among(joined))  # from indexes, no DISTINCT

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(text_or_enterprise("target_name", value.strip()))

    def filter_key(self, queryset, name, value):
        return queryset.filter(enterprise__is_key=True) if value else queryset


class RequestFilter(DateRangeMixin):
    date_field = "received_on"
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    # distinct=False: a status is a column of the row, no join can repeat it — and DISTINCT would stop the
    # list from reading its index in order (300 ms instead of 2 at province scale)
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        distinct=False,
    )
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=Category.objects.all())
    handling_unit = django_filters.ModelChoiceFilter(label=_("Handling unit"), queryset=_units)
    handler = django_filters.ModelChoiceFilter(label=_("Handler"), queryset=_colleagues)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Request.Source.choices)
    urgency = django_filters.ChoiceFilter(label=_("Urgency"), choices=Request.Urgency.choices)
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    # The states the figures count (apps.service.models), so that a figure's number opens exactly the
    # requests it counts: the ranking board and the dashboard link here with them.
    concerns = django_filters.ChoiceFilter(label=_("About"), choices=Concerns.choices)
    closed_by = django_filters.DateFilter(
        label=_("Closed by the end of"), method="filter_closed_by", widget=DateInput()
    )
    on_time = django_filters.BooleanFilter(label=_("Closed on time"), method="filter_on_time")
    ack_decided = django_filters.BooleanFilter(
        label=_("Same-day acknowledgement decided"), method="filter_ack_decided"
    )
    ack_same_day = django_filters.BooleanFilter(
        label=_("Acknowledged the same working day"), method="filter_ack_same_day"
    )
    feedback = django_filters.BooleanFilter(label=_("With a feedback"), method="filter_feedback")
    reopened = django_filters.BooleanFilter(label=_("Reopened at least once"), method="filter_reopened")
    satisfied = django_filters.BooleanFilter(
        label=_("Satisfied or basically satisfied"), method="filter_satisfied"
    )
    # the leaders' quality page (signs of gaming, apps.rankings.quality) links here with these
    closed_from = django_filters.DateFilter(
        label=_("Closed from"), method="filter_closed_from", widget=DateInput()
    )
    closed_to = django_filters.DateFilter(label=_("Closed to"), method="filter_closed_to", widget=DateInput())
    outcome = django_filters.ChoiceFilter(label=_("Outcome"), choices=Request.Outcome.choices)
    last_hour = django_filters.BooleanFilter(
        label=_("Closed in the last hour before the deadline"), method="filter_last_hour"
    )
    withdrawn_late = django_filters.BooleanFilter(
        label=_("Withdrawn after the deadline or a reminder"), method="filter_withdrawn_late"
    )
    rated_by = django_filters.ChoiceFilter(
        label=_("Satisfaction rated by"), choices=Request.RatedBy.choices, field_name="satisfaction_by"
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[("received_at", "received"), ("close_due", "due"), ("urgency", "urgency")],
        # keyed by the model field (django-filter ignores a key that is the query parameter)
        field_labels={"received_at": _("received"), "close_due": _("deadline"), "urgency": _("urgency")},
    )

    class Meta:
        model = Request
        fields = [
            "q",
            "status",
            "category",
            "handling_unit",
            "handler",
            "source",
            "urgency",
            "overdue",
            "concerns",
            "closed_by",
            "on_time",
            "ack_decided",
            "ack_same_day",
            "feedback",
            "reopened",
            "satisfied",
            "closed_from",
            "closed_to",
            "outcome",
            "last_hour",
            "withdrawn_late",
            "rated_by",
        ]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if value.lstrip("#").isdecimal():
            return queryset.filter(pk=int(value.lstrip("#")))
        return queryset.filter(text_or_enterprise("title", value))

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(timezone.now()) if value else queryset

    def filter_closed_by(self, queryset, name, value):
        """Closed or confirmed, closed before the end of `value` (as "requests closed" counts them)."""
        return queryset.filter(CLOSED, closed_at__lt=end_of_period(value))

    def filter_on_time(self, queryset, name, value):
        return queryset.filter(ON_TIME) if value else queryset.filter(CLOSED).exclude(ON_TIME)

    def filter_ack_decided(self, queryset, name, value):
        """Decided: all but those not acknowledged yet whose same-day deadline is still ahead (`ack_pending`),
        as the same-day acknowledgement rate counts them."""
        pending = ack_pending(timezone.now())
        return queryset.exclude(pending) if value else queryset.filter(pending)

    def filter_ack_same_day(self, queryset, name, value):
        return queryset.filter(ACK_SAME_DAY) if value else queryset.exclude(ACK_SAME_DAY)

    def filter_reopened(self, queryset, name, value):
        return queryset.filter(REOPENED) if value else queryset.exclude(REOPENED)

    def filter_feedback(self, queryset, name, value):
        return queryset.filter(HAS_FEEDBACK) if value else queryset.exclude(HAS_FEEDBACK)

    def filter_satisfied(self, queryset, name, value):
        return queryset.filter(SATISFIED) if value else queryset.filter(HAS_FEEDBACK).exclude(SATISFIED)

    def filter_closed_from(self, queryset, name, value):
        """Closed or confirmed, closed on or after `value` (Asia/Shanghai)."""
        return queryset.filter(CLOSED, closed_at__gte=start_of_day(value))

    def filter_closed_to(self, queryset, name, value):
        return queryset.filter(CLOSED, closed_at__lt=end_of_period(value))

    def filter_last_hour(self, queryset, name, value):
        return queryset.filter(LAST_HOUR) if value else queryset.filter(CLOSED).exclude(LAST_HOUR)

    def filter_withdrawn_late(self, queryset, name, value):
        late = withdrawn_late()
        return queryset.filter(late) if value else queryset.filter(WITHDRAWN).exclude(late)


class LoggedRequestFilter(DateRangeMixin):
    """The filters of "Requests I logged": a few, with no dropdown read from the database."""

    date_field = "received_on"
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        distinct=False,
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[("received_at", "received"), ("close_due", "due"), ("urgency", "urgency")],
        # keyed by the model field (django-filter ignores a key that is the query parameter)
        field_labels={"received_at": _("received"), "close_due": _("deadline"), "urgency": _("urgency")},
    )

    class Meta:
        model = Request
        fields = ["q", "status", "overdue"]

    filter_q = RequestFilter.filter_q
    filter_overdue = RequestFilter.filter_overdue
