"""A list's filter form (FilteredListView, includes/filters.html): left out of an unfiltered page and fetched
when the box is first opened (`?filters=1`, a fragment for htmx); drawn with the page, with its choices,
once a filter is chosen. `filters=1` is never a filter itself. And the tables and fields drawn by Jinja2
(jianbei/jinja2.py) escape what they print, as the Django templates did."""

import pytest
from django import forms
from django.db import connection
from django.http import QueryDict
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..conftest import client_for
from ..service.factories import make_request

pytestmark = pytest.mark.django_db

# each list, and the queries its form's choices cost (one batched round trip; the project list's units)
LISTS = [
    (reverse("service:request_list"), 1),
    (reverse("service:visit_list"), 1),
    (reverse("enterprises:list"), 1),
    (reverse("projects:list"), 1),
    (reverse("investment:lead_list"), 1),
    (reverse("research:result_list"), 1),
]


def queries_of(client, url, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize(("url", "choice_queries"), LISTS)
def test_an_unfiltered_list_leaves_its_filter_form_out(staff_a, unit_b, url, choice_queries):
    client = client_for(staff_a)
    client.get(url)  # the session's first reads out of the way
    plain_queries, plain = queries_of(client, url)
    drawn_queries, drawn = queries_of(client, f"{url}?filters=1")  # no script: the page with the form
    html = plain.content.decode()
    assert 'class="filter-form"' not in html
    assert f'hx-get="{url}?filters=1" hx-trigger="toggle once"' in html
    assert f'<a href="{url}?filters=1">' in html  # without script, a link to the page with the form
    assert '<details class="filters" open>' in drawn.content.decode()
    assert 'class="filter-form"' in drawn.content.decode()
    assert drawn_queries == plain_queries + choice_queries  # the dropdowns' choices: only with the form


@pytest.mark.parametrize("url", [url for url, _ in LISTS])
def test_opening_the_box_fetches_the_form_alone(staff_a, unit_b, url):
    response = client_for(staff_a).get(f"{url}?filters=1", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form method="get" class="filter-form">')
    assert "<html" not in html and "<details" not in html
    assert f'<a class="btn" href="{url}">' in html  # Reset
    assert "HX-Request" in response["Vary"]


def test_the_fetched_request_form_offers_the_units_and_keeps_the_page_filters(staff_a, unit_b):
    url = reverse("service:request_list")
    response = client_for(staff_a).get(f"{url}?filters=1", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert f'<option value="{unit_b.pk}">{unit_b.name}</option>' in html
    assert 'name="status"' in html and 'name="q"' in html


@pytest.mark.parametrize(("url", "choice_queries"), LISTS)
def test_a_filtered_list_leaves_its_filter_form_out_too(staff_a, unit_b, url, choice_queries):
    """A filtered page drew the whole form with its choices: loading and drawing the dropdowns was a third
    of a filtered request list at province scale (staff 21 -> 19 ms, leader 18.5 -> 13 in-process). It says
    what is chosen instead, and the form comes when the box is opened, as on an unfiltered page."""
    client = client_for(staff_a)
    client.get(url)  # the session's first reads out of the way
    search = "enterprise" if url == reverse("service:visit_list") else "q"  # every list searches
    query = f"{search}=%E5%8E%82%E6%88%BF"  # 厂房
    plain_queries, _ = queries_of(client, url)
    filtered_queries, filtered = queries_of(client, f"{url}?{query}")
    html = filtered.content.decode()
    assert 'class="filter-form"' not in html and '<details class="filters" open>' not in html
    assert f'hx-get="{url}?{query}&amp;filters=1" hx-trigger="toggle once"' in html  # the form, with it
    assert f'<a href="{url}?{query}&amp;filters=1">' in html  # without script: the page with the form
    assert '<ul class="chosen-filters"' in html and "<strong>厂房</strong>" in html
    assert filtered_queries == plain_queries  # no dropdown's choices


def test_a_filtered_list_shows_each_choice_with_a_link_that_removes_it(staff_a, unit_b):
    url = reverse("service:request_list")
    query = {"status": ["closed", "confirmed"], "handling_unit": unit_b.pk, "overdue": "on", "page": "1"}
    response = client_for(staff_a).get(url, query)
    assert response.status_code == 200
    chosen = response.context["chosen_filters"]
    assert [(label, shown) for label, shown, _ in chosen] == [
        ("状态", "已办结、已回访"),  # the labels of the choices, in the active language
        ("承办单位", unit_b.name),
        ("仅看超期", "是"),
    ]
    without = {label: dict(QueryDict(rest).lists()) for label, _, rest in chosen}
    assert without["状态"] == {"handling_unit": [str(unit_b.pk)], "overdue": ["on"]}  # and no page
    assert without["承办单位"] == {"status": ["closed", "confirmed"], "overdue": ["on"]}
    html = response.content.decode()
    removes_unit = f"{url}?status=closed&amp;status=confirmed&amp;overdue=on"
    assert f'<li class="chip">承办单位：<strong>{unit_b.name}</strong> <a href="{removes_unit}"' in html
    assert f'{removes_unit}" aria-label="去掉筛选条件：承办单位">' in html
    assert f'<li><a href="{url}">重置</a></li>' in html


def test_the_fetched_form_shows_the_choices_the_list_applies(staff_a, unit_b):
    url = reverse("service:request_list")
    response = client_for(staff_a).get(
        url, {"status": "closed", "handling_unit": unit_b.pk, "filters": "1"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<form method="get" class="filter-form">')
    assert '<option value="closed" selected>' in html
    assert f'<option value="{unit_b.pk}" selected>' in html


def test_a_refused_choice_draws_the_form_open_with_its_error(staff_a):
    url = reverse("service:request_list")
    response = client_for(staff_a).get(url, {"handling_unit": "999999", "status": "closed"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<details class="filters" open>' in html and 'class="filter-form"' in html
    assert 'class="field has-error' in html and '<ul class="chosen-filters"' not in html


@pytest.mark.parametrize(("url", "choice_queries"), LISTS)
def test_an_unfiltered_list_does_not_even_build_its_filter_form(staff_a, url, choice_queries):
    """Saying which filters are chosen built the form of every list page to find none (a FilterSet's form
    copies its fields: ~2 ms of a staff request list at province scale)."""
    response = client_for(staff_a).get(url)
    assert response.status_code == 200 and response.context["chosen_filters"] == []
    assert "_form" not in vars(response.context["filter"])


def test_paging_is_no_filter(staff_a):
    html = client_for(staff_a).get(reverse("service:request_list"), {"page": "1"}).content.decode()
    assert 'class="filter-form"' not in html


def test_the_form_request_is_not_a_filter_nor_kept_in_links(staff_a, unit_a):
    mine = make_request(staff_a, handling_unit=unit_a, title="厂房租金补贴")
    url = reverse("service:request_list")
    response = client_for(staff_a).get(url, {"filters": "1", "q": "厂房"})
    assert [row.pk for row in response.context["object_list"]] == [mine.pk]
    assert response.context["query_string"] == "q=%E5%8E%82%E6%88%BF"  # no filters=1 in page/export links
    assert response.context["filter"].form.cleaned_data["q"] == "厂房"


def test_the_request_table_escapes_what_it_prints(staff_a, unit_a):
    make_request(staff_a, handling_unit=unit_a, title="<script>alert(1)</script>补贴")
    html = client_for(staff_a).get(reverse("service:request_list")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;补贴</a>" in html
    assert "<script>alert(1)" not in html
    assert '<td data-label="诉求">' in html  # the column names in the active language


class _Form(forms.Form):
    name = forms.CharField(label="名称 <b>", help_text="帮助 <i>", max_length=3)
    flag = forms.BooleanField(label="勾选", required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)


def test_fields_are_drawn_with_label_help_and_escaped_errors():
    form = _Form(data={"name": "<u>太长了</u>", "secret": "x"})
    html = Template("{% load fields %}{% fields form %}").render(Context({"form": form}))
    assert '<div class="field has-error required">' in html
    assert '<label for="id_name">名称 &lt;b&gt;</label>' in html
    assert '<small class="help">帮助 &lt;i&gt;</small>' in html
    assert 'value="&lt;u&gt;太长了&lt;/u&gt;"' in html
    assert html.count('<p class="error">') == 1
    assert '<label class="check"><input type="checkbox" name="flag" id="id_flag"> 勾选</label>' in html
    assert '<input type="hidden" name="secret" value="x" id="id_secret">' in html
    assert (
        Template("{% load fields %}{% field form.flag %}")
        .render(Context({"form": form}))
        .count('<div class="field">')
        == 1
    )


def test_the_forms_dropdowns_ask_the_database_router_once_each_not_once_an_option(staff_a, monkeypatch):
    """The filter form's 300 units were labelled each asking the router where its queryset reads
    (`QuerySet.db`): 300 router calls, ~2 ms of a filtered page at province scale."""
    from django.db import router

    from apps.core.widgets import prefetch_choices
    from apps.service.filters import RequestFilter
    from apps.units.models import Unit

    from ..factories import UnitFactory

    UnitFactory.create_batch(30)
    form = RequestFilter(data={}, request=type("R", (), {"user": staff_a})()).form
    dropdowns = sum(isinstance(field, forms.ModelChoiceField) for field in form.fields.values())
    asked = []
    real = router.db_for_read
    monkeypatch.setattr(
        router, "db_for_read", lambda model, **hints: asked.append(model) or real(model, **hints)
    )

    prefetch_choices(form)

    assert Unit.objects.count() > 30
    assert len(form.fields["handling_unit"].widget.choices) == Unit.objects.active().count() + 1
    assert len(asked) <= 2 * dropdowns  # the batch's alias, and each dropdown's own once


@pytest.mark.parametrize(
    "url", [reverse("service:request_list"), reverse("service:visit_list"), reverse("investment:lead_list")]
)
def test_the_unit_dropdowns_read_only_what_their_options_show(leader, unit_b, url):
    """Every column of 300 units travelled to draw the unit dropdowns' names (~0.6 ms of a filtered list at
    province scale): they read the key and the name alone (Unit.objects.choices), and still offer every
    active unit by its name."""
    with CaptureQueriesContext(connection) as captured:
        response = client_for(leader).get(f"{url}?filters=1")
    [choices] = [q["sql"] for q in captured if "json_agg" in q["sql"] and '"units_unit"' in q["sql"]]
    units = choices.split('FROM "units_unit"')[0].rsplit("SELECT", 1)[1]
    assert '"units_unit"."name"' in units and '"units_unit"."id"' in units
    assert '"units_unit"."code"' not in units and '"units_unit"."short_name"' not in units, units
    assert f'<option value="{unit_b.pk}">{unit_b.name}</option>' in response.content.decode()


def test_a_choice_read_on_first_use_is_shown_by_its_label(staff_a, unit_a):
    """The enterprise list's units are choices its filter set gives as a function, read when first needed:
    the chip shows the chosen unit's name (flattened unread, as flatten_choices does, they failed)."""
    response = client_for(staff_a).get(reverse("enterprises:list"), {"unit": unit_a.pk})
    assert response.status_code == 200
    assert [shown for _, shown, _ in response.context["chosen_filters"]] == [unit_a.name]


@pytest.mark.parametrize("url", [url for url, _ in LISTS])
def test_an_unfiltered_list_never_copies_its_filters(staff_a, url):
    """Every list builds its FilterSet on every view; copying its filters (the request list's 25, with their
    querysets and widgets: ~0.9 ms) waits until the form is built or a filter is applied."""
    response = client_for(staff_a).get(url)
    assert response.status_code == 200
    assert "filters" not in vars(response.context["filter"])  # not copied
    opened = client_for(staff_a).get(f"{url}?filters=1")
    filterset = opened.context["filter"]
    assert "filters" in vars(filterset)
    for name, filter_ in filterset.filters.items():  # each the filter set's own copy, as django-filter's
        assert filter_ is not type(filterset).base_filters[name]
        assert filter_.parent is filterset and filter_.model is filterset.queryset.model
