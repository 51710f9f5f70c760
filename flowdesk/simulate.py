"""Run the deployed processes over past weeks with a moved clock, the way people, customers and timers would.

Generic: it reads what the deployed versions offer (start events, forms, human tasks, awaited messages, due jobs)
and acts on it. Form data comes from each task's JSON Schema; a `Knowledge` table (field hints, choice weights,
per-element and per-message policies) adds business sense where it knows the element and is ignored where it
does not, so a changed diagram still runs. A step that fails is logged and skipped for that instance.
"""

from __future__ import annotations

import logging
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from domain.db import transaction
from domain.errors import FlowdeskError
from domain.identity.models import User
from engine import deployment, jobs, messages, runtime, store
from engine.forms import validate_form_data, with_defaults
from engine.models import HumanTask, InstanceStatus, MessageSubscription, ProcessInstance, TaskStatus

log = logging.getLogger("flowdesk.simulate")

Facts = dict[str, Any]  # what a policy may read: the instance's variables, `now`, and the caller's master data
Hint = Callable[[random.Random, Facts, dict[str, Any]], Any]  # (rng, facts, sibling values) -> value or None


@dataclass(frozen=True)
class MessagePolicy:
    """How an awaited message arrives: how likely at all, after how many hours, with which payload."""

    chance: float = 0.8
    hours: tuple[float, float] = (2, 72)
    payload: Callable[[random.Random, Facts], dict[str, Any]] = lambda rng, facts: {}


@dataclass
class Knowledge:
    """Business sense for the simulation; every entry is optional and unknown elements fall back to the schema."""

    hints: dict[str, Hint] = field(default_factory=dict)  # field name -> value maker
    choices: dict[str, dict[Any, float]] = field(default_factory=dict)  # field name -> weights of enum/bool values
    elements: dict[str, Callable[[random.Random, Facts], dict[str, Any]]] = field(default_factory=dict)
    delays: dict[str, tuple[float, float]] = field(default_factory=dict)  # element id -> working hours to act
    messages: dict[str, MessagePolicy] = field(default_factory=dict)
    start_weights: dict[str, float] = field(default_factory=dict)  # process key -> share of the started instances
    facts: Facts = field(default_factory=dict)  # master data the hints draw from


@dataclass(frozen=True)
class Plan:
    """The simulated period and how much happens in it."""

    start: datetime
    end: datetime
    instances: int
    seed: int = 3
    stop_chance: float = 0.08  # at each human step, the chance the instance is left there for good
    tick: timedelta = timedelta(minutes=30)
    default_hours: tuple[float, float] = (1, 30)  # working hours until a person acts on a task


# ---------------------------------------------------------------- form data from JSON Schema


class FormSampler:
    """Form data that satisfies a JSON Schema, with business hints and weights where the field is known."""

    def __init__(self, rng: random.Random, knowledge: Knowledge) -> None:
        self.rng, self.knowledge = rng, knowledge

    def sample(self, schema: dict[str, Any] | None, facts: Facts, overrides: dict[str, Any] | None = None
               ) -> dict[str, Any]:
        """An object for schema (None: no data); overrides win where they still validate."""
        if not schema:
            return {}
        data = self._object(schema, facts, overrides or {})
        if _valid(schema, data):
            return data
        props = schema.get("properties") or {}  # keep the overrides that are valid on their own
        kept = {k: v for k, v in (overrides or {}).items() if k in props and _valid(props[k], v)}
        data = self._object(schema, facts, kept)
        return data if _valid(schema, data) else self._object(schema, facts, {})

    def _object(self, schema: dict[str, Any], facts: Facts, overrides: dict[str, Any]) -> dict[str, Any]:
        required = set(schema.get("required") or [])
        out: dict[str, Any] = {}
        for name, prop in (schema.get("properties") or {}).items():
            if name in overrides:  # None: the policy wants the field left out
                if overrides[name] is not None:
                    out[name] = overrides[name]
            elif name in required or self.rng.random() < 0.6:
                out[name] = self.value(prop, name, facts, out)
        if not out and schema.get("properties"):  # nobody submits a form with nothing in it
            out = {name: self.value(prop, name, facts, {}) for name, prop in schema["properties"].items()}
        for rule in [schema, *(schema.get("allOf") or [])]:
            self._conditional(rule, schema, facts, out)
        return out

    def _conditional(self, rule: dict[str, Any], schema: dict[str, Any], facts: Facts, out: dict[str, Any]) -> None:
        """Meet an if/then/else: fill what the branch that applies requires, with its narrower constraints."""
        if "if" not in rule:
            return
        # Judged on the data as it will be validated: with the schema's defaults filled in.
        branch = rule.get("then") if _valid(rule["if"], with_defaults(schema, out)) else rule.get("else")
        if not isinstance(branch, dict):
            return
        props = schema.get("properties") or {}
        for name, narrow in (branch.get("properties") or {}).items():
            merged = {**props.get(name, {}), **narrow}
            if name in out and not _valid(merged, out[name]):
                out[name] = self.value(merged, name, facts, out)
        for name in branch.get("required") or []:
            if name not in out:
                out[name] = self.value({**props.get(name, {}), **(branch.get("properties") or {}).get(name, {})},
                                       name, facts, out)

    def value(self, schema: dict[str, Any], name: str, facts: Facts, siblings: dict[str, Any]) -> Any:
        """One value for a property called name."""
        hint = self.knowledge.hints.get(name)
        if hint is not None:
            hinted = hint(self.rng, facts, siblings)
            if hinted is not None and _valid(schema, hinted):
                return hinted
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self._choose(name, list(schema["enum"]))
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                return self.value(self.rng.choice(schema[key]), name, facts, siblings)
        kind = schema.get("type", "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        maker = {"object": lambda: self._object(schema, facts, {}), "array": lambda: self._array(schema, name, facts),
                 "boolean": lambda: self._choose(name, [True, False]), "integer": lambda: self._number(schema, True),
                 "number": lambda: self._number(schema, False), "null": lambda: None}.get(kind)
        return maker() if maker else self._string(schema, name)

    def _choose(self, name: str, options: list[Any]) -> Any:
        weights = self.knowledge.choices.get(name) or {}
        known = [o for o in options if weights.get(o, 0) > 0]
        if not known:
            return self.rng.choice(options)
        return self.rng.choices(known, weights=[weights[o] for o in known])[0]

    def _array(self, schema: dict[str, Any], name: str, facts: Facts) -> list[Any]:
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", low + 3))
        count = self.rng.randint(min(max(low, 1), high), min(high, max(low, 1) + 2))
        items = schema.get("items")
        return [self.value(items if isinstance(items, dict) else {}, name, facts, {}) for _ in range(count)]

    def _number(self, schema: dict[str, Any], integer: bool) -> Any:
        step = Decimal(str(schema.get("multipleOf", 1 if integer else "0.01")))
        low = Decimal(str(schema.get("minimum", schema.get("exclusiveMinimum", 0))))
        high = Decimal(str(schema.get("maximum", schema.get("exclusiveMaximum", low + 100))))
        if "exclusiveMinimum" in schema:
            low += step
        if "exclusiveMaximum" in schema:
            high -= step
        steps = max(int((high - low) / step), 0)
        value = low + step * self.rng.randint(0, steps)
        return int(value) if integer else value

    def _string(self, schema: dict[str, Any], name: str) -> str:
        today = clock.now().date()
        fmt = schema.get("format")
        ahead = any(word in name for word in _FUTURE_WORDS)  # a plan (needed by, valid until), not a record
        if fmt == "date":
            days = self.rng.randint(3, 30) if ahead else -self.rng.randint(0, 2)
            return (today + timedelta(days=days)).isoformat()
        if fmt == "date-time":
            hours = self.rng.randint(4, 72) if ahead else 0
            return (clock.now() + timedelta(hours=hours)).isoformat(timespec="seconds")
        if fmt == "email":
            return f"{name.split('_')[0]}{self.rng.randint(1, 999)}@example.com"
        if name.endswith(("number", "_no", "reference")):  # document numbers are unique, not prose
            return f"{name[:3].upper()}-{self.rng.randint(100000, 999999)}"
        text = self.rng.choice(_PHRASES)
        low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 200))
        text = (text * (low // max(len(text), 1) + 1))[:high]
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, text):  # no generator for regular expressions: try common shapes
            text = next((c for c in _SHAPES if re.search(pattern, c) and low <= len(c) <= high), text)
        return text


_FUTURE_WORDS = ("expected", "due", "until", "needed", "scheduled", "valid", "planned", "delivery", "deadline")
_SHAPES = ["", "+86 138 0000 0000", "demo@example.com", "ABC-123", "A1", "12345", "https://example.com"]
_PHRASES = ["Checked with the customer", "As agreed on the phone", "See the attached notes", "OK", "Done as planned",
            "Handled by the team", "Customer confirmed by mail"]


def _valid(schema: dict[str, Any], data: Any) -> bool:
    """Whether data passes schema the way a submitted form is checked (Decimal numbers, unknown fields refused)."""
    if not (isinstance(data, dict) and "properties" in schema):
        schema, data = {"type": "object", "properties": {"value": schema}}, {"value": data}
    try:
        validate_form_data(schema, data)
    except FlowdeskError:
        return False
    return True


# ---------------------------------------------------------------- the simulation


@dataclass
class Report:
    """What the simulation did."""

    started: Counter[str] = field(default_factory=Counter)
    completed_tasks: int = 0
    messages: int = 0
    jobs: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # element or message -> steps that failed

    def lines(self) -> Iterator[str]:
        for key, count in sorted(self.started.items()):
            yield f"{key}: {count} instances started"
        yield f"{self.completed_tasks} tasks completed, {self.messages} messages delivered, " + \
              ", ".join(f"{n} jobs {state}" for state, n in sorted(self.jobs.items()))
        if self.skipped:
            yield "skipped (failed) steps: " + ", ".join(f"{k} x{n}" for k, n in self.skipped.most_common())


@dataclass(frozen=True)
class _Start:
    at: datetime
    process_key: str
    message: str | None  # None: by hand


class Simulator:
    """Moves the clock from plan.start to plan.end and acts on whatever is due on the way."""

    def __init__(self, plan: Plan, knowledge: Knowledge) -> None:
        self.plan, self.knowledge = plan, knowledge
        self.rng = random.Random(plan.seed)
        self.forms = FormSampler(self.rng, knowledge)
        self.now = plan.start
        self.report = Report()
        self.frozen: set[int] = set()  # instances left where they are
        self.task_due: dict[int, datetime | None] = {}
        self.message_due: dict[int, datetime | None] = {}
        self.users: dict[str, set[str]] = {}
        self.external: set[str] = set()  # messages no deployed process throws: customers and systems send them

    def run(self) -> Report:
        """Simulate the whole period; the clock is Flowdesk's again afterwards."""
        clock.set_clock(lambda: self.now)
        try:
            with transaction() as session:
                self.users = {u.username: u.group_names for u in session.scalars(select(User).where(User.active))}
                starts, self.external = self._plan_starts(session)
            while self.now <= self.plan.end:
                tick_end = self.now + self.plan.tick
                self._run_jobs()
                while starts and starts[0].at < tick_end:
                    self._start(starts.pop(0))
                self._work_tasks(tick_end)
                self._send_messages(tick_end)
                self.now = tick_end
            self.now = self.plan.end
            self._run_jobs()
        finally:
            clock.reset_clock()
        return self.report

    # -- starts

    def _plan_starts(self, session: Session) -> tuple[list[_Start], set[str]]:
        """When each instance starts, and how (by hand or by an external message)."""
        infos = [store.definition_info(session, d.id) for d in deployment.list_latest(session=session)]
        thrown = {spec.event_definition.name for info in infos for spec in _specs(info)
                  if isinstance(spec, ThrowingEvent) and isinstance(spec.event_definition, MessageEventDefinition)}
        ways: dict[str, list[str | None]] = {}
        for info in infos:
            by_message = [spec.event_definition.name for spec in info.spec.task_specs.values()
                          if isinstance(spec, StartEvent) and isinstance(spec.event_definition, MessageEventDefinition)
                          and spec.event_definition.name not in thrown]
            options: list[str | None] = ([None] if info.manual_start else []) + by_message
            if options and self.knowledge.start_weights.get(info.key, 1.0) > 0:
                ways[info.key] = options
        total = sum(self.knowledge.start_weights.get(k, 1.0) for k in ways) or 1.0
        span = (self.plan.end - self.plan.start).total_seconds() - 3600
        starts = []
        for key, options in sorted(ways.items()):
            for _ in range(round(self.plan.instances * self.knowledge.start_weights.get(key, 1.0) / total)):
                way = self.rng.choice(options)
                at = self.plan.start + timedelta(seconds=self.rng.uniform(0, span))
                starts.append(_Start(at if way else _working_time(at), key, way))
        external = {spec.event_definition.name for info in infos for spec in _specs(info)
                    if isinstance(getattr(spec, "event_definition", None), MessageEventDefinition)} - thrown
        return sorted(starts, key=lambda s: s.at), external

    def _start(self, start: _Start) -> None:
        self.now = max(self.now, start.at)
        what = f"start {start.process_key}" + (f" by {start.message}" if start.message else "")
        with self._step(what) as session:
            definition = deployment.latest(session=session, key=start.process_key)
            assert definition is not None
            info = store.definition_info(session, definition.id)
            schema = info.forms.get(definition.start_form) if definition.start_form else None
            facts = self._facts({}, session)
            overrides = self._policy(start.process_key, facts)
            if start.message is None:
                actor = self._actor(info.start_group, None)
                data = self.forms.sample(schema, facts, overrides)
                runtime.start_instance(session=session, process_key=start.process_key, actor=actor, variables=data)
            else:
                policy = self.knowledge.messages.get(start.message, MessagePolicy())
                payload = self.forms.sample(schema, facts, overrides) | policy.payload(self.rng, facts)
                messages.deliver(session=session, name=start.message, correlation={}, payload=payload,
                                 message_id=None, actor=self._actor(None, None))
            self.report.started[start.process_key] += 1

    # -- people

    def _work_tasks(self, tick_end: datetime) -> None:
        with transaction() as session:
            open_tasks = session.execute(
                select(HumanTask.id, HumanTask.instance_id, ProcessInstance.process_key, HumanTask.element_id,
                       HumanTask.created_at)
                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                .where(HumanTask.status == TaskStatus.OPEN, ProcessInstance.status == InstanceStatus.RUNNING)
                .order_by(HumanTask.id)).all()
        # Steps where a left-behind instance waits now: each step keeps one, so the end shows every step.
        parked = {(key, element) for _, instance_id, key, element, _ in open_tasks if instance_id in self.frozen}
        due = []
        for task_id, instance_id, key, element_id, created_at in open_tasks:
            if task_id not in self.task_due:
                if (key, element_id) not in parked:
                    parked.add((key, element_id))
                    self.frozen.add(instance_id)
                self.task_due[task_id] = self._when_done(instance_id, element_id, created_at)
            when = self.task_due[task_id]
            if when is not None and when < tick_end:
                due.append((when, task_id, element_id))
        for when, task_id, element_id in sorted(due):
            self.task_due[task_id] = None  # once: a failed step is not retried
            self.now = max(self.now, when)
            self._complete(task_id, element_id)

    def _when_done(self, instance_id: int, element_id: str, created_at: datetime) -> datetime | None:
        """When a person completes the task; None: the instance is left where it is."""
        if instance_id in self.frozen or self.rng.random() < self.plan.stop_chance:
            self.frozen.add(instance_id)
            return None
        low, high = self.knowledge.delays.get(element_id, self.plan.default_hours)
        return _add_working_hours(max(created_at, self.now), self.rng.uniform(low, high))

    def _complete(self, task_id: int, element_id: str) -> None:
        with self._step(element_id) as session:
            task = session.get(HumanTask, task_id)
            if task is None or task.status != TaskStatus.OPEN:
                return
            instance = session.get(ProcessInstance, task.instance_id)
            assert instance is not None
            facts = self._facts(instance.variables or {}, session)
            data = self.forms.sample(runtime.form_schema(session, task), facts, self._policy(element_id, facts))
            actor = self._actor(task.candidate_group, task.assignee)
            runtime.complete_task(session=session, task_id=task_id, actor=actor, data=data)
            self.report.completed_tasks += 1

    # -- messages from outside (customers paying, answering surveys)

    def _send_messages(self, tick_end: datetime) -> None:
        with transaction() as session:
            waiting = session.execute(
                select(MessageSubscription.id, MessageSubscription.instance_id, MessageSubscription.message_name,
                       MessageSubscription.created_at)
                .join(ProcessInstance, ProcessInstance.id == MessageSubscription.instance_id)
                .where(ProcessInstance.status == InstanceStatus.RUNNING,
                       MessageSubscription.message_name.in_(self.external))
                .order_by(MessageSubscription.id)).all()
        due = []
        for sub_id, instance_id, name, created_at in waiting:
            if sub_id not in self.message_due:
                policy = self.knowledge.messages.get(name, MessagePolicy())
                never = instance_id in self.frozen or self.rng.random() >= policy.chance
                hours = self.rng.uniform(*policy.hours)
                self.message_due[sub_id] = None if never else max(created_at, self.now) + timedelta(hours=hours)
            when = self.message_due[sub_id]
            if when is not None and when < tick_end:
                due.append((when, sub_id, name))
        for when, sub_id, name in sorted(due):
            self.message_due[sub_id] = None
            self.now = max(self.now, when)
            self._deliver(sub_id, name)

    def _deliver(self, sub_id: int, name: str) -> None:
        with self._step(f"message {name}") as session:
            sub = session.get(MessageSubscription, sub_id)
            if sub is None or any("=" not in part for part in sub.correlation_key.split("&") if part):
                return  # no longer awaited (a timer won), or correlated on something no message can name
            instance = session.get(ProcessInstance, sub.instance_id)
            assert instance is not None
            policy = self.knowledge.messages.get(name, MessagePolicy())
            payload = policy.payload(self.rng, self._facts(instance.variables or {}, session))
            messages.deliver(session=session, name=name, correlation=dict(parse_qsl(sub.correlation_key)),
                             payload=payload, message_id=None, actor=self._actor(None, None))
            self.report.messages += 1

    # -- timers, async services, thrown messages

    def _run_jobs(self) -> None:
        for _ in range(20):  # a job may make others due at once (a thrown message, the next service)
            with transaction() as session:
                ids = jobs.runnable_job_ids(session=session, limit=500)
            if not ids:
                return
            for job_id in ids:
                self.report.jobs[jobs.run_job(job_id, worker="simulator")] += 1

    # -- helpers

    @contextmanager
    def _step(self, what: str) -> Iterator[Session]:
        """One action in its own transaction; a failure is logged and counted, and the simulation goes on."""
        try:
            with transaction() as session:
                yield session
        except Exception as exc:  # a demo, not a test: a domain refusal or a surprise in a new diagram is skipped
            log.info("skipped %s: %s", what, getattr(exc, "message", exc))
            self.report.skipped[what] += 1

    def _facts(self, variables: dict[str, Any], session: Session) -> Facts:
        """What a policy may read: master data, the instance's variables, the people, the time, and (read only)
        the session, for a policy that must look a document up."""
        return {**self.knowledge.facts, **variables, "now": self.now, "users": self.users, "session": session}

    def _policy(self, element_id: str, facts: Facts) -> dict[str, Any]:
        policy = self.knowledge.elements.get(element_id)
        return policy(self.rng, facts) if policy else {}

    def _actor(self, group: str | None, assignee: str | None) -> runtime.Actor:
        """The person who acts: the assignee, else someone of the group, else an administrator."""
        if assignee:
            return runtime.Actor(assignee, self.users.get(assignee, set()) | ({group} if group else set()))
        members = sorted(name for name, groups in self.users.items() if group in groups)
        if members:
            name = self.rng.choice(members)
            return runtime.Actor(name, self.users[name])
        admin = next((n for n, g in sorted(self.users.items()) if "admin" in g), "admin")
        return runtime.Actor(admin, self.users.get(admin, set()), admin=True)


def _specs(info: store.DefinitionInfo) -> list[Any]:
    nested = (t for sp in info.subprocess_specs.values() for t in sp.task_specs.values())
    return [*info.spec.task_specs.values(), *nested]


WORK_START, WORK_END = time(9, 0), time(18, 0)


def _working_time(at: datetime) -> datetime:
    """at, or the next working moment (weekdays 9:00-18:00) after it."""
    while at.weekday() >= 5 or at.time() >= WORK_END:
        at = datetime.combine(at.date() + timedelta(days=1), WORK_START, at.tzinfo)
    if at.time() < WORK_START:
        at = datetime.combine(at.date(), WORK_START, at.tzinfo)
    return at


def _add_working_hours(at: datetime, hours: float) -> datetime:
    """at plus hours counted only in working time."""
    at, left = _working_time(at), timedelta(hours=hours)
    while True:
        end_of_day = datetime.combine(at.date(), WORK_END, at.tzinfo)
        if at + left <= end_of_day:
            return at + left
        left -= end_of_day - at
        at = _working_time(end_of_day)

