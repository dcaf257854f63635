"""The base of every list's filters (django-filter's FilterSet)."""

import copy

import django_filters
from django.http import QueryDict
from django.utils.functional import cached_property


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, its filters copied for the instance when first used (to build its form or
    filter with it) instead of on creation. A list page builds its FilterSet on every view, and most views are
    unfiltered: deep-copying the request list's 25 filters, their querysets and widgets, was ~0.9 ms of each.
    `__init__` stands in for django-filter's, which copies them first thing; the rest of its FilterSet is
    unchanged."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix

    @cached_property
    def filters(self):
        filters = copy.deepcopy(self.base_filters)
        for filter_ in filters.values():  # as django-filter does: the model and the filter set they serve
            filter_.model = self.queryset.model
            filter_.parent = self
        self.prepare_filters(filters)
        return filters

    def prepare_filters(self, filters: dict) -> None:
        """What a filter set adds to its own copy of its filters, e.g. choices read from the database: only
        when they are used, never for a list shown unfiltered."""
