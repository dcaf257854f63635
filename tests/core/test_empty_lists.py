"""An empty list says why it is empty: with no filter chosen, that there are no records yet; with a filter
chosen, that nothing matches it. Telling a staff member whose unit has no lead that "nothing matches these
filters" sends them looking for a filter they never set. `?page=1` is not a filter."""

import pytest
from django.urls import reverse

from ..conftest import client_for

pytestmark = pytest.mark.django_db

# each list (as a unit's staff member who sees none of its records), a filter that it applies, and what it
# says empty, unfiltered then filtered, in English and in Chinese
LISTS = [
    ("service:request_list", "q=zz", "No request yet.", "暂无诉求。", "No request matches these filters."),
    (
        "service:logged_requests",
        "q=zz",
        "You have not logged any request you may still open.",
        "暂无您登记且仍可查看的诉求。",
        "No request matches these filters.",
    ),
    ("service:visit_list", "q=zz", "No visit yet.", "暂无走访。", "No visit matches these filters."),
    ("enterprises:list", "q=zz", "No enterprise yet.", "暂无企业。", "No enterprise matches these filters."),
    ("projects:list", "q=zz", "No project yet.", "暂无项目。", "No project matches these filters."),
    ("investment:lead_list", "q=zz", "No lead yet.", "暂无招商线索。", "Nothing matches these filters."),
    (
        "investment:trip_list",
        "kind=visit",
        "No trip reported yet.",
        "暂无外出招商活动。",
        "Nothing matches these filters.",
    ),
    (
        "research:entity_list",
        "q=zz",
        "No R&D entity yet.",
        "暂无研发主体。",
        "Nothing matches these filters.",
    ),
    (
        "research:result_list",
        "q=zz",
        "No R&D result yet.",
        "暂无研发成果。",
        "Nothing matches these filters.",
    ),
    (
        "research:match_list",
        "status=landed",
        "No match yet.",
        "暂无对接。",
        "Nothing matches these filters.",
    ),
    (
        "research:carrier_list",
        "min_free=1",
        "No carrier yet.",
        "暂无载体。",
        "Nothing matches these filters.",
    ),
]


def page(client, url: str, language: str) -> str:
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("name", "a_filter", "none_yet", "none_yet_zh", "no_match"), LISTS)
def test_an_empty_list_says_whether_a_filter_emptied_it(
    staff_a, name, a_filter, none_yet, none_yet_zh, no_match
):
    client, url = client_for(staff_a), reverse(name)
    for unfiltered in (url, f"{url}?page=1"):
        english = page(client, unfiltered, "en")
        assert f'class="empty">{none_yet}<' in english
        assert "matches these filters" not in english
        assert f'class="empty">{none_yet_zh}<' in page(client, unfiltered, "zh-hans")
    filtered = page(client, f"{url}?{a_filter}", "en")
    assert f'class="empty">{no_match}<' in filtered
    assert none_yet not in filtered
