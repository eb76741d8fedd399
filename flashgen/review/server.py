"""The review page's web app (Starlette, served by uvicorn on 127.0.0.1 only).

Three rules keep other sites and other users' pages out, each checked on every request:

- the ``Host`` header must name this server (``127.0.0.1:PORT`` or ``localhost:PORT``): a DNS
  rebinding page reaches the port under its own host name and is refused;
- an ``Origin`` header, when sent, must be this server: no cross-site writes (browsers send
  it on every POST a page makes);
- the per-run token printed in the URL must come with every request (query ``token`` or the
  ``X-Flashgen-Token`` header the page's script sends), compared in constant time: another
  local user or process that finds the port still cannot read or change anything.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from flashgen.config import Settings
from flashgen.errors import UsageError
from flashgen.export.html_site import template_environment
from flashgen.output.store import OutputStore
from flashgen.review.changes import Conflict, Invalid, decide, edit
from flashgen.review.items import SourceText, lecture_view
from flashgen.run.runlock import OutputBusy

_HERE = Path(__file__).parent
TOKEN_HEADER = "x-flashgen-token"


@dataclass(frozen=True)
class ReviewSite:
    settings: Settings
    course_id: str
    lectures: list[str]
    token: str
    port: int

    @property
    def store(self) -> OutputStore:
        return OutputStore(self.settings.output_dir, self.course_id)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.token}"


class Guard:
    """Refuse (403) a request whose Host, Origin or token is not this server's."""

    def __init__(self, app: ASGIApp, site: ReviewSite) -> None:
        self.app = app
        self.hosts = {f"127.0.0.1:{site.port}", f"localhost:{site.port}"}
        self.origins = {f"http://{host}" for host in self.hosts}
        self.token = site.token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            reason = self.refusal(Request(scope))
            if reason:
                await PlainTextResponse(reason, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, request: Request) -> str | None:
        if request.headers.get("host", "") not in self.hosts:
            return "refused: the Host header does not name this review server"
        origin = request.headers.get("origin")
        if origin is not None and origin not in self.origins:
            return "refused: requests from other sites cannot use this review server"
        given = request.query_params.get("token") or request.headers.get(TOKEN_HEADER) or ""
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            return "refused: open the URL flashgen review printed (it carries the token)"
        return None


def create_app(site: ReviewSite) -> ASGIApp:
    env = template_environment(_HERE / "templates")
    env.filters["marked"] = marked
    sources = SourceText(site.settings, site.course_id)

    async def page(request: Request) -> Response:
        chosen = request.query_params.get("lecture") or site.lectures[0]
        if chosen not in site.lectures:
            return PlainTextResponse(f"no lecture {chosen!r} in this review", status_code=404)
        views = {lec: lecture_view(site.store, lec) for lec in site.lectures}
        html = env.get_template("review.html.j2").render(
            site=site, views=views, view=views[chosen], sources=sources, json=_pretty
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def change(request: Request) -> Response:
        try:
            body = await request.json()
            lecture, item_id, seen = body["lecture"], body["id"], body["digest"]
            if lecture not in site.lectures:
                raise UsageError(f"no lecture {lecture!r} in this review")
            if body.get("action") == "edit":
                edit(site.store, lecture, item_id, body.get("data"), seen)
            elif body.get("action") in ("approve", "reject", "reset"):
                decide(site.store, lecture, item_id, body["action"], seen)
            else:
                raise UsageError(f"unknown action {body.get('action')!r}")
        except (Conflict, OutputBusy) as exc:
            return _error(409, exc)
        except Invalid as exc:
            return _error(422, exc)
        except UsageError as exc:
            return _error(400, exc)
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"malformed request: {exc}"}, status_code=400)
        view = lecture_view(site.store, lecture)
        item = next((i for i in view.items if i.id == item_id), None)
        return JSONResponse(
            {
                "state": item.state if item else "rejected",
                "digest": item.digest if item else "",
                "data": _pretty(item.data) if item else "",
                "counts": view.counts,
            }
        )

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/api/change", change, methods=["POST"]),
            Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
        ]
    )
    return Guard(app, site)


def _error(status: int, exc: UsageError) -> JSONResponse:
    hint = f" ({exc.hint})" if getattr(exc, "hint", None) else ""
    return JSONResponse({"error": f"{exc}{hint}"}, status_code=status)


def _pretty(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def marked(text: str, *candidates: str) -> Markup:
    """The chunk text, escaped, with the first candidate found in it marked: a card's answer
    (the sentence the offline generator took it from), else its term."""
    folded = text.casefold()
    needle = next(
        (c.strip() for c in candidates if c.strip() and c.strip().casefold() in folded), ""
    )
    if not needle:
        return Markup(escape(text))
    parts = re.split(f"({re.escape(needle)})", text, flags=re.IGNORECASE)
    return Markup("").join(
        Markup("<mark>{}</mark>").format(p) if i % 2 else escape(p) for i, p in enumerate(parts)
    )


def bind() -> socket.socket:
    """A listening socket on a free port of 127.0.0.1 (never another interface)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections made before uvicorn starts wait instead of being refused
    return sock


class ReviewServer:
    """uvicorn serving the review app on an already bound socket."""

    def __init__(self, settings: Settings, course_id: str, lectures: list[str]) -> None:
        self.sock = bind()
        port = int(self.sock.getsockname()[1])
        self.site = ReviewSite(settings, course_id, lectures, secrets.token_urlsafe(24), port)
        config = uvicorn.Config(create_app(self.site), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        self.server.run(sockets=[self.sock])

    def start(self) -> None:
        """Serve from a background thread (tests)."""
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        while not self.server.started:
            threading.Event().wait(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.sock.close()
