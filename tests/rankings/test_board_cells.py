"""The board's cells are drawn in Python (apps/rankings/templatetags/board.py): what they escape and show."""

from django.utils import translation

from apps.rankings.templatetags.board import board_cells


def test_a_cell_shows_value_link_points_and_escapes_what_it_shows():
    row = {
        "ordered": [
            {"na": False, "url": "/service/requests/?handling_unit=3&date_from=2024-03-01", "num": "7",
             "den": "8", "value": "87.5", "points": "8.75", "met": True},
            {"na": False, "url": '/x/?a="><script>', "num": "<b>", "den": "1", "value": "<i>1</i>",
             "points": "0.00", "met": False},
            {"na": True},
        ]
    }  # fmt: skip
    with translation.override("en"):
        html = board_cells(row)
    first, second, third = html.split("</td>")[:3]
    assert first == (
        '<td class="num"><a href="/service/requests/?handling_unit=3&amp;date_from=2024-03-01" title="7 / 8">'
        '87.5</a><br><small class="ok">8.75</small>'
    )
    assert "<script>" not in second and "<b>" not in second and "<i>" not in second
    assert "&quot;&gt;&lt;script&gt;" in second and "&lt;i&gt;1&lt;/i&gt;" in second
    assert '<small class="muted">0.00</small>' in second
    assert third == (
        '<td class="num"><span class="muted" title="nothing to measure: its weight goes to the other '
        'indicators">n/a</span>'
    )
