"""The visit form, the page staff open most, on phones: at province scale its unit dropdowns (the lead unit,
the joint units, each request row's handling unit and the empty row kept for "Add a request") offer 300
units each. The page asks for every dropdown in one query, draws the unit list once (static/js/app.js copies
it into each unit select) and offers exactly what Django's own widgets offered; a browser shows the same."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.service.forms import RequestItemFormSet, VisitForm
from apps.service.models import Request, Visit
from apps.units.models import Unit

from ..conftest import client_for
from ..e2e.conftest import CHROMIUM, CHROMIUM_ARGS, MISSING, PHONE
from ..factories import EnterpriseFactory, UnitFactory
from ..projects.factories import planned
from ..research.factories import EntityFactory
from .factories import category

pytestmark = pytest.mark.django_db

URL = reverse("service:visit_create")


class Page(HTMLParser):
    """The page's form controls: each select's options (value, label, selected), each `<template>` list of
    options, and the checked state of radio buttons and checkboxes, by name."""

    def __init__(self, html: str):
        super().__init__()
        self.selects: dict[str, dict] = {}
        self.lists: dict[str, list] = {}
        self.inputs: dict[str, list] = {}
        self._options = None
        self._option = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._options = []
            self.selects[attrs["name"]] = {"attrs": attrs, "options": self._options}
        elif tag == "template" and "id" in attrs:
            self._options = self.lists.setdefault(attrs["id"], [])
        elif tag == "option" and self._options is not None:
            self._close_option()
            self._option = [attrs["value"], "", "selected" in attrs]
        elif tag == "input" and attrs.get("type") in ("radio", "checkbox"):
            self.inputs.setdefault(attrs["name"], []).append((attrs["value"], "checked" in attrs))

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag in ("option", "select", "template"):
            self._close_option()
        if tag in ("select", "template"):
            self._options = None

    def _close_option(self):
        if self._option is not None:
            self._options.append((self._option[0], self._option[1].strip(), self._option[2]))
            self._option = None

    def offered(self, name: str) -> list[tuple]:
        """What the select offers once the page's script has run: for a select drawn with `data-options`,
        its empty choice and the copied list, the options it was drawn with still chosen."""
        select = self.selects[name]
        source = select["attrs"].get("data-options")
        if source is None:
            return select["options"]
        chosen = {value for value, _label, selected in select["options"] if selected}
        empty = [(v, label) for v, label, _s in select["options"] if v == ""]
        listed = [(v, label) for v, label, _s in self.lists[source]]
        return [(v, label, v in chosen) for v, label in empty + listed]


def django_draws(bound_field) -> list[tuple]:
    """The options Django's own select widget draws for a field (no speed-up, one template per option)."""
    page = Page(f"<form>{bound_field.as_widget()}</form>")
    return page.selects[bound_field.html_name]["options"]


@pytest.fixture
def many_units(db):
    return [UnitFactory(code=f"many-{n}", short_name=f"长名单单位{n:02d}") for n in range(40)]


@pytest.fixture
def enterprise(unit_a):
    return EnterpriseFactory(unit=unit_a, name="南京江北智造科技有限公司")


def visit_post(enterprise, unit, rows: list[dict], **extra) -> dict:
    data = {
        "visited_on": timezone.localdate().isoformat(),
        "enterprise": enterprise.pk,
        "lead_unit": unit.pk,
        "mode": "on_site",
        "summary": "了解企业用工需求",
        "requests-TOTAL_FORMS": str(len(rows)),
        "requests-INITIAL_FORMS": "0",
        "requests-MIN_NUM_FORMS": "0",
        "requests-MAX_NUM_FORMS": "30",
        **extra,
    }
    for i, row in enumerate(rows):
        data.update({f"requests-{i}-{key}": value for key, value in row.items()})
    return data


def queries_of(client, url) -> list[str]:
    client.get(url)  # the session and the user are warm, as on a second visit
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("who", ["staff_a", "manager_a", "leader"])
def test_every_dropdown_comes_in_one_query_whatever_the_number_of_units(who, users, colleague_a):
    client = client_for(users[who])
    few = queries_of(client, URL)
    for n in range(60):
        UnitFactory(code=f"more-{n}")
    many = queries_of(client, URL)

    assert len(few) == len(many) <= 4  # the session, the user, their permissions, the dropdowns
    dropdowns = [sql for sql in many if '"service_category"' in sql]
    assert len(dropdowns) == 1
    assert '"units_unit"' in dropdowns[0] and '"accounts_user"' in dropdowns[0]  # and the colleagues


@pytest.mark.parametrize("who", ["staff_a", "leader"])
def test_a_long_list_of_units_is_drawn_once_not_per_select_or_row(who, users):
    client = client_for(users[who])
    before = len(client.get(URL).content)
    units = [UnitFactory(code=f"many-{n}", short_name=f"长名单单位{n:02d}") for n in range(40)]

    html = client.get(URL).content.decode()

    for unit in units:
        assert html.count(f">{unit.short_name}<") == 1, unit.short_name
    page = Page(html)
    for name in ("joint_units", "requests-0-handling_unit", "requests-__prefix__-handling_unit"):
        assert page.selects[name]["attrs"]["data-options"] == "unit-options"
    assert (len(html.encode()) - before) / len(units) < 60  # one short option per unit, not one per select


@pytest.mark.parametrize("who", ["staff_a", "manager_a", "leader"])
def test_each_dropdown_offers_what_djangos_own_widget_offers(who, users, colleague_a, many_units):
    user = users[who]
    page = Page(client_for(user).get(URL).content.decode())
    form = VisitForm(user=user, initial={"enterprise": None})
    formset = RequestItemFormSet(prefix="requests")

    for name in ("lead_unit", "joint_units"):
        assert page.offered(name) == django_draws(form[name]), name
    for row in (formset.forms[0], formset.empty_form):
        for field in ("category", "urgency", "handling_unit"):
            assert page.offered(row[field].html_name) == django_draws(row[field]), row[field].html_name
    assert page.inputs["staff"] == Page(form["staff"].as_widget()).inputs["staff"]
    assert page.inputs["mode"] == Page(form["mode"].as_widget()).inputs["mode"]
    assert len(page.offered("joint_units")) == len(many_units) + 3  # unit A, unit B, the office


def test_a_refused_visit_comes_back_with_every_choice_kept(staff_a, colleague_a, unit_b, office, enterprise):
    finance = category()
    rows = [
        {"category": finance.pk, "title": "人才公寓申请", "urgency": "normal", "handling_unit": unit_b.pk},
        {"category": finance.pk, "title": "", "urgency": "urgent", "handling_unit": office.pk},
        {"category": finance.pk, "title": "招聘一线工人", "urgency": "normal", "handling_unit": ""},
    ]
    data = visit_post(
        enterprise, staff_a.unit, rows, joint_units=[unit_b.pk, office.pk], staff=[colleague_a.pk]
    )

    response = client_for(staff_a).post(URL, data)

    assert response.status_code == 200  # row 2 has no title
    assert Visit.objects.count() == Request.objects.count() == 0
    html = response.content.decode()
    page = Page(html)
    chosen = lambda name: sorted(v for v, _label, selected in page.offered(name) if selected)  # noqa: E731
    assert chosen("joint_units") == sorted([str(unit_b.pk), str(office.pk)])
    assert chosen("requests-0-handling_unit") == [str(unit_b.pk)]
    assert chosen("requests-1-handling_unit") == [str(office.pk)]
    assert chosen("requests-2-handling_unit") == [""]
    assert chosen("requests-1-urgency") == ["urgent"]
    assert page.inputs["staff"] == [(str(colleague_a.pk), True)]
    assert html.count(f">{unit_b.short_name}<") == 3  # the list, and the two rows that chose it


def test_unit_names_are_escaped_in_the_one_list(leader):
    UnitFactory(code="html", short_name="<b>园区&</b>")

    html = client_for(leader).get(URL).content.decode()

    assert "<b>园区" not in html
    assert html.count("&lt;b&gt;园区&amp;&lt;/b&gt;") == 1


def test_the_project_and_rnd_visit_pages_draw_the_units_once(staff_a, enterprise, many_units):
    project = planned(staff_a.unit, "1000", owner=enterprise, code="FZ-T-001")
    entity = EntityFactory(unit=staff_a.unit, park=staff_a.unit, enterprise=enterprise)
    client = client_for(staff_a)

    for url in (
        reverse("projects:visit_create", args=[project.pk]),
        reverse("research:entity_visit", args=[entity.pk]),
    ):
        html = client.get(url).content.decode()
        assert html.count(f">{many_units[0].short_name}<") == 1, url
        assert Page(html).selects["requests-0-handling_unit"]["attrs"]["data-options"] == "unit-options"


# --- in a browser: the script copies the list, keeps the choices, and a new row gets it too ----------------


@pytest.fixture
def phone(transactional_db, live_server, monkeypatch):
    """A phone-sized Chromium page (tests/e2e/conftest.py explains the settings made here)."""
    if MISSING:
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
            context.set_default_timeout(10_000)
            yield context
        finally:
            chromium.close()
            connections.close_all()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_a_browser_every_unit_select_offers_the_list_and_keeps_its_choice(
    phone, live_server, leader, unit_a, unit_b
):
    client = client_for(leader)
    phone.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]  # fmt: skip
    )
    page = phone.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server.url + URL)
    units = page.locator("#unit-options").evaluate("t => t.content.children.length")
    labels = lambda sel: page.locator(sel).evaluate("s => Array.from(s.options, o => o.text)")  # noqa: E731

    assert units == 3  # the office, unit A, unit B
    assert page.input_value("#id_lead_unit") == str(leader.unit_id)  # the lead unit is still one's own
    assert len(labels("#id_lead_unit")) == units
    assert len(labels("#id_joint_units")) == units
    assert labels("#id_requests-0-handling_unit")[1:] == labels("#id_joint_units")
    assert page.input_value("#id_requests-0-handling_unit") == ""  # the dispatch desk decides
    page.select_option("#id_requests-0-handling_unit", label=unit_b.short_name)
    page.click("[data-add-item]")
    assert labels("#id_requests-1-handling_unit") == labels("#id_requests-0-handling_unit")
    page.select_option("#id_requests-1-handling_unit", label=unit_a.short_name)
    assert page.input_value("#id_requests-0-handling_unit") == str(unit_b.pk)
    assert page.input_value("#id_requests-1-handling_unit") == str(unit_a.pk)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert errors == []  # no script error, nothing refused by the Content Security Policy


def test_a_second_visit_form_composes_and_labels_nothing_yet_shows_a_renamed_unit(
    staff_a, unit_b, colleague_a, composed, monkeypatch
):
    from apps.core import widgets

    labelled = []
    real = widgets._label_instance
    monkeypatch.setattr(widgets, "_label_instance", lambda *args: labelled.append(args[2]) or real(*args))
    client = client_for(staff_a)
    client.get(URL)
    composed.clear()
    labelled.clear()

    second = Page(client.get(URL).content.decode())

    assert composed == []  # the five dropdowns' statement was composed at the first view
    assert labelled == []  # and their rows labelled then: the same rows read again need no new labels
    assert (str(unit_b.pk), unit_b.short_name, False) in second.offered("joint_units")
    assert second.inputs["staff"] == [(str(colleague_a.pk), False)]
    unit_b.short_name = "新名称园区"
    unit_b.save(update_fields=["short_name"])
    units = Unit.objects.active().count()

    third = Page(client.get(URL).content.decode())

    assert composed == []
    assert len(labelled) == units  # every active unit labelled once more, for every unit dropdown at once
    assert (str(unit_b.pk), "新名称园区", False) in third.offered("joint_units")
    assert third.offered("requests-0-handling_unit") == third.offered("requests-__prefix__-handling_unit")
    assert (str(unit_b.pk), "新名称园区", False) in third.offered("requests-0-handling_unit")
