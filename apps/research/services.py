"""Writes of campaign 3: results and matches move only through these transition services."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core import monthset
from apps.core.locking import check_version
from apps.core.rollups import Delta
from apps.enterprises import services as enterprise_services
from apps.enterprises.models import Enterprise
from apps.service import services as service_services
from apps.service.models import Concerns

from . import rollups
from .models import Carrier, Entity, EntityVisit, Match, MatchEvent, Result, ResultEvent

R = Result.Status
M = Match.Status

# The one table of result moves (matching and landing are reached through matches).
RESULT_MOVES = {
    (R.CATALOGUED, R.MATCHING),
    (R.MATCHING, R.LANDED),
    (R.CATALOGUED, R.SHELVED),
    (R.MATCHING, R.SHELVED),
    (R.SHELVED, R.CATALOGUED),
}
# The one table of match moves: forward one step at a time, or failed from any open status.
MATCH_MOVES = {
    (M.PROPOSED, M.CONTACTED),
    (M.CONTACTED, M.NEGOTIATING),
    (M.NEGOTIATING, M.LANDED),
    (M.PROPOSED, M.FAILED),
    (M.CONTACTED, M.FAILED),
    (M.NEGOTIATING, M.FAILED),
}
OPEN_MATCH = (M.PROPOSED, M.CONTACTED, M.NEGOTIATING)


def can_edit(user, obj) -> bool:
    if not user.has_perm("research.change_result"):
        return False
    return user.has_perm("accounts.view_all_units") or obj.unit_id == user.unit_id


@transaction.atomic
def result_transition(*, result: Result, to: str, by, note: str = "", at=None) -> Result:
    result = Result.objects.select_for_update().get(pk=result.pk)
    if not can_edit(by, result):
        raise PermissionDenied
    if (result.status, to) not in RESULT_MOVES:
        raise ValidationError(
            _("A result cannot go from “%(from)s” to “%(to)s”.")
            % {"from": result.get_status_display(), "to": Result.Status(to).label}
        )
    if to == R.SHELVED and not note.strip():
        raise ValidationError(_("Give the reason for shelving."))
    at = at or timezone.now()
    before = rollups.result_state_rows(result)
    event = ResultEvent.objects.create(
        result=result, from_status=result.status, to_status=to, by=by, at=at, note=note.strip()
    )
    result.status = to
    result.shelved_reason = note.strip() if to == R.SHELVED else ""
    result.landed_on = timezone.localdate(at) if to == R.LANDED else None
    result.save(update_fields=["status", "shelved_reason", "landed_on"])
    delta = rollups.result_state_rows(result) - before + rollups.result_event_rows(event, result.unit_id)
    delta.apply()
    return result


@transaction.atomic
def result_create(*, by, at=None, **fields) -> Result:
    result = Result(**fields)
    if not can_edit(by, result):
        raise PermissionDenied
    if at is not None:
        result.catalogued_on = timezone.localdate(at)
    result.full_clean()
    result.save()
    event = ResultEvent.objects.create(result=result, to_status=R.CATALOGUED, by=by, at=at or timezone.now())
    (rollups.result_state_rows(result) + rollups.result_event_rows(event, result.unit_id)).apply()
    return result


@transaction.atomic
def match_propose(
    *, result: Result, by, carrier: Carrier | None = None, enterprise=None, note: str = "", at=None
):
    """Propose a match of a result with a carrier and/or an enterprise; the result moves to matching."""
    result = Result.objects.select_for_update().get(pk=result.pk)
    if not can_edit(by, result):
        raise PermissionDenied
    if carrier is None and enterprise is None:
        raise ValidationError(_("Choose a carrier or an enterprise."))
    if result.status not in (R.CATALOGUED, R.MATCHING):
        raise ValidationError(_("Only a catalogued result or one in matching can be matched."))
    at = at or timezone.now()
    match = Match.objects.create(
        result=result, carrier=carrier, enterprise=enterprise, note=note.strip(), created_by=by, created_at=at
    )
    event = MatchEvent.objects.create(match=match, to_status=M.PROPOSED, by=by, at=at, note=note.strip())
    rollups.match_event_rows(event, result.unit_id).apply()
    if result.status == R.CATALOGUED:
        result_transition(result=result, to=R.MATCHING, by=by, at=at)
    return match


@transaction.atomic
def match_transition(
    *,
    match: Match,
    to: str,
    by,
    note: str = "",
    at=None,
    landed_how: str = "",
    spin_off: dict | None = None,
    enterprise: Enterprise | None = None,
) -> Match:
    """Move a match one step. Landing records where and how, can create the spin-off's enterprise record
    (`spin_off`: the keyword arguments of `enterprise_create`) or link an existing one (`enterprise`), and
    lands the result."""
    if spin_off and enterprise is not None:
        raise ValueError("Give either spin_off or enterprise, not both.")
    match = Match.objects.select_for_update().select_related("result").get(pk=match.pk)
    if not can_edit(by, match.result):
        raise PermissionDenied
    if (match.status, to) not in MATCH_MOVES:
        raise ValidationError(
            _("A match cannot go from “%(from)s” to “%(to)s”.")
            % {"from": match.get_status_display(), "to": Match.Status(to).label}
        )
    note = note.strip()
    at = at or timezone.now()
    fields = ["status", "updated_at"]
    if to == M.FAILED:
        if not note:
            raise ValidationError(_("Give the reason the match failed."))
        match.failed_reason = note[:300]
        fields.append("failed_reason")
    if to == M.LANDED:
        if not landed_how.strip():
            raise ValidationError(_("Say where and how the result landed."))
        match.landed_how = landed_how.strip()[:300]
        fields.append("landed_how")
        if spin_off:
            match.enterprise = enterprise_services.enterprise_create(by=by, **spin_off)
            fields.append("enterprise")
        elif enterprise is not None:
            match.enterprise = enterprise
            fields.append("enterprise")
    event = MatchEvent.objects.create(
        match=match, from_status=match.status, to_status=to, by=by, at=at, note=note
    )
    match.status = to
    match.save(update_fields=fields)
    rollups.match_event_rows(event, match.result.unit_id).apply()
    if to == M.LANDED and match.result.status == R.MATCHING:
        result_transition(result=match.result, to=R.LANDED, by=by, at=at, note=landed_how)
    return match


@transaction.atomic
def entity_visit_record(*, entity: Entity, by, **visit_fields):
    """A visit to an R&D entity: campaign 1's visit (about the entity), linked to it, and its month marked on
    the entity (R&D entities visited)."""
    visit = service_services.visit_record(
        by=by,
        enterprise=entity.enterprise,
        target_name=entity.name,
        concerns=Concerns.RD_ENTITY,
        **visit_fields,
    )
    EntityVisit.objects.create(entity=entity, visit=visit)
    with connection.cursor() as cursor:
        cursor.execute(
            monthset.add_month_sql(Entity._meta.db_table, "visit_months"),
            {"i": monthset.month_index(visit.visited_on), "id": entity.pk},
        )
    return visit


# --- suggestions -----------------------------------------------------------------------------------

INDUSTRY_POINTS, ANY_INDUSTRY_POINTS, AREA_POINTS, NO_NEED_POINTS, PARK_POINTS = 50, 20, 30, 15, 20


@dataclass(frozen=True)
class Suggestion:
    carrier: Carrier
    score: Decimal
    reasons: list[str]


def suggest_carriers(result: Result, carriers) -> list[Suggestion]:
    """Rank carriers with free space for `result`: industry fit (50), free area against the space needed
    (30, pro rata when short), same park as the owning entity (20). Deterministic: ties go to more free
    area, then the older record."""
    scored = []
    need = result.need_space_m2
    entity_park = result.entity.park_id
    for carrier in carriers:
        if carrier.free_area_m2 <= 0:
            continue
        reasons, score = [], Decimal(0)
        if result.industry in carrier.industries:
            score += INDUSTRY_POINTS
            reasons.append(_("suits the result's industry (+%(p)d)") % {"p": INDUSTRY_POINTS})
        elif not carrier.industries:
            score += ANY_INDUSTRY_POINTS
            reasons.append(_("open to any industry (+%(p)d)") % {"p": ANY_INDUSTRY_POINTS})
        else:
            reasons.append(_("meant for other industries (+0)"))
        if not need:
            score += NO_NEED_POINTS
            reasons.append(_("no space need stated (+%(p)d)") % {"p": NO_NEED_POINTS})
        elif carrier.free_area_m2 >= need:
            score += AREA_POINTS
            reasons.append(
                _("%(free)s m² free covers the %(need)s m² needed (+%(p)d)")
                % {"free": carrier.free_area_m2, "need": need, "p": AREA_POINTS}
            )
        else:
            part = (Decimal(AREA_POINTS) * carrier.free_area_m2 / need).quantize(
                Decimal("0.1"), ROUND_HALF_UP
            )
            score += part
            reasons.append(
                _("only %(free)s of the %(need)s m² needed (+%(p)s)")
                % {"free": carrier.free_area_m2, "need": need, "p": part}
            )
        if entity_park is not None and carrier.park_id == entity_park:
            score += PARK_POINTS
            reasons.append(_("in the entity's own park (+%(p)d)") % {"p": PARK_POINTS})
        scored.append(Suggestion(carrier, score, reasons))
    scored.sort(key=lambda s: (-s.score, -s.carrier.free_area_m2, s.carrier.pk))
    return scored


MATCH_LABELS = {
    M.CONTACTED: gettext_lazy("Contacted"),
    M.NEGOTIATING: gettext_lazy("Negotiating"),
    M.LANDED: gettext_lazy("Landed"),
    M.FAILED: gettext_lazy("Failed"),
}


@transaction.atomic
def record_save(*, by, instance, expected_version: int | None = None):
    """Create or change an R&D entity, a carrier, or the description of a result.

    A change locks the stored row and saves only the fields a form may edit (a result's status moves only
    through its transitions); `expected_version` is the version the user's form was loaded with:
    EditConflict if the record has changed since."""
    fields, before = None, Delta()
    if instance.pk:
        stored = type(instance).objects.select_for_update().get(pk=instance.pk)
        if not can_edit(by, stored):
            raise PermissionDenied
        check_version(stored, expected_version)
        instance.version = stored.version + 1  # the row is locked: no lost update
        fields = [f.name for f in instance._meta.concrete_fields if f.editable and not f.primary_key]
        fields.append("version")
        for field in instance._meta.concrete_fields:  # what no form edits (a status, a landing) is as stored
            if not field.editable and field.name != "version":
                setattr(instance, field.attname, getattr(stored, field.attname))
        if isinstance(stored, Result):  # a result moved to another unit takes its figures with it
            before = _result_rows(stored)
    if not can_edit(by, instance):
        raise PermissionDenied
    instance.full_clean()
    instance.save(update_fields=fields)
    if isinstance(instance, Result):
        (_result_rows(instance) - before).apply()
    return instance


def _result_rows(result: Result) -> Delta:
    """Everything a result adds to the roll-ups, with its events and its matches' events."""
    return rollups.result_rows(
        result,
        ResultEvent.objects.filter(result=result),
        MatchEvent.objects.filter(match__result=result),
    )
