"""CI check: upgrading an empty database to head yields exactly the models' schema.

Usage: python -m flowdesk.migrate_check DATABASE_URL   (a PostgreSQL URL gets a throw-away database)
"""

from __future__ import annotations

import sys
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from domain.db import Base, make_engine
from domain.models_index import load_all_models
from flowdesk.migrate import upgrade_database


def diff(url: str) -> list[object]:
    """The differences between the migrated database at url and the models."""
    upgrade_database(url)
    load_all_models()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()


def main(url: str) -> int:
    if not url.startswith("postgresql"):
        problems = diff(url)
    else:
        name = f"flowdesk_migcheck_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url.rpartition("/")[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            problems = diff(url.rpartition("/")[0] + "/" + name)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    for p in problems:
        print(f"schema drift: {p}")
    print("migrations match the models" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
