"""Generated customer codes stay unique when two sessions create customers at the same time."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy.orm import Session, sessionmaker

from domain.crm.schemas import CustomerCreate
from domain.crm.service import create_customer


def _create_concurrently(factory: sessionmaker[Session], count: int) -> list[tuple[int, str]]:
    barrier = threading.Barrier(count)
    results: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with factory() as session:
                barrier.wait(timeout=10)
                customer = create_customer(session=session, data=CustomerCreate(name=f"Race {uuid.uuid4().hex}"))
                session.commit()
                results.append((customer.id, customer.code))
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_concurrent_creates_get_distinct_codes_from_their_ids(committing_sessionmaker: sessionmaker[Session]) -> None:
    results = _create_concurrently(committing_sessionmaker, 2) + _create_concurrently(committing_sessionmaker, 2)

    assert len({code for _, code in results}) == 4
    assert all(code == f"C{id_:06d}" for id_, code in results)
