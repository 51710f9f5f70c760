"""The engine's tables: deployed definitions, instances, human tasks, jobs and the event history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain import clock
from domain.db import Base


class InstanceStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    ERROR = "error"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ProcessDefinition(Base):
    """One deployed version of a process key; the parsed spec is stored once, here."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_process_definition_key_version"),
        UniqueConstraint("key", "content_hash", name="uq_process_definition_key_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(256), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    # The large columns load only when touched (steps use the parsed, cached spec instead).
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    bpmn_filename: Mapped[str] = mapped_column(String(256), default="")
    dmn_files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, deferred=True)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    start_form: Mapped[str | None] = mapped_column(String(256), default=None)
    lane_groups: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(default=clock.now)


class ProcessInstance(Base):
    """A running or finished instance; `state` is the workflow JSON without its spec."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(128), index=True)
    business_key: Mapped[str | None] = mapped_column(String(128), index=True, default=None)
    status: Mapped[InstanceStatus] = mapped_column(String(16), default=InstanceStatus.RUNNING, index=True)
    state: Mapped[str] = mapped_column(Text)
    # JSON-safe snapshot of the current task data: context for inbox and task pages without loading the workflow.
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(16))
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    lock_version: Mapped[int] = mapped_column(default=1)

    # Optimistic check everywhere; PostgreSQL also takes a row lock (runtime.lock_instance).
    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(Base):
    """A user or manual task waiting for a person; mirrors a READY task of the workflow."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_guid", name="uq_human_task_instance_guid"),
        Index("ix_human_task_status_group", "status", "candidate_group"),
        Index("ix_human_task_status_assignee", "status", "assignee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    lane: Mapped[str | None] = mapped_column(String(128), default=None)
    candidate_group: Mapped[str | None] = mapped_column(String(64), default=None)
    assignee: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[TaskStatus] = mapped_column(String(16), default=TaskStatus.OPEN)
    form_file: Mapped[str | None] = mapped_column(String(256), default=None)
    ui_form_file: Mapped[str | None] = mapped_column(String(256), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_by: Mapped[str | None] = mapped_column(String(64), default=None)


class Job(Base):
    """Work off the request path; the row is the truth, the transport only carries its id."""

    __tablename__ = "job"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_job_idempotency_key"),
        Index("ix_job_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str | None] = mapped_column(String(36), default=None)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    status: Mapped[JobStatus] = mapped_column(String(16), default=JobStatus.PENDING)
    due_at: Mapped[datetime] = mapped_column(default=clock.now)
    attempts: Mapped[int] = mapped_column(default=0)
    locked_by: Mapped[str | None] = mapped_column(String(128), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    # Retry policy, fixed when the job is created (from the diagram's retries, the operator, or the default).
    max_attempts: Mapped[int] = mapped_column(default=3, server_default="3")
    backoff_seconds: Mapped[float] = mapped_column(default=2.0, server_default="2")


class Event(Base):
    """Append-only history; each row is hash-chained to the previous row of its chain."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_event_chain_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(48), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True, default=None)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"), default=None)
    element_id: Mapped[str | None] = mapped_column(String(128), default=None)
    task_guid: Mapped[str | None] = mapped_column(String(36), default=None)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """The last (seq, hash) of each event chain, written with the events: deleting or adding rows at a chain's end
    no longer verifies."""

    __tablename__ = "chain_head"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Incident(Base):
    """A job that exhausted its retries: the instance waits until someone fixes the cause and retries."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), default=None)
    element_id: Mapped[str | None] = mapped_column(String(128), default=None)
    kind: Mapped[str] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text)
    trace: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    status: Mapped[IncidentStatus] = mapped_column(String(16), default=IncidentStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(64), default=None)


class MessageSubscription(Base):
    """An instance waiting for a message: name + correlation key -> the waiting task.

    SpiffWorkflow correlates only inside one loaded workflow, so Flowdesk indexes the waiting side itself.
    """

    __tablename__ = "message_subscription"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_guid", name="uq_message_subscription_instance_task"),
        Index("ix_message_subscription_name_key", "message_name", "correlation_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(128))
    message_name: Mapped[str] = mapped_column(String(128))
    correlation_key: Mapped[str] = mapped_column(String(512), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class MessageReceipt(Base):
    """Each delivered message id once: a repeated id is acknowledged, not delivered again."""

    __tablename__ = "message_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), unique=True)
    message_name: Mapped[str] = mapped_column(String(128))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="SET NULL"))
    received_by: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=clock.now)


class WebhookSubscription(Base):
    """An outbound webhook: process events POSTed to url, HMAC-signed with secret, retried as jobs."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(128))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    process_key: Mapped[str | None] = mapped_column(String(128), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class InstanceFacet(Base):
    """A value of a configured top-level workflow data key (customer_code, customer_tier, region) an instance had:
    the indexed way to filter monitoring by instance data and to find every instance that touched a customer."""

    __tablename__ = "instance_facet"
    __table_args__ = (
        UniqueConstraint("instance_id", "name", "value", name="uq_instance_facet_instance_name_value"),
        Index("ix_instance_facet_name_value", "name", "value", "instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(256))


class ElementPassage(Base):
    """One element completion of a finished instance with its durations, rolled up from the history once the
    instance ended (engine/metrics_rollup.py): monitoring reads these instead of windowing over every event."""

    __tablename__ = "element_passage"
    # Covering: the heatmap reads a time range of a definition from the index alone.
    __table_args__ = (Index("ix_element_passage_definition_completed", "definition_id", "completed_at", "human",
                            "element_id", "prev_element_id", "total_seconds", "waiting_seconds", "working_seconds"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    element_id: Mapped[str] = mapped_column(String(128))
    prev_element_id: Mapped[str | None] = mapped_column(String(128), default=None)
    human: Mapped[bool] = mapped_column(default=False)
    completed_at: Mapped[datetime]
    total_seconds: Mapped[float]
    waiting_seconds: Mapped[float | None] = mapped_column(default=None)
    working_seconds: Mapped[float | None] = mapped_column(default=None)


class PassageRollup(Base):
    """A finished instance whose passages are in element_passage (the primary key stops a second roll-up)."""

    __tablename__ = "passage_rollup"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    rolled_up_at: Mapped[datetime] = mapped_column(default=clock.now)


# Monitoring (#6): per-process time ranges, overdue tasks and each instance's events in order.
Index("ix_process_instance_key_started", ProcessInstance.process_key, ProcessInstance.started_at)
Index("ix_process_instance_key_ended", ProcessInstance.process_key, ProcessInstance.ended_at)
Index("ix_human_task_status_due", HumanTask.status, HumanTask.due_at)
Index("ix_human_task_completed_at", HumanTask.completed_at)
Index("ix_human_task_open", HumanTask.created_at, sqlite_where=HumanTask.status == "open",
      postgresql_where=HumanTask.status == "open")
Index("ix_event_instance_seq", Event.instance_id, Event.seq)
# Nearest-rank percentiles on SQLite: each element's durations in order, walked with LIMIT/OFFSET (metrics_sql);
# the time and instance columns let the walk filter by range and facet from the index alone.
Index("ix_element_passage_total_rank", ElementPassage.definition_id, ElementPassage.human, ElementPassage.element_id,
      ElementPassage.total_seconds, ElementPassage.completed_at, ElementPassage.instance_id)
Index("ix_element_passage_waiting_rank", ElementPassage.definition_id, ElementPassage.human, ElementPassage.element_id,
      ElementPassage.waiting_seconds, ElementPassage.completed_at, ElementPassage.instance_id)
Index("ix_element_passage_working_rank", ElementPassage.definition_id, ElementPassage.human, ElementPassage.element_id,
      ElementPassage.working_seconds, ElementPassage.completed_at, ElementPassage.instance_id)
# The SLA figure counts completed tasks with a due time from the index alone (metrics.kpis).
Index("ix_human_task_status_due_completed", HumanTask.status, HumanTask.due_at, HumanTask.completed_at,
      HumanTask.instance_id)


class ProcessDraft(Base):
    """A diagram being edited in the browser, with its decision tables and forms, as a bundle holds them."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(128), index=True)
    base_definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"), default=None)
    bpmn_filename: Mapped[str] = mapped_column(String(256))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    dmn_files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deployed_definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"), default=None)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Optimistic lock: a save names the version it started from; a stale one is refused, nothing is overwritten.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class HistoryArchive(Base):
    """One retention batch: the archived events (gzipped JSON lines) with each chain's head, hash-chained to the
    previous batch; the hot rows are deleted in the same transaction (engine/retention.py)."""

    __tablename__ = "history_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    instance_count: Mapped[int]
    event_count: Mapped[int]
    heads: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # chain -> [last seq, head hash]
    payload: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ArchivedInstance(Base):
    """Which batch holds an instance's archived history (the instance page reads it from there)."""

    __tablename__ = "archived_instance"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    archive_id: Mapped[int] = mapped_column(ForeignKey("history_archive.id"), index=True)
