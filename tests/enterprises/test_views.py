"""The enterprise list, export, create and edit pages: filters, field errors, unit rules, bad queries."""

import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.models import Contact, Enterprise

from ..conftest import client_for
from ..factories import ContactFactory, EnterpriseFactory, TagFactory

LIST = reverse("enterprises:list")
EXPORT = reverse("enterprises:export")
CREATE = reverse("enterprises:create")
CODE = "91350100M000100Y43"


def record_url(enterprise) -> str:
    """The enterprise record page (composed above the enterprises app, so spelled out here)."""
    return f"/enterprises/{enterprise.pk}/"


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert the messages in the source language, whatever translations exist."""
    settings.LANGUAGE_CODE = "en"


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [e.name for e in response.context["object_list"]]


def state() -> list[dict]:
    return list(Enterprise.objects.order_by("pk").values())


def form_data(unit, **overrides) -> dict:
    return {
        "name": "南京示例科技有限公司",
        "credit_code": CODE,
        "unit": unit.pk,
        "industry": "C",
        "size": "small",
        "address": "江北新区示例路1号",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        **overrides,
    }


@pytest.fixture
def district(unit_a, unit_b):
    """Four enterprises in two units, with tags, key flags and industries that the filters tell apart."""
    high_tech = TagFactory(name="高新技术企业")
    specialised = TagFactory(name="专精特新")
    pharma = EnterpriseFactory(
        unit=unit_a,
        name="南京江北新区生物医药有限公司",
        credit_code=make_credit_code("9", "1", "320111", "A0000001"),
        is_key=True,
    )
    pharma.tags.set([high_tech, specialised])
    chips = EnterpriseFactory(
        unit=unit_a,
        name="江北集成电路设计有限公司",
        credit_code=make_credit_code("9", "1", "320111", "A0000002"),
        industry="I",
    )
    chips.tags.set([high_tech])
    bio = EnterpriseFactory(
        unit=unit_b,
        name="浦口生物科技有限公司",
        credit_code=make_credit_code("9", "1", "320114", "B0000001"),
        is_key=True,
    )
    bio.tags.set([specialised])
    EnterpriseFactory(
        unit=unit_b,
        name="药谷物流有限公司",
        credit_code=make_credit_code("9", "1", "320114", "B0000002"),
        industry="G",
    )
    return {"high_tech": high_tech, "specialised": specialised}


# --- list filters -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_without_filters_shows_every_enterprise_by_name(staff_a, district):
    assert listed(client_for(staff_a).get(LIST)) == sorted(
        [
            "南京江北新区生物医药有限公司",
            "江北集成电路设计有限公司",
            "浦口生物科技有限公司",
            "药谷物流有限公司",
        ]
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("生物", ["南京江北新区生物医药有限公司", "浦口生物科技有限公司"]),
        ("  江北 ", ["南京江北新区生物医药有限公司", "江北集成电路设计有限公司"]),
        ("集成电路", ["江北集成电路设计有限公司"]),
        (
            "有限公司",
            [
                "南京江北新区生物医药有限公司",
                "江北集成电路设计有限公司",
                "浦口生物科技有限公司",
                "药谷物流有限公司",
            ],
        ),
        ("91320114", ["浦口生物科技有限公司", "药谷物流有限公司"]),
        ("91320114b0000002", ["药谷物流有限公司"]),
        ("320114", []),
        ("火星", []),
    ],
)
def test_q_finds_a_name_substring_or_a_credit_code_prefix(staff_a, district, q, expected):
    assert sorted(listed(client_for(staff_a).get(LIST, {"q": q}))) == sorted(expected)


@pytest.mark.django_db
def test_unit_filter(staff_a, district, unit_b):
    assert listed(client_for(staff_a).get(LIST, {"unit": unit_b.pk})) == [
        "浦口生物科技有限公司",
        "药谷物流有限公司",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", ["南京江北新区生物医药有限公司", "浦口生物科技有限公司"]),
        ("false", ["江北集成电路设计有限公司", "药谷物流有限公司"]),
    ],
)
def test_key_enterprise_filter(staff_a, district, value, expected):
    assert listed(client_for(staff_a).get(LIST, {"is_key": value})) == expected


@pytest.mark.django_db
def test_industry_filter(staff_a, district):
    client = client_for(staff_a)
    assert listed(client.get(LIST, {"industry": "I"})) == ["江北集成电路设计有限公司"]
    assert listed(client.get(LIST, {"industry": "C"})) == [
        "南京江北新区生物医药有限公司",
        "浦口生物科技有限公司",
    ]


@pytest.mark.django_db
def test_tag_filter_lists_each_enterprise_once(staff_a, district):
    client = client_for(staff_a)
    assert listed(client.get(LIST, {"tags": district["high_tech"].pk})) == [
        "南京江北新区生物医药有限公司",
        "江北集成电路设计有限公司",
    ]
    assert listed(client.get(LIST, {"tags": district["specialised"].pk})) == [
        "南京江北新区生物医药有限公司",
        "浦口生物科技有限公司",
    ]


@pytest.mark.django_db
def test_filters_combine(staff_a, district, unit_a):
    response = client_for(staff_a).get(
        LIST, {"q": "江北", "unit": unit_a.pk, "is_key": "true", "tags": district["high_tech"].pk}
    )
    assert listed(response) == ["南京江北新区生物医药有限公司"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"ordering": "DROP TABLE enterprises_enterprise"},
        {"ordering": "name; DROP TABLE enterprises_enterprise;--"},
        {"ordering": "credit_code"},
        {"unit": "abc"},
        {"unit": "999999"},
        {"tags": "-1"},
        {"industry": "Z"},
        {"is_key": "maybe"},
    ],
)
def test_invalid_filter_values_are_ignored(staff_a, district, query):
    assert len(listed(client_for(staff_a).get(LIST, query))) == 4
    assert Enterprise.objects.count() == 4


@pytest.mark.django_db
def test_ordering_by_name_descending(staff_a, district):
    assert listed(client_for(staff_a).get(LIST, {"ordering": "-name"})) == sorted(
        [
            "南京江北新区生物医药有限公司",
            "江北集成电路设计有限公司",
            "浦口生物科技有限公司",
            "药谷物流有限公司",
        ],
        reverse=True,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["0", "-1", "abc", "999999", "2", "1.5", "9" * 30])
def test_out_of_range_or_malformed_page_is_404(staff_a, district, page):
    assert client_for(staff_a).get(LIST, {"page": page}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["1", "last"])
def test_first_and_last_page_are_shown(staff_a, district, page):
    assert len(listed(client_for(staff_a).get(LIST, {"page": page}))) == 4


@pytest.mark.django_db
def test_second_page_holds_the_rest(staff_a, unit_a, settings):
    EnterpriseFactory.create_batch(settings.PAGE_SIZE + 2, unit=unit_a)
    response = client_for(staff_a).get(LIST, {"page": "2"})
    assert len(listed(response)) == 2
    assert response.context["paginator"].count == settings.PAGE_SIZE + 2


@pytest.mark.django_db
def test_empty_list_first_page_is_shown(staff_a):
    assert listed(client_for(staff_a).get(LIST, {"page": "1"})) == []


def _populate(count: int, unit) -> None:
    tags = [TagFactory(name="高新技术企业"), TagFactory(name="专精特新")]
    for enterprise in EnterpriseFactory.create_batch(count, unit=unit):
        enterprise.tags.set(tags)
        ContactFactory(enterprise=enterprise, is_primary=True)
        ContactFactory(enterprise=enterprise, is_primary=False)


def _list_queries(user) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"q": "南京"})
    assert response.status_code == 200
    return len(queries), len(response.context["object_list"])


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_rows(staff_a, unit_a):
    _populate(3, unit_a)
    small, shown = _list_queries(staff_a)
    assert shown == 3
    _populate(27, unit_a)
    large, shown = _list_queries(staff_a)
    assert shown == 30
    assert large == small


# --- export -------------------------------------------------------------------------------------------


def exported(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


@pytest.mark.django_db
def test_export_has_the_filtered_rows_only(staff_a, district, unit_a):
    pharma = Enterprise.objects.get(name="南京江北新区生物医药有限公司")
    pharma.founded_on = date(2016, 3, 1)
    pharma.address = "江北新区药谷大道1号"
    pharma.save()
    ContactFactory(enterprise=pharma, name="张三", mobile="13812345678", is_primary=True)
    ContactFactory(enterprise=pharma, name="李四", mobile="13900000000", is_primary=False)
    rows = exported(client_for(staff_a).get(EXPORT, {"unit": unit_a.pk, "is_key": "true"}))
    assert rows == [
        (
            "企业名称",
            "统一社会信用代码",
            "所属园区",
            "行业门类",
            "企业规模",
            "是否重点企业",
            "注册地址",
            "联系人",
            "联系电话",
            "标签",
            "成立日期",
        ),
        (
            "南京江北新区生物医药有限公司",
            pharma.credit_code,
            "产业技术研创园",
            "C Manufacturing",
            "Small",
            "是",
            "江北新区药谷大道1号",
            "张三",
            "13812345678",
            "专精特新、高新技术企业",
            "2016-03-01",
        ),
    ]


@pytest.mark.django_db
def test_export_with_q_filter(staff_a, district):
    rows = exported(client_for(staff_a).get(EXPORT, {"q": "生物", "ordering": "-name"}))
    assert [r[0] for r in rows[1:]] == ["浦口生物科技有限公司", "南京江北新区生物医药有限公司"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ('=HYPERLINK("http://evil.example","点我")', '\'=HYPERLINK("http://evil.example","点我")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1,2)", "'@SUM(1,2)"),
        ("南京=公司", "南京=公司"),
    ],
)
def test_export_neutralises_formulas(staff_a, unit_a, name, cell):
    EnterpriseFactory(unit=unit_a, name=name, address=name)
    rows = exported(client_for(staff_a).get(EXPORT))
    assert rows[1][0] == cell
    assert rows[1][6] == cell


# --- create -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_creates_an_enterprise_of_their_unit_with_a_contact(staff_a, unit_a):
    tag = TagFactory(name="高新技术企业")
    data = form_data(
        unit_a,
        credit_code=CODE.lower(),
        is_key="on",
        tags=[tag.pk],
        founded_on="2016-03-01",
        **{
            "contacts-TOTAL_FORMS": "1",
            "contacts-0-name": "张三",
            "contacts-0-title": "总经理",
            "contacts-0-mobile": "13812345678",
            "contacts-0-is_primary": "on",
        },
    )
    response = client_for(staff_a).post(CREATE, data)
    enterprise = Enterprise.objects.get()
    assert response.status_code == 302
    assert response["Location"] == record_url(enterprise)
    assert (
        enterprise.name,
        enterprise.credit_code,
        enterprise.unit,
        enterprise.industry,
        enterprise.size,
        enterprise.is_key,
        enterprise.address,
        enterprise.founded_on,
    ) == ("南京示例科技有限公司", CODE, unit_a, "C", "small", True, "江北新区示例路1号", date(2016, 3, 1))
    assert list(enterprise.tags.values_list("name", flat=True)) == ["高新技术企业"]
    assert list(enterprise.contacts.values_list("name", "title", "mobile", "is_primary")) == [
        ("张三", "总经理", "13812345678", True)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "errors"),
    [
        ({"name": ""}, "name", ["This field is required."]),
        ({"name": "   "}, "name", ["This field is required."]),
        ({"name": "名" * 201}, "name", ["Ensure this value has at most 200 characters (it has 201)."]),
        ({"credit_code": ""}, "credit_code", ["This field is required."]),
        (
            {"credit_code": "91350100M000100Y44"},
            "credit_code",
            ["The check character (character 18) is wrong."],
        ),
        (
            {"credit_code": "91350100M000100Y4"},
            "credit_code",
            ["A unified social credit code has 18 characters; this one has 17."],
        ),
        (
            {"credit_code": "91350100M000100YO3"},
            "credit_code",
            ["Characters not allowed in a credit code: O (I, O, S, V and Z are never used)."],
        ),
        ({"industry": "Z"}, "industry", ["Select a valid choice. Z is not one of the available choices."]),
        ({"founded_on": "2023-02-30"}, "founded_on", ["Enter a valid date."]),
    ],
)
def test_create_shows_clear_field_errors_and_creates_nothing(staff_a, unit_a, overrides, field, errors):
    response = client_for(staff_a).post(CREATE, form_data(unit_a, **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors == {field: errors}
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("code", [CODE, CODE.lower(), f" {CODE} "])
def test_create_with_a_credit_code_already_on_record_is_a_field_error(staff_a, unit_a, unit_b, code):
    existing = EnterpriseFactory(unit=unit_b, credit_code=CODE, name="已有企业")
    response = client_for(staff_a).post(CREATE, form_data(unit_a, credit_code=code))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "credit_code": ["Enterprise with this Unified social credit code already exists."]
    }
    assert list(Enterprise.objects.values_list("pk", "name")) == [(existing.pk, "已有企业")]


@pytest.mark.django_db
def test_create_with_a_bad_contact_shows_the_contact_error_and_creates_nothing(staff_a, unit_a):
    data = form_data(
        unit_a, **{"contacts-TOTAL_FORMS": "1", "contacts-0-name": "张三", "contacts-0-mobile": "12345"}
    )
    response = client_for(staff_a).post(CREATE, data)
    assert response.status_code == 200
    assert response.context["formset"].errors == [
        {"mobile": ["Enter an 11-digit mobile number starting with 1 (e.g. 13812345678)."]}
    ]
    assert Enterprise.objects.count() == 0
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_staff_cannot_create_an_enterprise_for_another_unit(staff_a, unit_a, unit_b):
    response = client_for(staff_a).post(CREATE, form_data(unit_b))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "unit": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_staff_form_offers_only_their_own_unit(staff_a, unit_a, unit_b):
    form = client_for(staff_a).get(CREATE).context["form"]
    assert list(form.fields["unit"].queryset) == [unit_a]


@pytest.mark.django_db
def test_leader_creates_an_enterprise_for_any_unit(leader, unit_b):
    response = client_for(leader).post(CREATE, form_data(unit_b))
    assert response.status_code == 302
    assert list(Enterprise.objects.values_list("credit_code", "unit")) == [(CODE, unit_b.pk)]


@pytest.mark.django_db
def test_extra_posted_fields_are_ignored(staff_a, unit_a):
    start = timezone.now()
    data = form_data(
        unit_a, id="999999", pk="999999", created_at="2000-01-01 00:00", updated_at="2000-01-01 00:00"
    )
    assert client_for(staff_a).post(CREATE, data).status_code == 302
    enterprise = Enterprise.objects.get()
    assert enterprise.pk != 999999
    assert enterprise.created_at >= start
    assert enterprise.updated_at >= start


# --- edit ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_responsible_unit_edits_the_record_and_its_contacts(colleague_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, name="旧名称", address="旧地址")
    kept = ContactFactory(enterprise=enterprise, name="张三", mobile="13812345678", is_primary=True)
    dropped = ContactFactory(enterprise=enterprise, name="李四", mobile="13900000000", is_primary=False)
    tag = TagFactory(name="专精特新")
    data = form_data(
        unit_a,
        name="新名称",
        credit_code=enterprise.credit_code,
        address="新地址",
        size="medium",
        tags=[tag.pk],
        **{
            "contacts-TOTAL_FORMS": "3",
            "contacts-INITIAL_FORMS": "2",
            "contacts-0-id": kept.pk,
            "contacts-0-name": "张三",
            "contacts-0-title": "董事长",
            "contacts-0-mobile": "13800000001",
            "contacts-0-is_primary": "on",
            "contacts-1-id": dropped.pk,
            "contacts-1-name": "李四",
            "contacts-1-mobile": "13900000000",
            "contacts-1-DELETE": "on",
            "contacts-2-name": "王五",
            "contacts-2-email": "wangwu@example.com",
        },
    )
    response = client_for(colleague_a).post(reverse("enterprises:update", args=[enterprise.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == record_url(enterprise)
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.address, enterprise.size) == ("新名称", "新地址", "medium")
    assert list(enterprise.tags.values_list("name", flat=True)) == ["专精特新"]
    assert list(enterprise.contacts.values_list("pk", "name", "title", "mobile", "email", "is_primary")) == [
        (kept.pk, "张三", "董事长", "13800000001", "", True),
        (dropped.pk + 1, "王五", "", "", "wangwu@example.com", False),
    ]


@pytest.mark.django_db
def test_edit_that_changes_nothing_keeps_updated_at(staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a)
    before = state()
    data = form_data(unit_a, name=enterprise.name, credit_code=enterprise.credit_code, address="")
    response = client_for(staff_a).post(reverse("enterprises:update", args=[enterprise.pk]), data)
    assert response.status_code == 302
    assert state() == before


@pytest.mark.django_db
def test_staff_cannot_move_their_enterprise_to_another_unit(staff_a, unit_a, unit_b):
    enterprise = EnterpriseFactory(unit=unit_a)
    before = state()
    data = form_data(unit_b, credit_code=enterprise.credit_code)
    response = client_for(staff_a).post(reverse("enterprises:update", args=[enterprise.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "unit": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert state() == before


@pytest.mark.django_db
def test_staff_cannot_edit_another_units_enterprise(staff_a, unit_a, unit_b):
    enterprise = EnterpriseFactory(unit=unit_b)
    ContactFactory(enterprise=enterprise)
    before, contacts = state(), list(Contact.objects.values())
    data = form_data(unit_a, credit_code=enterprise.credit_code, name="被篡改")
    response = client_for(staff_a).post(reverse("enterprises:update", args=[enterprise.pk]), data)
    assert response.status_code == 404
    assert state() == before
    assert list(Contact.objects.values()) == contacts


@pytest.mark.django_db
def test_edit_cannot_touch_another_enterprises_contact(staff_a, unit_a, unit_b):
    mine = EnterpriseFactory(unit=unit_a)
    theirs = ContactFactory(enterprise=EnterpriseFactory(unit=unit_b), name="别家联系人")
    before = list(Contact.objects.values())
    data = form_data(
        unit_a,
        credit_code=mine.credit_code,
        **{
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "1",
            "contacts-0-id": theirs.pk,
            "contacts-0-name": "被篡改",
        },
    )
    response = client_for(staff_a).post(reverse("enterprises:update", args=[mine.pk]), data)
    # Django's inline formset drops a form whose id is outside the enterprise's contacts.
    assert response.status_code == 302
    assert list(Contact.objects.values()) == before


@pytest.mark.django_db
def test_leader_edits_any_enterprise_and_may_move_it(leader, unit_a, unit_b):
    enterprise = EnterpriseFactory(unit=unit_b, name="医药谷企业")
    data = form_data(unit_a, name="已迁至研创园", credit_code=enterprise.credit_code, is_key="on")
    response = client_for(leader).post(reverse("enterprises:update", args=[enterprise.pk]), data)
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.unit, enterprise.is_key) == ("已迁至研创园", unit_a, True)


@pytest.mark.django_db
def test_edit_to_a_credit_code_already_on_record_is_a_field_error(staff_a, unit_a):
    other = EnterpriseFactory(unit=unit_a, credit_code=CODE)
    enterprise = EnterpriseFactory(unit=unit_a)
    before = state()
    data = form_data(unit_a, credit_code=other.credit_code.lower())
    response = client_for(staff_a).post(reverse("enterprises:update", args=[enterprise.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "credit_code": ["Enterprise with this Unified social credit code already exists."]
    }
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["999999", "abc", "-1", "0"])
def test_unknown_or_malformed_ids_are_404(staff_a, pk):
    client = client_for(staff_a)
    assert client.get(f"/enterprises/{pk}/").status_code == 404
    assert client.get(f"/enterprises/{pk}/edit/").status_code == 404


# --- escaping -----------------------------------------------------------------------------------------

XSS = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


@pytest.mark.django_db
def test_html_in_a_name_is_escaped_on_list_and_detail(staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, name=XSS, address="<img src=x onerror=alert(1)>")
    ContactFactory(enterprise=enterprise, name=XSS, title=XSS)
    client = client_for(staff_a)
    for url in (LIST, record_url(enterprise)):
        html = client.get(url).content.decode()
        # Django escapes ' as &#x27;, Jinja2 (the list's rows) as &#39;: the same character
        assert html.count(ESCAPED) + html.count(ESCAPED.replace("&#x27;", "&#39;")) >= 2
        assert "<script>alert" not in html
    detail = client.get(record_url(enterprise)).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
    assert "<img src=x" not in detail


@pytest.mark.django_db
def test_html_in_a_name_is_escaped_in_the_saved_message(staff_a, unit_a):
    response = client_for(staff_a).post(CREATE, form_data(unit_a, name=XSS), follow=True)
    html = response.content.decode()
    assert f"Saved “{ESCAPED}”." in html
    assert "<script>alert" not in html


# --- a tampered contacts formset count (#17 item 8, the enterprise form's sibling) -------------------------


@pytest.mark.parametrize("total, initial", [("-1", "0"), ("0", "0"), ("abc", "0"), ("1000", "0"), ("1", "5")])
def test_a_tampered_contact_count_is_refused_and_nothing_is_saved(staff_a, unit_a, total, initial):
    data = form_data(unit_a, **{"contacts-TOTAL_FORMS": total, "contacts-INITIAL_FORMS": initial,
                                "contacts-0-name": "王经理", "contacts-0-mobile": "13812345678"})  # fmt: skip
    response = client_for(staff_a).post(CREATE, data)
    assert response.status_code == 200
    assert "The form changed on its way here" in response.content.decode()
    assert 'value="王经理"' in response.content.decode()  # the typed contact comes back
    assert (Enterprise.objects.count(), Contact.objects.count()) == (0, 0)
