"""A set of calendar months kept in one column: which months an enterprise (its coverage row) or an R&D
entity was visited in.

Coverage figures ask, for tens of thousands of records at once, "visited at least once between these two
months?". Kept as a bit string on one row per record (bit i, counted from the left from 0, is month i since
January 2000), that is one substring test per row of a single table — a few milliseconds for a province's
key enterprises, where joining the records to their visits costs ten times more (docs/decisions/0001).

    MonthSetField()                              # the column, empty by default
    add_month_sql(table, column)                 # the UPDATE that marks a month (no-op when already marked)
    Q(any_month("months", first, last))          # a condition: some month in [first, last] is marked
"""

from __future__ import annotations

from datetime import date

from django.db import connection, models
from django.db.models import BooleanField, F, Func, QuerySet, Value

EPOCH_YEAR = 2000


def month_index(day: date) -> int:
    """Month i of the set: January 2000 is 0."""
    if day.year < EPOCH_YEAR:
        raise ValueError(f"months before {EPOCH_YEAR} are not kept: {day}")
    return (day.year - EPOCH_YEAR) * 12 + day.month - 1


def contains(bits: str, day: date) -> bool:
    """Whether the set `bits` (as read from the column) holds `day`'s month."""
    i = month_index(day)
    return i < len(bits) and bits[i] == "1"


class MonthSetField(models.Field):
    description = "a set of calendar months (a bit string; bit i is month i since January 2000)"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def db_type(self, connection):
        return "bit varying"

    def get_internal_type(self):
        return "MonthSetField"

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, value in (("default", ""), ("editable", False)):
            if kwargs.get(key) == value:
                del kwargs[key]
        return name, path, args, kwargs


def add_month_sql(table: str, column: str, key: str = "id") -> str:
    """UPDATE marking month %(i)s in the row whose `key` is %(id)s, padding the string with zeros first; a
    row whose month is already marked is left alone (no write, no lock)."""
    return f"""
        UPDATE {table} SET {column} = set_bit(
            CASE WHEN length({column}) > %(i)s THEN {column}
                 ELSE {column} || repeat('0', %(i)s + 1 - length({column}))::bit varying END,
            %(i)s, 1)
        WHERE {key} = %(id)s AND NOT (length({column}) > %(i)s AND get_bit({column}, %(i)s) = 1)
    """  # noqa: S608  (table and column names come from models; the values are parameters)


class _AnyMonth(Func):
    template = "position(B'1' IN substring(%(expressions)s)) > 0"
    output_field = BooleanField()


def any_month(column: str, first: date, last: date) -> Func:
    """A condition on `column`: some month from `first`'s to `last`'s (inclusive) is in the set."""
    start, end = month_index(first), month_index(last)
    return _AnyMonth(F(column), Value(start + 1), Value(end - start + 1))


def rebuild(table: str, column: str, rows: QuerySet, *, owner: str, day: str, key: str = "id") -> None:
    """Refill `column` of every row of `table` from the records: the months of the `day`s of `rows`, grouped
    by `owner` (the `key` of the row they mark); rows with no record get the empty set. For rebuilds and bulk
    loads. (The strings all have the length of the latest month marked anywhere: trailing zeros mean
    nothing.)"""
    sql, params = rows.order_by().values_list(owner, day).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = B'' WHERE {column} <> B''")  # noqa: S608
        cursor.execute(
            f"""
            WITH months AS (
                SELECT DISTINCT o AS owner,
                       (extract(year FROM d)::int - {EPOCH_YEAR}) * 12 + extract(month FROM d)::int - 1 AS i
                  FROM ({sql}) v(o, d) WHERE o IS NOT NULL
            ), top AS (SELECT max(i) + 1 AS len FROM months)
            UPDATE {table} t SET {column} = s.months
              FROM (SELECT owner, bit_or((B'1' || repeat('0', top.len - 1)::bit varying) >> i) AS months
                      FROM months, top GROUP BY owner) s
             WHERE t.{key} = s.owner
            """,  # noqa: S608  (table and column names come from models; the values are parameters)
            params,
        )
