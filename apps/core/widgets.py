from django import forms


class DateInput(forms.DateInput):
    """A native date picker. It must receive ISO dates (YYYY-MM-DD) whatever the active language's format,
    or the browser shows it empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
