"""Query building blocks PostgreSQL answers from indexes."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models import F, Q


class EqualsAny(models.Func):
    """`left = ANY(array)`: a condition PostgreSQL answers from `left`'s index (and ORs with others as
    bitmaps), where `left IN (subquery)` is a filter evaluated on every row."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = models.BooleanField()


def pk_among(ids) -> Q:
    """Rows whose primary key is one of `ids` (a one-column `values()` queryset), as a condition that can be
    one arm of an OR answered from indexes (`id = ANY(ARRAY(subquery))`): visibility rules OR "the unit's
    own rows" with "rows linked to the unit through a many-to-many table" this way, so a unit's list is
    found from its index entries instead of filtering every row of the table (or joining and DISTINCT)."""
    return Q(EqualsAny(F("pk"), ArraySubquery(ids)))
