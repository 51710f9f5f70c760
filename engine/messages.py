"""BPMN messages: an index of the instances waiting for one, and delivery of an incoming message.

SpiffWorkflow correlates a message only inside one loaded workflow, so Flowdesk keeps the waiting side in
`message_subscription` (message name + correlation key -> the waiting task), rebuilt after every step, and routes
an incoming message to the one instance it names, or starts an instance of a process with that message start event.

Correlation: a BPMN correlation property (`bpmn:correlationProperty`) is read from a message by its retrieval
expression. The value the *process* expects is, in this order: what the workflow already correlated on (an earlier
message of the instance), the property's `spiffworkflow:processVariableCorrelation` expression, or the retrieval
expression evaluated against the waiting task's data (the process holds the value under the name the message carries
it). The key is canonical text of the property values, sorted by name: `order_number=SO-000012`; "" when uncorrelated.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import Conflict, FlowdeskError, Forbidden, InvalidInput, NotFound
from engine import deployment, history, runtime, starts, store
from engine.forms import decimalize
from engine.history import EventType, canonical, to_jsonable
from engine.models import (
    Event,
    InstanceStatus,
    MessageReceipt,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
)
from engine.script_engine import StepContext
from engine.spiff import Serializer

MAX_KEY_CHARS = 512  # message_subscription.correlation_key
_HELD = (InstanceStatus.SUSPENDED, InstanceStatus.ERROR)  # waiting, but not to be delivered to now
_HASHED = "sha256:"


@dataclass(frozen=True)
class DeliveryResult:
    """Where a message went: the instance it reached or started, and the element that caught it."""

    instance_id: int | None
    started: bool
    duplicate: bool
    element_id: str | None


@dataclass(frozen=True)
class WaitingCatch:
    """One message a workflow waits for, as indexed: the catching task (for an event-based gateway, the gateway)
    and the task guid and element of the subscription (for a gateway, the branch's catch event)."""

    task: Any
    guid: str
    element_id: str
    definition: MessageEventDefinition
    key: str


# ---------------------------------------------------------------- correlation keys


def _text(value: Any) -> str:
    """A correlation value as text: numbers compare by value (12 == 12.0 == Decimal("12.00"))."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return canonical(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return format(Decimal(value).normalize(), "f")
    return canonical(value)


def correlation_key(values: dict[str, Any], unresolved: frozenset[str] = frozenset()) -> str:
    """The canonical key of correlation property values: `name=value` pairs sorted by name, URL-encoded.

    An unresolved property is a bare name, which no message's key contains: such a wait is never matched.
    Keys longer than the column are hashed (both sides hash the same way).
    """
    key = urlencode(sorted((name, _text(value)) for name, value in values.items()))
    if unresolved:
        key = "&".join(filter(None, [key, *sorted(unresolved)]))
    if len(key) > MAX_KEY_CHARS:
        key = _HASHED + hashlib.sha256(key.encode()).hexdigest()
    return key


def _describe(key: str) -> str:
    return f"correlation {key}" if key else "no correlation"


_MISSING = object()


def _known_value(correlations: dict[str, Any], prop: Any) -> Any:
    """The value this workflow already correlated the property on (an earlier message), if any."""
    for key_name in prop.correlation_keys:
        known = correlations.get(key_name) or {}
        if prop.name in known:
            return known[prop.name]
    return _MISSING


def _expected_key(task: Any, definition: MessageEventDefinition) -> str:
    """The correlation key a waiting task expects (see the module docstring for where each value comes from)."""
    # A spiffworkflow:processVariableCorrelation (an expression over the process's data) wins over the message's own.
    process_side = {p.name: p for p in getattr(definition, "process_correlations", None) or []}
    props = {p.name: p for p in definition.correlation_properties} | process_side
    environment = task.workflow.script_engine.environment
    values: dict[str, Any] = {}
    unresolved: set[str] = set()
    for name, prop in props.items():
        value = _known_value(task.workflow.correlations, prop)
        if value is _MISSING:
            try:
                value = environment.evaluate(prop.retrieval_expression, dict(task.data))
            except Exception:  # the data lacks it (yet): record the wait, matchable by no message
                unresolved.add(name)
                continue
        values[name] = value
    return correlation_key(values, frozenset(unresolved))


# ---------------------------------------------------------------- the waiting side


def waiting_catches(workflow: BpmnWorkflow) -> Iterator[WaitingCatch]:
    """Every message the workflow waits for: catch events, receive tasks, boundary events, event-based gateway
    branches, in subprocesses too. Start events of the process itself are left out: their messages start new
    instances."""
    for task in list(workflow.event_manager.tasks.values()):
        spec = task.task_spec
        if not task.has_state(TaskState.WAITING) or not isinstance(spec, CatchingEvent):
            continue
        if isinstance(spec, StartEvent) and task.workflow is workflow:
            continue
        definition = spec.event_definition
        if isinstance(definition, MessageEventDefinition):
            yield WaitingCatch(task, str(task.id), spec.bpmn_id, definition, _expected_key(task, definition))
        elif isinstance(definition, MultipleEventDefinition) and isinstance(spec, EventBasedGateway):
            # The gateway holds its branches' event definitions, in the order of its children.
            for branch_definition, branch in zip(definition.event_definitions, task.children, strict=False):
                if isinstance(branch_definition, MessageEventDefinition):
                    yield WaitingCatch(task, str(branch.id), branch.task_spec.bpmn_id, branch_definition,
                                       _expected_key(task, branch_definition))


def _has_message_catches(info: store.DefinitionInfo) -> bool:
    """Whether a definition can ever wait for a message (a scan of its specs: microseconds, cheaper than a query)."""
    specs = [*info.spec.task_specs.values(),
             *(t for sp in info.subprocess_specs.values() for t in sp.task_specs.values())]
    return any(isinstance(getattr(t, "event_definition", None), MessageEventDefinition | MultipleEventDefinition)
               for t in specs)


def sync_subscriptions(ctx: StepContext, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Make the instance's subscription rows match the messages its workflow waits for now."""
    wanted: dict[str, WaitingCatch] = {}
    for waiting in waiting_catches(workflow):
        wanted.setdefault(waiting.guid, waiting)  # a multiple event with two messages: the first is indexed
    if not wanted and not _has_message_catches(store.definition_info(ctx.session, instance.definition_id)):
        return  # nothing to add, and nothing can exist to delete: no query on the hot path
    rows = ctx.session.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == instance.id))
    existing = {row.task_guid: row for row in rows}
    for guid, row in existing.items():
        now_waiting = wanted.get(guid)
        if now_waiting is None:
            ctx.session.delete(row)
        else:  # still waiting; its key changes if an earlier message of the instance fixed the correlation
            row.message_name, row.correlation_key = now_waiting.definition.name, now_waiting.key
            row.element_id = now_waiting.element_id
    for guid, waiting in wanted.items():
        if guid not in existing:
            ctx.session.add(MessageSubscription(
                instance_id=instance.id, task_guid=guid, element_id=waiting.element_id,
                message_name=waiting.definition.name, correlation_key=waiting.key, created_at=clock.now(),
            ))


# ---------------------------------------------------------------- delivery


def deliver(
    *,
    session: Session,
    name: str,
    correlation: dict[str, Any],
    payload: dict[str, Any],
    message_id: str | None,
    actor: runtime.Actor,
) -> DeliveryResult:
    """Deliver a message to the one running instance waiting for it with this correlation, or start an instance
    of the process whose newest version has it as a start message. A repeated message_id is answered with the
    earlier result, flagged duplicate. Runs in the caller's transaction."""
    if actor.read_only:
        raise Forbidden("auditors change nothing", code="read_only")
    correlation, payload = decimalize(correlation), decimalize(payload)
    message = _message(name, correlation, payload)
    key = correlation_key(correlation)
    receipt = None
    if message_id is not None:
        earlier = _claim_receipt(session, message_id, name, actor)
        if isinstance(earlier, DeliveryResult):
            return earlier
        receipt = earlier
    result = (_deliver_to_waiting(session, name, key, message, message_id, actor)
              or _start_by_message(session, name, key, message, message_id, actor))
    if result is None:
        raise NotFound(f"no running instance waits for message {name!r} with {_describe(key)}"
                       + _expected_hint(session, name), code="no_waiting_instance")
    if receipt is not None:
        receipt.instance_id = result.instance_id
    return result


def _message(name: str, correlation: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The message as the workflow sees it: the payload plus its correlation values (BPMN reads correlation
    properties from the message itself)."""
    clashes = sorted(k for k in correlation if k in payload and _text(payload[k]) != _text(correlation[k]))
    if clashes:
        raise InvalidInput(f"message {name!r}: the payload contradicts the correlation on {', '.join(clashes)}",
                           code="invalid_message")
    return {**payload, **correlation}


def _claim_receipt(session: Session, message_id: str, name: str, actor: runtime.Actor
                   ) -> MessageReceipt | DeliveryResult:
    """Record the message id first: a concurrent delivery of the same id waits on the unique index, then sees ours."""
    existing = session.scalar(select(MessageReceipt).where(MessageReceipt.message_id == message_id))
    if existing is None:
        receipt = MessageReceipt(message_id=message_id, message_name=name, instance_id=None,
                                 received_by=actor.username, received_at=clock.now())
        try:
            with session.begin_nested():
                session.add(receipt)
                session.flush()
            return receipt
        except IntegrityError:
            existing = session.scalar(select(MessageReceipt).where(MessageReceipt.message_id == message_id))
            if existing is None:
                raise
    if existing.message_name != name:
        raise Conflict(f"message id {message_id!r} was already used for message {existing.message_name!r}",
                       code="message_id_reused")
    return _earlier_result(session, existing)


def _earlier_result(session: Session, receipt: MessageReceipt) -> DeliveryResult:
    """What the first delivery of a message id did, from the instance's history."""
    started, element_id = False, None
    if receipt.instance_id is not None:
        events = session.scalars(select(Event).where(
            Event.instance_id == receipt.instance_id, Event.type == EventType.MESSAGE_CORRELATED))
        for event in events:
            if event.data.get("message_id") == receipt.message_id:
                started, element_id = bool(event.data.get("started")), event.element_id
    return DeliveryResult(receipt.instance_id, started=started, duplicate=True, element_id=element_id)


def _expected_hint(session: Session, name: str) -> str:
    """Which correlation properties the instances waiting for this message use (for a clear 404)."""
    keys = session.scalars(select(MessageSubscription.correlation_key).where(
        MessageSubscription.message_name == name).distinct().limit(20))
    props = sorted({prop for key in keys if not key.startswith(_HASHED)
                    for prop, _ in parse_qsl(key, keep_blank_values=True)})
    return f"; instances waiting for it correlate on: {', '.join(props)}" if props else ""


def _deliver_to_waiting(session: Session, name: str, key: str, message: dict[str, Any], message_id: str | None,
                        actor: runtime.Actor) -> DeliveryResult | None:
    rows = session.execute(
        select(MessageSubscription.instance_id, ProcessInstance.status)
        .join(ProcessInstance, ProcessInstance.id == MessageSubscription.instance_id)
        .where(MessageSubscription.message_name == name, MessageSubscription.correlation_key == key)
    ).all()
    running = sorted({iid for iid, status in rows if status == InstanceStatus.RUNNING})
    held = sorted({iid for iid, status in rows if status in _HELD})
    if len(running) > 1:
        raise Conflict(f"message {name!r} with {_describe(key)} matches several waiting instances: "
                       + ", ".join(map(str, running)), code="ambiguous_correlation")
    if not running:
        if held:
            raise Conflict(f"instance {held[0]} waits for message {name!r} with {_describe(key)} but is not running",
                           code="instance_not_running")
        return None
    instance = runtime.lock_instance(session=session, instance_id=running[0])
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(f"instance {instance.id} is {instance.status}", code="instance_not_running")
    ctx, workflow = runtime.load_for_step(session, instance, actor=actor.username)
    targets = [w for w in waiting_catches(workflow) if w.definition.name == name and w.key == key]
    if not targets:  # another delivery got here first
        return None
    _catch(workflow, name, targets, message)
    _record(session, instance.id, name, key, message, message_id, actor, targets[0], started=False)
    runtime.advance(ctx, instance, workflow)
    return DeliveryResult(instance.id, started=False, duplicate=False, element_id=targets[0].element_id)


def _catch(workflow: BpmnWorkflow, name: str, targets: list[WaitingCatch], message: dict[str, Any]) -> None:
    """Hand the message to exactly the routed tasks, as SpiffWorkflow's event manager does for each task it
    matches (workflow.catch would also deliver it to other tasks waiting for the name with other keys)."""
    definition = targets[0].definition
    try:
        correlations = definition.calculate_correlations(
            workflow.script_engine, definition.correlation_properties, message)
    except Exception as exc:  # a retrieval expression that does not apply to this message
        raise InvalidInput(f"message {name!r}: a correlation property cannot be read from it: {exc}",
                           code="invalid_message") from exc
    event = BpmnEvent(definition, payload=copy.deepcopy(message), correlations=correlations)
    tasks = {id(t.task): t.task for t in targets}.values()
    for task in tasks:
        try:
            task.task_spec.catch(task, event)
            task.task_spec._update(task)
        except FlowdeskError:
            raise
        except Exception as exc:
            raise runtime.StepFailed(f"{task.task_spec.bpmn_id}: catching message {name!r} failed: {exc}") from exc
        if not task.has_state(TaskState.READY):
            raise Conflict(f"{task.task_spec.bpmn_id} did not accept message {name!r} (its correlation differs)",
                           code="not_waiting")
        if getattr(definition, "message_var", None) is None:
            # No spiffworkflow:messageVariable (e.g. a Camunda or bpmn.io diagram): the message's fields become data.
            task.data.update(copy.deepcopy(message))


def _record(session: Session, instance_id: int, name: str, key: str, message: dict[str, Any],
            message_id: str | None, actor: runtime.Actor, target: WaitingCatch, *, started: bool) -> None:
    history.record(
        session=session, type_=EventType.MESSAGE_CORRELATED, actor=actor.username, instance_id=instance_id,
        element_id=target.element_id, task_guid=target.guid,
        data={"message": name, "correlation_key": key, "message_id": message_id, "started": started,
              "payload": to_jsonable(message)},
    )


# ---------------------------------------------------------------- message start events


def _start_events(info: store.DefinitionInfo, name: str) -> list[Any]:
    """The process's own start events that a message of this name starts."""
    return [t for t in info.spec.task_specs.values()
            if isinstance(t, StartEvent) and isinstance(t.event_definition, MessageEventDefinition)
            and t.event_definition.name == name]


def _start_by_message(session: Session, name: str, key: str, message: dict[str, Any], message_id: str | None,
                      actor: runtime.Actor) -> DeliveryResult | None:
    """Start the newest version of the process with this start message; its payload becomes the variables."""
    found = [d for d in deployment.list_latest(session=session)
             if _start_events(store.definition_info(session, d.id), name)]
    if not found:
        return None
    if len(found) > 1:
        raise Conflict(f"message {name!r} starts several processes: " + ", ".join(d.key for d in found),
                       code="ambiguous_correlation")
    definition = found[0]
    instance, ctx, workflow = _new_instance(session, definition, name, message, actor)
    runtime.advance(ctx, instance, workflow)  # to the waiting start event
    targets = [WaitingCatch(t, str(t.id), t.task_spec.bpmn_id, t.task_spec.event_definition, key)
               for t in workflow.event_manager.tasks.values()
               if t.has_state(TaskState.WAITING) and isinstance(t.task_spec, StartEvent)
               and t.workflow is workflow and t.task_spec.event_definition.name == name]
    if not targets:
        raise runtime.StepFailed(f"{definition.key} did not wait for its start message {name!r}")
    _catch(workflow, name, targets, message)
    _record(session, instance.id, name, key, message, message_id, actor, targets[0], started=True)
    runtime.advance(ctx, instance, workflow)
    return DeliveryResult(instance.id, started=True, duplicate=False, element_id=targets[0].element_id)


def _new_instance(session: Session, definition: ProcessDefinition, name: str, message: dict[str, Any],
                  actor: runtime.Actor) -> tuple[ProcessInstance, StepContext, BpmnWorkflow]:
    """A new instance row and workflow with the message as its first data (as runtime.start_instance does)."""
    instance = ProcessInstance(
        definition_id=definition.id, process_key=definition.key, state="{}", serializer_version=Serializer.VERSION,
        started_by=actor.username, started_at=clock.now(),
    )
    session.add(instance)
    session.flush()
    instance.business_key = f"{definition.key.upper().replace('_', '-')}-{instance.id:06d}"
    ctx = StepContext(session=session, instance_id=instance.id, actor=actor.username)
    workflow = store.new_workflow(store.definition_info(session, definition.id), ctx)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(copy.deepcopy(message), business_key=instance.business_key)
    starts.choose(workflow, starts.by_message(name))
    history.record(
        session=session, type_=EventType.INSTANCE_STARTED, actor=actor.username, instance_id=instance.id,
        data={"process_key": definition.key, "version": definition.version, "business_key": instance.business_key,
              "variables": to_jsonable(message), "message": name},
    )
    return instance, ctx, workflow
