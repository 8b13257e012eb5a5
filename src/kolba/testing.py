"""The test client and environ builder (werkzeug's, made app-aware)."""

from __future__ import annotations

import asyncio
import copy
import functools
import queue
import threading
import typing as t
import weakref
from contextlib import ExitStack, contextmanager, suppress
from urllib.parse import urlsplit

import werkzeug.datastructures
import werkzeug.test
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request as BaseRequest
from werkzeug.wrappers import Response

if t.TYPE_CHECKING:
    from types import TracebackType

    from werkzeug.test import TestResponse

    from .app import Flask
    from .cli import KolbaCliRunner as KolbaCliRunner
    from .ctx import RequestContext
    from .sessions import SessionMixin

    FlaskCliRunner = KolbaCliRunner  # (both served by __getattr__ below)


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """An environ for ``app``: the base URL comes from ``SERVER_NAME``,
    ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME``; ``json=`` uses the
    app's JSON provider."""

    def __init__(
        self,
        app: Flask,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        if base_url is None:
            base_url, path = _app_base_url(app, path, subdomain, url_scheme)
        elif subdomain or url_scheme:
            raise ValueError("Pass 'base_url' or 'subdomain'/'url_scheme', not both.")
        self.app = app
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        return self.app.json.dumps(obj, **kwargs)


def _app_base_url(
    app: Flask, path: str, subdomain: str | None, url_scheme: str | None
) -> tuple[str, str]:
    """``path`` split into the app's base URL and the path (with its query)
    below it. A scheme or host written in ``path`` wins over the config."""
    config = app.config
    scheme = config["PREFERRED_URL_SCHEME"] if url_scheme is None else url_scheme
    host = ".".join(filter(None, (subdomain, config.get("SERVER_NAME") or "localhost")))
    root = config["APPLICATION_ROOT"].lstrip("/")
    url = urlsplit(path)
    local = f"{url.path}?{url.query}" if url.query else url.path
    return f"{url.scheme or scheme}://{url.netloc or host}/{root}", local


class KolbaClient(werkzeug.test.Client):
    """``app.test_client()``. ``with client:`` keeps the last request's
    context active until the block ends; ``session_transaction()`` edits the
    session between requests."""

    application: Flask

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.preserve_context = False
        self._new_contexts: list[t.ContextManager[t.Any]] = []
        self._context_stack = ExitStack()
        self.environ_base = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Werkzeug/{_werkzeug_version()}",
        }

    @contextmanager
    def session_transaction(
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Iterator[SessionMixin]:
        """Open the session this client would send, let the block change it,
        and store it back in the client's cookies. The arguments are those of
        ``app.test_request_context()``."""
        if self._cookies is None:
            raise TypeError(
                "This client was made with use_cookies=False, so it keeps no"
                " session cookie to edit."
            )
        app = self.application
        ctx = self._context_with_cookies(*args, **kwargs)
        with ctx:
            session = app.session_interface.open_session(app, ctx.request)
        if session is None:
            raise RuntimeError("The app's session_interface opened no session.")
        yield session
        if not app.session_interface.is_null_session(session):
            self._keep_session(ctx, session)

    def _context_with_cookies(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A test request context whose request carries this client's cookies."""
        ctx = self.application.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(ctx.request.environ)
        return ctx

    def _keep_session(self, ctx: RequestContext, session: t.Any) -> None:
        """Save ``session`` as the end of ``ctx``'s request would, and keep the
        cookies that sets."""
        app = self.application
        response = app.response_class()
        with ctx:
            app.session_interface.save_session(app, session, response)
        request = ctx.request
        self._update_cookies_from_response(
            request.host.partition(":")[0],
            request.path,
            response.headers.getlist("Set-Cookie"),
        )

    def _environ(self, extra: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
        """``extra`` over the client's ``environ_base``; inside ``with client:``
        also the hook through which the app hands over its request context."""
        environ = {**self.environ_base, **(extra or {})}
        if self.preserve_context:
            environ["werkzeug.debug.preserve_context"] = self._new_contexts.append
        return environ

    def _make_request(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        """The request ``open()`` sends: a ready request, environ or werkzeug
        builder passed as the one argument, else ours built from the
        arguments; all of them get the client's environ."""
        source = args[0] if args else None
        if isinstance(source, BaseRequest):
            return BaseRequest(self._environ(source.environ))
        if isinstance(source, dict):
            return BaseRequest(self._environ(source))
        if isinstance(source, werkzeug.test.EnvironBuilder):
            # a copy, so the caller's builder keeps its own environ_base
            builder = copy.copy(source)
            builder.environ_base = self._environ(source.environ_base)
            return builder.get_request()
        kwargs["environ_base"] = self._environ(kwargs.get("environ_base"))
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        """Flask's name for :meth:`_make_request` (Flask-SocketIO calls it)."""
        return self._make_request(args, kwargs)

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request (werkzeug's arguments). Inside ``with client:`` the
        context of the previous request ends and this one's stays active."""
        request = self._make_request(args, kwargs)
        self._context_stack.close()
        # A redirect followed is opened by a nested open(): the first request's
        # context must not outlive it, so that the last request's stays active.
        self._new_contexts.clear()
        response = super().open(
            request, buffered=buffered, follow_redirects=follow_redirects
        )
        response.json_module = self.application.json  # type: ignore[assignment]
        for context in self._new_contexts:  # (an app context first)
            self._context_stack.enter_context(context)
        self._new_contexts.clear()
        return response

    def websocket(
        self,
        path: str,
        *args: t.Any,
        subprotocols: t.Sequence[str] | None = None,
        **kwargs: t.Any,
    ) -> TestWebSocket:
        """A WebSocket connection to ``path`` through the app's ASGI entry, for
        ``with client.websocket("/ws") as ws:``; the client's cookies go with
        it, and the ``subprotocols`` it offers. The other arguments are those
        of ``open()`` (``headers=``...)."""
        kwargs["environ_base"] = self._environ(kwargs.get("environ_base"))
        if subprotocols:
            headers = werkzeug.datastructures.Headers(kwargs.get("headers"))
            headers["Sec-WebSocket-Protocol"] = ", ".join(subprotocols)
            kwargs["headers"] = headers
        builder = EnvironBuilder(self.application, path, *args, **kwargs)
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        if self._cookies is not None:
            self._add_cookies_to_wsgi(environ)
        scope = scope_from_environ(environ, "websocket")
        scope["extensions"] = {"websocket.http.response": {}}  # refusals' answers
        offered = environ.get("HTTP_SEC_WEBSOCKET_PROTOCOL", "")  # (as servers)
        scope["subprotocols"] = [p.strip() for p in offered.split(",") if p.strip()]
        scope[_TEST_ERRORS] = []  # (the app's errors to raise in the test)
        return TestWebSocket(self.application, scope)

    def __enter__(self) -> KolbaClient:
        if self.preserve_context:
            raise RuntimeError(
                "This client is already in a 'with' block; blocks"
                " of one client cannot nest."
            )
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()


FlaskClient = KolbaClient


class ASGIClient(KolbaClient):
    """A test client whose requests go through the app's ASGI entry (the
    scope, ``receive`` and ``send`` of an ASGI server) instead of WSGI.

    Its requests run on one event loop of its own, as a server's share one
    (with kolba's thread pool for ``def`` views, made once per loop): closed
    by :meth:`close`, or once the client is gone (at the latest at exit).
    PERF: 1,000 requests to a ``def`` view 600-690 -> 270-310 ms, to an
    ``async def`` one 170 -> 99 ms, than a new loop (and pool) each. In a
    test whose own loop runs, a request runs on a new loop in a thread."""

    _loop: asyncio.AbstractEventLoop | None = None

    def run_wsgi_app(self, environ: t.Any, buffered: bool = False) -> t.Any:
        app = self.application
        self.application = asgi_as_wsgi(app, self._run)  # type: ignore[assignment]
        try:
            return super().run_wsgi_app(environ, buffered)
        finally:
            self.application = app

    def _run(self, coro: t.Coroutine[t.Any, t.Any, None]) -> None:
        """Run ``coro`` on the client's loop (made on first use)."""
        if asyncio._get_running_loop() is not None:  # (the test's own loop)
            _run_on_new_loop(coro)
            return
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.new_event_loop()
            self._closer = weakref.finalize(self, _close_loop, loop)
        loop.run_until_complete(coro)

    def close(self) -> None:
        """Close the client's event loop: the app's tasks left on it (its
        background tasks still running) are cancelled. A request after it
        makes a new one."""
        if self._loop is not None:
            self._loop = None
            self._closer()


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks left on ``loop``, shut its executor down, close it
    (where no loop runs: the client may be collected anywhere, in an async
    test too; else it is only closed)."""
    if loop.is_closed() or loop.is_running():
        return
    if asyncio._get_running_loop() is None:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


def _header_bytes(name: str, value: str) -> bytes:
    """A request header's value as a server gets it: latin-1 bytes."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(
            f"The request header {name!r} has the value {value!r}, which HTTP"
            " cannot carry: header values are latin-1 bytes (a server reads"
            " UTF-8 bytes as latin-1 text). Quote or encode it in the test"
            " (e.g. urllib.parse.quote(value))."
        ) from None


def scope_from_environ(
    environ: t.Mapping[str, t.Any], kind: str = "http"
) -> dict[str, t.Any]:
    """The ASGI scope a server would make for the request in a WSGI environ."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        name = name.replace("_", "-").lower()
        headers.append((name.encode("latin-1"), _header_bytes(name, str(value))))
    scheme = environ.get("wsgi.url_scheme", "http")
    if kind == "websocket":
        scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
    root = environ.get("SCRIPT_NAME", "")
    path = environ.get("PATH_INFO", "")
    if path and not path.startswith("/"):  # (a server's path has its slash)
        path = "/" + path
    raw_path = (root + path).encode("latin-1")
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2],
        "method": environ.get("REQUEST_METHOD", "GET"),
        "scheme": scheme,
        "path": raw_path.decode("utf-8", "surrogateescape"),
        "raw_path": raw_path,
        "root_path": root.encode("latin-1").decode("utf-8", "surrogateescape"),
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "headers": headers,
        "client": (environ.get("REMOTE_ADDR", "127.0.0.1"), 0),
        "server": (
            environ.get("SERVER_NAME", "localhost"),
            int(environ.get("SERVER_PORT") or 80),
        ),
    }


_ENVIRON_FROM_SCOPE = {
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
}


def _read_body(environ: t.Mapping[str, t.Any]) -> bytes:
    """The body as a WSGI server hands it over: Content-Length bytes, or up
    to the end of a stream the server terminated, else nothing. The test's
    stream is put back where it was: the driver receives a body before the
    view asks for it, and a followed 307 or 308 sends the same stream again."""
    length = environ.get("CONTENT_LENGTH")
    if not length and not environ.get("wsgi.input_terminated"):
        return b""
    stream = environ["wsgi.input"]
    seekable = getattr(stream, "seekable", None)  # (a test's own may lack it)
    start = stream.tell() if seekable is not None and seekable() else None
    body: bytes = stream.read(int(length)) if length else stream.read()
    if start is not None:
        stream.seek(start)
    return body


def asgi_as_wsgi(
    app: t.Callable[..., t.Any],
    run: t.Callable[[t.Coroutine[t.Any, t.Any, None]], None] | None = None,
) -> t.Callable[..., t.Any]:
    """A WSGI callable that serves each request through the ASGI app ``app``
    on an event loop of its own, or by ``run`` (the ASGI client's loop) (for
    tests: the response is buffered). The environ's own entries (a test's
    ``environ_overrides``) reach the app."""
    run_coroutine = _run_on_new_loop if run is None else run

    def wsgi(environ: t.Any, start_response: t.Callable[..., t.Any]) -> list[bytes]:
        scope = scope_from_environ(environ)
        scope["kolba.environ"] = {
            key: value
            for key, value in environ.items()
            if key not in _ENVIRON_FROM_SCOPE and not key.startswith(("HTTP_", "wsgi."))
        }
        messages: list[dict[str, t.Any]] = []

        async def serve() -> None:
            done = asyncio.Event()
            parts = [environ]

            async def receive() -> dict[str, t.Any]:
                if parts:
                    return {"type": "http.request", "body": _read_body(parts.pop())}
                await done.wait()
                return {"type": "http.disconnect"}

            async def send(message: dict[str, t.Any]) -> None:
                messages.append(message)

            try:
                await app(scope, receive, send)
            finally:
                done.set()

        run_coroutine(serve())
        start = messages[0]
        status = start["status"]
        start_response(
            f"{status} {HTTP_STATUS_CODES.get(status, 'unknown').upper()}",
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]],
        )
        return [message.get("body", b"") for message in messages[1:]]

    return wsgi


def _run_on_new_loop(coro: t.Coroutine[t.Any, t.Any, None]) -> None:
    """Run ``coro`` on a new event loop, in a thread if this one runs a loop."""
    if asyncio._get_running_loop() is not None:
        errors: list[BaseException] = []

        def target() -> None:
            try:
                _run_on_new_loop(coro)
            except BaseException as e:  # handed to the caller
                errors.append(e)

        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]
        return
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


#: The scope's list of the errors that a WebSocket's app hands to the test
#: client to raise (asgi._TEST_ERRORS): those no handler took, when the app
#: propagates exceptions (TESTING, PROPAGATE_EXCEPTIONS), as an HTTP view's.
_TEST_ERRORS = "kolba.test_errors"


class WebSocketClosed(Exception):
    """The app closed (or refused) the test WebSocket with ``code`` and
    ``reason``."""

    def __init__(self, code: int, reason: str = "") -> None:
        closed = f"the WebSocket was closed with code {code}"
        super().__init__(f"{closed}: {reason}" if reason else closed)
        self.code = code
        self.reason = reason


class WebSocketRefused(WebSocketClosed):
    """The app refused the test WebSocket's handshake: with an HTTP answer,
    ``response`` (a client sees the connection fail: code 1006), or by
    closing before it accepted (``code``: the app's close code), which a
    server answers with a 403 (``response``)."""

    def __init__(self, response: Response, code: int = 1006) -> None:
        super().__init__(code)
        refused = f"the WebSocket was refused with HTTP {response.status}"
        if code != 1006:  # (the app's close, which the server answered)
            refused += f": closed with code {code} before the accept"
        self.args = (refused,)
        self.response = response


class TestWebSocket:
    """``client.websocket(path)``: the app runs on an event loop in a thread;
    ``send``, ``receive`` and ``close`` talk to it as a browser would."""

    def __init__(
        self, app: t.Any, scope: dict[str, t.Any], timeout: float = 5.0
    ) -> None:
        self._app = app
        self._scope = scope
        self.timeout = timeout
        self._outbox: queue.Queue[dict[str, t.Any] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        #: The close code and reason once the app closed the connection.
        self.close_code: int | None = None
        self.close_reason = ""
        #: The subprotocol and the headers of the app's accept.
        self.subprotocol: str | None = None
        self.headers = werkzeug.datastructures.Headers()

    def __enter__(self) -> TestWebSocket:
        started = threading.Event()

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._serving = t.cast("asyncio.Task[None]", asyncio.current_task())
            self._inbox: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()
            started.set()

            async def send(message: dict[str, t.Any]) -> None:
                self._outbox.put(message)

            try:
                await self._app(self._scope, self._inbox.get, send)
            except BaseException as e:  # handed to the test
                self._error = e
            finally:
                self._outbox.put(None)
            # the app's background tasks, which a server's loop would run
            tasks = getattr(self._app, "_background_tasks", ())
            mine = asyncio.all_tasks().intersection(tasks)
            if mine:
                await asyncio.wait(mine)

        self._thread = threading.Thread(target=asyncio.run, args=(serve(),))
        self._thread.start()
        started.wait()
        self._put({"type": "websocket.connect"})
        message = self._next()
        if message["type"] == "websocket.close":  # (before the accept)
            self._ended()
            self.close_code = message.get("code", 1000)
            self._raise_app_error()
            raise WebSocketRefused(Response(b"", 403), self.close_code)
        if message["type"] == "websocket.http.response.start":
            self._refused(message)
        if message["type"] != "websocket.accept":  # as a server refuses it
            self.close()
            raise RuntimeError(
                f"the app sent {message['type']!r} before accepting the WebSocket"
            )
        self.subprotocol = message.get("subprotocol")
        for name, value in message.get("headers") or ():
            self.headers.add(name.decode("latin-1"), value.decode("latin-1"))
        return self

    def __exit__(self, *exc_info: t.Any) -> None:
        self.close()

    def _put(self, message: dict[str, t.Any]) -> None:
        if self._thread is not None and self._thread.is_alive():
            try:
                self._loop.call_soon_threadsafe(self._inbox.put_nowait, message)
            except RuntimeError:  # the app ended and its loop closed meanwhile:
                pass  # the message is dropped, as a server drops it

    def _next(self) -> dict[str, t.Any]:
        try:
            message = self._outbox.get(timeout=self.timeout)
        except queue.Empty:
            raise TimeoutError(
                f"the app sent nothing on the WebSocket for {self.timeout} s"
            ) from None
        if message is None:
            if self._error is not None:
                raise self._error
            self._raise_app_error()
            raise WebSocketClosed(self.close_code or 1006)
        return message

    def _raise_app_error(self) -> None:
        """Raise the error of the app's view or hooks that no handler took,
        once, if the app hands it to the test (TESTING, PROPAGATE_EXCEPTIONS:
        it closed with 1011 for it), as the HTTP client raises a view's."""
        errors = self._scope.get(_TEST_ERRORS)
        if errors:
            raise errors.pop(0)

    def _closed_by_app(self, message: dict[str, t.Any]) -> t.NoReturn:
        self.close_code = message.get("code", 1000)
        self.close_reason = message.get("reason") or ""
        self._raise_app_error()
        raise WebSocketClosed(self.close_code, self.close_reason)

    def _ended(self) -> None:
        """Wait for the app to end (the client has closed, or the app refused
        the handshake): a TimeoutError if it does not within the timeout (as
        a server's, its view is then cancelled)."""
        thread = self._thread
        self._thread = None
        if thread is None:
            return
        thread.join(self.timeout)
        if thread.is_alive() and self._inbox.qsize():
            # the app has not read the close: it holds the client back (a
            # view that does not read), for the read-ahead's wait at most
            from .asgi import _READ_AHEAD_WAIT

            thread.join(_READ_AHEAD_WAIT)
        if not thread.is_alive():
            return
        with suppress(RuntimeError):  # (its loop closed meanwhile: it ended)
            self._loop.call_soon_threadsafe(self._serving.cancel)
        thread.join(self.timeout)
        raise TimeoutError(
            f"the app did not end within {self.timeout} s of the client's"
            " close: its WebSocket view still ran (it was cancelled then"
            + (", and still runs)" if thread.is_alive() else ")")
        )

    def _refused(self, start: dict[str, t.Any]) -> t.NoReturn:
        body = []
        while True:
            message = self._next()
            body.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        self._ended()
        headers = [
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]
        ]
        response = Response(b"".join(body), start["status"], headers)
        raise WebSocketRefused(response)

    #: The largest message the "server" takes from the client, in bytes
    #: (uvicorn's and hypercorn's default); past it the connection is closed
    #: with 1009, as they close it.
    max_size = 16 * 1024 * 1024

    def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the app."""
        key = "text" if isinstance(data, str) else "bytes"
        size = len(data.encode()) if isinstance(data, str) else len(data)
        if size > self.max_size:  # (as a server closes it: the app sees it go)
            self.close_code, self.close_reason = 1009, "message too big"
            self._put({"type": "websocket.disconnect", "code": 1009})
            return
        self._put({"type": "websocket.receive", key: data})

    def receive(self) -> str | bytes:
        """The app's next message; :class:`WebSocketClosed` once it closed."""
        if self.close_code is not None:
            raise WebSocketClosed(self.close_code, self.close_reason)
        message = self._next()
        if message["type"] == "websocket.close":
            self._closed_by_app(message)
        text = message.get("text")
        return text if text is not None else message.get("bytes") or b""

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Disconnect (as a browser closing the tab: ``code`` and ``reason``
        are the client's) and wait for the app."""
        if self._thread is None:
            return
        self._put({"type": "websocket.disconnect", "code": code, "reason": reason})
        self._ended()
        if self._error is not None:
            raise self._error
        self._raise_app_error()


@functools.cache
def _werkzeug_version() -> str:
    """Read once: looking up package metadata costs about 0.1 ms per client."""
    from importlib.metadata import version

    return version("werkzeug")


def __getattr__(name: str) -> t.Any:
    """``KolbaCliRunner``/``FlaskCliRunner`` live in :mod:`kolba.cli` (click is
    imported only when they are used)."""
    if name in {"KolbaCliRunner", "FlaskCliRunner"}:
        from .cli import KolbaCliRunner

        return KolbaCliRunner
    raise AttributeError(name)
