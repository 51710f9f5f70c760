"""Outbound webhook subscriptions (admins only): history events POSTed to a URL, HMAC-signed with the secret.

The request and response bodies live here rather than in schemas.py: nothing else uses them.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from domain.errors import Forbidden
from domain.identity import service as identity
from domain.identity.models import User
from engine import webhooks
from engine.models import WebhookSubscription
from web.deps import ApiUser, SessionDep

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2048, examples=["https://example.com/flowdesk-events"])
    event_types: list[str] = Field(min_length=1, examples=[["instance_completed", "incident_raised"]])
    process_key: str | None = Field(default=None, max_length=128)


class WebhookOut(BaseModel):
    id: int
    url: str
    event_types: list[str]
    process_key: str | None
    active: bool
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, s: WebhookSubscription) -> WebhookOut:
        return cls(id=s.id, url=s.url, event_types=list(s.event_types), process_key=s.process_key, active=s.active,
                   created_by=s.created_by, created_at=s.created_at)


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Shown once: verify X-Flowdesk-Signature (sha256=HMAC of the raw body) with it.")


def _require_admin(user: User) -> None:
    if not identity.is_admin(user):
        raise Forbidden("only admins manage webhooks", code="not_an_admin")


@router.post("", response_model=WebhookCreatedOut, status_code=201)
def create_webhook(body: WebhookIn, session: SessionDep, user: ApiUser) -> WebhookCreatedOut:
    """Subscribe a URL to history event types (optionally of one process); the secret is in this answer only."""
    _require_admin(user)
    subscription = webhooks.create_subscription(session=session, url=body.url, event_types=body.event_types,
                                                process_key=body.process_key, actor=user.username)
    session.commit()
    return WebhookCreatedOut(**WebhookOut.of(subscription).model_dump(), secret=subscription.secret)


@router.get("", response_model=list[WebhookOut])
def list_webhooks(session: SessionDep, user: ApiUser) -> list[WebhookOut]:
    """Every subscription (without secrets)."""
    _require_admin(user)
    return [WebhookOut.of(s) for s in webhooks.list_subscriptions(session=session)]


@router.delete("/{webhook_id}", status_code=204, response_class=Response)
def delete_webhook(webhook_id: int, session: SessionDep, user: ApiUser) -> Response:
    """Unsubscribe; deliveries still queued for it are dropped."""
    _require_admin(user)
    webhooks.delete_subscription(session=session, subscription_id=webhook_id)
    session.commit()
    return Response(status_code=204)
