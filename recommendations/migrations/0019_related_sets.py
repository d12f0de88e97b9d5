"""Related recommendations per data version (`recommendations.related`), computed by the
background job after each data change; until then pages compute them as before."""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0018_search_postings"),
    ]

    operations = [
        migrations.CreateModel(
            name="RelatedSet",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField()),
                ("recommendation_id", models.BigIntegerField()),
                ("others", django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), size=None)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("version", "recommendation_id"), name="related_set_version_recommendation"
                    )
                ],
            },
        ),
    ]
