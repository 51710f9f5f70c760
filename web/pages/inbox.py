"""The inbox: my tasks and my groups' claimable tasks, with counts, sorting and claim/unclaim rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from engine import inbox
from engine.models import HumanTask, ProcessInstance
from web.deps import SessionDep, actor_of
from web.pages.common import UserDep, definition_names, page

router = APIRouter()


@dataclass
class InboxRow:
    """A task with what the inbox shows about its instance."""

    task: HumanTask
    instance: ProcessInstance
    process: str
    customer: str


def customer_name(variables: dict[str, object] | None) -> str:
    """The customer's name from instance variables, if the process loaded one."""
    customer = (variables or {}).get("customer")
    return str(customer.get("name", "")) if isinstance(customer, dict) else ""


def inbox_rows(session: Session, pairs: list[tuple[HumanTask, ProcessInstance]]) -> list[InboxRow]:
    """Rows for (task, instance) pairs."""
    names = definition_names(session, {i.definition_id for _, i in pairs})
    return [InboxRow(t, i, names.get(i.definition_id, i.process_key), customer_name(i.variables)) for t, i in pairs]


@router.get("/", response_class=HTMLResponse)
@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: SessionDep, user: UserDep, tab: Literal["mine", "group"] | None = None,
               sort: Literal["age", "due"] = "age") -> HTMLResponse:
    """My tasks or my groups' tasks (the tab with work in it when none is chosen), sorted by age or due date."""
    actor = actor_of(user)
    counts = inbox.counts(session=session, actor=actor)
    scope = tab or ("mine" if counts["mine"] or not counts["group"] else "group")
    pairs, total = inbox.list_open(session=session, actor=actor, scope=scope, sort=sort, limit=200)
    return page(request, "inbox.html", {"tab": scope, "sort": sort, "rows": inbox_rows(session, pairs),
                                        "total": total, "counts": counts}, session=session, user=user)
