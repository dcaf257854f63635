"""The satisfaction indicator's definition says which rating it counts now that enterprises rate closures
themselves (issue #19): the enterprise's own where given, else the one staff entered. A new version of the
indicator, as an admin's change would make (published boards keep the definition they were frozen with)."""

from django.db import migrations
from django.forms.models import model_to_dict

CODE = "satisfaction"
OLD = "（满意 + 基本满意）÷ 有回访结果的诉求，限当月受理的诉求。"
NEW = (
    "（满意 + 基本满意）÷ 有回访结果的诉求，限当月受理的诉求。以企业本人通过企业端的评价为准；"
    "企业未自评的，计工作人员回访录入的评价。"
)


def _version(Version, indicator):
    data = model_to_dict(indicator)
    data = {k: (str(v) if not isinstance(v, (int, bool, list, type(None))) else v) for k, v in data.items()}
    Version.objects.create(indicator=indicator, version=indicator.version, data=data)


def forwards(apps, schema_editor):
    Indicator = apps.get_model("rankings", "Indicator")
    Version = apps.get_model("rankings", "IndicatorVersion")
    indicator = Indicator.objects.filter(code=CODE, definition=OLD).first()
    if indicator is None:  # an admin has reworded it: theirs stands
        return
    indicator.definition, indicator.version = NEW, indicator.version + 1
    indicator.save(update_fields=["definition", "version"])
    _version(Version, indicator)


def backwards(apps, schema_editor):
    Indicator = apps.get_model("rankings", "Indicator")
    Version = apps.get_model("rankings", "IndicatorVersion")
    indicator = Indicator.objects.filter(code=CODE, definition=NEW).first()
    if indicator is None:
        return
    Version.objects.filter(indicator=indicator, version=indicator.version).delete()
    indicator.definition, indicator.version = OLD, indicator.version - 1
    indicator.save(update_fields=["definition", "version"])


class Migration(migrations.Migration):
    dependencies = [("rankings", "0004_callback_verification_indicator")]

    operations = [migrations.RunPython(forwards, backwards)]
