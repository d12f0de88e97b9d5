from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension, UnaccentExtension
from django.db import migrations

# Status history is the record: PostgreSQL itself refuses to rewrite or delete it.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION recommendations_statuschange_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'recommendations_statuschange is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER statuschange_append_only
    BEFORE UPDATE OR DELETE ON recommendations_statuschange
    FOR EACH ROW EXECUTE FUNCTION recommendations_statuschange_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS statuschange_append_only ON recommendations_statuschange;
DROP FUNCTION IF EXISTS recommendations_statuschange_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0001_initial")]

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        BtreeGinExtension(),
        migrations.RunSQL(APPEND_ONLY, DROP_APPEND_ONLY),
    ]
