"""Postings of frequent words per data version (`recommendations.postings`): a search for
one such word reads its row instead of matching and ranking every recommendation that
has it. Built by the background job after each data change; empty until then, when
searches read the search entries as before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0017_links_without_duplicate_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchPosting",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField()),
                ("term", models.TextField()),
                ("ids", models.BinaryField()),
                ("ranks", models.BinaryField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("version", "term"), name="search_posting_version_term")
                ],
            },
        ),
    ]
