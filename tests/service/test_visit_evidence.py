"""A visit's evidence (issue #18, item 8): photos from the phone's camera, stored small, upright and without
their location or device (only the time taken is kept); documents, checked as request attachments are; an
optional location check-in with its accuracy and time. Files are served only to those who may open the
visit; anyone else gets the same 404 as for a file that does not exist."""

import io
import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from apps.service import services
from apps.service.models import Request, Visit, VisitAttachment
from apps.service.services.visits import CheckIn

from ..conftest import client_for
from ..e2e.conftest import PHONE
from ..factories import EnterpriseFactory
from ..projects.factories import planned
from .factories import category
from .test_visit_form_page import phone, visit_post  # noqa: F401 (phone: the phone-sized browser fixture)

pytestmark = pytest.mark.django_db

URL = reverse("service:visit_create")
SHANGHAI = ZoneInfo("Asia/Shanghai")
RED, BLUE = (255, 0, 0), (0, 0, 255)


def camera_jpeg(width=4000, height=3000, orientation=6) -> bytes:
    """A phone camera's JPEG: stored sideways (its left half red, right half blue) with the EXIF that says how
    to turn it (6: a quarter turn clockwise), the phone's make and model, where it was (GPS), when it was
    taken, and a comment naming its owner."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15 Pro"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:12:05 10:11:12"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (32.0, 9.0, 30.0), 3: "E", 4: (118.0, 43.0, 12.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"owner: Zhang San", quality=90)
    return out.getvalue()


def png_with_transparency() -> bytes:
    image = Image.new("RGBA", (800, 600), (0, 0, 0, 0))  # transparent
    image.paste((0, 128, 0, 255), (0, 0, 400, 600))  # the left half opaque green
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def stored(attachment: VisitAttachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


def files_under(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


@pytest.fixture
def enterprise(unit_a):
    return EnterpriseFactory(unit=unit_a, name="南京江北智造科技有限公司")


def checkin(**values) -> dict:
    now_ms = int(timezone.now().timestamp() * 1000)
    return {
        "checkin_latitude": "32.158333",
        "checkin_longitude": "118.720000",
        "checkin_accuracy": "34.2",
        "checkin_at": str(now_ms - 60_000),
        **values,
    }


def post_visit(user, enterprise, **extra):
    return client_for(user).post(URL, visit_post(enterprise, user.unit, [], **extra))


# --- photos ------------------------------------------------------------------------------------------------


def test_a_camera_photo_is_stored_upright_small_and_keeps_only_the_time_taken(staff_a, enterprise):
    original = camera_jpeg()

    response = post_visit(staff_a, enterprise, photos=[SimpleUploadedFile("IMG_0001.JPG", original)])

    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("service:visit_detail", args=[visit.pk])
    photo = visit.attachments.get()
    assert (photo.kind, photo.name, photo.uploaded_by) == ("photo", "IMG_0001.jpg", staff_a)
    assert photo.taken_at == datetime(2026, 12, 5, 10, 11, 12, tzinfo=SHANGHAI)
    content = stored(photo)
    assert photo.size == len(content) < len(original)
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    assert image.size == (1200, 1600)  # turned upright (portrait), its long side 1600
    assert image.getpixel((600, 100)) == pytest.approx(RED, abs=8)  # the left edge, now the top
    assert image.getpixel((600, 1500)) == pytest.approx(BLUE, abs=8)
    exif = image.getexif()
    assert dict(exif) == {ExifTags.Base.ExifOffset: exif[ExifTags.Base.ExifOffset]}  # no orientation, no make
    assert exif.get_ifd(ExifTags.IFD.Exif) == {ExifTags.Base.DateTimeOriginal: "2026:12:05 10:11:12"}
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "comment" not in image.info and "icc_profile" not in image.info and "xmp" not in image.info
    for trace in (b"iPhone", b"Apple", b"Zhang San"):
        assert trace not in content


def test_a_png_is_accepted_and_stored_as_a_jpeg_on_white_not_enlarged(staff_a, enterprise):
    post_visit(staff_a, enterprise, photos=[SimpleUploadedFile("screen.png", png_with_transparency())])

    photo = VisitAttachment.objects.get()
    image = Image.open(io.BytesIO(stored(photo)))
    assert (photo.name, photo.taken_at) == ("screen.jpg", None)
    assert photo.file.name.endswith(".jpg")
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (800, 600))
    assert image.getpixel((200, 300)) == pytest.approx((0, 128, 0), abs=8)
    assert image.getpixel((600, 300)) == pytest.approx((255, 255, 255), abs=8)  # transparency on white


def test_several_photos_and_a_document_are_kept_with_the_visit(staff_a, enterprise):
    photos = [SimpleUploadedFile(f"p{n}.jpg", camera_jpeg(640, 480, orientation=1)) for n in range(3)]
    documents = [SimpleUploadedFile("纪要.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")]

    post_visit(staff_a, enterprise, photos=photos, documents=documents)

    visit = Visit.objects.get()
    rows = list(visit.attachments.values_list("kind", "name", "size"))
    assert rows == [
        ("photo", "p0.jpg", rows[0][2]),
        ("photo", "p1.jpg", rows[1][2]),
        ("photo", "p2.jpg", rows[2][2]),
        ("document", "纪要.pdf", 16),
    ]
    assert stored(visit.attachments.get(kind="document")) == b"%PDF-1.4 minutes"


def test_a_project_visit_keeps_its_photo_and_check_in_too(staff_a, enterprise):
    project = planned(staff_a.unit, "1000", owner=enterprise, code="FZ-T-018")
    data = visit_post(enterprise, staff_a.unit, [], **checkin(checkin_accuracy="12"))
    data["photos"] = [SimpleUploadedFile("site.jpg", camera_jpeg(640, 480, orientation=1))]

    response = client_for(staff_a).post(reverse("projects:visit_create", args=[project.pk]), data)

    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.target_name, visit.checkin_accuracy) == (project.name, 12)
    assert visit.attachments.get().name == "site.jpg"


def test_an_image_sent_as_a_document_is_cleaned_like_a_photo(staff_a, enterprise):
    post_visit(staff_a, enterprise, documents=[SimpleUploadedFile("scan.jpg", camera_jpeg(800, 600))])

    attachment = VisitAttachment.objects.get()
    assert attachment.kind == "photo"
    assert Image.open(io.BytesIO(stored(attachment))).getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}


@pytest.mark.parametrize(
    "field, upload, message",
    [
        ("photos", SimpleUploadedFile("photo.jpg", b"just some text, not a picture"), "is not a photo"),
        ("photos", SimpleUploadedFile("half.jpg", camera_jpeg(640, 480)[:400]), "is not a photo"),
        ("documents", SimpleUploadedFile("tool.exe", b"MZ\x90\x00"), "Files of this type are not accepted"),
        ("documents", SimpleUploadedFile("empty.pdf", b""), "The submitted file is empty."),
    ],
)
def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_stored(
    staff_a, enterprise, field, upload, message
):
    rows = [{"category": category().pk, "title": "人才公寓申请", "urgency": "normal"}]
    data = visit_post(enterprise, staff_a.unit, rows, **checkin(), **{field: [upload]})

    response = client_for(staff_a).post(URL, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Visit.objects.count() == Request.objects.count() == VisitAttachment.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_file_over_the_attachment_limit_is_refused(staff_a, enterprise, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    noise = Image.frombytes("RGB", (1000, 1000), bytes(random.Random(18).randbytes(3_000_000)))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    big = out.getvalue()
    assert len(big) > settings.ATTACHMENT_MAX_BYTES

    response = post_visit(staff_a, enterprise, photos=[SimpleUploadedFile("big.jpg", big)])

    assert response.status_code == 200
    assert "The file is larger than 1 MB." in response.content.decode()
    assert Visit.objects.count() == VisitAttachment.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []


def test_the_service_checks_every_file_before_it_writes_anything(staff_a, enterprise):
    good = SimpleUploadedFile("good.jpg", camera_jpeg(640, 480))
    bad = SimpleUploadedFile("bad.jpg", b"<html>")

    with pytest.raises(ValidationError) as refused:
        services.visit_record(
            by=staff_a,
            visited_on=timezone.localdate(),
            enterprise=enterprise,
            lead_unit=staff_a.unit,
            mode="on_site",
            photos=[good, bad],
        )

    assert list(refused.value.error_dict) == ["photos"]
    assert Visit.objects.count() == VisitAttachment.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []


# --- who may open the files --------------------------------------------------------------------------------


def test_only_those_who_may_open_the_visit_get_its_photo(users, enterprise):
    post_visit(users["staff_a"], enterprise, photos=[SimpleUploadedFile("p.jpg", camera_jpeg(640, 480))])
    photo = VisitAttachment.objects.get()
    url = reverse("service:visit_attachment", args=[photo.pk])
    content = stored(photo)

    for who in ("staff_b",):  # another unit, which did not lead or join the visit
        response = client_for(users[who]).get(url)
        assert response.status_code == 404
        assert not getattr(response, "streaming", False)
        assert b"\xff\xd8" not in response.content and photo.name.encode() not in response.content
    missing = client_for(users["staff_b"]).get(reverse("service:visit_attachment", args=[photo.pk + 1000]))
    assert missing.status_code == 404  # the same answer as for a file that does not exist
    for who in ("staff_a", "colleague_a", "manager_a", "leader"):
        response = client_for(users[who]).get(url)
        assert response.status_code == 200, who
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("inline")
        assert b"".join(response.streaming_content) == content
    assert client_for(None).get(url).status_code == 302  # to the login page


def test_a_document_is_served_as_a_download(staff_a, enterprise):
    post_visit(staff_a, enterprise, documents=[SimpleUploadedFile("a.pdf", b"%PDF-1.4")])
    document = VisitAttachment.objects.get()

    response = client_for(staff_a).get(reverse("service:visit_attachment", args=[document.pk]))

    assert response["Content-Disposition"] == 'attachment; filename="a.pdf"'
    assert b"".join(response.streaming_content) == b"%PDF-1.4"


# --- the location check-in ---------------------------------------------------------------------------------


def test_the_check_in_is_stored_and_shown_on_the_visit(staff_a, enterprise):
    # an hour ago: a check-in older than CHECKIN_MAX_AGE (12 h) is refused, so a fixed time would not do
    fix = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    at_ms = str(int(fix.timestamp() * 1000))

    post_visit(staff_a, enterprise, **checkin(checkin_accuracy="34.2", checkin_at=at_ms))

    visit = Visit.objects.get()
    assert visit.checkin_latitude == Decimal("32.158333")
    assert visit.checkin_longitude == Decimal("118.720000")
    assert visit.checkin_accuracy == 35  # rounded up: never more precise than measured
    assert visit.checkin_at == fix
    html = client_for(staff_a).get(reverse("service:visit_detail", args=[visit.pk])).content.decode()
    shown = timezone.localtime(fix, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert f"±35 m · {shown}" in html
    assert "32.158333, 118.720000 (WGS 84)" in html


def test_a_visit_without_a_check_in_has_none(staff_a, enterprise):
    post_visit(staff_a, enterprise)

    visit = Visit.objects.get()
    assert (visit.checkin_latitude, visit.checkin_longitude, visit.checkin_accuracy, visit.checkin_at) == (
        (None,) * 4
    )
    assert (
        "±" not in client_for(staff_a).get(reverse("service:visit_detail", args=[visit.pk])).content.decode()
    )


def _ms(delta: timedelta) -> str:
    return str(int((timezone.now() + delta).timestamp() * 1000))


@pytest.mark.parametrize(
    "values, message",
    [
        ({"checkin_latitude": "90.5"}, "out of range"),
        ({"checkin_latitude": "-91"}, "out of range"),
        ({"checkin_longitude": "180.01"}, "out of range"),
        ({"checkin_longitude": "-200"}, "out of range"),
        ({"checkin_accuracy": "0"}, "out of range"),
        ({"checkin_accuracy": "-5"}, "out of range"),
        ({"checkin_accuracy": "250000"}, "too imprecise"),
        ({"checkin_latitude": "NaN"}, "could not be read"),
        ({"checkin_longitude": "Infinity"}, "could not be read"),
        ({"checkin_accuracy": "abc"}, "could not be read"),
        ({"checkin_accuracy": ""}, "incomplete"),
        ({"checkin_latitude": "", "checkin_longitude": ""}, "incomplete"),
        ({"checkin_at": ""}, "incomplete"),
        ({"checkin_at": _ms(timedelta(days=-2))}, "too old"),
        ({"checkin_at": _ms(timedelta(hours=3))}, "too old"),
        ({"checkin_at": "99999999999999999999"}, "too old"),
    ],
)
def test_a_bad_check_in_is_refused_and_nothing_changes(staff_a, enterprise, values, message):
    response = post_visit(staff_a, enterprise, **checkin(**values))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Visit.objects.count() == 0
    assert apps.get_model("audit", "VisitHistory").objects.count() == 0


@pytest.mark.parametrize(
    "latitude, longitude, accuracy",
    [("90.000001", "0", 10), ("0", "-180.000001", 10), ("0", "0", 0), ("-90.5", "0", 10)],
)
def test_the_service_refuses_a_check_in_out_of_range(staff_a, enterprise, latitude, longitude, accuracy):
    with pytest.raises(ValidationError):
        services.visit_record(
            by=staff_a,
            visited_on=timezone.localdate(),
            enterprise=enterprise,
            lead_unit=staff_a.unit,
            mode="on_site",
            checkin=CheckIn(
                latitude=Decimal(latitude), longitude=Decimal(longitude), accuracy=accuracy, at=timezone.now()
            ),
        )

    assert Visit.objects.count() == 0


def test_the_form_page_is_multipart_and_offers_the_camera(staff_a):
    html = client_for(staff_a).get(URL).content.decode()

    assert 'enctype="multipart/form-data"' in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert '<script src="/static/js/visit_checkin.js" defer></script>' in html
    assert "Why we ask:" in html  # the purpose, on the page before anything is asked


# --- in a browser, on a phone: check in, take a photo, save, see both --------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_phone_staff_check_in_add_a_photo_and_see_both_on_the_visit(
    phone,  # noqa: F811 (the fixture imported above)
    live_server,
    staff_a,
    enterprise,
    tmp_path,
):
    """The phone lets this site have its location and says it is at the Jiangbei new area's offices, ±35 m;
    http://localhost is a secure context, so the browser gives it."""
    phone.grant_permissions(["geolocation"])
    phone.set_geolocation({"latitude": 32.158333, "longitude": 118.72, "accuracy": 35})
    base = live_server.url.replace("127.0.0.1", "localhost")  # a secure context: geolocation is allowed
    client = client_for(staff_a)
    phone.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]  # fmt: skip
    )
    page = phone.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    photo = tmp_path / "IMG_0002.jpg"
    photo.write_bytes(camera_jpeg(1200, 900))

    page.goto(f"{base}{URL}?enterprise={enterprise.pk}")
    purpose = page.locator("[data-checkin-purpose]")
    assert not purpose.is_visible()
    assert page.input_value("input[name=checkin_latitude]") == ""  # nothing asked on its own
    page.click("[data-checkin-start]")
    assert purpose.is_visible()  # the purpose is said before the browser is asked
    page.click("[data-checkin-share]")
    page.wait_for_function("document.querySelector('input[name=checkin_latitude]').value !== ''")
    assert page.input_value("input[name=checkin_latitude]") == "32.158333"
    assert page.input_value("input[name=checkin_longitude]") == "118.720000"
    assert page.input_value("input[name=checkin_accuracy]") == "35"
    assert "±35" in page.inner_text("[data-checkin-status]")
    page.set_input_files("#id_photos", str(photo))
    assert page.locator("[data-photo-inputs] input[type=file]").count() == 2  # room for another photo
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(Path(settings.BASE_DIR) / "test-artifacts" / "visit-evidence-form.png"))
    page.click("button[type=submit].btn-primary")
    page.wait_for_url("**/service/visits/*/")

    visit = Visit.objects.get()
    assert (visit.checkin_latitude, visit.checkin_accuracy) == (Decimal("32.158333"), 35)
    assert visit.attachments.get().kind == "photo"
    assert "±35 m" in page.inner_text(".checkin-shown")
    image = page.locator(".photo-grid img")
    assert image.count() == 1
    # the photo loads lazily (loading="lazy"): after the page's load event, once it is in view
    image.scroll_into_view_if_needed()
    loaded = "img => img.complete || new Promise(done => img.addEventListener('load', done, {once: true}))"
    image.evaluate(loaded)
    assert image.evaluate("img => img.complete && img.naturalWidth") == 900  # served, upright
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(
        path=str(Path(settings.BASE_DIR) / "test-artifacts" / "visit-evidence-detail.png"), full_page=True
    )
    assert errors == []  # no script error, nothing refused by the Content Security Policy


# --- the sibling: a photo attached to a request is cleaned the same way ------------------------------------


def test_a_photo_attached_to_a_request_loses_its_location_too(staff_a, enterprise):
    """A request's attachments took a phone photo as it came, GPS and device included; it is re-drawn like a
    visit's photo (the time taken kept), under its own name with .jpg."""
    from .factories import make_request

    req = make_request(staff_a, enterprise=enterprise, handling_unit=staff_a.unit)
    attachment = services.attachment_add(
        request=req, by=staff_a, uploaded=SimpleUploadedFile("现场.jpeg", camera_jpeg(), "image/jpeg")
    )
    image = Image.open(io.BytesIO(attachment.file.read()))
    exif = image.getexif()
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert ExifTags.Base.Make not in exif and ExifTags.Base.Model not in exif
    assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2026:12:05 10:11:12"
    assert max(image.size) == 1600
    assert attachment.name == "现场.jpg" and attachment.size == attachment.file.size
