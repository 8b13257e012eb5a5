"""A Response subclass's override of werkzeug's WSGI send is honoured.

kolba sends its own Response (and a subclass that overrides none of
``__call__``, ``get_wsgi_response``, ``get_wsgi_headers``, ``get_app_iter``,
``iter_encoded``, ``close``) on a lean path; a subclass that overrides one
goes through werkzeug's general path, under both drivers, whatever the view
returns. Expected values are what Flask 3.1 answers.
"""

from __future__ import annotations

import typing as t

import pytest

from kolba import Flask, Response

pytestmark = pytest.mark.usefixtures("driver")

#: What each view returns: a str, a dict (JSON), bytes, a Response, and a
#: tuple with a header (the response's headers built).
VIEWS: dict[str, t.Callable[[], t.Any]] = {
    "/str": lambda: "hi",
    "/dict": lambda: {"a": 1},
    "/bytes": lambda: b"by",
    "/response": lambda: Response("resp"),
    "/headers": lambda: ("hd", {"X-A": "1"}),
}
BODIES = {
    "/str": b"hi",
    "/dict": b'{"a":1}\n',
    "/bytes": b"by",
    "/response": b"resp",
    "/headers": b"hd",
}


def serve(app: Flask, cls: type[Response]) -> Flask:
    app.response_class = cls
    for path, view in VIEWS.items():
        if path == "/response":
            view = lambda: cls("resp")  # noqa: E731
        app.add_url_rule(path, path, view)
    return app


class Plain(Response):
    """Overrides nothing of the send: the lean path serves it."""

    default_mimetype = "text/plain"


class ExtraHeader(Response):
    def get_wsgi_headers(self, environ: t.Any) -> t.Any:
        headers = super().get_wsgi_headers(environ)
        headers["X-Sent-By"] = "get_wsgi_headers"
        return headers


class Wrapped(Response):
    def get_app_iter(self, environ: t.Any) -> t.Any:
        return [b"<", *super().get_app_iter(environ), b">"]


class Encoded(Response):
    def iter_encoded(self) -> t.Iterator[bytes]:
        for chunk in super().iter_encoded():
            yield chunk.upper()


class OwnStatus(Response):
    def get_wsgi_response(self, environ: t.Any) -> t.Any:
        body, _, headers = super().get_wsgi_response(environ)
        return body, "299 OWN", [*headers, ("X-Sent-By", "get_wsgi_response")]


class OwnCall(Response):
    def __call__(self, environ: t.Any, start_response: t.Any) -> t.Any:
        start_response("298 CALLED", [("Content-Length", "6")])
        return [b"called"]


@pytest.mark.parametrize("path", VIEWS)
def test_a_subclass_that_overrides_nothing_sends_as_kolba_response(
    app: Flask, path: str
) -> None:
    assert Plain._lean_send and Response._lean_send
    response = serve(app, Plain).test_client().get(path)
    assert response.status == "200 OK"
    assert response.data == BODIES[path]


@pytest.mark.parametrize("path", VIEWS)
def test_get_wsgi_headers(app: Flask, path: str) -> None:
    assert not ExtraHeader._lean_send
    response = serve(app, ExtraHeader).test_client().get(path)
    assert response.status == "200 OK"
    assert response.headers["X-Sent-By"] == "get_wsgi_headers"
    assert response.data == BODIES[path]
    assert response.headers["Content-Length"] == str(len(BODIES[path]))


@pytest.mark.parametrize("path", VIEWS)
def test_get_app_iter(app: Flask, path: str) -> None:
    response = serve(app, Wrapped).test_client().get(path)
    assert response.data == b"<" + BODIES[path] + b">"


@pytest.mark.parametrize("path", VIEWS)
def test_iter_encoded(app: Flask, path: str) -> None:
    response = serve(app, Encoded).test_client().get(path)
    assert response.data == BODIES[path].upper()


@pytest.mark.parametrize("path", VIEWS)
def test_get_wsgi_response(app: Flask, path: str) -> None:
    response = serve(app, OwnStatus).test_client().get(path)
    assert response.status_code == 299  # (ASGI carries no reason phrase)
    assert response.headers["X-Sent-By"] == "get_wsgi_response"
    assert response.data == BODIES[path]


@pytest.mark.parametrize("path", VIEWS)
def test_call(app: Flask, path: str) -> None:
    response = serve(app, OwnCall).test_client().get(path)
    assert response.status_code == 298
    assert response.data == b"called"


@pytest.mark.parametrize("path", VIEWS)
def test_close(app: Flask, path: str) -> None:
    closed: list[bytes] = []

    class Closing(Response):
        def close(self) -> None:
            closed.append(self.get_data())
            super().close()

    with serve(app, Closing).test_client().get(path) as response:
        assert response.data == BODIES[path]
    # (werkzeug's test client closes the body twice, with Flask too)
    assert closed and set(closed) == {BODIES[path]}


def test_head_gets_no_body(app: Flask) -> None:
    response = serve(app, ExtraHeader).test_client().head("/str")
    assert response.status == "200 OK"
    assert response.headers["X-Sent-By"] == "get_wsgi_headers"
    assert response.headers["Content-Length"] == "2"
    assert response.data == b""


def test_a_body_that_starts_the_response_as_it_is_iterated(app: Flask) -> None:
    class Late(Response):
        def __call__(self, environ: t.Any, start_response: t.Any) -> t.Any:
            start_response("202 ACCEPTED", [("X-Late", "yes")])
            yield b"la"
            yield b"te"

    app.response_class = Late
    app.add_url_rule("/", "index", lambda: "ignored")
    response = app.test_client().get("/")
    assert response.status == "202 ACCEPTED"
    assert response.headers["X-Late"] == "yes"
    assert response.data == b"late"


def test_a_body_given_to_write(app: Flask) -> None:
    class Writing(Response):
        def __call__(self, environ: t.Any, start_response: t.Any) -> t.Any:
            write = start_response("200 OK", [("Content-Length", "7")])
            write(b"wr")
            return [b"itten"]

    app.response_class = Writing
    app.add_url_rule("/", "index", lambda: "ignored")
    assert app.test_client().get("/").data == b"written"


def test_a_streamed_async_body_through_the_general_path(app: Flask) -> None:
    app.response_class = Wrapped

    @app.route("/")
    async def stream() -> t.Any:
        async def chunks() -> t.AsyncIterator[str]:
            yield "a"
            yield "b"

        return chunks()

    assert app.test_client().get("/").data == b"<ab>"


class Created(Response):
    default_status = 201


@pytest.mark.parametrize("path", VIEWS)
def test_default_status(app: Flask, path: str) -> None:
    response = serve(app, Created).test_client().get(path)
    assert response.status == "201 CREATED"
    assert response.data == BODIES[path]


def test_default_status_yields_to_a_given_one(app: Flask) -> None:
    serve(app, Created).add_url_rule("/ok", "ok", lambda: ("fine", 200))
    client = app.test_client()
    assert client.get("/ok").status == "200 OK"
    assert client.get("/missing").status == "404 NOT FOUND"
