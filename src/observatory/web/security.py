"""Security headers on every response: what the browser may load, frame and cache.

A pure ASGI middleware (not Starlette's ``BaseHTTPMiddleware``), so streamed downloads and
background work are untouched; it only adds headers to ``http.response.start``. ``SecureApp``
puts it outside even Starlette's error middleware, so a 500 carries the headers too.

- A strict Content-Security-Policy: scripts only from this origin, so an injected ``<script>``
  or ``onclick=`` does not run even if a template ever failed to escape. Chart figures travel
  as ``<script type="application/json">`` data, which CSP does not execute; ``static/app.js``
  draws them. Styles allow ``'unsafe-inline'`` because Plotly injects its stylesheet at run time
  and the district tiles colour themselves with a ``style`` attribute.
- ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` (older browsers): no clickjacking.
- ``nosniff``, ``Referrer-Policy: same-origin``; HSTS when the request came over https.
- ``Cache-Control: no-store`` when anything personal may be in the answer: the request carries a
  session cookie or a bearer token, the response sets a cookie, or it is the login page. Shared
  static assets (``/static``, ``/assets``) keep their caching: they are the same for everyone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

from observatory.services import auth

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
# FastAPI's interactive API pages load Swagger UI / ReDoc from their CDN and start them with an
# inline script; they show no data of their own, so only they get this wider policy.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
            "https://fonts.googleapis.com; font-src 'self' https://fonts.gstatic.com; "
            "img-src 'self' data: https://fastapi.tiangolo.com; worker-src 'self' blob:; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"
NO_STORE_PATHS = ("/login",)
SHARED_ASSETS = ("/static/", "/assets/")


def came_over_https(scope: Scope) -> bool:
    """The request's scheme, or the one a proxy in front says it received (HSTS here, the
    cookies' ``Secure`` flag in the routes)."""
    forwarded = next((v for n, v in scope.get("headers", []) if n.lower() == b"x-forwarded-proto"),
                     b"").decode("latin-1").strip().lower()
    return scope.get("scheme") == "https" or forwarded == "https"


def _personal(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """Whether the request identifies a user (a session cookie or a bearer token)."""
    if headers.get(b"authorization", b"").lower().startswith(b"bearer "):
        return True
    cookie = headers.get(b"cookie", b"").decode("latin-1")
    names = {part.split("=", 1)[0].strip() for part in cookie.split(";")}
    return auth.SESSION_COOKIE in names


def response_headers(scope: Scope, request_headers: dict[bytes, bytes],
                     response: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers to add to ``response`` (those it already sets win, but no-store)."""
    path = str(scope.get("path", ""))
    present = {name.lower() for name, _ in response}
    added: list[tuple[bytes, bytes]] = [
        (b"content-security-policy", (DOCS_CSP if path in DOCS_PATHS else CSP).encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]
    if came_over_https(scope):
        added.append((b"strict-transport-security", HSTS.encode()))
    shared = path.startswith(SHARED_ASSETS)
    no_store = not shared and (path in NO_STORE_PATHS or b"set-cookie" in present
                               or _personal(scope, request_headers))
    if no_store:
        present.discard(b"cache-control")
        response[:] = [(n, v) for n, v in response if n.lower() != b"cache-control"]
        added.append((b"cache-control", b"no-store"))
    return [(n, v) for n, v in added if n not in present]


class SecurityHeaders:
    """ASGI middleware adding :func:`response_headers` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = {name.lower(): value for name, value in scope.get("headers", [])}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += response_headers(scope, request_headers, headers)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SecureApp(FastAPI):
    """FastAPI whose outermost layer is :class:`SecurityHeaders` (``add_middleware`` would put
    it inside the error middleware, and an unhandled error's 500 would go out without it)."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())
