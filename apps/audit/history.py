"""Reading the audit history of one record: its entries newest first, each with who, when, and what changed
(field: before → after), for the history page.

A record's history can gather several history tables: its own rows, and rows that belong to it (a project's
monthly reports, a request's co-handling units). Entries are built in two steps so that a page costs the
same number of queries however long the history: `entries` compares the copies (plain Python), and
`describe` names the values of one page (one query per kind of related record shown).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.enterprises.models import Enterprise
from apps.investment.models import Lead
from apps.projects.models import Project
from apps.research.models import Carrier, Entity, Result
from apps.service.models import Request, Visit

from . import models as audit

ACTIONS = {
    audit.CREATE: _("Created"),
    audit.UPDATE: _("Changed"),
    audit.DELETE: _("Deleted"),
    audit.ADD: _("Added"),
    audit.REMOVE: _("Removed"),
    audit.PASSWORD: _("Password changed"),
}
EMPTY = "—"


@dataclass(frozen=True)
class Source:
    """One history table read for a record: `key` is its column naming the record."""

    history: type[models.Model]
    key: str = "pgh_obj_id"
    # How an entry names the row it is about, when that is not the record itself.
    subject: Callable[[models.Model], str] | None = None


@dataclass(frozen=True)
class Audited:
    """A kind of record with a history page: its model (with `objects.visible_to(user)`) and its page."""

    model: type[models.Model]
    detail_url: str
    sources: tuple[Source, ...]


def _report_subject(row) -> str:
    return _("Monthly report %(month)s") % {"month": f"{row.month:%Y-%m}"}


def _named(label) -> Callable[[models.Model], str]:
    return lambda row: capfirst(label)


RECORDS: dict[str, Audited] = {
    "request": Audited(
        Request,
        "service:request_detail",
        (
            Source(audit.AuditedRequest.pgh_event_model),
            Source(
                audit.AuditedRequestCoUnit.pgh_event_model,
                "request_id",
                _named(Request._meta.get_field("co_units").verbose_name),
            ),
        ),
    ),
    "visit": Audited(
        Visit,
        "service:visit_detail",
        (
            Source(audit.AuditedVisit.pgh_event_model),
            Source(
                audit.AuditedVisitJointUnit.pgh_event_model,
                "visit_id",
                _named(Visit._meta.get_field("joint_units").verbose_name),
            ),
        ),
    ),
    "project": Audited(
        Project,
        "projects:detail",
        (
            Source(audit.AuditedProject.pgh_event_model),
            Source(audit.AuditedMonthlyReport.pgh_event_model, "project_id", _report_subject),
        ),
    ),
    "lead": Audited(Lead, "investment:lead_detail", (Source(audit.AuditedLead.pgh_event_model),)),
    "enterprise": Audited(
        Enterprise, "enterprise_record", (Source(audit.AuditedEnterprise.pgh_event_model),)
    ),
    "rd-entity": Audited(Entity, "research:entity_detail", (Source(audit.AuditedEntity.pgh_event_model),)),
    "rd-result": Audited(Result, "research:result_detail", (Source(audit.AuditedResult.pgh_event_model),)),
    "carrier": Audited(Carrier, "research:carrier_update", (Source(audit.AuditedCarrier.pgh_event_model),)),
}


def can_view_history(user) -> bool:
    """Unit managers, leaders and admins read histories; staff do not."""
    return user.manages_unit or user.has_perm("accounts.view_all_units")


# --- step 1: compare the copies ---------------------------------------------------------------------------


@dataclass
class Change:
    field: models.Field
    before: object = None
    after: object = None
    # Filled by `describe`: what the page shows.
    label: str = ""
    before_text: str = ""
    after_text: str = ""


@dataclass
class Entry:
    at: datetime
    action: str
    user_id: int | None
    url: str
    command: str = ""  # a management command's context, when no user was signed in
    subject: str = ""
    changes: list[Change] = field(default_factory=list)
    # An update whose earlier state was never recorded (the row existed before auditing began).
    first_seen: bool = False
    # Filled by `describe`.
    actor: object = None

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def _shown_fields(source: Source) -> list[models.Field]:
    """The copied fields a reader cares about: not the bookkeeping (ids, version, automatic timestamps)."""
    shown = []
    for f in source.history._meta.concrete_fields:
        if f.name.startswith("pgh_") or f.name in ("id", "version") or f.attname == source.key:
            continue
        if getattr(f, "auto_now", False):
            continue
        shown.append(f)
    return shown


def _differs(a, b) -> bool:
    return a != b and not (a in (None, "") and b in (None, ""))


def _filled(values: dict) -> dict:
    return {f: v for f, v in values.items() if v not in (None, "", [])}


def entries(record, audited: Audited) -> list[Entry]:
    """Every entry of `record`'s history, newest first.

    Writes to the same row while answering one request (a transition and the deadlines it re-derives,
    a record created then dispatched) make one entry: the values before the request and after it."""
    found: list[tuple[datetime, int, Entry]] = []
    for order, source in enumerate(audited.sources):
        shown = _shown_fields(source)
        last: dict[object, models.Model] = {}  # the previous copy of each row
        current: dict[object, tuple[object, Entry]] = {}  # each row's latest entry, with its context id
        for row in source.history.objects.filter(**{source.key: record.pk}).order_by("pgh_id"):
            row_id = getattr(row, "pgh_obj_id", None) or row.id
            previous = last.get(row_id)
            last[row_id] = row
            values = {f: getattr(row, f.attname) for f in shown}
            context_id = getattr(row, "pgh_context_id", None)
            if row.pgh_label == audit.UPDATE and previous is not None and row_id in current:
                seen_context, entry = current[row_id]
                if context_id is not None and context_id == seen_context:
                    _merge(entry, previous, values)
                    continue
            context = row.pgh_context or {}
            entry = Entry(
                at=row.pgh_created_at,
                action=row.pgh_label,
                user_id=context.get("user"),
                url=context.get("url") or "",
                command=context.get("command") or "",
                subject=source.subject(row) if source.subject else "",
            )
            if row.pgh_label in (audit.DELETE, audit.REMOVE):
                entry.changes = [Change(f, v, None) for f, v in _filled(values).items()]
            elif row.pgh_label == audit.UPDATE and previous is not None:
                entry.changes = [
                    Change(f, getattr(previous, f.attname), v)
                    for f, v in values.items()
                    if _differs(getattr(previous, f.attname), v)
                ]
            else:  # created, added, or changed when no earlier copy exists
                entry.first_seen = row.pgh_label == audit.UPDATE
                entry.changes = [Change(f, None, v) for f, v in _filled(values).items()]
            current[row_id] = (context_id, entry)
            found.append((row.pgh_created_at, order * 10**12 + row.pgh_id, entry))
    found = [item for item in found if item[2].changes or item[2].action != audit.UPDATE]
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [entry for _at, _order, entry in found]


def _merge(entry: Entry, previous, values: dict) -> None:
    """Add a later write of the same request to `entry`."""
    if entry.action in (audit.CREATE, audit.ADD) or entry.first_seen:
        entry.changes = [Change(f, None, v) for f, v in _filled(values).items()]
        return
    by_field = {c.field: c for c in entry.changes}
    for f, v in values.items():
        if f in by_field:
            by_field[f].after = v
        elif _differs(getattr(previous, f.attname), v):
            entry.changes.append(Change(f, getattr(previous, f.attname), v))
    entry.changes = [c for c in entry.changes if _differs(c.before, c.after)]


# --- step 2: name the values of one page -----------------------------------------------------------------


def describe(page_entries: list[Entry]) -> None:
    """Fill in the labels and texts of the entries of one page, and who made them."""
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for entry in page_entries:
        if entry.user_id is not None:
            wanted[User].add(entry.user_id)
        for change in entry.changes:
            if isinstance(change.field, models.ForeignKey):
                target = change.field.related_model
                wanted[target].update(v for v in (change.before, change.after) if v is not None)
    names = {
        model: {obj.pk: str(obj) for obj in model._base_manager.filter(pk__in=ids)}
        for model, ids in wanted.items()
    }
    for entry in page_entries:
        entry.actor = names.get(User, {}).get(entry.user_id) if entry.user_id is not None else None
        for change in entry.changes:
            change.label = capfirst(change.field.verbose_name)
            change.before_text = _text(change.field, change.before, names)
            change.after_text = _text(change.field, change.after, names)


def _text(f: models.Field, value, names) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(f, models.ForeignKey):
        return names.get(f.related_model, {}).get(value) or f"#{value}"
    if isinstance(f, ArrayField):
        return "、".join(_text(f.base_field, v, names) for v in value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
