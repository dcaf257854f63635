"""The board's cells, drawn in Python: a province group has 50–150 rows of up to ten cells, and a template
node (or a format_html) per cell costs more than computing the board (issue #14's target for the page).
The cells hold plain strings from the board's JSON, escaped here with the standard library's escape."""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def board_cells(row: dict) -> SafeString:
    """One `<td>` per indicator of the row: the value linking to its records (numerator / denominator on
    hover) over the points, green when the target is met; "n/a" when there is nothing to measure."""
    title = escape(_("nothing to measure: its weight goes to the other indicators"))
    na = f'<td class="num"><span class="muted" title="{title}">{escape(_("n/a"))}</span></td>'

    cells = []
    for cell in row["ordered"]:
        if cell["na"]:
            cells.append(na)
            continue
        cells.append(
            f'<td class="num"><a href="{escape(cell["url"])}" title="{escape(cell["num"])} / '
            f'{escape(cell["den"])}">{escape(cell["value"])}</a><br>'
            f'<small class="{"ok" if cell["met"] else "muted"}">{escape(cell["points"])}</small></td>'
        )
    return mark_safe("".join(cells))  # every value is escaped above
