"""Lead-to-cash throughput: the persisted engine vs raw SpiffWorkflow on the same diagram.

Each instance takes the short path (no approval, stock on hand): start, first contact, qualify, quote, customer
answer, ship, pay = 7 steps (the ship step includes the day-before-delivery timer, due at once: the delivery date
is in the past).
Service tasks call stub operators in every mode, so the ratio measures what persistence costs
(one transaction per step: lock, state, human tasks, hash-chained events); the real-domain mode
adds the domain writes (leads, quotes, orders, stock moves, invoices, payments).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.util.task import TaskState

from domain.operators import Operator
from engine.script_engine import FlowdeskScriptEngine
from engine.spiff import FlowdeskServiceTask, new_parser

PROCESSES = Path(__file__).resolve().parent.parent / "processes"
START = {"customer_code": "C-SH-003", "lead_title": "bench", "source": "web"}
FORMS: list[dict[str, Any]] = [
    {"channel": "phone", "contact_note": ""},
    {"qualified": True, "notes": ""},
    {"lines": [{"item_sku": "VALVE-25", "quantity": Decimal("2")}], "valid_days": 30, "note": ""},
    {"accepted": True, "answer_note": ""},
    {"carrier": "SF", "tracking_number": "T1", "shipped_on": "2026-11-20", "expected_delivery": "2026-11-21",
     "notify_email": "goods@bench.example"},
    {"amount": Decimal("280.00"), "paid_on": "2026-11-21", "reference": "bench"},
]
_QUOTE = {"quote_id": 1, "number": "Q-1", "status": "sent", "customer_tier": "regular", "credit_rating": "B",
          "weak_credit": False, "currency": "CNY", "list_total": Decimal("280.00"), "amount": Decimal("280.00"),
          "margin_pct": Decimal("39.29"), "valid_until": "2026-12-31"}
STUB_RESULTS: dict[str, dict[str, Any]] = {
    "crm.get_customer": {"id": 1, "code": "C-SH-003", "name": "Bench", "tier": "regular",
                         "credit_limit": Decimal("100000.00"), "currency": "CNY", "payment_terms_days": 30,
                         "region": None, "industry": None, "owner": "sales", "weak_credit": False},
    "crm.create_lead": {"lead_id": 1, "status": "new", "region": "", "industry": "", "owner": None},
    "crm.record_first_contact": {"lead_id": 1, "status": "contacted", "region": "", "industry": ""},
    "crm.qualify_lead": {"opportunity_id": 1, "customer_code": "C-SH-003", "stage": "qualification"},
    "sales.create_quote": _QUOTE,
    "sales.apply_quote_discount": _QUOTE,
    "finance.credit_check": {"would_exceed": False, "exposure": Decimal("0.00"), "limit": Decimal("100000.00"),
                             "additional_amount": Decimal("280.00")},
    "sales.mark_quote_sent": _QUOTE,
    "sales.mark_quote_accepted": _QUOTE,
    "crm.move_opportunity_stage": {"opportunity_id": 1, "stage": "won"},
    "sales.create_order_from_quote": {"id": 1, "number": "SO-1", "total": Decimal("280.00"), "currency": "CNY",
                                      "line_count": 1},
    "inventory.reserve_stock": {"order_id": 1, "fully_reserved": True, "reserved": [], "shortages": []},
    "inventory.ship_order": {"order_id": 1, "shipment_id": 1, "shipment_number": "SH-1", "shipped": []},
    "notifications.send_mail": {"mail_id": 1, "to": ["goods@bench.example"], "status": "held"},
    "finance.create_invoice": {"id": 1, "number": "INV-1", "total": Decimal("280.00"), "currency": "CNY",
                               "due_date": "2026-12-20"},
    "finance.record_payment": {"id": 1, "invoice_id": 1, "invoice_status": "paid", "open_amount": Decimal("0.00")},
    "finance.invoice_status": {"id": 1, "number": "INV-1", "status": "paid", "paid": True},
}


class _AnyParams(BaseModel):
    model_config = ConfigDict(extra="allow")


def stub_operators() -> dict[str, Operator]:
    """Operators that return canned results without touching the database."""
    def make(name: str) -> Operator:
        return Operator(name=name, func=lambda *, session, **_: dict(STUB_RESULTS[name]), params=_AnyParams)
    return {name: make(name) for name in STUB_RESULTS}


@dataclass
class Figures:
    label: str
    instances: int
    seconds: float
    step_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.instances / self.seconds

    def pct(self, q: float) -> float:
        return statistics.quantiles(self.step_ms, n=100)[int(q) - 1] if len(self.step_ms) > 1 else 0.0

    def line(self) -> str:
        return (f"{self.label:<44} {self.per_second:>8.1f} inst/s   step p50 {self.pct(50):6.2f} ms"
                f"   p95 {self.pct(95):6.2f} ms")


class _StubEngine(FlowdeskScriptEngine):
    def call_operator(self, task: Any, operation_name: str, operation_params: dict[str, Any]) -> Any:
        return dict(STUB_RESULTS[operation_name])


def _spec() -> Any:
    parser = new_parser()
    parser.add_bpmn_file(str(PROCESSES / "lead_to_cash.bpmn"))
    parser.add_dmn_files([str(p) for p in (PROCESSES / "decisions").glob("*.dmn")])
    return parser.get_spec("lead_to_cash")


def _raw_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[FlowdeskServiceTask] = ServiceTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return BpmnWorkflowSerializer(registry=registry)


def run_raw(instances: int, *, save_load: bool) -> Figures:
    """Raw SpiffWorkflow: the library's own serializer (spec embedded) when save_load."""
    spec, serializer, steps = _spec(), _raw_serializer(), []
    started = time.perf_counter()
    for _ in range(instances):
        t0 = time.perf_counter()
        wf = BpmnWorkflow(spec, script_engine=_StubEngine())
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(START, business_key="B")
        wf.do_engine_steps()
        state = serializer.serialize_json(wf) if save_load else None
        steps.append((time.perf_counter() - t0) * 1000)
        for form in FORMS:
            t0 = time.perf_counter()
            if state is not None:
                wf = serializer.deserialize_json(state)
                wf.script_engine = _StubEngine()
            wf.refresh_waiting_tasks()  # the delivery notice timer is past due: it fires
            wf.do_engine_steps()
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(form)
            task.data.setdefault("completed_by", {})[task.task_spec.bpmn_id] = "bench"  # as Flowdesk records it
            task.run()
            wf.do_engine_steps()
            if save_load:
                state = serializer.serialize_json(wf)
            steps.append((time.perf_counter() - t0) * 1000)
        assert wf.completed
    label = "raw SpiffWorkflow, JSON save+load per step" if save_load else "raw SpiffWorkflow, in memory"
    return Figures(label, instances, time.perf_counter() - started, steps)


def run_persisted(instances: int, *, label: str) -> Figures:
    """Through engine.runtime: one committed transaction per step."""
    from sqlalchemy import select

    from domain import clock
    from domain.db import transaction
    from engine import jobs, runtime
    from engine.models import Job, JobStatus

    sales, wh, fin = runtime.Actor("sales", {"sales"}), runtime.Actor("wh", {"warehouse"}), runtime.Actor(
        "fin", {"finance"})
    actors = [sales, sales, sales, sales, wh, fin]
    steps: list[float] = []
    started = time.perf_counter()
    for _ in range(instances):
        # Like an API client: each step's answer names the next task (POST .../complete -> next_task_id).
        t0 = time.perf_counter()
        with transaction() as session:
            iid = runtime.start_instance(session=session, process_key="lead_to_cash", actor=sales, variables=START).id
            task = runtime.next_task_for(session=session, instance_id=iid, actor=sales)
            assert task is not None, "the bench path expects a task here"
            task_id = task.id
        steps.append((time.perf_counter() - t0) * 1000)
        for n, (actor, form) in enumerate(zip(actors, FORMS, strict=True)):
            t0 = time.perf_counter()
            with transaction() as session:
                if "reference" in form:  # a payment reference is unique per customer
                    form = {**form, "reference": f"bench-{iid}"}
                runtime.complete_task(session=session, task_id=task_id, actor=actor, data=form)
            if actor is wh:  # what a worker does next: the past-due delivery notice timer
                with transaction() as session:
                    timer_ids = list(session.scalars(select(Job.id).where(
                        Job.instance_id == iid, Job.kind == "timer", Job.status == JobStatus.PENDING,
                        Job.due_at <= clock.now())))
                for job_id in timer_ids:
                    jobs.run_job(job_id)
            with transaction() as session:
                if n + 1 < len(actors):
                    nxt = runtime.next_task_for(session=session, instance_id=iid, actor=actors[n + 1])
                    assert nxt is not None, "the bench path expects a task here"
                    task_id = nxt.id
            steps.append((time.perf_counter() - t0) * 1000)
    return Figures(label, instances, time.perf_counter() - started, steps)
