"""Roll-ups kept by increments: the shape every campaign's roll-ups share.

A roll-up is a table of counters keyed by a few columns (a unit, a month…), owned by the campaign app whose
records it counts. The app's services keep it exact in the writer's transaction:

    before = rollups.request_rows(req)         # what the record contributes now (a Delta)
    ...                                        # the write
    (rollups.request_rows(req) - before).apply()

`apply()` sends every changed counter of every roll-up touched as one statement,
`INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n`, rows in key order (two writers lock shared
rows in the same order, so they wait for each other but never deadlock). Nothing is recounted: a write costs
the same whatever the unit's size. Each app's `rebuild()` recomputes its tables from the records with the
same definitions; a test proves that the two agree row for row (tests/test_rollups_walk.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Model, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .conditions import holds

#: rows per INSERT when a rebuild writes a whole table
CHUNK = 5000


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per table
class Rollup:
    """A roll-up table: its model, its key columns (attnames), and how each counter is counted — the number of
    records where a condition holds (`counts`, None: every record), or the sum of a field over them (`sums`),
    or by the app itself (`values`). The conditions are the campaign's one definition of each state
    (apps.core.conditions)."""

    model: type[Model]
    key: tuple[str, ...]
    counts: dict[str, Q | None] = field(default_factory=dict)
    sums: dict[str, tuple[str, Q | None]] = field(default_factory=dict)
    #: counters the app computes itself from several records (a project with its plan), not by `of()`
    values: tuple[str, ...] = ()

    @property
    def counters(self) -> tuple[str, ...]:
        return (*self.counts, *self.sums, *self.values)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def of(self, record, key: tuple, sign: int = 1) -> Delta:
        """What `record` (in memory, as it is now) adds to the row `key`."""
        values = {name: sign * int(q is None or holds(q, record)) for name, q in self.counts.items()}
        for name, (source, q) in self.sums.items():
            amount = getattr(record, source)
            values[name] = sign * amount if amount is not None and (q is None or holds(q, record)) else 0
        return Delta().add(self, key, **values)

    def aggregates(self) -> dict:
        """The same counters as SQL aggregates over a queryset of records (for rebuilds)."""
        result = {name: Count("pk", filter=q) for name, q in self.counts.items()}
        for name, (source, q) in self.sums.items():
            output = self.model._meta.get_field(name)
            result[name] = Coalesce(Sum(source, filter=q), Value(0), output_field=output)
        return result

    def rebuild(self, *parts: tuple[QuerySet, list]) -> None:
        """Refill the whole table from the records. Each part is a queryset of records and the expressions of
        the key of the row each record counts in (in the key's order; None for a NULL key column), counted
        with `aggregates()`; parts that count in the same row add up."""
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in (*self.key, *self.counters))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {quote(self.table)}")  # noqa: S608  (a model's table name)
            for records, keys in parts:
                names = [f"_key{i}" for i in range(len(self.key))]
                fields = [self.model._meta.get_field(c.removesuffix("_id")) for c in self.key]
                exprs = {
                    name: Value(None, output_field=field) if expr is None else expr
                    for name, expr, field in zip(names, keys, fields, strict=True)
                }
                grouped = records.order_by().annotate(**exprs).values(*names).annotate(**self.aggregates())
                sql, params = grouped.values_list(*names, *self.counters).query.sql_with_params()
                cursor.execute(
                    f"INSERT INTO {quote(self.table)} ({columns}) {sql} {_add_on_conflict(self)}", params
                )

    def rows(self) -> set[tuple]:
        """Every row with a counter that is not zero (rows an increment brought back to zero are kept, the
        rebuild does not write them: they mean the same)."""
        rows = self.model.objects.values_list(*self.key, *self.counters)
        return {row for row in rows if any(row[len(self.key) :])}


class Delta:
    """Changes to roll-up counters, by (roll-up, key): what one write adds and takes away."""

    def __init__(self) -> None:
        self.rows: dict[tuple[Rollup, tuple], dict[str, int | Decimal]] = {}

    def add(self, rollup: Rollup, key: tuple, **values) -> Delta:
        row = self.rows.setdefault((rollup, tuple(key)), dict.fromkeys(rollup.counters, 0))
        for name, value in values.items():
            row[name] += value
        return self

    def __iadd__(self, other: Delta) -> Delta:
        for (rollup, key), values in other.rows.items():
            self.add(rollup, key, **values)
        return self

    def __add__(self, other: Delta) -> Delta:
        result = Delta()
        result += self
        result += other
        return result

    def __neg__(self) -> Delta:
        result = Delta()
        for (rollup, key), values in self.rows.items():
            result.add(rollup, key, **{k: -v for k, v in values.items()})
        return result

    def __sub__(self, other: Delta) -> Delta:
        return self + -other

    def changes(self) -> dict[Rollup, list[tuple[tuple, dict]]]:
        """The rows with a counter that moves, per roll-up, in key order."""
        by_rollup: dict[Rollup, list] = defaultdict(list)
        for (rollup, key), values in self.rows.items():
            if any(values.values()):
                by_rollup[rollup].append((key, values))
        for rows in by_rollup.values():
            rows.sort(key=lambda row: tuple((v is not None, v) for v in row[0]))
        return dict(sorted(by_rollup.items(), key=lambda item: item[0].table))

    def apply(self) -> None:
        """Add every change to its roll-up: one statement, nothing when nothing moves."""
        changes = self.changes()
        if not changes:
            return
        parts, params = [], []
        for rollup, rows in changes.items():
            sql, p = _upsert(rollup, rows)
            parts.append(sql)
            params += p
        if len(parts) == 1:
            sql = parts[0]
        else:  # data-modifying CTEs run once and to completion, read or not
            ctes = ", ".join(f"u{i} AS ({part})" for i, part in enumerate(parts))
            sql = f"WITH {ctes} SELECT 1"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def apply_in_chunks(self) -> None:
        """`apply()` a large delta (a rebuild from memory) a few thousand rows at a time."""
        for rollup, rows in self.changes().items():
            for i in range(0, len(rows), CHUNK):
                sql, params = _upsert(rollup, rows[i : i + CHUNK])
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)


def _add_on_conflict(rollup: Rollup) -> str:
    """What makes an INSERT an increment: an existing row gets the new values added to its counters."""
    quote = connection.ops.quote_name
    table = quote(rollup.table)
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in rollup.counters)
    return f"ON CONFLICT ({', '.join(map(quote, rollup.key))}) DO UPDATE SET {updates}"


def _upsert(rollup: Rollup, rows: list[tuple[tuple, dict]]) -> tuple[str, list]:
    quote = connection.ops.quote_name
    columns = [*rollup.key, *rollup.counters]
    values = ", ".join("(" + ", ".join(["%s"] * len(columns)) + ")" for _row in rows)
    params = [v for key, counters in rows for v in (*key, *(counters[c] for c in rollup.counters))]
    sql = f"INSERT INTO {quote(rollup.table)} ({', '.join(map(quote, columns))}) VALUES {values} "  # noqa: S608
    return sql + _add_on_conflict(rollup), params
