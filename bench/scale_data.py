"""Scale a database holding the real import up to N recommendations with synthetic copies.

    .venv/bin/python bench/scale_data.py [--target 300000] [--database upr_portal_webbench]

Copy k (k = 1, 2, …) repeats every real review as a new review of the same State and
mechanism at session + 100·k (cycle kept, date + 5·k years; a review without a session
gets ` #synthetic-k` appended to its symbol), with all of that review's recommendations:
same text, position, status and links (recommending States, themes, affected groups, SDG
goals and targets, responsible institutions), fresh UUID codes, and the search and facet
columns copied from the source rows with f_session/f_date adjusted (so no reindex pass is
needed; PostgreSQL generates the tsvector). The last copy stops at exactly N. Everything
is INSERT … SELECT in one transaction; then the data version is bumped (caches keyed by it
go stale) and the tables are analysed.

Only for benchmark databases: it refuses a database whose name does not contain "bench"
unless --force is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSION_STEP = 100
YEARS_STEP = 5
MARK = " #synthetic-"

# Real rows: reviews below the first synthetic session whose symbol carries no mark.
REAL_REVIEWS = f"""
    SELECT id FROM recommendations_review
    WHERE (session IS NULL OR session < {SESSION_STEP}) AND position('{MARK}' in symbol) = 0
"""

LINK_TABLES = (  # (table, the other column): many-to-many links copied with the rows
    ("recommendations_recommendation_recommending_states", "state_id"),
    ("recommendations_recommendation_themes", "theme_id"),
    ("recommendations_recommendation_affected_groups", "affectedgroup_id"),
    ("recommendations_recommendation_sdg_goals", "sdggoal_id"),
    ("recommendations_recommendation_sdg_targets", "sdgtarget_id"),
)


def setup_django(database: str | None) -> None:
    if database:
        import dj_database_url

        config = dj_database_url.parse(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres")
        auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
        os.environ["DATABASE_URL"] = f"postgres://{auth}@{config['HOST']}:{config['PORT'] or 5432}/{database}"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "upr_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def recommendation_columns() -> list[str]:
    """Columns written by INSERT (the generated tsvector is left to PostgreSQL)."""
    from django.db.models import GeneratedField

    from recommendations.models import Recommendation

    return [
        field.column
        for field in Recommendation._meta.concrete_fields
        if not isinstance(field, GeneratedField) and field.column != "id"
    ]


OVERRIDES = {  # column -> expression over the source row `r` and the copy number %(k)s
    "code": "gen_random_uuid()",
    "review_id": "rm.new_id",
    "f_session": f"r.f_session + {SESSION_STEP} * %(k)s",
    "f_date": f"r.f_date + make_interval(years => {YEARS_STEP} * %(k)s)",
    "external_id": "CASE WHEN r.external_id = '' THEN '' ELSE left(r.external_id, 50) || '#s' || %(k)s END",
    "former_codes": "'{}'",
    "created_at": "now()",
    "updated_at": "now()",
}


def copy_once(cursor, k: int, limit: int | None) -> int:
    """Copy k of the real recommendations (the first `limit` by id when given)."""
    params = {"k": k, "limit": limit}
    cursor.execute("DROP TABLE IF EXISTS scale_recs, scale_reviews")
    cursor.execute(
        f"""
        CREATE TEMP TABLE scale_recs AS
        SELECT r.id AS old_id, r.review_id AS old_review,
               nextval(pg_get_serial_sequence('recommendations_recommendation', 'id')) AS new_id
        FROM (SELECT id, review_id FROM recommendations_recommendation
              WHERE review_id IN ({REAL_REVIEWS}) ORDER BY id LIMIT %(limit)s) AS r
        """,
        params,
    )
    cursor.execute(
        """
        CREATE TEMP TABLE scale_reviews AS
        SELECT old_review AS old_id, nextval(pg_get_serial_sequence('recommendations_review', 'id')) AS new_id
        FROM (SELECT DISTINCT old_review FROM scale_recs) AS d
        """
    )
    cursor.execute(
        f"""
        INSERT INTO recommendations_review (id, mechanism_id, state_id, cycle, session, date, symbol, document_symbols)
        SELECT m.new_id, r.mechanism_id, r.state_id, r.cycle, r.session + {SESSION_STEP} * %(k)s,
               r.date + make_interval(years => {YEARS_STEP} * %(k)s),
               CASE WHEN r.session IS NULL THEN r.symbol || '{MARK}' || %(k)s ELSE r.symbol END,
               r.document_symbols
        FROM scale_reviews m JOIN recommendations_review r ON r.id = m.old_id
        """,
        params,
    )
    columns = recommendation_columns()
    values = ", ".join(OVERRIDES.get(column, f"r.{column}") for column in columns)
    cursor.execute(
        f"""
        INSERT INTO recommendations_recommendation (id, {", ".join(columns)})
        SELECT s.new_id, {values}
        FROM scale_recs s
        JOIN recommendations_recommendation r ON r.id = s.old_id
        JOIN scale_reviews rm ON rm.old_id = s.old_review
        """,
        params,
    )
    created = cursor.rowcount
    cursor.execute(
        """
        INSERT INTO recommendations_searchentry (recommendation_id, vector)
        SELECT s.new_id, e.vector FROM recommendations_searchentry e JOIN scale_recs s ON s.old_id = e.recommendation_id
        """
    )
    for table, other in LINK_TABLES:
        cursor.execute(
            f"""
            INSERT INTO {table} (recommendation_id, {other})
            SELECT s.new_id, l.{other} FROM {table} l JOIN scale_recs s ON s.old_id = l.recommendation_id
            """
        )
    cursor.execute(
        """
        INSERT INTO recommendations_responsibility
               (recommendation_id, organisation_id, role, assigned_at, assigned_by_id)
        SELECT s.new_id, l.organisation_id, l.role, l.assigned_at, l.assigned_by_id
        FROM recommendations_responsibility l JOIN scale_recs s ON s.old_id = l.recommendation_id
        """
    )
    return created


def scale(target: int) -> dict:
    from django.db import connection, transaction

    from recommendations.indexing import bump_version

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM recommendations_recommendation WHERE review_id IN ({REAL_REVIEWS})")
        real = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM recommendations_recommendation")
        before = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT coalesce(max(session / {SESSION_STEP}), 0) FROM recommendations_review"
            f" WHERE session >= {SESSION_STEP}"
        )
        last_copy = cursor.fetchone()[0]
    if real == 0:
        raise SystemExit("No real recommendations to copy: import the data first.")
    made, copies, total = 0, 0, before
    with transaction.atomic(), connection.cursor() as cursor:
        k = last_copy
        while total < target:
            k += 1
            if k * SESSION_STEP + 99 > 32767:
                raise SystemExit("Too many copies for the session column; lower --target.")
            created = copy_once(cursor, k, min(real, target - total))
            made, total, copies = made + created, total + created, copies + 1
            print(f"  copy {k}: {created:,} recommendations (total {total:,})", flush=True)
        if made:
            bump_version()
    inserted = time.perf_counter() - started
    if made:
        with connection.cursor() as cursor:
            for table in ("recommendations_recommendation", "recommendations_review", *(t for t, _ in LINK_TABLES)):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
    return {
        "real": real,
        "before": before,
        "after": total,
        "created": made,
        "copies": copies,
        "insert_seconds": round(inserted, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", type=int, default=300_000, help="recommendations wanted in all (default 300,000)")
    parser.add_argument("--database", help="database name on the DATABASE_URL server (default: DATABASE_URL's)")
    parser.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    args = parser.parse_args()
    setup_django(args.database)
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if "bench" not in name and not args.force:
        raise SystemExit(f"Refusing to add synthetic data to {name!r} (not a benchmark database); --force overrides.")
    print(f"Scaling {name} to {args.target:,} recommendations", flush=True)
    report = scale(args.target)
    print(
        f"{report['real']:,} real recommendations; {report['before']:,} before, {report['after']:,} after: "
        f"{report['created']:,} created in {report['copies']} copies, "
        f"{report['insert_seconds']} s to insert, {report['seconds']} s with VACUUM ANALYZE"
    )


if __name__ == "__main__":
    main()
