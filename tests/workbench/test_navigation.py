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
