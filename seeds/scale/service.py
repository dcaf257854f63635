"""Campaign 1 at scale: visits (to enterprises, projects and R&D entities) and the requests heard there,
each with the event history its status needs and the clocks `apps.service.clocks.compute` derives from it.

A request lives through the same moves as `services.MOVES` (create, dispatch, assign, transfer, acknowledge,
contact, extension, pause, close, reopen, confirm, withdraw), each step at a plausible time; a step that would
fall after the span's last evening does not happen, so the latest requests are still open, as in real life.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import NamedTuple

from apps.projects.models import ProjectProblem, ProjectVisit
from apps.research.models import EntityVisit
from apps.service import clocks
from apps.service.models import Category, Request, RequestEvent, Status, Visit
from apps.units.models import Unit
from apps.workdays.calendar import end_of
from seeds.service import CATEGORY_UNIT, CATEGORY_WEIGHTS, TITLES

from .db import Loader, Table
from .district import World, cumulative, pick

K = Unit.Kind
S = Status
ENTERPRISE, PROJECT, ENTITY = 0, 1, 2
CONCERNS = {ENTERPRISE: "enterprise", PROJECT: "project", ENTITY: "rd_entity"}  # Visit.concerns
MODES, MODE_WEIGHTS = ["on_site", "meeting", "video", "phone"], [80, 10, 5, 5]
OTHER_SOURCES = ["hotline", "letter", "meeting", "online", "leader"]
FROM_VISITS = 0.85  # share of requests heard on a visit


class Ev(NamedTuple):
    """A request event as `clocks.compute` reads it (action, at, data) and as it is stored."""

    action: str
    frm: str
    to: str
    by: int
    at: datetime
    note: str = ""
    data: dict | None = None


class Visits(NamedTuple):
    """The visits, as parallel lists indexed by id - 1."""

    day: list[date]
    enterprise: list[int | None]
    unit: list[int]
    kind: list[int]
    target: list[int]  # the project or R&D entity id


def build_visits(world: World, loader: Loader, count: int, projects, entities) -> Visits:
    """`count` visits: R&D entities about once or twice each, a few per cent to projects (their owner is the
    enterprise), the rest to enterprises, drawn by their unit's activity and key enterprises more often."""
    rng = world.rng
    n_entity = min(len(entities) * 13 // 10, count // 20)
    n_project = count * 4 // 100 if projects else 0
    plans = []  # (day, enterprise, target name, unit, kind, target id)
    for i in range(n_entity):
        entity_id, unit, enterprise, name = entities[i % len(entities)]
        plans.append((None, enterprise, name, unit, ENTITY, entity_id))
    project_cum = cumulative([weight for *_, weight in projects])
    for _ in range(n_project):
        project_id, unit, owner, name, _weight = projects[pick(rng, project_cum)]
        plans.append((None, owner, name, unit, PROJECT, project_id))
    weights = [
        world.unit_weight[unit] ** 0.4 * (3 if key else 1)
        for unit, key in zip(world.ent_unit, world.ent_key, strict=True)
    ]
    enterprise_cum = cumulative(weights)
    for _ in range(count - len(plans)):
        eid = pick(rng, enterprise_cum) + 1
        plans.append((None, eid, "", world.ent_unit[eid - 1], ENTERPRISE, 0))
    days = world.sample_days(len(plans))
    plans = sorted(((day, *plan[1:]) for day, plan in zip(days, plans, strict=True)), key=lambda p: p[0])

    visit = Table(Visit, ["id", "visited_on", "enterprise_id", "target_name", "lead_unit_id", "mode", "summary",
                          "created_by_id", "created_at", "concerns", "counts_for_id"])  # fmt: skip
    joint = Table(Visit.joint_units.through, ["id", "visit_id", "unit_id"])
    staff = Table(Visit.staff.through, ["id", "visit_id", "user_id"])
    project_link = Table(ProjectVisit, ["id", "project_id", "visit_id"])
    entity_link = Table(EntityVisit, ["id", "entity_id", "visit_id"])
    bureaus = [u.pk for u in world.of_kind(K.BUREAU, K.OFFICE)]
    bureau_cum = cumulative([world.unit_weight[u] for u in bureaus])
    joints, links = 0, {PROJECT: 0, ENTITY: 0}
    out = Visits([], [], [], [], [])
    for vid, (day, enterprise, target, unit, kind, target_id) in enumerate(plans, start=1):
        by = world.staff[unit]
        logged = world.at(day, rng.randint(16, 19), rng.randrange(0, 60, 5))
        if rng.random() < 0.1:  # logged the next working day
            logged = world.at(world.calendar.next_workday(day), rng.randint(9, 11), rng.randrange(0, 60, 5))
        name = target or world.ent_name[enterprise - 1]
        loader.add(visit, visit.line(
            vid, day, enterprise, target, unit, rng.choices(MODES, weights=MODE_WEIGHTS)[0],
            f"走访{name}，了解生产经营情况，收集企业诉求。", by, min(logged, world.cutoff),
            CONCERNS[kind], unit if kind == PROJECT else None,  # a project visit counts for the project's unit
        ))  # fmt: skip
        loader.add(staff, staff.line(vid, vid, by))
        if kind == ENTERPRISE and rng.random() < 0.2:  # a bureau goes along (联合走访)
            other = bureaus[pick(rng, bureau_cum)]
            if other != unit:
                joints += 1
                loader.add(joint, joint.line(joints, vid, other))
        elif kind != ENTERPRISE:
            links[kind] += 1
            table = project_link if kind == PROJECT else entity_link
            loader.add(table, table.line(links[kind], target_id, vid))
        out.day.append(day)
        out.enterprise.append(enterprise)
        out.unit.append(unit)
        out.kind.append(kind)
        out.target.append(target_id)
    return out


class RequestMaker:
    """Builds requests one by one, in the order they were received (ids follow time)."""

    def __init__(self, world: World, loader: Loader):
        self.world, self.loader, self.rng, self.cal = world, loader, world.rng, world.calendar
        self.categories = world.categories
        names = [c.name for c in self.categories]
        known = dict(zip(CATEGORY_UNIT, CATEGORY_WEIGHTS, strict=True))
        self.category_cum = cumulative([known.get(name, 10) for name in names])
        codes = {u.code: u.pk for u in world.units}
        self.home = {c.pk: codes.get(CATEGORY_UNIT.get(c.name) or "") for c in self.categories}
        self.bureaus = [u.pk for u in world.of_kind(K.BUREAU, K.OFFICE)]
        self.bureau_cum = cumulative([world.unit_weight[u] for u in self.bureaus])
        self.request = Table(Request, [
            "id", "enterprise_id", "source", "visit_id", "category_id", "title", "description", "urgency",
            "logged_unit_id", "created_by_id", "received_at", "received_on", "status", "handling_unit_id",
            "handler_id", "outcome", "answer", "satisfaction", "satisfaction_by", "reopen_count",
            "pending_extension_days", *clocks.Clocks.FIELDS, "version", "updated_at", "concerns", "counts_for_id",
        ])  # fmt: skip
        self.event = Table(RequestEvent, ["id", "request_id", "action", "from_status", "to_status", "by_id", "at",
                                          "note", "data"])  # fmt: skip
        self.co_unit = Table(Request.co_units.through, ["id", "request_id", "unit_id"])
        self.problem = Table(ProjectProblem, ["id", "project_id", "request_id"])
        self.events = self.co_units = self.problems = 0
        self.statuses: dict[str, int] = {}

    def handling_unit(self, category: Category, own: int) -> int:
        home, roll = self.home[category.pk], self.rng.random()
        if home is None or roll < 0.2:
            return own
        return home if roll < 0.8 else self.bureaus[pick(self.rng, self.bureau_cum)]

    def make(self, rid: int, received: datetime, enterprise: int, logged_unit: int, source: str,
             visit: int | None, project: int | None, project_unit: int | None = None) -> None:  # fmt: skip
        rng, world = self.rng, self.world
        cutoff = world.cutoff
        category = self.categories[pick(rng, self.category_cum)]
        urgency = rng.choices(["normal", "urgent", "critical"], weights=[85, 12, 3])[0]
        title = rng.choice(TITLES.get(category.name) or [f"{category.name}诉求"])
        logger = world.staff[logged_unit]
        unit = self.handling_unit(category, world.ent_unit[enterprise - 1])
        events = [Ev("create", "", S.NEW, logger, received)]
        req = {"status": S.NEW, "unit": None, "handler": None, "outcome": "", "answer": "", "satisfaction": "",
               "reopen": 0, "pending": 0}  # fmt: skip

        def step(action, to, by, at, note="", data=None) -> bool:
            if at > cutoff:
                return False
            events.append(Ev(action, req["status"], to, by, at, note, data))
            req["status"] = to
            return True

        self._play(step, req, received, logger, logged_unit, unit, category, urgency, source)
        self._write(
            rid,
            received,
            enterprise,
            logged_unit,
            source,
            visit,
            category,
            urgency,
            title,
            req,
            events,
            project_unit if project else None,
        )
        if project:
            self.problems += 1
            self.loader.add(self.problem, self.problem.line(self.problems, project, rid))
        if rng.random() < 0.02 and req["unit"] is not None:
            other = self.bureaus[pick(rng, self.bureau_cum)]
            if other != req["unit"]:
                self.co_units += 1
                self.loader.add(self.co_unit, self.co_unit.line(self.co_units, rid, other))

    def _play(self, step, req, received, logger, logged_unit, unit, category, urgency, source):
        rng, cal, world = self.rng, self.cal, self.world
        age = (world.end - received.date()).days
        if age <= 2 and rng.random() < 0.3 or rng.random() < 0.001:
            return  # not dispatched yet (on the dispatch desk)
        # Dispatch: at once by whoever logs it, or through the dispatch desk (hotline, leaders' instructions).
        t = received
        staff = world.staff[unit]
        if source in ("hotline", "leader") or rng.random() < 0.1:
            t += timedelta(minutes=rng.randint(10, 120))
            if not step(
                "dispatch",
                S.DISPATCHED,
                world.leader,
                t,
                data={"unit": unit, "from_unit": None, "handler": None},
            ):
                return
            handler = None
        else:
            handler = staff if unit == logged_unit else None
            step(
                "dispatch",
                S.DISPATCHED,
                logger,
                t,
                data={"unit": unit, "from_unit": None, "handler": handler},
            )
        req["unit"], req["handler"] = unit, handler
        if rng.random() < 0.03:  # sent to the wrong unit first
            other = self.bureaus[pick(rng, self.bureau_cum)]
            t += timedelta(minutes=rng.randint(30, 300))
            if other != unit:
                if not step("transfer", S.DISPATCHED, world.manager[unit], t, "职责不符，转至主管部门。",
                            {"unit": other, "from_unit": unit, "handler": None}):  # fmt: skip
                    return
                unit, staff = other, world.staff[other]
                req["unit"], req["handler"] = unit, None
        manager = world.manager[unit]
        base_day = t.date()  # the closure clock starts on the (last) dispatch day
        ack_due = clocks.ack_deadline(t, cal)
        if req["handler"] is None:
            t += timedelta(minutes=rng.randint(5, 90))
            if not step("assign", req["status"], manager, t, data={"handler": staff, "from_handler": None}):
                return
            req["handler"] = staff
        # 事不过夜: mostly acknowledged in time (within the hour, or just before the end of the working day),
        # some only the next morning, a few days late.
        day, roll = t.date(), rng.random()
        if roll < 0.94 and t + timedelta(minutes=2) < ack_due:
            soon = min(
                t + timedelta(minutes=rng.randint(2, 50)), ack_due - timedelta(minutes=rng.randint(1, 10))
            )
            t = max(t + timedelta(minutes=1), soon)
        elif roll < 0.985:
            t = world.at(cal.next_workday(day), rng.randint(8, 10), rng.randrange(0, 60, 5))
        else:
            t = world.at(cal.add_workdays(day, 2), rng.randint(9, 16), rng.randrange(0, 60, 5))
        if rng.random() < 0.01:  # withdrawn by the enterprise before work starts
            step("withdraw", S.WITHDRAWN, logger, t, "企业已自行解决，申请撤单。")
            return
        if not step("acknowledge", S.ACKNOWLEDGED, staff, t):
            return
        t += timedelta(hours=rng.randint(1, 20), minutes=rng.randrange(0, 60, 5))
        if not step("contact", S.IN_PROGRESS, staff, t, "已电话联系企业。"):
            return
        limit = clocks.effective_days(category.close_days, urgency)
        due = end_of(cal.add_workdays(base_day, limit))
        extra = 0
        roll = rng.random()
        if roll < 0.012:  # stuck: still in progress, overdue by now
            return
        if roll < 0.05 and t < due:  # an extension asked for, mostly approved
            days = rng.choice([3, 5, 5, 10])
            step("extend_ask", S.IN_PROGRESS, staff, t, "涉及多部门会商，申请延期。", {"days": days})
            req["pending"] = days
            t += timedelta(hours=rng.randint(2, 30))
            approve = rng.random() < 0.8
            if not step("extend_approve" if approve else "extend_refuse", S.IN_PROGRESS, manager, t,
                        "" if approve else "请按原期限办结。", {"days": days}):  # fmt: skip
                return
            req["pending"] = 0
            extra += days if approve else 0
        elif roll < 0.065:  # paused while the enterprise gathers papers
            t += timedelta(hours=rng.randint(2, 48))
            if not step("pause", S.PAUSED, staff, t, "等待企业补充材料。"):
                return
            resumed = t + timedelta(days=rng.randint(3, 20))
            if rng.random() < 0.15 or not step("resume", S.IN_PROGRESS, staff, resumed):
                return
            extra += cal.workdays_between(t.date(), resumed.date())
            t = resumed
        due_day = cal.add_workdays(base_day, limit + extra)
        if rng.random() < 0.08:  # closed late
            close_day = cal.add_workdays(due_day, rng.randint(1, 6))
        else:
            span = max(1, cal.workdays_between(t.date(), due_day))
            close_day = cal.add_workdays(t.date(), rng.randint(0, span))
        t = max(world.at(close_day, rng.randint(9, 17), rng.randrange(0, 60, 5)), t + timedelta(minutes=30))
        if not self._close(step, req, staff, t):
            return
        if rng.random() < 0.015:  # the enterprise is not satisfied: reopened, closed again
            t += timedelta(hours=rng.randint(2, 20))
            if not step(
                "reopen", S.IN_PROGRESS, manager, t, "企业不满意，重办。", {"satisfaction": "unsatisfied"}
            ):
                return
            req["satisfaction"], req["reopen"] = "unsatisfied", req["reopen"] + 1
            t += timedelta(hours=rng.randint(4, 72))
            if not self._close(step, req, staff, t, "solved", "重新协调后已解决。"):
                return
        if rng.random() < 0.85:
            t += timedelta(hours=rng.randint(2, 60))
            satisfaction = rng.choices(["satisfied", "basic"], weights=[88, 12])[0]
            if step("confirm", S.CONFIRMED, manager, t, data={"satisfaction": satisfaction}):
                req["satisfaction"] = satisfaction

    def _close(self, step, req, staff, t, outcome=None, answer=None) -> bool:
        outcome = outcome or ("solved" if self.rng.random() < 0.9 else "explained")
        answer = answer or (
            "已协调解决，企业认可。"
            if outcome == "solved"
            else "经研究，暂不符合政策条件，已向企业解释说明。"
        )
        if not step("close", S.CLOSED, staff, t, data={"outcome": outcome}):
            return False
        req["outcome"], req["answer"] = outcome, answer
        return True

    def _write(
        self,
        rid,
        received,
        enterprise,
        logged_unit,
        source,
        visit,
        category,
        urgency,
        title,
        req,
        events,
        project_unit,
    ):
        world, loader, event = self.world, self.loader, self.event
        c = clocks.compute(
            events=events,
            contact_days=category.contact_days,
            close_days=category.close_days,
            urgency=urgency,
            received_on=received.date(),
            calendar=world.calendar,
        )
        status = req["status"]
        self.statuses[status] = self.statuses.get(status, 0) + 1
        loader.add(self.request, self.request.line(
            rid, enterprise, source, visit, category.pk, title, f"{world.ent_name[enterprise - 1]}反映：{title}。",
            urgency, logged_unit, world.staff[logged_unit], received, received.date(), status, req["unit"],
            req["handler"], req["outcome"], req["answer"], req["satisfaction"],
            "staff" if req["satisfaction"] else "", req["reopen"], req["pending"],  # staff-entered ratings
            c.dispatched_at, c.ack_due, c.acknowledged_at, c.contact_due, c.first_contact_at, c.close_due,
            c.closed_at, c.feedback_at, c.ack_on_time, c.closed_on_time, c.workdays_to_close,
            len(events) - 1, events[-1].at,
            # a project problem counts for the project's unit
            "project" if project_unit else "enterprise", project_unit,
        ))  # fmt: skip
        for e in events:
            self.events += 1
            data = json.dumps(e.data) if e.data else "{}"
            loader.add(
                event,
                f"{self.events}\t{rid}\t{e.action}\t{e.frm}\t{e.to}\t{e.by}\t{e.at}\t{e.note}\t{data}{event.tail}",
            )


def build_requests(world: World, loader: Loader, count: int, visits: Visits) -> dict[str, int]:
    """`count` requests: most heard on enterprise and project visits (several on some visits, none on many),
    the rest from the hotline, letters, meetings, online and leaders' instructions. Returns how many end in
    each status."""
    rng = world.rng
    heard_on = [i for i, kind in enumerate(visits.kind) if kind != ENTITY]
    plans = []  # (received at, visit id or 0, enterprise, logged unit, source)
    for i in rng.choices(heard_on, k=round(count * FROM_VISITS)):
        received = world.at(visits.day[i], rng.randint(9, 16), rng.randrange(0, 60, 5))
        plans.append((received, i + 1, visits.enterprise[i], visits.unit[i], "visit"))
    weights = [
        world.unit_weight[u] ** 0.4 * (2 if key else 1)
        for u, key in zip(world.ent_unit, world.ent_key, strict=True)
    ]
    enterprise_cum = cumulative(weights)
    office = world.units[0].pk
    for day in world.sample_days(count - len(plans)):
        eid = pick(rng, enterprise_cum) + 1
        source = rng.choices(OTHER_SOURCES, weights=[45, 10, 15, 25, 5])[0]
        logged = office if source in ("hotline", "leader") else world.ent_unit[eid - 1]
        plans.append((world.at(day, rng.randint(8, 18), rng.randrange(0, 60, 5)), 0, eid, logged, source))
    plans.sort(key=lambda p: p[0])
    maker = RequestMaker(world, loader)
    for rid, (received, visit, enterprise, logged, source) in enumerate(plans, start=1):
        project = visits.target[visit - 1] if visit and visits.kind[visit - 1] == PROJECT else None
        maker.make(
            rid,
            received,
            enterprise,
            logged,
            source,
            visit or None,
            project,
            visits.unit[visit - 1] if project else None,
        )
    return maker.statuses
