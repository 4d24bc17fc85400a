"""Security headers on every response, no-store when personal, and pages the CSP lets run."""

from __future__ import annotations

from html.parser import HTMLParser

from fastapi.testclient import TestClient

from observatory.services.accounts import DEMO_PASSWORDS
from observatory.web.app import create_app
from tests.web.conftest import CITY, bearer, login
from tests.web.test_pages import _pages

BASIC = {"x-frame-options": "DENY", "x-content-type-options": "nosniff",
         "referrer-policy": "same-origin"}


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _assert_secure(r, path: str) -> None:
    for name, value in BASIC.items():
        assert r.headers.get(name) == value, (path, name)
    csp = _directives(r.headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"], path
    assert csp["script-src"] == ["'self'"], path
    assert csp["frame-ancestors"] == ["'none'"], path
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"], path
    assert csp["object-src"] == ["'none'"] and csp["img-src"] == ["'self'", "data:", "blob:"], path


def test_headers_on_a_page_an_api_route_a_static_file_and_an_error(shared_client) -> None:
    for path in ("/overview", "/api/overview", "/static/app.js", "/assets/plotly.min.js",
                 "/no-such-page", "/api/market/listings/NO-SUCH", "/health"):
        r = shared_client.get(path)
        assert r.status_code in (200, 404), path
        _assert_secure(r, path)
        assert "strict-transport-security" not in r.headers, path  # plain http: no HSTS


def test_hsts_only_over_https(shared_engine) -> None:
    client = TestClient(create_app(shared_engine, settings=CITY), base_url="https://testserver")
    r = client.get("/overview")
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    _assert_secure(r, "/overview")


def test_no_store_for_logged_in_users_and_login_pages(city_engine) -> None:
    client = TestClient(create_app(city_engine, settings=CITY))
    first = client.get("/overview")  # sets the pre-login CSRF cookie: never for a cache
    assert "set-cookie" in first.headers and first.headers["cache-control"] == "no-store"
    anonymous = client.get("/overview")  # a public page for nobody in particular
    assert "set-cookie" not in anonymous.headers
    assert "no-store" not in anonymous.headers.get("cache-control", "")
    assert client.get("/login").headers["cache-control"] == "no-store"
    r = login(client, "demo-analyst", DEMO_PASSWORDS["analyst"])
    assert r.status_code == 303 and r.headers["cache-control"] == "no-store"
    for path in ("/overview", "/api/overview", "/account", "/market/matches"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path
        _assert_secure(r, path)
    # the shared assets are the same for everyone: they keep their caching
    assert client.get("/assets/plotly.min.js").headers["cache-control"].startswith("public")


def test_no_store_for_bearer_tokens(shared_client, tokens) -> None:
    for path in ("/api/overview", "/overview", "/api/market/matches"):
        r = shared_client.get(path, headers=bearer(tokens, "broker"))
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path


class _Scripts(HTMLParser):
    """Every place a page could run script without a file from its own origin."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._inline: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            src = found.get("src")
            if src is not None and not src.startswith("/"):
                self.problems.append(f"<script src={src}> from another origin")
            if src is None and found.get("type") != "application/json":
                self._inline = ""

    def handle_data(self, data: str) -> None:
        if self._inline is not None:
            self._inline += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inline is not None:
            self.problems.append(f"inline <script>: {self._inline[:60]!r}")
            self._inline = None


def test_no_inline_script_in_any_page(shared_client, shared_engine, tokens) -> None:
    seen = 0
    for role in ("anonymous", "admin"):
        for path in [*_pages(shared_engine), "/report/annual"]:
            r = shared_client.get(path, headers=bearer(tokens, role))
            if r.status_code != 200:
                continue
            parser = _Scripts()
            parser.feed(r.text)
            assert parser.problems == [], (role, path, parser.problems)
            seen += 1
    assert seen > 20


def test_the_checker_sees_inline_script() -> None:
    parser = _Scripts()
    parser.feed('<script type="application/json">{"a": 1}</script><script src="/x.js"></script>'
                '<script>alert(1)</script><a href="javascript:x()" onclick="y()">z</a>')
    assert len(parser.problems) == 3, parser.problems


def test_api_docs_get_their_own_policy_and_still_no_framing(shared_client) -> None:
    r = shared_client.get("/docs")
    csp = _directives(r.headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"] and r.headers["x-frame-options"] == "DENY"
    assert "https://cdn.jsdelivr.net" in csp["script-src"]


def test_an_unhandled_error_s_500_carries_the_headers_too(city_engine) -> None:
    app = create_app(city_engine, settings=CITY)

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("boom")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    _assert_secure(r, "/boom")
