import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.filters import FilterSet
from apps.core.periods import end_of_period, start_of_day
from apps.core.widgets import DateInput
from apps.enterprises.models import Industry
from apps.units.models import Unit

from .models import YI, Lead, Trip


def _units(request):
    return Unit.objects.choices()


def _lead_units(request):
    """Leads are confidential to their unit: the dropdown lists only units whose leads the user may open."""
    user = getattr(request, "user", None)
    if user is not None and user.has_perm("accounts.view_all_units"):
        return Unit.objects.choices()
    return Unit.objects.filter(pk=getattr(user, "unit_id", None))


class LeadFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Project or investor"), method="filter_q")
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Lead.Stage.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Lead.Source.choices)
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    band = django_filters.ChoiceFilter(
        label=_("Expected investment"),
        choices=[
            ("1+", _("≥ 1 亿")),
            ("50", _("≥ 50 亿")),
            ("10", _("10–50 亿")),
            ("1", _("1–10 亿")),
            ("0", _("< 1 亿")),
        ],
        method="filter_band",
    )
    stale = django_filters.BooleanFilter(label=_("Past a handling limit"), method="filter_stale")
    # What the investment figures count (apps.investment.selectors), so that a number opens exactly its
    # leads: the ranking board and the dashboard link here with them.
    unit = django_filters.ModelChoiceFilter(label=_("Responsible unit"), queryset=_lead_units)
    created_from = django_filters.DateFilter(
        label=_("Recorded from"), method="filter_created_from", widget=DateInput()
    )
    created_to = django_filters.DateFilter(
        label=_("Recorded to"), method="filter_created_to", widget=DateInput()
    )
    signed_from = django_filters.DateFilter(
        label=_("Signed from"), field_name="signed_on", lookup_expr="gte", widget=DateInput()
    )
    signed_to = django_filters.DateFilter(
        label=_("Signed to"), field_name="signed_on", lookup_expr="lte", widget=DateInput()
    )
    open = django_filters.BooleanFilter(label=_("Open now (not signed, not dropped)"), method="filter_open")
    open_at = django_filters.DateFilter(
        label=_("Open at the end of"), method="filter_open_at", widget=DateInput()
    )
    stale_at = django_filters.DateFilter(
        label=_("Open and past a handling limit at the end of"), method="filter_stale_at", widget=DateInput()
    )

    class Meta:
        model = Lead
        fields = [
            "q",
            "stage",
            "source",
            "industry",
            "band",
            "stale",
            "unit",
            "created_from",
            "created_to",
            "signed_from",
            "signed_to",
            "open",
            "open_at",
            "stale_at",
        ]

    def filter_q(self, queryset, name, value):
        return queryset.filter(name__icontains=value.strip()) | queryset.filter(
            investor__icontains=value.strip()
        )

    def filter_band(self, queryset, name, value):
        bands = {
            "50": (50 * YI, None),
            "10": (10 * YI, 50 * YI),
            "1": (YI, 10 * YI),
            "0": (None, YI),
            "1+": (YI, None),
        }
        low, high = bands[value]
        if low is not None:
            queryset = queryset.filter(expected_wan__gte=low)
        if high is not None:
            queryset = queryset.filter(expected_wan__lt=high)
        return queryset

    def filter_stale(self, queryset, name, value):
        """Open leads past a handling limit now (a signed lead is no longer chased)."""
        return queryset.open().stale() if value else queryset

    def filter_created_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=start_of_day(value))

    def filter_created_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=end_of_period(value))

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.exclude(stage__in=Lead.OPEN_STAGES)

    def filter_open_at(self, queryset, name, value):
        """Recorded by the end of `value` and not yet signed or dropped then (the pipeline's 在手在谈)."""
        at = end_of_period(value)
        return queryset.filter(Q(open_until__isnull=True) | Q(open_until__gte=at), created_at__lt=at)

    def filter_stale_at(self, queryset, name, value):
        """Open (now) and past a handling limit at the end of `value`, as the board's stale share counts."""
        return queryset.open().filter(stale_from__lt=end_of_period(value))


class TripFilter(FilterSet):
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="start_on", lookup_expr="gte", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        label=_("To"), field_name="start_on", lookup_expr="lte", widget=DateInput()
    )
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=_units)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Trip.Kind.choices)
    led_by_head = django_filters.BooleanFilter(label=_("Led by the unit's head"))

    class Meta:
        model = Trip
        fields = ["date_from", "date_to", "unit", "kind", "led_by_head"]
