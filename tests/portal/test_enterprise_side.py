"""The enterprise side (企业端, issue #19 item 1): personal links, their checks, the contact's requests and
ratings, and the satisfaction figure counting the enterprise's own rating."""

import io
import re
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from apps.portal import services as portal
from apps.portal.models import BadToken, ContactLink, LinkUse, token_hash
from apps.service import rollups
from apps.service import selectors as service_selectors
from apps.service.models import Attachment, Notification, Request, RequestEvent, RequestMonth
from apps.service.services.enterprise_voice import request_rate, request_submit

from ..conftest import client_for
from ..factories import ContactFactory, EnterpriseFactory
from ..service.factories import acknowledge, act, category, close, confirm, contact, local, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def ent_a(unit_a):
    return EnterpriseFactory(unit=unit_a, name="研创园示例科技有限公司")


@pytest.fixture
def person_a(ent_a):
    return ContactFactory(enterprise=ent_a, name="王经理")


@pytest.fixture
def issued(person_a, manager_a):
    return portal.link_issue(contact=person_a, by=manager_a, days=180)


@pytest.fixture
def other(unit_b, staff_b):
    """Another enterprise (unit B's) with its contact, link and a request."""
    ent = EnterpriseFactory(unit=unit_b, name="医药谷示例有限公司")
    person = ContactFactory(enterprise=ent, name="李总")
    link = portal.link_issue(contact=person, by=staff_b, days=30)
    req = make_request(staff_b, enterprise=ent, handling_unit=unit_b)
    return {"enterprise": ent, "contact": person, "token": link.token, "request": req}


def home(token):
    return reverse("portal:home", args=[token])


def png(name="photo.png", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- the link -------------------------------------------------------------------------------------------


def test_a_link_keeps_only_the_hash_of_a_random_token(issued):
    link = ContactLink.objects.get(pk=issued.link.pk)
    assert len(issued.token) >= 43
    assert link.token_hash == token_hash(issued.token) != issued.token
    assert issued.token not in str(ContactLink.objects.filter(pk=link.pk).values().get())
    assert link.expires_at - link.created_at == timedelta(days=180)


def test_the_issue_page_shows_the_token_once_with_a_qr_code_of_the_public_address(
    settings, ent_a, person_a, manager_a
):
    settings.PUBLIC_BASE_URL = "https://qy.jiangbei.example"
    client = client_for(manager_a)
    response = client.post(
        reverse("contact_links:issue", args=[ent_a.pk]), {"contact": person_a.pk, "days": 90}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    url = re.search(r"data-url>([^<]+)<", page).group(1)
    token = url.removeprefix("https://qy.jiangbei.example/e/").removesuffix("/")
    assert url == f"https://qy.jiangbei.example/e/{token}/"
    assert ContactLink.objects.get(contact=person_a).token_hash == token_hash(token)
    assert "<svg" in page and "<path" in page  # the QR code, drawn on the server
    listing = client.get(reverse("contact_links:list", args=[ent_a.pk])).content.decode()
    assert token not in listing  # never shown again
    assert Client().get(f"/e/{token}/").status_code == 200


def test_another_units_enterprise_links_are_404_and_nothing_is_issued(ent_a, person_a, staff_b):
    client = client_for(staff_b)
    assert client.get(reverse("contact_links:list", args=[ent_a.pk])).status_code == 404
    response = client.post(
        reverse("contact_links:issue", args=[ent_a.pk]), {"contact": person_a.pk, "days": 90}
    )
    assert response.status_code == 404
    assert ContactLink.objects.count() == 0


def test_a_contact_of_another_enterprise_cannot_be_given_a_link_here(ent_a, manager_a, other):
    response = client_for(manager_a).post(
        reverse("contact_links:issue", args=[ent_a.pk]), {"contact": other["contact"].pk, "days": 90}
    )
    assert response.status_code == 200  # the form again, with an error
    assert ContactLink.objects.filter(contact=other["contact"]).count() == 1  # only the fixture's


@pytest.mark.parametrize("token", ["wrong", "x" * 43, "%00", "../admin", "a" * 300])
def test_an_unknown_token_is_404_never_a_login_redirect(token):
    response = Client().get(f"/e/{token}/")
    assert response.status_code == 404
    assert "Location" not in response


def test_a_revoked_link_is_404_at_once_and_the_refusal_is_logged(issued, manager_a, ent_a):
    client = client_for(manager_a)
    response = client.post(reverse("contact_links:revoke", args=[ent_a.pk, issued.link.pk]))
    assert response.status_code == 302
    assert Client().get(home(issued.token)).status_code == 404
    assert list(LinkUse.objects.values_list("action", flat=True)) == ["refused"]
    assert BadToken.objects.count() == 0  # a known token: not a guess


def test_an_expired_link_is_404(issued):
    ContactLink.objects.filter(pk=issued.link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(home(issued.token)).status_code == 404


def test_a_signed_in_user_gets_the_same_404_for_a_bad_token(staff_a):
    assert client_for(staff_a).get("/e/not-a-token/").status_code == 404


def test_five_unknown_tokens_lock_the_address_out_for_the_cooloff_even_with_a_valid_token(issued, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        assert client.get(f"/e/guess-{n}/").status_code == 404
    assert client.get(home(issued.token)).status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.10").get(home(issued.token)).status_code == 200
    BadToken.objects.update(at=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert client.get(home(issued.token)).status_code == 200


def test_a_link_is_rate_limited_per_hour_and_every_use_is_logged(issued, settings):
    settings.PORTAL_USES_PER_HOUR = 3
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert [client.get(home(issued.token)).status_code for _ in range(4)] == [200, 200, 200, 429]
    uses = list(LinkUse.objects.order_by("at", "id").values_list("action", "ip"))
    assert uses == [("view", "198.51.100.7")] * 3 + [("limited", "198.51.100.7")]
    assert ContactLink.objects.get(pk=issued.link.pk).last_used_at is not None


def test_refused_hits_do_not_keep_a_rate_limited_link_shut(issued, settings):
    """The hour counts the pages a link was served: the refusals it answers while over the limit are logged
    but do not count, or a client retrying every few minutes would keep its link shut for good."""
    settings.PORTAL_USES_PER_HOUR = 2
    start = timezone.now()
    for minutes in (0, 1):
        portal.link_open(token=issued.token, ip="198.51.100.7", now=start + timedelta(minutes=minutes))
        portal.link_used(link=issued.link, action=LinkUse.Action.VIEW, ip="198.51.100.7",
                         now=start + timedelta(minutes=minutes))  # fmt: skip
    for minutes in (30, 45, 59):  # refused, and logged as such
        with pytest.raises(portal.TooManyUses):
            portal.link_open(token=issued.token, ip="198.51.100.7", now=start + timedelta(minutes=minutes))
    assert LinkUse.objects.filter(action="limited").count() == 3
    # an hour after the last page served, the link opens again
    later = start + timedelta(minutes=62)
    assert portal.link_open(token=issued.token, ip="198.51.100.7", now=later) == issued.link


def test_enterprise_pages_carry_the_security_headers_and_are_never_cached(issued):
    response = Client().get(home(issued.token))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


# --- submitting -----------------------------------------------------------------------------------------


def test_a_submitted_request_waits_on_the_units_dispatch_desk_with_the_contact_as_author(
    issued, ent_a, person_a, manager_a, unit_a
):
    response = Client().post(
        reverse("portal:submit", args=[issued.token]),
        {
            "category": category().pk,
            "title": "  路灯损坏  ",
            "description": "东门外路灯不亮",
            "photos": [png()],
        },
    )
    req = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request", args=[issued.token, req.pk]) + "?sent=1"
    assert (req.source, req.status, req.logged_unit_id, req.handling_unit_id) == (
        "enterprise",
        "new",
        unit_a.pk,
        None,
    )
    assert (req.created_by_id, req.contact_id, req.enterprise_id, req.title) == (
        None,
        person_a.pk,
        ent_a.pk,
        "路灯损坏",
    )
    event = req.events.get()
    assert (event.action, event.by_id, event.contact_id) == ("create", None, person_a.pk)
    photo = Attachment.objects.get(request=req)
    assert (photo.uploaded_by_id, photo.contact_id, photo.name) == (None, person_a.pk, "photo.jpg")
    assert Notification.objects.filter(user=manager_a, request=req).count() == 1
    desk = client_for(manager_a).get(reverse("service:dispatch_desk"))
    assert req.pk in [r.pk for r in desk.context["page_obj"].object_list]
    # the desk says who sent it: the enterprise itself, not staff who heard it (the desk holds only this one)
    with translation.override("zh-hans"):
        badge = f'<span class="badge source-enterprise">{Request.Source.ENTERPRISE.label}</span>'
    assert desk.content.decode().count(badge) == 1
    assert LinkUse.objects.filter(action="submit", request=req).count() == 1
    assert RequestMonth.objects.get(district=True, concerns="enterprise").n == 1


def test_a_bad_photo_or_too_many_photos_write_nothing(issued):
    url = reverse("portal:submit", args=[issued.token])
    valid = {"category": category().pk, "title": "路灯损坏"}
    bad = Client().post(url, {**valid, "photos": [SimpleUploadedFile("x.png", b"not an image")]})
    many = Client().post(url, {**valid, "photos": [png(f"p{n}.png") for n in range(7)]})
    exe = Client().post(url, {**valid, "photos": [SimpleUploadedFile("setup.exe", b"MZ")]})
    assert (bad.status_code, many.status_code, exe.status_code) == (200, 200, 200)
    assert Request.objects.count() == Attachment.objects.count() == 0


def test_a_link_submits_at_most_ten_requests_a_day(issued):
    url = reverse("portal:submit", args=[issued.token])
    for n in range(10):
        assert Client().post(url, {"category": category().pk, "title": f"诉求{n}"}).status_code == 302
    assert Client().post(url, {"category": category().pk, "title": "第十一件"}).status_code == 200
    assert Request.objects.count() == 10


# --- following and rating -------------------------------------------------------------------------------


def _closed_by_staff(staff_a, unit_a):
    """A request staff logged and closed (4–5 March 2024)."""
    req = make_request(staff_a, handling_unit=unit_a, handler=staff_a)
    req = contact(acknowledge(req, staff_a, local(2024, 3, 4, 11)), staff_a, local(2024, 3, 4, 12))
    return close(req, staff_a, local(2024, 3, 5, 10))


def _handled(issued, manager_a, staff_a, unit_a):
    """A request the contact submitted, dispatched, handled and closed by unit A."""
    req = request_submit(
        contact=issued.link.contact, category=category(), title="人才公寓", at=local(2024, 3, 4, 9)
    )
    req = act(req, "dispatch", manager_a, local(2024, 3, 4, 10), unit=unit_a, handler=staff_a)
    req = acknowledge(req, staff_a, local(2024, 3, 4, 11))
    req = contact(req, staff_a, local(2024, 3, 4, 15))
    return close(req, staff_a, local(2024, 3, 6, 16), answer="已安排两套人才公寓")


def test_the_contact_follows_only_their_enterprises_requests_without_internal_notes(
    issued, manager_a, staff_a, unit_a, other
):
    req = request_submit(
        contact=issued.link.contact, category=category(), title="人才公寓", at=local(2024, 3, 4, 9)
    )
    req = act(req, "dispatch", manager_a, local(2024, 3, 4, 10), unit=unit_a, handler=staff_a)
    req = acknowledge(req, staff_a, local(2024, 3, 4, 11))
    act(req, "extend_ask", staff_a, local(2024, 3, 4, 12), days=3, note="内部备注不外传")
    page = Client().get(home(issued.token))
    assert [r.pk for r in page.context["rows"]] == [req.pk]
    detail = Client().get(reverse("portal:request", args=[issued.token, req.pk]))
    assert detail.status_code == 200
    assert unit_a.name in detail.content.decode()
    assert "内部备注不外传" not in detail.content.decode()
    assert other["request"].title not in page.content.decode()


def test_one_enterprises_token_opens_and_changes_nothing_of_another_enterprise(issued, other):
    theirs = other["request"]
    before = (
        theirs.status,
        theirs.satisfaction,
        theirs.events.count(),
        LinkUse.objects.filter(request=theirs).count(),
    )
    client = Client()
    assert client.get(reverse("portal:request", args=[issued.token, theirs.pk])).status_code == 404
    response = client.post(
        reverse("portal:rate", args=[issued.token, theirs.pk]),
        {"satisfaction": "unsatisfied", "comment": "x"},
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    after = (
        theirs.status,
        theirs.satisfaction,
        theirs.events.count(),
        LinkUse.objects.filter(request=theirs).count(),
    )
    assert after == before


def test_the_contact_is_told_of_the_closure_rates_it_and_the_figure_counts_their_rating(
    issued, manager_a, staff_a, unit_a
):
    req = _handled(issued, manager_a, staff_a, unit_a)
    page = Client().get(home(issued.token))
    assert [r.pk for r in page.context["to_rate"]] == [req.pk]
    detail = Client().get(reverse("portal:request", args=[issued.token, req.pk])).content.decode()
    assert 'data-notice="closed"' in detail and "已安排两套人才公寓" in detail
    response = Client().post(
        reverse("portal:rate", args=[issued.token, req.pk]), {"satisfaction": "basic", "comment": "还算及时"}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.satisfaction, req.satisfaction_by) == ("confirmed", "basic", "enterprise")
    event = req.events.order_by("-at", "-id").first()
    assert (event.action, event.by_id, event.contact_id, event.note) == (
        "confirm",
        None,
        issued.link.contact_id,
        "还算及时",
    )
    # rated once per closure: the form is gone, a second post changes nothing
    again = Client().post(
        reverse("portal:rate", args=[issued.token, req.pk]), {"satisfaction": "unsatisfied"}
    )
    assert again.status_code == 200
    assert Request.objects.get(pk=req.pk).satisfaction == "basic"
    values = service_selectors.service_values(start=local(2024, 3, 1).date(), end=local(2024, 3, 31).date())
    assert str(values["satisfaction_rate_pct"]) == "100.0"


def test_the_enterprises_rating_replaces_a_staff_entered_one_and_unsatisfied_reopens(
    issued, manager_a, staff_a, unit_a
):
    req = confirm(_handled(issued, manager_a, staff_a, unit_a), manager_a, local(2024, 3, 7, 9))
    assert (req.satisfaction, req.satisfaction_by) == ("satisfied", "staff")
    req = request_rate(
        request=req,
        contact=issued.link.contact,
        satisfaction="unsatisfied",
        comment="没解决",
        at=local(2024, 3, 8, 9),
    )
    assert (req.status, req.satisfaction, req.satisfaction_by, req.reopen_count) == (
        "in_progress", "unsatisfied", "enterprise", 1,
    )  # fmt: skip
    assert Notification.objects.filter(user=staff_a, request=req).exists()
    assert rollups.kept() == _rebuilt()


def test_an_enterprises_unsatisfied_rating_tells_the_handler_and_the_logger_like_any_reopen(
    issued, ent_a, manager_a, staff_a, unit_a
):
    """A reopen is a reopen whoever asks for it: the handler hears it through their channels (e-mail here) and
    the person who logged the request is told, as when staff reopen it."""
    for user in (manager_a, staff_a):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    req = make_request(manager_a, handling_unit=unit_a, handler=staff_a, enterprise=ent_a)
    req = contact(acknowledge(req, staff_a, local(2024, 3, 4, 11)), staff_a, local(2024, 3, 4, 12))
    req = close(req, staff_a, local(2024, 3, 5, 10))
    mail.outbox.clear()
    rated = local(2024, 3, 6, 9)
    request_rate(request=req, contact=issued.link.contact, satisfaction="unsatisfied", at=rated)
    assert Notification.objects.filter(user=manager_a, request=req, created_at=rated).count() == 1  # logger
    assert sorted(m.to[0] for m in mail.outbox) == sorted([f"{manager_a.username}@example.com",
                                                           f"{staff_a.username}@example.com"])  # fmt: skip


def _rebuilt():
    rollups.rebuild()
    return rollups.kept()


def test_the_satisfaction_figure_from_the_rollups_equals_the_raw_count(issued, manager_a, staff_a, unit_a):
    """Two closures in March 2024: one rated by staff (satisfied), one by the enterprise (unsatisfied, after
    staff had entered satisfied). Whole March reads the roll-up; 2–30 March reads the records: both 1 of 2."""
    rated_by_staff = _closed_by_staff(staff_a, unit_a)
    confirm(rated_by_staff, manager_a, local(2024, 3, 6, 9))
    theirs = confirm(_handled(issued, manager_a, staff_a, unit_a), manager_a, local(2024, 3, 7, 9))
    request_rate(
        request=theirs, contact=issued.link.contact, satisfaction="unsatisfied", at=local(2024, 3, 8, 9)
    )
    whole = service_selectors.service_values(start=local(2024, 3, 1).date(), end=local(2024, 3, 31).date())
    raw = service_selectors.service_values(start=local(2024, 3, 2).date(), end=local(2024, 3, 30).date())
    assert str(whole["satisfaction_rate_pct"]) == str(raw["satisfaction_rate_pct"]) == "50.0"
    assert rollups.kept() == _rebuilt()


def test_existing_ratings_are_migrated_as_staff_entered(staff_a, unit_a, manager_a):
    from importlib import import_module

    migration = import_module("apps.service.migrations.0016_enterprise_voice")
    req = confirm(_closed_by_staff(staff_a, unit_a), manager_a, local(2024, 3, 6, 9))
    unrated = make_request(staff_a, handling_unit=unit_a)
    Request.objects.update(satisfaction_by="")
    migration.mark_existing_ratings_staff_entered(django_apps, None)
    assert Request.objects.get(pk=req.pk).satisfaction_by == "staff"
    assert Request.objects.get(pk=unrated.pk).satisfaction_by == ""


def test_the_staff_request_page_names_the_enterprise_as_author_and_rater(issued, manager_a, staff_a, unit_a):
    req = _handled(issued, manager_a, staff_a, unit_a)
    request_rate(request=req, contact=issued.link.contact, satisfaction="satisfied", at=local(2024, 3, 7, 9))
    page = client_for(staff_a).get(reverse("service:request_detail", args=[req.pk])).content.decode()
    assert 'data-rated-by="enterprise"' in page
    assert "None" not in re.sub(r"<[^>]+>", "", page)
    assert RequestEvent.objects.filter(request=req, by__isnull=True).count() == 2  # received, rated


@pytest.mark.parametrize(
    "data",
    [
        {"days": "999"},
        {"days": "0"},
        {"days": "-1"},
        {"days": "９０"},
        {"days": "NaN"},
        {"days": ""},
        {"contact": "999999"},
        {"contact": "abc"},
        {"contact": "\x00"},
        {"contact": ""},
    ],
)
def test_a_bad_link_request_is_a_form_error_and_issues_nothing(ent_a, person_a, manager_a, data):
    response = client_for(manager_a).post(
        reverse("contact_links:issue", args=[ent_a.pk]), {"contact": person_a.pk, "days": "90", **data}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert ContactLink.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"title": ""},
        {"title": " \u3000 "},
        {"title": "字" * 201},
        {"title": "路灯\x00损坏"},
        {"description": "字" * 5001},
        {"category": "999999"},
        {"category": "'; DROP TABLE service_request;--"},
    ],
)
def test_bad_input_on_the_enterprise_form_is_refused_and_writes_nothing(issued, data):
    valid = {"category": category().pk, "title": "路灯损坏", "description": "东门外"}
    response = Client().post(reverse("portal:submit", args=[issued.token]), {**valid, **data})
    assert response.status_code == 200
    assert Request.objects.count() == 0


def test_markup_from_the_enterprise_is_escaped_on_its_page_and_the_staff_page(issued, manager_a):
    markup = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    Client().post(reverse("portal:submit", args=[issued.token]), {"category": category().pk, "title": markup})
    req = Request.objects.get()
    mine = Client().get(reverse("portal:request", args=[issued.token, req.pk])).content.decode()
    staff = client_for(manager_a).get(reverse("service:dispatch_desk")).content.decode()
    assert markup not in mine and "&lt;script&gt;" in mine
    assert markup not in staff
