from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# The names and the source the calendar's data migration copied from the chinese-calendar package, which
# names holidays in English: kept as they are in the database, shown in the reader's language. A name or
# source an admin types in is shown as typed.
IMPORTED_TEXTS = [
    gettext_noop("New Year's Day"),
    gettext_noop("Spring Festival"),
    gettext_noop("Tomb-sweeping Day"),
    gettext_noop("Labour Day"),
    gettext_noop("Dragon Boat Festival"),
    gettext_noop("National Day"),
    gettext_noop("Mid-autumn Festival"),
    gettext_noop("Anti-Fascist 70th Day"),
    gettext_noop("chinese-calendar package"),
]


def imported_text(text: str) -> str:
    return _(text) if text in IMPORTED_TEXTS else text
