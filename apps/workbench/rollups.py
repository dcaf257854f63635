"""Every campaign's roll-ups at once: rebuilt from the records, or compared with a rebuild.

Each campaign keeps its own roll-ups from its own services (apps/<campaign>/rollups.py); this is the one place
that knows all of them, for `manage.py rebuild_rollups` and the tests that hold the increments against it.
"""

from __future__ import annotations

from django.db import transaction

from apps.investment import rollups as investment
from apps.projects import rollups as projects
from apps.research import rollups as research
from apps.service import rollups as service

CAMPAIGNS = (service, projects, research, investment)


def models() -> list:
    """Every roll-up table's model, and the derived tables the campaigns keep in lower apps (data rebuilt
    from the records, never a record itself)."""
    return [
        *(rollup.model for campaign in CAMPAIGNS for rollup in campaign.ROLLUPS),
        *(model for campaign in CAMPAIGNS for model in getattr(campaign, "DERIVED", ())),
    ]


def rebuild() -> None:
    """Recompute every roll-up from the records."""
    with transaction.atomic():
        for campaign in CAMPAIGNS:
            campaign.rebuild()


def kept() -> dict[str, set]:
    """What every roll-up holds now."""
    result: dict[str, set] = {}
    for campaign in CAMPAIGNS:
        result |= campaign.kept()
    return result


class _RolledBack(Exception):
    """Leaves the rebuild's transaction without keeping it."""


def differences() -> dict[str, tuple[set, set]]:
    """Rebuild inside a transaction that is then rolled back, and compare: for each roll-up that differs, the
    rows only kept and the rows only rebuilt. Empty when the increments and the records agree."""
    before = kept()
    try:
        with transaction.atomic():
            for campaign in CAMPAIGNS:
                campaign.rebuild()
            after = kept()
            raise _RolledBack
    except _RolledBack:
        pass
    return {
        name: (before[name] - after[name], after[name] - before[name])
        for name in before
        if before[name] != after[name]
    }
