"""Manager dashboards: KPIs, charts, the heatmap on the diagram, bottlenecks, branch shares, aging, workload (#6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.units import format_unit
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain import clock
from engine import metrics, metrics_branches, metrics_elements, metrics_work
from engine.metrics_elements import ElementFigures, Mode
from engine.metrics_sql import Scope
from engine.models import InstanceFacet
from web.api.v1.metrics import definition_for, groups_of, make_scope, require_monitor, roll_up
from web.deps import SessionDep
from web.form_html import N_
from web.pages import diagram
from web.pages.common import UserDep, fragment, gettext_for, is_htmx, page
from web.templating import locale_of

router = APIRouter()
DEFAULT_DAYS = 30
AGE_LABELS = (N_("up to 1 h"), N_("1–8 h"), N_("8–24 h"), N_("1–3 days"), N_("3–7 days"), N_("over 7 days"))
MODE_LABELS = {Mode.WAITING: N_("Waiting (ready → claimed)"), Mode.WORKING: N_("Working (claimed → completed)"),
               Mode.TOTAL: N_("Total (ready → completed)")}


@dataclass(frozen=True)
class Filters:
    """The dashboard's filter form as entered (strings), and the query string that repeats it."""

    version: str = ""
    since: str = ""
    until: str = ""
    customer_tier: str = ""
    region: str = ""
    customer_code: str = ""

    def query(self, keep_since: bool = False) -> str:
        """The filters as a query string; keep_since repeats an empty `since` (all time, not the default range)."""
        return urlencode({k: v for k, v in self.__dict__.items() if v or (keep_since and k == "since")})


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _filters(since: str | None, **values: str) -> Filters:
    # No `since` at all: the last 30 days; an emptied field: all time.
    if since is None:
        since = (clock.now().date() - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    return Filters(since=since if _day(since) else "", **{k: v.strip() for k, v in values.items()})


def _scope(session: Session, key: str, f: Filters) -> Scope:
    version = int(f.version) if f.version.isdigit() else None
    return make_scope(session, key, version, _day(f.since), _day(f.until),
                      {"customer_tier": f.customer_tier, "region": f.region, "customer_code": f.customer_code})


def duration_label(seconds: float | None, locale: str) -> str:
    """A duration in the unit that reads best (seconds, minutes, hours, days), in the locale."""
    if seconds is None:
        return "—"
    for unit, size in (("duration-day", 86400), ("duration-hour", 3600), ("duration-minute", 60)):
        if seconds >= size:
            return format_unit(round(seconds / size, 1), unit, length="short", locale=locale)
    return format_unit(round(seconds), "duration-second", length="short", locale=locale)


def _heat(figures: dict[str, ElementFigures], locale: str) -> dict[str, Any]:
    return {el: {"passed": f.passed, "waiting": f.waiting_now, "human": f.human, "mean": f.duration.mean,
                 "mean_label": duration_label(f.duration.mean, locale),
                 "p90_label": duration_label(f.duration.p90, locale)} for el, f in figures.items()}


def _days(kpis: metrics.Kpis, scope: Scope) -> list[str]:
    days = {d for d, _ in kpis.started_per_day} | {d for d, _ in kpis.completed_per_day}
    if scope.since is not None:  # a closed range shows its empty days too
        end = (scope.until or clock.now() + timedelta(days=1)).date()
        day = scope.since.date()
        while day < end and len(days) < 400:
            days.add(day.isoformat())
            day += timedelta(days=1)
    return sorted(days)


def _charts(kpis: metrics.Kpis, scope: Scope, locale: str, gettext: Any) -> dict[str, Any]:
    days = _days(kpis, scope)
    started, completed = dict(kpis.started_per_day), dict(kpis.completed_per_day)
    bounds = [le for le, _ in kpis.cycle_histogram]
    return {
        "days": days, "started": [started.get(d, 0) for d in days], "completed": [completed.get(d, 0) for d in days],
        "cycle_labels": [("≤ " + duration_label(le, locale)) if le else ("> " + duration_label(bounds[-2], locale))
                         for le in bounds],
        "cycle_counts": [n for _, n in kpis.cycle_histogram],
        "text": {"started": gettext("Started"), "completed": gettext("Completed"), "instances": gettext("Instances")},
    }


def _tiers(session: Session) -> list[str]:
    return list(session.scalars(select(InstanceFacet.value).distinct().where(InstanceFacet.name == "customer_tier")
                                .order_by(InstanceFacet.value)))


@router.get("/dashboards", response_class=HTMLResponse)
def dashboards(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """Every deployed process with its running and completed instances, each linking to its dashboard."""
    require_monitor(user)
    return page(request, "dashboards.html", {"processes": metrics.processes(session=session)},
                session=session, user=user)


def _context(request: Request, session: Session, key: str, f: Filters) -> dict[str, Any]:
    scope = _scope(session, key, f)
    definition = definition_for(session, scope)
    roll_up(session)
    locale = locale_of(request)
    kpis = metrics.kpis(session=session, scope=scope)
    # Only the total mode is drawn first; the page fetches the other two when asked (heatmap.json).
    total = metrics_elements.heatmap(session=session, scope=scope, mode=Mode.TOTAL)
    by_time, by_queue = metrics_elements.bottlenecks(session=session, scope=scope, figures=total)
    versions: list[int] = next((p["versions"] for p in metrics.processes(session=session) if p["key"] == key), [])
    return {
        "key": key, "definition": definition, "filters": f, "query": f.query(), "versions": versions,
        "tiers": _tiers(session), "kpis": kpis, "names": diagram.info(definition).names,
        "charts": _charts(kpis, scope, locale, gettext_for(request)),
        "heat": {Mode.TOTAL.value: _heat(total, locale)},
        "mode_labels": MODE_LABELS, "by_time": by_time, "by_queue": by_queue,
        "branches": metrics_branches.branch_shares(session=session, scope=scope, definition=definition),
        "aging_group": metrics_work.aging(session=session, scope=scope, by="group"),
        "aging_user": metrics_work.aging(session=session, scope=scope, by="user"),
        "age_labels": AGE_LABELS,
        "workload": metrics_work.workload(session=session, scope=scope, groups_of=groups_of(session)),
        "dur": lambda s: duration_label(s, locale),
    }


@router.get("/dashboards/{key}", response_class=HTMLResponse)
def dashboard(request: Request, key: str, session: SessionDep, user: UserDep, version: str = "",
              since: str | None = None, until: str = "", customer_tier: str = "", region: str = "",
              customer_code: str = "") -> HTMLResponse:
    """One process: filters, KPI tiles, charts, the heatmap on its diagram, bottlenecks, branches, aging, workload."""
    require_monitor(user)
    f = _filters(since, version=version, until=until, customer_tier=customer_tier, region=region,
                 customer_code=customer_code)
    return page(request, "dashboard.html", _context(request, session, key, f), session=session, user=user)


@router.get("/dashboards/{key}/heatmap.json")
def heatmap_json(request: Request, key: str, session: SessionDep, user: UserDep, mode: Mode = Mode.TOTAL,
                 version: str = "", since: str | None = None, until: str = "", customer_tier: str = "",
                 region: str = "", customer_code: str = "") -> dict[str, Any]:
    """The heatmap figures of one mode with the page's filters (the mode switch loads them)."""
    require_monitor(user)
    f = _filters(since, version=version, until=until, customer_tier=customer_tier, region=region,
                 customer_code=customer_code)
    scope = _scope(session, key, f)
    roll_up(session)
    return _heat(metrics_elements.heatmap(session=session, scope=scope, mode=mode), locale_of(request))


@router.get("/dashboards/{key}/waiting/{element_id}", response_class=HTMLResponse)
def waiting(request: Request, key: str, element_id: str, session: SessionDep, user: UserDep, version: str = "",
            since: str | None = None, until: str = "", customer_tier: str = "", region: str = "",
            customer_code: str = "") -> HTMLResponse:
    """The drill-down of a bottleneck: the instances waiting at one element, oldest first, with their age."""
    require_monitor(user)
    f = _filters(since, version=version, until=until, customer_tier=customer_tier, region=region,
                 customer_code=customer_code)
    scope = _scope(session, key, f)
    definition = definition_for(session, scope)
    locale = locale_of(request)
    ctx = {"key": key, "element_id": element_id, "filters": f, "query": f.query(),
           "element_name": diagram.info(definition).names.get(element_id, element_id),
           "rows": metrics_elements.waiting_at(session=session, scope=scope, element_id=element_id),
           "dur": lambda s: duration_label(s, locale)}
    if is_htmx(request):
        return fragment(request, "dashboard_waiting_rows.html", ctx)
    return page(request, "dashboard_waiting.html", ctx, session=session, user=user)


@router.get("/dashboards/{key}/diagram.bpmn")
def dashboard_diagram(key: str, session: SessionDep, user: UserDep, version: str = "") -> Response:
    """The BPMN XML the heatmap is drawn on (the chosen version, else the newest; laid out if it has no BPMNDI)."""
    require_monitor(user)
    scope = make_scope(session, key, int(version) if version.isdigit() else None, None, None, {})
    return Response(diagram.drawable_xml(definition_for(session, scope)), media_type="application/xml",
                    headers={"Cache-Control": "private, max-age=3600"})
