"""A year's official notice typed in as date ranges: what each line means, and every kind of bad line named
by its number. Dataset: 2027, a year without a schedule (no stored days); 2 Jan 2027 is a Saturday."""

from datetime import date

import pytest

from apps.workdays.notice import notice_parse

HOLIDAY, WORKDAY = "holiday", "workday"

NOTICE_2027 = """
# 国务院办公厅关于2027年部分节假日安排的通知（试拟）
2027-01-01~2027-01-03 元旦
２０２７－０２－０６～２０２７－０２－１２　春节
2027-02-14 班
2027-02-20 春节调休上班
2027-10-01 至 2027-10-07 国庆节
"""


def test_a_notice_stores_the_weekdays_of_each_break_and_the_weekend_make_up_days():
    notice = notice_parse(NOTICE_2027, year=2027)

    assert notice.errors == []
    assert notice.schedule() == {
        date(2027, 1, 1): (HOLIDAY, "元旦"),  # Friday; 2–3 Jan are a weekend already
        date(2027, 2, 8): (HOLIDAY, "春节"),  # full-width digits, dash, tilde and space read as ASCII
        date(2027, 2, 9): (HOLIDAY, "春节"),
        date(2027, 2, 10): (HOLIDAY, "春节"),
        date(2027, 2, 11): (HOLIDAY, "春节"),
        date(2027, 2, 12): (HOLIDAY, "春节"),
        date(2027, 2, 14): (WORKDAY, ""),
        date(2027, 2, 20): (WORKDAY, "春节"),
        date(2027, 10, 1): (HOLIDAY, "国庆节"),
        date(2027, 10, 4): (HOLIDAY, "国庆节"),
        date(2027, 10, 5): (HOLIDAY, "国庆节"),
        date(2027, 10, 6): (HOLIDAY, "国庆节"),
        date(2027, 10, 7): (HOLIDAY, "国庆节"),
    }
    assert [line.number for line in notice.lines] == [3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        pytest.param("2027-02-30 假", ["Line 1: 2027-02-30 is not a date."], id="30-february"),
        pytest.param("2027-01-01~2027-13-01 假", ["Line 1: 2027-13-01 is not a date."], id="month-13"),
        pytest.param("0001-01-01 假", ["Line 1: the dates must fall in 2027."], id="year-one"),
        pytest.param(
            "2027-05-05~2027-05-01 劳动节", ["Line 1: the range ends before it starts."], id="reversed"
        ),
        pytest.param("2026-12-31~2027-01-01 元旦", ["Line 1: the dates must fall in 2027."], id="other-year"),
        pytest.param(
            "2027-01-01~2027-03-01 长假", ["Line 1: a range may span at most 31 days."], id="too-long"
        ),
        pytest.param(
            "2027-01-04 班",
            ["Line 1: a make-up working day must fall on a Saturday or Sunday."],
            id="make-up-on-a-monday",
        ),
        pytest.param(
            "2027-01-02~2027-01-03 周末",
            ["Line 1: the holiday falls on a weekend only, which is a day off already."],
            id="holiday-on-a-weekend",
        ),
        pytest.param(
            "元旦 1月1日",
            ["Line 1: “元旦 1月1日” is not “YYYY-MM-DD~YYYY-MM-DD name” or “YYYY-MM-DD 班”."],
            id="not-the-format",
        ),
        pytest.param(
            "2027-10-01 " + "节" * 51, ["Line 1: the name is longer than 50 characters."], id="name-too-long"
        ),
        pytest.param(
            "  \n# only a comment\n", ["The notice is empty: enter one date or range per line."], id="empty"
        ),
        pytest.param(
            "2027-10-01~2027-10-07 国庆节\n2027-05-01~2027-05-05 劳动节\n2027-10-07 国庆节",
            ["Lines 1 and 3 overlap (2027-10-07)."],
            id="overlap",
        ),
        pytest.param(
            "2027-10-01~2027-10-31 十月\n2027-10-04 甲\n2027-10-20 乙",
            ["Lines 1 and 2 overlap (2027-10-04).", "Lines 1 and 3 overlap (2027-10-20)."],
            id="two-lines-inside-a-long-one",
        ),
        pytest.param(
            "2027-02-30 假\n2027-01-01 元旦\n2027-01-04 班",
            [
                "Line 1: 2027-02-30 is not a date.",
                "Line 3: a make-up working day must fall on a Saturday or Sunday.",
            ],
            id="every-bad-line-is-named",
        ),
    ],
)
def test_a_bad_line_is_named_with_its_number(text, errors):
    assert notice_parse(text, year=2027).errors == errors


def test_a_nul_byte_is_dropped_not_stored():
    assert notice_parse("2027-10-01 国庆\x00节", year=2027).schedule() == {
        date(2027, 10, 1): (HOLIDAY, "国庆节")
    }
