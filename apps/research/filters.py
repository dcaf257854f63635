import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.filters import FilterSet
from apps.core.widgets import DateInput
from apps.enterprises.models import Industry
from apps.units.models import Unit

from .models import Carrier, Entity, EntityVisit, Match, Result


def _units(request):
    return Unit.objects.choices()


class EntityFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Name or field"), method="filter_q")
    type = django_filters.ChoiceFilter(label=_("Type"), choices=Entity.Type.choices)
    park = django_filters.ModelChoiceFilter(label=_("Park"), queryset=_units)
    unit = django_filters.ModelChoiceFilter(label=_("Responsible unit"), queryset=_units)
    visited_from = django_filters.DateFilter(
        label=_("Visited from"), method="filter_visited", widget=DateInput()
    )
    visited_to = django_filters.DateFilter(label=_("Visited to"), method="filter_visited", widget=DateInput())

    class Meta:
        model = Entity
        fields = ["q", "type", "park", "unit", "visited_from", "visited_to"]

    def filter_visited(self, queryset, name, value):
        """With at least one visit dated within [visited_from, visited_to] (either end open): the entities
        "R&D entities visited" counts. Both ends are read here, once, whichever is given."""
        if name == "visited_to" and self.form.cleaned_data.get("visited_from"):
            return queryset  # already applied with the start
        visits = EntityVisit.objects.all()
        start, end = self.form.cleaned_data.get("visited_from"), self.form.cleaned_data.get("visited_to")
        if start:
            visits = visits.filter(visit__visited_on__gte=start)
        if end:
            visits = visits.filter(visit__visited_on__lte=end)
        return queryset.filter(pk__in=visits.values("entity_id"))

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value.strip()) | Q(fields__icontains=value.strip()))


class ResultFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Title or field"), method="filter_q")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Result.Status.choices)
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    maturity = django_filters.ChoiceFilter(label=_("Maturity"), choices=Result.Maturity.choices)
    landing_mode = django_filters.ChoiceFilter(label=_("Landing mode"), choices=Result.Landing.choices)
    unit = django_filters.ModelChoiceFilter(label=_("Responsible unit"), queryset=_units)
    date_from = django_filters.DateFilter(
        label=_("Catalogued from"), field_name="catalogued_on", lookup_expr="gte", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        label=_("Catalogued to"), field_name="catalogued_on", lookup_expr="lte", widget=DateInput()
    )
    moving = django_filters.BooleanFilter(label=_("In matching or landed"), method="filter_moving")
    landed_from = django_filters.DateFilter(
        label=_("Landed from"), field_name="landed_on", lookup_expr="gte", widget=DateInput()
    )
    landed_to = django_filters.DateFilter(
        label=_("Landed to"), field_name="landed_on", lookup_expr="lte", widget=DateInput()
    )

    class Meta:
        model = Result
        fields = ["q", "status", "industry", "maturity", "landing_mode", "unit", "moving"]

    def filter_moving(self, queryset, name, value):
        """In matching or landed now: the board's research indicator counts them."""
        moving = Q(status__in=[Result.Status.MATCHING, Result.Status.LANDED])
        return queryset.filter(moving) if value else queryset.exclude(moving)

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value.strip()) | Q(field__icontains=value.strip()))


class CarrierFilter(FilterSet):
    park = django_filters.ModelChoiceFilter(label=_("Park"), queryset=_units)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Carrier.Kind.choices)
    unit = django_filters.ModelChoiceFilter(label=_("Responsible unit"), queryset=_units)
    industry = django_filters.ChoiceFilter(
        label=_("Suits industry"), choices=Industry.choices, method="filter_industry"
    )
    min_free = django_filters.NumberFilter(
        label=_("Free area at least (m²)"), field_name="free_area_m2", lookup_expr="gte"
    )

    class Meta:
        model = Carrier
        fields = ["park", "kind", "unit", "industry", "min_free"]

    def filter_industry(self, queryset, name, value):
        return queryset.filter(industries__contains=[value])


class MatchFilter(FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Match.Status.choices)
    unit = django_filters.ModelChoiceFilter(
        label=_("Responsible unit"), queryset=_units, field_name="result__unit"
    )

    class Meta:
        model = Match
        fields = ["status", "unit"]
