"""Customers, contacts, follow-ups, the customer import (under /customers); leads and opportunities (#3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel

from domain.crm import importing, pipeline, service
from domain.crm.models import CreditRating, CustomerTier, LeadStatus, OpportunityStage
from domain.crm.schemas import (
    ContactCreate,
    ContactRead,
    CustomerCreate,
    CustomerRead,
    FollowUpCreate,
    FollowUpRead,
    LeadCreate,
    LeadRead,
    OpportunityRead,
)
from domain.errors import Forbidden, InvalidInput
from domain.identity.models import User
from web.deps import ApiUser, SessionDep

router = APIRouter()
customers = APIRouter(prefix="/customers", tags=["customers"])
crm = APIRouter(tags=["customers"])
WRITER_GROUPS = {"sales", "sales_management", "admin"}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ImportRowOut(BaseModel):
    line: int
    values: dict[str, str]
    errors: dict[str, str]


class ImportOut(BaseModel):
    ok: bool
    applied: bool
    file_errors: list[str]
    rows: list[ImportRowOut]
    created: list[str]


def require_writer(user: User) -> None:
    """Only sales and admins change customer data through the API."""
    if not (user.group_names & WRITER_GROUPS):
        raise Forbidden("only sales and admins may change customer data", code="not_a_customer_writer")


@customers.get("", response_model=list[CustomerRead])
def list_customers(session: SessionDep, user: ApiUser, q: str = "", tier: CustomerTier | None = None,
                   rating: CreditRating | None = None, owner: str | None = None, region: str | None = None,
                   pool: bool | None = None, limit: int = 100, offset: int = 0) -> list[Any]:
    """Customers by code, searched by code or name and filtered by tier, rating, owner, region and pool."""
    return service.list_customers(session=session, q=q, tier=tier, credit_rating=rating, owner=owner, region=region,
                                  in_shared_pool=pool, limit=min(max(limit, 1), 500), offset=max(offset, 0))


@customers.post("", response_model=CustomerRead, status_code=201)
def create_customer(body: CustomerCreate, session: SessionDep, user: ApiUser) -> Any:
    """Add a customer; a code like C000123 is generated when none is given."""
    require_writer(user)
    customer = service.create_customer(session=session, data=body)
    session.commit()
    return customer


@customers.post("/import", response_model=ImportOut)
async def import_customers(session: SessionDep, user: ApiUser, file: UploadFile = File(...),
                           dry_run: bool = True) -> ImportOut:
    """Preview a CSV/XLSX import (dry_run, the default) or apply it; any error means nothing is written (422)."""
    require_writer(user)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput("the file is larger than 5 MB", code="import_too_large")
    preview = importing.parse_customers(session=session, filename=file.filename or "", content=content)
    if not preview.ok and not dry_run:
        raise InvalidInput(f"the import has {preview.error_count} errors; nothing was imported",
                           code="import_invalid", errors=preview.problems())
    created = [] if dry_run else importing.apply_import(session=session, preview=preview)
    session.commit()
    rows = [ImportRowOut(line=r.line, values=r.values, errors=r.errors) for r in preview.rows]
    return ImportOut(ok=preview.ok, applied=not dry_run, file_errors=preview.file_errors,
                     created=[c.code for c in created], rows=rows)


@customers.get("/{code}", response_model=CustomerRead)
def get_customer(code: str, session: SessionDep, user: ApiUser) -> Any:
    """One customer's master data."""
    return service.get_customer_by_code(session=session, code=code)


@customers.get("/{code}/contacts", response_model=list[ContactRead])
def list_contacts(code: str, session: SessionDep, user: ApiUser) -> list[Any]:
    """The customer's contacts with their roles."""
    customer = service.get_customer_by_code(session=session, code=code)
    return service.list_contacts(session=session, customer_id=customer.id)


@customers.post("/{code}/contacts", response_model=ContactRead, status_code=201)
def add_contact(code: str, body: ContactCreate, session: SessionDep, user: ApiUser) -> Any:
    """Add a contact person (with one or more roles) to the customer."""
    require_writer(user)
    customer = service.get_customer_by_code(session=session, code=code)
    contact = service.add_contact(session=session, customer_id=customer.id, data=body)
    session.commit()
    return contact


@customers.get("/{code}/follow-ups", response_model=list[FollowUpRead])
def list_follow_ups(code: str, session: SessionDep, user: ApiUser) -> list[Any]:
    """The customer's follow-ups, newest first."""
    customer = service.get_customer_by_code(session=session, code=code)
    return service.list_follow_ups(session=session, customer_id=customer.id)


@customers.post("/{code}/follow-ups", response_model=FollowUpRead, status_code=201)
def record_follow_up(code: str, body: FollowUpCreate, session: SessionDep, user: ApiUser) -> Any:
    """Log a follow-up with the customer as the signed-in user."""
    require_writer(user)
    entry = service.record_follow_up(session=session, by=user.username,
                                     data=body.model_copy(update={"customer_code": code}))
    session.commit()
    return entry


@crm.get("/leads", response_model=list[LeadRead])
def list_leads(session: SessionDep, user: ApiUser, q: str = "", status: LeadStatus | None = None,
               owner: str | None = None, region: str | None = None, limit: int = 100, offset: int = 0) -> list[Any]:
    """Leads, newest first, filtered by status, owner and region."""
    return pipeline.list_leads(session=session, q=q, status=status, owner=owner, region=region,
                               limit=min(max(limit, 1), 500), offset=max(offset, 0))


@crm.post("/leads", response_model=LeadRead, status_code=201)
def create_lead(body: LeadCreate, session: SessionDep, user: ApiUser) -> Any:
    """Capture a lead by hand (processes capture theirs with crm.create_lead)."""
    require_writer(user)
    lead = pipeline.create_lead(session=session, data=body)
    session.commit()
    return lead


@crm.get("/leads/{lead_id}", response_model=LeadRead)
def get_lead(lead_id: int, session: SessionDep, user: ApiUser) -> Any:
    """One lead."""
    return pipeline.get_lead(session=session, lead_id=lead_id)


@crm.get("/opportunities", response_model=list[OpportunityRead])
def list_opportunities(session: SessionDep, user: ApiUser, q: str = "", stage: OpportunityStage | None = None,
                       owner: str | None = None, customer_code: str | None = None, limit: int = 100,
                       offset: int = 0) -> list[Any]:
    """Opportunities, newest first, filtered by stage, owner and customer."""
    customer_id = service.get_customer_by_code(session=session, code=customer_code).id if customer_code else None
    return pipeline.list_opportunities(session=session, q=q, stage=stage, owner=owner, customer_id=customer_id,
                                       limit=min(max(limit, 1), 500), offset=max(offset, 0))


@crm.get("/opportunities/{opportunity_id}", response_model=OpportunityRead)
def get_opportunity(opportunity_id: int, session: SessionDep, user: ApiUser) -> Any:
    """One opportunity with its weighted amount."""
    return pipeline.get_opportunity(session=session, opportunity_id=opportunity_id)


router.include_router(customers)
router.include_router(crm)
