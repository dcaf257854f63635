import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.widgets import DateInput
from apps.enterprises.models import Industry
from apps.units.models import Unit

from .models import LIGHTS, Project


def _units(request):
    return Unit.objects.active()


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Code or name"), method="filter_q")
    unit = django_filters.ModelChoiceFilter(label=_("Responsible unit"), queryset=_units)
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Project.Level.choices)
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Project.Stage.choices)
    light = django_filters.ChoiceFilter(label=_("Traffic light"), choices=LIGHTS)
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

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(code__icontains=value) | queryset.filter(name__icontains=value)

    def filter_new(self, queryset, name, value):
        return queryset.filter(is_new_start=(value == "new"))
