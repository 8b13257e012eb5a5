"""Hostile or odd input under ASGI gets a clear answer (a 4xx, or the request
as a WSGI server would give it), never a 500, a hang, super-linear CPU or a
body held whole in memory. (Found by a review; real servers are at the end.)"""

from __future__ import annotations

import asyncio
import logging
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from test_asgi import http_scope, run_asgi
from werkzeug.middleware.proxy_fix import ProxyFix

from kolba import Flask, Request, request


@pytest.mark.parametrize(
    ("path", "root", "expected"),
    [
        ("/appadmin", "/app", "other /appadmin"),
        ("/apple", "/app", "other /apple"),
        ("/app/admin", "/app", "admin"),
        ("/app/admin", "/app/", "admin"),
        ("/admin", "/app", "admin"),  # a server that gave the path without it
    ],
)
def test_the_root_path_is_cut_off_at_a_segment_boundary(
    app: Flask, path: str, root: str, expected: str
) -> None:
    """``/apple`` is not under the mount point ``/app``: it is served as it
    is (as a server that strips the mount point itself gives paths), not as
    ``/le``. The environ a WSGI extension reads says the same."""

    @app.route("/admin")
    def admin() -> str:
        return "admin"

    @app.route("/<path:rest>")
    async def other(rest: str) -> str:
        return f"other {request.path} {request.environ['PATH_INFO']}"

    scope = http_scope(path)
    scope["root_path"] = root
    sent = run_asgi(app, scope, [])
    body = sent[1]["body"].decode()
    if expected == "admin":
        assert body == "admin"
    else:
        assert body == f"{expected} {expected[6:]}"


def test_the_root_with_a_trailing_slash_serves_its_index(app: Flask) -> None:
    """root_path ``/app/`` and path ``/app/``: the index, not a redirect to
    itself (forever)."""
    app.add_url_rule("/", "index", lambda: f"index {request.script_root}")
    for path in ("/app/", "/app"):
        scope = http_scope(path)
        scope["root_path"] = "/app/"
        sent = run_asgi(app, scope, [])
        if path == "/app/":
            assert (sent[0]["status"], sent[1]["body"]) == (200, b"index /app")
        else:  # the mount point without its slash: redirected to it
            assert sent[0]["status"] == 308
            assert (b"location", b"http://testserver/app/") in sent[0]["headers"]


def test_a_header_repeated_many_times_is_joined_in_linear_time(app: Flask) -> None:
    """Each repeat was joined to the ones before it (a copy of them all):
    50,000 copies took minutes. The bound is a hang's, not a speed test."""

    @app.route("/")
    def view() -> str:
        return f"{len(request.headers['X-A'])} {request.headers['Cookie']}"

    headers = [(b"x-a", b"b" * 100)] * 50_000 + [(b"cookie", b"a=1")] * 2
    sent: list[Any] = []
    thread = threading.Thread(
        target=lambda: sent.extend(run_asgi(app, http_scope("/", headers=headers), [])),
        daemon=True,
    )
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    assert sent[1]["body"] == f"{101 * 50_000 - 1} a=1; a=1".encode()



def serve(
    app: Flask, scope: dict[str, Any], messages: list[dict[str, Any]]
) -> tuple[list[Any], int, int]:
    """Serve one request whose ``receive`` gives ``messages``, then waits;
    what was sent, how many messages the app took, and the peak of memory
    allocated meanwhile."""
    sent: list[Any] = []
    inbox = list(messages)

    async def receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    tracemalloc.start()
    try:
        asyncio.run(asyncio.wait_for(app(scope, receive, send), 10))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return sent, len(messages) - len(inbox), peak


def chunked(*chunks: bytes) -> list[dict[str, Any]]:
    return [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]


URLENCODED = [(b"content-type", b"application/x-www-form-urlencoded")]
MB = 1_000_000


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_a_huge_urlencoded_body_is_refused_at_the_form_limit(
    app: Flask, kind: str
) -> None:
    """``await request.form`` (and a sync view's form) answer 413 once the
    body passes MAX_FORM_MEMORY_SIZE (500 kB), as under WSGI: the body is
    not received whole first (60 MB were held in memory)."""
    if kind == "async":

        @app.post("/")
        async def view() -> str:
            return str(len(await request.form))
    else:

        @app.post("/")
        def view() -> str:
            return str(len(request.form))

    body = chunked(b"a=" + b"x" * 99_998, *[b"x" * 100_000] * 59)
    sent, received, peak = serve(app, http_scope("/", "POST", URLENCODED), body)
    assert sent[0]["status"] == 413
    assert received <= 6  # 500 kB and the chunk that passed it
    assert peak < 5 * MB
    sent, received, _ = serve(
        app, http_scope("/", "POST", URLENCODED), chunked(b"a=", b"1", b"")
    )
    assert (sent[0]["status"], sent[1]["body"], received) == (200, b"1", 3)


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_a_multipart_upload_is_kept_out_of_memory(app: Flask, kind: str) -> None:
    """A 30 MB file (no MAX_CONTENT_LENGTH) reaches ``request.files`` whole,
    received into a temporary file beyond 500 kB: memory stays bounded."""

    def describe(files: Any) -> str:
        data = files["f"].read()
        return f"{len(data)} {data.count(b'x')}"

    if kind == "async":

        @app.post("/")
        async def view() -> str:
            return describe(await request.files)
    else:

        @app.post("/")
        def view() -> str:
            return describe(request.files)

    head = b'--b\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\n\r\n'
    parts = [head, *[b"x" * MB] * 30, b"\r\n--b--\r\n"]
    headers = [(b"content-type", b"multipart/form-data; boundary=b")]
    sent, received, peak = serve(app, http_scope("/", "POST", headers), chunked(*parts))
    assert (sent[0]["status"], sent[1]["body"]) == (200, b"%d %d" % (30 * MB, 30 * MB))
    assert received == len(parts)
    assert peak < 30 * MB + 5 * MB  # the file read at once by the view, no more


def test_max_content_length_stops_a_sync_views_body(app: Flask) -> None:
    """A sync view's body is received before the view runs, up to
    MAX_CONTENT_LENGTH: past it no more is received, and reading it is a 413;
    a view that does not read it answers as usual. A view that raises its
    request's limit (Flask 3.1) reads the rest as it reads it."""
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/read")
    def read() -> str:
        return str(len(request.get_data()))

    @app.post("/ignore")
    def ignore() -> str:
        return "ignored"

    @app.post("/raised")
    def raised() -> str:
        request.max_content_length = 100
        return str(len(request.get_data()))

    body = chunked(*[b"x" * 4] * 20)
    for path, status, answer in (("/read", 413, None), ("/ignore", 200, b"ignored")):
        sent, received, _ = serve(app, http_scope(path, "POST"), body)
        assert sent[0]["status"] == status
        assert received == 3  # 12 bytes: past the limit
        if answer is not None:
            assert sent[1]["body"] == answer
    sent, received, _ = serve(app, http_scope("/raised", "POST"), body)
    assert (sent[1]["body"], received) == (b"80", 20)


@pytest.mark.parametrize("middleware", [False, True])
def test_with_no_limit_a_sync_views_body_is_received_ahead_up_to_a_bound(
    app: Flask, middleware: bool
) -> None:
    """With MAX_CONTENT_LENGTH unset, a body that the view never reads is
    received ahead only up to 8 MiB (no disk filled by one POST); a view that
    reads it gets all of it."""
    if middleware:
        app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]

    @app.post("/ignore")
    def ignore() -> str:
        return "ignored"

    @app.post("/read")
    def read() -> str:
        return str(len(request.get_data()))

    body = chunked(*[b"x" * MB] * 20)
    sent, received, _ = serve(app, http_scope("/ignore", "POST"), body)
    assert (sent[1]["body"], received) == (b"ignored", 9)  # 9 MB: past 8 MiB
    sent, received, _ = serve(app, http_scope("/read", "POST"), body)
    assert (sent[1]["body"], received) == (b"20000000", 20)


@pytest.mark.parametrize("middleware", [False, True])
def test_slow_uploads_to_sync_views_hold_no_thread(
    app: Flask, middleware: bool
) -> None:
    """Clients that send part of a body and stall do not hold the threads of
    the pool (there are 2 here): each body is received on the loop before its
    sync view runs (or the WSGI middleware that wraps the app), and a GET to
    a sync view answers meanwhile."""
    if middleware:
        app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]

    @app.post("/form")
    def form() -> str:
        return request.form["a"]

    @app.get("/")
    def index() -> str:
        return "hi"

    async def main() -> tuple[list[Any], list[list[Any]]]:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(2))
        finish = asyncio.Event()

        async def slow(sent: list[Any]) -> None:
            parts = chunked(b"a=", b"")

            async def receive() -> dict[str, Any]:
                if len(parts) == 1:
                    await finish.wait()
                return parts.pop(0)

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            await app(http_scope("/form", "POST", URLENCODED), receive, send)

        uploads: list[list[Any]] = [[] for _ in range(6)]
        tasks = [asyncio.ensure_future(slow(sent)) for sent in uploads]
        await asyncio.sleep(0.2)
        answer: list[Any] = []

        async def nothing() -> dict[str, Any]:
            return {"type": "http.request"}

        async def send(message: dict[str, Any]) -> None:
            answer.append(message)

        try:
            await asyncio.wait_for(app(http_scope("/"), nothing, send), 5)
        except asyncio.TimeoutError:
            pass
        finally:
            finish.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        return answer, uploads

    answer, uploads = asyncio.run(main())
    assert [m.get("body") for m in answer] == [None, b"hi"]
    assert all(sent[1]["body"] == b"" for sent in uploads)


@pytest.mark.parametrize("version", ["2", "3"])
def test_http2_and_3_without_a_content_length_read_as_http1(
    app: Flask, version: str
) -> None:
    """The first body message is received before an async view runs, as for
    HTTP/1.1: a GET's is its empty body, which Flask code reads without
    await; a POST's body that came in it too."""

    @app.route("/<name>", methods=["GET", "POST"])
    async def view(name: str) -> str:
        if name == "form":
            return repr(request.form.get("x", "none"))
        if name == "json":
            return repr(request.get_json(silent=True))
        return repr(request.get_data())

    @app.route("/sync/form", methods=["GET", "POST"])
    def sync_form() -> str:
        return repr(request.form.get("x", "none"))

    for path, method, body, answer in (
        ("/form", "GET", b"", b"'none'"),
        ("/json", "GET", b"", b"None"),
        ("/data", "GET", b"", b"b''"),
        ("/form", "POST", b"x=1", b"'1'"),
        ("/sync/form", "POST", b"x=1", b"'1'"),
        ("/sync/form", "GET", b"", b"'none'"),
    ):
        scope = http_scope(path, method, URLENCODED)
        scope["headers"] = URLENCODED  # (no Transfer-Encoding over HTTP/2)
        scope["http_version"] = version
        sent, received, _ = serve(app, scope, chunked(body))
        assert (sent[0]["status"], sent[1]["body"], received) == (200, answer, 1)


@pytest.mark.parametrize("own_init", [False, True])
def test_an_http2_get_ends_at_its_first_message(app: Flask, own_init: bool) -> None:
    """An HTTP/2 GET's first message, empty and the last, ends its body: an
    async view reads it (and the environ's input) without await, and nothing
    asks the server for more; also with a Request class whose own __init__
    has its environ made at once, before that message came."""
    if own_init:

        class OwnRequest(Request):
            def __init__(self, environ: dict[str, Any], **kwargs: Any) -> None:
                super().__init__(environ, **kwargs)
                self.own = True

        app.request_class = OwnRequest

    @app.get("/")
    async def view() -> str:
        read = request.environ["wsgi.input"].read()
        return repr((request.get_data(), read, request.form.get("x", "none")))

    scope = http_scope("/", "GET", URLENCODED)
    scope["http_version"] = "2"
    sent, received, _ = serve(app, scope, chunked(b""))
    assert (sent[0]["status"], sent[1]["body"], received) == (
        200,
        b"(b'', b'', 'none')",
        1,
    )


def test_a_body_whose_content_length_came_whole_is_read_without_await(
    app: Flask,
) -> None:
    """HTTP/2 servers (granian, hypercorn) send a body's bytes, then empty
    messages that end it: an async view reads the body that came whole
    without await, as it does an HTTP/1.1 one; the app receives the closing
    messages first (hypercorn dropped the connection, with the client's
    next requests on it, when the app ended a stream not read to its end)."""

    @app.post("/")
    async def view() -> str:
        return request.form.get("a", "none")

    scope = http_scope("/", "POST", [*URLENCODED, (b"content-length", b"3")])
    scope["http_version"] = "2"
    messages = chunked(b"a=1", b"", b"")
    sent, received, _ = serve(app, scope, messages)
    assert (sent[0]["status"], sent[1]["body"], received) == (200, b"1", 3)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    "framing", [(b"content-length", b"3"), (b"transfer-encoding", b"chunked")]
)
def test_a_body_that_came_whole_is_read_when_the_app_asks(
    app: Flask, kind: str, framing: tuple[bytes, bytes]
) -> None:
    """A small body comes whole in its first message, received before the
    view runs: read after a view that ignored it (by an after_request
    function, in the view's thread for a sync view), all of it is there,
    and nothing more is asked of the server."""
    if kind == "sync":
        app.post("/")(lambda: "ok")
    else:

        async def view() -> str:
            return "ok"

        app.post("/")(view)
    reads = []

    @app.after_request
    def after(response: Any) -> Any:
        reads.append((request.form.to_dict(), request.environ["wsgi.input"].read()))
        return response

    sent, received, _ = serve(
        app, http_scope("/", "POST", [*URLENCODED, framing]), chunked(b"a=1")
    )
    assert (sent[0]["status"], sent[1]["body"], received) == (200, b"ok", 1)
    assert reads == [({"a": "1"}, b"")]


def test_a_client_gone_as_its_body_ends_stops_a_stream(app: Flask) -> None:
    """The client leaves while the app receives the messages that end a body
    whose Content-Length came whole (see the test above): the disconnect,
    which a server gives once, still stops the view's endless stream."""

    @app.post("/")
    async def view() -> Any:
        async def forever() -> Any:
            while True:
                yield b"x"
                await asyncio.sleep(0)

        return forever()

    scope = http_scope("/", "POST", [(b"content-length", b"3")])
    messages = [*chunked(b"a=1", b"")[:1], {"type": "http.disconnect"}]
    sent, received, _ = serve(app, scope, messages)  # (10 s at most)
    assert (sent[0]["status"], received) == (200, 2)


@pytest.fixture
def data_views(app: Flask) -> Flask:
    """An async and a sync view that read the body."""

    @app.post("/async")
    async def async_view() -> str:
        return repr(await request.get_data())

    @app.post("/sync")
    def sync_view() -> str:
        return repr(request.get_data())

    return app


@pytest.mark.parametrize("path", ["/async", "/sync", "/nowhere", "/get-only"])
def test_a_client_gone_after_its_headers_ends_quietly(
    data_views: Flask, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A POST with a Content-Length whose client leaves before its body: the
    app ends without raising (servers logged ClientDisconnected's traceback),
    for any view and for a 404 or 405, as the sync path does."""
    app = data_views

    @app.get("/get-only")
    def get_only() -> str:
        return "get"

    headers = [(b"content-length", b"100")]
    with caplog.at_level(logging.ERROR):
        sent, _, _ = serve(
            app, http_scope(path, "POST", headers), [{"type": "http.disconnect"}]
        )
    assert sent[0]["status"] in (400, 404, 405)
    assert not caplog.records


@pytest.mark.parametrize("length", [b"\xb2", b"1" * 4301, b"-1", b"1e3"])
@pytest.mark.parametrize("path", ["/async", "/sync", "/nowhere"])
def test_a_content_length_that_is_no_number_is_read_as_none(
    data_views: Flask, path: str, length: bytes
) -> None:
    """A latin-1 superscript digit passes str.isdigit() but not int(), and
    4301 digits pass it but not Python's int() limit: the app raised, nothing
    was sent. Such a length is read as werkzeug reads it, as none (the form
    of test_robustness is empty under both drivers)."""
    data_views.config["MAX_CONTENT_LENGTH"] = 10  # (int() was called for it)
    headers = [(b"content-length", length), *URLENCODED]
    scope = http_scope(path, "POST", headers)
    sent, _, _ = serve(data_views, scope, chunked(b"a=1"))
    assert sent[0]["status"] == (404 if path == "/nowhere" else 200)
