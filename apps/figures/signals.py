"""Keep the monthly roll-ups (`rollups.py`) exact on every write, in the writer's transaction.

Each handler recounts the (unit, month) pairs a record belonged to before and after the write. The
"before" values are remembered when the instance is loaded (post_init), so an update costs no extra read.
"""

from django.db.models.signals import m2m_changed, post_delete, post_init, post_save, pre_delete
from django.dispatch import receiver

from apps.figures import rollups
from apps.projects.models import Project, ProjectProblem, ProjectVisit
from apps.research.models import EntityVisit
from apps.service.models import CLOSED_STATUSES, Request, Visit
from apps.service.signals import requests_changed

_REQUEST_FIELDS = ("handling_unit_id", "received_on", "close_due")
_VISIT_FIELDS = ("lead_unit_id", "visited_on", "enterprise_id")


def _remember(instance, fields):
    deferred = instance.get_deferred_fields()
    if instance.pk is None or any(f.removesuffix("_id") in deferred or f in deferred for f in fields):
        instance._rollup_before = None
    else:
        instance._rollup_before = tuple(getattr(instance, f) for f in fields)


def _before(instance, model, fields):
    before = getattr(instance, "_rollup_before", None)
    if before is None and instance.pk is not None:
        before = model.objects.filter(pk=instance.pk).values_list(*fields).first()
    return before


# What decides whether a project problem counts as solved, and when.
_SOLVED_FIELDS = ("status", "outcome", "closed_at")


def _solved_state(instance):
    """(counts as solved, when it was closed): what a project's "solved" figure reads of a request (its SQL:
    rollups.CLOSED_SQL and the outcome) — a move between open statuses changes neither."""
    if any(f in instance.get_deferred_fields() for f in _SOLVED_FIELDS):
        return None
    solved = (
        instance.status in CLOSED_STATUSES
        and instance.closed_at is not None
        and instance.outcome == Request.Outcome.SOLVED
    )
    return solved, instance.closed_at


@receiver(post_init, sender=Request)
def remember_request(sender, instance, **kwargs):
    _remember(instance, _REQUEST_FIELDS)
    instance._rollup_solved = _solved_state(instance)


@receiver(post_save, sender=Request)
def request_saved(sender, instance, created, **kwargs):
    rows = [tuple(getattr(instance, f) for f in _REQUEST_FIELDS)]
    if not created and (before := _before(instance, Request, _REQUEST_FIELDS)) is not None:
        rows.append(before)
    rollups.recount_for_request_rows(rows)
    instance._rollup_before = rows[0]
    before_solved, now_solved = getattr(instance, "_rollup_solved", None), _solved_state(instance)
    # a project problem that was closed, reopened or re-dated moves its project's "solved" figure; other
    # saves (most transitions) do not need to look for a project at all
    if not created and before_solved != now_solved:
        units = ProjectProblem.objects.filter(request_id=instance.pk).values_list(
            "project__unit_id", flat=True
        )
        closings = {rollups.local_month(state[1]) for state in (before_solved, now_solved) if state}
        rollups.recount_projects([(unit_id, m) for unit_id in units for m in closings])
    instance._rollup_solved = now_solved


@receiver(post_delete, sender=Request)
def request_deleted(sender, instance, **kwargs):
    rollups.recount_for_request_rows([tuple(getattr(instance, f) for f in _REQUEST_FIELDS)])


@receiver(requests_changed)
def requests_bulk_changed(sender, before, pks, closed_before=(), **kwargs):
    """A bulk update of requests: `before` holds their (unit, received_on, close_due) before it. The clocks
    are such an update, and they set closed_at: a project problem's "solved" moves with it."""
    after = list(Request.objects.filter(pk__in=pks).values_list(*_REQUEST_FIELDS, "closed_at"))
    rollups.recount_for_request_rows([*before, *(row[:3] for row in after)])
    closed_after = {row[3] for row in after}
    if closed_after != set(closed_before):  # closed_at moved (or unknown): the months of both count
        units = ProjectProblem.objects.filter(request_id__in=pks).values_list("project__unit_id", flat=True)
        closings = {rollups.local_month(c) for c in closed_after | set(closed_before)}
        rollups.recount_projects([(unit_id, m) for unit_id in units for m in closings])


@receiver(post_save, sender=ProjectProblem)
@receiver(post_delete, sender=ProjectProblem)
def problem_changed(sender, instance, **kwargs):
    rows = list(Request.objects.filter(pk=instance.request_id).values_list(*_REQUEST_FIELDS, "closed_at"))
    rollups.recount_for_request_rows([row[:3] for row in rows])
    unit_id = Project.objects.filter(pk=instance.project_id).values_list("unit_id", flat=True).first()
    rollups.recount_projects(
        [(unit_id, row[1]) for row in rows] + [(unit_id, rollups.local_month(row[3])) for row in rows]
    )


def _visit_row(instance, before=None):
    lead_unit, visited_on, enterprise = before or tuple(getattr(instance, f) for f in _VISIT_FIELDS)
    units = {lead_unit}
    if instance.pk is not None:
        units |= rollups.visit_units(instance.pk)
    return units, visited_on, enterprise


@receiver(post_init, sender=Visit)
def remember_visit(sender, instance, **kwargs):
    _remember(instance, _VISIT_FIELDS)


@receiver(post_save, sender=Visit)
def visit_saved(sender, instance, created, **kwargs):
    rows = [_visit_row(instance)]
    before = None if created else _before(instance, Visit, _VISIT_FIELDS)
    if before is not None and before != tuple(getattr(instance, f) for f in _VISIT_FIELDS):
        rows.append(_visit_row(instance, before))
        project_units = ProjectVisit.objects.filter(visit_id=instance.pk).values_list(
            "project__unit_id", flat=True
        )
        rollups.recount_projects([(u, d) for u in project_units for d in (before[1], instance.visited_on)])
    rollups.recount_for_visit_rows(rows)
    instance._rollup_before = tuple(getattr(instance, f) for f in _VISIT_FIELDS)


@receiver(pre_delete, sender=Visit)
def visit_deleting(sender, instance, **kwargs):
    instance._rollup_units = rollups.visit_units(instance.pk)


@receiver(post_delete, sender=Visit)
def visit_deleted(sender, instance, **kwargs):
    units = getattr(instance, "_rollup_units", set()) | {instance.lead_unit_id}
    rollups.recount_for_visit_rows([(units, instance.visited_on, instance.enterprise_id)])


@receiver(m2m_changed, sender=Visit.joint_units.through)
def joint_units_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear" and not reverse:
        instance._rollup_cleared = rollups.visit_units(instance.pk)
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # unit.visits.add(...): instance is the unit
        visits = Visit.objects.filter(pk__in=pk_set or []).values_list("visited_on", flat=True)
        rollups.recount_visits([(instance.pk, day) for day in visits])
        return
    units = pk_set or getattr(instance, "_rollup_cleared", set())
    rollups.recount_visits([(u, instance.visited_on) for u in units])


@receiver(post_save, sender=ProjectVisit)
@receiver(post_delete, sender=ProjectVisit)
@receiver(post_save, sender=EntityVisit)
@receiver(post_delete, sender=EntityVisit)
def visit_link_changed(sender, instance, **kwargs):
    visit = Visit.objects.filter(pk=instance.visit_id).first()
    if visit is not None:
        rollups.recount_visits([(u, visit.visited_on) for u in {None, *_visit_row(visit)[0]}])
        if sender is ProjectVisit:
            unit_id = Project.objects.filter(pk=instance.project_id).values_list("unit_id", flat=True).first()
            rollups.recount_projects([(unit_id, visit.visited_on)])


@receiver(post_init, sender=Project)
def remember_project(sender, instance, **kwargs):
    instance._rollup_unit = None if "unit" in instance.get_deferred_fields() else instance.unit_id


@receiver(post_save, sender=Project)
def project_saved(sender, instance, created, **kwargs):
    before = getattr(instance, "_rollup_unit", None)
    if not created and before is not None and before != instance.unit_id:  # its flows move to the new unit
        months = rollups.project_months(instance.pk)
        rollups.recount_projects([(u, m) for u in (before, instance.unit_id) for m in months])
    instance._rollup_unit = instance.unit_id
