"""Every user-facing form, posted with values Hypothesis makes nasty, as a user of the right role.

Each example starts from a valid submission and replaces one to three of its fields with text that has NUL
bytes, emoji, the RTL override, zero-width characters, full-width digits, thousands separators, numbers
beyond 2**31 or below zero, NaN and Infinity, impossible or far dates, HTML and script, whitespace only,
one character more than a field holds — or drops the field. Upload forms get random bytes and random CSV
files under the importer's real headers (UTF-8, UTF-8 with BOM or GB18030), then the commit of their preview.

What must hold for every example: no answer is a 5xx (the test client raises what a view raised); when the
form comes back (200), when an error is flashed, or when the answer is a 403 or 404, no row of any domain
table was written; and after a success, the page it leads to opens. Each example runs in a savepoint that
is rolled back, so examples do not depend on one another. Deterministic: derandomized, no example database.
To search harder, at random: FUZZ_EXAMPLES=200 pytest -p no:xdist tests/fuzz/test_forms_fuzz.py
"""

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.importers import EnterpriseImporter
from apps.investment.importers import LeadImporter
from apps.projects.importers import MonthlyInvestmentImporter, ProjectImporter
from apps.research.importers import CarrierImporter, ResultImporter
from apps.service.models import Request

from ..conftest import client_for
from .conftest import World, error_messages, row_counts

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "8")),
    deadline=None,
    derandomize=os.environ.get("FUZZ_EXAMPLES") is None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

DROP = object()  # the field is left out of the submission
MARKUP = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
# Every max_length the models and forms use: "one character over" for whichever field has that limit.
LIMITS = [1, 6, 10, 11, 12, 15, 16, 18, 20, 30, 40, 50, 100, 200, 300, 500, 2000, 5000]
NASTY_VALUES = [
    "",
    " ",
    "\u3000\t\n",
    "\x00",
    "人才\x00公寓",
    "😀🏭👩‍💻",
    "\u202e申请\u202c",
    "\u200b",
    "\u200b\u200d\ufeff人才",
    "１２３",
    "１，２５０．５",
    "1,000",
    "-1",
    "0",
    "1.5",
    str(2**31),
    str(2**63),
    str(-(2**31) - 1),
    "9" * 40,
    "NaN",
    "-Infinity",
    "Infinity",
    "1e400",
    "0x1F",
    "2024-02-30",
    "0001-01-01",
    "9999-12-31",
    "2024-13-01",
    "31/12/2024",
    *MARKUP,
    "javascript:alert(1)",
    "{{ request.user }}{% debug %}",
    "'; DROP TABLE service_request;--",
    "%s%n%x",
    "../../etc/passwd",
    "on",
    "true",
]
nasty = st.one_of(
    st.sampled_from(NASTY_VALUES),
    st.sampled_from(LIMITS).flatmap(lambda n: st.sampled_from(["字" * (n + 1), "a" * (n + 1)])),
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(date.isoformat),
    st.just(DROP),
)


@dataclass(frozen=True)
class Endpoint:
    who: str
    url: Callable[[World], str]
    valid: Callable[[World], dict]  # a submission that is accepted (or refused for a business reason)
    importer: type | None = None  # an upload form: random files, then the commit of the preview
    fuzzed: tuple[str, ...] = field(default=())  # the fields to spoil (default: every field of `valid`)


def _today():
    return timezone.localdate()


def _visit(w: World, **extra) -> dict:
    return {
        "visited_on": f"{_today() - timedelta(days=1):%Y-%m-%d}",
        "enterprise": w.enterprise.pk,
        "lead_unit": w.unit_a.pk,
        "mode": "on_site",
        "summary": "走访了解企业经营情况",
        "joint_units": [w.unit_b.pk],
        "staff": [w.users["colleague_a"].pk],
        "requests-TOTAL_FORMS": "2",
        "requests-INITIAL_FORMS": "0",
        "requests-0-category": w.category.pk,
        "requests-0-title": "人才公寓申请",
        "requests-0-description": "需要两套人才公寓",
        "requests-0-urgency": "urgent",
        "requests-0-handling_unit": w.unit_a.pk,
        "requests-1-category": w.category.pk,
        "requests-1-title": "招聘一线技术工人",
        "requests-1-urgency": "normal",
        **extra,
    }


def _enterprise(w: World, **extra) -> dict:
    return {
        "name": "南京新设示例科技有限公司",
        "credit_code": make_credit_code("9", "1", "320111", "FT000001"),
        "unit": w.unit_a.pk,
        "industry": "C",
        "size": "small",
        "is_key": "on",
        "address": "南京市江北新区研创园",
        "founded_on": "2015-06-01",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "王经理",
        "contacts-0-title": "总经理",
        "contacts-0-mobile": "13812345678",
        "contacts-0-email": "wang@example.com",
        "contacts-0-is_primary": "on",
        **extra,
    }


def _project(w: World, **extra) -> dict:
    return {
        "code": "FZ-A-002",
        "name": "智能装备产业园",
        "unit": w.unit_a.pk,
        "park": w.unit_a.pk,
        "level": "district",
        "kind": "industrial",
        "industry": "C",
        "total_investment": "50000",
        "stage": "preparation",
        "planned_start": "2024-03-01",
        "planned_completion": "2026-12-31",
        "location": "研创园",
        "task_force": [w.users["staff_a"].pk, w.users["colleague_a"].pk],
        "lead": w.users["staff_a"].pk,
        "owner_code": w.enterprise.credit_code,
        **extra,
    }


def _entity(w: World, **extra) -> dict:
    return {
        "name": "南京新型研发机构",
        "type": "new_type",
        "park": w.unit_a.pk,
        "unit": w.unit_a.pk,
        "fields": "集成电路",
        "contact_name": "陈老师",
        "contact_mobile": "13912345678",
        **extra,
    }


def _result(w: World, **extra) -> dict:
    return {
        "title": "新型储能材料",
        "entity": w.entity.pk,
        "industry": "C",
        "field": "新材料",
        "type": "patent",
        "maturity": "pilot",
        "trl": "6",
        "ip_status": "已授权",
        "ip_numbers": "ZL2023XXXXXX",
        "landing_mode": "transfer",
        "need_space_m2": "800",
        "need_funding_wan": "500",
        "need_talent": "on",
        "unit": w.unit_a.pk,
        **extra,
    }


def _carrier(w: World, **extra) -> dict:
    return {
        "name": "研创园标准厂房B栋",
        "kind": "factory",
        "park": w.unit_a.pk,
        "address": "研创园路1号",
        "total_area_m2": "1000",
        "free_area_m2": "500",
        "land_mu": "",
        "price": "25元/㎡·月",
        "industries": ["C", "I"],
        "power_notes": "双回路",
        "floor_load_notes": "1.5吨/㎡",
        "available_from": "2024-06-01",
        "contact": "周先生 13812345678",
        "unit": w.unit_a.pk,
        **extra,
    }


ENDPOINTS: dict[str, Endpoint] = {
    # campaign 1
    "visit": Endpoint("staff_a", lambda w: reverse("service:visit_create"), _visit),
    "request": Endpoint(
        "staff_a",
        lambda w: reverse("service:request_create"),
        lambda w: {
            "enterprise": w.enterprise.pk,
            "source": "hotline",
            "category": w.category.pk,
            "title": "企业用电增容",
            "description": "申请增容至2000千伏安",
            "urgency": "critical",
            "handling_unit": w.unit_a.pk,
        },
    ),
    **{
        f"request_act:{action}": Endpoint(
            "manager_a" if action == "transfer" else "colleague_a",
            lambda w: reverse("service:request_act", args=[w.request.pk]),
            lambda w, action=action: {
                "action": action,
                "expected_status": "dispatched",
                "expected_version": Request.objects.get(pk=w.request.pk).version,
                "note": "已与企业联系",
                "unit": w.unit_b.pk,
                "handler": w.users["colleague_a"].pk,
                "outcome": "solved",
                "answer": "已协调解决",
                "satisfaction": "satisfied",
                "days": "5",
                "co_units": [w.unit_b.pk],
            },
        )
        for action in ["acknowledge", "return", "withdraw", "transfer"]
    },
    "request_act:any": Endpoint(
        "manager_a",
        lambda w: reverse("service:request_act", args=[w.request.pk]),
        lambda w: {"action": "assign", "expected_status": "dispatched", "handler": w.users["staff_a"].pk},
        fuzzed=("action", "expected_status", "handler"),
    ),
    "attachment": Endpoint(
        "staff_a", lambda w: reverse("service:attachment_upload", args=[w.request.pk]), lambda w: {}
    ),
    "joint_action": Endpoint(
        "colleague_a",
        lambda w: reverse("service:jointaction_create"),
        lambda w: {
            "title": "集中解决用工难",
            "description": "三家企业同类诉求",
            "requests": [w.request.pk, w.spare_request.pk],
        },
    ),
    "joint_action_close": Endpoint(
        "colleague_a",
        lambda w: reverse("service:jointaction_close", args=[w.joint_action.pk]),
        lambda w: {"outcome": "explained", "answer": "已统一答复各企业"},
    ),
    "visit_assign": Endpoint(
        "manager_a",
        lambda w: reverse("service:visit_assign"),
        lambda w: {
            "enterprise": w.key_enterprise.pk,
            "assignee": w.users["staff_a"].pk,
            "due_on": f"{_today() + timedelta(days=7):%Y-%m-%d}",
        },
    ),
    # enterprises
    "enterprise_create": Endpoint("staff_a", lambda w: reverse("enterprises:create"), _enterprise),
    "enterprise_update": Endpoint(
        "staff_a",
        lambda w: reverse("enterprises:update", args=[w.enterprise.pk]),
        lambda w: _enterprise(w, credit_code=w.enterprise.credit_code, version="0"),
    ),
    "enterprise_import": Endpoint(
        "staff_a", lambda w: reverse("enterprises:import"), lambda w: {}, importer=EnterpriseImporter
    ),
    # campaign 2
    "project_create": Endpoint("staff_a", lambda w: reverse("projects:create"), _project),
    "project_update": Endpoint(
        "staff_a",
        lambda w: reverse("projects:update", args=[w.project.pk]),
        lambda w: _project(w, code=w.project.code, version="0", actual_start="2024-04-01"),
    ),
    "project_plan": Endpoint(
        "staff_a",
        lambda w: reverse("projects:plan", args=[w.project.pk]),
        lambda w: {"year": _today().year, "planned_investment": "1,200.50", "is_new_start": "on"},
    ),
    "project_start": Endpoint(
        "staff_a", lambda w: reverse("projects:start", args=[w.project.pk]), lambda w: {"on": "2024-04-01"}
    ),
    "report_correct": Endpoint(
        "staff_a",
        lambda w: reverse("projects:report_correct", args=[w.report.pk]),
        lambda w: {"amount": "120", "reason": "财务口径调整", "expected_version": "0"},
    ),
    "monthly_report": Endpoint(
        "staff_a",
        lambda w: f"{reverse('projects:monthly_report')}?month={_today():%Y-%m}",
        lambda w: {"r0-project": w.project.pk, "r0-amount": "１，２００", "r0-note": "按进度"},
    ),
    "project_visit": Endpoint(
        "staff_a", lambda w: reverse("projects:visit_create", args=[w.project.pk]), _visit
    ),
    "project_import": Endpoint(
        "staff_a", lambda w: reverse("projects:import"), lambda w: {}, importer=ProjectImporter
    ),
    "investment_import": Endpoint(
        "staff_a",
        lambda w: reverse("projects:investment_import"),
        lambda w: {},
        importer=MonthlyInvestmentImporter,
    ),
    # campaign 3
    "entity_create": Endpoint("staff_a", lambda w: reverse("research:entity_create"), _entity),
    "entity_update": Endpoint(
        "staff_a",
        lambda w: reverse("research:entity_update", args=[w.entity.pk]),
        lambda w: _entity(w, version="0"),
    ),
    # An entity without an enterprise record cannot have requests (they need an enterprise): the visit alone.
    "entity_visit": Endpoint(
        "staff_a",
        lambda w: reverse("research:entity_visit", args=[w.entity.pk]),
        lambda w: {
            key: value
            for key, value in _visit(w, **{"requests-TOTAL_FORMS": "0"}).items()
            if not key.startswith(("requests-0-", "requests-1-"))  # a count of 0 with rows sent is refused
        },
    ),
    "result_create": Endpoint("staff_a", lambda w: reverse("research:result_create"), _result),
    "result_update": Endpoint(
        "staff_a",
        lambda w: reverse("research:result_update", args=[w.result.pk]),
        lambda w: _result(w, version="0"),
    ),
    "carrier_create": Endpoint("staff_a", lambda w: reverse("research:carrier_create"), _carrier),
    "carrier_update": Endpoint(
        "staff_a",
        lambda w: reverse("research:carrier_update", args=[w.carrier.pk]),
        lambda w: _carrier(w, version="0"),
    ),
    "match_propose": Endpoint(
        "staff_a",
        lambda w: reverse("research:match_propose", args=[w.result.pk]),
        lambda w: {
            "carrier": w.carrier.pk,
            "enterprise_code": w.enterprise.credit_code,
            "note": "对接研创园",
        },
    ),
    "match_move": Endpoint(
        "staff_a",
        lambda w: reverse("research:match_move", args=[w.match.pk]),
        lambda w: {
            "to": "contacted",
            "note": "已联系",
            "landed_how": "入驻孵化器",
            "enterprise_code": w.enterprise.credit_code,
            "spin_off_name": "",
        },
    ),
    "result_move": Endpoint(
        "staff_a",
        lambda w: reverse("research:result_move", args=[w.result.pk]),
        lambda w: {"to": "shelved", "note": "暂缓转化"},
    ),
    "result_import": Endpoint(
        "staff_a", lambda w: reverse("research:result_import"), lambda w: {}, importer=ResultImporter
    ),
    "carrier_import": Endpoint(
        "staff_a", lambda w: reverse("research:carrier_import"), lambda w: {}, importer=CarrierImporter
    ),
    # campaign 4
    "lead_create": Endpoint(
        "staff_a",
        lambda w: reverse("investment:lead_create"),
        lambda w: {
            "name": "动力电池回收项目",
            "investor": "上海示例新能源集团",
            "investor_city": "上海",
            "investor_country": "中国",
            "industry": "C",
            "expected_wan": "150,000",
            "space_need": "50亩",
            "source": "referral",
            "fair": "",
            "trip": w.trip.pk,
            "notes": "对方有意向",
            "referrer_code": w.enterprise.credit_code,
        },
    ),
    "lead_move": Endpoint(
        "staff_a",
        lambda w: reverse("investment:lead_move", args=[w.lead.pk]),
        lambda w: {
            "to": "assessed",
            "note": "研判可行",
            "signed_on": "2024-03-01",
            "signed_wan": "150000",
            "enterprise_code": "",
            "project_code": "",
            "project_name": "",
        },
    ),
    "lead_record": Endpoint(
        "staff_a",
        lambda w: reverse("investment:lead_record", args=[w.lead.pk]),
        lambda w: {"action": "respond", "note": "已电话回复投资方"},
    ),
    "trip_create": Endpoint(
        "manager_a",
        lambda w: reverse("investment:trip_create"),
        lambda w: {
            "start_on": f"{_today() - timedelta(days=3):%Y-%m-%d}",
            "end_on": f"{_today() - timedelta(days=1):%Y-%m-%d}",
            "cities": "深圳、广州",
            "kind": "visit",
            "leader": w.users["manager_a"].pk,
            "led_by_head": "on",
            "members": [w.users["staff_a"].pk],
            "companies_met": "示例科技、示例材料",
            "summary": "洽谈三家企业",
            "leads-TOTAL_FORMS": "1",
            "leads-INITIAL_FORMS": "0",
            "leads-0-name": "新能源汽车零部件",
            "leads-0-investor": "深圳示例集团",
            "leads-0-investor_city": "深圳",
            "leads-0-industry": "C",
            "leads-0-expected_wan": "８０，０００",
        },
    ),
    "lead_import": Endpoint(
        "staff_a", lambda w: reverse("investment:lead_import"), lambda w: {}, importer=LeadImporter
    ),
    # the enterprise side (企业端, issue #19): no account, the token in the address (issuing a link answers
    # 200 with the link shown once: its bad input is tested in tests/portal)
    "portal_submit": Endpoint(
        "anonymous",
        lambda w: reverse("portal:submit", args=[w.portal_token]),
        lambda w: {"category": w.category.pk, "title": "园区路灯损坏", "description": "东门外6盏路灯不亮"},
    ),
    "portal_rate": Endpoint(
        "anonymous",
        lambda w: reverse("portal:rate", args=[w.portal_token, w.closed_request.pk]),
        lambda w: {"satisfaction": "basic", "comment": "处理及时"},
    ),
    # the ranking board
    "publish": Endpoint(
        "admin",
        lambda w: f"{reverse('rankings:publish')}?month=2024-02",
        lambda w: {"reason": "指标口径调整", "confirm": "2024-02"},  # as the confirmation page posts it
    ),
}


@st.composite
def submissions(draw, valid: dict, fuzzed: tuple[str, ...]) -> dict:
    """`valid` with one to three of its fields spoilt (or left out)."""
    names = sorted(fuzzed or valid)
    data = dict(valid)
    if names:
        for name in draw(
            st.lists(st.sampled_from(names), min_size=1, max_size=min(3, len(names)), unique=True)
        ):
            value = draw(nasty)
            if value is DROP:
                data.pop(name)
            else:
                data[name] = value
    return data


@st.composite
def uploads(draw, importer: type | None):
    """A file: random bytes under a random name, or a CSV with the importer's headers and nasty cells."""
    name = draw(
        st.sampled_from(
            ["data.xlsx", "data.csv", "data.txt", "scan.pdf", "photo.png", "setup.exe", "noext", "名单.csv"]
            + ["..\\..\\x.csv", "\u202efdp.exe", "a" * 300 + ".csv", ".csv"]
        )
    )
    if importer is None or draw(st.booleans()):
        return SimpleUploadedFile(name, draw(st.binary(max_size=2048)))
    headers = [column.header for column in importer.columns]
    rows = draw(
        st.lists(
            st.lists(
                st.one_of(st.sampled_from(NASTY_VALUES), st.text(max_size=20)),
                min_size=len(headers),
                max_size=len(headers) + 1,
            ),  # fmt: skip
            min_size=0,
            max_size=3,
        )
    )
    text = io.StringIO()
    csv.writer(text).writerows([headers, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return SimpleUploadedFile(name.rsplit(".", 1)[0] + ".csv", text.getvalue().encode(encoding, "replace"))


def _check(response, before: dict, world: World, who: str) -> None:
    assert response.status_code < 500
    refused = response.status_code in (200, 403, 404) or error_messages(response)
    if refused:
        assert row_counts() == before, "a refused submission wrote rows"
    elif response.status_code == 302:
        # Accepted: the page it leads to shows what was saved, escaped.
        page = client_for(world.users[who]).get(response.url)
        assert page.status_code < 500
        assert not any(markup in page.content.decode() for markup in MARKUP), "markup shown unescaped"


@pytest.mark.parametrize("name", list(ENDPOINTS))
@FUZZ
@given(data=st.data())
def test_no_form_fails_or_writes_on_bad_input(world, name, data):
    endpoint = ENDPOINTS[name]
    with transaction.atomic():
        submission = data.draw(submissions(endpoint.valid(world), endpoint.fuzzed), label="submission")
        if name == "attachment" or endpoint.importer is not None:
            submission["file"] = data.draw(uploads(endpoint.importer), label="file")
        client = client_for(world.users[endpoint.who])
        before = row_counts()
        response = client.post(endpoint.url(world), submission)
        _check(response, before, world, endpoint.who)
        token = response.context.get("token") if endpoint.importer and response.context else ""
        if (
            token
        ):  # the preview showed rows: commit them (all or nothing), as the same user in the same session
            before = row_counts()
            response = client.post(endpoint.url(world), {"commit": "1", "token": token})
            _check(response, before, world, endpoint.who)
        transaction.set_rollback(True)


@pytest.mark.parametrize("name", [name for name, endpoint in ENDPOINTS.items() if endpoint.importer is None])
def test_the_valid_submission_of_every_form_is_accepted(world, name):
    """The fuzzing starts from submissions that work, so that a refusal is about the field it spoilt."""
    endpoint = ENDPOINTS[name]
    data = endpoint.valid(world)
    if name == "attachment":
        data["file"] = SimpleUploadedFile("说明.txt", "企业提供的说明材料".encode())
    response = client_for(world.users[endpoint.who]).post(endpoint.url(world), data)
    assert (response.status_code, error_messages(response)) == (302, [])
