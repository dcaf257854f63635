import django_filters
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from apps.core.batch import Rows, execute
from apps.core.filters import FilterSet
from apps.units.models import Unit

from .models import Enterprise, Industry, Size, Tag


class OrderingThenId(django_filters.OrderingFilter):
    """An ordering that ends on the id, in the direction of the chosen key: enterprises founded the same day
    keep one order from page to page, the last page read backwards (`TwoEndedPaginator`) holds the same
    rows, and each order is read from its index (`Enterprise.Meta.indexes`) instead of sorting every row."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        ordering = qs.query.order_by
        if ordering and ordering[-1].lstrip("-") not in ("id", "pk"):
            qs = qs.order_by(*ordering, "-id" if ordering[-1].startswith("-") else "id")
        return qs


class EnterpriseFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Name or credit code"), method="filter_q")
    unit = django_filters.ChoiceFilter(label=_("Park / unit"))  # choices: prepare_filters
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    size = django_filters.ChoiceFilter(label=_("Size"), choices=Size.choices)
    is_key = django_filters.BooleanFilter(label=_("Key enterprise"))
    tags = django_filters.ChoiceFilter(label=_("Tag"))
    ordering = OrderingThenId(
        label=_("Sort by"),
        fields=[("name", "name"), ("founded_on", "founded_on"), ("updated_at", "updated_at")],
        field_labels={"name": _("name"), "founded_on": _("founded on"), "updated_at": _("last change")},
    )

    class Meta:
        model = Enterprise
        fields = ["q", "unit", "industry", "size", "is_key", "tags"]

    def prepare_filters(self, filters):
        # read when the form is drawn or a chosen unit or tag is checked, not for a list shown unfiltered
        filters["unit"].extra["choices"] = lambda: self._choices["unit"]
        filters["tags"].extra["choices"] = lambda: self._choices["tags"]

    @cached_property
    def _choices(self) -> dict[str, list[tuple[int, str]]]:
        """The active units and the tags, (id, name) pairs read in one round trip: a province's 300 units as
        model objects cost more than the page's rows; a submitted id is checked against these."""
        got = execute(
            {
                "unit": Rows(Unit.objects.active().values("id", "name")),
                "tags": Rows(Tag.objects.values("id", "name")),
            }
        )
        return {name: [(row["id"], row["name"]) for row in rows] for name, rows in got.items()}

    def filter_q(self, queryset, name, value):
        return queryset.search(value)
