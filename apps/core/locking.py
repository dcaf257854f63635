"""Optimistic locking for edit forms: no lost update when two people edit the same record.

An edited model has `version = PositiveIntegerField(default=0, editable=False)`. The edit form carries the
version it was loaded with (`VersionedFormMixin`, a hidden field); the service locks the row, compares
(`check_version`) and saves with the version plus one. A stale save raises `EditConflict` and writes nothing,
so the other person's change stays; the view (`EditConflictMixin`) shows the form again with the stored
values and says why.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CONFLICT_MESSAGE = _(
    "Someone else saved this record while you were editing it. Your changes were not saved: the page now "
    "shows what is stored. Make your changes again and save."
)


class EditConflict(ValidationError):
    """The record changed after the user loaded the form."""

    def __init__(self, message=CONFLICT_MESSAGE):
        super().__init__(message, code="conflict")


def check_version(locked, expected_version: int | None) -> None:
    """`locked` is the row read with select_for_update(); `expected_version` is what the form was loaded
    with, None when the client sent none (a script: saved without the check)."""
    if expected_version is not None and locked.version != expected_version:
        raise EditConflict


class VersionedFormMixin:
    """For a ModelForm of a versioned model: the hidden `version` field. Once the form is valid,
    `expected_version` holds it for the service (and `cleaned_data` no longer does)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_version: int | None = None
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput,
            required=False,
            min_value=0,
            initial=self.instance.version if self.instance.pk else None,
        )

    def clean(self):
        data = super().clean()
        version = data.pop("version", None)
        self.expected_version = version if self.instance.pk else None
        return data


class EditConflictMixin:
    """For edit views whose `get` renders the form from the edited record."""

    def conflict(self, request, record):
        """Answer a stale save: the form as the record is now stored, and the conflict message."""
        messages.error(request, CONFLICT_MESSAGE)
        record.refresh_from_db()  # the bound form had copied the user's values onto it
        return self.get(request)
