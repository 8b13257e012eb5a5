"""Where and when the code of a request runs under ASGI (issue 8): ``async
def`` views, hooks and error handlers on the server's event loop, thousands
of them waiting at once; plain ``def`` views in the loop's thread pool, with
``request``, ``session``, ``g`` and ``current_app`` right and the body's
sync attributes readable; background tasks once the response has gone out
(under WSGI too)."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kolba import (
    Blueprint,
    Flask,
    Response,
    after_this_request,
    current_app,
    g,
    request,
    session,
    websocket,
)
from kolba.testing import ASGIClient

Message = dict[str, Any]


def _where() -> tuple[asyncio.AbstractEventLoop | None, threading.Thread]:
    """The running event loop (None outside one) and thread."""
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    return loop, threading.current_thread()


async def _serve(app: Flask, scope: Message, body: list[Message]) -> list[Message]:
    """One connection to ``app`` on the running loop: ``body`` is what the
    server receives, then the client stays (a disconnect never comes)."""
    sent: list[Message] = []
    inbox = list(body)

    async def receive() -> Message:
        if inbox:
            return inbox.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def _scope(path: str, method: str = "GET", headers: Any = ()) -> Message:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"h.test"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("h.test", 80),
    }


@pytest.mark.parametrize("view", ["async", "sync"])
def test_async_hooks_and_handlers_run_on_the_servers_loop(view: str) -> None:
    """Around an async view and around a sync one (which runs in the pool),
    every async hook, error handler and teardown function, a blueprint's
    too, runs on the loop that serves the connection, in its thread."""
    app = Flask(__name__)
    app.secret_key = "a-secret-for-where"
    bp = Blueprint("bp", __name__)
    ran: dict[str, tuple[asyncio.AbstractEventLoop | None, threading.Thread]] = {}

    def mark(name: str) -> None:
        ran[f"{name} {request.path}" if request else name] = _where()

    @app.before_request
    async def before() -> None:
        mark("before_request")

    @bp.before_request
    async def bp_before() -> None:
        mark("bp before_request")

    @app.after_request
    async def after(response: Response) -> Response:
        mark("after_request")
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        mark("teardown_request")

    @app.teardown_appcontext
    async def teardown_app(exc: BaseException | None) -> None:
        mark("teardown_appcontext")

    @app.errorhandler(LookupError)
    async def lookup(e: LookupError) -> tuple[str, int]:
        mark("errorhandler")
        return "handled", 409

    @bp.errorhandler(KeyError)
    async def bp_lookup(e: KeyError) -> tuple[str, int]:
        mark("bp errorhandler")
        return "bp handled", 409

    async def later(response: Response) -> Response:
        mark("after_this_request")
        return response

    if view == "async":

        @app.route("/ok")
        async def ok() -> str:
            after_this_request(later)
            mark("view")
            return "ok"

        @app.route("/fails")
        async def fails() -> str:
            raise LookupError

        @bp.route("/fails")
        async def bp_fails() -> str:
            raise KeyError

    else:

        @app.route("/ok")
        def ok() -> str:
            after_this_request(later)
            mark("view")
            return "ok"

        @app.route("/fails")
        def fails() -> str:
            raise LookupError

        @bp.route("/fails")
        def bp_fails() -> str:
            raise KeyError

    app.register_blueprint(bp, url_prefix="/bp")

    async def main() -> tuple[Any, list[tuple[int, bytes]]]:
        answers = []
        for path in ("/ok", "/fails", "/bp/fails"):
            sent = await _serve(app, _scope(path), [])
            answers.append((sent[0]["status"], sent[1]["body"]))
        return _where(), answers

    (loop, thread), answers = asyncio.run(main())
    assert answers == [(200, b"ok"), (409, b"handled"), (409, b"bp handled")]
    on_loop = {name: where for name, where in ran.items() if name != "view /ok"}
    assert sorted(on_loop) == sorted(
        [
            *(f"before_request {path}" for path in ("/ok", "/fails", "/bp/fails")),
            "bp before_request /bp/fails",
            *(f"after_request {path}" for path in ("/ok", "/fails", "/bp/fails")),
            "after_this_request /ok",
            *(f"teardown_request {path}" for path in ("/ok", "/fails", "/bp/fails")),
            "errorhandler /fails",
            "bp errorhandler /bp/fails",
            "teardown_appcontext",
        ]
    )
    assert all(where == (loop, thread) for where in on_loop.values()), on_loop
    if view == "async":
        assert ran["view /ok"] == (loop, thread)
    else:  # in the pool: no loop running in its thread
        assert ran["view /ok"][0] is None and ran["view /ok"][1] is not thread


def test_async_websocket_hooks_and_view_run_on_the_servers_loop() -> None:
    app = Flask(__name__)
    ran: list[tuple[str, Any]] = []

    @app.before_websocket
    async def before() -> None:
        ran.append(("before_websocket", _where()))

    @app.after_websocket
    async def after() -> None:
        ran.append(("after_websocket", _where()))

    @app.websocket("/ws")
    async def ws() -> None:
        ran.append(("view", _where()))
        await websocket.send("hi")

    async def main() -> tuple[Any, list[Message]]:
        inbox = [{"type": "websocket.connect"}]
        sent: list[Message] = []

        async def receive() -> Message:
            if inbox:
                return inbox.pop(0)
            return {"type": "websocket.disconnect", "code": 1000}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = _scope("/ws") | {"type": "websocket", "scheme": "ws"}
        await asyncio.wait_for(app(scope, receive, send), 5)
        return _where(), sent

    where, sent = asyncio.run(main())
    assert [m["type"] for m in sent[:2]] == ["websocket.accept", "websocket.send"]
    assert ran == [
        ("before_websocket", where),
        ("view", where),
        ("after_websocket", where),
    ]


def test_thousands_of_async_views_wait_at_once_on_one_loop() -> None:
    """2,000 requests to an async view (and its async before_request) that
    all wait until every one of them is inside: they can only all be, and
    end, if each waits on the one loop, none holding a thread."""
    app = Flask(__name__)
    count = 2000
    inside = [0, 0]
    everyone = asyncio.Event()

    @app.before_request
    async def arrive() -> None:
        inside[0] += 1
        await asyncio.sleep(0)

    @app.route("/<int:n>")
    async def wait(n: int) -> str:
        inside[1] += 1
        if inside[1] == count:
            everyone.set()
        await everyone.wait()
        return str(n)

    async def main() -> list[list[Message]]:
        answers = (_serve(app, _scope(f"/{n}"), []) for n in range(count))
        return await asyncio.wait_for(asyncio.gather(*answers), 30)

    answers = asyncio.run(main())
    assert inside == [count, count]
    assert [sent[1]["body"] for sent in answers] == [
        str(n).encode() for n in range(count)
    ]


def test_sync_views_run_in_the_pool_with_their_own_context() -> None:
    """Two apps, each with a sync view that waits in the pool until the
    other's is inside too: each still sees its own app, request, g and
    session, in a thread other than the loop's."""
    apps = [Flask(f"app_{n}") for n in range(2)]
    both = threading.Barrier(2, timeout=5)
    for n, one in enumerate(apps):
        one.secret_key = f"a-long-enough-secret-for-app-{n}"
        one.config["WHO"] = f"who {n}"

        @one.before_request
        def before() -> None:
            g.user = f"{current_app.name} user"

        @one.route("/login/<name>")
        def login(name: str) -> str:
            session["name"] = name
            return "in"

        @one.route("/me")
        def me() -> Any:
            loop, thread = _where()
            both.wait()  # (the other app's view is inside its own thread now)
            return {
                "app": current_app.name,
                "who": current_app.config["WHO"],
                "path": request.path,
                "arg": request.args["x"],
                "g": g.user,
                "session": session.get("name"),
                "loop": loop is not None,
                "thread": thread.name,
            }

    async def get(one: Flask, path: str, cookie: bytes = b"") -> list[Message]:
        scope = _scope(path, headers=[(b"cookie", cookie)] if cookie else [])
        scope["query_string"] = b"x=1"
        return await _serve(one, scope, [])

    async def main() -> tuple[str, list[Any]]:
        cookies = []
        for n, one in enumerate(apps):
            sent = await get(one, f"/login/ann{n}")
            header = dict(sent[0]["headers"])[b"set-cookie"]
            cookies.append(header.split(b";")[0])
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(get(one, "/me", c) for one, c in zip(apps, cookies, strict=True))
            ),
            10,
        )
        return threading.current_thread().name, answers

    loop_thread, answers = asyncio.run(main())
    seen = [json.loads(sent[1]["body"]) for sent in answers]
    for n, got in enumerate(seen):
        assert {k: got[k] for k in ("app", "who", "path", "arg", "g", "session")} == {
            "app": f"app_{n}",
            "who": f"who {n}",
            "path": "/me",
            "arg": "1",
            "g": f"app_{n} user",
            "session": f"ann{n}",
        }
        assert got["loop"] is False and got["thread"] != loop_thread
    assert seen[0]["thread"] != seen[1]["thread"]


@pytest.mark.parametrize("arrival", ["whole", "in messages", "chunked"])
def test_a_sync_view_reads_args_form_files_data_and_json(arrival: str) -> None:
    """The sync attributes of the body under ASGI, in the view's thread, for
    a body that came in one message, in several, or chunked."""
    app = Flask(__name__)

    @app.post("/form")
    def form() -> Any:
        upload = request.files["f"]
        return {
            "args": request.args.to_dict(),
            "form": request.form.to_dict(),
            "file": [upload.filename, upload.read().decode()],
        }

    @app.post("/json")
    def json_view() -> Any:
        return {"json": request.get_json(), "data": request.data.decode()}

    boundary, multipart = encode_multipart(
        {"a": "1", "b": "two", "f": FileStorage(io.BytesIO(b"file body"), "f.txt")}
    )
    cases = [
        ("/form", f"multipart/form-data; boundary={boundary}", multipart),
        ("/json", "application/json", b'{"x": [1, 2]}'),
    ]

    async def main() -> list[Any]:
        answers = []
        for path, content_type, body in cases:
            headers = [(b"content-type", content_type.encode())]
            if arrival == "chunked":
                headers.append((b"transfer-encoding", b"chunked"))
            else:
                headers.append((b"content-length", str(len(body)).encode()))
            size = len(body) if arrival == "whole" else 7
            parts = [
                {"type": "http.request", "body": body[i : i + size], "more_body": True}
                for i in range(0, len(body), size)
            ]
            parts[-1]["more_body"] = False
            scope = _scope(path, "POST", headers) | {"query_string": b"q=s&r=t"}
            sent = await _serve(app, scope, parts)
            assert sent[0]["status"] == 200, sent[1]["body"]
            answers.append(json.loads(sent[1]["body"]))
        return answers

    assert asyncio.run(main()) == [
        {
            "args": {"q": "s", "r": "t"},
            "form": {"a": "1", "b": "two"},
            "file": ["f.txt", "file body"],
        },
        {"json": {"x": [1, 2]}, "data": '{"x": [1, 2]}'},
    ]


def test_the_readme_async_example_runs_under_asgi(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's ``async def`` view and WebSocket, run as written."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    blocks = readme.split("```python\n")[1:]
    [code] = [b.split("```")[0] for b in blocks if "async def create_order" in b]
    namespace: dict[str, Any] = {"__name__": "readme"}
    exec(compile(code, "README.md", "exec"), namespace)
    app: Flask = namespace["app"]
    client = ASGIClient(app, app.response_class)
    answer = client.post("/orders", json={"id": 7})
    assert (answer.status_code, answer.json) == (201, {"id": 7})
    assert capsys.readouterr().out == "receipt for order 7 sent\n"
    with client.websocket("/ws/lobby") as ws:
        ws.send("hi")
        assert ws.receive() == "lobby: hi"
        ws.send(b"\x00")
        assert ws.receive() == "lobby: b'\\x00'"


def test_a_background_task_starts_once_the_response_has_gone_out() -> None:
    """Under ASGI: sync and async tasks, with args and kwargs, in an app
    context, start once the response's last message is sent; the same
    connection's server awaits nothing of theirs."""
    app = Flask(__name__)
    started: list[tuple[str, Any, int]] = []
    sent: list[Message] = []
    done = asyncio.Event()

    async def later(n: int, *, who: str) -> None:
        started.append(("async", (n, who, current_app.name), len(sent)))
        await asyncio.sleep(0)
        done.set()

    def later_sync(n: int, *, who: str) -> None:
        started.append(("sync", (n, who, current_app.name), len(sent)))

    @app.route("/")
    async def index() -> str:
        app.add_background_task(later, 1, who="ann")
        app.add_background_task(later_sync, 2, who="bob")
        return "ok"

    async def main() -> None:
        async def receive() -> Message:
            return {"type": "http.request"}

        async def send(message: Message) -> None:
            sent.append(message)
            await asyncio.sleep(0)  # (a task started early would run here)

        await app(_scope("/"), receive, send)
        await asyncio.wait_for(done.wait(), 5)
        while app._background_tasks:
            await asyncio.sleep(0.01)

    asyncio.run(main())
    assert sent[-1]["type"] == "http.response.body"
    assert not sent[-1].get("more_body")
    assert sorted(started) == [
        ("async", (1, "ann", app.name), 2),
        ("sync", (2, "bob", app.name), 2),
    ]


def test_a_background_task_under_wsgi_starts_as_the_response_closes() -> None:
    """Under WSGI the server closes the response once it is sent: the task
    (with args and kwargs, in an app context) starts then, not before."""
    app = Flask(__name__)
    ran: list[Any] = []
    go, done = threading.Event(), threading.Event()

    def task(n: int, *, who: str) -> None:
        go.wait(5)  # (running until the test has looked)
        ran.append((n, who, current_app.name))
        done.set()

    @app.route("/")
    def index() -> str:
        app.add_background_task(task, 1, who="ann")
        return "ok"

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "h"}
    body = app(environ, lambda status, headers, exc_info=None: None)
    assert b"".join(body) == b"ok"
    assert not app._background_tasks  # sent, not yet closed: none started
    body.close()  # type: ignore[attr-defined]
    assert len(app._background_tasks) == 1  # its thread, started
    go.set()
    assert done.wait(5)
    assert ran == [(1, "ann", app.name)]
