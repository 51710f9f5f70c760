"""Development helper: (re)generate the newest, not yet released revision from the models.

Usage: python -m flowdesk.regen_migration REV_ID "message" [--replace]
Only for a revision that has never landed on main: released revisions are never rewritten.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from flowdesk.migrate import MIGRATIONS_DIR, alembic_config


def main(rev_id: str, message: str, replace: bool) -> None:
    versions = MIGRATIONS_DIR / "versions"
    if replace:
        for old in versions.glob(f"{rev_id}_*.py"):
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config(f"sqlite:///{Path(tmp) / 'regen.db'}")
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--replace" in sys.argv)
