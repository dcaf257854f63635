"""Query building blocks PostgreSQL answers from indexes."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL

from .batch import IDS, composed_rows, composed_values


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
    found from its index entries instead of filtering every row of the table (or joining and DISTINCT).
    The ids are a set: read in no order (a model's default ordering would sort them on every query).

    A hashed `pk__in=ids` looks cheaper when the ids are many (it probes each row walked once), but it is no
    index condition: the count and the page then walk every row of the table for a user with a few ids
    (tried for the project list: 0.6 -> 7.0 ms to count a staff member's 27 task forces' projects)."""
    return Q(EqualsAny(F("pk"), ArraySubquery(ids.order_by())))


def among_ids(ids) -> Q:
    """Rows whose primary key is one of `ids`, given as one array parameter (`id = ANY(%s)`): the same SQL
    whatever the ids, so that a statement composed once with the placeholder `batch.IDS` reads the rows of
    any ids (`batch.composed_values`)."""
    return Q(EqualsAny(F("pk"), RawSQL("%s", (ids,))))


class TableRow:
    """One row of a list's table, read as values (`table_of`): a subclass names the columns it reads
    (`columns`, queryset names) and, in `__slots__`, those and what the page works out for each row once,
    so its template only prints them. Building a model instance of each row cost more than the query."""

    __slots__ = ()
    columns: tuple[str, ...] = ()


def table_of(page, row_class: type[TableRow]) -> list:
    """The rows of `page` (a queryset filtered, ordered and sliced, or a `ComposedPage`) as `row_class`
    objects, its `columns` only, in one query (`read_page`: for a ComposedPage, composed once per process
    for its list and `row_class`)."""
    columns, rows = row_class.columns, []

    def values(queryset):
        return queryset.values(*columns)

    for read in read_page(page, values, name=(row_class.__module__, row_class.__qualname__)):
        row = row_class()
        for name in columns:
            setattr(row, name, read[name])
        rows.append(row)
    return rows


def page_rows(page):
    """The rows of `page` (a list's queryset: filtered, ordered, sliced) as a new queryset of its model, in
    the same order, chosen by `page` as a subquery: the joins and subqueries a table adds to it then apply to
    the page's rows alone, in the one query that reads them. Joined before the limit, PostgreSQL may
    merge-join a handler's thousands of open items with every enterprise only to keep 50 (62 ms at province
    scale, 9 ms this way); and reading the page's ids first cost a round trip of its own.

    A queryset not sliced has no limit for the joins to run before — a page OrderedUnion found by its ids,
    or a whole small set (a visit's requests): its rows are read as it is. As a subquery of itself the
    planner weighed every index of the table twice (1.6-2.5 ms of planning for a request page at province
    scale, against 0.8-1.0)."""
    if not page.query.is_sliced:
        return page
    model = page.model
    rows = model._default_manager.filter(pk__in=page.values("pk"))
    rows = rows.order_by(*(page.query.order_by or model._meta.ordering))
    if not page.query.standard_ordering:  # a page read from the other end (TwoEndedPaginator)
        rows = rows.reverse()
    return rows


class OrderedUnion:
    """The rows of `queryset` that meet one of `arms` — disjoint conditions, each answered from its own index
    — in the list's order: a UNION ALL of one scan per arm, sorted at the end, then that page's rows.

    Written as an OR, the arms made PostgreSQL walk the whole table's date index and filter every entry when
    it expected a unit's rows early: 189 ms for a staff member's visit list at province scale, against 4 ms
    for the union (the unit's own entries read index-only). It stands in for the ordered queryset a paginator
    slices: a slice is an ordinary queryset (the original's joins and prefetches) of that page's rows in
    order; `order_by()`, `reverse()` and `count_upto()` answer the paginator. `queryset` keeps its own
    visibility rule, so a row outside it never shows whatever the arms say."""

    ordered = True

    def __init__(
        self, queryset, arms, order=None, *, within=None, head=None, count_in_order=True, reuse=None
    ):
        self.queryset, self.arms = queryset, list(arms)
        # a hashable key that names all the arms and `within` are built from (a unit's unfiltered list): the
        # SQL that counts and finds the page's ids is then composed once per process for that key and the
        # statement's shape (`composed_rows`), and only run on every page
        self.reuse = reuse
        # counted by reading the first ids in order through the arms (kept for the page), or — False — as
        # the arms' rows in no order, each from its own index (index-only where it holds the arm's columns):
        # when an arm's order is a dear way to a thousand of its entries, though the fifty of a page are
        # cheap (see RequestListView)
        self.count_in_order = count_in_order
        # where the arms are looked for: `queryset` itself, or — when the arms are its visibility rule, split
        # — the same rows without that rule (each arm ANDed with the OR of all arms made PostgreSQL read an
        # arm through the others' indexes too); the page's rows are still read through `queryset`
        self.within = queryset if within is None else within
        model = queryset.model
        order = order or queryset.query.order_by or model._meta.ordering
        self.order = tuple("-id" if f == "-pk" else "id" if f == "pk" else f for f in order)
        # (ids, whole): the first ids in this order as count_upto read them; `whole`: they are all of them
        self.head = head

    def _union(self, fields, first=None):
        """The arms' rows (`fields`), each arm's `first` rows in the list's order alone when given: the
        union's first rows are among them, and an arm with an index in that order reads that many entries
        instead of all its rows (a busy unit's 158,000) for the sort at the end."""
        parts = [self.within.filter(arm).values_list(*fields) for arm in self.arms]
        parts = [part.order_by(*self.order)[:first] if first else part.order_by() for part in parts]
        return parts[0].union(*parts[1:], all=True)

    def _ordered(self, order, head=None):
        return OrderedUnion(
            self.queryset,
            self.arms,
            order,
            within=self.within,
            head=head,
            count_in_order=self.count_in_order,
            reuse=self.reuse,
        )

    def order_by(self, *order):
        return self._ordered(order) if order else self

    def reverse(self):
        flipped = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in self.order)
        return self._ordered(flipped, (self.head[0][::-1], True) if self.head and self.head[1] else None)

    def count_upto(self, n: int) -> int:
        """The rows, counted up to `n`: each arm's first `n` in the list's order, the union's first `n` of
        them kept, so that a page among them needs no query of its own (counting apart read the arms twice:
        ~6 ms of a filtered visit list at province scale). Not in order (`count_in_order` False): the arms'
        rows as they come, up to `n`, in one query that reads no row of the table an arm's index holds (the
        same rows as the OR, counted as a bitmap of their pages: 2.7 ms for a middle unit's 1,001 requests
        at province scale, against 0.3)."""
        if not self.count_in_order:
            [(count,)] = self._rows(("count", n), lambda: self._union(["id"]).order_by()[:n], counted=True)
            return count
        ids = [row[0] for row in self._rows(("ids", self.order, n), lambda: self._ordered_union(n)[:n])]
        self.head = (ids, len(ids) < n)
        return len(ids)

    def _ordered_union(self, first=None):
        columns = list(dict.fromkeys(["id", *(f.lstrip("-") for f in self.order)]))
        return self._union(columns, first).order_by(*self.order)

    def __getitem__(self, item: slice):
        ids, whole = self.head or ((), False)
        if whole or (item.stop is not None and item.stop <= len(ids)):
            ids = list(ids[item])
        else:
            shape = ("ids", self.order, item.start, item.stop)
            ids = [row[0] for row in self._rows(shape, lambda: self._ordered_union(item.stop)[item])]
        if self.reuse is not None:
            return UnionPage(self, ids)
        return self.queryset.filter(pk__in=ids).order_by(*self.order)

    def _rows(self, shape: tuple, build, *, counted=False) -> list[tuple]:
        """The rows of `build()` (a `values_list()` queryset; `counted`: their number, up to its limit), its
        SQL composed once per process for this union's `reuse` key and `shape` when it has one."""
        if self.reuse is None:
            queryset = build()
            return [(queryset.count(),)] if counted else list(queryset)
        return composed_rows((self.reuse, *shape), build, counted=counted)


class ComposedPage:
    """A page of a list whose statements are composed once per process for a key (`UnionPage`,
    `ReusedPage`): a table reads its rows with `read_page`. Iterated, it is the page's rows as a queryset
    gives them, in order."""

    def read(self, columns, name: tuple) -> list[dict]:
        """The page's rows as `columns(queryset)` reads them, composed once for its list and `name`."""
        raise NotImplementedError


class UnionPage(ComposedPage):
    """A page of an `OrderedUnion` composed once (its `reuse` key): the page's `ids`, whose rows a table reads
    with `read_page` in a statement composed once per process for the union's key, order and table — the
    page's rows as `queryset` reads them (its visibility rule and all), with the ids as one parameter.
    Iterated, it is that queryset's rows in order, as a page of another list."""

    def __init__(self, union: OrderedUnion, ids: list[int]):
        self.union, self.ids = union, ids

    def rows(self, ids=None):
        """The page's rows as a queryset, in the list's order: of its ids, or of `ids` (`batch.IDS`)."""
        if ids is None:
            ids = self.ids
            if not ids:
                return self.union.queryset.none()
        return self.union.queryset.filter(among_ids(ids)).order_by(*self.union.order)

    def __iter__(self):
        return iter(self.rows())

    def __len__(self):
        return len(self.ids)

    def read(self, columns, name: tuple) -> list[dict]:
        if not self.ids:  # an empty list's page: nothing to ask
            return []
        union = self.union
        key = (union.reuse, "page", union.order, name)
        return composed_values(key, lambda: columns(self.rows(IDS)), ids=self.ids)


class ReusedList:
    """A list read as one query whose rows depend on `reuse` alone — a hashable key that names everything
    `queryset` is built from (a leader's unfiltered list: every row; a busy unit's: the unit's; a user's
    projects of a year: the user, the year and its months so far) — standing in
    for the ordered queryset a paginator counts and slices: a slice is a `ReusedPage`, whose rows a table
    reads in a statement composed once per process for the key, the slice and the table. Composing a page's
    row statement cost more in Python than PostgreSQL spends running it (a request table ~1.3 ms, a visit
    table ~2.4, against 1-3 ms of SQL at province scale)."""

    ordered = True

    def __init__(self, queryset, reuse):
        self.queryset, self.reuse = queryset, reuse

    def reverse(self):
        return ReusedList(self.queryset.reverse(), self.reuse)

    def __getitem__(self, item: slice):
        # read from either end (TwoEndedPaginator): the direction is the queryset's own
        forward = self.queryset.query.standard_ordering
        return ReusedPage(self.queryset[item], (self.reuse, "slice", forward, item.start, item.stop))


class ReusedPage(ComposedPage):
    """A slice of a `ReusedList`: `queryset` (its rows, filtered, ordered and sliced) and the `key` that names
    it, its rows read with `read_page` in a statement composed once per process for that key and the table."""

    def __init__(self, queryset, key: tuple):
        self.queryset, self.key = queryset, key

    def __iter__(self):
        return iter(self.queryset)

    def read(self, columns, name: tuple) -> list[dict]:
        return composed_values((*self.key, name), lambda: columns(self.queryset))


def read_page(page, columns, *, name: tuple | None = None) -> list[dict]:
    """The rows of `page` (a list's page: a queryset filtered, ordered and sliced, or a `ComposedPage`) as
    the `values()` queryset `columns(page)` reads them: for a ComposedPage, composed once per process for its
    list's key and `name` (what `columns` reads; by default the function's own name: a function of the page
    alone), then run (for a UnionPage, for the page's ids). Composing a request table's row statement cost
    ~2 ms of Python, a visit table's (its joint units and people as arrays) ~5."""
    if isinstance(page, ComposedPage):
        return page.read(columns, name or (columns.__module__, columns.__qualname__))
    return list(columns(page))
