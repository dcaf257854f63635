"""What a user may not open, they may not infer (#17 items 1 and 2).

For every importer and form that looks a record up by a code or a name, a reference to another unit's record
gets exactly the answer a reference to a record that does not exist gets: the same messages, the same
status, the same writes (all of them in the user's own unit), and the other unit's record untouched and
unquoted. Project codes are unique per unit, so a code another unit holds can be used again.
"""

import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from openpyxl import Workbook

from apps.investment.models import Lead
from apps.projects.models import MonthlyReport, Project, YearPlan

from .conftest import client_for
from .factories import EnterpriseFactory
from .investment.factories import S, create, lead_at
from .projects.factories import planned, report

pytestmark = pytest.mark.django_db

THEIRS, NOBODYS = "YY2024-001", "ZZ2024-404"  # unit B's project code; a code no project has


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def secret(unit_b, staff_b):
    """Unit B's project, with its plan and a reported month: 1335.05 万元 in February 2024."""
    project = planned(unit_b, code=THEIRS, name="医药谷保密项目", year=2024)
    report(project, "2024-02", "1335.05", by=staff_b)
    return project


def state_of(project: Project) -> dict:
    stored = Project.objects.get(pk=project.pk)
    return {
        "project": model_to_dict(stored),
        "version": stored.version,
        "plans": list(YearPlan.objects.filter(project=stored).values()),
        "reports": list(MonthlyReport.objects.filter(project=stored).values()),
    }


def xlsx(headers, *rows) -> SimpleUploadedFile:
    workbook = Workbook()
    workbook.active.append(headers)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("file.xlsx", buffer.getvalue())


def preview(client, url, upload, code) -> dict:
    """The preview's answer with the code the row names blanked out, for comparing two answers."""
    response = client.post(url, {"file": upload})
    page = response.content.decode().replace(code, "<code>")
    page = page[page.index("<main") : page.index("</main>")]
    # the form's and the upload's tokens differ between any two uploads
    page = re.sub(r'name="(csrfmiddlewaretoken|token)" value="[^"]*"|\?errors=[0-9a-f]+', "", page)
    report = response.context["report"]
    return {
        "status": response.status_code,
        "file_errors": report.file_errors,
        "rows": [(r.number, r.action, r.errors) for r in report.rows],
        "ok": report.ok,
        "page": page,
    }


def commit(client, url, upload) -> tuple:
    first = client.post(url, {"file": upload})
    token = first.context["token"]
    response = client.post(url, {"commit": "1", "token": token})
    return response.status_code, [str(m) for m in get_messages(response.wsgi_request)]


# --- the monthly investment import -----------------------------------------------------------------------

MONTHLY = "/projects/monthly/import/"
MONTHLY_HEADERS = ["项目编码", "项目名称", "月份", "本月完成投资（万元）"]


def test_a_monthly_row_for_another_units_project_is_answered_as_an_unknown_code(secret, staff_a):
    before = state_of(secret)
    client = client_for(staff_a)

    theirs = preview(client, MONTHLY, xlsx(MONTHLY_HEADERS, [THEIRS, "", "2024-02", "99"]), THEIRS)
    nobodys = preview(client, MONTHLY, xlsx(MONTHLY_HEADERS, [NOBODYS, "", "2024-02", "99"]), NOBODYS)

    assert theirs == nobodys
    assert theirs["rows"] == [(2, "", {"项目编码": ["No project has this code."]})]
    assert "1335.05" not in theirs["page"]
    assert state_of(secret) == before


# --- the project import --------------------------------------------------------------------------------

PROJECTS = "/projects/import/"
PROJECT_HEADERS = [
    "项目编码", "项目名称", "业主企业信用代码", "责任单位", "项目级别", "项目类型", "行业门类",
    "总投资（万元）", "计划开工", "年度", "年度计划投资（万元）", "是否新开工",
]  # fmt: skip


def project_row(code, owner):
    return [code, "新建项目", owner.credit_code, "产业技术研创园", "区级", "industrial", "C",
            "1000", "2024-03-01", "2024", "500", "否"]  # fmt: skip


def test_a_project_row_with_another_units_code_is_answered_as_a_new_code(secret, staff_a, unit_a):
    owner = EnterpriseFactory(unit=unit_a)
    before = state_of(secret)
    client = client_for(staff_a)

    theirs = preview(client, PROJECTS, xlsx(PROJECT_HEADERS, project_row(THEIRS, owner)), THEIRS)
    nobodys = preview(client, PROJECTS, xlsx(PROJECT_HEADERS, project_row(NOBODYS, owner)), NOBODYS)
    assert theirs == nobodys
    assert (theirs["ok"], theirs["rows"]) == (True, [(2, "create", {})])

    answers = [
        commit(client, PROJECTS, xlsx(PROJECT_HEADERS, project_row(c, owner))) for c in (THEIRS, NOBODYS)
    ]
    assert answers[0] == answers[1] == (302, ["Imported: 1 created, 0 updated."])
    assert set(Project.objects.filter(unit=unit_a).values_list("code", flat=True)) == {THEIRS, NOBODYS}
    assert state_of(secret) == before


# --- the project form -----------------------------------------------------------------------------------


def test_creating_a_project_with_another_units_code_is_answered_as_a_new_code(secret, staff_a, unit_a):
    owner = EnterpriseFactory(unit=unit_a)
    before = state_of(secret)
    client = client_for(staff_a)

    def create_project(code):
        response = client.post(
            reverse("projects:create"),
            {
                "code": code, "name": "新建智能制造产业园", "unit": unit_a.pk, "level": "district",
                "kind": "industrial", "industry": "C", "total_investment": "50000", "stage": "preparation",
                "owner_code": owner.credit_code,
            },
        )  # fmt: skip
        created = Project.objects.get(unit=unit_a, code=code)
        return response.status_code, response["Location"].replace(str(created.pk), "<pk>")

    assert create_project(THEIRS) == create_project(NOBODYS)
    assert state_of(secret) == before


# --- moving a lead to "started" with a project code -----------------------------------------------------


def test_starting_a_lead_with_another_units_code_is_answered_as_a_new_code(secret, staff_a, unit_a):
    before = state_of(secret)

    def start(code, name):
        client = client_for(staff_a)  # a new client: no message left over from an earlier answer
        lead = lead_at(create(staff_a, name=f"线索-{code}-{name}"), S.REGISTERED, staff_a)
        response = client.post(
            reverse("investment:lead_move", args=[lead.pk]),
            {"to": "started", "project_code": code, "project_name": name},
        )
        lead.refresh_from_db()
        linked = (lead.stage, lead.project.unit_id, lead.project.code == code) if lead.project else lead.stage
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        return response.status_code, messages, linked

    # without a name, the project must be linked or recorded; with one, it is recorded for the lead's unit
    assert start(THEIRS, "") == start(NOBODYS, "")
    assert start(THEIRS, "")[1] == ["Link the project, or record it."]
    named = start(THEIRS, "新能源基地")
    assert named == start(NOBODYS, "新能源基地")
    assert (named[1], named[2]) == (["Stage updated."], (S.STARTED, unit_a.pk, True))
    assert state_of(secret) == before


# --- the lead import ------------------------------------------------------------------------------------

LEADS = "/investment/leads/import/"
LEAD_HEADERS = ["项目名称", "投资方", "来源地", "行业门类", "预计投资（万元）", "来源", "展会"]


def lead_row(name):
    return [name, "上海示例集团有限公司", "上海", "C", "150000", "外出招商", ""]


def test_a_lead_another_unit_holds_is_answered_as_a_new_lead(staff_a, staff_b, unit_a):
    theirs = create(staff_b, name="医药谷保密线索", investor="上海示例集团有限公司")
    stored = model_to_dict(Lead.objects.get(pk=theirs.pk))
    client = client_for(staff_a)

    answers = [
        preview(client, LEADS, xlsx(LEAD_HEADERS, lead_row(name)), name)
        for name in ("医药谷保密线索", "无人登记线索")
    ]
    assert answers[0] == answers[1]
    assert (answers[0]["ok"], answers[0]["rows"]) == (True, [(2, "create", {})])

    commits = [
        commit(client, LEADS, xlsx(LEAD_HEADERS, lead_row(n))) for n in ("医药谷保密线索", "无人登记线索")
    ]
    assert commits[0] == commits[1] == (302, ["Imported: 1 created, 0 updated."])
    assert sorted(Lead.objects.filter(unit=unit_a).values_list("name", flat=True)) == [
        "医药谷保密线索",
        "无人登记线索",
    ]
    assert model_to_dict(Lead.objects.get(pk=theirs.pk)) == stored


def test_a_lead_the_unit_already_holds_is_still_refused(staff_a):
    create(staff_a, name="研创园线索", investor="上海示例集团有限公司")
    answer = preview(client_for(staff_a), LEADS, xlsx(LEAD_HEADERS, lead_row("研创园线索")), "研创园线索")
    assert answer["rows"] == [
        (2, "create", {"项目名称": ["This lead of this investor is already recorded."]})
    ]


def test_a_code_the_unit_already_holds_is_refused_on_the_project_form(staff_a, unit_a):
    owner = EnterpriseFactory(unit=unit_a)
    planned(unit_a, code="A-001", name="研创园一期")
    response = client_for(staff_a).post(
        reverse("projects:create"),
        {
            "code": "A-001", "name": "新建智能制造产业园", "unit": unit_a.pk, "level": "district",
            "kind": "industrial", "industry": "C", "total_investment": "50000", "stage": "preparation",
            "owner_code": owner.credit_code,
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "This unit already has a project with this code." in response.content.decode()
    assert Project.objects.filter(code="A-001").count() == 1
