"""WSGI middleware wraps ``app.wsgi_app``, so ``app`` stays the application."""

from __future__ import annotations

import typing as t

from werkzeug.middleware.proxy_fix import ProxyFix

from kolba import Flask, request, url_for

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


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
