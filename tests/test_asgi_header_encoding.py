"""A response header that HTTP/1 cannot carry (a value outside latin-1) is
the server's to refuse under both interfaces, as with Flask: under WSGI the
app hands it to ``start_response``, whose server answers 500 (gunicorn) or
fails its write (werkzeug); under ASGI the driver, which encodes the headers
for the server, raises out of the app, and the server answers 500. In
neither does the app's error handling see it (no 500 handler, no
``got_request_exception``): the response had left the app. A latin-1 value
(``"ünïcode"``) is sent as its latin-1 bytes by both."""

from __future__ import annotations

import asyncio
import typing as t
from wsgiref.util import setup_testing_defaults

import pytest
from test_asgi_usual import server_scope

from kolba import Flask, got_request_exception, make_response


def make_app(kind: str) -> tuple[Flask, list[t.Any]]:
    app = Flask(__name__)
    seen: list[t.Any] = []

    def latin() -> t.Any:
        return "x", 200, {"X-Name": "ünïcode"}

    def euro() -> t.Any:
        response = make_response("x")
        response.headers["X-Price"] = "€"
        return response

    async def alatin() -> t.Any:
        return latin()

    async def aeuro() -> t.Any:
        return euro()

    app.add_url_rule("/latin", view_func=alatin if kind == "async" else latin)
    app.add_url_rule("/euro", view_func=aeuro if kind == "async" else euro)

    @app.errorhandler(500)
    def failed(e: Exception) -> tuple[str, int]:
        seen.append("handler")
        return "handled", 500

    return app, seen


def asgi_call(app: Flask, path: str) -> list[dict[str, t.Any]]:
    scope = server_scope(path)
    messages: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    return messages


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_asgi(kind: str) -> None:
    app, seen = make_app(kind)
    with got_request_exception.connected_to(seen.append, app):
        start = asgi_call(app, "/latin")[0]
        assert (b"x-name", "ünïcode".encode("latin-1")) in start["headers"]
        with pytest.raises(UnicodeEncodeError, match="response header 'X-Price'"):
            asgi_call(app, "/euro")
    assert seen == []


def test_wsgi() -> None:
    app, seen = make_app("sync")
    started: list[t.Any] = []
    with got_request_exception.connected_to(seen.append, app):
        for path, value in (("/latin", "ünïcode"), ("/euro", "€")):
            environ: dict[str, t.Any] = {}
            setup_testing_defaults(environ)
            environ["PATH_INFO"] = path
            app(environ, lambda status, headers, *exc: started.append(headers))
            name = "X-Name" if path == "/latin" else "X-Price"
            assert (name, value) in started[-1]
    assert seen == []


def test_the_asgi_test_client_says_which_request_header_http_cannot_carry() -> None:
    """A request header value outside latin-1 is refused by the ASGI test
    client with its name and what to do (a real client cannot send it
    either); a latin-1 one arrives as it was given."""
    from kolba import request
    from kolba.testing import ASGIClient

    app = Flask(__name__)
    app.add_url_rule("/", "name", lambda: request.headers.get("X-Name", ""))
    client = ASGIClient(app)
    with pytest.raises(ValueError, match="'x-name' has the value 'ж'.*latin-1"):
        client.get("/", headers={"X-Name": "ж"})
    assert client.get("/", headers={"X-Name": "ünïcode"}).text == "ünïcode"
