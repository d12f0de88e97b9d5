from django.db import migrations

from recommendations.data.reference import seed_mechanisms, seed_sdgs


def seed(apps, schema_editor):
    seed_mechanisms(apps.get_model("recommendations", "Mechanism"))
    seed_sdgs(apps.get_model("recommendations", "SdgGoal"), apps.get_model("recommendations", "SdgTarget"))


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0002_extensions_and_history_guard")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
