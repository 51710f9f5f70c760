"""Migration 0008 turns invoice-bound payments into customer payments with one allocation each, and back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from domain.db import make_engine
from flowdesk.migrate import alembic_config, upgrade_database

CUSTOMER = ("INSERT INTO customer (id, code, name, tier, credit_limit, currency, payment_terms_days, created_at)"
            " VALUES (:id, :code, 'Old Co', 'regular', 0, 'CNY', 30, '2025-01-01 00:00:00')")
INVOICE = ("INSERT INTO invoice (id, number, customer_id, currency, issue_date, due_date, total, created_at)"
           " VALUES (:id, :number, :customer_id, 'CNY', '2025-01-05', '2025-02-04', :total, '2025-01-05 00:00:00')")
PAYMENT = ("INSERT INTO payment (id, invoice_id, amount, paid_on, reference, created_at)"
           " VALUES (:id, :invoice_id, :amount, :paid_on, :reference, '2025-02-01 00:00:00')")


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend the tests run on."""
    url = os.environ.get("FLOWDESK_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'finance-migration.db'}"
        return
    name = f"flowdesk_finmig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.rpartition("/")[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rpartition("/")[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def old_payments(fresh_url: str) -> Iterator[Engine]:
    """A database at 0007 holding two customers' invoices and invoice-bound payments (one reference repeated)."""
    upgrade_database(fresh_url, "0007")
    engine = make_engine(fresh_url)
    with engine.begin() as conn:
        for cid in (1, 2):
            conn.execute(text(CUSTOMER), {"id": cid, "code": f"C-OLD-{cid}"})
        conn.execute(text(INVOICE), [{"id": 10, "number": "INV-10", "customer_id": 1, "total": "100.00"},
                                     {"id": 11, "number": "INV-11", "customer_id": 1, "total": "50.00"},
                                     {"id": 20, "number": "INV-20", "customer_id": 2, "total": "80.00"}])
        conn.execute(text(PAYMENT), [
            {"id": 1, "invoice_id": 10, "amount": "60.00", "paid_on": "2025-02-01", "reference": "TT-1"},
            {"id": 2, "invoice_id": 10, "amount": "40.00", "paid_on": "2025-02-03", "reference": ""},
            {"id": 3, "invoice_id": 11, "amount": "20.00", "paid_on": "2025-02-04", "reference": "TT-1"},
            {"id": 4, "invoice_id": 20, "amount": "80.00", "paid_on": "2025-02-05", "reference": "TT-1"},
        ])
    yield engine
    engine.dispose()


def test_old_payments_become_customer_payments_each_fully_allocated(fresh_url: str, old_payments: Engine) -> None:
    upgrade_database(fresh_url, "0008")

    with old_payments.connect() as conn:
        payments = conn.execute(text("SELECT id, customer_id, currency, method FROM payment ORDER BY id")).all()
        allocations = conn.execute(text(
            "SELECT payment_id, invoice_id, amount, allocated_on FROM payment_allocation ORDER BY payment_id")).all()
    assert [tuple(p) for p in payments] == [(1, 1, "CNY", "bank_transfer"), (2, 1, "CNY", "bank_transfer"),
                                            (3, 1, "CNY", "bank_transfer"), (4, 2, "CNY", "bank_transfer")]
    assert [(a[0], a[1], f"{float(a[2]):.2f}", str(a[3])) for a in allocations] == [
        (1, 10, "60.00", "2025-02-01"), (2, 10, "40.00", "2025-02-03"), (3, 11, "20.00", "2025-02-04"),
        (4, 20, "80.00", "2025-02-05")]


def test_a_reference_repeated_by_one_customer_is_kept_once_and_suffixed_after(
    fresh_url: str, old_payments: Engine
) -> None:
    upgrade_database(fresh_url, "0008")

    with old_payments.connect() as conn:
        references = conn.execute(text("SELECT id, reference FROM payment ORDER BY id")).all()
    assert [tuple(r) for r in references] == [(1, "TT-1"), (2, ""), (3, "TT-1 #3"), (4, "TT-1")]


def test_downgrade_restores_invoice_bound_payments(fresh_url: str, old_payments: Engine) -> None:
    upgrade_database(fresh_url, "0008")
    from alembic import command

    command.downgrade(alembic_config(fresh_url), "0007")

    with old_payments.connect() as conn:
        rows = conn.execute(text("SELECT invoice_id, amount FROM payment ORDER BY invoice_id, amount")).all()
    assert [(r[0], f"{float(r[1]):.2f}") for r in rows] == [
        (10, "40.00"), (10, "60.00"), (11, "20.00"), (20, "80.00")]
