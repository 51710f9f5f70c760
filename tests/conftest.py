"""Shared fixtures: a real, migrated database per test run; each test in a rolled-back transaction.

FLOWDESK_TEST_DATABASE_URL picks the database (default: a fresh SQLite file). For PostgreSQL the
fixture creates a throw-away database named after the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine


def _pg_admin_url(url: str) -> str:
    base, _, _db = url.rpartition("/")
    return base + "/postgres"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("FLOWDESK_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'flowdesk-test.db'}"
        return
    if url.startswith("postgresql"):
        name = f"flowdesk_test_{uuid.uuid4().hex[:8]}"
        admin = create_engine(_pg_admin_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.rpartition("/")[0] + "/" + name
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    yield url


@pytest.fixture(scope="session")
def db_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a migrated database; also installed as the process-wide engine."""
    from flowdesk.migrate import upgrade_database

    upgrade_database(database_url)
    engine = make_engine(database_url)
    os.environ["FLOWDESK_DATABASE_URL"] = database_url
    from domain import db
    from domain.settings import get_settings

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (services flush, never commit)."""
    conn = db_engine.connect()
    outer = conn.begin()
    sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        outer.rollback()  # under the session's feet: its rollback hooks do not see this
        conn.close()
        from engine import store

        store.clear_cache()


@pytest.fixture
def committing_sessionmaker(db_engine: Engine) -> sessionmaker[Session]:
    """For tests of real transactions and concurrency: their data is committed (use unique keys)."""
    return sessionmaker(bind=db_engine, expire_on_commit=False)


@pytest.fixture(scope="session")
def world(db_engine: Engine) -> None:
    """Demo users (password 'demo'), customers, items with stock, and processes/ deployed."""
    from domain.db import transaction
    from domain.identity.models import User
    from engine import store
    from engine.deployment import deploy
    from flowdesk.demo import process_bundle, seed_master_data, seed_users

    store.clear_cache()
    with transaction() as session:
        if session.scalar(select(User.id).where(User.username == "admin")) is None:
            seed_users(session)
            seed_master_data(session)
        deploy(session=session, files=process_bundle(), actor="owner")


class MovableClock:
    """Flowdesk's clock, stopped at a time the test moves forward."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def moving_clock() -> Iterator[MovableClock]:
    """Time moved by the test, never slept."""

    from domain import clock

    fake = MovableClock()
    start = fake.now
    clock.set_clock(lambda: fake.now)
    try:
        yield fake
    finally:
        clock.reset_clock()
        _cancel_jobs_made_since(start)


def _cancel_jobs_made_since(start: object) -> None:
    """Jobs a moved clock left pending would all be due on the real clock: they must not fire in later tests."""
    from datetime import timedelta

    from sqlalchemy import update

    from domain import clock
    from domain.db import transaction
    from engine.models import Job, JobStatus

    with transaction() as session:
        session.execute(update(Job).where(Job.status == JobStatus.PENDING, Job.created_at >= start,
                                          Job.created_at < clock.now() - timedelta(days=1))
                        .values(status=JobStatus.CANCELLED))
