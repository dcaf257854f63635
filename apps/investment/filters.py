import django_filters
from django.utils.translation import gettext_lazy as _

from apps.core.widgets import DateInput
from apps.enterprises.models import Industry
from apps.units.models import Unit

from .models import YI, Lead, Trip


def _units(request):
    return Unit.objects.active()


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Project or investor"), method="filter_q")
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Lead.Stage.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Lead.Source.choices)
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    band = django_filters.ChoiceFilter(
        label=_("Expected investment"),
        choices=[("50", _("≥ 50 亿")), ("10", _("10–50 亿")), ("1", _("1–10 亿")), ("0", _("< 1 亿"))],
        method="filter_band",
    )
    stale = django_filters.BooleanFilter(label=_("Past a handling limit"), method="filter_stale")

    class Meta:
        model = Lead
        fields = ["q", "stage", "source", "industry", "band", "stale"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(name__icontains=value.strip()) | queryset.filter(
            investor__icontains=value.strip()
        )

    def filter_band(self, queryset, name, value):
        bands = {"50": (50 * YI, None), "10": (10 * YI, 50 * YI), "1": (YI, 10 * YI), "0": (None, YI)}
        low, high = bands[value]
        if low is not None:
            queryset = queryset.filter(expected_wan__gte=low)
        if high is not None:
            queryset = queryset.filter(expected_wan__lt=high)
        return queryset

    def filter_stale(self, queryset, name, value):
        return queryset.stale() if value else queryset


class TripFilter(django_filters.FilterSet):
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
