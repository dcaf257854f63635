"""Files attached to requests and visits: each upload is checked the same way (type, size) before anything
is stored; a visit's photos are also re-drawn as small, upright JPEGs that keep only the time they were
taken (no GPS, no device). Every file is served only through a view that checks its record's visibility."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

from apps.accounts.models import User

from ..models import (
    Attachment,
    Request,
    StoredFile,
    Visit,
    VisitAttachment,
)
from .moves import _is_leader


def upload_check(uploaded, *, allowed: Iterable[str] = StoredFile.ALLOWED_EXTENSIONS) -> str:
    """The checks every attached file passes: a type we accept (by its suffix), not empty, not larger than
    ATTACHMENT_MAX_BYTES. Returns the name it is shown under."""
    suffix = PurePath(uploaded.name or "").suffix.lower()
    if suffix not in allowed:
        raise ValidationError(
            _("Files of this type are not accepted. Allowed: %(types)s") % {"types": " ".join(allowed)}
        )
    _size_check(uploaded)
    return PurePath(uploaded.name).name[:200]


def _size_check(uploaded) -> None:
    if uploaded.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        )
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."))


def attachment_add(*, request: Request, by: User, uploaded) -> Attachment:
    """Attach a file to a request; a photo is re-drawn first (photo_prepare), so that no picture keeps where
    it was taken or with what phone."""
    if PurePath(uploaded.name or "").suffix.lower() in PHOTO_SUFFIXES:
        photo = photo_prepare(uploaded)
        uploaded, name = ContentFile(photo.content, name=photo.name), photo.name
    else:
        name = upload_check(uploaded)
    return Attachment.objects.create(
        request=request, file=uploaded, name=name, size=uploaded.size, uploaded_by=by
    )


def can_attach(user, req: Request) -> bool:
    """Attachments are added by the unit that logged or handles the request, and leaders."""
    return (
        req.is_open
        and (user.unit_id in (req.logged_unit_id, req.handling_unit_id) or _is_leader(user))
        and user.has_perm("service.handle_request")
    )


# --- photos ------------------------------------------------------------------------------------------------

PHOTO_LONG_SIDE = 1600  # pixels: sharp on any phone screen, a few hundred kB
PHOTO_QUALITY = 82
PHOTO_MAX_PIXELS = 60_000_000  # a 48-megapixel phone camera's full size passes
# What a phone's camera or album gives (a JPEG with a second frame opens as MPO). Pillow tries these only.
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
EXIF_TIME_FORMAT = "%Y:%m:%d %H:%M:%S"


@dataclass(frozen=True)
class Photo:
    """A photo ready to store: the JPEG's bytes, the name shown, when it was taken (if the camera said)."""

    content: bytes
    name: str
    taken_at: datetime | None


def photo_prepare(uploaded) -> Photo:
    """Check an uploaded photo (the attachments' size limit; an image Pillow decodes whole) and re-draw it:
    turned upright by its EXIF orientation, at most PHOTO_LONG_SIDE on its long side, in sRGB, as a JPEG
    whose only metadata is the time taken (DateTimeOriginal): GPS, device, owner and thumbnails are gone."""
    _size_check(uploaded)
    shown = PurePath(uploaded.name or "").name
    not_a_photo = ValidationError(
        _("“%(name)s” is not a photo we can read (JPEG, PNG or WebP).") % {"name": shown[:80]}
    )
    uploaded.seek(0)
    Image.init()  # every plugin registered (WebP is not among the few Pillow loads first); once
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # > 89 megapixels: refused
            with Image.open(uploaded, formats=PHOTO_FORMATS) as image:
                if image.width * image.height > PHOTO_MAX_PIXELS:
                    raise not_a_photo  # decoding it would take more memory than a photo deserves
                taken = _taken(image.getexif())
                long_side = max(image.size)
                if image.format in ("JPEG", "MPO") and long_side > PHOTO_LONG_SIDE:
                    # decode at 1/2, 1/4… of its size when that is still large enough: far less work
                    ratio = PHOTO_LONG_SIDE / long_side
                    image.draft("RGB", (math.ceil(image.width * ratio), math.ceil(image.height * ratio)))
                image.load()
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((PHOTO_LONG_SIDE, PHOTO_LONG_SIDE))  # bicubic
                rgb = _srgb(upright)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise not_a_photo from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt
        raise not_a_photo from exc
    rgb.info = {}  # no comment, ICC profile or XMP carried over from the original
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken.strftime(EXIF_TIME_FORMAT)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=PHOTO_QUALITY, exif=exif)
    name = f"{PurePath(shown).stem[:190] or 'photo'}.jpg"
    return Photo(content=out.getvalue(), name=name, taken_at=taken)


def _taken(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal, a camera's local time with no zone: read as the district's time (Asia/Shanghai)."""
    value = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    if not isinstance(value, str):
        return None
    try:
        taken = datetime.strptime(value.strip("\x00 "), EXIF_TIME_FORMAT)
    except ValueError:
        return None  # a blank or garbled time is dropped, never stored
    return timezone.make_aware(taken) if taken.year >= 2000 else None


def _srgb(image: Image.Image) -> Image.Image:
    """The image in RGB: converted from its embedded colour profile to sRGB when it has one (a wide-gamut
    phone photo keeps its colours without carrying the profile), transparency laid on white."""
    profile = image.info.get("icc_profile")
    if profile and image.mode == "RGB":
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass  # an unreadable profile: the pixels as they are
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


# --- a visit's evidence ------------------------------------------------------------------------------------

VISIT_MAX_FILES = 20  # photos and documents, per visit


@dataclass(frozen=True)
class Evidence:
    """A visit's uploads, checked and ready to store (nothing is stored until every one has passed)."""

    photos: list[Photo]
    documents: list[tuple[str, object]]  # (name shown, the uploaded file)


def visit_evidence_prepare(*, photos: Iterable = (), documents: Iterable = ()) -> Evidence:
    """Check every upload of a visit before anything is written. Photos are re-drawn (photo_prepare);
    documents pass the request attachments' checks — and a document that is an image is treated as a
    photo, so that no picture keeps its location through the other door. Errors name the form's field."""
    photos, documents = list(photos), list(documents)
    if len(photos) + len(documents) > VISIT_MAX_FILES:
        raise ValidationError({"photos": _("A visit takes at most %(n)d files.") % {"n": VISIT_MAX_FILES}})
    prepared, kept = [], []
    for field, uploads in (("photos", photos), ("documents", documents)):
        for uploaded in uploads:
            try:
                if field == "photos" or PurePath(uploaded.name or "").suffix.lower() in PHOTO_SUFFIXES:
                    prepared.append(photo_prepare(uploaded))
                else:
                    kept.append((upload_check(uploaded), uploaded))
            except ValidationError as exc:
                raise ValidationError({field: exc.messages}) from exc
    return Evidence(photos=prepared, documents=kept)


def visit_evidence_store(*, visit: Visit, by: User, evidence: Evidence) -> list[VisitAttachment]:
    """Store a visit's checked uploads and their rows (one INSERT). If anything fails, the files stored so
    far are removed again, and the caller's transaction leaves no row."""
    rows = []
    try:
        for photo in evidence.photos:
            row = VisitAttachment(
                visit=visit,
                kind=VisitAttachment.Kind.PHOTO,
                name=photo.name,
                size=len(photo.content),
                taken_at=photo.taken_at,
                uploaded_by=by,
            )
            row.file.save(photo.name, ContentFile(photo.content), save=False)
            rows.append(row)
        for name, uploaded in evidence.documents:
            row = VisitAttachment(
                visit=visit, kind=VisitAttachment.Kind.DOCUMENT, name=name, size=uploaded.size, uploaded_by=by
            )
            row.file.save(name, uploaded, save=False)
            rows.append(row)
        return VisitAttachment.objects.bulk_create(rows)
    except BaseException:
        for row in rows:
            row.file.delete(save=False)
        raise
