"""Seed the 193 UN member States and the two observer States, with their aliases."""

from django.db import migrations

from stakeholders.data.states import seed_states


def seed(apps, schema_editor):
    seed_states(apps.get_model("stakeholders", "State"), apps.get_model("stakeholders", "StateAlias"))


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
