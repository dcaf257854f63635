"""One definition of a state, usable in SQL and on a record in memory.

A campaign defines each state its figures count ("closed", "on time", "open lead") once, as a `Q` on the
record's own columns. Selectors and roll-up rebuilds use the `Q` in SQL; the services, which hold the record
they have just written, ask `holds(q, record)` instead of reading the row back. The evaluation follows SQL's
three-valued logic (a comparison with NULL is unknown, and unknown is not true), so both answer alike.

Only what such definitions need is supported: conditions on the record's own fields (or the attributes of
any object, for values computed first, such as a project's progress) with the lookups
exact, in, isnull, gt, gte, lt, lte, combined with &, | and ~. Anything else raises, rather than guessing.
"""

from __future__ import annotations

import operator

from django.db.models import Q

_COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def _value(record, field: str):
    meta = getattr(record, "_meta", None)  # a model instance, or any object with these attributes
    value = getattr(record, meta.get_field(field).attname if meta else field)
    if hasattr(value, "resolve_expression"):  # e.g. F("n") + 1 not yet read back
        raise ValueError(f"{field} holds an expression: refresh the record before evaluating it")
    return value


def _lookup(record, path: str, expected) -> bool | None:
    field, _sep, lookup = path.partition("__")
    if "__" in lookup:
        raise ValueError(f"only the record's own fields can be evaluated: {path}")
    lookup = lookup or "exact"
    value = _value(record, field)
    if lookup == "isnull":
        return (value is None) == bool(expected)
    if value is None:
        return None  # unknown, as in SQL
    if lookup == "exact":
        return None if expected is None else value == expected
    if lookup == "in":
        return value in list(expected)
    if lookup in _COMPARE:
        return _COMPARE[lookup](value, expected)
    raise ValueError(f"lookup not supported in memory: {path}")


def _evaluate(q: Q, record) -> bool | None:
    results = [
        _evaluate(child, record) if isinstance(child, Q) else _lookup(record, *child) for child in q.children
    ]
    if q.connector == Q.AND:
        value = False if False in results else (None if None in results else True)
    elif q.connector == Q.OR:
        value = True if True in results else (None if None in results else False)
    else:
        raise ValueError(f"connector not supported in memory: {q.connector}")
    if q.negated:
        return None if value is None else not value
    return value


def holds(q: Q, record) -> bool:
    """Whether `record` (a model instance, as it is now in memory) satisfies `q`, as SQL would say."""
    return _evaluate(q, record) is True


def renamed(q: Q, names: dict[str, str]) -> Q:
    """`q` with its fields renamed (the first part of each lookup path): the same condition asked of a
    record reached another way, e.g. a project's dates from its year plan ({"actual_start":
    "project__actual_start"})."""
    result = Q()
    result.connector, result.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            result.children.append(renamed(child, names))
        else:
            path, value = child
            field, sep, rest = path.partition("__")
            result.children.append((names.get(field, field) + sep + rest, value))
    return result
