"""Fixtures shared by the campaign-4 tests: messages in the source language."""

import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert messages in the source language, whatever translations exist."""
    settings.LANGUAGE_CODE = "en"
