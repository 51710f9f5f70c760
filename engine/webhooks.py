"""Outbound webhooks: history events POSTed to subscribers as JSON, HMAC-signed, delivered and retried as jobs.

history.write_pending_events hands every batch of written events to enqueue_deliveries, which costs one query of
the active subscriptions per transaction (nothing more when there are none). A matching event becomes a "webhook"
job in the same transaction, so only committed history is ever announced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session

from domain import clock
from domain.errors import InvalidInput, NotFound
from engine import jobs
from engine.models import Event, Job, JobStatus, ProcessDefinition, ProcessInstance, WebhookSubscription

TIMEOUT = 5.0  # seconds per delivery attempt
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = 10.0  # then 20, 40, 80, 160: about five minutes of receiver downtime is survived
SIGNATURE_HEADER = "X-Flowdesk-Signature"
_DELIVERY_NAMESPACE = uuid.UUID("5b0f6c1e-8a51-4c0e-9d4f-0d6f1c7e2a10")
_SUBSCRIPTIONS = "flowdesk_webhook_subscriptions"
_PROCESS_KEYS = "flowdesk_webhook_process_keys"
_ACTIVE = select(WebhookSubscription.id, WebhookSubscription.event_types, WebhookSubscription.process_key).where(
    WebhookSubscription.active.is_(True))
_INSTANCE_KEYS = select(ProcessInstance.id, ProcessInstance.process_key).where(
    ProcessInstance.id.in_(bindparam("ids", expanding=True)))
_DEFINITION_KEYS = select(ProcessDefinition.id, ProcessDefinition.key).where(
    ProcessDefinition.id.in_(bindparam("ids", expanding=True)))
_INSERT_JOBS = insert(Job).returning(Job.id)


class WebhookRejected(Exception):
    """The receiver answered with something other than 2xx: the job machinery retries."""


@dataclass(frozen=True)
class _Active:
    id: int
    event_types: frozenset[str]
    process_key: str | None


# --- subscriptions (admins, through /api/v1/webhooks) ---

def check_url(url: str) -> str:
    """The URL if it is an absolute http(s) URL with a host, else InvalidInput."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2048 or any(c.isspace() for c in url):
        raise InvalidInput("a webhook URL must be an absolute http:// or https:// URL", code="invalid_webhook_url")
    return url


def check_event_types(event_types: Iterable[str]) -> list[str]:
    """The event types, deduplicated in order, if each is a history event type; else InvalidInput."""
    from engine.history import EventType

    known = {t.value for t in EventType}
    chosen = list(dict.fromkeys(event_types))
    unknown = [t for t in chosen if t not in known]
    if not chosen or unknown:
        raise InvalidInput("event_types must name at least one history event type",
                           code="invalid_event_types",
                           errors=[{"field": "event_types", "message": f"unknown event type {t!r}"} for t in unknown])
    return chosen


def create_subscription(*, session: Session, url: str, event_types: Sequence[str], process_key: str | None,
                        actor: str) -> WebhookSubscription:
    """A new active subscription with a generated secret (the caller shows it once)."""
    subscription = WebhookSubscription(url=check_url(url), secret=secrets.token_hex(32),
                                       event_types=check_event_types(event_types),
                                       process_key=(process_key or "").strip() or None, active=True,
                                       created_by=actor, created_at=clock.now())
    session.add(subscription)
    session.flush()
    return subscription


def list_subscriptions(*, session: Session) -> Sequence[WebhookSubscription]:
    """The active subscriptions, oldest first."""
    return session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
                           .order_by(WebhookSubscription.id)).all()


def delete_subscription(*, session: Session, subscription_id: int) -> None:
    """End a subscription; its deliveries still queued are dropped when they run.

    The row stays, inactive: SQLite may reuse the id of a deleted row, and a queued delivery of the old
    subscription must never reach a new one.
    """
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or not subscription.active:
        raise NotFound(f"webhook {subscription_id} not found", code="webhook_not_found")
    subscription.active = False
    session.flush()


# --- from history events to delivery jobs ---

def _active(session: Session) -> tuple[_Active, ...]:
    cached: tuple[_Active, ...] | None = session.info.get(_SUBSCRIPTIONS)
    if cached is None:
        # Core on the session's connection: this may run inside a flush, where ORM queries must not autoflush.
        rows = session.connection().execute(_ACTIVE).all()
        cached = tuple(_Active(r[0], frozenset(r[1] or ()), r[2]) for r in rows)
        session.info[_SUBSCRIPTIONS] = cached
    return cached


def _process_keys(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """Process keys of the rows' instances (or definitions, for deployment events), cached per transaction."""
    known: dict[tuple[str, int], str] = session.info.setdefault(_PROCESS_KEYS, {})
    conn = session.connection()
    for kind, column, stmt in (("instance", "instance_id", _INSTANCE_KEYS),
                               ("definition", "definition_id", _DEFINITION_KEYS)):
        missing = {r[column] for r in rows if r[column] is not None and (kind, r[column]) not in known}
        if missing:
            known.update({(kind, i): key for i, key in conn.execute(stmt, {"ids": sorted(missing)})})
    return known


def _process_key(row: dict[str, Any], keys: dict[tuple[str, int], str]) -> str | None:
    if row["instance_id"] is not None:
        return keys.get(("instance", row["instance_id"]))
    if row["definition_id"] is not None:
        return keys.get(("definition", row["definition_id"]))
    return None


def _event_content(row: dict[str, Any]) -> dict[str, Any]:
    return {"type": row["type"], "chain": row["chain"], "seq": row["seq"], "at": row["at"].isoformat(),
            "actor": row["actor"], "instance_id": row["instance_id"], "definition_id": row["definition_id"],
            "element_id": row["element_id"], "task_guid": row["task_guid"], "data": row["data"], "hash": row["hash"]}


def enqueue_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    """One "webhook" job per (active subscription, new event) that matches its event types and process key."""
    subscriptions = _active(session)
    if not subscriptions:
        return
    wanted = [(row, [s for s in subscriptions if row["type"] in s.event_types]) for row in rows]
    wanted = [(row, subs) for row, subs in wanted if subs]
    if not wanted:
        return
    keys = _process_keys(session, [row for row, _ in wanted])
    now, new_jobs = clock.now(), []
    for row, subs in wanted:
        process_key = _process_key(row, keys)
        for sub in subs:
            if sub.process_key is not None and sub.process_key != process_key:
                continue
            key = f"webhook:{sub.id}:{row['chain']}:{row['seq']}"
            payload = {"subscription_id": sub.id, "delivery": str(uuid.uuid5(_DELIVERY_NAMESPACE, key)),
                       "process_key": process_key, "event": _event_content(row)}
            new_jobs.append({"kind": "webhook", "idempotency_key": key, "status": JobStatus.PENDING, "due_at": now,
                             "created_at": now, "attempts": 0, "payload": payload, "max_attempts": MAX_ATTEMPTS,
                             "backoff_seconds": BACKOFF_SECONDS})
    if new_jobs:
        # Core, like the events themselves: this runs inside a flush, where jobs.enqueue (which flushes) cannot.
        for job_id in session.connection().execute(_INSERT_JOBS, new_jobs).scalars():
            jobs.dispatch_after_commit(session, job_id)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget_subscriptions(session: Session, *_: object) -> None:
    # Read once per transaction: a subscription made or removed elsewhere counts from the next transaction on.
    session.info.pop(_SUBSCRIPTIONS, None)
    session.info.pop(_PROCESS_KEYS, None)


# --- delivery ---

def sign(secret: str, body: bytes) -> str:
    """The signature header value: sha256=<hex HMAC-SHA256 of the raw body with the subscription's secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@jobs.handler("webhook")
def deliver(session: Session, job: Job) -> None:
    """POST one event to its subscriber; a non-2xx answer or a network error raises, so the job retries."""
    payload = job.payload
    subscription = session.get(WebhookSubscription, payload["subscription_id"])
    if subscription is None or not subscription.active:
        return  # unsubscribed since: nothing to deliver
    content = payload["event"]
    event_id = session.scalar(select(Event.id).where(Event.chain == content["chain"], Event.seq == content["seq"]))
    body = json.dumps({"delivery": payload["delivery"], "event": {"id": event_id, **content},
                       "instance_id": content["instance_id"], "process_key": payload["process_key"]},
                      ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "Flowdesk-Webhooks/1",
               SIGNATURE_HEADER: sign(subscription.secret, body), "X-Flowdesk-Event": content["type"],
               "X-Flowdesk-Delivery": payload["delivery"]}
    url = subscription.url
    # Nothing is written: end the transaction while waiting on the receiver (on SQLite it holds the write lock).
    session.rollback()
    response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT, follow_redirects=False)
    if not 200 <= response.status_code < 300:
        raise WebhookRejected(f"{url} answered {response.status_code}")
