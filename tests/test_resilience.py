"""The site keeps answering when Redis is gone or PostgreSQL drops its connections."""

import pytest
from django.core.cache import cache
from django.db import close_old_connections, connection, connections

from upr_portal.celery import app as celery_app


@pytest.fixture
def persistent_connections():
    """Connections kept between requests, as in production (CONN_MAX_AGE=60)."""
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60
    yield
    connection.settings_dict["CONN_MAX_AGE"] = saved


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("persistent_connections")
def test_a_dropped_database_connection_costs_a_reconnect_not_an_error(client):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert client.get("/health/").status_code == 200
    connection.ensure_connection()
    backend_pid = connection.connection.get_backend_pid()

    other = connections.create_connection("default")
    with other.cursor() as cursor:  # as a PostgreSQL restart would
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    other.close()

    # What Django's request handler does at the start of every request (the test client
    # skips it): with CONN_HEALTH_CHECKS the dead connection is noticed and replaced.
    close_old_connections()
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert connection.connection.get_backend_pid() != backend_pid


@pytest.mark.django_db
def test_an_unreachable_redis_cache_degrades_to_misses(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    settings.DJANGO_REDIS_IGNORE_EXCEPTIONS = True

    cache.set("key", "value")

    assert cache.get("key") is None
    assert client.get("/en/recommendations/").status_code == 200
    assert client.get("/en/").status_code == 200


def test_celery_acknowledges_late_and_requeues_jobs_of_dead_workers():
    conf = celery_app.conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
