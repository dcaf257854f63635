"""The whole site, crawled as staff of two units: no page fails, and no page shows a link that answers 404.

Starting from the home page (whose navigation reaches every campaign), every same-site link in an <a href>
is followed, breadth first, as a staff member of unit A and of unit B. A link that answers 404 is a record
the page should not have listed (show a count instead); a 5xx is a crash. The crawl is bounded: at most
`PER_NAME` pages per URL name (resolved with django.urls.resolve, query strings included), so a list with a
thousand rows costs a sample of its records, not all of them; what is never followed is never asserted on.

Two worlds: a small one (the fuzz world plus records that cross units: another unit's visits to unit A's
enterprise, R&D entity and project, a task-force member of unit B and problems handled by each unit), run by
default; and the demo district (seeds.demo, 22 units, ~600 visits), marked slow (`make test-slow`).
"""

from collections import Counter, deque
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import User
from apps.research import services as research_services
from apps.service import services as service_services

from .conftest import client_for
from .fuzz.conftest import _build_world
from .links import links_on, url_name
from .projects.factories import TaskForceMemberFactory, project_visit
from .service.factories import category

PER_NAME = 12
# Links that are not pages to read: signing out (a POST form anyway), the admin (its own access control).
SKIP = {"logout", "login", "set_language"}


def crawl(client, start: str = "/", per_name: int = PER_NAME) -> dict:
    """Fetch pages breadth first from `start`; returns the pages fetched by URL name, and the links that
    answered 404 or 5xx with the page that showed them."""
    queue, seen, fetched, broken = deque([(start, None)]), {start}, Counter(), []
    while queue:
        path, shown_on = queue.popleft()
        name = url_name(path)
        if name in SKIP or (name or "").startswith("admin:"):
            continue
        if fetched[name] >= per_name:
            continue
        fetched[name] += 1
        response = client.get(path)
        if response.status_code == 404 or response.status_code >= 500:
            broken.append((path, response.status_code, shown_on))
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in links_on(response.content.decode()):
            if link not in seen:
                seen.add(link)
                queue.append((link, path))
    return {"fetched": fetched, "broken": broken}


def _cross_unit_records(world):
    """Records whose pages list what another unit owns: the heart of the crawl's 404 check."""
    staff_a, staff_b = world.users["staff_a"], world.users["staff_b"]
    on = timezone.localdate() - timedelta(days=2)
    fields = {"visited_on": on, "mode": "on_site", "summary": "走访"}
    service_services.visit_record(by=staff_b, enterprise=world.enterprise, lead_unit=world.unit_b, **fields)
    service_services.visit_record(
        by=staff_a, enterprise=world.other_enterprise, lead_unit=world.unit_a, **fields
    )
    research_services.entity_visit_record(entity=world.entity, by=staff_b, lead_unit=world.unit_b, **fields)
    TaskForceMemberFactory(project=world.project, user=staff_b)
    problem = {"category": category(), "title": "施工用电", "urgency": "normal"}
    project_visit(world.project, staff_a, on, problems=[{**problem, "handling_unit": world.unit_a}])
    project_visit(world.project, staff_b, on, problems=[{**problem, "handling_unit": world.unit_b}])


@pytest.fixture(scope="module")
def small_world(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = _build_world()
            _cross_unit_records(world)
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.parametrize("who", ["staff_a", "staff_b"])
def test_crawling_the_small_world_finds_no_broken_link(small_world, db, who):
    result = crawl(client_for(small_world.users[who]))
    assert result["broken"] == []
    # the crawl reached the pages that list other units' records
    assert {"enterprise_record", "research:entity_detail", "projects:detail"} <= set(result["fetched"])


def test_ranking_board_links_only_the_memos_the_user_opens(small_world, db):
    client = client_for(small_world.users["staff_a"])
    memos = [
        link
        for link in links_on(client.get("/ranking/").content.decode())
        if url_name(link) == "rankings:memo"
    ]
    assert memos and {client.get(link).status_code for link in memos} == {200}


@pytest.mark.slow
@pytest.mark.parametrize("username", ["zhangwei", "wangfang"])  # 研创园 and 经发局 staff (seeds/district.py)
def test_crawling_the_demo_district_finds_no_broken_link(demo_district, db, username):
    result = crawl(client_for(User.objects.get(username=username)), per_name=20)
    assert result["broken"] == []
    assert {"enterprise_record", "service:visit_detail", "projects:detail"} <= set(result["fetched"])
