"""`flowdesk demo`: master data at scale and weeks of simulated work on every deployed process.

The small demo runs once, through the command, on a database of its own (a SQLite file, or a throw-away PostgreSQL
database when FLOWDESK_TEST_DATABASE_URL names PostgreSQL); the tests read what it left behind. The form-data
generator is checked against every real form in processes/forms/.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from domain import clock
from domain.crm.models import Customer
from domain.db import make_engine
from domain.inventory.models import Item, StockBalance, StockMove
from domain.procurement.models import Supplier
from engine import audit, deployment, store
from engine.forms import validate_form_data
from engine.models import Event, HumanTask, InstanceStatus, ProcessInstance, TaskStatus
from flowdesk.demo_data import SIZES, knowledge
from flowdesk.simulate import FormSampler, Knowledge
from tests.conftest import MovableClock
from tests.flow import deploy_xml, open_tasks, run_due_jobs
from tests.timer_samples import timer_start

ROOT = Path(__file__).resolve().parents[1]
FORMS = sorted((ROOT / "processes" / "forms").glob("*.schema.json"))


def _cli(url: str, *args: str) -> str:
    env = {**os.environ, "FLOWDESK_DATABASE_URL": url}
    env.pop("FLOWDESK_BROKER_URL", None)
    proc = subprocess.run([sys.executable, "-m", "flowdesk.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own with the small demo loaded (once for the module)."""
    base = os.environ.get("FLOWDESK_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
        _load(url)
        yield url
        return
    name = f"flowdesk_demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.rpartition("/")[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = base.rpartition("/")[0] + "/" + name
        _load(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _load(url: str) -> None:
    _cli(url, "db", "upgrade")
    output = _cli(url, "demo", "--size", "small")
    assert "instances started" in output, output


@pytest.fixture
def demo(demo_url: str) -> Iterator[Session]:
    engine = make_engine(demo_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _human_elements(session: Session, definition_id: int) -> set[str]:
    spec = store.definition_info(session, definition_id).spec
    return {t.bpmn_id for t in spec.task_specs.values() if getattr(t, "manual", False) and t.bpmn_id}


# ---------------------------------------------------------------- the small demo


def test_demo_seeds_customers_items_and_suppliers_at_scale(demo: Session) -> None:
    scale = SIZES["small"]
    assert _count(demo, Customer) >= scale.customers
    assert _count(demo, Item) >= scale.items
    assert _count(demo, Supplier) >= scale.suppliers
    regions = set(demo.scalars(select(Customer.region).where(Customer.region.is_not(None))))
    assert regions == {"east", "south", "north", "west"}


def test_every_deployed_process_has_instances(demo: Session) -> None:
    for definition in deployment.list_latest(session=demo):
        count = demo.scalar(select(func.count()).where(ProcessInstance.process_key == definition.key))
        assert count, f"no instance of {definition.key}"


def test_open_tasks_sit_in_several_steps_of_each_process(demo: Session) -> None:
    store.clear_cache()
    for definition in deployment.list_latest(session=demo):
        open_elements = set(demo.scalars(
            select(HumanTask.element_id).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(ProcessInstance.process_key == definition.key, HumanTask.status == TaskStatus.OPEN)))
        wanted = min(2, len(_human_elements(demo, definition.id)))
        assert len(open_elements) >= wanted, f"{definition.key}: open tasks only in {open_elements}"
    store.clear_cache()


def test_many_instances_run_to_their_end(demo: Session) -> None:
    completed = demo.scalar(select(func.count()).where(ProcessInstance.status == InstanceStatus.COMPLETED))
    running = demo.scalar(select(func.count()).where(ProcessInstance.status == InstanceStatus.RUNNING))
    assert completed and running and completed >= 10


def test_history_spans_the_simulated_weeks(demo: Session) -> None:
    first, last = demo.execute(select(func.min(Event.at), func.max(Event.at)).where(Event.instance_id.is_not(None))
                               ).one()
    assert last - first >= timedelta(weeks=3)
    started = list(demo.scalars(select(ProcessInstance.started_at)))
    weeks = {(d - min(started)).days // 7 for d in started}
    assert len(weeks) >= SIZES["small"].weeks


def test_every_audit_chain_verifies(demo: Session) -> None:
    result = audit.verify(session=demo)
    assert result.events > 0 and result.intact, result.breaks


def test_stock_balances_match_their_moves_and_never_go_negative(demo: Session) -> None:
    moved = dict(((item, warehouse), total) for item, warehouse, total in demo.execute(
        select(StockMove.item_id, StockMove.warehouse_id, func.sum(StockMove.quantity))
        .group_by(StockMove.item_id, StockMove.warehouse_id)))
    balances = list(demo.scalars(select(StockBalance)))
    assert balances
    for b in balances:
        assert b.on_hand >= b.reserved >= 0
        assert Decimal(moved.get((b.item_id, b.warehouse_id), 0)) == b.on_hand


def test_a_second_run_adds_nothing(demo_url: str, demo: Session) -> None:
    before = (_count(demo, ProcessInstance), _count(demo, Event), _count(demo, Customer))
    demo.rollback()  # SQLite: even a reading transaction holds the write lock here (BEGIN IMMEDIATE)
    assert "already present" in _cli(demo_url, "demo", "--size", "small")
    assert (_count(demo, ProcessInstance), _count(demo, Event), _count(demo, Customer)) == before


def test_each_timer_started_instance_takes_its_first_step_once(demo: Session) -> None:
    timer_started = list(demo.scalars(select(ProcessInstance.id).where(ProcessInstance.started_by == "timer")))
    assert timer_started
    for instance_id in timer_started:
        calls = list(demo.scalars(select(Event.element_id).where(
            Event.instance_id == instance_id, Event.type == "service_called").order_by(Event.seq)))
        assert calls and calls.count(calls[0]) == 1, f"instance {instance_id}: {calls}"


# ---------------------------------------------------------------- form data from the schemas


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    clock.set_clock(lambda: datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    yield
    clock.reset_clock()


@pytest.mark.parametrize("path", FORMS, ids=[p.name for p in FORMS])
def test_samples_from_the_schema_alone_validate(path: Path, frozen_clock: None) -> None:
    schema = json.loads(path.read_text())
    sampler = FormSampler(random.Random(7), Knowledge())
    for _ in range(25):
        validate_form_data(schema, sampler.sample(schema, {}))


@pytest.mark.parametrize("path", FORMS, ids=[p.name for p in FORMS])
def test_samples_with_the_demo_hints_validate(path: Path, frozen_clock: None) -> None:
    schema = json.loads(path.read_text())
    items = [{"code": "PUMP-300", "price": Decimal("2600"), "order": 6, "stock": Decimal(40)}]
    facts = {"customers": [{"code": "C-0001", "tier": "key"}], "items": items, "item_by_sku": {"PUMP-300": items[0]},
             "suppliers": [{"code": "VND-001"}]}
    sampler = FormSampler(random.Random(11), knowledge(facts))
    for _ in range(25):
        validate_form_data(schema, sampler.sample(schema, facts))


def test_choice_weights_steer_enum_answers(frozen_clock: None) -> None:
    schema = {"type": "object", "required": ["decision"],
              "properties": {"decision": {"type": "string", "enum": ["approve", "reject"]}}}
    sampler = FormSampler(random.Random(5), Knowledge(choices={"decision": {"approve": 8, "reject": 2}}))
    answers = [sampler.sample(schema, {})["decision"] for _ in range(400)]
    assert 0.7 < answers.count("approve") / len(answers) < 0.9


def test_a_conditional_requirement_is_met(frozen_clock: None) -> None:
    schema = {"type": "object", "required": ["decision"],
              "properties": {"decision": {"type": "string", "enum": ["reject"]}, "comment": {"type": "string"}},
              "if": {"properties": {"decision": {"const": "reject"}}},
              "then": {"required": ["comment"], "properties": {"comment": {"minLength": 1}}}}
    sample = FormSampler(random.Random(1), Knowledge()).sample(schema, {})
    assert sample["comment"] and validate_form_data(schema, sample)


def test_an_override_that_breaks_the_schema_falls_back_to_the_schema(frozen_clock: None) -> None:
    schema = {"type": "object", "required": ["quantity"],
              "properties": {"quantity": {"type": "integer", "minimum": 1, "maximum": 5}}}
    sample = FormSampler(random.Random(1), Knowledge()).sample(schema, {}, overrides={"quantity": 99})
    assert 1 <= sample["quantity"] <= 5


# ---------------------------------------------------------------- found by the demo


def test_a_cycle_with_a_past_start_date_runs_each_started_instance_once(world: None,
                                                                        moving_clock: MovableClock) -> None:
    key = f"nightly_{uuid.uuid4().hex[:6]}"
    deploy_xml(f"{key}.bpmn", timer_start(key, "R/2026-01-01T01:00:00+00:00/P1D"))
    moving_clock.advance(days=1)
    run_due_jobs()
    [instance_id] = _instance_ids(key)
    assert open_tasks(instance_id) == ["Activity_Check"]  # not one per day since January


def _instance_ids(key: str) -> list[int]:
    from domain.db import transaction

    with transaction() as session:
        return list(session.scalars(select(ProcessInstance.id).where(ProcessInstance.process_key == key)))
