import pytest

from apps.workdays.calendar import clear_cache


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The calendar is cached per process; a test that edits it must not leak into the next one."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert messages in the source language, whatever translations exist."""
    settings.LANGUAGE_CODE = "en"
