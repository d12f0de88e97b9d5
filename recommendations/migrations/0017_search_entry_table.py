"""From `SearchDocument` (0015: the document and a generated tsvector in their own table)
to `SearchEntry` (the tsvector alone, written by whoever writes the document): the
search document goes back on the recommendation, where the facet index and the import
read and write it with the other index columns, and an import computes the tsvectors
on a second connection instead of in its own transaction (`indexing.SearchVectors`)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0016_drop_facet_count")]

    operations = [
        migrations.AddField(
            model_name="recommendation",
            name="search_document",
            field=models.TextField(blank=True, default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunSQL(
            sql="UPDATE recommendations_recommendation AS r SET search_document = s.document "
            "FROM recommendations_searchdocument AS s WHERE s.recommendation_id = r.id",
            reverse_sql="INSERT INTO recommendations_searchdocument (recommendation_id, document) "
            "SELECT id, search_document FROM recommendations_recommendation",
        ),
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "recommendation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search",
                        serialize=False,
                        to="recommendations.recommendation",
                    ),
                ),
                ("vector", django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        migrations.RunSQL(
            sql="INSERT INTO recommendations_searchentry (recommendation_id, vector) "
            "SELECT recommendation_id, vector FROM recommendations_searchdocument",
            reverse_sql=migrations.RunSQL.noop,  # the generated column comes back computed
        ),
        migrations.DeleteModel(name="SearchDocument"),
        migrations.AddIndex(
            model_name="searchentry",
            index=django.contrib.postgres.indexes.GinIndex(fields=["vector"], name="search_entry_vector"),
        ),
    ]
