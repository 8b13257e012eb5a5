"""``app.test_client()``: werkzeug's test client, aware of the app."""

from __future__ import annotations

import typing as t
from io import BytesIO

import pytest
import werkzeug.test

from kolba import (
    Flask,
    Response,
    appcontext_popped,
    appcontext_pushed,
    g,
    has_app_context,
    redirect,
    request,
    session,
)
from kolba.testing import KolbaClient


@pytest.fixture
def echo(app: Flask) -> Flask:
    """One URL that answers every method with what it received."""

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo_view() -> dict[str, object]:
        return {
            "method": request.method,
            "args": request.args.to_dict(),
            "form": request.form.to_dict(),
            "json": request.get_json(silent=True),
        }

    return app


def test_client_is_a_werkzeug_client(app: Flask) -> None:
    client = app.test_client()
    assert isinstance(client, werkzeug.test.Client)
    assert isinstance(client, KolbaClient)
    assert client.application is app


def test_test_client_class(app: Flask) -> None:
    class MyClient(KolbaClient):
        pass

    app.test_client_class = MyClient
    assert type(app.test_client()) is MyClient


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_every_method(echo: Flask, method: str) -> None:
    response = getattr(echo.test_client(), method)("/echo?x=1")
    assert response.status_code == 200
    assert response.json == {
        "method": method.upper(),
        "args": {"x": "1"},
        "form": {},
        "json": None,
    }


def test_head_and_options(echo: Flask) -> None:
    client = echo.test_client()
    head = client.head("/echo")
    assert (head.status_code, head.data) == (200, b"")
    options = client.options("/echo")
    assert {m.strip() for m in options.headers["Allow"].split(",")} == {
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
    }


def test_query_string_and_form(echo: Flask) -> None:
    client = echo.test_client()
    response = client.get("/echo", query_string={"q": "a b"})
    assert response.json["args"] == {"q": "a b"}
    response = client.post("/echo", data={"name": "Ann"})
    assert response.json["form"] == {"name": "Ann"}


def test_json_body(echo: Flask) -> None:
    response = echo.test_client().post("/echo", json={"items": [1, 2]})
    assert response.json["json"] == {"items": [1, 2]}
    assert response.get_json()["method"] == "POST"


def test_file_upload(app: Flask, client: KolbaClient) -> None:
    @app.post("/upload")
    def upload() -> str:
        f = request.files["the_file"]
        return f"{f.filename}:{f.read().decode()}:{request.form['title']}"

    response = client.post(
        "/upload",
        data={"the_file": (BytesIO(b"hello"), "notes.txt"), "title": "mine"},
    )
    assert response.text == "notes.txt:hello:mine"


def test_follow_redirects_keeps_the_history(app: Flask, client: KolbaClient) -> None:
    app.add_url_rule("/", "index", lambda: redirect("/step"))
    app.add_url_rule("/step", "step", lambda: redirect("/end"))
    app.add_url_rule("/end", "end", lambda: "arrived")
    response = client.get("/", follow_redirects=True)
    assert response.text == "arrived"
    assert response.request.path == "/end"
    assert [r.request.path for r in response.history] == ["/", "/step"]
    assert [r.status_code for r in response.history] == [302, 302]


def test_cookies(app: Flask, client: KolbaClient) -> None:
    @app.route("/set")
    def set_cookie() -> object:
        response = app.make_response("set")
        response.set_cookie("flavour", "oat")
        return response

    @app.route("/read")
    def read() -> str:
        return request.cookies.get("flavour", "none")

    assert client.get("/read").text == "none"
    client.get("/set")
    assert client.get_cookie("flavour").value == "oat"
    assert client.get("/read").text == "oat"
    client.set_cookie("flavour", "choc")
    assert client.get("/read").text == "choc"
    client.delete_cookie("flavour")
    assert client.get("/read").text == "none"


def test_cookies_can_be_disabled(app: Flask) -> None:
    client = app.test_client(use_cookies=False)
    with pytest.raises(TypeError, match="use_cookies=False"):
        with client.session_transaction():
            pass


def test_with_client_keeps_the_last_request_context(
    app: Flask, client: KolbaClient
) -> None:
    app.add_url_rule("/search", "search", lambda: "results")
    with client:
        client.get("/search?q=kolba")
        assert request.args["q"] == "kolba"
        assert request.path == "/search"
        client.get("/search?q=second")
        assert request.args["q"] == "second"
    with pytest.raises(RuntimeError, match="request context"):
        _ = request.args


class _AdapterOverride(Flask):
    def create_url_adapter(self, request: t.Any) -> t.Any:
        return super().create_url_adapter(request)


@pytest.mark.parametrize("kind", ["receiver", "override", "plain"])
def test_with_client_keeps_the_requests_g_and_app_context(
    driver: str, kind: str
) -> None:
    # As Flask's: the request's app context is handed over with it (an
    # appcontext_pushed receiver or an override take the full path).
    app = (_AdapterOverride if kind == "override" else Flask)("keep_g")
    log: list[str] = []

    def pushed(sender: Flask) -> None:
        log.append("app pushed")
        g.pushes = g.get("pushes", 0) + 1

    def popped(sender: Flask) -> None:
        log.append("app popped")

    if kind == "receiver":
        appcontext_pushed.connect(pushed, app)
        appcontext_popped.connect(popped, app)

    @app.route("/<name>")
    def view(name: str) -> str:
        g.user = name
        return "ok"

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        log.append(f"teardown {request.path}")

    client = app.test_client()
    with client:
        client.get("/ann")
        assert g.user == "ann" and request.path == "/ann"
        client.get("/bob")
        assert g.user == "bob" and request.path == "/bob"
        log.append("end of with")
    assert not has_app_context()
    teardowns = ["teardown /ann", "teardown /ann", "teardown /bob"]
    teardowns += ["end of with", "teardown /bob"]
    if kind == "receiver":  # Flask's order, its app context pushed again
        teardowns = [
            "app pushed", "teardown /ann", "app popped",
            "app pushed", "teardown /ann", "app popped",
            "app pushed", "teardown /bob", "app popped",
            "app pushed", "end of with", "teardown /bob", "app popped",
        ]  # fmt: skip
    assert log == teardowns


def test_without_with_the_context_is_gone(app: Flask, client: KolbaClient) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    client.get("/")
    with pytest.raises(RuntimeError):
        _ = request.path


def test_with_client_cannot_nest(client: KolbaClient) -> None:
    with client:
        with pytest.raises(RuntimeError, match="nest"):
            with client:
                pass


def test_session_transaction(app: Flask, client: KolbaClient) -> None:
    @app.route("/whoami")
    def whoami() -> str:
        return session.get("user", "nobody")

    assert client.get("/whoami").text == "nobody"
    with client.session_transaction() as sess:
        sess["user"] = "ann"
    assert client.get("/whoami").text == "ann"
    with client.session_transaction() as sess:
        assert sess["user"] == "ann"


def test_session_visible_inside_with_client(app: Flask, client: KolbaClient) -> None:
    @app.route("/login")
    def login() -> str:
        session["user"] = request.args["user"]
        return "ok"

    with client:
        client.get("/login?user=bob")
        assert session["user"] == "bob"


def test_environ_base_and_remote_addr(app: Flask, client: KolbaClient) -> None:
    app.add_url_rule("/ip", "ip", lambda: request.remote_addr or "")
    assert client.get("/ip").text == "127.0.0.1"
    response = client.get("/ip", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.text == "10.0.0.9"


def test_server_name_is_the_default_host(app: Flask) -> None:
    app.config["SERVER_NAME"] = "shop.test"
    app.add_url_rule("/", "index", lambda: request.host)
    assert app.test_client().get("/").text == "shop.test"


def test_open_with_an_environ_builder(echo: Flask) -> None:
    from kolba.testing import EnvironBuilder

    builder = EnvironBuilder(echo, "/echo", method="PATCH", json={"a": 1})
    response = echo.test_client().open(builder)
    assert response.json["method"] == "PATCH"
    assert response.json["json"] == {"a": 1}


def test_open_keeps_a_werkzeug_builders_environ(
    app: Flask, client: KolbaClient
) -> None:
    """A werkzeug builder's ``environ_base`` wins over the client's, and its
    ``environ_overrides`` reach the app; the caller's builder is not changed."""
    app.add_url_rule(
        "/who", "who", lambda: f"{request.remote_addr} {request.environ['X_TAG']}"
    )
    builder = werkzeug.test.EnvironBuilder(
        "/who",
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
        environ_overrides={"X_TAG": "mine"},
    )
    assert client.open(builder).text == "10.0.0.9 mine"
    assert client.open(builder).text == "10.0.0.9 mine"
    assert builder.environ_base == {"REMOTE_ADDR": "10.0.0.9"}


def test_client_responses_are_the_apps_response_class(app: Flask) -> None:
    """As in Flask: what the client returns is an ``app.response_class`` (with
    werkzeug's test helpers mixed in), so its own properties work in tests."""

    class Custom(Response):
        @property
        def shout(self) -> str:
            return self.get_data(as_text=True).upper()

    app.response_class = Custom
    app.add_url_rule("/", "index", lambda: "hello")
    rv = app.test_client().get("/")
    assert isinstance(rv, Custom)
    assert rv.shout == "HELLO"
    assert rv.text == "hello"


@pytest.mark.parametrize("code", [307, 308])
def test_a_followed_307_or_308_sends_the_body_again(
    app: Flask, client: KolbaClient, code: int
) -> None:
    @app.post("/old")
    def old() -> t.Any:  # the body not read: the driver may still receive it
        return redirect("/new", code)

    @app.post("/new")
    def new() -> t.Any:
        return {"form": request.form.to_dict(), "json": request.get_json(silent=True)}

    rv = client.post("/old", data={"k": "v"}, follow_redirects=True)
    assert rv.json == {"form": {"k": "v"}, "json": None}
    rv = client.post("/old", json=[1, 2], follow_redirects=True)
    assert rv.json == {"form": {}, "json": [1, 2]}
    assert [r.status_code for r in rv.history] == [code]


def test_a_body_stream_with_only_read_tell_and_seek(
    app: Flask, client: KolbaClient
) -> None:
    class Stream:  # no seekable(): werkzeug needs none
        def __init__(self, data: bytes) -> None:
            io = BytesIO(data)
            self.read, self.tell, self.seek = io.read, io.tell, io.seek

    @app.post("/")
    def echo() -> bytes:
        return b"got " + request.get_data()

    rv = client.post("/", input_stream=Stream(b"hello"), content_length=5)
    assert rv.data == b"got hello"


def test_a_websocket_message_before_the_accept_fails_as_under_a_server() -> None:
    """A server refuses an app's message sent before its accept (uvicorn
    raises): the test client does too, not taking the message for the
    accept."""
    from kolba.testing import TestWebSocket, scope_from_environ

    async def early(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.send", "text": "early"})
        await receive()  # (until the client goes)

    environ = {"PATH_INFO": "/ws", "SERVER_NAME": "h", "wsgi.url_scheme": "http"}
    connection = TestWebSocket(early, scope_from_environ(environ, "websocket"))
    with pytest.raises(RuntimeError, match="'websocket.send' before accepting"):
        with connection:
            pass
    assert connection._thread is None  # (the app's thread ended)


def test_a_test_websocket_closed_by_the_client_ends_the_view(app: Flask) -> None:
    """``ws.close(code)`` is the client leaving: the view's receive() raises
    WebSocketDisconnect with that code, teardown runs once, and the
    connection is over (closing again does nothing)."""
    from kolba import WebSocketDisconnect, websocket

    seen: list[t.Any] = []
    app.teardown_request(lambda exc: seen.append(f"teardown {exc!r}"))

    @app.websocket("/ws")
    async def echo() -> None:
        try:
            while True:
                await websocket.send(await websocket.receive())
        except WebSocketDisconnect as e:
            seen.append(e.code)

    with app.test_client().websocket("/ws") as ws:
        ws.send("a")
        assert ws.receive() == "a"
        ws.close(4002)
        assert seen == [4002, "teardown None"]
        ws.close()
    assert seen == [4002, "teardown None"]
