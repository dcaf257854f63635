"""The board's rows, drawn in Python: a province group has 50–150 rows of up to ten cells, and a template
node (or a format_html) per cell costs more than computing the board (issue #14's target for the page).
Every value comes from the board's JSON and is escaped here with the standard library's escape."""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag
def board_rows(group: dict, memo_links: bool = False) -> SafeString:
    """The `<tr>` of each unit of the peer group: rank and its move since last month, the unit (linking to
    its memo, with its list and why it moved, when `memo_links`), the score, then one cell per indicator."""
    labels = {
        "up": escape(_("up")),
        "down": escape(_("down")),
        "new": escape(_("new")),
        "red": escape(_("red list")),
        "black": escape(_("black list")),
        "why": escape(_("why it moved")),
        "na": escape(_("n/a")),
        "na_title": escape(_("nothing to measure: its weight goes to the other indicators")),
        "few_title": escape(_("too few cases to measure: its weight goes to the other indicators")),
        "insufficient": escape(_("Sample too small")),
        "insufficient_title": escape(
            _("less than half of the group's indicator weight had enough cases this month: no score, no rank")
        ),
    }
    return mark_safe("".join(_row(row, labels, memo_links) for row in group["rows"]))  # escaped below


def _row(row: dict, labels: dict, memo_links: bool) -> str:
    listed = "red-list" if row.get("on_red") else "black-list" if row.get("on_black") else ""
    rank = "—" if row.get("rank") is None else str(row["rank"])
    move = row.get("move")
    if move in ("up", "down"):
        places = abs(row["delta"])
        said = (
            ngettext("up %(places)d place", "up %(places)d places", places)
            if move == "up"
            else ngettext("down %(places)d place", "down %(places)d places", places)
        )
        rank += (
            f' <span class="{"ok" if move == "up" else "late"}" title="{escape(said % {"places": places})}">'
            f"{'▲' if move == 'up' else '▼'}{places}</span>"
        )
    elif move == "new":
        rank += f' <span class="badge">{labels["new"]}</span>'
    unit = escape(row["unit"])
    if memo_links and row.get("memo_url"):  # (none where the viewer may not open the unit's memo)
        unit = f'<a href="{escape(row["memo_url"])}">{unit}</a>'
    if row.get("on_red"):
        unit += f' <span class="badge badge-red">{labels["red"]}</span>'
    elif row.get("on_black"):
        unit += f' <span class="badge badge-black">{labels["black"]}</span>'
    if row.get("why") and memo_links:
        reasons = "".join(f'<div class="small">{escape(why_said(w))}</div>' for w in row["why"])
        unit += f'<details class="why"><summary>{labels["why"]}</summary>{reasons}</details>'
    if row.get("insufficient"):
        score = f'<span class="muted" title="{labels["insufficient_title"]}">{labels["insufficient"]}</span>'
    else:
        score = "—" if row.get("score") is None else escape(row["score"])
    return (
        f'<tr class="{listed}"><td>{rank}</td><td>{unit}</td><td class="num"><strong>{score}</strong></td>'
        f"{''.join(_cell(cell, labels) for cell in row['ordered'])}</tr>"
    )


def _cell(cell: dict, labels: dict) -> str:
    """The value linking to its records (numerator / denominator on hover) over the points, green when the
    target is met; "n/a" when there is nothing to measure."""
    if cell["na"]:
        title = labels["few_title"] if cell.get("few") else labels["na_title"]
        return f'<td class="num"><span class="muted" title="{title}">{labels["na"]}</span></td>'
    # numerator / denominator on hover, unless withheld (another unit's amounts)
    title = "" if cell.get("num") is None else f' title="{escape(cell["num"])} / {escape(cell["den"])}"'
    value = (
        f'<a href="{escape(cell["url"])}"{title}>{escape(cell["value"])}</a>'
        if cell["url"]  # no link to records the viewer may not open
        else f"<span{title}>{escape(cell['value'])}</span>"
    )
    return (
        f'<td class="num">{value}<br>'
        f'<small class="{"ok" if cell["met"] else "muted"}">{escape(cell["points"])}</small></td>'
    )


def why_said(why: dict) -> str:
    """One reason a unit moved, in words: "诉求办结率 49.4% → 87.6%，得分 +8.49" (the indicator's name and
    measure as frozen with the board; a board published before they were kept shows the code)."""
    measure = why.get("measure", "")

    def value(v):
        return "—" if v is None else f"{v}{measure}"

    delta = why["delta"] if why["delta"].startswith("-") else f"+{why['delta']}"
    return _("%(name)s %(before)s → %(after)s, points %(delta)s") % {
        "name": why.get("name", why["code"]),
        "before": value(why.get("from")),
        "after": value(why.get("to")),
        "delta": delta,
    }
