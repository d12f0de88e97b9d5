"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connections
from django.utils import translation

from recommendations import facet_index
from stakeholders.models import MembershipRole, OrganisationKind
from tests.stakeholders.factories import MembershipFactory, OrganisationFactory
from upr_portal.celery import app as celery_app

TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_url() -> str:
    """`make test` exports REDIS_URL (database 15); a bare `pytest` uses database 15 too."""
    return os.environ.get("REDIS_URL") or TEST_REDIS_URL


def _require_redis(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {url} is not reachable ({exc}); start it with `make redis`.")
    return client


def service_unavailable(message: str) -> None:
    """A service a test needs is missing: skip on a developer's machine, fail in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


def _point_app_at(app, broker_url: str, transport_options: dict) -> None:
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = transport_options
    # Connection and producer pools are built once from the configuration: drop them
    # (as Celery itself does after a fork) so that the next message uses the new broker.
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def _close_db_connections(**kwargs) -> None:
    # Runs in the worker thread: its connections would keep the test database open.
    connections.close_all()


@pytest.fixture
def celery_worker_redis():
    """A real Celery worker (a thread, solo pool) consuming from a real Redis broker.

    Tasks run in the worker thread with their own database connections, so tests that use
    this fixture need `@pytest.mark.django_db(transaction=True, serialized_rollback=True)`
    (the second keeps the States and reference data that migrations seed) and
    `@pytest.mark.worker`.
    Every use gets its own key prefix in Redis, so parallel test processes (pytest -n)
    never take each other's jobs. Without Redis the test is skipped, or fails when CI=true.
    """
    url = _redis_url()
    client = _require_redis(url)
    saved = (celery_app.conf.broker_url, dict(celery_app.conf.broker_transport_options or {}))
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    _point_app_at(celery_app, url, {"global_keyprefix": prefix, "visibility_timeout": 300})
    signals.task_postrun.connect(_close_db_connections, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
            yield worker
    finally:
        signals.task_postrun.disconnect(_close_db_connections)
        _point_app_at(celery_app, *saved)
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hashing test users' passwords the production way costs ~0.3 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Start and end every test in the default language.

    A request to a language-prefixed URL activates that language in the test's thread and
    Django never deactivates it, so without this a test's messages depend on which test ran
    before it in the same worker.
    """
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test gets an empty local-memory cache of its own.

    Caches are keyed on the data version, which every test's rollback rewinds, so a value
    cached by one test must not be read by the next. Clearing a shared Redis instead would
    also wipe the Celery queues of tests running in parallel (same Redis database).
    """
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(uuid.uuid4())}
    }
    facet_index.forget()  # this process's copy of the facet index: keyed on the version too
    yield
    facet_index.forget()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests end by emptying every table, the States, mechanisms and SDGs
    that migrations seed included; `serialized_rollback` should restore them but does not
    reliably across test modules, so seed them again (idempotently) when missing."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from recommendations.data.reference import seed_mechanisms, seed_sdgs
    from recommendations.models import Mechanism, SdgGoal, SdgTarget
    from stakeholders.data.states import seed_states
    from stakeholders.models import State, StateAlias

    if not State.objects.exists():
        seed_states(State, StateAlias)
    if not Mechanism.objects.exists():
        seed_mechanisms(Mechanism)
    if not SdgGoal.objects.exists():
        seed_sdgs(SdgGoal, SdgTarget)


# --- Organisations many tests share (a transactional test gets them in its transactional db) ---


@pytest.fixture
def justice(db):
    return OrganisationFactory(slug="ministry-of-justice", name="Ministry of Justice", kind=OrganisationKind.GOVERNMENT)


@pytest.fixture
def health(db):
    return OrganisationFactory(slug="ministry-of-health", name="Ministry of Health", kind=OrganisationKind.GOVERNMENT)


@pytest.fixture
def manager(justice):
    """The Ministry of Justice's manager."""
    return MembershipFactory(
        user__email="manager@justice.example.org",
        user__first_name="Grace",
        user__last_name="Eze",
        organisation=justice,
        role=MembershipRole.MANAGER,
    ).user
