"""Messages: POST /api/v1/messages/{name} reaches the instance waiting for it, or starts one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from engine import messages
from web.deps import ApiUser, SessionDep, actor_of

router = APIRouter(prefix="/messages", tags=["messages"])


class MessageIn(BaseModel):
    """An incoming message: its correlation values pick the waiting instance; the payload is its data."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"correlation": {"order_number": "SO-000012"}, "payload": {"amount": "250.00"}, "message_id": "bank-4711"}]})
    correlation: dict[str, Any] = Field(
        default_factory=dict, description="correlation property -> value; empty for an uncorrelated message")
    payload: dict[str, Any] = Field(default_factory=dict, description="the message's data")
    message_id: str | None = Field(
        default=None, min_length=1, max_length=128,
        description="the sender's id for this message: a repeated id is acknowledged, not delivered again")


class MessageOut(BaseModel):
    instance_id: int | None = Field(description="the instance the message reached or started")
    started: bool = Field(description="true when a message start event started a new instance")
    duplicate: bool = Field(description="true when message_id was seen before: nothing was delivered again")
    element_id: str | None = Field(description="the BPMN element that caught the message")


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {}}}


@router.post(
    "/{name}",
    response_model=MessageOut,
    responses={
        404: _problem("no running instance waits for this message and correlation (code no_waiting_instance), "
                      "and no process starts with it"),
        409: _problem("several instances wait with this correlation (ambiguous_correlation), the waiting instance "
                      "is suspended (instance_not_running), or the message id was used for another message "
                      "(message_id_reused)"),
        422: _problem("the request is not valid, or the payload contradicts the correlation (invalid_message)"),
    },
)
def send_message(
    name: Annotated[str, Path(min_length=1, max_length=128, description="the BPMN message name")],
    body: MessageIn,
    session: SessionDep,
    user: ApiUser,
) -> MessageOut:
    """Deliver a message to the running instance waiting for it with these correlation values, or start an
    instance of the process whose newest version has it as a start message."""
    result = messages.deliver(session=session, name=name, correlation=body.correlation, payload=body.payload,
                              message_id=body.message_id, actor=actor_of(user))
    session.commit()
    return MessageOut(instance_id=result.instance_id, started=result.started, duplicate=result.duplicate,
                      element_id=result.element_id)
