"""`python -m bench.metrics [--instances N] [--backend sqlite|postgresql] [--database URL]`: N completed
lead-to-cash-like instances (events, human tasks, facets) bulk-inserted over a year, then each dashboard query and
the rendered dashboard page timed (p50 of several runs). Prints figures; asserts nothing.

PostgreSQL: `--backend postgresql` creates a throw-away database next to FLOWDESK_BENCH_PG_URL's (default: the
local postgres), or `--database URL` (or FLOWDESK_BENCH_METRICS_URL) uses that one as it is.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

from bench.__main__ import PG_ADMIN

KEY = "lead_to_cash"
CHUNK = 2000
TIERS = ("strategic", "key", "regular", "regular")
ZERO = "0" * 64  # the bench does not verify chains: placeholder hashes
HUMAN = {"Activity_QualifyLead": "sales", "Activity_PrepareQuote": "sales",
         "Activity_DirectorApproval": "sales_management", "Activity_ShipOrder": "warehouse",
         "Activity_RecordPayment": "finance"}
SERVICES = {"Activity_LoadCustomer", "Activity_CreateSalesOrder", "Activity_ReserveStock", "Activity_PostShipment",
            "Activity_CreateInvoice", "Activity_PostPayment"}
USERS = {"sales": ["sales", "sales2", "sales3"], "sales_management": ["director"], "warehouse": ["warehouse"],
         "finance": ["finance", "finance2"]}


def _path(rng: random.Random) -> list[str]:
    """One instance's elements in order, as lead-to-cash runs them."""
    path = ["StartEvent_LeadReceived", "Activity_LoadCustomer", "Activity_QualifyLead", "Gateway_LeadQualified"]
    if rng.random() < 0.1:
        return [*path, "EndEvent_LeadDisqualified"]
    rounds = 2 if rng.random() < 0.05 else 1
    for r in range(rounds):
        path += ["Activity_PrepareQuote", "Activity_ComputeQuoteTotal", "Activity_DetermineApprovalThreshold",
                 "Gateway_ApprovalNeeded"]
        if rounds == 2 or rng.random() < 0.3:
            path += ["Activity_DirectorApproval", "Gateway_Approved"]
            if r == 0 and rounds == 2:
                continue  # rejected: back to the quote
    return path + ["Activity_CreateSalesOrder", "Activity_ReserveStock", "Activity_ShipOrder", "Activity_PostShipment",
                   "Activity_CreateInvoice", "Activity_RecordPayment", "Activity_PostPayment", "EndEvent_OrderPaid"]


class Generator:
    """Rows for one instance at a time: the instance, its events, its human tasks and its facets."""

    def __init__(self, definition_id: int, start: datetime, span_days: int, seed: int = 6) -> None:
        self.rng, self.definition_id, self.start, self.span = random.Random(seed), definition_id, start, span_days

    def _event(self, rows: list[dict[str, Any]], iid: int, type_: str, at: datetime, element: str | None = None,
               actor: str = "bench", guid: str | None = None) -> None:
        rows.append({"chain": f"instance:{iid}", "seq": len(rows) + 1, "type": type_, "instance_id": iid,
                     "definition_id": None, "element_id": element, "task_guid": guid, "actor": actor, "at": at,
                     "data": {}, "prev_hash": ZERO, "hash": ZERO})

    def instance(self, iid: int, running: bool = False) -> tuple[dict[str, Any], list[Any], list[Any], list[Any]]:
        rng = self.rng
        at = started = self.start + timedelta(seconds=rng.uniform(0, self.span * 86400))
        events: list[dict[str, Any]] = []
        tasks: list[dict[str, Any]] = []
        self._event(events, iid, "instance_started", at, actor="sales")
        path = _path(rng)
        stop = rng.randrange(2, len(path)) if running else len(path)
        for element in path[:stop + 1]:
            if element in HUMAN:
                group, guid = HUMAN[element], str(uuid.UUID(int=rng.getrandbits(128)))
                user = rng.choice(USERS[group])
                ready = at
                self._event(events, iid, "task_ready", ready, element, guid=guid)
                task = {"instance_id": iid, "task_guid": guid, "element_id": element, "name": element,
                        "candidate_group": group, "status": "open", "created_at": ready,
                        "due_at": ready + timedelta(days=2)}
                tasks.append(task)
                if running and element == path[stop]:
                    break
                claimed = ready + timedelta(seconds=rng.expovariate(1 / 14400))
                done = claimed + timedelta(seconds=rng.expovariate(1 / 3600))
                self._event(events, iid, "task_claimed", claimed, element, user, guid)
                self._event(events, iid, "task_completed", done, element, user, guid)
                task.update(status="completed", assignee=user, claimed_at=claimed, completed_at=done,
                            completed_by=user)
                at = done
            else:
                if element in SERVICES:
                    at += timedelta(milliseconds=rng.randint(5, 400))
                self._event(events, iid, "service_called" if element in SERVICES else "element_completed", at,
                            element)
        if not running:
            self._event(events, iid, "instance_completed", at)
        tier, code = rng.choice(TIERS), f"C-{rng.randint(1, 400):04d}"
        instance = {"id": iid, "definition_id": self.definition_id, "process_key": KEY,
                    "business_key": f"LEAD-TO-CASH-B{iid:07d}", "status": "running" if running else "completed",
                    "state": "{}", "variables": {"customer_code": code, "customer": {"tier": tier}},
                    "serializer_version": "1", "started_by": "sales", "started_at": started, "updated_at": at,
                    "ended_at": None if running else at, "lock_version": 1}
        facets = [{"instance_id": iid, "name": "customer_tier", "value": tier},
                  {"instance_id": iid, "name": "customer_code", "value": code}]
        return instance, events, tasks, facets


def generate(count: int, running: int, now: datetime) -> float:
    """Insert count completed and `running` running instances over the last year; seconds taken."""
    from domain.db import transaction
    from engine.models import Event, HumanTask, InstanceFacet, ProcessDefinition, ProcessInstance

    began = time.perf_counter()
    with transaction() as session:
        definition_id = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == KEY)
                                       .order_by(ProcessDefinition.version.desc()).limit(1))
        first = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    assert definition_id is not None
    gen = Generator(definition_id, now - timedelta(days=365), 365)
    total = count + running
    for offset in range(0, total, CHUNK):
        rows: tuple[list[Any], list[Any], list[Any], list[Any]] = ([], [], [], [])
        for iid in range(first + offset, first + min(offset + CHUNK, total)):
            instance, events, tasks, facets = gen.instance(iid, running=iid - first >= count)
            rows[0].append(instance)
            rows[1].extend(events)
            rows[2].extend(tasks)
            rows[3].extend(facets)
        with transaction() as session:
            for model, batch in zip((ProcessInstance, Event, HumanTask, InstanceFacet), rows, strict=True):
                session.execute(insert(model), batch)
    return time.perf_counter() - began


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """p50 seconds of `runs` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def _size(result: Any) -> str:
    if isinstance(result, (list, dict, tuple)):
        return str(len(result))
    return "-"


def queries(scope: Any) -> dict[str, Callable[[Any], Any]]:
    """Each dashboard query on one session."""
    from engine import metrics, metrics_branches, metrics_elements, metrics_rollup, metrics_work
    from engine.models import ProcessDefinition

    def branches(s: Any) -> Any:
        definition = s.scalars(select(ProcessDefinition).where(ProcessDefinition.key == KEY)).first()
        return metrics_branches.branch_shares(session=s, scope=scope, definition=definition)

    return {
        "roll-up, none new": lambda s: metrics_rollup.refresh(session=s),
        "kpis": lambda s: metrics.kpis(session=s, scope=scope),
        "heatmap (3 modes)": lambda s: metrics_elements.heatmaps(session=s, scope=scope),
        "heatmap total": lambda s: metrics_elements.heatmap(session=s, scope=scope),
        "drill-down": lambda s: metrics_elements.waiting_at(session=s, scope=scope, element_id="Activity_ShipOrder"),
        "aging by group": lambda s: metrics_work.aging(session=s, scope=scope, by="group"),
        "aging by user": lambda s: metrics_work.aging(session=s, scope=scope, by="user"),
        "workload": lambda s: metrics_work.workload(session=s, scope=scope),
        "branches": branches,
    }


@contextmanager
def _page_client() -> Iterator[Any]:
    import re

    from fastapi.testclient import TestClient

    from web.app import create_app

    with TestClient(create_app(), headers={"accept": "text/html"}) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        resp = client.post("/login", data={"username": "manager", "password": "demo", "csrf_token": token.group(1)})
        assert resp.status_code == 200, resp.status_code
        yield client


def report(runs: int) -> None:
    from domain.db import get_sessionmaker
    from engine.metrics_sql import Scope

    now = datetime.now(UTC)
    scopes = {"last 30 days": Scope(KEY, since=now - timedelta(days=30)), "all time": Scope(KEY)}
    for label, scope in scopes.items():
        print(f"\n  {label}:")
        for name, query in queries(scope).items():
            session = get_sessionmaker()()
            try:
                seconds, result = timed(lambda q=query, s=session: q(s), runs)  # type: ignore[misc]
            finally:
                session.rollback()
                session.close()
            print(f"    {name:<20} {seconds * 1000:9.1f} ms   (result rows: {_size(result)})")
    with _page_client() as client:
        print()
        pages = (("page, last 30 days", f"/dashboards/{KEY}"), ("page, all time", f"/dashboards/{KEY}?since="),
                 ("page, tier=key", f"/dashboards/{KEY}?customer_tier=key"), ("process list page", "/dashboards"))
        for label, url in pages:
            seconds, resp = timed(lambda u=url: client.get(u), runs)  # type: ignore[misc]
            assert resp.status_code == 200, (url, resp.status_code)
            print(f"  {label:<22} {seconds * 1000:9.1f} ms   ({len(resp.content) // 1024} KiB)")


def roll_up() -> tuple[int, float]:
    """The first roll-up of all finished instances (what the first dashboard view after an upgrade does)."""
    from domain.db import transaction
    from engine import metrics_rollup

    began = time.perf_counter()
    with transaction() as session:
        rolled = metrics_rollup.refresh(session=session)
    return rolled, time.perf_counter() - began


def _counts() -> dict[str, int]:
    from domain.db import transaction

    with transaction() as session:
        return {t: int(session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())  # noqa: S608 - fixed names
                for t in ("process_instance", "event", "human_task", "instance_facet", "element_passage")}


def _use_database(url: str) -> None:
    """Migrate, seed the demo users and deploy processes/ (once: a bench database can be reused)."""
    from domain import db
    from domain.db import transaction
    from domain.identity.models import User
    from domain.settings import get_settings
    from engine import store
    from engine.deployment import deploy
    from flowdesk.demo import process_bundle, seed_master_data, seed_users
    from flowdesk.migrate import upgrade_database

    os.environ["FLOWDESK_DATABASE_URL"] = url
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db.get_sessionmaker.cache_clear()
    store.clear_cache()
    upgrade_database(url)
    with transaction() as session:
        if session.scalar(select(User.id).where(User.username == "manager")) is None:
            seed_users(session)
            seed_master_data(session)
        deploy(session=session, files=process_bundle(), actor="bench")


def run(url: str, instances: int, running: int, runs: int) -> None:
    _use_database(url)
    seconds = 0.0
    if _counts()["process_instance"] < instances:  # an existing bench database is reused as it is
        seconds = generate(instances, running, datetime.now(UTC))
    rolled, rollup_seconds = roll_up()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    counts = _counts()
    print(f"{url.split(':')[0]}: {instances} completed + {running} running instances generated in {seconds:.0f} s; "
          + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print(f"  first roll-up of {rolled:,} finished instances: {rollup_seconds:.1f} s (once; later views roll up only "
          "what finished since)")
    print(f"  p50 of {runs} runs:")
    report(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=100_000, help="completed instances")
    parser.add_argument("--running", type=int, default=1000, help="running instances (with open tasks)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database", default=os.environ.get("FLOWDESK_BENCH_METRICS_URL", ""),
                        help="use this database URL as it is (must be empty or migrated)")
    args = parser.parse_args()
    if args.database:
        run(args.database, args.instances, args.running, args.runs)
    elif args.backend == "postgresql":
        name = f"flowdesk_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(PG_ADMIN.rpartition("/")[0] + "/" + name, args.instances, args.running, args.runs)
        finally:
            from domain import db

            db.get_engine().dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/metrics.db", args.instances, args.running, args.runs)


if __name__ == "__main__":
    main()
