"""The monthly meeting's papers: the board's print pack (every peer group, one per A4 landscape page), and
the published month's notice (通报) as an A4 portrait page and as a Word document.

The notice is written once, as plain data (`_notice`): headings, paragraphs and tables in the viewer's
language. The page and the .docx both draw that data, so the two never say different things. It reads the
published board and the memos frozen with it (`PublishedMemo`): what was said at the meeting, never the live
figures. A month that is not published has no notice.
"""

from __future__ import annotations

import io
from datetime import date

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from .models import Indicator, PublishedMemo
from .views import _decorate, _decorated, _month

OLDEST_SHOWN = 3  # overdue items named per unit in the notice; the count is always whole


def pack(request):
    """Every peer group of the month's board (published, else live), drawn for printing: one group per A4
    landscape page, a large group continued over pages under its repeated header row."""
    month = _month(request)
    board, publication, _history = _decorated(month)
    for group in board["groups"]:
        _decorate(board, group, month, request.user)
    return render(
        request,
        "rankings/pack.html",
        {"board": board, "month": month, "publication": publication, "groups": board["groups"]},
    )


def notice(request):
    """The published month's notice, as a printable A4 portrait page (404 with a clear message when the
    month is not published)."""
    month = _month(request)
    content = _notice(month, request.user)
    return render(
        request,
        "rankings/notice.html",
        {"month": month, "notice": content},
        status=200 if content else 404,
    )


def notice_docx(request):
    """The published month's notice as a Word document (A4 portrait)."""
    month = _month(request)
    content = _notice(month, request.user)
    if content is None:
        raise Http404(_("The board of this month is not published: it has no notice."))
    response = HttpResponse(
        _docx(content),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="ranking-notice-{month:%Y-%m}.docx"'
    return response


# --- the notice as data -------------------------------------------------------------------------------


def _section(heading: str, text: str, **more) -> dict:
    """A numbered part of the notice: its heading, a paragraph, and a table or a note when given."""
    return {"heading": heading, "paragraphs": [{"lead": "", "text": text}], **more}


def _table(headers: list[str], rows: list[list]) -> dict:
    """A table of the notice: each cell a list of lines (an overdue unit's cell names several items)."""
    return {
        "headers": headers,
        "rows": [[value if isinstance(value, list) else [str(value)] for value in row] for row in rows],
    }


def _names(names: list[str]) -> str:
    return pgettext("list separator", ", ").join(names) if names else _("none")


def _notice(month: date, viewer) -> dict | None:
    """The notice of `month` as headings, paragraphs and tables, or None when the month is not published.
    Overdue items are named only for the units whose records `viewer` may open; other units get a count."""
    board, publication, _history = _decorated(month)
    if publication is None:
        return None
    month_text = date_format(month, "YEAR_MONTH_FORMAT")
    issued = timezone.localtime(publication.published_at).date()
    names = {row["unit_id"]: row["unit"] for group in board["groups"] for row in group["rows"]}
    units = sum(len(group["rows"]) for group in board["groups"])
    opening = _(
        "As arranged by the monthly work meeting, the ranking board of %(month)s is reported as follows. "
        "%(units)s units were ranked in %(groups)s peer groups on %(indicators)s weighted indicators; the "
        "board was published on %(published)s and is frozen."
    ) % {
        "month": month_text,
        "units": units,
        "groups": len(board["groups"]),
        "indicators": len(board["indicators"]),
        "published": date_format(issued, "DATE_FORMAT"),
    }
    return {
        "office": settings.RANKING_ISSUING_OFFICE,
        "number": _("Ranking notice [%(year)s] No. %(month)s") % {"year": month.year, "month": month.month},
        "title": _("Notice on the ranking board of %(month)s") % {"month": month_text},
        "to": _("To all bureaus, offices, parks and streets:"),
        "opening": opening,
        "sections": [
            _groups_section(board),
            _lists_section(board, names),
            _overdue_section(publication, names, viewer),
            _section(
                _("IV. Requirements"),
                _(
                    "Each unit is to compare its figures with the indicators and close its gaps. Units "
                    "on the black list are to analyse the causes and report their measures at the next "
                    "monthly work meeting; overdue requests are to be closed without delay and their "
                    "handling reported."
                ),
            ),
        ],
        "closing": _("This notice is hereby issued."),
        "attachment": {
            "title": _("Attachment: the indicators of %(month)s") % {"month": month_text},
            **_table(
                [_("Indicator"), _("Campaign"), _("Weight"), _("Target"), _("Definition")],
                [
                    [
                        i["name"],
                        str(Indicator.Campaign(i["campaign"]).label)
                        if i["campaign"] in Indicator.Campaign.values
                        else i["campaign"],
                        i["weight"],
                        f"{i['target']}{i['measure']}",
                        i["definition"],
                    ]
                    for i in board["indicators"]
                ],
            ),
        },
        "issued": date_format(issued, "DATE_FORMAT"),
    }


def _groups_section(board: dict) -> dict:
    paragraphs = []
    for group in board["groups"]:
        ranked = [r for r in group["rows"] if r.get("rank") is not None]
        size = len(group["rows"])
        lead = ngettext("%(group)s (%(units)s unit): ", "%(group)s (%(units)s units): ", size) % {
            "group": group["label"],
            "units": size,
        }
        if not ranked:
            text = _("no unit was scored this month.")
        else:
            last_rank = max(r["rank"] for r in ranked)
            first = [r for r in ranked if r["rank"] == 1]
            last = [r for r in ranked if r["rank"] == last_rank]
            if last_rank == 1:
                text = _("%(names)s ranked first (%(score)s points).") % {
                    "names": _names([r["unit"] for r in first]),
                    "score": first[0]["score"],
                }
            else:
                text = _(
                    "first %(first)s (%(first_score)s points), last %(last)s (%(last_score)s points)."
                ) % {
                    "first": _names([r["unit"] for r in first]),
                    "first_score": first[0]["score"],
                    "last": _names([r["unit"] for r in last]),
                    "last_score": last[0]["score"],
                }
            rose = [r for r in ranked if r.get("move") == "up" and r.get("delta")]
            if rose:
                most = max(r["delta"] for r in rose)
                text += " " + _("Most improved: %(names)s, up %(places)s places.") % {
                    "names": _names([r["unit"] for r in rose if r["delta"] == most]),
                    "places": most,
                }
        unscored = [r["unit"] for r in group["rows"] if r.get("rank") is None]
        if unscored and ranked:
            text += " " + ngettext(
                "%(count)s unit had too small a sample to be scored: %(names)s.",
                "%(count)s units had too small a sample to be scored: %(names)s.",
                len(unscored),
            ) % {
                "count": len(unscored),
                "names": _names(unscored),
            }
        paragraphs.append({"lead": lead, "text": text})
    return {"heading": _("I. Rankings by peer group"), "paragraphs": paragraphs}


def _lists_section(board: dict, names: dict[int, str]) -> dict:
    return _section(
        _("II. Red and black lists"),
        _(
            "The red list names the best units of each peer group, the black list the weakest; a unit that "
            "met every target is never on the black list."
        ),
        table=_table(
            [_("Peer group"), _("Red list"), _("Black list")],
            [
                [
                    group["label"],
                    _names([names[u] for u in group["red"] if u in names]),
                    _names([names[u] for u in group["black"] if u in names]),
                ]
                for group in board["groups"]
            ],
        ),
    )


def _overdue_section(publication, names: dict[int, str], viewer) -> dict:
    """Each unit's overdue requests as frozen with the board: the count, and its oldest items where the
    viewer may open that unit's records (elsewhere only the count: what a user may not open, they may not
    read here either)."""
    heading = _("III. Overdue requests")
    memos = list(PublishedMemo.objects.filter(publication=publication).select_related("unit"))
    if not memos:
        return _section(
            heading,
            _(
                "This board was published before overdue requests were frozen with it: the overdue items "
                "as they stood then were not kept."
            ),
        )
    position = {unit: n for n, unit in enumerate(names)}  # board order among equal counts
    late = sorted(
        (m for m in memos if m.data.get("overdue_count")),
        key=lambda m: (-m.data["overdue_count"], position.get(m.unit_id, len(position))),
    )
    if not late:
        return _section(heading, _("When the board was published, no request was overdue."))
    rows, hidden = [], False
    for memo in late:
        items = ["—"]
        if viewer.opens_unit(memo.unit_id):
            oldest = sorted(memo.data.get("overdue", []), key=lambda i: -(i.get("days_over") or 0))
            items = [_overdue_item(item) for item in oldest[:OLDEST_SHOWN]] or items
        else:
            hidden = True
        rows.append([names.get(memo.unit_id) or memo.unit.short_name, str(memo.data["overdue_count"]), items])
    total = sum(m.data["overdue_count"] for m in late)
    text = ngettext(
        "When the board was published, %(units)s unit had %(total)s overdue requests. Its count and its "
        "oldest items:",
        "When the board was published, %(units)s units had %(total)s overdue requests in all. Each unit's "
        "count and its oldest items:",
        len(late),
    ) % {"units": len(late), "total": total}
    more = {"note": _("Items are named only for the units whose records you may open.")} if hidden else {}
    return _section(
        heading, text, table=_table([_("Unit"), _("Overdue"), _("Oldest overdue items")], rows), **more
    )


def _overdue_item(item: dict) -> str:
    return _("#%(id)s %(title)s (%(enterprise)s; handler %(handler)s; due %(due)s, %(days)s days late)") % {
        "id": item.get("id", ""),
        "title": item.get("title", ""),
        "enterprise": item.get("enterprise") or "—",
        "handler": item.get("handler") or "—",
        "due": item.get("due") or "—",
        "days": item.get("days_over", "—"),
    }


# --- the notice as a Word document --------------------------------------------------------------------


def _docx(notice: dict) -> bytes:
    """The notice laid out like an official document (GB/T 9704 margins, red letterhead, FangSong body)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    document.core_properties.title = notice["title"]
    document.core_properties.author = notice["office"]

    def run(paragraph, text, *, font="仿宋", size=16, bold=False, color=None):
        r = paragraph.add_run(text)
        r.font.size, r.font.bold = Pt(size), bold
        r.font.name = "Times New Roman"
        r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        if color:
            r.font.color.rgb = RGBColor.from_string(color)
        return r

    def paragraph(text="", *, align=None, indent=True, **font):
        p = document.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        p.paragraph_format.line_spacing = Pt(28)
        if indent:
            p.paragraph_format.first_line_indent = Pt(32)
        if align is not None:
            p.alignment = align
        if text:
            run(p, text, **font)
        return p

    def table(headers, rows):
        t = document.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, header in zip(t.rows[0].cells, headers, strict=True):
            run(cell.paragraphs[0], header, font="黑体", size=10.5, bold=True)
        for values in rows:
            cells = t.add_row().cells
            for cell, lines in zip(cells, values, strict=True):
                run(cell.paragraphs[0], lines[0], size=10.5)
                for line in lines[1:]:
                    run(cell.add_paragraph(), line, size=10.5)
        paragraph(indent=False)

    center = WD_ALIGN_PARAGRAPH.CENTER
    paragraph(notice["office"], align=center, indent=False, font="宋体", size=26, bold=True, color="C00000")
    rule = paragraph(notice["number"], align=center, indent=False, size=16)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in {"w:val": "single", "w:sz": "18", "w:space": "4", "w:color": "C00000"}.items():
        bottom.set(qn(key), value)
    borders.append(bottom)
    rule._p.get_or_add_pPr().append(borders)
    paragraph(indent=False)
    paragraph(notice["title"], align=center, indent=False, font="宋体", size=22, bold=True)
    paragraph(indent=False)
    paragraph(notice["to"], indent=False)
    paragraph(notice["opening"])
    for part in notice["sections"]:
        paragraph(part["heading"], font="黑体")
        for p in part["paragraphs"]:
            para = paragraph()
            if p["lead"]:
                run(para, p["lead"], bold=True)
            run(para, p["text"])
        if part.get("table"):
            table(part["table"]["headers"], part["table"]["rows"])
        if part.get("note"):
            paragraph(part["note"], size=12)
    paragraph(notice["closing"])
    paragraph(indent=False)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    paragraph(notice["office"], align=right, indent=False)
    paragraph(notice["issued"], align=right, indent=False)
    document.add_page_break()
    paragraph(notice["attachment"]["title"], indent=False, font="黑体")
    table(notice["attachment"]["headers"], notice["attachment"]["rows"])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
