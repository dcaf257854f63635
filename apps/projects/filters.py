import django_filters
from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from apps.core.filters import FilterSet
from apps.core.widgets import DateInput
from apps.enterprises.models import Industry
from apps.units.models import Unit

from .models import LIGHTS, Project


class ProjectFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Code or name"), method="filter_q")
    unit = django_filters.ChoiceFilter(label=_("Responsible unit"))  # choices: prepare_filters
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Project.Level.choices)
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Project.Stage.choices)
    light = django_filters.ChoiceFilter(label=_("Traffic light"), choices=LIGHTS, method="filter_light")
    new_start = django_filters.ChoiceFilter(
        label=_("New or continuing"),
        choices=[("new", _("New start (新开工)")), ("continuing", _("Continuing (续建)"))],
        method="filter_new",
    )
    started = django_filters.BooleanFilter(
        label=_("Started"),
        field_name="actual_start",
        lookup_expr="isnull",
        exclude=True,
        widget=forms.Select(choices=[("", "---------"), ("true", _("Yes")), ("false", _("No"))]),
    )
    # "started by the period's end" (new projects started), so that the figure opens exactly its projects
    started_by = django_filters.DateFilter(
        label=_("Started by"), field_name="actual_start", lookup_expr="lte", widget=DateInput()
    )
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)

    class Meta:
        model = Project
        fields = ["q", "unit", "level", "stage", "light", "new_start", "started", "started_by", "industry"]

    def __init__(self, *args, progress: dict | None = None, **kwargs):
        """`progress`: the `with_progress` arguments (year, months, as_of) that filtering by the light needs
        when the queryset does not have the lights yet (the list works them out for its page only)."""
        super().__init__(*args, **kwargs)
        self.progress = progress

    def prepare_filters(self, filters):
        # read when the form is drawn or a chosen unit is checked, not for a list shown unfiltered
        filters["unit"].extra["choices"] = lambda: self._units

    @cached_property
    def _units(self) -> list[tuple[int, str]]:
        """The active units as (id, name) pairs: a province's 300 as model objects cost more than the page's
        rows; a submitted id is checked against these."""
        return list(Unit.objects.active().values_list("id", "name"))

    def filter_light(self, queryset, name, value):
        if "light" not in queryset.query.annotations:
            queryset = queryset.with_progress(**self.progress)
        return queryset.filter(light=value)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(code__icontains=value) | queryset.filter(name__icontains=value)

    def filter_new(self, queryset, name, value):
        return queryset.filter(is_new_start=(value == "new"))
