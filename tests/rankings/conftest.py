"""Fixtures shared by the ranking tests: a fresh working-day calendar for every test, English messages."""

import pytest

from apps.workdays.calendar import clear_cache


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The calendar is cached per process; request clocks must not depend on another test's calendar."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert messages in the source language, whatever translations exist."""
    settings.LANGUAGE_CODE = "en"
