"""R&D visits are campaign 1's visits: mark those that concern an R&D entity (this app links down)."""

from django.db import migrations

FORWARD = """
UPDATE service_visit v SET concerns = 'rd_entity' FROM research_entityvisit ev WHERE v.id = ev.visit_id;
"""
BACKWARD = "UPDATE service_visit SET concerns = 'enterprise' WHERE concerns = 'rd_entity';"


class Migration(migrations.Migration):
    dependencies = [("research", "0005_entity_visit_months_researchmonth_resultmonth"), ("service", "0008_requestduemonth_requestmonth_visitmonth_and_more")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
