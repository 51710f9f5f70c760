"""Messages a process throws to another process (send task, intermediate or end message throw event).

SpiffWorkflow keeps a thrown message that nothing inside the same workflow catches in `workflow.bpmn_events`.
Flowdesk takes those at the end of each step and turns each into a `message` job in the same transaction, so
the message leaves only if the step commits. The job delivers it through `engine.messages.deliver` in its own
transaction (the receiver has its own instance lock). The job key doubles as the message id, so a job that runs
twice delivers once. No receiver yet is an error that the job retries and, when retries run out, an incident.
"""

from __future__ import annotations

import uuid
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from sqlalchemy.orm import Session

from engine import history, jobs
from engine.history import EventType, to_jsonable
from engine.models import Job
from engine.script_engine import StepContext

SENDER = "message"
MAX_ATTEMPTS = 8  # 2 s doubling: about 8 minutes for the receiver to appear before an incident


def flat_correlation(correlations: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Spiff's {correlation key: {property: value}} as one {property: value} map (Flowdesk correlates by property)."""
    flat: dict[str, Any] = {}
    for values in correlations.values():
        flat.update(values)
    return flat


def send_thrown(ctx: StepContext, workflow: BpmnWorkflow) -> None:
    """Queue every message the step threw that no task of this workflow caught."""
    if not workflow.bpmn_events:
        return  # the common case: no list copy, no work
    for event in workflow.get_events():
        definition = event.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue  # signals and escalations that leave the workflow are not routed between instances
        key = f"msg:{ctx.instance_id}:{uuid.uuid4().hex}"  # also the message id the receiver deduplicates on
        message = {
            "name": definition.name,
            "correlation": to_jsonable(flat_correlation(event.correlations)),
            "payload": to_jsonable(event.payload or {}),
        }
        job = jobs.enqueue(session=ctx.session, kind="message", key=key, instance_id=ctx.instance_id,
                           payload=message, max_attempts=MAX_ATTEMPTS)
        history.record(session=ctx.session, type_=EventType.MESSAGE_SENT, actor=ctx.actor,
                       instance_id=ctx.instance_id,
                       data={"message": definition.name, "correlation": message["correlation"], "job_id": job.id})


@jobs.handler("message")
def _deliver(session: Session, job: Job) -> None:
    """Deliver a thrown message to the instance waiting for it, or start one by message."""
    from engine import messages, runtime

    messages.deliver(
        session=session,
        name=job.payload["name"],
        correlation=job.payload["correlation"],
        payload=job.payload["payload"],
        message_id=job.idempotency_key,
        actor=runtime.Actor(SENDER, admin=True),
    )
