"""Stocks as of a period's end (the open pipeline by band, results in matching) read the current stage when
the period ends today or later, and give exactly what the events give for the same day."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.investment import selectors as investment
from apps.investment.models import Lead
from apps.research import selectors as research

from ..investment.factories import create as lead_create
from ..investment.factories import lead_at
from ..research.factories import catalogue, match_at

pytestmark = pytest.mark.django_db
STOCKS = ("pipeline_100m_plus", "pipeline_5bn_plus", "pipeline_1bn_to_5bn", "pipeline_100m_to_1bn")


def test_live_stocks_equal_the_stocks_from_the_events(staff_a, manager_a, monkeypatch):
    now = timezone.now()
    for expected, stage in (("600000", Lead.Stage.LEAD), ("150000", "negotiating"), ("20000", "signed")):
        lead = lead_create(staff_a, at=now - timedelta(days=30), expected_wan=Decimal(expected))
        if stage != Lead.Stage.LEAD:
            lead_at(lead, stage, manager_a, at=now - timedelta(days=5))
    match_at(catalogue(staff_a, on=date.today() - timedelta(days=20)), "contacted", staff_a)
    today = timezone.localdate()
    period = {"start": today - timedelta(days=60), "end": today}
    live = investment.investment_values(**period), research.research_values(**period)
    # the same day read through the events: pretend today is tomorrow, so `end` is in the past
    monkeypatch.setattr(timezone, "localdate", lambda: today + timedelta(days=1))
    from_events = investment.investment_values(**period), research.research_values(**period)
    assert [live[0][k] for k in STOCKS] == [from_events[0][k] for k in STOCKS] == [2, 1, 1, 0]
    assert live[1]["results_matching"] == from_events[1]["results_matching"]


def test_a_past_end_reads_the_events_of_the_leads_moved_since_and_the_stage_of_the_others(staff_a, manager_a):
    """Ten days ago: L1 was a lead (negotiating since 5 days ago: read from its events), L2 was negotiating
    (since 20 days ago: its stage now), L3 was signed 20 days ago (not open), L4 was open and dropped 3 days
    ago (open then)."""
    now = timezone.now()
    leads = {}
    for name, expected in (("L1", "600000"), ("L2", "150000"), ("L3", "20000"), ("L4", "20000")):
        leads[name] = lead_create(staff_a, at=now - timedelta(days=40), expected_wan=Decimal(expected))
    lead_at(leads["L1"], "negotiating", manager_a, at=now - timedelta(days=5))
    lead_at(leads["L2"], "negotiating", manager_a, at=now - timedelta(days=20))
    lead_at(leads["L3"], "signed", manager_a, at=now - timedelta(days=20))
    lead_at(leads["L4"], "dropped", manager_a, at=now - timedelta(days=3))
    end = timezone.localdate() - timedelta(days=10)
    values = investment.investment_values(start=end - timedelta(days=60), end=end)
    assert [values[k] for k in STOCKS] == [3, 1, 1, 1]  # L1 ≥ 50 亿, L2 10–50 亿, L4 1–10 亿
