"""Sign in, sign out and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from domain.errors import Unauthorized
from domain.identity import service as identity
from domain.identity.models import User
from web.deps import SessionDep
from web.i18n import normalize
from web.pages.common import gettext_for, redirect, safe_next
from web.templating import render

router = APIRouter()


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The sign-in form (signed-in users go straight on)."""
    if request.session.get("user_id"):
        return redirect(safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "username": "", "error": None})


@router.post("/login")
async def login(request: Request, session: SessionDep) -> Response:
    """Check the password; a fresh session holds the user (the locale choice survives)."""
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    try:
        user = identity.authenticate(session=session, username=username, password=password)
    except Unauthorized:
        _ = gettext_for(request)
        error = _("Wrong username or password.")
        return render(request, "login.html", {"next": target, "username": username, "error": error}, status_code=401)
    locale = request.session.get("locale")
    request.session.clear()  # a new session (and CSRF token) at each sign-in
    request.session["user_id"] = user.id
    if locale:
        request.session["locale"] = locale
    return redirect(target)


@router.post("/logout")
def logout(request: Request) -> Response:
    """Forget the user; keep the language."""
    locale = request.session.get("locale")
    request.session.clear()
    if locale:
        request.session["locale"] = locale
    return redirect("/login")


@router.post("/locale")
async def switch_locale(request: Request, session: SessionDep) -> Response:
    """Remember the chosen language in the session and, when signed in, as the user's own setting."""
    form = await request.form()
    chosen = normalize(str(form.get("locale", "")))
    if chosen:
        request.session["locale"] = chosen
        user = session.get(User, request.session.get("user_id") or 0)
        if user is not None:
            user.locale = chosen
            session.commit()
    return redirect(safe_next(str(form.get("next", "/"))))
