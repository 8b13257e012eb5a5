"""werkzeug's ProxyFix on app.wsgi_app (the README's advice behind a proxy)
applies to WebSockets under ASGI too, which do not go through wsgi_app: the
client's address, scheme, host, port and prefix are those an HTTP request
of the same headers gets through it (they were the proxy's side: every
client seen as the proxy, ws:// links to the internal host)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from kolba import Flask, request, url_for, websocket
from kolba.testing import KolbaClient

FORWARDED = {
    "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "ex.com",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/chat",
}


class Passing:
    """A WSGI middleware that keeps the next one as ``app``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


def seen_app(app: Flask) -> None:
    app.config["TRUSTED_HOSTS"] = ["ex.com", "localhost"]

    @app.route("/where")
    def where() -> Any:
        return {
            "scheme": request.scheme,
            "host": request.host,
            "remote_addr": request.remote_addr,
            "url": url_for("feed", _external=True),
        }

    @app.websocket("/feed")
    async def feed() -> None:
        await websocket.send(
            json.dumps(
                {
                    "scheme": websocket.scheme,
                    "host": websocket.host,
                    "remote_addr": websocket.remote_addr,
                    "url": url_for("feed", _external=True),
                }
            )
        )


@pytest.mark.parametrize("wrapped", ["alone", "inside"])
def test_a_websocket_sees_what_proxyfix_gives_http(app: Flask, wrapped: str) -> None:
    seen_app(app)
    fix = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)
    app.wsgi_app = fix if wrapped == "alone" else Passing(fix)  # type: ignore[method-assign]
    http = KolbaClient(app, app.response_class).get("/where", headers=FORWARDED)
    expected = {
        "scheme": "wss",
        "host": "ex.com:8443",
        "remote_addr": "203.0.113.9",  # (x_for=1: the last hop's)
        "url": "wss://ex.com:8443/chat/feed",
    }
    assert http.json == {**expected, "scheme": "https"}
    with app.test_client().websocket("/feed", headers=FORWARDED) as ws:
        assert json.loads(ws.receive()) == expected


def test_without_proxyfix_or_its_headers_nothing_changes(app: Flask) -> None:
    seen_app(app)
    unfixed = {
        "scheme": "ws",
        "host": "localhost",
        "remote_addr": "127.0.0.1",
        "url": "ws://localhost/feed",
    }
    with app.test_client().websocket("/feed", headers=FORWARDED) as ws:
        assert json.loads(ws.receive()) == unfixed  # (trusted by nothing)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    with app.test_client().websocket("/feed") as ws:
        assert json.loads(ws.receive()) == unfixed
