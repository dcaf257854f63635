from django.db.models import Case, IntegerField, Value, When

from ..models import Request

URGENCY_RANK = Case(
    When(urgency=Request.Urgency.CRITICAL, then=Value(0)),
    When(urgency=Request.Urgency.URGENT, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def request_rows(qs):
    """What every request list shows, in a constant number of queries."""
    return qs.select_related("enterprise", "category", "handling_unit", "handler", "logged_unit")
