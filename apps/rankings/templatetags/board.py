"""The board's rows, drawn in Python: a province group has 50–150 rows of up to ten cells, and a template
node (or a format_html) per cell costs more than computing the board (issue #14's target for the page).
Every value comes from the board's JSON and is escaped here with the standard library's escape."""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

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
    }
    return mark_safe("".join(_row(row, labels, memo_links) for row in group["rows"]))  # escaped below


def _row(row: dict, labels: dict, memo_links: bool) -> str:
    listed = "red-list" if row.get("on_red") else "black-list" if row.get("on_black") else ""
    rank = "—" if row.get("rank") is None else str(row["rank"])
    move = row.get("move")
    if move == "up":
        rank += f' <span class="ok" title="{labels["up"]}">▲{escape(str(row["delta"]))}</span>'
    elif move == "down":
        rank += f' <span class="late" title="{labels["down"]}">▼{escape(str(abs(row["delta"])))}</span>'
    elif move == "new":
        rank += f' <span class="badge">{labels["new"]}</span>'
    unit = escape(row["unit"])
    if memo_links:
        unit = f'<a href="{escape(row["memo_url"])}">{unit}</a>'
    if row.get("on_red"):
        unit += f' <span class="badge badge-red">{labels["red"]}</span>'
    elif row.get("on_black"):
        unit += f' <span class="badge badge-black">{labels["black"]}</span>'
    if row.get("why") and memo_links:
        reasons = "".join(
            f'<div class="small">{escape(w["code"])}: {escape(w.get("from") or "—")} → '
            f"{escape(w.get('to') or '—')} ({escape(w['delta'])})</div>"
            for w in row["why"]
        )
        unit += f'<details class="why"><summary>{labels["why"]}</summary>{reasons}</details>'
    score = "—" if row.get("score") is None else escape(row["score"])
    return (
        f'<tr class="{listed}"><td>{rank}</td><td>{unit}</td><td class="num"><strong>{score}</strong></td>'
        f"{''.join(_cell(cell, labels) for cell in row['ordered'])}</tr>"
    )


def _cell(cell: dict, labels: dict) -> str:
    """The value linking to its records (numerator / denominator on hover) over the points, green when the
    target is met; "n/a" when there is nothing to measure."""
    if cell["na"]:
        return f'<td class="num"><span class="muted" title="{labels["na_title"]}">{labels["na"]}</span></td>'
    title = f'{escape(cell["num"])} / {escape(cell["den"])}'
    value = (
        f'<a href="{escape(cell["url"])}" title="{title}">{escape(cell["value"])}</a>'
        if cell["url"]  # no link to records the viewer may not open
        else f'<span title="{title}">{escape(cell["value"])}</span>'
    )
    return (
        f'<td class="num">{value}<br>'
        f'<small class="{"ok" if cell["met"] else "muted"}">{escape(cell["points"])}</small></td>'
    )
