"""Each error type maps once to an HTTP status: JSON problem details for the API, a fragment or page for HTML."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import Conflict, FlowdeskError, Forbidden, InvalidInput, NotFound, Unauthorized

STATUS: dict[type[FlowdeskError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Forbidden: 403,
    Unauthorized: 401,
}


def status_for(exc: FlowdeskError) -> int:
    """The HTTP status of an error type (subclasses inherit their parent's)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


def problem(status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    """An RFC 9457 problem-details response with a stable `code`."""
    body: dict[str, Any] = {"type": "about:blank", "title": code.replace("_", " "), "status": status,
                            "detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    # htmx sends no Accept header (the browser's default is */*) but always wants a fragment
    return bool(request.headers.get("HX-Request")) or "text/html" in request.headers.get("accept", "text/html")


def _html_error(request: Request, status: int, code: str, detail: str, errors: list[dict[str, Any]]) -> Response:
    from web.templating import render

    if status == 401:
        return Response(status_code=303, headers={"Location": f"/login?next={request.url.path}"})
    template = "partials/error.html" if request.headers.get("HX-Request") else "error.html"
    response = render(request, template, {"status": status, "code": code, "detail": detail, "errors": errors},
                      status_code=status)
    if request.headers.get("HX-Request"):
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def respond(request: Request, status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None
            ) -> Response:
    """The error as a page/fragment for browsers, as problem JSON otherwise."""
    if _wants_html(request):
        return _html_error(request, status, code, detail, errors or [])
    return problem(status, code, detail, errors)


def install(app: FastAPI) -> None:
    """Register the handlers on app."""

    @app.exception_handler(FlowdeskError)
    async def _flowdesk(request: Request, exc: FlowdeskError) -> Response:
        return respond(request, status_for(exc), exc.code, exc.message, exc.errors)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> Response:
        return respond(request, 409, "concurrent_modification",
                       "someone else changed this instance at the same time; reload and try again")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]}
                  for e in exc.errors()]
        return respond(request, 422, "invalid_request", "the request is not valid", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(exc.status_code, "http_error")
        if _wants_html(request) and exc.status_code != 404:
            return _html_error(request, exc.status_code, code, str(exc.detail), [])
        if _wants_html(request):
            return _html_error(request, 404, code, "page not found", [])
        return problem(exc.status_code, code, str(exc.detail))


def html_fragment(message: str, status: int = 200) -> HTMLResponse:
    """A tiny escaped HTML fragment (htmx swaps)."""
    from markupsafe import escape

    return HTMLResponse(f"<div class='flash'>{escape(message)}</div>", status_code=status)
