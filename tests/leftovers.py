"""Tests share one committed database: a job a test leaves runnable would be run by another test's sweep
(tests.flow.run_due_jobs runs every due job). Outbound tests cancel what they leave behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from domain.db import transaction
from engine.models import Job, JobStatus


@pytest.fixture
def no_leftover_jobs(world: None) -> Iterator[None]:
    """Cancel the mail and webhook jobs made during the test that are still waiting to run."""
    with transaction() as session:
        before = session.scalar(select(func.max(Job.id))) or 0
    yield
    with transaction() as session:
        session.execute(update(Job).where(Job.id > before, Job.kind.in_(("mail", "webhook")),
                                          Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING)))
                        .values(status=JobStatus.CANCELLED, locked_by=None, locked_until=None))
