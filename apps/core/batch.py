"""Many independent aggregates in one database round trip.

A page of figures needs dozens of small aggregates over different tables. Written as plain ORM calls they
cost one query each, so the dashboard would grow with every figure added. Here a figure function is a
*plan*: a generator that yields a dict of specs (`Aggregate`, `Rows`) and receives their results, possibly
in several rounds; `run()` drives one plan and `gather()` runs plans side by side so that their specs of the
same round go to the database together, each as a scalar subquery of a single SELECT.

    def visits_plan(start, end):
        got = yield {"n": Aggregate(Visit.objects.in_period(start, end), n=Count("id"))}
        return got["n"]["n"]

    run(visits_plan(a, b))                      # one query
    run(gather(v=visits_plan(a, b), r=...))     # still one query

Results keep their SQL types: counts are ints, sums of decimals are exact Decimals (parsed from the JSON
text with `parse_float=Decimal`), dates come back as ISO strings in `Rows`.

Composing the SQL of a page's figures costs more in Python than PostgreSQL spends running it (the leader's
home: ~6 ms to build and compile its specs, against 10 ms of SQL). A function that builds specs from its
arguments alone — dates, ids, flags; never the clock, the user or the data — can be marked `@reused`: its
specs are built and their SQL composed once per process for the same arguments, then reused; the data is
still read on every run. A spec that asks about the moment it is read at (requests still waiting for their
same-day acknowledgement *now*) is built with the placeholder `NOW` and read through `at(specs, now)`,
which puts the moment in its parameters. `@reused_values` does the same for a `values()` query read as rows
(a to-do list's page), and `composed_rows` for one named by a key rather than by a function's arguments (a
unit's list read through its arms). Sent again and again with the same text, these statements are prepared
on each connection (apps.core.prepared): PostgreSQL plans them once per connection, not at every read.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
from collections import OrderedDict
from collections.abc import Callable, Collection, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Count, QuerySet, Value

from . import prepared
from .prepared import Late

Plan = Generator[dict, dict, Any]


@dataclass
class Aggregate:
    """`queryset.aggregate(**aggregates)`: one dict (counts 0, sums None over no rows)."""

    queryset: QuerySet
    aggregates: dict

    def __init__(self, queryset: QuerySet, **aggregates):
        self.queryset, self.aggregates = queryset, aggregates
        self.model = queryset.model  # where it is read: the router's choice for the model, at each run
        self._composed = None

    def sql(self) -> tuple[str, tuple]:
        return _composed(self)

    def compose(self) -> tuple[str, tuple]:
        # grouped by a constant, which Django leaves out of GROUP BY: one row, exactly as aggregate()
        qs = self.queryset.order_by().annotate(_one=Value(1)).values("_one").annotate(**self.aggregates)
        sql, params = qs.values(*self.aggregates).query.sql_with_params()
        return f"(SELECT row_to_json(t)::text FROM ({sql}) t)", tuple(params)

    def parse(self, text: str | None) -> dict:
        return json.loads(text, parse_float=Decimal)

    def empty(self) -> dict:
        return {k: 0 if isinstance(a, Count) else None for k, a in self.aggregates.items()}


@dataclass
class Rows:
    """`list(queryset.values(...))`: a list of dicts (keep it small: it travels as one JSON value)."""

    queryset: QuerySet
    _composed: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        self.model = self.queryset.model  # where it is read: the router's choice for the model, at each run

    def sql(self) -> tuple[str, tuple]:
        return _composed(self)

    def compose(self) -> tuple[str, tuple]:
        sql, params = self.queryset.query.sql_with_params()
        return f"(SELECT coalesce(json_agg(t), '[]')::text FROM ({sql}) t)", tuple(params)

    def parse(self, text: str | None) -> list[dict]:
        return json.loads(text, parse_float=Decimal)

    def empty(self) -> list[dict]:
        return []


_EMPTY = ("", ())  # composed to nothing: the spec can match no row (EmptyResultSet)


def _composed(spec) -> tuple[str, tuple]:
    """The spec's SQL and parameters, composed at its first use and kept with it; EmptyResultSet when it can
    match no row (raised afresh each time: re-raising one kept exception would grow its traceback)."""
    if spec._composed is None:
        try:
            spec._composed = spec.compose()
        except EmptyResultSet:
            spec._composed = _EMPTY
    if spec._composed is _EMPTY:
        raise EmptyResultSet
    return spec._composed


def reused(build: Callable[..., dict]) -> Callable[..., dict]:
    """Mark a function that builds specs from its (hashable) arguments alone: the specs it builds for the same
    arguments are built and composed once per process (the last 256 sets of arguments), then shared. Each
    call returns a new dict of them, which the caller may add to."""

    @functools.lru_cache(maxsize=256)
    def built(*args, **kwargs) -> dict:
        specs = build(*args, **kwargs)
        for spec in specs.values():
            with contextlib.suppress(EmptyResultSet):
                spec.sql()  # composed before it is shared: a shared spec is only read
            # it keeps its SQL, not the objects it was composed from: a few hundred per spec, which a cache
            # of one set per user would pile up where the garbage collector's full collections walk them
            spec.queryset = None
        return specs

    @functools.wraps(build)
    def specs(*args, **kwargs) -> dict:
        return dict(built(*args, **kwargs))

    specs.cache_clear = built.cache_clear
    _reused.append(built)
    return specs


_reused: list = []  # every @reused function's cache


def frozen(ids: Collection | None) -> frozenset | None:
    """`ids` (a list or set of units, say) as an argument of a `@reused` function: hashable, in no order;
    None (no restriction) stays None."""
    return None if ids is None else frozenset(ids)


def forget_composed() -> None:
    """Forget every statement composed once per process (`@reused`, `@reused_values`, `composed_rows`): a
    test that counts what a page composes starts from nothing."""
    for cache in _reused:
        cache.cache_clear()
    _keyed.clear()


#: The moment a `@reused` spec is read at, as it is built: a placeholder no real parameter equals (the first
#: microsecond of year 1), which `at` replaces among the spec's parameters.
NOW = datetime(1, 1, 1, microsecond=1, tzinfo=UTC)


#: The ids of the rows a statement composed once reads (`composed_values`): a placeholder among its
#: parameters, which each read replaces with the ids it is given, as one array (`id = ANY(%s)`).
IDS = type("IdsPlaceholder", (), {"__repr__": lambda self: "IDS"})()


def at(specs: dict, now: datetime) -> dict:
    """`specs` as asked at `now`: copies whose parameters hold `now` where they were built with `NOW`. Their
    SQL is the same, composed once."""
    timed = {}
    for key, spec in specs.items():
        try:
            sql, params = spec.sql()
        except EmptyResultSet:
            timed[key] = spec  # it matches no row at any moment
            continue
        if NOW in params:  # a parameter of its own, so that its statement is prepared once (prepared.Late)
            spec = copy.copy(spec)
            spec._composed = (sql, tuple(Late(now, "timestamptz") if p == NOW else p for p in params))
        timed[key] = spec
    return timed


def reused_values(build: Callable[..., QuerySet]) -> Callable[..., list[dict]]:
    """Mark a function that builds a `values()` queryset from its (hashable) arguments alone, as `reused`
    does for specs: its SQL is composed once per process for the same arguments (the last 256 sets), and
    each call reads the rows afresh, as dicts, like iterating the queryset (a column that needs it converted
    as Django converts it: a JSON column). Composing a to-do section's query cost more in Python than
    PostgreSQL spends running it."""

    @functools.lru_cache(maxsize=256)
    def composed(*args, **kwargs) -> _Composed:
        return _compose(build(*args, **kwargs), build.__qualname__)

    @functools.wraps(build)
    def rows(*args, **kwargs) -> list[dict]:
        done = composed(*args, **kwargs)
        return [dict(zip(done.names, row[: done.width], strict=True)) for row in _fetch(done)]

    rows.cache_clear = composed.cache_clear
    _reused.append(composed)
    return rows


def composed_rows(key: tuple, build: Callable[[], QuerySet], *, counted: bool = False) -> list[tuple]:
    """The rows of the `values_list()` queryset `build()` makes, as tuples — or, `counted`, their number as
    one row — its SQL composed once per process for `key` (the last 1,024 keys), as `reused_values` does for
    a function's arguments: for a queryset built from objects that are not hashable (a list's arms), `key`
    must name everything it is built from. Composing a unit's three-armed union (OrderedUnion) took 1.3-1.5
    ms of Python per statement, PostgreSQL 0.3-0.8 ms to run it."""
    done = _composed_for(key, build, counted)
    if counted and done.sql is None:  # it can match no row
        return [(0,)]
    return _fetch(done)


def composed_values(
    key: tuple, build: Callable[[], QuerySet], *, ids: Collection | None = None
) -> list[dict]:
    """The rows of the `values()` queryset `build()` makes, as dicts, its SQL composed once per process for
    `key` (as `composed_rows`); built with the placeholder `IDS` for the ids of its rows, read for `ids`,
    put in the placeholder's place (a list's page, whatever its rows)."""
    done = _composed_for(key, build)
    return [dict(zip(done.names, row[: done.width], strict=True)) for row in _fetch(done, ids)]


def _composed_for(key: tuple, build: Callable[[], QuerySet], counted: bool = False) -> _Composed:
    done = _keyed.get(key)
    if done is None:
        done = _compose(build(), f"composed_rows{key!r}")
        if counted and done.sql is not None:
            done = done._replace(sql=f"SELECT COUNT(*) FROM ({done.sql}) AS listed")  # noqa: S608 (Django's SQL)
        _keyed[key] = done
        while len(_keyed) > 1024:
            _keyed.popitem(last=False)
    else:
        _keyed.move_to_end(key)
    return done


_keyed: OrderedDict[tuple, _Composed] = OrderedDict()  # composed_rows', least recently used first
composed_rows.cache_clear = _keyed.clear


class _Composed(NamedTuple):
    """A values queryset's SQL and its values only (as `reused`'s specs keep them), what its rows are named,
    how many columns are theirs (None: all), and the converters of the columns that need one (a JSON column:
    (position, converters, expression), as Django applies them); `sql` None: it can match no row."""

    model: type
    sql: str | None
    params: tuple
    names: tuple
    width: int | None
    converters: tuple = ()


def _compose(queryset: QuerySet, name: str) -> _Composed:
    query, model = queryset.query, queryset.model
    compiler = query.get_compiler(using=queryset.db)
    names = (
        list(query.selected)
        if query.selected
        else [*query.extra_select, *query.values_select, *query.annotation_select]
    )
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _Composed(model, None, (), tuple(names), None)
    columns = [select[0] for select in compiler.select[: compiler.col_count]]
    converters = tuple((pos, *pair) for pos, pair in compiler.get_converters(columns).items())
    width = compiler.col_count if compiler.has_extra_select else None
    return _Composed(model, sql, tuple(params), tuple(names), width, converters)


def _fetch(done: _Composed, ids: Collection | None = None) -> list[tuple]:
    if done.sql is None:  # it can match no row
        return []
    params = (
        done.params
        if ids is None
        else tuple(Late(list(ids), "bigint[]") if p is IDS else p for p in done.params)
    )
    # where they are read is decided now, as for a queryset (a browser that just wrote reads the primary)
    connection = connections[router.db_for_read(done.model)]
    with connection.cursor() as cursor:
        prepared.execute(cursor, done.sql, params)
        rows = cursor.fetchall()
    if not done.converters:
        return rows
    converted = []
    for row in map(list, rows):  # as SQLCompiler.apply_converters
        for pos, convs, expression in done.converters:
            for convert in convs:
                row[pos] = convert(row[pos], expression, connection)
        converted.append(tuple(row))
    return converted


def execute(specs: dict) -> dict:
    """All `specs` in one SELECT; returns their results under the same keys."""
    results, columns, parts, params = {}, {}, [], []
    for key, spec in specs.items():
        try:
            sql, p = spec.sql()
        except EmptyResultSet:  # e.g. a filter on an empty list: known without asking the database
            results[key] = spec.empty()
            continue
        same = (sql, repr(p))  # plans that ask the very same thing (e.g. four indicators) share a column
        if same not in columns:
            columns[same] = []
            parts.append(sql)
            params += p
        columns[same].append(key)
    if parts:
        # where a read of these records goes: the replica inside a figures page (apps/core/replica.py)
        alias = router.db_for_read(next(iter(specs.values())).model)
        with connections[alias].cursor() as cursor:
            prepared.execute(cursor, "SELECT " + ", ".join(parts), params)
            row = cursor.fetchone()
        for keys, text in zip(columns.values(), row, strict=True):
            for key in keys:
                results[key] = specs[key].parse(text)
    return results


def run(plan: Plan):
    """Drive one plan to its result, one query per round."""
    try:
        specs = next(plan)
        while True:
            specs = plan.send(execute(specs))
    except StopIteration as stop:
        return stop.value


def gather(**plans: Plan) -> Plan:
    """A plan that runs `plans` side by side and returns {name: result}."""
    results: dict = {}
    pending = dict(plans)
    answers: dict = dict.fromkeys(plans)
    while pending:
        specs: dict = {}
        for name, plan in list(pending.items()):
            try:
                asked = next(plan) if answers[name] is None else plan.send(answers[name])
            except StopIteration as stop:
                results[name] = stop.value
                del pending[name]
                continue
            specs.update({(name, key): spec for key, spec in asked.items()})
        if not pending:
            break
        got = yield specs
        answers = {name: {} for name in pending}
        for (name, key), value in got.items():
            answers[name][key] = value
    return results
