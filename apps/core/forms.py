"""Form machinery the apps share."""

from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, BaseInlineFormSet
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT, ManagementForm
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class CountedManagementForm:
    """For a formset whose management form must match the rows sent: a row count that is negative, not a
    number, smaller than the rows posted (`TOTAL_FORMS=-1` beside a typed row), larger than both the rows
    posted and `max_num` (a huge count made the page build a thousand empty rows), or an initial count
    outside 0…total is refused with a clear error — never read as "no rows", which saved the rest and
    dropped the typed rows without a word. The rows sent come back on the page, so nothing typed is lost;
    the view saves nothing because the formset is invalid."""

    tampering_message = _(
        "The form changed on its way here: the number of rows does not match the rows sent. Nothing was "
        "saved; check the rows below and save again."
    )

    def _rows_sent(self) -> int:
        """One more than the highest row index posted under this prefix (0 when none), at most one more
        than `absolute_max`: enough for Django's own "too many forms" check to fire."""
        start, highest = f"{self.prefix}-", -1
        for key in self.data:
            index, dash, _rest = key.removeprefix(start).partition("-")
            if key.startswith(start) and dash and index.isascii() and index.isdigit():
                highest = max(highest, int(index))
        return min(highest + 1, self.absolute_max + 1)

    @cached_property
    def tampered(self) -> bool:
        return self.is_bound and self.management_form is not self._sent_management_form

    @cached_property
    def _sent_management_form(self):
        form = ManagementForm(self.data, auto_id=self.auto_id, prefix=self.prefix, renderer=self.renderer)
        form.full_clean()
        return form

    @cached_property
    def management_form(self):
        """The management form sent when it matches the rows sent; else one that counts them (rendered
        back with the error, so the page posts a consistent count next time)."""
        if not self.is_bound:
            return super().management_form
        sent, rows = self._sent_management_form, self._rows_sent()
        total = sent.cleaned_data.get(TOTAL_FORM_COUNT) if sent.is_valid() else None
        initial = sent.cleaned_data.get(INITIAL_FORM_COUNT) if sent.is_valid() else None
        if (
            total is not None
            and initial is not None
            and 0 <= initial <= total
            and rows <= total <= max(rows, self.max_num)
        ):
            return sent
        total = rows
        initial = min(max(initial or 0, 0), total)
        prefix = self.prefix
        corrected = ManagementForm(
            {f"{prefix}-{TOTAL_FORM_COUNT}": total, f"{prefix}-{INITIAL_FORM_COUNT}": initial},
            auto_id=self.auto_id,
            prefix=prefix,
            renderer=self.renderer,
        )
        corrected.full_clean()
        return corrected

    def clean(self):
        super().clean()
        if self.tampered:
            raise ValidationError(self.tampering_message, code="tampered_management_form")


class CountedFormSet(CountedManagementForm, BaseFormSet):
    """A formset (visit requests, trip leads) that refuses a management form not matching the rows sent."""


class CountedInlineFormSet(CountedManagementForm, BaseInlineFormSet):
    """An inline formset (an enterprise's contacts) that refuses a management form not matching the rows
    sent."""
