from django import forms

from .models import DEFAULTS, PREFERENCE_CHANNELS, Event, wants


def field_name(event: str, channel: str) -> str:
    return f"{event}__{channel}"


class PreferencesForm(forms.Form):
    """One check box per event and channel (e-mail; the unit's robots), starting from what the user saved."""

    def __init__(self, *args, saved: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for event in Event:
            for channel in PREFERENCE_CHANNELS:
                self.fields[field_name(event, channel)] = forms.BooleanField(
                    label=event.label, required=False, initial=wants(saved, event, channel)
                )

    def rows(self):
        """(event label, e-mail box, robot box) per event, for the page's table."""
        return [(event.label, *(self[field_name(event, c)] for c in PREFERENCE_CHANNELS)) for event in Event]

    def choices(self) -> dict[str, dict[str, bool]]:
        return {
            event: {channel: self.cleaned_data[field_name(event, channel)] for channel in PREFERENCE_CHANNELS}
            for event in DEFAULTS
        }
