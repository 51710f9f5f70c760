"""`python -m bench [--instances N]`: lead-to-cash through the engine on SQLite (and PostgreSQL when
reachable) next to raw SpiffWorkflow on the same diagram, in one run. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import uuid
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from bench.lead_to_cash import FORMS, Figures, run_persisted, run_raw, stub_operators

PG_ADMIN = os.environ.get("FLOWDESK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def settle() -> None:
    """Same start for every mode: collect garbage and freeze what setup left, so no mode pays for another's heap."""
    gc.collect()
    gc.freeze()


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


@dataclass
class Comparison:
    """Interleaved rounds on one backend: raw save+load, engine with stub services, engine with the real domain."""

    backend: str
    raw_io: list[Figures] = field(default_factory=list)
    stub: list[Figures] = field(default_factory=list)
    real: list[Figures] = field(default_factory=list)

    def ratios(self, runs: list[Figures]) -> list[float]:
        return [run.per_second / raw.per_second for run, raw in zip(runs, self.raw_io, strict=True)]


def _compare(backend: str, per_round: int, rounds: int) -> Comparison:
    """Each round runs the three modes back to back, so a busy moment hits all of them alike."""
    from engine.services import overridden

    run_persisted(max(per_round // 5, 3), label="warm-up")
    result = Comparison(backend)
    for _ in range(rounds):
        settle()
        result.raw_io.append(run_raw(per_round, save_load=True))
        settle()
        with overridden(stub_operators()):
            result.stub.append(run_persisted(per_round, label=f"Flowdesk engine on {backend} (stub services)"))
        settle()
        result.real.append(run_persisted(per_round, label=f"Flowdesk engine on {backend} (real domain)"))
    return result


def merged(runs: list[Figures]) -> Figures:
    """All rounds of one mode as one row."""
    return Figures(runs[0].label, sum(r.instances for r in runs), sum(r.seconds for r in runs),
                   [ms for r in runs for ms in r.step_ms])


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


def _report(comparisons: list[Comparison], raw_mem: Figures) -> None:
    rows = [raw_mem, merged(comparisons[0].raw_io)]
    for c in comparisons:
        rows += [merged(c.stub), merged(c.real)]
    for row in rows:
        print(row.line())
    print("\nengine throughput / raw SpiffWorkflow with JSON save+load, per round (median [min-max]):")
    for c in comparisons:
        for label, runs in (("stub services", c.stub), ("real domain", c.real)):
            ratios = c.ratios(runs)
            target = "   target >= 50%: " + ("met" if statistics.median(ratios) >= 0.5 else "NOT met") if (
                label == "stub services") else ""
            print(f"  {c.backend:<10} {label:<14} {statistics.median(ratios):6.1%}  "
                  f"[{min(ratios):.1%}-{max(ratios):.1%}]{target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=300, help="instances per mode, split over the rounds")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    per_round = max(args.instances // args.rounds, 5)
    print(f"lead-to-cash, short path ({len(FORMS) + 1} steps per instance), {per_round * args.rounds} instances "
          f"per mode in {args.rounds} interleaved rounds, one process, {os.cpu_count()} cores")
    settle()
    raw_mem = run_raw(per_round * args.rounds, save_load=False)
    comparisons = []
    with tempfile.TemporaryDirectory() as tmp:
        _use_database(f"sqlite:///{tmp}/bench.db")
        comparisons.append(_compare("SQLite", per_round, args.rounds))
    pg = _pg_database()
    if pg:
        try:
            _use_database(pg)
            comparisons.append(_compare("PostgreSQL", per_round, args.rounds))
        finally:
            from domain import db

            db.get_engine().dispose()
            _drop_pg(pg)
    _report(comparisons, raw_mem)


if __name__ == "__main__":
    main()
