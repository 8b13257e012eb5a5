"""WSGI middleware wraps ``app.wsgi_app``, so ``app`` stays the application;
under an ASGI server too (kolba.asgi.serve_wsgi runs it in a thread)."""

from __future__ import annotations

import asyncio
import typing as t
from pathlib import Path

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.middleware.shared_data import SharedDataMiddleware

from kolba import Flask, request, url_for

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

pytestmark = pytest.mark.usefixtures("driver")


def test_seed_proxy_fix(app: Flask) -> None:
    """The seed's "Подключение к промежуточному ПО WSGI" sample."""

    @app.route("/who")
    def who() -> str:
        return f"{request.remote_addr} {request.scheme} {request.host} {url_for('who')}"

    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
    assert isinstance(app, Flask)
    client = app.test_client()
    assert client.get("/who").text == "127.0.0.1 http localhost /who"
    response = client.get(
        "/who",
        headers={
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
        },
    )
    assert response.text == "203.0.113.7 https localhost /who"


def test_proxy_fix_host_and_prefix(app: Flask) -> None:
    @app.route("/where")
    def where() -> str:
        return url_for("where", _external=True)

    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_host=1, x_prefix=1, x_proto=1
    )
    response = app.test_client().get(
        "/where",
        headers={
            "X-Forwarded-Host": "shop.example.com",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/shop",
        },
    )
    assert response.text == "https://shop.example.com/shop/where"


def test_app_is_still_configurable_after_wrapping(app: Flask) -> None:
    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]

    @app.route("/late")
    def late() -> str:
        return "registered after wrapping"

    app.config["SOME_SETTING"] = "yes"
    assert app.test_client().get("/late").text == "registered after wrapping"


class Tagging:
    """A custom middleware: counts requests and adds a response header."""

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app
        self.calls = 0

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        self.calls += 1
        environ["myapp.tag"] = "tagged"

        def tagging_start_response(status: str, headers: list, *args: t.Any) -> t.Any:
            headers.append(("X-Middleware", "yes"))
            return start_response(status, headers, *args)

        return self.wsgi_app(environ, tagging_start_response)


def test_custom_middleware(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return request.environ["myapp.tag"]

    middleware = Tagging(app.wsgi_app)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    response = app.test_client().get("/")
    assert response.text == "tagged"
    assert response.headers["X-Middleware"] == "yes"
    assert middleware.calls == 1


def test_calling_app_goes_through_the_middleware(app: Flask) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    middleware = Tagging(app.wsgi_app)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    body = b"".join(app(environ, lambda status, headers: statuses.append(status)))
    assert (statuses, body, middleware.calls) == (["200 OK"], b"ok", 1)


# Each test below runs over WSGI and over ASGI (the driver fixture): under an
# ASGI server, a wrapped or overridden wsgi_app serves the HTTP requests.


def test_dispatcher_and_shared_data_middleware(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("shared file")
    sub = Flask("sub")
    sub.add_url_rule("/x", "x", lambda: f"sub at {request.script_root}{request.path}")
    app.add_url_rule("/", "index", lambda: "main")
    app.wsgi_app = SharedDataMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {"/shared": str(tmp_path)}
    )
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {"/sub": sub}
    )
    client = app.test_client()
    assert client.get("/").text == "main"
    assert client.get("/sub/x").text == "sub at /sub/x"
    response = client.get("/shared/a.txt")
    assert (response.status_code, response.text) == (200, "shared file")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert client.get("/shared/missing.txt").status_code == 404


def test_a_subclass_overriding_wsgi_app_serves_every_request() -> None:
    class App(Flask):
        def wsgi_app(self, environ: t.Any, start_response: t.Any) -> t.Any:
            environ["app.seen"] = "by the override"
            return super().wsgi_app(environ, start_response)

    app = App(__name__)
    app.add_url_rule("/", "index", lambda: request.environ["app.seen"])

    async def index_async() -> str:
        await asyncio.sleep(0)
        return str(request.environ["app.seen"])

    app.add_url_rule("/async", "index_async", index_async)
    client = app.test_client()
    assert client.get("/").text == "by the override"
    assert client.get("/async").text == "by the override"


def test_behind_middleware_async_views_hooks_and_bodies_work(app: Flask) -> None:
    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
    seen: list[str] = []
    app.before_request(lambda: seen.append(request.remote_addr or "") and None)

    @app.post("/echo")
    async def echo() -> dict[str, t.Any]:
        await asyncio.sleep(0)
        data = await request.get_data()
        return {"size": len(data), "json": request.get_json(silent=True)}

    @app.post("/form")
    def form() -> dict[str, str]:
        return request.form.to_dict()

    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.7"}
    big = b"x" * 300_000
    response = client.post("/echo", data=big, headers=headers)
    assert response.json == {"size": 300_000, "json": None}
    assert client.post("/echo", json=[1, 2]).json == {"size": 6, "json": [1, 2]}
    assert client.post("/form", data={"a": "b"}).json == {"a": "b"}
    assert seen == ["203.0.113.7", "127.0.0.1", "127.0.0.1"]


class Closing:
    """A response iterable whose close() is recorded."""

    def __init__(self, chunks: list[bytes], closed: list[bool]) -> None:
        self.chunks = chunks
        self.closed = closed

    def __iter__(self) -> t.Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed.append(True)


def test_the_middleware_response_is_streamed_and_closed(app: Flask) -> None:
    closed: list[bool] = []

    def middleware(environ: t.Any, start_response: t.Any) -> Closing:
        write = start_response("201 CREATED", [("X-Mw", "1")])
        write(b"written ")
        return Closing([b"a", b"", b"b"], closed)

    app.wsgi_app = middleware  # type: ignore[method-assign]
    response = app.test_client().get("/")
    assert (response.status_code, response.headers["X-Mw"]) == (201, "1")
    assert response.data == b"written ab"
    response.close()
    assert closed == [True]


def test_an_error_in_the_middleware_reaches_the_server(app: Flask) -> None:
    """As from a WSGI app: the server answers 500 (here: the test client
    raises it); tests/test_servers.py sees uvicorn's 500."""

    def broken(environ: t.Any, start_response: t.Any) -> t.Any:
        raise LookupError("broken middleware")

    app.wsgi_app = broken  # type: ignore[method-assign]
    with pytest.raises(LookupError, match="broken middleware"):
        app.test_client().get("/")
