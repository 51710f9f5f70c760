"""`python -m bench [--instances N]`: lead-to-cash through the engine on SQLite (and PostgreSQL when
reachable) next to raw SpiffWorkflow on the same diagram, in one run. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid

from sqlalchemy import create_engine, text

from bench.lead_to_cash import Figures, run_persisted, run_raw, stub_operators

PG_ADMIN = os.environ.get("FLOWDESK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _use_database(url: str) -> None:
    from domain import db
    from domain.settings import get_settings
    from engine import store
    from flowdesk.migrate import upgrade_database

    os.environ["FLOWDESK_DATABASE_URL"] = url
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    store.clear_cache()
    upgrade_database(url)
    from domain.db import transaction
    from engine.deployment import deploy
    from flowdesk.demo import process_bundle, seed_master_data, seed_users

    with transaction() as session:
        seed_users(session)
        seed_master_data(session)
        deploy(session=session, files=process_bundle(), actor="bench")


def _persisted(backend: str, instances: int) -> list[Figures]:
    from engine.services import overridden

    run_persisted(max(instances // 10, 3), label="warm-up")
    with overridden(stub_operators()):
        stub = run_persisted(instances, label=f"Flowdesk engine on {backend} (stub services)")
    real = run_persisted(instances, label=f"Flowdesk engine on {backend} (real domain)")
    return [stub, real]


def _pg_database() -> str | None:
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"flowdesk_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return PG_ADMIN.rpartition("/")[0] + "/" + name
    except Exception as exc:  # not reachable: SQLite figures only
        print(f"(PostgreSQL not reachable: {type(exc).__name__})")
        return None


def _drop_pg(url: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=200)
    args = parser.parse_args()
    n = args.instances
    print(f"lead-to-cash, short path (5 steps per instance), {n} instances per mode, "
          f"one process, {os.cpu_count()} cores")
    raw_mem, raw_io = run_raw(n, save_load=False), run_raw(n, save_load=True)
    rows = [raw_mem, raw_io]
    with tempfile.TemporaryDirectory() as tmp:
        _use_database(f"sqlite:///{tmp}/bench.db")
        rows += _persisted("SQLite", n)
    pg = _pg_database()
    if pg:
        try:
            _use_database(pg)
            rows += _persisted("PostgreSQL", n)
        finally:
            from domain import db

            db.get_engine().dispose()
            _drop_pg(pg)
    for row in rows:
        print(row.line())
    print()
    for row in rows[2:]:
        ratio = row.per_second / raw_io.per_second
        print(f"{row.label:<44} = {ratio:6.1%} of raw with save+load (target >= 50% for stub services)")


if __name__ == "__main__":
    main()
