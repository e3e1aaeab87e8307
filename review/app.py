# Annotations stay eager here: FastAPI reads the dependency aliases defined in create_app.
"""The dashboard's web app. Every page but sign-in needs a live session; every form carries a
CSRF token; every response forbids framing, caching and scripts."""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from prompts import MI_CODES
from review import accounts, audit, clients, devices, sessions, text, throttle, times
from review.chart import ruler_chart
from review.config import ReviewSettings
from review.db import writing
from review.handoff import MESSAGE_MAX, Handoffs, Step
from review.sessions import Viewer
from storage import Database

HERE = Path(__file__).parent
logger = logging.getLogger("alongside.review")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
SIGN_IN_FAILED = (
    "Sign-in failed. Check your name and password, or wait a few minutes and try again."
)
SIGN_IN_BUSY = "The dashboard is busy. Please try again in a moment."
HSTS = "max-age=31536000"
# A page the dashboard itself may frame (the live conversation in a held chat): this marker on
# the response relaxes framing to the same origin, and is taken off before it leaves.
FRAMED_BY_SELF = "x-alongside-framed-by-self"
LIVE_LINES = 60  # the newest messages in the live frame
MAX_ID = 2**62  # ids in a query beyond this are refused, not passed to the database


class NotSignedIn(Exception):
    """No live session: the browser is sent to the sign-in page."""


class CsrfRefused(HTTPException):
    """A form without its session's CSRF token."""

    def __init__(self) -> None:
        super().__init__(status_code=403, detail="the form has expired: reload the page")


def _environment(zone: ZoneInfo) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value is escaped, in every template
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda at: times.element(at, zone)
    env.filters["local"] = lambda at: times.local(at, zone)
    env.filters["utc"] = times.utc
    env.filters["visible"] = text.visible
    env.filters["ago"] = _ago
    env.globals["mi_names"] = MI_CODES
    return env


def _ago(at: datetime | None) -> str:
    if at is None:
        return "never"
    seconds = (datetime.now(UTC) - at).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return "just now"


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def create_app(db: Database, settings: ReviewSettings | None = None) -> FastAPI:
    settings = settings or ReviewSettings()
    idle = timedelta(minutes=settings.idle_minutes)
    absolute = timedelta(hours=settings.max_hours)
    sign_in_key = secrets.token_bytes(32)  # signs the sign-in form's pre-session token
    gate = throttle.CheckGate(settings.sign_in_checks)  # Argon2 checks at once
    templates = Jinja2Templates(env=_environment(settings.zone()))
    handoffs = Handoffs(db, timedelta(minutes=settings.handoff_idle_minutes))
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, title="Alongside review")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    hosts = set(settings.hosts())

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Every response, an error page too, carries the security headers (and HSTS over
        HTTPS); a Host the dashboard is not served as is refused."""
        if "*" not in hosts and _host(request.headers.get("host", "")) not in hosts:
            response: Response = PlainTextResponse("Unknown host.\n", status_code=400)
        else:
            try:
                response = await call_next(request)
            except Exception as error:
                # Neither the query nor the error's message: either may hold a client's words.
                logger.error("dashboard error: %s on a %s", type(error).__name__, request.method)
                response = PlainTextResponse(
                    "Something went wrong on our side. It has been logged.\n", status_code=500
                )
        response.headers.update(SECURITY_HEADERS)
        if FRAMED_BY_SELF in response.headers:
            del response.headers[FRAMED_BY_SELF]
            policy = SECURITY_HEADERS["Content-Security-Policy"]
            response.headers["Content-Security-Policy"] = policy.replace(
                "frame-ancestors 'none'", "frame-ancestors 'self'"
            )
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        if request.url.scheme == "https" or settings.secure_cookies:
            response.headers["Strict-Transport-Security"] = HSTS
        return response

    if settings.proxies():
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxies())

    @app.exception_handler(NotSignedIn)
    async def to_sign_in(request: Request, _error: NotSignedIn) -> Response:
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/")
        return response

    def probe(request: Request, action: str) -> None:
        """A refused or missing page in the audit log: who (if signed in), what path, whence."""
        token = request.cookies.get(sessions.COOKIE)
        who = sessions.find(db, token, idle=idle, absolute=absolute) if token else None
        audit.record_now(
            db,
            actor=who.account.username if who else accounts.UNKNOWN_ACTOR,
            action=action,
            address=address(request),
            detail=f"{request.method} {request.url.path}",  # the path only: no query words
        )

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, error: StarletteHTTPException) -> Response:
        if isinstance(error, CsrfRefused):
            await run_in_threadpool(probe, request, "CSRF rejected")
        elif error.status_code in (403, 404, 405):
            await run_in_threadpool(probe, request, f"refused ({error.status_code})")
        return page(request, "refused.html", {"error": error}, status=error.status_code)

    @app.exception_handler(clients.NotVisible)
    async def not_found(request: Request, _error: clients.NotVisible) -> Response:
        await run_in_threadpool(probe, request, "refused (404)")
        return page(request, "missing.html", {}, status=404)

    def secure(request: Request) -> bool:
        return settings.secure_cookies or request.url.scheme == "https"

    def page(
        request: Request, name: str, context: dict[str, Any], *, status: int = 200
    ) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status)

    # -- who is asking ---------------------------------------------------------------------

    def viewer(request: Request) -> Viewer:
        token = request.cookies.get(sessions.COOKIE)
        found = sessions.find(db, token, idle=idle, absolute=absolute) if token else None
        if found is None:
            raise NotSignedIn
        return found

    def admin(who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
        if not who.account.is_admin:
            raise HTTPException(status_code=403, detail="for admins only")
        return who

    async def checked(request: Request, who: Annotated[Viewer, Depends(viewer)]) -> Viewer:
        """A signed-in viewer whose form carries their session's CSRF token."""
        form = await request.form()
        if not sessions.csrf_matches(who.csrf, form.get("csrf")):
            raise CsrfRefused
        return who

    async def checked_admin(request: Request, who: Annotated[Viewer, Depends(checked)]) -> Viewer:
        return admin(who)

    Signed = Annotated[Viewer, Depends(viewer)]
    Posted = Annotated[Viewer, Depends(checked)]
    Admin = Annotated[Viewer, Depends(admin)]
    PostedAdmin = Annotated[Viewer, Depends(checked_admin)]

    def log(request: Request, who: Viewer, action: str, **fields: str | None) -> None:
        audit.record_now(
            db, actor=who.account.username, action=action, address=address(request), **fields
        )

    @app.get("/healthz")
    def healthz() -> PlainTextResponse:
        """The process is up (for a container's health check); no database, no session."""
        return PlainTextResponse("ok\n")

    # -- signing in and out ----------------------------------------------------------------

    def sign_in_page(request: Request, *, error: str | None, status: int) -> HTMLResponse:
        token = request.cookies.get(sessions.SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
        response = page(
            request,
            "sign_in.html",
            {"csrf": _sign(sign_in_key, token), "error": error},
            status=status,
        )
        response.set_cookie(
            sessions.SIGN_IN_COOKIE,
            token,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=secure(request),
            path="/sign-in",
        )
        return response

    @app.get("/sign-in", response_class=HTMLResponse)
    def sign_in_form(request: Request) -> Response:
        return sign_in_page(request, error=None, status=200)

    @app.post("/sign-in", response_class=HTMLResponse)
    def sign_in(
        request: Request,
        username: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
        csrf: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        token = request.cookies.get(sessions.SIGN_IN_COOKIE, "")
        if not token or not sessions.csrf_matches(_sign(sign_in_key, token), csrf):
            probe(request, "CSRF rejected")
            return sign_in_page(
                request, error="The form had expired. Please try again.", status=403
            )
        result = accounts.authenticate(
            db,
            username,
            password,
            address=address(request),
            gate=gate,
            device=request.cookies.get(devices.COOKIE),
        )
        if result.outcome == "sign-in busy":
            return sign_in_page(request, error=SIGN_IN_BUSY, status=503)
        if result.account is None:
            return sign_in_page(request, error=SIGN_IN_FAILED, status=401)
        new = sessions.start(db, result.account, replacing=request.cookies.get(sessions.COOKIE))
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            sessions.COOKIE,
            new,
            max_age=int(absolute.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=secure(request),
            path="/",
        )
        response.delete_cookie(sessions.SIGN_IN_COOKIE, path="/sign-in")
        if result.device:
            response.set_cookie(
                devices.COOKIE,
                result.device,
                max_age=devices.KEEP_DAYS * 86400,
                httponly=True,
                samesite="strict",
                secure=secure(request),
                path="/sign-in",
            )
        return response

    @app.post("/sign-out")
    def sign_out(request: Request, who: Posted) -> Response:
        sessions.end(db, who.token)
        log(request, who, "signed out")
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/")
        return response

    # -- clients ---------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def client_list(
        request: Request,
        who: Signed,
        sort: Annotated[str, Query(max_length=16)] = "triage",
        flagged: bool = False,
        unreviewed: bool = False,
        inactive: Annotated[str, Query(max_length=4)] = "",
        page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    ) -> Response:
        inactive_days = int(inactive) if inactive.isdigit() else None
        listing = clients.client_rows(
            db,
            sort=sort,
            flagged=flagged,
            unreviewed=unreviewed,
            inactive_days=inactive_days,
            page=page_number,
        )
        filters = {
            "sort": sort if sort in clients.SORTS else "triage",
            "flagged": flagged,
            "unreviewed": unreviewed,
            "inactive": inactive_days,
        }
        return page(request, "clients.html", {"who": who, "listing": listing, "filters": filters})

    @app.get("/search", response_class=HTMLResponse)
    def search(
        request: Request,
        who: Signed,
        q: Annotated[str, Query(max_length=1000)] = "",
        page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
    ) -> Response:
        found = clients.search(db, q, page=page_number) if q.strip() else None
        if found is not None:
            # That a search happened, and how many it found; never what was searched for.
            log(request, who, "searched", detail=f"{len(found.hits)} results")
        short = bool(q.strip()) and len(" ".join(q.split())) < clients.SEARCH_MIN
        return page(
            request,
            "search.html",
            {"who": who, "q": q[: clients.SEARCH_MAX], "found": found, "short": short},
        )

    def client_view(
        request: Request, who: Viewer, code: str, *, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        detail = clients.client_page(db, code, limit=clients.TRANSCRIPT_LIMIT)
        log(request, who, "viewed client", client_code=detail.code)
        return page(
            request,
            "client.html",
            {
                "who": who,
                "client": detail,
                "chart": ruler_chart(detail.scores),
                "error": error,
                "idle_minutes": settings.handoff_idle_minutes,
            },
            status=status,
        )

    @app.get("/clients/{code}", response_class=HTMLResponse)
    def client(request: Request, who: Signed, code: str) -> Response:
        return client_view(request, who, code)

    def change(
        request: Request,
        who: Viewer,
        code: str,
        action: str,
        write: Callable[[Session, int], None],
    ) -> Response:
        """Apply a write to a visible client and audit it in the same transaction."""
        cid = clients.client_id(db, code)
        try:
            with writing(db) as session:
                write(session, cid)
                audit.record(
                    session,
                    actor=who.account.username,
                    action=action,
                    address=address(request),
                    client_code=code,
                )
        except clients.Refused as refused:
            return client_view(request, who, code, error=str(refused), status=400)
        return RedirectResponse(f"/clients/{code}", status_code=303)

    @app.post("/clients/{code}/notes")
    def add_note(
        request: Request,
        who: Posted,
        code: str,
        note: Annotated[str, Form(max_length=clients.NOTE_MAX * 2)] = "",
    ) -> Response:
        return change(
            request,
            who,
            code,
            "note added",
            lambda s, cid: clients.add_note(s, cid, who.account.id, note),
        )

    @app.post("/clients/{code}/tags")
    def add_tag(
        request: Request, who: Posted, code: str, tag: Annotated[str, Form(max_length=200)] = ""
    ) -> Response:
        def write(session: Session, cid: int) -> None:
            clients.add_tag(session, cid, who.account.id, clients.clean_tag(tag))

        return change(request, who, code, "tag added", write)

    @app.post("/clients/{code}/tags/remove")
    def remove_tag(
        request: Request, who: Posted, code: str, tag: Annotated[str, Form(max_length=200)] = ""
    ) -> Response:
        return change(
            request, who, code, "tag removed", lambda s, cid: clients.remove_tag(s, cid, tag)
        )

    @app.post("/clients/{code}/reviewed")
    def mark_reviewed(
        request: Request,
        who: Posted,
        code: str,
        seen: Annotated[int, Form(ge=0, le=MAX_ID)],
    ) -> Response:
        return change(
            request,
            who,
            code,
            "marked reviewed",
            lambda s, cid: clients.mark_reviewed(s, cid, who.account.id, seen),
        )

    # -- a person steps in (issue 12) ------------------------------------------------------

    def handoff_step(
        request: Request, who: Viewer, code: str, act: Callable[[int, str, Step], None]
    ) -> Response:
        """A handoff step for a visible client, audited in its own transaction."""
        cid = clients.client_id(db, code)
        try:
            act(cid, code, Step(who.account.username, address(request)))
        except clients.Refused as refused:
            return client_view(request, who, code, error=str(refused), status=400)
        return RedirectResponse(f"/clients/{code}#person", status_code=303)

    @app.post("/clients/{code}/handoff/offer")
    def offer_person(request: Request, who: Posted, code: str) -> Response:
        return handoff_step(request, who, code, handoffs.offer)

    @app.post("/clients/{code}/handoff/withdraw")
    def withdraw_offer(request: Request, who: Posted, code: str) -> Response:
        return handoff_step(request, who, code, handoffs.withdraw_offer)

    @app.post("/clients/{code}/handoff/take")
    def take_chat(request: Request, who: Posted, code: str) -> Response:
        return handoff_step(request, who, code, handoffs.take)

    @app.post("/clients/{code}/handoff/messages")
    def write_to_client(
        request: Request,
        who: Posted,
        code: str,
        message: Annotated[str, Form(max_length=MESSAGE_MAX * 2)] = "",
    ) -> Response:
        return handoff_step(
            request, who, code, lambda cid, c, step: handoffs.write(cid, c, step, message)
        )

    @app.post("/clients/{code}/handoff/back")
    def hand_back(request: Request, who: Posted, code: str) -> Response:
        return handoff_step(request, who, code, handoffs.hand_back)

    @app.get("/clients/{code}/live", response_class=HTMLResponse)
    def live(request: Request, who: Signed, code: str) -> Response:
        """The newest messages, newest first, reloading itself every few seconds: framed in
        the client page while a counselor holds the chat. Not audited at each reload: the
        client page that frames it is."""
        detail = clients.client_page(db, code, limit=LIVE_LINES)
        response = page(request, "live.html", {"who": who, "client": detail})
        response.headers[FRAMED_BY_SELF] = "1"
        return response

    @app.get("/clients/{code}/export.json")
    def export_json(request: Request, who: Signed, code: str) -> Response:
        detail = clients.client_page(db, code, limit=None)
        log(request, who, "exported JSON", client_code=detail.code)
        return JSONResponse(
            clients.export(detail),
            headers={"Content-Disposition": f'attachment; filename="client-{detail.code}.json"'},
        )

    @app.get("/clients/{code}/print", response_class=HTMLResponse)
    def export_print(request: Request, who: Signed, code: str) -> Response:
        detail = clients.client_page(db, code, limit=None)
        log(request, who, "exported printable page", client_code=detail.code)
        return page(request, "print.html", {"who": who, "client": detail, "now": datetime.now(UTC)})

    # -- admin -----------------------------------------------------------------------------

    @app.get("/admin/audit", response_class=HTMLResponse)
    def audit_log(
        request: Request,
        who: Admin,
        before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    ) -> Response:
        entries = audit.recent(db, limit=200, before=before)
        return page(request, "audit.html", {"who": who, "entries": entries})

    def accounts_page(
        request: Request, who: Viewer, *, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        return page(
            request,
            "accounts.html",
            {
                "who": who,
                "accounts": accounts.accounts(db),
                "error": error,
                "roles": accounts.ROLES,
            },
            status=status,
        )

    @app.get("/admin/accounts", response_class=HTMLResponse)
    def account_list(request: Request, who: Admin) -> Response:
        return accounts_page(request, who)

    @app.post("/admin/accounts")
    def account_add(
        request: Request,
        who: PostedAdmin,
        username: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)] = "",
        role: Annotated[str, Form(max_length=16)] = "counselor",
    ) -> Response:
        try:
            accounts.add(
                db,
                username,
                password,
                role=role,
                actor=who.account.username,
                address=address(request),
            )
        except accounts.AccountError as refused:
            return accounts_page(request, who, error=str(refused).capitalize() + ".", status=400)
        return RedirectResponse("/admin/accounts", status_code=303)

    @app.post("/admin/accounts/{username}/{state}")
    def account_state(request: Request, who: PostedAdmin, username: str, state: str) -> Response:
        if state not in ("enable", "disable"):
            raise HTTPException(status_code=404)
        if username.strip().lower() == who.account.username:
            return accounts_page(
                request, who, error="You can't disable your own account.", status=400
            )
        try:
            accounts.set_active(
                db,
                username,
                state == "enable",
                actor=who.account.username,
                address=address(request),
            )
        except accounts.AccountError as refused:
            return accounts_page(request, who, error=str(refused).capitalize() + ".", status=400)
        return RedirectResponse("/admin/accounts", status_code=303)

    return app


def _host(header: str) -> str:
    """The host name of a Host header, without its port ("[::1]:8400" is "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _sign(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
