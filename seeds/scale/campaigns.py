"""Campaigns 2–4 at scale: projects with yearly plans and 24 monthly reports each; R&D carriers, entities,
results and matches with their events; investment trips and leads walked through their stages.

Statuses, events and dates agree as the services would leave them (see the seeds/ modules of the demo for the
same moves made one by one).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from apps.investment import services as investment_services
from apps.investment.models import Lead, LeadEvent, Trip
from apps.projects.models import MonthlyReport, Project, ReportCorrection, TaskForceMember, YearPlan
from apps.research.models import Carrier, Entity, Match, MatchEvent, Result, ResultEvent
from apps.units.models import Unit
from apps.workdays.calendar import end_of
from seeds import investment as demo_investment
from seeds import projects as demo_projects
from seeds import research as demo_research

from .db import Loader, Table
from .district import SEASON, World, cumulative, month_add, pick

K = Unit.Kind


NO_PROGRESS_YET = "{" + ",".join(["0"] * 12) + "}"  # YearPlan.completed_by_month as a PostgreSQL array


def _unit(world: World, code: str, kinds) -> int:
    """The demo unit `code` when the size has it, else the busiest unit of `kinds`."""
    for unit in world.units:
        if unit.code == code:
            return unit.pk
    return max(world.of_kind(*kinds), key=lambda u: world.unit_weight[u.pk]).pk


def _by_unit(world: World) -> dict[int, list[int]]:
    found = defaultdict(list)
    for eid, unit in enumerate(world.ent_unit, start=1):
        found[unit].append(eid)
    return found


# --- projects ------------------------------------------------------------------------------------------


def build_projects(world: World, loader: Loader, count: int) -> list[tuple]:
    """Projects of the parks (owned by one of the park's enterprises), a fifth followed by a bureau; plans for
    every year of the span and a report for each of the 24 months before the last one (zero before the
    start). Returns (id, unit, owner, name, visit weight) for the visits."""
    rng = world.rng
    parks = world.of_kind(K.PARK, K.BUSINESS_DISTRICT)
    park_cum = cumulative([world.unit_weight[u.pk] for u in parks])
    bureaus = [_unit(world, code, (K.BUREAU,)) for code in demo_projects.BUREAUS]
    owners = _by_unit(world)
    short = {u.pk: u.short_name for u in world.units}
    project = Table(Project, ["id", "code", "name", "owner_id", "unit_id", "park_id", "level", "kind", "industry",
                              "total_investment", "stage", "planned_start", "actual_start", "planned_completion",
                              "actual_completion", "location", "created_at", "updated_at"])  # fmt: skip
    member = Table(TaskForceMember, ["id", "project_id", "user_id", "is_lead"])
    plan = Table(
        YearPlan,
        [
            "id",
            "project_id",
            "year",
            "planned_investment",
            "is_new_start",
            "monthly_curve",
            "completed_by_month",
        ],
    )
    report = Table(MonthlyReport, ["id", "project_id", "month", "amount", "note", "reported_by_id", "reported_at",
                                   "corrected_at"])  # fmt: skip
    correction = Table(
        ReportCorrection, ["id", "report_id", "old_amount", "new_amount", "reason", "by_id", "at"]
    )
    until = world.end.replace(day=1)
    months = [month_add(until, -n) for n in range(24, 0, -1)]
    years = range(months[0].year, world.end.year + 1)
    first_start = world.start - timedelta(days=900)
    counter = defaultdict(int)
    found = []
    for pid in range(1, count + 1):
        park = parks[pick(rng, park_cum)].pk
        owner = rng.choice(owners.get(park) or [1])
        unit = park if rng.random() < 0.8 else rng.choice(bureaus)
        level = rng.choices(["provincial", "municipal", "district"], weights=[12, 33, 55])[0]
        total = min(round(rng.lognormvariate(11, 0.9)), 50_000_000)  # 万元, median about 6 亿
        planned = first_start + timedelta(days=rng.randint(0, (world.end - first_start).days + 180))
        actual = completed = None
        if planned <= world.end and rng.random() < 0.92:
            actual = min(planned + timedelta(days=rng.randint(-20, 60)), world.end)
        planned_completion = planned + timedelta(days=rng.randint(500, 1100))
        stage = "construction" if actual else rng.choices(["preparation", "reserve"], weights=[9, 1])[0]
        if actual and planned_completion <= world.end and rng.random() < 0.6:
            completed = planned_completion + timedelta(days=rng.randint(-30, 90))
            completed = min(max(completed, actual + timedelta(days=200)), world.end)
            stage = rng.choice(["completed", "production"])
        name = world.ent_name[owner - 1][2:].removesuffix("有限公司").removesuffix("股份")
        name = f"{name}{demo_projects.NAMES[pid % len(demo_projects.NAMES)]}项目"
        created = world.at(min(planned, world.start) - timedelta(days=rng.randint(30, 200)), 10)
        loader.add(project, project.line(
            pid, f"XM{planned.year}-{pid:06d}", name, owner, unit, park, level,
            rng.choice(["industrial", "industrial", "headquarters", "platform", "service", "infrastructure"]),
            world.ent_industry[owner - 1], total, stage, planned, actual, planned_completion, completed,
            f"{short[park]}{rng.randint(1, 300)}号地块", created, created,
        ))  # fmt: skip
        lead, staff = world.manager[unit], world.staff[unit]
        helper = world.staff[rng.choice(bureaus)]
        for user, is_lead in {lead: True, staff: False, helper: False}.items():
            counter["member"] += 1
            loader.add(member, member.line(counter["member"], pid, user, is_lead))
        yearly = {}
        for year in years:
            counter["plan"] += 1
            yearly[year] = round(total * rng.uniform(0.12, 0.35), 2)
            # the running totals start at zero: rebuild_rollups computes them from the reports at the end
            row = (counter["plan"], pid, year, yearly[year], planned.year == year, [], NO_PROGRESS_YET)
            loader.add(plan, plan.line(*row))
        for month in months:
            started = (
                actual is not None and actual < month_add(month, 1) and (not completed or completed >= month)
            )
            amount = round(yearly.get(month.year, 0) / 12 * rng.uniform(0.5, 1.5) * SEASON[month.month], 2)
            amount = amount if started else 0
            reported = min(
                world.at(month_add(month, 1) + timedelta(days=rng.randint(3, 9)), 10), world.cutoff
            )
            counter["report"] += 1
            corrected = None
            if amount and rng.random() < 0.01:  # corrected later, with the audited correction
                corrected = min(reported + timedelta(days=rng.randint(3, 20)), world.cutoff)
                counter["correction"] += 1
                new = round(amount * rng.uniform(0.8, 1.2), 2)
                loader.add(correction, correction.line(
                    counter["correction"], counter["report"], amount, new, "统计口径调整，按审计结果更正。",
                    world.manager[unit], corrected,
                ))  # fmt: skip
                amount = new
            loader.add(
                report, report.line(counter["report"], pid, month, amount, "", staff, reported, corrected)
            )
        found.append((pid, unit, owner, name, 3 if level == "provincial" else 1))
    return found


# --- research ------------------------------------------------------------------------------------------


def build_research(world: World, loader: Loader, entities: int) -> list[tuple]:
    """Carriers in every park, R&D entities (a quarter are companies with an enterprise record) followed by the
    science bureau. Returns (id, unit, enterprise, name) for their visits."""
    rng = world.rng
    science = _unit(world, "kcj", (K.BUREAU,))
    parks = world.of_kind(K.PARK, K.BUSINESS_DISTRICT)
    carrier = Table(Carrier, ["id", "name", "kind", "park_id", "address", "total_area_m2", "free_area_m2", "land_mu",
                              "price", "industries", "power_notes", "floor_load_notes", "available_from", "contact",
                              "unit_id"])  # fmt: skip
    n = 0
    for i, park in enumerate(parks):
        for j, (kind, label, area) in enumerate(demo_research.CARRIERS):
            n += 1
            total = area + rng.randrange(0, 20000, 500)
            loader.add(carrier, carrier.line(
                n, f"{park.short_name}{label}{chr(65 + (i + j) % 3)}", kind, park.pk,
                f"{park.short_name}{rng.randint(1, 99)}号", total, round(total * rng.uniform(0.05, 0.6)),
                round(total / 666.67, 1) if kind == "land" else None,
                rng.choice(["1.2元/㎡·天", "0.9元/㎡·天", "面议", "35万元/亩"]),
                "{" + ",".join(rng.sample(["C", "I", "M", "D"], k=rng.randint(1, 3))) + "}", "", "",
                world.start + timedelta(days=rng.randint(0, 600)), f"{park.short_name}招商中心", park.pk,
            ))  # fmt: skip
    entity = Table(Entity, ["id", "name", "type", "park_id", "unit_id", "fields", "enterprise_id", "contact_name",
                            "contact_mobile", "created_at"])  # fmt: skip
    companies = [eid for eid, industry in enumerate(world.ent_industry, start=1) if industry in "CIM"] or [1]
    found = []
    for i in range(entities):
        field = demo_research.FIELDS[i % len(demo_research.FIELDS)]
        kind, pattern = demo_research.KINDS[i % len(demo_research.KINDS)]
        company = rng.choice(companies) if kind == "enterprise_centre" else None
        name = (
            f"{demo_research.PREFIX[i % len(demo_research.PREFIX)]}{pattern.format(f=field)}{i // 40 + 1:02d}"
        )
        loader.add(entity, entity.line(
            i + 1, name, kind, rng.choice(parks).pk, science, field, company, f"{'王李张刘陈'[i % 5]}老师",
            f"139{i:08d}", world.at(world.start, 9) - timedelta(days=rng.randint(1, 300)),
        ))  # fmt: skip
        found.append((i + 1, science, company, name))
    world.carriers = n
    return found


def build_results(world: World, loader: Loader, count: int, entities: int) -> None:
    """Results catalogued over the span; some move to matching (a match with a carrier or an enterprise),
    a few land, some are shelved. Every status change has its event."""
    rng = world.rng
    science = _unit(world, "kcj", (K.BUREAU,))
    staff, manager = world.staff[science], world.manager[science]
    result = Table(Result, ["id", "title", "entity_id", "industry", "field", "type", "maturity", "trl", "ip_status",
                            "ip_numbers", "landing_mode", "need_space_m2", "need_funding_wan", "need_talent",
                            "need_pilot_line", "status", "shelved_reason", "unit_id", "staff_id", "catalogued_on",
                            "landed_on"])  # fmt: skip
    result_event = Table(ResultEvent, ["id", "result_id", "from_status", "to_status", "by_id", "at", "note"])
    match = Table(Match, ["id", "result_id", "carrier_id", "enterprise_id", "status", "note", "landed_how",
                          "failed_reason", "created_by_id", "created_at", "updated_at"])  # fmt: skip
    match_event = Table(MatchEvent, ["id", "match_id", "from_status", "to_status", "by_id", "at", "note"])
    n_events = n_matches = n_match_events = 0
    cutoff = world.cutoff
    for rid, day in enumerate(sorted(world.sample_days(count)), start=1):
        entity = rng.randint(1, entities)
        field = demo_research.FIELDS[(entity - 1) % len(demo_research.FIELDS)]
        events = [("", "catalogued", staff, world.at(day, 15), "")]
        status, shelved, landed = "catalogued", "", None
        t = events[0][3]
        roll = rng.random()
        if roll < 0.45:  # proposed for a match
            t += timedelta(days=rng.randint(1, 60))
            if t <= cutoff:
                n_matches += 1
                carrier = rng.randint(1, world.carriers) if rng.random() < 0.7 else None
                partner = None if carrier else rng.randint(1, len(world.ent_unit))
                moves = [("", "proposed", staff, t, "")]
                events.append(("catalogued", "matching", staff, t, ""))
                status = "matching"
                for to in rng.choice([[], ["contacted"], ["contacted", "negotiating"], ["failed"],
                                      ["contacted", "negotiating", "landed"]]):  # fmt: skip
                    t += timedelta(days=rng.randint(5, 60))
                    if t > cutoff:
                        break
                    moves.append((moves[-1][1], to, manager if to == "landed" else staff, t,
                                  "载体面积不满足" if to == "failed" else ""))  # fmt: skip
                    if to == "landed":
                        events.append(("matching", "landed", manager, t, "入驻载体，以技术转让方式落地"))
                        status, landed = "landed", t.date()
                how = "入驻载体，以技术转让方式落地" if moves[-1][1] == "landed" else ""
                failed = "载体面积不满足" if moves[-1][1] == "failed" else ""
                loader.add(match, match.line(n_matches, rid, carrier, partner, moves[-1][1], "", how, failed, staff,
                                             moves[0][3], moves[-1][3]))  # fmt: skip
                for frm, to, by, at, note in moves:
                    n_match_events += 1
                    loader.add(
                        match_event, match_event.line(n_match_events, n_matches, frm, to, by, at, note)
                    )
        elif roll < 0.55:  # shelved
            t += timedelta(days=rng.randint(10, 120))
            if t <= cutoff:
                shelved, status = "技术成熟度不足，暂缓转化。", "shelved"
                events.append(("catalogued", "shelved", staff, t, shelved))
        loader.add(result, result.line(
            rid, f"{rng.choice(demo_research.RESULT_NAMES)}（{field}{rid:05d}）", entity,
            demo_research.FIELD_INDUSTRY[field], field, rng.choice(["patent", "patent", "product", "process", "software"]),
            rng.choice(["lab", "pilot", "pilot", "small_batch", "ready"]), rng.randint(3, 8),
            rng.choice(["已授权", "已受理", ""]), "", rng.choice(["transfer", "licence", "spin_off", "joint", "in_house"]),
            rng.choice([200, 500, 800, 1500, 3000, 6000]), None, "", False, status, shelved, science, staff, day, landed,
        ))  # fmt: skip
        for frm, to, by, at, note in events:
            n_events += 1
            loader.add(result_event, result_event.line(n_events, rid, frm, to, by, at, note))


# --- investment ----------------------------------------------------------------------------------------


def _lead_step(row: dict, events: list, cutoff, action, by, at, note, frm, to) -> bool:
    """One event of a lead, as `lead_record` / `lead_move` write it; nothing after the span's end."""
    if at > cutoff:
        return False
    events.append((action, frm, to, by, at, note))
    row["last"] = max(row["last"], at)
    if row["responded"] is None:
        row["responded"] = at
    if action == "feedback" and row["feedback"] is None:
        row["feedback"] = at
    if action == "move":
        row["stage"], row["since"] = to, at
    return True


def build_investment(world: World, loader: Loader, trips: int, leads: int, projects: list[tuple]) -> None:
    """Trips of the investment bureau, parks and streets (half led by the unit's head) and leads from them and
    other sources, walked through the stages up to the span's end: signed ones with date and amount,
    registered ones linked to an enterprise of the unit, started ones to one of its projects."""
    rng = world.rng
    units = [u.pk for u in world.of_kind(K.PARK, K.BUSINESS_DISTRICT, K.STREET)]
    units.append(_unit(world, "tcj", (K.BUREAU,)))
    weights = [world.unit_weight[u] for u in units]
    weights[-1] = max(weights) * 3  # the investment bureau organises the most
    unit_cum = cumulative(weights)
    cities, sectors = demo_investment.CITIES, demo_investment.SECTORS
    trip = Table(Trip, ["id", "start_on", "end_on", "cities", "kind", "unit_id", "leader_id", "led_by_head",
                        "companies_met", "summary", "created_by_id", "created_at"])  # fmt: skip
    trip_member = Table(Trip.members.through, ["id", "trip_id", "user_id"])
    trip_unit = Table(Trip.units.through, ["id", "trip_id", "unit_id"])
    trip_list, n_other = [], 0
    for tid, start in enumerate(sorted(world.sample_days(trips)), start=1):
        unit = units[pick(rng, unit_cum)]
        head = rng.random() < 0.6
        leader = world.manager[unit] if head else world.staff[unit]
        end = start + timedelta(days=rng.choice([0, 1, 1, 2, 3]))
        reported = min(world.at(end, 20), world.cutoff)
        loader.add(trip, trip.line(
            tid, start, end, "、".join(rng.sample(cities[:8], k=rng.randint(1, 2))),
            rng.choices(["visit", "fair", "promotion"], weights=[75, 10, 15])[0], unit, leader, head,
            "、".join(f"{rng.choice(cities)}{rng.choice(sectors)}{rng.choice(demo_investment.INVESTORS)}" for _ in range(3)),
            "赴外地开展产业链精准招商，拜访重点企业并推介园区。", leader, reported,
        ))  # fmt: skip
        loader.add(
            trip_member, trip_member.line(tid, tid, world.staff[unit] if head else world.manager[unit])
        )
        if rng.random() < 0.1:
            other = units[pick(rng, unit_cum)]
            if other != unit:
                n_other += 1
                loader.add(trip_unit, trip_unit.line(n_other, tid, other))
        trip_list.append((tid, unit, reported))

    enterprises = _by_unit(world)
    unit_projects = defaultdict(list)
    for pid, unit, *_ in projects:
        unit_projects[unit].append(pid)
    keys = [eid for eid, key in enumerate(world.ent_key, start=1) if key] or [1]
    lead = Table(Lead, ["id", "name", "investor", "investor_city", "investor_country", "industry", "expected_wan",
                        "space_need", "source", "referrer_id", "fair", "trip_id", "unit_id", "owner_id", "notes",
                        "stage", "signed_on", "signed_wan", "enterprise_id", "project_id", "drop_reason",
                        "created_at", "stage_since", "last_activity_at", "responded_at", "feedback_at",
                        "respond_due", "assess_due", "feedback_due"])  # fmt: skip
    event = Table(LeadEvent, ["id", "lead_id", "action", "from_stage", "to_stage", "by_id", "at", "note"])
    cal, cutoff, n_events = world.calendar, world.cutoff, 0
    created_days = sorted(world.sample_days(leads))
    for lid, day in enumerate(created_days, start=1):
        source = rng.choices(
            ["trip", "small_team", "referral", "fair", "online", "other"], weights=[40, 20, 15, 10, 8, 7]
        )[0]
        trip_id = None
        if source == "trip" and trip_list:
            trip_id, unit, created = trip_list[min(lid * len(trip_list) // leads, len(trip_list) - 1)]
        else:
            unit = units[pick(rng, unit_cum)]
            created = world.at(day, rng.randint(9, 17))
        sector = sectors[lid % len(sectors)]
        staff, head = world.staff[unit], world.manager[unit]
        amount = rng.choice([rng.randrange(800, 9900, 100), rng.randrange(10000, 99000, 100),
                             rng.randrange(10000, 99000, 100), rng.randrange(100000, 499000, 1000),
                             rng.randrange(500000, 1200000, 10000)])  # fmt: skip
        row = {"stage": "lead", "signed_on": None, "signed_wan": None, "enterprise": None, "project": None,
               "drop": "", "since": created, "last": created, "responded": None, "feedback": None}  # fmt: skip
        events = [("create", "", "lead", staff, created, "")]

        def record(action, by, at, note, frm="", to="", row=row, events=events):
            return _lead_step(row, events, cutoff, action, by, at, note, frm, to)

        t = created + timedelta(hours=rng.randint(1, 30))
        if rng.random() < 0.97 and record("respond", staff, t, "已电话联系投资方。"):
            t += timedelta(days=rng.randint(1, 9))
            if rng.random() < 0.9:
                record("feedback", staff, t, "已向投资方反馈政策与选址方案。")
            final = rng.choices(["lead", "assessed", "negotiating", "signed", "registered", "started", "production",
                                 "dropped"], weights=[14, 20, 16, 16, 8, 6, 4, 16])[0]  # fmt: skip
            path = (
                Lead.ORDER[1 : Lead.ORDER.index(final) + 1] if final != "dropped" else ["assessed", "dropped"]
            )
            for to in path:
                t += timedelta(days=rng.randint(2, 40))
                if to == "registered" and not enterprises.get(unit):
                    break
                if to == "started" and not unit_projects.get(unit):
                    break
                note = "投资方调整战略布局，暂缓投资。" if to == "dropped" else ""
                if not record("move", head if to == "signed" else staff, t, note, row["stage"], to):
                    break
                if to == "signed":
                    row["signed_on"], row["signed_wan"] = t.date(), round(amount * rng.uniform(0.8, 1.2))
                elif to == "registered":
                    row["enterprise"] = rng.choice(enterprises[unit])
                elif to == "started":
                    row["project"] = rng.choice(unit_projects[unit])
                elif to == "dropped":
                    row["drop"] = note
            if row["stage"] not in ("production", "dropped") and rng.random() < 0.6:
                record(
                    "progress",
                    staff,
                    t + timedelta(days=rng.randint(1, 14)),
                    "与投资方保持沟通，推进项目洽谈。",
                )
        created_day = created.date()
        loader.add(lead, lead.line(
            lid, f"{sector}{rng.choice(['生产基地', '研发总部', '区域总部', '产业园', '制造中心'])}项目{lid:06d}",
            f"{rng.choice(cities)}{rng.choice('华中新博远智')}{rng.choice('创瑞信泰芯')}{rng.choice(demo_investment.INVESTORS)}",
            rng.choice(cities), "中国", demo_investment.INDUSTRY[sector], amount, "", source,
            rng.choice(keys) if source == "referral" else None, "华交会（展位招商）" if source == "fair" else "",
            trip_id, unit, staff, "投资方关注用地指标、人才政策与产业配套。", row["stage"], row["signed_on"],
            row["signed_wan"], row["enterprise"], row["project"], row["drop"], created, row["since"], row["last"],
            row["responded"], row["feedback"],
            end_of(cal.add_workdays(created_day, investment_services.RESPOND_DAYS)),
            end_of(cal.add_workdays(created_day, investment_services.ASSESS_DAYS)),
            created + timedelta(days=investment_services.FEEDBACK_DAYS),
        ))  # fmt: skip
        for action, frm, to, by, at, note in events:
            n_events += 1
            loader.add(event, event.line(n_events, lid, action, frm, to, by, at, note))
