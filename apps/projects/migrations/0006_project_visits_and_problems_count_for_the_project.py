"""Project visits and problems are campaign 1's visits and requests: mark those that concern a project, with
the project's unit, so that campaign 1's roll-ups count them for it (this app links down, so it says so)."""

from django.db import migrations

FORWARD = """
UPDATE service_request r SET concerns = 'project', counts_for_id = p.unit_id
  FROM projects_projectproblem pp JOIN projects_project p ON p.id = pp.project_id
 WHERE r.id = pp.request_id;
UPDATE service_visit v SET concerns = 'project', counts_for_id = p.unit_id
  FROM projects_projectvisit pv JOIN projects_project p ON p.id = pv.project_id
 WHERE v.id = pv.visit_id;
"""
BACKWARD = """
UPDATE service_request SET concerns = 'enterprise', counts_for_id = NULL WHERE concerns = 'project';
UPDATE service_visit SET concerns = 'enterprise', counts_for_id = NULL WHERE concerns = 'project';
"""


class Migration(migrations.Migration):
    dependencies = [("projects", "0005_yearplan_reported_months_projectmonth"), ("service", "0008_requestduemonth_requestmonth_visitmonth_and_more")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
