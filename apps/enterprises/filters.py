import django_filters
from django.utils.translation import gettext_lazy as _

from apps.units.models import Unit

from .models import Enterprise, Industry, Size, Tag


def _units(request):
    return Unit.objects.active()


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or credit code"), method="filter_q")
    unit = django_filters.ModelChoiceFilter(label=_("Park / unit"), queryset=_units)
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    size = django_filters.ChoiceFilter(label=_("Size"), choices=Size.choices)
    is_key = django_filters.BooleanFilter(label=_("Key enterprise"))
    tags = django_filters.ModelChoiceFilter(label=_("Tag"), queryset=Tag.objects.all())
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=[("name", "name"), ("founded_on", "founded_on"), ("updated_at", "updated_at")],
        field_labels={"name": _("name"), "founded_on": _("founded on"), "updated_at": _("last change")},
    )

    class Meta:
        model = Enterprise
        fields = ["q", "unit", "industry", "size", "is_key", "tags"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)
