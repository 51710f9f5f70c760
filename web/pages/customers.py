"""Customers, leads, opportunities, the customer import and the 360-degree customer page (#3)."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from domain.crm import importing, pipeline, service
from domain.crm.models import (
    ContactRole,
    CreditRating,
    Customer,
    CustomerTier,
    FollowUpChannel,
    Lead,
    LeadStatus,
    OpportunityStage,
)
from domain.errors import Forbidden
from domain.identity.models import User
from domain.inventory.service import available
from domain.sales import quotes
from domain.sales.models import OrderStatus, QuoteStatus, SalesOrder
from domain.sales.service import list_orders
from engine.models import HumanTask, InstanceFacet, ProcessDefinition, ProcessInstance, TaskStatus
from web.deps import SessionDep
from web.form_html import N_
from web.pages.common import UserDep, flash, gettext_for, page, redirect

router = APIRouter()
PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
IMPORT_GROUPS = {"sales", "sales_management", "admin"}
E = TypeVar("E", bound=enum.Enum)

RATING_LABELS = {"A": N_("A (excellent)"), "B": N_("B (good)"), "C": N_("C (weak)"), "D": N_("D (poor)")}
LEAD_STATUS_LABELS = {LeadStatus.NEW: N_("New"), LeadStatus.CONTACTED: N_("Contacted"),
                      LeadStatus.QUALIFIED: N_("Qualified"), LeadStatus.DISQUALIFIED: N_("Disqualified"),
                      LeadStatus.CONVERTED: N_("Converted")}
STAGE_LABELS = {OpportunityStage.QUALIFICATION: N_("Qualification"), OpportunityStage.PROPOSAL: N_("Proposal"),
                OpportunityStage.NEGOTIATION: N_("Negotiation"), OpportunityStage.WON: N_("Won"),
                OpportunityStage.LOST: N_("Lost")}
ROLE_LABELS = {ContactRole.DECISION_MAKER: N_("Decision maker"), ContactRole.TECHNICAL: N_("Technical"),
               ContactRole.FINANCE: N_("Finance"), ContactRole.RECEIVING: N_("Receiving")}
CHANNEL_LABELS = {FollowUpChannel.PHONE: N_("Phone"), FollowUpChannel.EMAIL: N_("Email"),
                  FollowUpChannel.VISIT: N_("Visit"), FollowUpChannel.MEETING: N_("Meeting"),
                  FollowUpChannel.CHAT: N_("Chat"), FollowUpChannel.OTHER: N_("Other")}
QUOTE_STATUS_LABELS = {QuoteStatus.DRAFT: N_("Draft"), QuoteStatus.SENT: N_("Sent"),
                       QuoteStatus.ACCEPTED: N_("Accepted"), QuoteStatus.REJECTED: N_("Rejected"),
                       QuoteStatus.EXPIRED: N_("Expired")}
ORDER_STATUS_LABELS = {OrderStatus.DRAFT: N_("Draft"), OrderStatus.CONFIRMED: N_("Confirmed"),
                       OrderStatus.PARTIALLY_SHIPPED: N_("Partially shipped"), OrderStatus.SHIPPED: N_("Shipped"),
                       OrderStatus.INVOICED: N_("Invoiced")}
IMPORT_COLUMN_LABELS = {"code": N_("Code"), "name": N_("Name"), "tier": N_("Tier"),
                        "credit_rating": N_("Credit rating"), "credit_limit": N_("Credit limit"),
                        "currency": N_("Currency"), "payment_terms_days": N_("Payment terms (days)"),
                        "owner": N_("Owner"), "region": N_("Region"), "industry": N_("Industry"),
                        "sales_team": N_("Sales team")}
CRM_LABELS = {"rating": RATING_LABELS, "lead_status": LEAD_STATUS_LABELS, "stage": STAGE_LABELS,
              "role": ROLE_LABELS, "channel": CHANNEL_LABELS, "quote_status": QUOTE_STATUS_LABELS,
              "order_status": ORDER_STATUS_LABELS, "column": IMPORT_COLUMN_LABELS}


def parse_enum(cls: type[E], value: str) -> E | None:
    """The member of cls whose value is value, else None (an unknown filter value is no filter)."""
    try:
        return cls(value.strip()) if value.strip() else None
    except ValueError:
        return None


def paged(session: Session, query: Select[Any], page_no: int, size: int | None = None) -> tuple[list[Any], bool]:
    """One page of query's rows (PAGE_SIZE unless size is given) and whether there is a next page."""
    size = size or PAGE_SIZE
    rows = list(session.scalars(query.limit(size + 1).offset((max(page_no, 1) - 1) * size)))
    return rows[:size], len(rows) > size


def list_context(rows: list[Any], more: bool, page_no: int, base: str, filters: dict[str, str]) -> dict[str, Any]:
    """What a filtered, paged list template needs."""
    params = {k: v for k, v in filters.items() if v}
    return {"rows": rows, "more": more, "page_no": max(page_no, 1), "base": base, "filters": filters,
            "query": urlencode(params), "crm_labels": CRM_LABELS}


@router.get("/customers", response_class=HTMLResponse)
def customer_list(request: Request, session: SessionDep, user: UserDep, q: str = "", tier: str = "",
                  rating: str = "", owner: str = "", region: str = "", pool: str = "", page_no: int = 1
                  ) -> HTMLResponse:
    """Customers by code, searched by code or name, filtered by tier, credit rating, owner, region and pool."""
    query = service.customer_query(q=q, owner=owner.strip() or None, tier=parse_enum(CustomerTier, tier),
                                   credit_rating=parse_enum(CreditRating, rating), region=region.strip() or None,
                                   in_shared_pool={"yes": True, "no": False}.get(pool))
    rows, more = paged(session, query, page_no)
    filters = {"q": q.strip(), "tier": tier, "rating": rating, "owner": owner.strip(), "region": region.strip(),
               "pool": pool if pool in ("yes", "no") else ""}
    return page(request, "customers.html", list_context(rows, more, page_no, "/customers", filters) | {
        "tiers": [t.value for t in CustomerTier], "ratings": [r.value for r in CreditRating],
        "may_import": bool(user.group_names & IMPORT_GROUPS)}, session=session, user=user)


def _require_importer(user: User) -> None:
    if not (user.group_names & IMPORT_GROUPS):
        raise Forbidden("only sales and admins may import customers", code="not_a_customer_importer")


@router.get("/customers/import", response_class=HTMLResponse)
def import_form(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """Upload a CSV or Excel file of customers."""
    _require_importer(user)
    return page(request, "customer_import.html", {"preview": None, "crm_labels": CRM_LABELS,
                                                  "columns": importing.COLUMNS}, session=session, user=user)


@router.post("/customers/import", response_class=HTMLResponse)
async def import_upload(request: Request, session: SessionDep, user: UserDep,
                        file: UploadFile = File(...)) -> HTMLResponse:
    """The preview of an uploaded file: every row with its errors; nothing is written yet."""
    _require_importer(user)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        preview = importing.ImportPreview(columns=[], rows=[], file_errors=["the file is larger than 5 MB"])
    else:
        preview = importing.parse_customers(session=session, filename=file.filename or "", content=content)
    return _preview_page(request, session, user, preview, file.filename or "")


@router.post("/customers/import/confirm", response_model=None)
def import_confirm(request: Request, session: SessionDep, user: UserDep, rows: str = Form(...),
                   filename: str = Form("")) -> Response:
    """Create the previewed customers, checked again; all or none."""
    _require_importer(user)
    try:
        posted = json.loads(rows)
        header, body = [str(c) for c in posted["header"]], [[str(c) for c in row] for row in posted["body"]]
    except (ValueError, KeyError, TypeError):
        preview = importing.ImportPreview(columns=[], rows=[], file_errors=["the preview was damaged; upload again"])
        return _preview_page(request, session, user, preview, filename)
    preview = importing.preview_rows(session=session, header=header, body=body)
    if not preview.ok:  # someone else created one of these customers since the preview
        return _preview_page(request, session, user, preview, filename)
    created = importing.apply_import(session=session, preview=preview)
    session.commit()
    flash(request, gettext_for(request)("Customers imported: %(n)s") % {"n": len(created)})
    return redirect("/customers")


def _preview_page(request: Request, session: Session, user: User, preview: importing.ImportPreview,
                  filename: str) -> HTMLResponse:
    payload = json.dumps({"header": preview.columns,
                          "body": [[row.values.get(c, "") for c in preview.columns] for row in preview.rows]},
                         ensure_ascii=False)
    return page(request, "customer_import.html", {
        "preview": preview, "payload": payload, "filename": filename, "crm_labels": CRM_LABELS,
        "columns": importing.COLUMNS,
    }, session=session, user=user, status_code=200 if preview.ok else 422)


@dataclass(frozen=True)
class Section:
    """One part of the 360-degree page: its template and the function that builds its context."""

    key: str
    template: str
    build: Callable[[Session, Customer], dict[str, Any]]


@dataclass(frozen=True)
class ItemAvailability:
    sku: str
    name: str
    open_quantity: Decimal
    available: Decimal

    @property
    def short(self) -> bool:
        return self.available < self.open_quantity


def _contacts(session: Session, customer: Customer) -> dict[str, Any]:
    return {"contacts": customer.contacts}


def _pipeline(session: Session, customer: Customer) -> dict[str, Any]:
    leads = session.scalars(select(Lead).where(Lead.customer_id == customer.id).order_by(Lead.id.desc()).limit(20))
    return {"leads": list(leads),
            "opportunities": pipeline.list_opportunities(session=session, customer_id=customer.id, limit=20)}


def _follow_ups(session: Session, customer: Customer) -> dict[str, Any]:
    return {"follow_ups": service.list_follow_ups(session=session, customer_id=customer.id, limit=20)}


def _quotes(session: Session, customer: Customer) -> dict[str, Any]:
    return {"quotes": quotes.list_quotes(session=session, customer_id=customer.id, limit=20)}


def _orders(session: Session, customer: Customer) -> dict[str, Any]:
    return {"orders": list_orders(session=session, customer_id=customer.id, limit=20)}


def _availability(session: Session, customer: Customer) -> dict[str, Any]:
    """Each item on the customer's undelivered order lines: what is still to ship against what is available."""
    open_qty: dict[int, Decimal] = {}
    names: dict[int, tuple[str, str]] = {}
    orders: list[SalesOrder] = list_orders(session=session, customer_id=customer.id, limit=200)
    for order in orders:
        for line in order.lines:
            if line.delivered_qty < line.quantity:
                open_qty[line.item_id] = open_qty.get(line.item_id, Decimal(0)) + line.quantity - line.delivered_qty
                names[line.item_id] = (line.item.sku, line.item.name)
    rows = [ItemAvailability(names[i][0], names[i][1], qty, available(session=session, item_id=i))
            for i, qty in open_qty.items()]
    return {"availability": sorted(rows, key=lambda r: r.sku)}


def _receivables(session: Session, customer: Customer) -> dict[str, Any]:
    from web.pages.finance import customer_ar_context

    return customer_ar_context(session, customer.id)


def _service(session: Session, customer: Customer) -> dict[str, Any]:
    from web.pages.service import customer_service_context

    return customer_service_context(session, customer.id)


def _instances(session: Session, customer: Customer) -> dict[str, Any]:
    """Every process instance that touched the customer (through the indexed customer_code facet), newest first,
    with the steps open now."""
    ids = select(InstanceFacet.instance_id).where(InstanceFacet.name == "customer_code",
                                                  InstanceFacet.value == customer.code)
    rows = session.execute(
        select(ProcessInstance, ProcessDefinition.name, ProcessDefinition.version)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.id.in_(ids)).order_by(ProcessInstance.id.desc()).limit(50)
    ).all()
    open_steps: dict[int, list[str]] = {}
    for instance_id, name in session.execute(select(HumanTask.instance_id, HumanTask.name).where(
            HumanTask.instance_id.in_([r[0].id for r in rows]), HumanTask.status == TaskStatus.OPEN)):
        open_steps.setdefault(instance_id, []).append(name)
    return {"customer_instances": [{"instance": r[0], "process": f"{r[1]} · v{r[2]}",
                                    "open_steps": open_steps.get(r[0].id, [])} for r in rows]}


SECTIONS: list[Section] = [
    Section("master", "customer_360_master.html", lambda session, customer: {}),
    Section("contacts", "customer_360_contacts.html", _contacts),
    Section("pipeline", "customer_360_pipeline.html", _pipeline),
    Section("follow_ups", "customer_360_follow_ups.html", _follow_ups),
    Section("quotes", "customer_360_quotes.html", _quotes),
    Section("orders", "customer_360_orders.html", _orders),
    Section("availability", "customer_360_availability.html", _availability),
    Section("receivables", "finance_customer_ar.html", _receivables),
    Section("service", "service_customer.html", _service),
    Section("instances", "customer_360_instances.html", _instances),
]


def add_section(section: Section, *, after: str | None = None) -> None:
    """Add a section to the 360-degree page (at the end, or after the section with key after)."""
    keys = [s.key for s in SECTIONS]
    SECTIONS.insert(keys.index(after) + 1 if after in keys else len(SECTIONS), section)


def customer_360_context(session: Session, customer: Customer) -> dict[str, Any]:
    """Everything the 360-degree page shows: each section's context, and the section templates in order."""
    context: dict[str, Any] = {"customer": customer, "sections": [s.template for s in SECTIONS],
                               "crm_labels": CRM_LABELS}
    for section in SECTIONS:
        context.update(section.build(session, customer))
    return context


@router.get("/customers/{code}", response_class=HTMLResponse)
def customer_page(request: Request, code: str, session: SessionDep, user: UserDep) -> HTMLResponse:
    """The 360-degree view of one customer."""
    customer = service.get_customer_by_code(session=session, code=code)
    return page(request, "customer_360.html", customer_360_context(session, customer), session=session, user=user)


@router.get("/leads", response_class=HTMLResponse)
def lead_list(request: Request, session: SessionDep, user: UserDep, q: str = "", status: str = "",
              owner: str = "", region: str = "", page_no: int = 1) -> HTMLResponse:
    """Leads, newest first, searched by company or contact, filtered by status, owner and region."""
    query = pipeline.lead_query(q=q, status=parse_enum(LeadStatus, status), owner=owner.strip() or None,
                                region=region.strip() or None)
    rows, more = paged(session, query, page_no)
    filters = {"q": q.strip(), "status": status, "owner": owner.strip(), "region": region.strip()}
    return page(request, "leads.html", list_context(rows, more, page_no, "/leads", filters) | {
        "statuses": [s.value for s in LeadStatus]}, session=session, user=user)


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(request: Request, lead_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One lead with its follow-ups and what it became."""
    lead = pipeline.get_lead(session=session, lead_id=lead_id)
    return page(request, "lead.html", {
        "lead": lead, "follow_ups": service.list_follow_ups(session=session, lead_id=lead.id),
        "crm_labels": CRM_LABELS}, session=session, user=user)


@router.get("/opportunities", response_class=HTMLResponse)
def opportunity_list(request: Request, session: SessionDep, user: UserDep, q: str = "", stage: str = "",
                     owner: str = "", page_no: int = 1) -> HTMLResponse:
    """Opportunities, newest first, searched by title, filtered by stage and owner."""
    query = pipeline.opportunity_query(q=q, stage=parse_enum(OpportunityStage, stage), owner=owner.strip() or None)
    rows, more = paged(session, query, page_no)
    filters = {"q": q.strip(), "stage": stage, "owner": owner.strip()}
    return page(request, "opportunities.html", list_context(rows, more, page_no, "/opportunities", filters) | {
        "stages": [s.value for s in OpportunityStage]}, session=session, user=user)


@router.get("/opportunities/{opportunity_id}", response_class=HTMLResponse)
def opportunity_page(request: Request, opportunity_id: int, session: SessionDep, user: UserDep) -> HTMLResponse:
    """One opportunity with its quotes and follow-ups."""
    opportunity = pipeline.get_opportunity(session=session, opportunity_id=opportunity_id)
    related = quotes.list_quotes(session=session, opportunity_id=opportunity.id)
    return page(request, "opportunity.html", {
        "opportunity": opportunity, "quotes": related, "crm_labels": CRM_LABELS,
        "follow_ups": service.list_follow_ups(session=session, opportunity_id=opportunity.id)},
        session=session, user=user)
