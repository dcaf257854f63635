"""Only an open lead (lead, assessed, negotiating) can be past a handling limit: `stale_from` is cleared on
the leads that have left the open stages (signed, registered, started; production and dropped had none).
Back: the earliest of the limits they had not met, as `stale_from` said before (no assessment limit: they
were past the lead stage)."""

from django.db import migrations

OPEN_STAGES = "('lead', 'assessed', 'negotiating')"

FORWARD = f"""
    UPDATE investment_lead SET stale_from = NULL
    WHERE stage NOT IN {OPEN_STAGES} AND stale_from IS NOT NULL
"""
BACKWARD = """
    UPDATE investment_lead
    SET stale_from = LEAST(
        last_activity_at + INTERVAL '14 days',
        CASE WHEN responded_at IS NULL THEN respond_due END,
        CASE WHEN feedback_at IS NULL THEN feedback_due END
    )
    WHERE stage IN ('signed', 'registered', 'started')
"""


class Migration(migrations.Migration):
    dependencies = [("investment", "0006_lead_open_unit")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
