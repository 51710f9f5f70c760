"""Response and request bodies of /api/v1 (FastAPI generates the OpenAPI from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.models import Event, HumanTask, Incident, ProcessDefinition, ProcessInstance


class TokenIn(BaseModel):
    username: str
    password: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class DefinitionOut(BaseModel):
    id: int
    key: str
    version: int
    name: str
    content_hash: str
    deployed_by: str
    deployed_at: datetime
    start_form: dict[str, Any] | None = None

    @classmethod
    def of(cls, d: ProcessDefinition) -> DefinitionOut:
        form = d.forms.get(d.start_form) if d.start_form else None
        return cls(id=d.id, key=d.key, version=d.version, name=d.name, content_hash=d.content_hash,
                   deployed_by=d.deployed_by, deployed_at=d.deployed_at, start_form=form)


class DeployedOut(BaseModel):
    id: int
    key: str
    version: int
    created: bool


class DeployOut(BaseModel):
    deployed: list[DeployedOut]


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    process_key: str = Field(min_length=1)
    business_key: str | None = Field(default=None, max_length=128)
    variables: dict[str, Any] = Field(default_factory=dict)


class TaskOut(BaseModel):
    id: int
    instance_id: int
    element_id: str
    name: str
    lane: str | None
    candidate_group: str | None
    assignee: str | None
    status: str
    created_at: datetime
    claimed_at: datetime | None
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    business_key: str | None = None
    process_key: str | None = None

    @classmethod
    def of(cls, t: HumanTask, instance: ProcessInstance | None = None) -> TaskOut:
        return cls(
            id=t.id, instance_id=t.instance_id, element_id=t.element_id, name=t.name, lane=t.lane,
            candidate_group=t.candidate_group, assignee=t.assignee, status=str(t.status), created_at=t.created_at,
            claimed_at=t.claimed_at, due_at=t.due_at, completed_at=t.completed_at, completed_by=t.completed_by,
            business_key=instance.business_key if instance else None,
            process_key=instance.process_key if instance else None,
        )


class TaskDetailOut(TaskOut):
    form_schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    variables: dict[str, Any]


class TaskListOut(BaseModel):
    count: int
    tasks: list[TaskOut]


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    data: dict[str, Any] = Field(default_factory=dict)


class CompleteOut(BaseModel):
    task: TaskOut
    instance_status: str
    next_task_id: int | None


class InstanceOut(BaseModel):
    id: int
    process_key: str
    version: int
    definition_id: int
    business_key: str | None
    status: str
    started_by: str
    started_at: datetime
    ended_at: datetime | None
    open_tasks: list[TaskOut]
    incidents: list[IncidentOut] = Field(default_factory=list)
    variables: dict[str, Any]


class IncidentOut(BaseModel):
    id: int
    instance_id: int
    element_id: str | None
    kind: str
    error: str
    trace: str
    attempts: int
    status: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None

    @classmethod
    def of(cls, i: Incident) -> IncidentOut:
        return cls(id=i.id, instance_id=i.instance_id, element_id=i.element_id, kind=i.kind, error=i.error,
                   trace=i.trace, attempts=i.attempts, status=str(i.status), created_at=i.created_at,
                   resolved_at=i.resolved_at, resolved_by=i.resolved_by)


class OperationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=1000)


class EventOut(BaseModel):
    seq: int
    type: str
    at: datetime
    actor: str
    element_id: str | None
    task_guid: str | None
    data: dict[str, Any]
    hash: str

    @classmethod
    def of(cls, e: Event) -> EventOut:
        return cls(seq=e.seq, type=e.type, at=e.at, actor=e.actor, element_id=e.element_id, task_guid=e.task_guid,
                   data=e.data, hash=e.hash)


class HistoryOut(BaseModel):
    instance_id: int
    events: list[EventOut]
