"""The board's rows are drawn in Python (apps/rankings/templatetags/board.py): what they show and escape."""

from django.utils import translation

from apps.rankings.templatetags.board import board_rows

ROW = {
    "unit_id": 3, "unit": "医药谷", "rank": 2, "move": "down", "delta": -3, "score": "87.5",
    "memo_url": "/ranking/memo/3/?month=2024-03", "on_red": False, "on_black": True,
    "why": [
        {"code": "closure_rate", "name": "诉求办结率", "measure": "%",
         "from": "50.0", "to": "87.5", "delta": "3.75"},
        {"code": "old_code", "from": None, "to": "10", "delta": "-1.50"},  # kept before names were frozen
    ],
    "ordered": [
        {"na": False, "url": "/service/requests/?handling_unit=3&date_from=2024-03-01", "num": "7",
         "den": "8", "value": "87.5", "points": "8.75", "met": True},
        {"na": True},
    ],
}  # fmt: skip


def test_a_row_shows_rank_move_unit_list_score_and_cells():
    with translation.override("en"):
        html = str(board_rows({"rows": [ROW]}, memo_links=True))
    assert html.startswith(
        '<tr class="black-list"><td>2 <span class="late" title="down 3 places">▼3</span></td>'
    )
    assert (
        '<a href="/ranking/memo/3/?month=2024-03">医药谷</a> <span class="badge badge-black">black list'
        in html
    )
    assert (
        '<summary>why it moved</summary><div class="small">诉求办结率 50.0% → 87.5%, points +3.75</div>'
        '<div class="small">old_code — → 10, points -1.50</div>'
    ) in html
    with translation.override("zh-hans"):
        assert "诉求办结率 50.0% → 87.5%，得分 +3.75" in str(board_rows({"rows": [ROW]}, memo_links=True))
    assert '<td class="num"><strong>87.5</strong></td>' in html
    assert (
        '<td class="num"><a href="/service/requests/?handling_unit=3&amp;date_from=2024-03-01" title="7 / 8">'
        '87.5</a><br><small class="ok">8.75</small></td>'
    ) in html
    assert html.endswith(
        '<td class="num"><span class="muted" title="nothing to measure: its weight goes to the other '
        'indicators">n/a</span></td></tr>'
    )
    with translation.override("en"):
        projected = str(board_rows({"rows": [ROW]}))  # the projector: no memo links, no reasons
    assert "<a href" not in projected.split('<td class="num">')[0] and "why it moved" not in projected


def test_what_a_row_shows_is_escaped():
    hostile = {
        **ROW,
        "unit": "<script>x</script>",
        "memo_url": '/m/?a="><b>',
        "ordered": [{**ROW["ordered"][0], "url": '/x/?a="><script>', "value": "<i>1</i>", "num": "<b>"}],
    }
    html = str(board_rows({"rows": [hostile]}, memo_links=True))
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "&quot;&gt;&lt;b&gt;" in html
    assert "&lt;i&gt;1&lt;/i&gt;" in html


def test_a_row_of_too_small_a_sample_and_a_cell_of_too_few_cases_say_so():
    row = {**ROW, "rank": None, "score": None, "insufficient": True, "move": "new", "delta": None,
           "ordered": [{"na": True, "few": True},
                       {"na": False, "url": "", "num": "1", "den": "2", "value": "50.0", "points": "5.00",
                        "met": False}]}  # fmt: skip
    with translation.override("en"):
        html = str(board_rows({"rows": [row]}, memo_links=False))
    assert '<td class="num"><strong><span class="muted" title="less than half of the group' in html
    assert ">Sample too small</span></strong></td>" in html
    assert 'title="too few cases to measure: its weight goes to the other indicators">n/a</span>' in html
    # a cell whose records the viewer may not open: the number, no link
    assert '<td class="num"><span title="1 / 2">50.0</span><br><small class="muted">5.00</small></td>' in html
