"""The main navigation is data worked out once per language (issue #15): labels in the page's language, URLs
reversed once for the process, never the other language's labels from the cache."""

import pytest
from django.urls import reverse
from django.utils import translation

from apps.workbench.context_processors import nav_items

from ..conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_navigation_is_built_once_per_language_and_drawn_in_it(staff_a):
    with translation.override("en"):
        english = nav_items()
        assert nav_items() is english  # the same object: not rebuilt for the next page
    with translation.override("zh-hans"):
        chinese = nav_items()
    assert [i["label"] for i in english] == [
        "Serving enterprises",
        "Project construction",
        "Research to production",
        "Attracting investment",
        "Ranking board",
    ]
    assert [i["label"] for i in chinese] == ["服务企业", "项目建设", "研产贯通", "招商引资", "排行榜"]
    assert [i["url"] for i in chinese] == [reverse(i["url_name"]) for i in english]

    page = client_for(staff_a).get(reverse("service:todo"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'<a href="{reverse("projects:list")}" class="">项目建设</a>' in page


def test_the_top_bar_shows_the_user_their_unit_and_where_they_are_escaped(staff_a, admin_user):
    """The top bar every signed-in page draws (Jinja2: as a Django template it cost ~2 ms of every page) says
    where the user is, who they are and their unit, their unread notifications, and switches the language
    back to the same page; what it prints is escaped."""
    staff_a.display_name = "<b>王</b>"
    staff_a.unread_notifications = 3
    staff_a.save()
    url = f"{reverse('service:request_list')}?status=closed&q=a%26b"
    client = client_for(staff_a)
    client.cookies["django_language"] = "en"
    html = client.get(url).content.decode()

    assert f'<a href="{reverse("service:todo")}" class="active">Serving enterprises</a>' in html
    assert f'<a href="{reverse("dashboard")}" class="">Progress bar</a>' in html
    assert "<strong>&lt;b&gt;王&lt;/b&gt;</strong>" in html and "<b>王</b>" not in html
    assert f"<small>{staff_a.unit.short_name}</small>" in html
    assert '<span class="count">3</span>' in html
    assert '<input type="hidden" name="next" value="/service/requests/?status=closed&amp;q=a%26b">' in html
    assert 'name="language" value="zh-hans" lang="zh-hans">中文</button>' in html
    assert html.count('name="csrfmiddlewaretoken"') >= 2  # the language switch's and the log-out form's
    assert reverse("admin:index") not in html  # not an admin
    as_admin = client_for(admin_user).get(url).content.decode()
    assert f'<a href="{reverse("admin:index")}">后台管理</a>' in as_admin
