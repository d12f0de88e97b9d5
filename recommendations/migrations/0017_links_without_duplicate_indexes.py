"""Each many-to-many link table had two indexes that start with `recommendation_id`:
Django's index on the column and the unique (recommendation_id, other_id) pair. The pair
serves every lookup by recommendation (and the foreign-key checks of a deleted
recommendation), so the single-column one is dropped: an import writes ~90k links per
30k recommendations, each kept in every index of its table. Django does not track these
automatic indexes in its migration state; the names are the ones it generates."""

from django.db import migrations

LINK_INDEXES = {
    "recommendations_recommendation_recommending_states": "recommendations_recommenda_recommendation_id_952e15f5",
    "recommendations_recommendation_themes": "recommendations_recommenda_recommendation_id_0c233dd5",
    "recommendations_recommendation_affected_groups": "recommendations_recommenda_recommendation_id_da7be980",
    "recommendations_recommendation_sdg_goals": "recommendations_recommenda_recommendation_id_195579de",
    "recommendations_recommendation_sdg_targets": "recommendations_recommenda_recommendation_id_11f56931",
}

DROP = "\n".join(f"DROP INDEX IF EXISTS {index};" for index in LINK_INDEXES.values())
CREATE = "\n".join(
    f"CREATE INDEX IF NOT EXISTS {index} ON {table} (recommendation_id);" for table, index in LINK_INDEXES.items()
)


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0016_import_writes_fewer_indexes")]

    operations = [migrations.RunSQL(DROP, CREATE)]
