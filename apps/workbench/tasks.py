"""The nightly check that every campaign's roll-ups equal a rebuild from the records.

A difference means an increment went wrong somewhere: the administrators get an alert (Django admin →
Background jobs → Alerts, an error in the log, and an e-mail to ADMINS where set). Nothing is repaired
automatically — `manage.py rebuild_rollups` does that, after someone has looked at why.
"""

from datetime import time, timedelta

from apps.jobs import job, periodic
from apps.jobs.services import alert_raise

from . import rollups


@job(max_attempts=2, backoff=timedelta(minutes=10))
def rollups_check() -> dict:
    """Compare the roll-ups with a rebuild (rolled back); returns {roll-up: [only kept, only rebuilt]}."""
    differences = rollups.differences()
    if differences:
        lines = [
            f"{name}: {len(only_kept)} rows only kept, {len(only_rebuilt)} only rebuilt"
            for name, (only_kept, only_rebuilt) in sorted(differences.items())
        ]
        alert_raise(
            message="The roll-ups differ from a rebuild (`manage.py rebuild_rollups --check` shows the rows;"
            " `manage.py rebuild_rollups` repairs them):\n" + "\n".join(lines)
        )
    return {name: [len(a), len(b)] for name, (a, b) in differences.items()}


periodic(rollups_check, at=time(2, 30), name="workbench.rollups_check")
