from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CalendarYear
from .notice import Notice, notice_parse

EXAMPLE = "2027-01-01~2027-01-03 元旦\n2027-02-06~2027-02-12 春节\n2027-02-14 班"


class NoticeForm(forms.Form):
    """A year's official notice as date ranges (see notice.py for the format)."""

    text = forms.CharField(
        label=_("holidays and make-up working days"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 60, "placeholder": EXAMPLE, "spellcheck": "false"}),
        help_text=_(
            "One line each: a holiday break as “first~last name” (its weekdays become holidays), a make-up "
            "working day as “date 班”. The notice replaces the year's whole schedule."
        ),
    )
    source = forms.CharField(
        label=_("source"),
        max_length=CalendarYear._meta.get_field("source").max_length,
        required=False,
        help_text=_("e.g. the notice's number: 国办发明电〔2026〕X号"),
    )
    entered = forms.BooleanField(
        label=_("this is the year's whole schedule (schedule entered)"), required=False, initial=True
    )

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_text(self) -> Notice:
        notice = notice_parse(self.cleaned_data["text"], year=self.year)
        if notice.errors:
            raise forms.ValidationError(notice.errors)
        return notice


def notice_text(grid) -> str:
    """The stored schedule of a year grid as notice lines, so that the form opens on what is saved and
    applying it unchanged moves no deadline (names are written as the reader sees them): each holiday
    break from its first to its last day off (split where the holiday's name changes), each make-up
    working day on a line of its own."""
    lines, run = [], []
    days = [d for month in grid.months for week in month.weeks for d in week if d is not None]
    for day in [*days, None]:
        if day is not None and day.is_off:
            run.append(day)
            continue
        holidays = [d for d in run if d.kind == "holiday"]
        groups: list[list] = []
        for d in holidays:
            if groups and groups[-1][-1].name == d.name:
                groups[-1].append(d)
            else:
                groups.append([d])
        for index, group in enumerate(groups):
            first = run[0] if index == 0 else group[0]
            last = run[-1] if index == len(groups) - 1 else group[-1]
            span = (
                first.date.isoformat()
                if first is last
                else f"{first.date.isoformat()}~{last.date.isoformat()}"
            )
            lines.append((first.date, f"{span} {group[0].name}".rstrip()))
        run = []
        if day is not None and day.kind == "makeup":
            lines.append((day.date, f"{day.date.isoformat()} {day.name} 班".replace("  ", " ")))
    return "\n".join(line for _, line in sorted(lines))
