"""Remove the kept-figures layer of the former `figures` app from databases that have it.

Its roll-ups now live in each campaign app (kept by the services, backfilled by workbench 0001), its kept
results and their triggers are gone. The triggers were installed outside migrations, on every table the
figures read: they must go before anything else is written, or every write would call a dropped sequence.
Dropping their functions with CASCADE drops every trigger that calls them, whatever table it is on. On a new
database there is nothing to drop.
"""

from django.db import migrations

DROP = """
DROP FUNCTION IF EXISTS figures_touch() CASCADE;
DROP FUNCTION IF EXISTS figures_coverage_of_months() CASCADE;
DROP FUNCTION IF EXISTS figures_coverage_of_enterprises() CASCADE;
DROP FUNCTION IF EXISTS figures_refresh_coverage(bigint[]) CASCADE;
DROP SEQUENCE IF EXISTS figures_generation;
DROP TABLE IF EXISTS figures_requestmonth, figures_requestduemonth, figures_visitmonth,
    figures_enterprisevisitmonth, figures_enterprisecoverage, figures_projectmonth, figures_computedfigures
    CASCADE;
DELETE FROM django_migrations WHERE app = 'figures';
CREATE TEMPORARY TABLE figures_types ON COMMIT DROP AS
    SELECT id FROM django_content_type WHERE app_label = 'figures';
CREATE TEMPORARY TABLE figures_permissions ON COMMIT DROP AS
    SELECT id FROM auth_permission WHERE content_type_id IN (SELECT id FROM figures_types);
DELETE FROM auth_group_permissions WHERE permission_id IN (SELECT id FROM figures_permissions);
DELETE FROM accounts_user_user_permissions WHERE permission_id IN (SELECT id FROM figures_permissions);
DELETE FROM auth_permission WHERE id IN (SELECT id FROM figures_permissions);
UPDATE django_admin_log SET content_type_id = NULL WHERE content_type_id IN (SELECT id FROM figures_types);
DELETE FROM django_content_type WHERE id IN (SELECT id FROM figures_types);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("accounts", "0001_initial"),  # its users' own permissions are cleared too
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    # what it removes was computed from the records and cannot be put back: nothing to undo
    operations = [migrations.RunSQL(DROP, migrations.RunSQL.noop)]
