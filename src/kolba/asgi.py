"""The ASGI driver: ``app(scope, receive, send)`` for HTTP, WebSocket, lifespan.

The request cycle is the one the WSGI entry runs; this module only turns an
ASGI scope into the request, and the response into ``send`` messages:

- The request is read from the scope itself: its method and path at once,
  the rest (headers, query, server, client) when first used. Its
  ``request.environ``, which many Flask extensions read, is made when first
  asked for, as a WSGI server would have made it; its body is read from
  ``receive``, lazily. A request class that sets up its own ``__init__``,
  ``method``, ``path`` or ``environ`` gets that environ at once.
- A plain ``def`` view runs, with its hooks, in kolba's thread pool: the
  event loop is never blocked by it, and its contextvars (``request``,
  ``session``, ``g``, ``current_app``) are the request's. An ``async def``
  coroutine that it calls is handed back to the server's loop.
- An ``async def`` view runs on the server's loop, with its hooks and error
  handlers awaited there: thousands of such requests wait together in one
  worker. Its body is awaited (``await request.get_data()``, ``await
  request.form``, ``async for chunk in request.iter_body()``).
- An async generator returned by a view is streamed as it yields, with the
  server's backpressure; a client that goes away cancels it.
- Sessions that may block (a ``SESSION_STORE``, a custom interface) are, for
  an async view or WebSocket, loaded in the thread pool before the hooks
  when the session cookie comes, and saved there after the view.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import copy
import inspect
import math
import os
import queue
import sys
import tempfile
import threading
import time
import typing as t
import weakref
from concurrent.futures import Future, InvalidStateError, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import suppress
from functools import update_wrapper
from inspect import CO_COROUTINE
from types import CodeType, CoroutineType
from urllib.parse import quote

from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.exceptions import (
    BadRequestKeyError,
    ClientDisconnected,
    Forbidden,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
)
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RoutingException, WebsocketMismatch
from werkzeug.wsgi import FileWrapper

from . import signals, wrappers
from .app import (
    _PLAIN_METHODS,
    _after_now,
    _bad_host_first,
    _decide_view_call,
    _discard,
    _HooksChanged,
    _new,
    _NotAResponse,
    _server_loop,
)
from .ctx import RequestContext, _DriverContext, _state_before
from .globals import (
    _NO_CTX,
    _cv_ctx,
    _cv_get,
    _cv_reset,
    _cv_server_loop,
    _cv_set,
    _request_ctx,
)
from .routing import RequestRedirect, Rule
from .sessions import DefaultSessionInterface, SecureCookieSessionInterface
from .wrappers import (
    _CLASS_CHANGED,
    _FROM_SCOPE,
    _NO_BODY,
    _URLENCODED,
    AsyncBody,
    Request,
    Response,
    _AppLimit,
    _Headers,
    _mount_point,
    _parse_pairs,
    _ready_to_send,
    _text_response,
)

if t.TYPE_CHECKING:
    from .app import Flask

Scope = t.MutableMapping[str, t.Any]
Message = t.MutableMapping[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]

_AWAIT_BODY = (
    "The request body has not arrived yet: under an ASGI server an async view"
    " awaits it (await request.get_data(), await request.get_json(), await"
    " request.form, await request.files, or async for chunk in"
    " request.iter_body()) before reading it without await."
)


#: The bytes of a body received whole (for a sync view, a multipart form) that
#: are kept in memory; beyond, it goes to a temporary file (as werkzeug spools
#: uploads).
_SPOOL = 500 * 1024
#: What a sync view's body is received ahead at most, with no MAX_CONTENT_LENGTH.
_AHEAD = 8 * 1024 * 1024
#: The largest body of a known length that is received whole (in memory)
#: before an async view runs: it reads it without await, as in Flask, however
#: the client split it; a larger or chunked one is awaited (or read as it
#: arrives).
_AHEAD_ON_LOOP = 1024 * 1024


class _Body:
    """The request body, read from ``receive`` as it is needed.

    On the loop, it is awaited (``fill``, ``chunks``); a thread
    that runs a sync view reads it with ``read``, which waits for the loop to
    receive what was not received ahead. The file methods are those of a
    WSGI server's input stream. What was received and not read yet is in
    ``_file`` (``_spooled`` bytes from ``_pos``), then in ``_buffer``.
    """

    # PERF: a plain object with slots, not an io.RawIOBase, whose creation and
    # finalizer cost 1 µs a request
    __slots__ = (
        "_receive",
        "_loop",
        "_buffer",
        "complete",
        "_size",
        "_error",
        "_file",
        "_pos",
        "_spooled",
        "_lock",
    )

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop) -> None:
        self._receive = receive
        self._loop = loop
        self._buffer = bytearray()
        self.complete = False
        self._size = 0  # received so far
        #: raised by a read past what was received (the client left)
        self._error: Exception | None = None
        self._file: t.IO[bytes] | None = None
        self._pos = self._spooled = 0
        self._lock: asyncio.Lock | None = None

    def must_await(self) -> bool:
        """Whether more body is to come and this is the loop's thread."""
        return not self.complete and self.on_loop()

    def on_loop(self) -> bool:
        """Whether this is the loop's thread (where the body is awaited)."""
        return asyncio._get_running_loop() is self._loop

    async def _next(self) -> bytes:
        """The next chunk received (b"" once all came). Readers in several
        tasks (or threads) receive one at a time: two receive() calls at once
        would wait, one of them for ever, for the message the other took."""
        if self.complete:
            return b""
        lock = self._lock
        if lock is None:
            lock = self._lock = asyncio.Lock()
        async with lock:
            if self.complete:  # (received by the reader before)
                return b""
            return self._took(await self._receive())

    def _took(self, message: Message) -> bytes:
        """The chunk of a message received from the server."""
        if message["type"] == "http.disconnect":
            self.complete = True
            self._error = ClientDisconnected()
            raise ClientDisconnected()
        if message is _TOO_LARGE:  # (the rest dropped by the watcher)
            self.complete = True
            self._error = RequestEntityTooLarge()
            raise RequestEntityTooLarge()
        if not message.get("more_body"):
            self.complete = True
        chunk: bytes = message.get("body", b"")
        self._size += len(chunk)
        return chunk

    async def fill(
        self, limit: int | None, spool: bool = False, stop: int | None = None
    ) -> None:
        """Receive the rest of the body; 413 once it is longer than ``limit``;
        beyond ``stop`` bytes, just stop (the rest is received when read).
        With ``spool``, all but ``_SPOOL`` bytes go to a temporary file."""
        while not self.complete:
            if limit is not None and self._size > limit:
                raise RequestEntityTooLarge()
            if stop is not None and self._size > stop:
                return
            self._buffer += await self._next()
            if spool and len(self._buffer) > _SPOOL:
                self._spill()
        if limit is not None and self._size > limit:
            raise RequestEntityTooLarge()

    def _spill(self) -> None:
        """Move the buffer to the end of the temporary file."""
        if self._file is None:
            self._file = tempfile.TemporaryFile()
        file = self._file
        file.seek(0, 2)
        file.write(self._buffer)
        self._spooled += len(self._buffer)
        self._buffer.clear()

    def _from_file(self, read: t.Callable[[int], bytes], size: int) -> bytes:
        """Read with the temporary file's ``read`` or ``readline``; once all
        is read, the file is closed."""
        file = t.cast("t.IO[bytes]", self._file)
        file.seek(self._pos)
        data = read(self._spooled if size < 0 else min(size, self._spooled))
        self._pos += len(data)
        self._spooled -= len(data)
        if not self._spooled:
            file.close()
            self._file = None
            self._pos = 0
        return data

    async def chunks(
        self, limit: int | None, size: int = 65536
    ) -> t.AsyncIterator[bytes]:
        """The body's chunks as they arrive (what was received ahead in
        ``size`` pieces); 413 once it passes ``limit``."""
        if limit is not None and self._size > limit:
            raise RequestEntityTooLarge()
        while data := self._take(size):
            yield data
        while not self.complete:
            chunk = await self._next()
            if limit is not None and self._size > limit:
                raise RequestEntityTooLarge()
            if chunk:
                yield chunk

    def _more(self) -> None:
        """Receive the next message into the buffer, from a thread."""
        if asyncio._get_running_loop() is self._loop:
            raise RuntimeError(_AWAIT_BODY)
        future = asyncio.run_coroutine_threadsafe(self._next(), self._loop)
        self._buffer += future.result()

    def _take(self, size: int) -> bytes:
        data = b""
        if self._spooled:
            data = self._from_file(t.cast("t.IO[bytes]", self._file).read, size)
            if size >= 0:
                size -= len(data)
                if not size:
                    return data
        buffer = self._buffer
        if size < 0 or size >= len(buffer):
            data += buffer
            buffer.clear()
        else:
            data += buffer[:size]
            del buffer[:size]
        if not data and size and self._error is not None:
            raise self._error  # (nothing left: the client left)
        return data

    def _stored(self) -> int:
        return self._spooled + len(self._buffer)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        while not self.complete and (size < 0 or self._stored() < size):
            self._more()
        return self._take(size)

    def readinto(self, b: t.Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        head = b""
        if self._spooled:
            head = self._from_file(t.cast("t.IO[bytes]", self._file).readline, size)
            if head.endswith(b"\n") or len(head) == size:
                return head
            if size >= 0:
                size -= len(head)
        while (
            not self.complete
            and b"\n" not in self._buffer
            and (size < 0 or len(self._buffer) < size)
        ):
            self._more()
        end = self._buffer.find(b"\n") + 1 or len(self._buffer)
        if head and not self._buffer:
            return head
        return head + self._take(end if size < 0 else min(end, size))

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(self)

    def __iter__(self) -> t.Iterator[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        """Close the temporary file of a body not read to its end (the
        driver does once the response is sent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self._pos = self._spooled = 0


def _request(
    cls: type[Request],
    path: str,
    scope: Scope,
    receive: Receive | None,
    loop: asyncio.AbstractEventLoop,
    extra: dict[str, t.Any] | None,
    method: str,
) -> Request:
    """A request of ``cls`` read from the scope as ``cls(environ)`` reads the
    environ of :func:`_environ` (``path`` is :func:`_request_path`'s, ``method``
    the scope's in upper case); that environ is made only if someone asks for
    ``request.environ`` (:func:`scope_environ`)."""
    # PERF: no environ (~20 entries, -0.6 µs), no __init__; what routing
    # needs is set, the rest is read from the scope when first used; as
    # attributes, without making the request's __dict__, which Python 3.11
    # then reads and writes on its slow path (~2,800 instructions a request)
    request = _new(cls)
    request.method = method
    if not path:  # an empty path under the mount point: see _request_path
        request._empty_path_info = True
        path = "/"
    request.path = path
    request._asgi = (scope, receive, loop, extra)  # type: ignore[attr-defined]
    request.routing_exception = None  # (read: no class attribute lookup)
    return request


class _ScopeContext(_DriverContext):
    """The context of the usual HTTP request under ASGI: its Request is made
    when something first reads ``ctx.request`` (a hook, the view, the
    session), as wsgi_app's lazy one. The driver sets ``app``, ``_session``,
    ``_after_request_functions``, ``_scope_args`` (the path and _request()'s
    arguments) and ``_match``."""

    _environ = None  # (ctx.pop() asks a context whose Request is not made)

    def _make_request(self) -> Request:
        return _request(self.app.request_class, *self._scope_args)  # type: ignore[attr-defined]

    def _cookie_header(self) -> str | None:
        # read from the scope while no Request is made (see _LazyRequestContext)
        if "request" in self.__dict__:
            return super()._cookie_header()
        cookies: str | None = _header_environ(self._scope_args[1]).get("HTTP_COOKIE")  # type: ignore[attr-defined]
        return cookies


def _request_path(scope: Scope, empty: str = "/") -> str:
    """The request's path for the scope: the mount point cut off,
    undecodable bytes replaced, one leading "/" (the HTTP driver tells
    the usual path, which needs none of it, itself). ``empty`` if nothing
    is left: for HTTP "", which the router redirects to the mount point's
    "/" (with the query string) as it does an empty ``PATH_INFO``."""
    path = scope["path"]
    root = scope.get("root_path")
    if root:
        path = _under_root(path, root)
    if not path:
        return empty
    path = _text(path)
    if not path.startswith("/") or path.startswith("//"):
        path = "/" + path.lstrip("/")
    return path


def _under_root(path: str, root: str) -> str:
    """``path`` with the mount point ``root`` cut off if it is under it: the
    root itself or below ``root + "/"`` (``/apple`` is not under ``/app``). A
    path elsewhere is served as it is, as Starlette does: servers and proxies
    that strip the mount point themselves give it so (uvicorn before 0.26
    with ``--root-path``), and ``url_for`` still builds URLs under the root."""
    root = root.rstrip("/")
    if path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :]
    return path


def scope_environ(request: Request) -> dict[str, t.Any]:
    """The environ of a request built from a scope, made on first use: the
    one a WSGI server would have made (:func:`_environ`)."""
    state = request.__dict__
    scope, receive, loop, extra = state["_asgi"]
    body = None if receive is None else _Body(receive, loop)  # None: a WebSocket
    environ = _environ(scope, body, _header_env(request))
    if extra:
        environ.update(extra)
    environ["werkzeug.request"] = request
    # a new tuple tells the HTTP driver that an environ was made: it frees it
    state["_asgi"] = (scope, receive, loop, extra)
    return environ


def _header_env(request: Request) -> dict[str, t.Any]:
    """The environ's header entries of a request built from a scope, made on
    first use (``request.headers`` reads them, the environ holds them)."""
    state = request.__dict__
    headers = state.get("_header_environ")
    if headers is None:
        headers = state["_header_environ"] = _header_environ(state["_asgi"][0])
    return headers


def _scope(request: Request) -> Scope:
    return request.__dict__["_asgi"][0]  # type: ignore[no-any-return]


def _scope_server(request: Request) -> tuple[str, int | None] | None:
    server = _scope(request).get("server") or ("localhost", 80)
    if not server[0]:
        return None
    port = str(server[1] or 80)  # granian gives it as a str
    return server[0], int(port) if port.isdigit() else None


def _scope_root_path(request: Request) -> str:
    return _mount_point(_text(_scope(request).get("root_path", "")))


def _scope_remote_addr(request: Request) -> str | None:
    client = _scope(request).get("client")
    return client[0] if client else None


# What a request built from a scope reads from it, as another one reads it
# from its environ.
_FROM_SCOPE.update(
    {
        "scheme": lambda request: _scope(request).get("scheme", "http"),
        "server": _scope_server,
        "root_path": _scope_root_path,
        "query_string": lambda request: _scope(request).get("query_string", b""),
        "args": lambda request: _parse_pairs(
            request._query, request.parameter_storage_class
        ),
        "headers": lambda request: EnvironHeaders(_header_env(request)),
        "remote_addr": _scope_remote_addr,
        "_host_header": lambda request: _header_env(request).get("HTTP_HOST", ""),
    }
)


def _environ(
    scope: Scope, body: t.Any, headers: dict[str, t.Any] | None = None
) -> dict[str, t.Any]:
    """A WSGI environ for the scope, as a WSGI server would make it:
    ``headers`` (:func:`_header_environ`), completed in place."""
    root = scope.get("root_path", "")
    path = scope["path"]
    if root:
        root = root.rstrip("/")
        path = _under_root(path, root)
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, t.Any] = _header_environ(scope) if headers is None else headers
    environ.update(
        {
            "REQUEST_METHOD": scope.get("method", "GET"),
            # PERF: an ASCII path (nearly all) needs no call (-0.1 µs)
            "SCRIPT_NAME": root if root.isascii() else _latin1(root),
            "PATH_INFO": path if path.isascii() else _latin1(path),
            "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
            "SERVER_NAME": server[0],
            "SERVER_PORT": str(server[1] or 80),
            "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.input": body,
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "asgi.scope": scope,
            "kolba.asgi.body": body,
        }
    )
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    if body is None:
        return environ
    whole = scope.get(_WHOLE_BODY)
    if whole is not None:  # received before this environ (see _receive_first)
        body._buffer += whole
        body._size = len(whole)
        body.complete = True
    elif "HTTP_TRANSFER_ENCODING" not in environ:
        length = environ.get("CONTENT_LENGTH")
        if length == "0" or (not length and scope.get("http_version", "1.1") in _HTTP1):
            # No body: an HTTP/1 request without Content-Length or
            # Transfer-Encoding has none (HTTP/2 and 3 may send one without).
            body.complete = True
    return environ


_HTTP1 = frozenset({"1.0", "1.1"})
#: The scope's key of its request's whole body, when the driver received it
#: in one message before any environ was made (see _receive_first).
_WHOLE_BODY = "kolba.asgi.whole_body"
#: The header names that the HTTP driver looks at itself.
_WATCHED = frozenset({b"cookie", b"content-length", b"transfer-encoding"})
_WATCHED_SIZES = frozenset(len(name) for name in _WATCHED)


def _header_environ(scope: Scope) -> dict[str, t.Any]:
    """The scope's headers as the environ's entries (``HTTP_HOST``...)."""
    environ: dict[str, t.Any] = {}
    repeated: dict[str, list[str]] | None = None
    keys = _HEADER_KEYS
    for raw_name, raw_value in scope.get("headers", ()):
        # PERF: a header name's environ key is looked up, not rebuilt
        # (-0.3 µs a header)
        key = keys.get(raw_name)
        if key is None:
            key = _header_key(raw_name)
        if not key:  # a name with "_", as WSGI servers drop: it could pass for "-"
            continue
        value = raw_value.decode("latin-1")
        if key in environ:
            # a repeated header: its values joined once at the end (joining
            # each repeat to the ones before copied them all again: quadratic)
            if repeated is None:
                repeated = {}
            if key in repeated:
                repeated[key].append(value)
            else:
                repeated[key] = [environ[key], value]
            continue
        environ[key] = value
    if repeated is not None:
        for key, values in repeated.items():
            environ[key] = ("; " if key == "HTTP_COOKIE" else ",").join(values)
    return environ


_HEADER_KEYS: dict[bytes, str] = {}


def _header_key(raw_name: bytes) -> str:
    """The environ key of a header name ("" to drop it), remembered for the
    first 1000 names of at most 64 bytes (any longer, a client could pin
    its names' size: 1000 names of 1 MB, 2 GB)."""
    name = raw_name.decode("latin-1")
    key = ""
    if "_" not in name:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
    if len(_HEADER_KEYS) < 1000 and len(raw_name) <= 64:
        _HEADER_KEYS[raw_name] = key
    return key


def _latin1(text: str) -> str:
    """A non-ASCII ASGI path as a WSGI environ string (its UTF-8 bytes as latin-1)."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def _text(path: str) -> str:
    """An ASGI path as the request reads it from the environ (``_latin1``):
    bytes that are not UTF-8 replaced."""
    if path.isascii():
        return path
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# HTTP ------------------------------------------------------------------------

# The error-handling steps that _full_dispatch() awaits itself: a class that
# overrides one of them (or a fused step) runs its async views in a thread.
_AWAITED_METHODS = frozenset({"handle_user_exception", "handle_http_exception"})


# PERF: the function, not read from the module each request (an async hello
# in process: 25,045 -> 25,008 instructions)
_running_loop = asyncio.get_running_loop


def _on_loop_ok(app: Flask) -> bool:
    return app._fused and not app._overrides & _AWAITED_METHODS


#: How a view is served (decided once per app and view, see _decide_on_loop):
#: in a thread, on the loop, or on the loop by an app whose requests have no
#: hooks around the view (_usual_app).
_IN_THREAD, _ON_LOOP, _USUAL = 0, 1, 2


def _usual_app(app: Flask) -> bool:
    """Whether the app's requests have no hooks around the view: no session
    opened as the context is pushed, no url_value_preprocessor, before_request
    or after_request function (one added while a request runs is told by its
    context, see Flask._hooks_changed). Decided with the views, again whenever
    the app decides what requests need (_start_serving)."""
    return (
        not app._eager_session
        and not any(
            funcs
            for registry in (
                app.url_value_preprocessors,
                app.before_request_funcs,
                app.after_request_funcs,
            )
            for funcs in registry.values()
        )
    )


def _decide_on_loop(app: Flask, view: t.Any) -> int:
    """How ``view`` is served (_IN_THREAD, _ON_LOOP or _USUAL), decided once
    per app and view (the app forgets it as it decides again)."""
    decided = app.__dict__.setdefault("_kolba_asgi_views", {})
    kind = _IN_THREAD
    if _on_loop_ok(app) and (view is None or inspect.iscoroutinefunction(view)):
        kind = _USUAL if _usual_app(app) else _ON_LOOP
    decided[view] = kind
    return kind


async def handle(app: Flask, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one ASGI connection of any type: HTTP here, the others awaited."""
    # PERF: the HTTP cycle runs in the entry's own coroutine, no function
    # before it (with no server-loop variable set: 44.5k -> 41.4k instructions
    # a request in process, 138.7k -> 135.7k behind uvicorn)
    if scope["type"] != "http":
        await _other(app, scope, receive, send)
        return
    loop = _running_loop()
    # the test client's environ entries (PERF: a test, not a get() call: behind
    # uvicorn, with _running_loop: hello 121,516 -> 121,495 instructions,
    # /user/42 128,571 -> 128,557)
    extra = scope["kolba.environ"] if "kolba.environ" in scope else None
    # PERF: what the cycle needs to know of the headers (a cookie? a body?)
    # is read from the scope's list (names lowercased here: servers do, but
    # the ASGI spec does not require it; +0.025 µs a header); their environ
    # entries are made only for a request that reads them (-0.3 µs with one
    # header, -1 µs with a browser's ten)
    # PERF: items, not get() calls; a scope without them takes the except
    # (behind uvicorn, hello 122,231 -> 121,856 instructions, /user/42
    # 132,170 -> 131,917)
    try:
        raw = scope["headers"]
        sent_method = method = scope["method"]
        root = scope["root_path"]
        version = scope["http_version"]
    except KeyError:
        raw = scope.get("headers", ())
        sent_method = method = scope.get("method", "GET")
        root = scope.get("root_path")
        version = scope.get("http_version", "1.1")
    if type(raw) is not list:
        raw = scope["headers"] = list(raw)
    cookie = chunked = False
    length = None
    for name, value in raw:
        # PERF: a name of another length than the watched ones' is neither
        # lowered nor looked up (~180 instructions a header)
        if len(name) not in _WATCHED_SIZES:
            continue
        name = name.lower()
        # PERF: one lookup for a header that the cycle does not look at, not
        # three comparisons (~140 instructions a header)
        if name in _WATCHED:
            if name == b"cookie":
                cookie = True
            elif name == b"content-length":
                length = value
            else:
                chunked = True
    if chunked:  # (a length beside a Transfer-Encoding is not the body's, as
        length = None  # werkzeug reads it: hypercorn hands both on)
    # The method in upper case, as a WSGI request reads it ("get" is GET);
    # whether the response has a body is the scope's own method's.
    # PERF: read once, above, not again by _request(); "GET" told by one
    # comparison, the other usual spellings by the set, none copied by
    # upper() (whose new str the match hashes again): behind uvicorn, hello
    # 123,529 -> 123,555 instructions with the case handled, /user/42
    # 133,707 -> 133,443
    if method == "GET":
        # PERF: the constant, whose hash is kept: the match hashes the
        # server's new str ("GET" is told first: hello 121,604 -> 121,453
        # instructions, /user/42 131,567 -> 131,442)
        method = "GET"
    elif method not in _PLAIN_METHODS:
        method = method.upper()
    path = scope["path"]
    url_map = app.url_map
    match: t.Any = None
    made: RequestContext | None = None
    asgi: t.Any = None
    failed: Exception | None = None
    rule: Rule | None
    # PERF: the usual request (a usual path under no mount point, the usual
    # context and Request class, no host to match) told by one test, and
    # matched here; any other is set up by _setup(), whose locals the usual
    # one does not carry (callgrind behind uvicorn: hello 121,039 -> 120,663
    # instructions, /user/42 128,941 -> 128,805; in process 27,014 -> 26,795
    # and 34,292 -> 34,053)
    if (
        # (decided as it starts serving: so set only once it serves; and only
        # while no host setting is to be read, see Flask._plain_hosts, which
        # needs no test of its own. PERF: with host_matching read only when
        # _fast is None, below, and two locals fewer in this frame (the except
        # below that reuses e, the response's body read where sent): behind
        # uvicorn, hello 118,808 -> 118,577 instructions, /user/42 126,211 ->
        # 126,028, paths of one length)
        app._lazy_request is not None
        and not root
        and _cv_get(_NO_CTX)[0] is None
        and not (signals.connected and signals.appcontext_pushed.receivers)
        # PERF: a static rule looked up here, as match() looks it up first,
        # without its frame (as Flask.__call__; in process, hello 27,165 ->
        # 26,617 instructions)
        and (
            # PERF: a static rule's path in the map's _fast is a usual one (it
            # keeps no other), told by no check (behind uvicorn, hello
            # 119,783 -> 119,540 instructions; /user/42 128,208 -> 128,254);
            # nor host_matching, under which _fast is None (see Map._reset)
            (node := None if (fast := url_map._fast) is None else fast.get(path))
            is not None
            or (
                (fast is not None or not url_map.host_matching)
                # the usual path: ASCII, one leading "/" (PERF: told by index,
                # not by slices or startswith(): behind uvicorn, hello 123,624
                # -> 122,679 instructions, /user/42 133,388 -> 132,685)
                and path.isascii()
                and path
                and path[0] == "/"
                and (len(path) == 1 or path[1] != "/")
            )
        )
    ):
        lean = True
        try:
            if node is None:
                match = (
                    url_map.match(path, method)
                    if fast is None
                    else url_map._match_segments(path, method, "", None)
                )
            else:
                rule = node.first.get(method, node.any)
                if rule is not None and rule._plain:
                    match = (rule, dict(rule.defaults) if rule.defaults else {})
                else:
                    match = url_map._match(path, method, "", None)
        except Exception as e:
            # a redirect, 404 or 405 (an HTTPException), which _setup keeps
            # as the request's, not matching again (a regex that fails on a
            # long segment may be dear); or a converter's own error: see
            # _match_error
            failed = e
    if match is None:
        if not app._got_first_request:
            # PERF: told here, not before the usual request, which is matched
            # only once the app serves (-87 instructions a request)
            app._start_serving()
        made, lean, match, asgi, failed, path = _setup(
            app, scope, receive, loop, extra, method, path, failed
        )
    if made is None:  # the usual context, for match
        rule = match[0]
        if not rule._reads_request:
            # PERF: the Request is made from the scope when first read
            # (_ScopeContext): a request that nothing reads, as a view
            # returning a str, costs none (hello 30.8k -> 29.0k instructions,
            # /user/42 40.0k -> 38.0k); a rule whose requests read it makes it
            # at once
            ctx: RequestContext = _ScopeContext()  # (see _DriverContext)
            ctx.app = app
            ctx._session = None
            ctx._after_request_functions = ()  # (read: no class attribute lookup)
            ctx._scope_args = (path, scope, receive, loop, extra, method)  # type: ignore[attr-defined]
            ctx._match = match
        else:
            ctx = _scope_context(app, path, scope, receive, loop, extra, method)
            req = ctx.request
            asgi = req._asgi  # type: ignore[attr-defined]
            req.url_rule, req.view_args = match
    else:
        ctx = made
        req = ctx.request
        rule = req.url_rule if ctx._match_ahead is None else ctx._match_ahead[0]
    if rule is None:
        endpoint = view = None
    else:  # (PERF: the endpoint read once, for the hooks too: -46 instructions)
        endpoint = rule.endpoint
        view = app.view_functions[endpoint]
    # PERF: whether a view runs on the loop is decided once per app and view
    # (-0.5 µs)
    try:
        # PERF: an attribute of the app, not read through app.__dict__ (~450);
        # an item, not a get() call (-195 instructions, /user/42 -247)
        on_loop = app._kolba_asgi_views[view]  # type: ignore[attr-defined]
    except (AttributeError, KeyError):
        on_loop = _decide_on_loop(app, view)
    # PERF: the body told first (most requests have none; -37 instructions)
    if (
        (length and length != b"0")
        or chunked
        # (HTTP/2 and 3 may send a body without a Content-Length)
        # PERF: the version read with the scope's other items, tested by two
        # comparisons, not a get() call and a set (behind uvicorn, hello
        # 122,240 -> 122,068 instructions; 121,594 without the test)
        or (length is None and version != "1.1" and version != "1.0")
    ):
        # (before any environ: no Request made, or one made from the scope
        # that made none, see scope_environ)
        ahead = await _receive_first(
            app,
            ctx,
            scope,
            receive,
            on_loop,
            length,
            ctx._match is not None or (asgi is not None and ctx.request._asgi is asgi),  # type: ignore[attr-defined]
        )
        if _GONE in scope:  # (the client left while its body ended)
            receive = _gone
        elif _WHOLE_BODY not in scope:  # (not all received: maybe never)
            # (a view on the loop's body is the environ's: ahead is None)
            send = _draining_at_end(
                send,
                receive,
                ahead
                if ahead is not None or _refused(app, length)
                else ctx.request.environ["kolba.asgi.body"],
            )
    else:
        ahead = None
    usual = on_loop is _USUAL and made is None and not cookie
    if usual:
        # PERF: the usual request (no hooks, decided with the view: _usual_app;
        # the usual context; no session cookie) pushed, dispatched, popped and
        # sent by lines of its own, with none of the other requests' tests; any
        # other outcome is finished below (in process, hello 25,852 -> 25,187
        # instructions, /user/42 33,912 -> 33,181; behind uvicorn 119,362 -> 118,649
        # and 127,939 -> 127,100; an app with a teardown_appcontext function,
        # which goes on below, 30,357 -> 30,431)
        active = (ctx, ctx)
        token = ctx._lean_token = _cv_set(active)  # (as wsgi's lean push)
        caught: BaseException | None = None
        rv: t.Any
        args: dict[str, t.Any] | None
        try:
            if signals.connected and signals.request_started.receivers:
                signals.request_started.send(app, _async_wrapper=app.ensure_sync)
            if ctx._match is not None:
                args = match[1]  # (no Request made)
            else:  # (made for its rule, or by a receiver)
                req = ctx.request
                if req.routing_exception is not None:
                    app.raise_routing_exception(req)
                method, args = req.method, req.view_args
            if method == "OPTIONS" and rule.provide_automatic_options:  # type: ignore[union-attr]
                rv = app.make_default_options_response()
            elif args:
                decided, name = rule._view_call  # type: ignore[union-attr]
                if decided is not view:
                    name = _decide_view_call(view, rule)  # type: ignore[arg-type]
                if name is not None and (
                    ctx._match is not None or (len(args) == 1 and name in args)
                ):
                    rv = view(args[name])  # type: ignore[misc]
                else:
                    rv = view(**args)  # type: ignore[misc]
            else:
                rv = view()  # type: ignore[misc]
            if type(rv) is CoroutineType or inspect.isawaitable(rv):
                rv = await rv
        except Exception as e:
            text = None
            try:  # (in the except: the handler sees sys.exc_info(), can raise)
                rv = await _handle_user_exception(app, e, ctx.request)
            except BaseException as e:
                caught = e  # (handle_exception's, below)
        except BaseException as e:
            caught = e  # (raised again below)
            text = None
        else:
            if (
                type(rv) is str
                and app._plain_response
                and not ctx._after_request_functions
                and ctx._session is None
                and not (signals.connected and signals.request_finished.receivers)
            ):
                text = rv.encode()
                if extra and "werkzeug.debug.preserve_context" in extra:
                    ctx._hand_over(extra["werkzeug.debug.preserve_context"])
                    extra = None  # (called once)
                if (
                    not app._tears_down
                    and ctx._lean_token is token  # (not pushed again)
                    and _cv_get(_NO_CTX) is active  # (both contexts as pushed)
                    # no Request made, or one that read nothing (see the end)
                    and (
                        ctx._match is not None
                        or (asgi is not None and ctx.request._asgi is asgi)  # type: ignore[attr-defined]
                    )
                    and not (signals.connected and signals.pop_heard())
                ):
                    try:
                        await send(
                            {
                                "type": "http.response.start",
                                "status": 200,
                                "headers": [
                                    _HTML_TYPE,
                                    _LENGTHS.get(len(text))
                                    or _length_header(len(text)),
                                ],
                            }
                        )
                        if sent_method == "HEAD":
                            text = b""
                        await send({"type": "http.response.body", "body": text})
                    finally:
                        ctx._lean_token = None
                        _cv_reset(token)
                    return
            else:
                text = None
    if not on_loop:
        # PERF: in a coroutine of its own, and the rarer steps' locals in
        # helpers (_decide_on_loop, _unreceived): handle's frame, made and
        # cleared for every request, has 47 locals, not 52, and a stack of 10,
        # not 14 (behind uvicorn, hello 119,985 -> 119,772 instructions,
        # /user/42 128,469 -> 128,226)
        await _serve_in_thread(app, ctx, loop, extra, receive, send, sent_method, ahead)
        return
    # The request cycle of an async view, on the server's loop: the app's
    # _full_dispatch() with the user's functions awaited. The context stays
    # pushed while the response streams, and is popped once.
    # PERF: in this coroutine, not in coroutines of their own (-0.6 µs)
    error: BaseException | None = None
    try:
        try:
            if usual:  # pushed and dispatched above
                hooks = None
                if caught is not None:
                    try:
                        raise caught
                    finally:
                        caught = None  # (no cycle through this frame)
            else:
                if lean:
                    active = (ctx, ctx)
                    token = ctx._lean_token = _cv_set(active)  # (as wsgi's lean push)
                    if on_loop is not _USUAL and app._eager_session:
                        # as Flask's push opens it: its error is not the view's
                        await _open_session(app, ctx)
                    if failed is not None:
                        raise failed  # (as ctx.push() raises ctx._match_error)
                else:
                    ctx.push()
                if on_loop is _USUAL:
                    hooks = None
                else:
                    try:  # PERF: an item, not a get() call (-162 instructions)
                        hooks = app._hook_cache[endpoint]
                    except KeyError:  # (not cached yet)
                        hooks = app._hooks(endpoint)
                try:
                    if cookie:
                        await _open_session(app, ctx)
                    if signals.connected and signals.request_started.receivers:
                        signals.request_started.send(
                            app, _async_wrapper=app.ensure_sync
                        )
                    rv = None
                    if hooks is not None:
                        req = ctx.request
                        for func in hooks.preprocessors:
                            await _acall(func, req.endpoint, req.view_args)
                        for func in hooks.before:
                            rv = await _acall(func)
                            if rv is not None:
                                break
                    if rv is None:
                        if match is not None and ctx._match is not None:
                            args = match[1]  # (no Request made)
                        else:
                            req = ctx.request
                            if req.routing_exception is not None:
                                app.raise_routing_exception(req)
                            method, args = req.method, req.view_args
                        # PERF: the method first, a local (with the end's environ
                        # test made only for a made Request: -237 instructions)
                        if method == "OPTIONS" and rule.provide_automatic_options:  # type: ignore[union-attr]
                            rv = app.make_default_options_response()
                        else:
                            # PERF: the view called here, not through _acall (-0.3 µs)
                            if args:
                                # PERF: given its one argument by position, as in
                                # Flask._full_dispatch (behind uvicorn, /user/42
                                # 129,998 -> 129,102 instructions)
                                decided, name = rule._view_call  # type: ignore[union-attr]
                                if decided is not view:
                                    name = _decide_view_call(view, rule)  # type: ignore[arg-type]
                                if name is not None and (
                                    # (the match's own arguments)
                                    ctx._match is not None
                                    or (len(args) == 1 and name in args)  # (a hook's)
                                ):
                                    rv = view(args[name])  # type: ignore[misc]
                                else:
                                    rv = view(**args)  # type: ignore[misc]
                            else:
                                # PERF: no ** for a view without arguments (~600)
                                rv = view()  # type: ignore[misc]
                            if type(rv) is CoroutineType or inspect.isawaitable(rv):
                                rv = await rv
                except Exception as e:
                    rv = await _handle_user_exception(app, e, ctx.request)
                if (
                    type(rv) is str
                    and app._plain_response  # (decided as it starts serving)
                    and not ctx._after_request_functions
                    and (hooks is None or not hooks.after)
                    and ctx._session is None
                    # (PERF: a cookie other than the session's makes no Request
                    # or Response: an async hello with one, in process, 95,961 ->
                    # 42,982 instructions; a session that may block: see below)
                    and (
                        not cookie
                        or (
                            not _session_blocks(app)
                            and not app._refreshes_session(ctx)
                        )
                    )
                    and not (signals.connected and signals.request_finished.receivers)
                ):
                    # PERF: the commonest return, that nothing after the view looks
                    # at, is sent as Response(rv) would be, without the object (-0.6 µs)
                    text = rv.encode()
                else:
                    text = None
            if text is None:
                if type(rv) is str:
                    # PERF: without make_response's type tests (not overridden:
                    # this runs fused) (-0.3 µs)
                    if app._plain_response:
                        response = _text_response(rv)
                    else:
                        response = app.response_class(rv)
                else:
                    response = app.make_response(rv)
                after = hooks.after if hooks else ()
                # PERF: no tuple of after-request functions when there are none
                # (an async view returning a Response, in process: 41,106 ->
                # 40,253 instructions)
                if ctx._after_request_functions or after:
                    if type(ctx._after_request_functions) is _HooksChanged:
                        after = _after_now(ctx)
                    try:
                        for func in (*ctx._after_request_functions, *after):
                            rv = await _acall(func, response)
                            if rv is not response:
                                if not callable(rv):
                                    raise _NotAResponse(func, rv)
                                response = rv
                    except BaseException:
                        _discard(response)
                        raise
                if ctx._session is not None or cookie:
                    if _session_blocks(app) and (
                        ctx._session is not None
                        or app.session_interface.renews_unused_session(app)
                    ):  # the session is saved (or renewed) in the thread pool
                        response = await _in_pool(app._end_dispatch, ctx, response)
                    else:
                        response = app._end_dispatch(ctx, response)
                elif signals.connected and signals.request_finished.receivers:
                    response = app._end_dispatch(ctx, response)
                if not 100 <= response._status_code <= 599:
                    raise _no_status(response._status_code)
                start = _lazy_start(response)
                if start is None or type(response.response) is not list:
                    # (a Request class's own limit may raise: the app's error)
                    unreceived = _unreceived(app, ctx.request)
        except _NotAResponse:
            raise
        except Exception as e:
            error = e
            text = None
            response = app.handle_exception(e)
            start = _lazy_start(response)
            try:
                unreceived = _unreceived(app, ctx.request)
            except Exception:  # (a Request class's own limit: its error is e)
                unreceived = _unreceived(app, ctx.request, limited=False)
        if text is not None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        _HTML_TYPE,
                        _LENGTHS.get(len(text)) or _length_header(len(text)),
                    ],
                }
            )
            if sent_method == "HEAD":
                text = b""
            await send({"type": "http.response.body", "body": text})
            return
        try:
            if (
                start is not None
                and type(response.response) is list
                and sent_method != "HEAD"
            ):
                # PERF: a lazy response sent here, no coroutine (-0.3 µs)
                await send(start)
                await send(
                    {"type": "http.response.body", "body": b"".join(response.response)}
                )
            else:
                if start is not None and type(response.response) is list:  # (HEAD)
                    unreceived = (None, None)  # (no body sent: nothing reads it)
                await _send_response(
                    response,
                    ctx.request,
                    receive,
                    send,
                    sent_method,
                    None,
                    *unreceived,
                )
        finally:
            if type(response) is _lean_response or response._lean_send:
                response.close()
    except _NotAResponse:
        raise  # (teardown gets no error, as under WSGI and in Flask)
    except BaseException as e:
        if error is None:  # (else the error that handle_exception got, as in Flask)
            error = e
        raise
    finally:
        if extra and "werkzeug.debug.preserve_context" in extra:  # the test client's
            ctx._hand_over(extra["werkzeug.debug.preserve_context"])
        # PERF: a request built from the scope that made no environ (its _asgi
        # unchanged, see scope_environ) read no body: no uploads to close and
        # no environ to free, told without its __dict__ (~700 instructions)
        if ctx._match is not None or (
            asgi is not None and ctx.request._asgi is asgi  # type: ignore[attr-defined]
        ):
            state = None  # no Request made, or one that read nothing
        else:
            state = ctx.request.__dict__
        if error is not None and app.should_ignore_error(error):
            error = None
        if (
            lean
            # no teardown, or only functions app._tear_down calls itself
            and (not app._tears_down or app._lean_teardown)
            and ctx._lean_token is token  # (not pushed again)
            and _cv_get(_NO_CTX) is active  # (both contexts as pushed)
            and (state is None or not state.get("files"))  # uploads to close
            # PERF: one test while no receiver ever connected (an async view
            # returning a Response, in process: 40,977 -> 40,253 instructions)
            and not (signals.connected and signals.pop_heard())
        ):
            if app._tears_down:
                # PERF: decided as the app starts serving (behind uvicorn, hello
                # 121,550 -> 121,447 instructions, layout; with a sync
                # teardown_appcontext function 125,943 -> 125,992)
                if app._async_teardown:
                    await _atear_down(app, ctx, token, error)
                else:
                    # PERF: the teardown functions called as ctx.pop() calls
                    # them, without its frames (hello with a teardown_appcontext
                    # function behind uvicorn: 134,956 -> 126,668 instructions)
                    app._tear_down(ctx, token, error, None)
            else:
                ctx._lean_token = None
                _cv_reset(token)
                if state is not None:
                    made = state.get("environ")
                    if made is not None:
                        made["werkzeug.request"] = None
        elif app._async_teardown:
            await _apop(app, ctx, error)
        else:
            ctx.pop(error)
        if "_kolba_background" in ctx.__dict__:  # (added after its turn: see there)
            _ended_request(ctx)


def _scope_context(
    app: Flask,
    path: str,
    scope: Scope,
    receive: Receive,
    loop: asyncio.AbstractEventLoop,
    extra: dict[str, t.Any] | None,
    method: str,
) -> RequestContext:
    """The context of a Request made from the scope, at once."""
    req = _request(app.request_class, path, scope, receive, loop, extra, method)
    # PERF: RequestContext(app, None, req)'s attributes, set without
    # the class call and its __init__ frame (~470 instructions)
    ctx = _new(RequestContext)
    ctx.app = app
    ctx.request = req
    ctx._session = ctx._match = None
    ctx._after_request_functions = ()  # (read: no class attribute lookup)
    return ctx


def _setup(
    app: Flask,
    scope: Scope,
    receive: Receive,
    loop: asyncio.AbstractEventLoop,
    extra: dict[str, t.Any] | None,
    method: str,
    path: str,
    failed: Exception | None,
) -> tuple[RequestContext | None, bool, t.Any, t.Any, Exception | None, str]:
    """For a request that is not the usual one (see handle), or whose match
    failed (``failed``: a converter's own error, or the HTTPException of a
    redirect, 404 or 405): (its context, whether it is pushed lean, the match
    made ahead, the ``_asgi`` of a Request made from the scope, the
    matching's own error, its path). A context of None: the usual one is to
    be made for the match."""
    # The router's answer for this path and method, once known: each request
    # is matched once (PERF: a 404 of the ASGI test client 3 -> 1 calls of
    # Map.match, a slash's redirect 4 -> 1)
    routed: HTTPException | None = None
    if isinstance(failed, HTTPException):
        routed, failed = failed, None
    lean = (
        app._lean_ctx
        and _cv_get(_NO_CTX)[0] is None
        and not (signals.connected and signals.appcontext_pushed.receivers)
    )
    url_map = app.url_map
    plain_match = (
        lean
        and app.config["TRUSTED_HOSTS"] is None
        and not url_map.host_matching
        and not app.subdomain_matching
    )
    if (
        scope.get("root_path")
        or not path.isascii()
        or not path
        or path[0] != "/"
        or (len(path) > 1 and path[1] == "/")
    ):
        path = _request_path(scope, "")
    match = asgi = None
    # (not for a session opened at push (_lazy_request is None), which sees
    # no match)
    lazy = plain_match and app._lazy_request
    # (the match of a Request made from the scope, which has this path and
    # method, is made here too: in process, an app whose session opens at
    # push, hello 56,331 -> 55,620 instructions, /user/42 64,077 -> 63,468)
    if (
        failed is None
        and routed is None
        and (lazy or (plain_match and app._scope_request))
    ):
        try:
            match = url_map.match(path, method)
        except HTTPException as e:  # (a redirect, 404 or 405: kept, below)
            routed = e
        except Exception as e:  # a converter's own error: see _match_error
            failed = e
    if lazy and match is not None:
        return None, lean, match, None, None, path
    if app._scope_request:
        ctx = _scope_context(app, path, scope, receive, loop, extra, method)
        req = ctx.request
        asgi = req._asgi  # type: ignore[attr-defined]
    else:  # a request class or context that may read the environ: made now
        _cv_server_loop.set(loop)  # (_server_loop() finds no scope to ask)
        environ = _environ(scope, _Body(receive, loop))
        if extra:
            environ.update(extra)
        if app._own_ctx:
            ctx = RequestContext(app, environ)
        else:
            ctx = app.request_context(environ)
        req = ctx.request
    try:
        if match is not None:  # (a rule whose requests read the Request)
            req.url_rule, req.view_args = match
        elif failed is not None:
            pass
        elif plain_match:
            # PERF: match_request()'s usual case, as in wsgi_app (-0.3 µs);
            # the answer of the match above (or handle's) is the same: the
            # same path (this Request's, made from the scope) and method
            if routed is None:
                try:
                    req.url_rule, req.view_args = url_map.match(
                        "" if req._empty_path_info else req.path, req.method
                    )
                except HTTPException as e:
                    routed = e
            if routed is None:
                pass
            elif isinstance(routed, RequestRedirect):
                # its full URL made as match_request() makes it (wsgi_app's)
                app._routing_redirect(req, routed)
            else:  # a 404 or 405
                req.routing_exception = routed
        elif "create_url_adapter" in app._overrides:
            ctx._match_with_url_adapter()
        else:
            app.match_request(req)
    except Exception as e:
        failed = e
    if failed is not None:
        # Matching raised an error of its own (a converter's), not a
        # routing one: the push raises it, in the cycle, as Flask's does.
        ctx._match_error = failed
    if not lazy and app._eager_session:
        # Flask's push opens the session before matching: the match is put
        # on the Request once the session is open (RequestContext._match_ahead)
        ctx._match_ahead = (req.url_rule, req.view_args, req.routing_exception)
        req.url_rule = req.view_args = req.routing_exception = None
    return ctx, lean, None, asgi, failed, path


async def _serve_in_thread(
    app: Flask,
    ctx: RequestContext,
    loop: asyncio.AbstractEventLoop,
    extra: dict[str, t.Any] | None,
    receive: Receive,
    send: Send,
    sent_method: str,
    ahead: _Body | None,
) -> None:
    """The request cycle of a sync view, in a thread of kolba's pool, and
    its response sent."""
    req = ctx.request
    _cv_server_loop.set(loop)  # the thread's copy, and its stream's, see it
    context = contextvars.copy_context()
    response, limit, failed = await loop.run_in_executor(
        _work_pool(loop), context.run, _in_thread, app, ctx, extra, ahead
    )
    try:
        sending = _send_response(
            response,
            req,
            receive,
            send,
            sent_method,
            context,
            ahead,  # (the thread may receive the rest)
            limit,
        )
        body = response.response
        if type(body) is AsyncBody:
            # an async generator of the sync view runs in the view's context
            # (its request, g...), as under WSGI: in a task made in it
            await body._context.run(loop.create_task, sending)
        else:
            await sending
    finally:
        # (a class that overrides werkzeug's send is closed by it)
        if type(response) is _lean_response or response._lean_send:
            context.run(response.close)  # a stream_with_context ends in its context
        if ahead is not None:
            ahead.close()
        if "_kolba_background" in ctx.__dict__:  # (added after its turn: see there)
            _ended_request(ctx)
    if failed is not None:
        raise failed


async def _receive_ahead(
    app: Flask,
    environ: dict[str, t.Any],
    on_loop: bool,
    length: bytes | None,
    first: Message | None = None,
) -> _Body | None:
    """Receive, before the view runs, what it may read of the body without
    await: all of it, up to ``MAX_CONTENT_LENGTH`` (for an urlencoded body
    ``MAX_FORM_MEMORY_SIZE``) and, for a view on the loop, up to
    _AHEAD_ON_LOOP (it awaits the rest); for a sync view so that no thread of
    the pool waits for a slow client (as nginx buffers bodies for a WSGI
    server). A body announced as longer than the limit is
    not received (its read is a 413). A Content-Length that is no number
    (not ASCII digits: "\xb2" passes str.isdigit(), not int(); or more
    digits than int() takes) is read as werkzeug reads it, as none. The body
    received for a sync view is returned: the driver closes it once the
    response is sent. ``first``: the body's first message, already received."""
    if first is None and _refused(app, length):
        return None
    body: _Body = environ["kolba.asgi.body"]
    try:
        # PERF: the first message, which usually holds all of the body,
        # received here, no fill() coroutine (a POST to a sync view that does
        # not read it: 234,042 -> 230,575 instructions in process; 220,888 when
        # it was not received)
        body._buffer += await body._next() if first is None else body._took(first)
        if not body.complete and (not on_loop or _small(body._size, length)):
            # Past MAX_CONTENT_LENGTH (or, for a sync view, MAX_FORM_MEMORY_SIZE
            # for a form) it stops: the read of more is a 413, unless the view
            # raised its request's limit (then it is received as read).
            # With no limit set, at most _AHEAD bytes are received ahead for a
            # sync view (to the temporary file: a body the view never reads
            # fills no disk); for a view on the loop, a body of a known
            # length up to _AHEAD_ON_LOOP (a chunked or larger one is read as
            # it arrives: iter_body(), a duplex stream).
            await body.fill(None, not on_loop, _stop_ahead(app, environ, on_loop))
    except ClientDisconnected:
        # told by the view's read (a 400); a stream's watcher gets the
        # disconnect again (a server may send it only once)
        environ["asgi.scope"][_GONE] = True
    if on_loop:
        if not body.complete and _came_whole(body._size, length):
            body.complete = True
            await _receive_end(body._receive, environ["asgi.scope"])
        return None
    return body


def _small(size: int, length: bytes | None) -> bool:
    """Whether a body of Content-Length ``length``, ``size`` bytes of which
    came, is still to come, all of it within _AHEAD_ON_LOOP."""
    announced = _announced(length)
    return announced is not None and size < announced <= _AHEAD_ON_LOOP


def _stop_ahead(app: Flask, environ: dict[str, t.Any], on_loop: bool) -> int:
    """How much of a body _receive_ahead receives before the view runs."""
    config = app.config
    limit = config["MAX_CONTENT_LENGTH"]
    stop: int = _AHEAD if limit is None else limit
    if on_loop:
        # all of it, a form's too: an async view may read it as data without
        # await (the form's own read is a 413 past MAX_FORM_MEMORY_SIZE)
        return min(stop, _AHEAD_ON_LOOP)
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.partition(";")[0].strip().lower() == _URLENCODED:
        form_limit = config["MAX_FORM_MEMORY_SIZE"]
        if form_limit is not None and form_limit < stop:
            stop = form_limit
    return stop


async def _receive_first(
    app: Flask,
    ctx: RequestContext,
    scope: Scope,
    receive: Receive,
    on_loop: bool,
    length: bytes | None,
    fresh: bool,
) -> _Body | None:
    """_receive_ahead() for a request that may have a body, whose first
    message is received before its environ is made (``fresh``: none made
    yet, else as _receive_ahead): a body that came whole in it (a small
    POST's, an HTTP/2 GET's empty one) is kept in the scope, for an environ
    made later, and none is made for it (PERF: in process, a
    POST of a=1 to an async view that ignores it 91,084 -> 35,596
    instructions, to a sync view 2,165 -> 1,707 Python opcodes (callgrind,
    threads: ~233.3k -> ~231.9k); an HTTP/2 GET to an async view 83,674 ->
    32,014, HTTP/1.1 26,739). Another is received into the environ's input,
    as _receive_ahead() says."""
    if not fresh:  # (as a Request class that makes its environ at once)
        return await _receive_ahead(app, ctx.request.environ, on_loop, length)
    if _refused(app, length):
        return None
    message = await receive()
    if message["type"] == "http.request":
        chunk = message.get("body", b"")
        more = message.get("more_body")
        if not more or _came_whole(len(chunk), length):
            scope[_WHOLE_BODY] = chunk
            if more:
                await _receive_end(receive, scope)
            return None
    return await _receive_ahead(app, ctx.request.environ, on_loop, length, message)


def _draining_at_end(send: Send, receive: Receive, body: _Body | None) -> Send:
    """``send`` for a request whose body may not all be received when the
    response ends (refused past MAX_CONTENT_LENGTH, or left unread): its last
    message is sent while the rest of the body is received and dropped.
    hypercorn sends that message only once its queue to the app has room:
    full of an unread body, it never had, and the connection stayed open."""

    async def send_draining(message: Message) -> None:
        if (
            message["type"] != "http.response.body"
            or message.get("more_body")
            or (body is not None and body.complete)
        ):
            await send(message)
            return
        drain = asyncio.ensure_future(_drop_rest(receive))
        try:
            await send(message)
        finally:
            drain.cancel()

    return send_draining


async def _drop_rest(receive: Receive) -> None:
    """Receive the rest of a request's body, dropped, until its end or the
    client's leaving."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


def _came_whole(size: int, length: bytes | None) -> bool:
    """Whether ``size`` bytes are all of a body's Content-Length ``length``:
    HTTP/2 servers (granian, hypercorn) end such a body with empty messages
    of their own (see _receive_end)."""
    announced = _announced(length)
    return announced is not None and size >= announced


def _announced(length: bytes | None) -> int | None:
    """The number a Content-Length header says; None for none, or for one
    that is no number (not ASCII digits, or more than 18 of them)."""
    if length is not None and length.isdigit() and len(length) <= 18:
        return int(length)
    return None


#: Put in the scope by _receive_end when the client left: the disconnect it
#: received is given again to whoever receives next (a stream's watcher).
_GONE = "kolba.asgi.gone"


async def _gone() -> Message:
    return {"type": "http.disconnect"}


async def _receive_end(receive: Receive, scope: Scope) -> None:
    """Receive the empty messages that end a body all of whose Content-Length
    came, before the view runs: then it reads the body without await, and
    the server sees its stream read to the end (hypercorn's HTTP/2 dropped
    the connection, with every request on it, when the app ended first).
    A message with more body than announced ends the wait (the rest is not
    read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            scope[_GONE] = True
            return
        if not message.get("more_body") or message.get("body"):
            return


def _refused(app: Flask, length: bytes | None) -> bool:
    """Whether a body is announced as longer than MAX_CONTENT_LENGTH: it is
    not received (its read is a 413)."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    return (
        limit is not None
        and length is not None
        and length.isdigit()  # (bytes: ASCII digits only)
        and (len(length) > 18 or int(length) > limit)
    )


async def _atear_down(
    app: Flask,
    ctx: RequestContext,
    token: t.Any,
    error: BaseException | None,
    pool: bool = False,
) -> None:
    """``app._tear_down(ctx, token, error, None)`` for an app with ``async
    def`` teardown functions: the same calls in the same order and contexts,
    each coroutine awaited here, on the server's loop, which serves other
    requests meanwhile (``_run_coroutine`` would block it on a thread of its
    own), and the tearing-down signals sent as ctx.pop() sends them. Its
    lines repeat ``_tear_down``'s, whose WSGI callers cannot await. With
    ``pool`` (a WebSocket's), a sync function runs in kolba's thread pool."""
    ctx._lean_token = None
    try:
        try:
            if app._tears_down_requests:
                match = ctx._match
                hooks = app._hooks(
                    ctx.request.endpoint if match is None else match[0].endpoint
                )
                if hooks is not None:
                    for func in hooks.teardown:
                        if pool and not _is_async(func):
                            rv = await _in_pool(func, error)
                        else:
                            rv = func(error)
                        if type(rv) is CoroutineType or inspect.isawaitable(rv):
                            await rv
            if signals.connected and signals.request_tearing_down.receivers:
                signals.request_tearing_down.send(
                    app, _async_wrapper=app.ensure_sync, exc=error
                )
            # uploads (one a teardown function had the Request parse too)
            if ctx._match is None and ctx.request.__dict__.get("files"):
                ctx.request.close()
        finally:
            if ctx._match is None:
                environ = ctx.request.__dict__.get("environ")
                if environ is not None:
                    environ["werkzeug.request"] = None
            funcs: list[t.Callable[..., t.Any]] = app.teardown_appcontext_funcs
            tearing = signals.connected and signals.appcontext_tearing_down.receivers
            if funcs or tearing:
                _cv_set((ctx, None))  # (reset with the request's token)
                for func in reversed(funcs):
                    if pool and not _is_async(func):
                        rv = await _in_pool(func, error)
                    else:
                        rv = func(error)
                    if type(rv) is CoroutineType or inspect.isawaitable(rv):
                        await rv
                if tearing:
                    signals.appcontext_tearing_down.send(
                        app, _async_wrapper=app.ensure_sync, exc=error
                    )
    finally:
        _cv_reset(token)
    if signals.connected and signals.appcontext_popped.receivers:
        signals.appcontext_popped.send(app, _async_wrapper=app.ensure_sync)


async def _apop(
    app: Flask, ctx: RequestContext, error: BaseException | None, pool: bool = False
) -> None:
    """``ctx.pop(error)`` on the loop for an app with ``async def`` teardown
    functions: awaited (see _atear_down) for a context pushed once as its own
    app context, while nothing else takes part in its teardown (an override,
    ``ensure_sync``); else ctx.pop() runs each on a thread. With ``pool``,
    sync ones run in the thread pool (see _atear_down)."""
    token = ctx._sole_push() if app._lean_teardown else None
    if token is not None:
        await _atear_down(app, ctx, token, error, pool)
    elif pool:
        # an override (do_teardown_request, ensure_sync...) may block: the
        # whole pop in the thread pool, in a copy of this context, whose
        # variable it cannot reset here: the contexts active before the push
        # are made active again on the loop then
        tokens = ctx._request_tokens
        first = ctx._lean_token or (tokens[0][0] if tokens else None)
        outer = _NO_CTX if first is None else _state_before(first)
        try:
            await _in_pool(ctx.pop, error)
        finally:
            _cv_set(outer)
    else:
        ctx.pop(error)


def _other(app: Flask, scope: Scope, receive: Receive, send: Send) -> t.Awaitable[None]:
    """Serve a WebSocket or lifespan connection."""
    kind = scope["type"]
    if kind == "websocket":
        return _websocket(app, scope, receive, send)
    if kind == "lifespan":
        return _lifespan(app, receive, send)
    raise ValueError(f"kolba does not serve ASGI {kind!r} connections.")


def _in_thread(
    app: Flask, ctx: RequestContext, extra: dict[str, t.Any] | None, body: _Body | None
) -> tuple[Response, int | None, Exception | None]:
    """_cycle_in_thread(), in a thread whose context pops leave the late
    background tasks to the driver, which starts them once the response is
    sent (see _Background)."""
    # PERF: a thread's flag, not one on the context, whose new key cost a
    # sync hello ~12,400 instructions behind uvicorn (339,596 -> 331,181;
    # 330,266 without the flag)
    _driver_ends.on = True
    try:
        return _cycle_in_thread(app, ctx, extra, body)
    finally:
        _driver_ends.on = False


#: ``on`` in the threads whose pops of a request context are followed by the
#: ASGI driver's start of its late background tasks (_ended_request)
_driver_ends = threading.local()


def _end_by_driver() -> None:
    _driver_ends.on = True


def _cycle_in_thread(
    app: Flask, ctx: RequestContext, extra: dict[str, t.Any] | None, body: _Body | None
) -> tuple[Response, int | None, Exception | None]:
    """The request cycle for a sync view, as the WSGI entry runs it; with
    the response, the limit of its ``body`` not all received (_body_limit,
    read while the context is pushed) and the error of a teardown function."""
    error: BaseException | None = None
    try:
        try:
            ctx.push()
            if app._fused:
                response = app._full_dispatch(ctx)
            else:
                response = app.full_dispatch_request()
            if not 100 <= response._status_code <= 599:
                raise _no_status(response._status_code)
            # (a Request class's own limit may raise: the app's error, as in
            # the request)
            limit = _body_limit(app, ctx.request, body)
        except _NotAResponse:
            raise
        except Exception as e:
            error = e
            response = app.handle_exception(e)
            limit = None
        except BaseException as e:
            error = e
            raise
    except BaseException:
        _end(app, ctx, error, extra)
        raise
    try:
        _end(app, ctx, error, extra)
    except Exception as e:
        # a teardown function's: raised once the response is sent, as after
        # an async view (whose response is sent before its teardown)
        return response, limit, e
    return response, limit, None


def _end(
    app: Flask,
    ctx: RequestContext,
    error: BaseException | None,
    extra: dict[str, t.Any] | None,
) -> None:
    if extra and "werkzeug.debug.preserve_context" in extra:  # the test client's
        ctx._hand_over(extra["werkzeug.debug.preserve_context"])
    if error is not None and app.should_ignore_error(error):
        error = None
    ctx.pop(error)


async def _acall(func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
    rv = func(*args, **kwargs)
    # PERF: a coroutine is known by its type before the slower isawaitable
    # (-0.2 µs a call)
    if type(rv) is CoroutineType or inspect.isawaitable(rv):
        return await rv
    return rv


def _is_async(func: t.Callable[..., t.Any]) -> bool:
    """Whether ``func`` is an ``async def`` function or method (another that
    returns an awaitable is awaited once it has run: in a thread, for a
    WebSocket's hook)."""
    # PERF: told by its code's flags, not inspect.iscoroutinefunction() (only
    # for other callables): see _ahook
    code = getattr(func, "__code__", None)
    if type(code) is CodeType:
        return code.co_flags & CO_COROUTINE != 0
    return inspect.iscoroutinefunction(func)


async def _ahook(func: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
    """A WebSocket's hook: an ``async def`` one awaited on the loop; a sync
    one, which may block (a user loaded from a database), in kolba's thread
    pool in a copy of the context, as a ``def`` view's hooks run."""
    # PERF: callgrind, in process, a WebSocket with an async before_websocket,
    # after_websocket and teardown_request function: 230,506 instructions a
    # connection when they were called on the loop unasked, 232,981 with
    # _is_async's code-flags test (inspect.iscoroutinefunction: ~11,000
    # more); its call rather than its lines inline: ~970 more (209,007 ->
    # 209,974 on a later main), one place for the test. One with no hooks
    # pays nothing more.
    if _is_async(func):
        return await func(*args)
    rv = await _in_pool(func, *args)
    if type(rv) is CoroutineType or inspect.isawaitable(rv):
        return await rv
    return rv


def _in_pool(func: t.Callable[..., t.Any], *args: t.Any) -> asyncio.Future[t.Any]:
    """``func(*args)`` in kolba's thread pool (_work_pool), in a copy of this
    context."""
    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(_work_pool(loop), context.run, func, *args)


def _session_blocks(app: Flask) -> bool:
    """Whether opening and saving the app's sessions may block: a store
    (``SESSION_STORE``) or another interface than the cookie one."""
    interface = app.session_interface
    if isinstance(interface, DefaultSessionInterface):
        return app.config["SESSION_STORE"] is not None
    return not isinstance(interface, SecureCookieSessionInterface)


async def _open_session(app: Flask, ctx: RequestContext) -> None:
    """Open, in the thread pool, a session that may block and that the
    request's cookie names, before hooks and view run on the loop: reading it
    there then costs the loop nothing. Without the cookie nothing is opened
    here, and no store is asked; but an interface not kolba's own
    (``app._eager_session``) is opened for every request, as Flask's push does.
    """
    if ctx._session is not None:
        return
    if app._eager_session:
        if _session_blocks(app):
            await _in_pool(ctx._open_at_push)
        else:
            ctx._open_at_push()
    elif _session_blocks(app):
        name = app.session_interface.get_cookie_name(app)
        if f"{name}=" in ctx.request.headers.get("Cookie", ""):
            ctx._opened = await _in_pool(ctx._open_session)


async def _handle_user_exception(
    app: Flask, e: Exception, req: Request, call: t.Callable[..., t.Any] = _acall
) -> t.Any:
    """``app.handle_user_exception(e)`` with its handler called by ``call``:
    on the loop (an async view's), or by _ahook (a WebSocket's: a sync
    handler in the thread pool)."""
    if isinstance(e, HTTPException):
        if isinstance(e, BadRequestKeyError) and (
            app.debug or app.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        if not app.trap_http_exception(e):
            if e.code is None or isinstance(e, RoutingException):
                return e
            handler = app._find_error_handler(e, req.blueprints)
            if handler is None:
                return e
            bad_host = _bad_host_first(e, req)
            if bad_host is not None:
                return await _handle_user_exception(app, bad_host, req, call)
            return await call(handler, e)
    handler = app._find_error_handler(e, req.blueprints)
    if handler is None:
        raise e
    return await call(handler, e)


# PERF: the header pairs of lazy responses, encoded once (-0.2 µs a response)
_CONTENT_TYPES: dict[str, tuple[bytes, bytes]] = {}
_LENGTHS: dict[int, tuple[bytes, bytes]] = {}


def _type_header(content_type: str) -> tuple[bytes, bytes]:
    pair = _CONTENT_TYPES.get(content_type)
    if pair is None:
        pair = (b"content-type", content_type.encode("latin-1"))
        if len(_CONTENT_TYPES) < 100:
            _CONTENT_TYPES[content_type] = pair
    return pair


def _length_header(length: int) -> tuple[bytes, bytes]:
    pair = _LENGTHS.get(length)
    if pair is None:
        pair = (b"content-length", b"%d" % length)
        if len(_LENGTHS) < 1000:
            _LENGTHS[length] = pair
    return pair


# PERF: kolba's Response's own type, read once (~300 instructions a request)
_HTML_TYPE = _type_header("text/html; charset=utf-8")
#: kolba's Response while its sends are its own (see wrappers._lean_response)
_lean_response = wrappers._lean_response


def _lean_changed() -> None:
    global _lean_response
    _lean_response = wrappers._lean_response


_CLASS_CHANGED.append(_lean_changed)


def _lazy_start(response: Response) -> Message | None:
    """The start message of kolba's lazy response (None for another)."""
    if (
        response._headers is not None
        or response._lazy_length is None
        or not (type(response) is _lean_response or response._lean_send)
    ):
        return None
    status = response._status_code
    if status != 200 and (status in _NO_BODY or not 100 <= status <= 599):
        return None  # (_start sends it, or raises _no_status)
    # PERF: kolba's lazy response: its two headers sent at once, no Headers
    # object (-1 µs)
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [
            _type_header(response._lazy_type),
            _length_header(response._lazy_length),
        ],
    }


async def _send_response(
    response: Response,
    request: Request,
    receive: Receive,
    send: Send,
    method: str,
    context: contextvars.Context | None = None,
    request_body: _Body | None = None,
    limit: int | None = None,
) -> None:
    """Send the response (the caller closes it), with no body for ``method``
    (as the client sent it) "HEAD"; a body that is a list goes in one
    message, an async iterable is sent on the loop, any other iterable is
    iterated in a thread (in ``context``). A stream watches for a disconnect;
    while the ``request_body`` (None: none to receive) is not all received,
    the watcher receives its messages for the chunks' reads, up to ``limit``
    (_disconnected)."""
    if not (type(response) is _lean_response or response._lean_send):
        await _send_as_wsgi(
            response, request, receive, send, method, context, request_body, limit
        )
        return
    status = response.status_code
    content = response.response
    start = _lazy_start(response)
    if start is None:
        start = _start_message(status, _headers_to_send(response, request))
    if method == "HEAD" or status in _NO_BODY:
        await send(start)
        await send({"type": "http.response.body"})
    elif isinstance(content, (list, tuple)):
        try:
            body = b"".join(content)
        except TypeError:  # text items, encoded as werkzeug's iter_encoded does
            body = b"".join(response.iter_encoded())
        await send(start)
        await send({"type": "http.response.body", "body": body})
    # A stream's start goes with its first chunk, as a WSGI server sends
    # it: a body that fails before is the server's 500, not a 200 cut off.
    elif getattr(content, "__aiter__", None) is not None:
        # an async body, which werkzeug's annotation of response.response omits
        await _stream(content, receive, send, request_body, limit, start)  # type: ignore[arg-type]
    else:
        pauses = False
        chunks: t.Iterable[t.Any]
        if not response.direct_passthrough:
            chunks = response.iter_encoded()
        elif type(content) is FileWrapper:  # (send_file's, a static file's)
            chunks = _file_reads(content.file, max(content.buffer_size, _FILE_READ))
            pauses = True
        else:
            chunks = content
        # The body's thread closes the response, as it ends (its generator's
        # finally, stream_with_context's teardown, call_on_close functions run
        # there, as in a WSGI server's thread): the caller's close is done.
        close = response.close
        response.close = _closed  # type: ignore[method-assign]
        await _send_in_thread(
            chunks,
            send,
            context or contextvars.copy_context(),
            receive,
            request_body,
            limit,
            start,
            close,
            pauses,
        )


def _closed() -> None:
    """The close of a response that the thread of its body closed."""


async def _send_as_wsgi(
    response: Response,
    request: Request,
    receive: Receive,
    send: Send,
    method: str,
    context: contextvars.Context | None,
    body: _Body | None,
    limit: int | None,
) -> None:
    """werkzeug's general path, for a class that overrides part of it: the
    response called as a WSGI app (in ``context``), its body iterated in a
    thread and closed, as a WSGI server would."""
    context = context or contextvars.copy_context()
    run = context.run
    started: list[t.Any] = []
    written: list[bytes] = []  # (what the app gives write())

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None, /
    ) -> t.Callable[[bytes], object]:
        started[:] = (status, headers)
        return written.append

    try:
        chunks = run(response, request.environ, start_response)
    except BaseException:
        run(response.close)
        raise
    close = getattr(chunks, "close", None)
    try:
        iterator = iter(chunks)
        first = b""
        if not started:  # (a body may start the response as it is iterated)
            loop = asyncio.get_running_loop()
            pool = _stream_pool()
            # mypy infers no type through the overloaded next()
            first = await loop.run_in_executor(pool, run, next, iterator, b"")  # type: ignore[arg-type]
        line, headers = started
        status = int(line.split(None, 1)[0])
        start: Message | None = _start_message(status, headers)
        if method == "HEAD" or status in _NO_BODY:
            await send(start)  # type: ignore[arg-type]
            await send({"type": "http.response.body"})
        else:
            for chunk in (*written, first):
                if type(chunk) is not bytes:
                    chunk = _chunk_bytes(chunk)
                if chunk:
                    if start is not None:
                        await send(start)
                        start = None
                    await send(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
            # (no chunk yet: the start goes with the first, see _send_response;
            # the body's thread closes it)
            closing, close = close, None
            await _send_in_thread(
                iterator, send, context, receive, body, limit, start, closing
            )
    finally:
        if close is not None:
            run(close)


def _headers_to_send(response: Response, request: Request) -> list[tuple[str, str]]:
    """The response's headers as werkzeug sends them to a WSGI server."""
    headers = response._headers
    body = response.response
    status = response._status_code
    if (
        (type(headers) is _Headers or type(headers) is Headers)
        and type(body) is list
        and len(body) == 1
        and type(body[0]) is bytes
        and (status == 200 or status not in _NO_BODY)
        and _ready_to_send(headers)
    ):
        # PERF: built headers (a tuple's, cookies, hooks') that werkzeug
        # would send unchanged go as they are, as Response.__call__ sends
        # them to a WSGI server ("hi", 201, {"X-A": "1"}: 144k -> 115k
        # instructions a request)
        return headers._list
    # werkzeug's get_wsgi_headers reads the environ only to make a Location
    # absolute (no saving measured in passing none: a 204's and a Location
    # response's request have made theirs before, 139,264 -> 139,324).
    if not response.autocorrect_location_header:
        environ: dict[str, t.Any] = {}
    else:
        environ = request.environ
    return response.get_wsgi_headers(environ).to_wsgi_list()


_stream_pools: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, ThreadPoolExecutor
] = weakref.WeakKeyDictionary()
_work_pools: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, ThreadPoolExecutor
] = weakref.WeakKeyDictionary()
#: the work pool last looked up, and its loop (a weak reference)
_last_work_pool: tuple[t.Callable[[], t.Any], ThreadPoolExecutor | None] = (
    lambda: None,
    None,
)

#: the threads that run sync views (with their hooks), WSGI apps (a wrapped
#: wsgi_app) and sessions that may block, per loop: as many as the loop's
#: default pool would have
_WORK_THREADS = min(32, (os.cpu_count() or 1) + 4)


def _work_pool(loop: asyncio.AbstractEventLoop) -> ThreadPoolExecutor:
    """kolba's threads for ``loop`` that run sync views, WSGI apps and
    sessions that may block: not the loop's default executor, which the
    coroutines they hand to the loop use (``asyncio.to_thread``,
    ``run_in_executor(None, ...)``): a thread of it waiting for such a
    coroutine, whose work waited behind it, hung the worker for good once
    the pool was full of them. Its threads end once the loop is gone."""
    global _last_work_pool
    # PERF: the last loop's pool at once, without the weak dict's lookup
    last_loop, pool = _last_work_pool
    if last_loop() is loop and pool is not None:
        return pool
    pool = _work_pools.get(loop)
    if pool is None:
        pool = _work_pools[loop] = ThreadPoolExecutor(
            _WORK_THREADS, thread_name_prefix="kolba-work"
        )
        weakref.finalize(loop, pool.shutdown, wait=False)
    _last_work_pool = (weakref.ref(loop), pool)
    return pool


# the sync streams that make chunks at once, per loop: as many as Starlette's
# (anyio's 40 threads); an event stream waiting between its events holds one
_STREAM_THREADS = 40


def _stream_pool() -> ThreadPoolExecutor:
    """The threads that make sync streams' chunks for the running loop (as
    its own executor was: a loop's streams never wait for another's). Not the
    pool where views run (_work_pool): a stream's view may hold a resource
    until the stream ends (a database connection, given back at teardown)
    while new requests fill that executor waiting for one; the streams'
    chunks, waiting there behind them, never came, and the requests waited
    out the pool's timeout. Its threads end once the loop is gone."""
    loop = asyncio.get_running_loop()
    pool = _stream_pools.get(loop)
    if pool is None:
        pool = _stream_pools[loop] = ThreadPoolExecutor(
            _STREAM_THREADS,
            thread_name_prefix="kolba-stream",
            initializer=_end_by_driver,  # (a stream's sender starts them)
        )
        weakref.finalize(loop, pool.shutdown, wait=False)
    return pool


def _chunk_bytes(chunk: object) -> bytes:
    """A stream's chunk that is not bytes as bytes: str encoded (UTF-8, as
    werkzeug does), bytes-like copied; anything else a TypeError (under a
    WSGI server too: the body is cut off)."""
    if isinstance(chunk, str):
        return chunk.encode()
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(
        "A response body's chunks are bytes or str, not"
        f" {type(chunk).__name__}: {chunk!r:.60}"
    )


#: How far the thread that makes a sync body's chunks runs ahead of their
#: sends: once this many chunks, or bytes, wait to be sent, it waits for the
#: sender to take them (a slow client holds the body back, not the server's
#: memory: at most twice as much is held, what waits and what the sender took).
_AHEAD_CHUNKS = 64
_AHEAD_BYTES = 256 * 1024
#: The reads of a file sent as it is (werkzeug's FileWrapper, as send_file and
#: static files give it), which asks for 8 KB.
# PERF: 64 KB reads, as Starlette's FileResponse makes (and at most what a
# message holds, see test_static_files), with _send_in_thread's batches: a
# 10 MB file under uvicorn on 127.0.0.1 ~75 -> ~10 ms of the server's CPU
# (Starlette's FileResponse ~15)
_FILE_READ = 64 * 1024
# what _Ahead.put() tells the thread that made a chunk
_GO_ON, _FULL, _STOPPED = 0, 1, 2


class _Ahead:
    """The chunks of a sync body that its thread (_make) made and the sender
    (_send_in_thread) has not taken yet, up to _AHEAD_CHUNKS or _AHEAD_BYTES:
    the thread adds them one by one, the sender takes them all at once; each
    wakes the other only when it waits."""

    __slots__ = ("chunks", "size", "room", "waiter", "stopped", "pauses", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, pauses: bool) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.room = threading.Condition(threading.Lock())
        #: the sender's future while it waits for a chunk
        self.waiter: asyncio.Future[None] | None = None
        #: set by the sender: no more chunks are wanted
        self.stopped = False
        #: whether the thread returns once the chunks are full (a file's reads,
        #: which any thread may go on with: a slow client holds no thread),
        #: or waits for room (a generator stays on the thread that runs it)
        self.pauses = pauses
        self.loop = loop

    def put(self, chunk: bytes) -> int:
        """In the thread: add a chunk; _GO_ON, _FULL (the thread returns: it
        pauses) or _STOPPED (the chunk is dropped)."""
        with self.room:
            if not self.pauses:
                while (
                    len(self.chunks) >= _AHEAD_CHUNKS or self.size >= _AHEAD_BYTES
                ) and not self.stopped:
                    self.room.wait()
            if self.stopped:
                return _STOPPED
            self.chunks.append(chunk)
            self.size += len(chunk)
            waiter = self.waiter
            self.waiter = None
            full = self.pauses and (
                len(self.chunks) >= _AHEAD_CHUNKS or self.size >= _AHEAD_BYTES
            )
        if waiter is not None:
            self.loop.call_soon_threadsafe(_wake, waiter)
        return _FULL if full else _GO_ON

    def take(self) -> list[bytes] | asyncio.Future[None]:
        """On the loop: the chunks made (then there is room for more), or, if
        none, the future to wait on for the next (``waiter``, which the
        thread may clear at once)."""
        with self.room:
            chunks = self.chunks
            if not chunks:
                waiter = self.waiter = self.loop.create_future()
                return waiter
            self.chunks = []
            self.size = 0
            self.room.notify()
        return chunks

    def stop(self) -> None:
        """On the loop: no more chunks; a thread waiting for room goes on."""
        with self.room:
            self.stopped = True
            self.room.notify()

    def wake(self, _: object = None) -> None:
        """On the loop, as the thread or the watcher ends: the sender's wait ends."""
        with self.room:
            waiter = self.waiter
            self.waiter = None
        if waiter is not None:
            _wake(waiter)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _make(
    ahead: _Ahead, iterator: t.Iterator[t.Any], close: t.Callable[[], t.Any] | None
) -> bool:
    """In a thread of the stream pool, in the response's context: make the
    body's chunks into ``ahead`` until it ends or the sender stops, then
    ``close`` the body, in this thread; its error is the sender's, raised
    once the chunks made before it are sent. True: paused, the chunks full
    (a file's reads, made on by a new call; not closed)."""
    state = _GO_ON
    try:
        if not ahead.stopped:  # (the client left while it waited for a thread)
            put = ahead.put
            for chunk in iterator:
                if type(chunk) is not bytes:
                    chunk = _chunk_bytes(chunk)
                if chunk:
                    state = put(chunk)
                    if state:
                        break
                elif ahead.stopped:  # (an empty chunk: the client may have left)
                    break
    finally:
        if state != _FULL and close is not None:
            close()
    return state == _FULL


class _FileWrapper(FileWrapper):
    """The ``wsgi.file_wrapper`` of a WSGI app served by serve_wsgi: a file
    read in _FILE_READ reads (werkzeug's send_file asks for 8 KB)."""

    def __init__(self, file: t.IO[bytes], buffer_size: int = 8192) -> None:
        super().__init__(file, max(buffer_size, _FILE_READ))


def _file_reads(file: t.IO[bytes], size: int) -> t.Iterator[bytes]:
    read = file.read
    while chunk := read(size):
        yield chunk


async def _send_in_thread(
    chunks: t.Iterable[t.Any],
    send: Send,
    context: contextvars.Context,
    receive: Receive,
    body: _Body | None,
    limit: int | None,
    start: Message | None = None,
    close: t.Callable[[], t.Any] | None = None,
    pauses: bool = False,
) -> None:
    """Send a sync iterable's chunks, made ahead by one thread of the stream
    pool (in ``context``; see _make, _Ahead), after the ``start`` message if
    one is given (with the first chunk that is not empty, or at the end: an
    error before it reaches the server before any message); stop that thread
    at its next chunk once the client has gone (told by ``receive``, the
    request's ``body`` received meanwhile: see _disconnected), or raise the
    error of a ``receive`` that failed. The thread calls ``close`` (the
    body's, as a WSGI server's thread does) once, as the iterable ends or
    stops, before this returns or raises. If this task is cancelled, the
    thread is stopped and waited for, and the cancellation re-raised.
    ``pauses``: the iterable is a file's reads, which any thread may go on
    with: its thread returns when the chunks ahead are full, and another
    goes on once they are taken."""
    # PERF: one thread makes the body, its chunks taken by the batch, not one
    # thread hop (a future, a wake-up of the loop) per chunk: under uvicorn
    # on 127.0.0.1, the server's CPU for 10,000 rows of ~50 bytes ~550 ->
    # ~60-100 ms (Starlette's StreamingResponse ~750-860), 1,000 chunks of
    # 1 KB ~50 -> ~4 ms; a one-chunk body 820k -> 705k instructions
    loop = asyncio.get_running_loop()
    pool = _stream_pool()
    ahead = _Ahead(loop, pauses)
    iterator: t.Iterator[t.Any] = iter(chunks)  # (a file's reads: themselves)
    making = _making(ahead, iterator, close, context, pool)
    watching: asyncio.Future[None] | None = None
    try:
        if body is not _NEVER_RECEIVED:
            watching = asyncio.ensure_future(_disconnected(receive, body, limit))
            watching.add_done_callback(ahead.wake)
        while watching is None or not watching.done():
            batch = ahead.take()
            if pauses and _paused(making):  # (the chunks were taken: room)
                making = _making(ahead, iterator, close, context, pool)
            if isinstance(batch, list):
                if start is not None:
                    await send(start)
                    start = None
                await _send_batch(send, batch)
            elif making.done():
                try:
                    making.result()  # (the body's error, once its chunks went)
                except ClientDisconnected:
                    # (a chunk read the body of a client gone: no error)
                    if start is not None:
                        await send(start)  # (to no one: the server's response started)
                    return
                if start is not None:
                    await send(start)
                await send({"type": "http.response.body"})
                return
            else:
                await batch
    except GeneratorExit:  # (closed unfinished: nothing may be awaited)
        ahead.stop()
        raise
    except BaseException:
        await _stopped(ahead, making, pool, context, iterator, close)
        raise
    finally:
        if watching is not None:
            watching.cancel()
    # (the watcher is done: the client left, or the server's receive() failed)
    made = await _stopped(ahead, making, pool, context, iterator, close)
    if not watching.cancelled() and (failed := watching.exception()) is not None:
        raise failed
    if made is not None and not isinstance(made, ClientDisconnected):
        raise made  # (the body's, or its close's, error as the client left)
    if start is not None:
        await send(start)  # (to no one: the server's response started)


async def _send_batch(send: Send, batch: list[bytes]) -> None:
    """Send the chunks a body's thread made ahead (_Ahead.take()), then let
    the loop's others run: servers drop sends to a gone client without
    waiting, so a body made faster than it is sent would hold the loop to its
    end, unwatched (PERF: once a batch, not each chunk)."""
    # PERF: the small chunks made by the time they are sent go out as one
    # message of up to _FILE_READ bytes, not one each (a send, a write by the
    # server): under uvicorn on 127.0.0.1, 10k CSV rows of ~50 bytes 78 -> 19
    # ms (the server's CPU 77 -> 25), 1,000 chunks of 1 KB 8.1 -> 2.6 ms;
    # behind ProxyFix 69 -> 27 and 6.8 -> 3.0 ms; a file's 64 KB reads go out
    # as they are
    for chunk in _merged(batch):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await asyncio.sleep(0)


def _merged(chunks: list[bytes]) -> list[bytes]:
    """``chunks`` with the runs of small ones joined, each up to _FILE_READ
    bytes (what was made by the time they are sent: no chunk waits for one
    made later)."""
    if len(chunks) == 1:
        return chunks
    merged: list[bytes] = []
    run: list[bytes] = []
    size = 0
    for chunk in chunks:
        if run and size + len(chunk) > _FILE_READ:
            merged.append(b"".join(run) if len(run) > 1 else run[0])
            run, size = [], 0
        run.append(chunk)
        size += len(chunk)
    merged.append(b"".join(run) if len(run) > 1 else run[0])
    return merged


def _making(
    ahead: _Ahead,
    iterator: t.Iterator[t.Any],
    close: t.Callable[[], t.Any] | None,
    context: contextvars.Context,
    pool: ThreadPoolExecutor,
) -> asyncio.Future[bool]:
    """_make started in a thread of ``pool`` (the body closed here if it
    cannot be: the pool shut down), the sender woken as it ends."""
    try:
        making = ahead.loop.run_in_executor(
            pool,
            context.run,
            _make,
            ahead,
            iterator,
            close,
        )
    except BaseException:
        if close is not None:
            context.run(close)
        raise
    making.add_done_callback(ahead.wake)
    return making


def _paused(making: asyncio.Future[bool]) -> bool:
    """Whether a file's thread returned with the chunks ahead full."""
    return making.done() and making.exception() is None and making.result()


async def _stopped(
    ahead: _Ahead,
    making: asyncio.Future[bool],
    pool: ThreadPoolExecutor,
    context: contextvars.Context,
    iterator: t.Iterator[t.Any],
    close: t.Callable[[], t.Any] | None,
) -> BaseException | None:
    """Stop the body's thread and wait for its end, even if this task is
    cancelled meanwhile (then re-raised), so that the body is closed (a
    paused file's by a thread again); its error, if any."""
    ahead.stop()
    if _paused(making):
        making = _making(ahead, iterator, close, context, pool)
    await _ended(making)
    return making.exception()


def _no_status(status: int) -> ValueError:
    """The error for a response's status that is not an HTTP one: servers
    fail on it (granian exits, uvicorn sends nothing)."""
    return ValueError(
        f"The response's status {status} is not an HTTP status (100 to 599)"
    )


async def _start(send: Send, status: int, headers: t.Iterable[tuple[str, str]]) -> None:
    await send(_start_message(status, headers))


def _start_message(status: int, headers: t.Iterable[tuple[str, str]]) -> Message:
    if not 100 <= status <= 599:  # (the app's error handler's answer, a WSGI app's)
        raise _no_status(status)
    try:
        encoded = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers
        ]
    except UnicodeEncodeError:
        _refuse_header(headers)
        raise
    return {"type": "http.response.start", "status": status, "headers": encoded}


def _refuse_header(headers: t.Iterable[tuple[str, str]]) -> None:
    """Raise the UnicodeEncodeError of the first header HTTP/1 cannot carry
    (a name or value outside latin-1), saying which header it is."""
    for name, value in headers:
        for text in (name, value):
            try:
                text.encode("latin-1")
            except UnicodeEncodeError as e:
                raise UnicodeEncodeError(
                    e.encoding,
                    e.object,
                    e.start,
                    e.end,
                    f"the response header {name!r} holds it, and HTTP/1 carries"
                    " only latin-1 in headers: quote or encode it (RFC 8187's"
                    " filename* for a Content-Disposition, as send_file does)",
                ) from None


def _unreceived(
    app: Flask, request: Request, limited: bool = True
) -> tuple[_Body | None, int | None]:
    """The request's body while it is not all received (a response's chunks
    may read it), else None, and its limit (_body_limit; None unless
    ``limited``); its environ is made if it has none yet. A wsgi.input that
    a middleware or hook replaced may read it: it is watched all the same
    (its reads take the watcher's messages)."""
    environ = request.environ
    body = environ.get("kolba.asgi.body", environ.get("wsgi.input"))
    if type(body) is not _Body:
        return _NEVER_RECEIVED, None  # (an environ made anew: body not known)
    if body.complete:
        return None, None
    return body, _body_limit(app, request, body) if limited else None


#: The body of a request whose environ was replaced, with no body of the
#: driver's in it: what reads the body is not known, so a stream watches for
#: no disconnect.
_NEVER_RECEIVED = _Body.__new__(_Body)
_NEVER_RECEIVED.complete = False
#: How much of the body (its bytes, and _MESSAGE_MEMORY a message) the
#: watcher holds ahead of the reads: beyond, the server holds the client
#: back, and no disconnect is seen until the reads go on, unless the body
#: passed MAX_CONTENT_LENGTH (see _disconnected).
_FEED_AHEAD = 1024 * 1024
_MESSAGE_MEMORY = 512
#: Queued as the watcher stops: the read that takes it receives itself.
_RECEIVE: Message = {"type": "kolba.receive"}
#: Queued when the body passes MAX_CONTENT_LENGTH: its rest is dropped, and
#: the read that takes it is a 413.
_TOO_LARGE: Message = {"type": "kolba.too_large"}


def _body_limit(app: Flask, request: Request, body: _Body | None) -> int | None:
    """The request's max_content_length, for a ``body`` not all received
    yet: the value set on the request, else the app's, unless the request's
    class has its own (read in the request's context, as it may need it)."""
    if body is None or body.complete:
        return None
    if "max_content_length" in request.__dict__ or not isinstance(
        inspect.getattr_static(type(request), "max_content_length", None), _AppLimit
    ):
        own: int | None = request.max_content_length
        return own
    limit: int | None = app.config["MAX_CONTENT_LENGTH"]
    return limit


async def _disconnected(
    receive: Receive, body: _Body | None, limit: int | None = None
) -> None:
    """Return once the client has gone. While the request's ``body`` is not
    all received, its messages are received here, for its reads: they take
    them from a queue, up to _FEED_AHEAD ahead, and then the disconnect.
    Past ``limit`` (MAX_CONTENT_LENGTH) no read may have more (it is a
    413): the rest is received and dropped, so that a body too long is not
    held in memory and a disconnect is still seen."""
    if body is not None and (lock := body._lock) is not None and lock.locked():
        # A read is receiving (the stream ran before this watcher did): its
        # message first, then reads take from the queue set up below with no
        # await before it, so that no two receive() calls wait at once
        # (hypercorn's queue answers them out of order: the body came back
        # reordered, or the stream hung).
        async with lock:
            pass
    if body is not None and not body.complete:
        feed: asyncio.Queue[Message] = asyncio.Queue()
        room = asyncio.Event()  # (set while less than _FEED_AHEAD is queued)
        queued = 0
        fed = body
        size = body._size  # (received before)

        async def take() -> Message:
            nonlocal queued
            message = await feed.get()
            if message is _RECEIVE:
                return await fed._receive()
            queued -= len(message.get("body", b"")) + _MESSAGE_MEMORY
            if queued <= _FEED_AHEAD:
                room.set()
            return message

        def put(message: Message) -> int:
            nonlocal queued
            feed.put_nowait(message)
            chunk = len(message.get("body", b""))
            queued += chunk + _MESSAGE_MEMORY
            return chunk

        body._receive = take
        gone = False
        try:
            while True:
                message = await receive()
                size += put(message)
                if message["type"] == "http.disconnect":
                    gone = True
                    return
                if not message.get("more_body"):
                    break
                if limit is not None and size > limit:
                    put(_TOO_LARGE)
                    break
                if queued > _FEED_AHEAD:
                    room.clear()
                    await room.wait()
        finally:  # later reads take what is queued, then receive
            body._receive = _queued_first(feed, _gone if gone else receive)
            if feed.empty():
                feed.put_nowait(_RECEIVE)  # (wakes a read that waits: see take)
    while True:
        if (await receive())["type"] == "http.disconnect":
            return


def _queued_first(feed: asyncio.Queue[Message], receive: Receive) -> Receive:
    async def take() -> Message:
        while feed.qsize():
            message = feed.get_nowait()
            if message is not _RECEIVE:
                return message
        return await receive()

    return take


async def _ended(future: asyncio.Future[t.Any]) -> None:
    """Wait for a thread's future to end, even if this task is cancelled
    meanwhile (the thread runs on: cancelling the future would only stop
    the wait); then re-raise the cancellation."""
    cancelled = False
    while not future.done():
        try:
            await asyncio.wait((future,))
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError


async def _stream(
    content: t.AsyncIterable[t.Any],
    receive: Receive,
    send: Send,
    body: _Body | None,
    limit: int | None,
    start: Message | None = None,
) -> None:
    """Send an async iterable's chunks, iterated in this task, after the
    ``start`` message if one is given (as _send_in_thread); a watcher
    cancels it if the client goes away (no error then; the request's
    ``body`` received meanwhile: see _disconnected) or raises the error of
    a ``receive`` that failed. The iterable is
    closed as this ends: a cancellation (the watcher's, or the server's)
    reaches it where it awaits, so it no longer runs, and its ``finally`` and
    the teardown run at once, not a loop turn later (uvicorn exits right
    after cancelling the tasks that outlive its shutdown)."""
    task = asyncio.current_task()
    # set by the watcher as it cancels the task: the error of receive() or None
    left: list[Exception | None] = []

    async def watch() -> None:
        try:
            await _disconnected(receive, body, limit)
        except Exception as e:
            left.append(e)
        else:
            left.append(None)
        task.cancel()  # type: ignore[union-attr]

    watching = None if body is _NEVER_RECEIVED else asyncio.ensure_future(watch())
    try:
        try:
            sent = 0
            async for chunk in content:
                if type(chunk) is not bytes:
                    chunk = _chunk_bytes(chunk)
                if chunk:
                    if start is not None:
                        await send(start)
                        start = None
                    await send(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
                    sent += 1
                    if not sent % 16:
                        # Servers drop sends to a gone client without waiting: a
                        # body that never awaits would run to its end unwatched.
                        # PERF: every 16th chunk, not each (~5 µs a yield).
                        await asyncio.sleep(0)
            if start is not None:
                await send(start)
                start = None
            await send({"type": "http.response.body"})
        finally:  # (no await before: the watcher cancels the stream only)
            if watching is not None:
                watching.cancel()
            if left and sys.version_info >= (3, 11):
                task.uncancel()  # type: ignore[union-attr]  # (its own, taken back)
    except asyncio.CancelledError:
        if not left or _cancelled_from_outside():
            raise
        if left[0] is not None:
            raise left[0] from None
        if start is not None:  # the client left (to no one: the response started)
            await send(start)
    except ClientDisconnected:  # (a chunk read the body of a client gone: no error)
        if start is not None:
            await send(start)
    finally:
        aclose = getattr(content, "aclose", None)
        if aclose is not None:
            await aclose()


# WSGI middleware ---------------------------------------------------------------


async def serve_wsgi(app: Flask, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve an HTTP request through ``app.wsgi_app`` (wrapped by WSGI
    middleware, or overridden) as a WSGI server's worker does, in a thread
    of kolba's pool: the body is received before, as a sync view's (see
    _receive_ahead); the start of the response goes with its first chunk,
    the chunks after it are made ahead of their sends by that thread, at
    most _AHEAD_CHUNKS (_Ahead: it waits for a slow client); the iterable is
    closed in that thread. A client that goes away stops the response at its
    next chunk. An error before the response starts is the server's 500."""
    loop = asyncio.get_running_loop()
    body = _Body(receive, loop)
    environ = _environ(scope, body)
    extra = scope.get("kolba.environ")  # the test client's environ entries
    if extra:
        environ.update(extra)
    uri = scope.get("raw_path")
    uri = (
        uri.decode("latin-1")
        if uri
        else quote(environ["SCRIPT_NAME"] + environ["PATH_INFO"], "/", "latin-1")
    )
    if environ["QUERY_STRING"]:
        uri += "?" + environ["QUERY_STRING"]
    environ["REQUEST_URI"] = environ["RAW_URI"] = uri
    environ["wsgi.file_wrapper"] = _FileWrapper
    ahead = None
    if not body.complete:  # as a sync view's, so that no thread waits for it
        length = environ.get("CONTENT_LENGTH")
        ahead = await _receive_ahead(
            app, environ, False, length.encode("latin-1") if length else None
        )
    # a sync view's body reads and an async view's coroutine go to this loop,
    # as in the thread of a sync view under the native driver
    _cv_server_loop.set(loop)
    context = contextvars.copy_context()
    gone = threading.Event()
    #: a stream's chunks after its first, made ahead by the thread (set as
    #: the first is sent) and sent by ``sender``, then the end
    chunks_ahead: _Ahead | None = None
    sender: asyncio.Future[None] | None = None
    watching: asyncio.Future[None] | None = None

    async def watch() -> None:
        try:
            if not body.complete:  # (its rest received here for the app's reads)
                await _disconnected(receive, body)
                return
            # After the body a server's receive() waits for the disconnect,
            # after the empty body message of a request without one that
            # nobody read; one that answers again at once does not tell it
            # (no busy loop).
            for _ in range(2):
                if (await receive())["type"] == "http.disconnect":
                    return
            await asyncio.Future()  # (not told: the stream runs to its end)
        finally:
            gone.set()
            if chunks_ahead is not None:
                chunks_ahead.stop()  # (a thread waiting for room goes on)
                chunks_ahead.wake()

    async def deliver(start: tuple[int, t.Any] | None, message: Message | None) -> None:
        nonlocal watching, chunks_ahead, sender
        if start is not None:
            await _start(send, *start)
        if message is None:
            return
        if not message["more_body"]:
            await send(message)
            return
        # a stream goes on: watched from now (the thread waits for this, so
        # no read of the body receives meanwhile); its next chunks are made
        # ahead (the thread reads chunks_ahead once this returned)
        chunks_ahead = _Ahead(loop, False)
        running.add_done_callback(chunks_ahead.wake)
        watching = asyncio.ensure_future(watch())
        await send(message)
        sender = asyncio.ensure_future(sending(chunks_ahead))

    async def sending(ahead: _Ahead) -> None:
        """Send the chunks made ahead, then the end once the thread ended
        well; stop once the client has gone."""
        try:
            while not gone.is_set():
                batch = ahead.take()
                if isinstance(batch, list):
                    await _send_batch(send, batch)
                elif running.done():
                    if not running.cancelled() and running.exception() is None:
                        await send({"type": "http.response.body"})
                    return
                else:
                    await batch
        finally:
            ahead.stop()  # (a thread waiting for room goes on, and stops)

    def run() -> None:  # in the thread
        started: list[t.Any] = []
        sent = streaming = False

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
        ) -> t.Callable[[bytes], None]:
            if exc_info is not None and sent:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = (status, headers)
            return emit

        def emit(data: bytes, more: bool = True) -> None:
            nonlocal sent, streaming
            if streaming:  # (the end is sent once the chunks ahead are)
                if data and chunks_ahead.put(data) == _STOPPED:  # type: ignore[union-attr]
                    gone.set()
                return
            start = message = None
            if not sent:
                if not started:
                    raise RuntimeError(
                        "A WSGI app sent its body before start_response()."
                    )
                status, headers = started
                start = int(status.split(None, 1)[0]), headers
                sent = True
            if data or not more:
                message = {
                    "type": "http.response.body",
                    "body": data,
                    "more_body": more,
                }
            elif start is None:
                return
            # PERF: the start and the first chunk in one call on the loop (a
            # hello behind a WSGI middleware: ~618k -> ~454k instructions);
            # the chunks after it made ahead of their sends (see below)
            delivered = deliver(start, message)
            asyncio.run_coroutine_threadsafe(delivered, loop).result()
            streaming = message is not None and more

        chunks = app.wsgi_app(environ, start_response)
        try:
            if type(chunks) is list or type(chunks) is tuple:
                emit(b"".join(chunks), more=False)  # all there: one message
                return
            for chunk in chunks:
                if type(chunk) is not bytes:
                    chunk = _chunk_bytes(chunk)
                if chunk:
                    emit(chunk)
                if gone.is_set():
                    return
            emit(b"", more=False)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    # PERF: a stream's chunks after its first sent by the batch as the thread
    # makes them, not each handed over (two thread switches) and waited for:
    # under uvicorn behind ProxyFix, the server's CPU for 10,000 rows of ~50
    # bytes ~535 -> ~65 ms, 1,000 chunks of 1 KB ~50 -> ~6 ms; a hello
    # (one message) unchanged, ~460k instructions
    running = loop.run_in_executor(_work_pool(loop), context.run, run)
    try:
        try:
            await running
        except Exception:
            if sender is not None:  # (the chunks made before the error go first)
                await sender
            raise
        if sender is not None:
            await sender
    finally:
        gone.set()  # (cancelled: the thread stops at its next chunk)
        if chunks_ahead is not None:
            chunks_ahead.stop()
        if sender is not None:
            sender.cancel()
        if watching is not None:
            watching.cancel()
        if ahead is not None:
            ahead.close()


# background tasks and lifespan -----------------------------------------------


def add_background_task(
    app: Flask, func: t.Callable[..., t.Any], args: t.Any, kwargs: t.Any
) -> None:
    """Start ``func`` in an app context; in a request, once its response is
    sent (added late in it, as the request ends: see _Background)."""
    loop = _server_loop()

    def start() -> None:
        if loop is None:  # (WSGI) on a bounded pool, which the exit awaits
            context = contextvars.Context()
            done = _background_pool(app).submit(
                repr(func), context.run, _run_sync, app, func, args, kwargs
            )
            app._background_tasks.add(done)
            done.add_done_callback(app._background_tasks.discard)
        elif asyncio._get_running_loop() is loop:
            _spawn(app, func, args, kwargs)
        else:
            loop.call_soon_threadsafe(_spawn, app, func, args, kwargs)

    ctx = _cv_ctx.get(_NO_CTX)[1]
    if ctx is None:
        start()
        return
    ws = ctx.__dict__.get("request")  # (an HTTP request is not made for this)
    if isinstance(ws, WebSocket):  # once the WebSocket has ended
        if ws._background is None:  # (it has)
            start()
        else:
            ws._background.append(start)
        return
    state: _Background | None = ctx.__dict__.get("_kolba_background")
    if state is None:
        if ctx._lean_token is None and not ctx._request_tokens:
            start()  # the request has ended (a task or thread of its view)
            return
        state = ctx.__dict__["_kolba_background"] = _Background()
        # (once the after-request functions have run, this one is not: the
        # context's pop starts the tasks, see _Background; the drivers' lean
        # pop, which does not, is not taken then)
        if ctx._lean_token is not None:
            ctx._record_lean_push()
        if not ctx._after_request_functions:
            ctx._after_request_functions = []
        ctx._after_request_functions.append(state.after)  # type: ignore[attr-defined]
    elif state.done or (
        not state.response and ctx._lean_token is None and not ctx._request_tokens
    ):
        state.start_all()
        start()
        return
    state.starts.append(start)


class _Background:
    """The background tasks added in a request: started once its response
    is closed (sent), when its after-request function (``after``) saw it;
    added after that function's turn (by an after_request or teardown
    function, a stream, a task of the view), as the request ends
    (``ended``: its context's last pop, or under ASGI once the response is
    sent), or at once if it has."""

    __slots__ = ("starts", "response", "done")

    def __init__(self) -> None:
        self.starts: list[t.Callable[[], None]] = []
        self.response = False  # (its close starts them)
        self.done = False

    def after(self, response: Response) -> Response:
        self.response = True
        response.call_on_close(self.start_all)
        # (one that an after_request function replaced goes unclosed: its
        # tasks start as it goes)
        weakref.finalize(response, self.start_all)
        return response

    def ended(self) -> None:
        if not self.response:
            self.start_all()

    def popped(self) -> None:
        if not getattr(_driver_ends, "on", False):  # (else: _ended_request)
            self.ended()

    def start_all(self) -> None:
        self.done = True
        while self.starts:
            self.starts.pop(0)()


def _ended_request(ctx: RequestContext) -> None:
    """Start the background tasks that the request's after-request function
    did not see (added after its turn), as the request ends under ASGI (its
    context may live on, in a traceback's cycle)."""
    state: _Background | None = ctx.__dict__.get("_kolba_background")
    if state is not None:
        state.ended()


def _run_sync(
    app: Flask, func: t.Callable[..., t.Any], args: t.Any, kwargs: t.Any
) -> None:
    try:
        with app.app_context():
            app.ensure_sync(func)(*args, **kwargs)
    except Exception:
        app.logger.exception(f"Background task {func!r} failed")


def _background_pool(app: Flask) -> _DaemonPool:
    """The threads of an app's sync background tasks under WSGI (see
    _DaemonPool)."""
    pool = _background_pools.get(app)
    if pool is None:
        pool = _background_pools[app] = _DaemonPool()
        global _exit_waits
        if not _exit_waits:
            _exit_waits = True
            atexit.register(_wait_at_exit)
    return pool


class _DaemonPool:
    """The threads of an app's sync background tasks under WSGI: as many at
    once as under ASGI (the others wait their turn), daemon threads, so that
    the interpreter's exit (werkzeug's reloader restarting, Ctrl+C, a gunicorn
    worker stopping) waits for them BACKGROUND_TASK_SHUTDOWN_TIMEOUT at most
    (_wait_at_exit), not without limit as for a ThreadPoolExecutor's."""

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[tuple[Future[t.Any], t.Any, t.Any]] = (
            queue.SimpleQueue()
        )
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._threads = 0
        #: the tasks not done (not the parent's in a forked child: its own pool)
        self.futures: set[Future[t.Any]] = set()

    def submit(
        self, name: str, func: t.Callable[..., t.Any], *args: t.Any
    ) -> Future[t.Any]:
        future: Future[t.Any] = Future()
        future.name = name  # type: ignore[attr-defined]  # (named at the exit)
        self.futures.add(future)
        future.add_done_callback(self.futures.discard)
        self._work.put((future, func, args))
        if self._idle.acquire(blocking=False):  # a thread waits for work
            return future
        with self._lock:
            if self._threads < _DAEMON_THREADS:
                self._threads += 1
                try:
                    threading.Thread(
                        target=self._run,
                        name=f"kolba-background-{self._threads}",
                        daemon=True,
                    ).start()
                except RuntimeError:  # Python 3.12+ starts none at the exit:
                    self._threads -= 1  # a running one takes the work after
                    if not self._threads:  # its own (none: the task is lost)
                        future.cancel()
                        raise
        return future

    def _run(self) -> None:
        while True:
            future, func, args = self._work.get()
            if future.set_running_or_notify_cancel():
                try:
                    result = func(*args)
                except BaseException as e:
                    future.set_exception(e)
                else:
                    future.set_result(result)
            del future, func, args  # (not kept while idle)
            self._idle.release()


_background_pools: weakref.WeakKeyDictionary[Flask, _DaemonPool] = (
    weakref.WeakKeyDictionary()
)
# A pool made before a fork (a task added as the app was made, under gunicorn
# --preload) is the parent's: a child has none of its threads but its count
# of idle ones, so its first task would wait for a second to start a thread,
# or be lost at its exit. Each process makes its own.
os.register_at_fork(after_in_child=_background_pools.clear)
_exit_waits = False


def _wait_at_exit() -> None:
    """At the interpreter's exit, wait for the background tasks of each app
    served by WSGI, as the ASGI lifespan's shutdown does: its
    BACKGROUND_TASK_SHUTDOWN_TIMEOUT at most, then those not started are
    cancelled and those running left (daemon threads: they end with the
    process), with a warning that names them."""
    for app in list(_background_pools):
        try:
            timeout = _shutdown_timeout(app)
        except ValueError:
            app.logger.exception("Background tasks at exit")
            timeout = 5.0
        deadline = None if timeout is None else time.monotonic() + timeout
        pool = _background_pools.get(app)
        while pool is not None:  # (until those that they add are done too)
            pending = [task for task in tuple(pool.futures) if not task.done()]
            if not pending:
                break
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                waiting = [task for task in pending if task.cancel()]
                running = [task for task in pending if not task.cancelled()]
                _tell_cancelled(app, timeout, [t.name for t in waiting])  # type: ignore[attr-defined]
                _tell_left_running(app, timeout, [t.name for t in running])  # type: ignore[attr-defined]
                break
            wait_futures(pending, timeout=left)


def _spawn(
    app: Flask, func: t.Callable[..., t.Any], args: t.Any, kwargs: t.Any
) -> None:
    async def run() -> None:
        try:
            with app.app_context():
                if inspect.iscoroutinefunction(func):
                    await func(*args, **kwargs)
                else:
                    context = contextvars.copy_context()
                    await _on_daemon_thread(
                        app, repr(func), lambda: context.run(func, *args, **kwargs)
                    )
        except Exception:
            app.logger.exception(f"Background task {func!r} failed")

    task = contextvars.Context().run(asyncio.ensure_future, run())
    task.set_name(repr(func))  # (named in the shutdown's warning)
    app._background_tasks.add(task)
    task.add_done_callback(app._background_tasks.discard)


async def _run_hooks(app: Flask, funcs: list[t.Callable[[], t.Any]]) -> None:
    with app.app_context():
        for func in funcs:
            await _acall(func)


async def _lifespan(app: Flask, receive: Receive, send: Send) -> None:
    """``before_serving`` on startup; on shutdown, wait for the background
    tasks still running, then ``after_serving``."""
    _cv_server_loop.set(asyncio.get_running_loop())
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            phase, funcs = "startup", app.before_serving_funcs
        else:
            phase, funcs = "shutdown", app.after_serving_funcs
        try:
            if phase == "shutdown":
                await _end_websockets(app)
                await _wait_for_background(app)
            else:
                _shutdown_timeout(app)  # (a bad one stops the start, not the end)
            await _run_hooks(app, funcs)
        except Exception as e:
            app.logger.exception(f"ASGI lifespan {phase} failed")
            await send({"type": f"lifespan.{phase}.failed", "message": repr(e)})
            return
        await send({"type": f"lifespan.{phase}.complete"})
        if phase == "shutdown":
            return


async def _on_daemon_thread(
    app: Flask, name: str, func: t.Callable[[], object]
) -> None:
    """``func()`` on a daemon thread of its own: if it never ends, it does not
    hold the process's exit (as a thread of a pool would). As many run at once
    as a loop's default pool has threads; the others wait for a place."""
    loop = asyncio.get_running_loop()
    places = _daemon_places.get(loop)
    if places is None:
        places = _daemon_places[loop] = asyncio.Semaphore(_DAEMON_THREADS)
    future: Future[object] = Future()

    def run() -> None:
        try:
            result = func()
        except BaseException as e:
            try:
                future.set_exception(e)
            except InvalidStateError:  # its loop is gone: no one awaits it
                app.logger.error(f"Background task {name} failed", exc_info=e)
            return
        with suppress(InvalidStateError):
            future.set_result(result)

    async with places:
        # (from now on not cancellable; waiting for a place, it is)
        _in_threads.add(t.cast("asyncio.Task[None]", asyncio.current_task()))
        threading.Thread(target=run, name=name, daemon=True).start()
        await asyncio.wrap_future(future)


# the threads that sync background tasks may run on at once, per loop (as
# many as a ThreadPoolExecutor's default)
_DAEMON_THREADS = min(32, (os.cpu_count() or 1) + 4)
_daemon_places: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, asyncio.Semaphore
] = weakref.WeakKeyDictionary()


# the background tasks whose sync function runs on a thread (not cancellable)
_in_threads: weakref.WeakSet[asyncio.Task[None]] = weakref.WeakSet()


def _shutdown_timeout(app: Flask) -> float | None:
    """``BACKGROUND_TASK_SHUTDOWN_TIMEOUT`` in seconds (None: no limit)."""
    timeout = app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"]
    if timeout is None:
        return None
    if not isinstance(timeout, bool):
        with suppress(TypeError, ValueError, OverflowError):
            seconds = float(timeout)
            if 0 <= seconds < math.inf:  # (not NaN)
                return seconds
    raise ValueError(
        f"BACKGROUND_TASK_SHUTDOWN_TIMEOUT is {timeout!r}: give it seconds (a"
        " number, 0 or more), or None to wait for background tasks without a"
        " limit."
    )


async def _end_websockets(app: Flask) -> None:
    """Cancel the WebSocket views still open at shutdown, as a server's
    going away, and wait for their teardown (BACKGROUND_TASK_SHUTDOWN_TIMEOUT
    seconds at most): granian runs the lifespan's shutdown while they run
    (uvicorn and hypercorn end them first), then exits. One whose view has
    ended (its teardown runs) is not cancelled again: only waited for."""
    open_tasks: dict[asyncio.Task[t.Any], WebSocket] = app.__dict__.get(
        "_kolba_websockets", {}
    )
    tasks = [task for task in list(open_tasks) if not task.done()]
    if not tasks:
        return
    for task in tasks:
        if open_tasks[task]._task is not None:  # (see _stop_watching)
            _ended_at_shutdown.add(task)
            task.cancel()
    timeout = _shutdown_timeout(app)
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    if pending:
        app.logger.warning(
            f"WebSockets cancelled at shutdown still not torn down after"
            f" {timeout:g} s: {len(pending)}"
        )


async def _wait_for_background(app: Flask) -> None:
    """Wait for the background tasks, BACKGROUND_TASK_SHUTDOWN_TIMEOUT seconds
    at most; then cancel the async ones still running, waiting as long again
    for their ``finally``. A sync one, on its thread, is left running."""
    timeout = _shutdown_timeout(app)
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while app._background_tasks:  # (until those that they add are done too)
        waits = {
            task
            if isinstance(task, asyncio.Future)
            else asyncio.ensure_future(asyncio.to_thread(task.join, timeout)): task
            for task in app._background_tasks
        }
        left_time = None if deadline is None else max(deadline - loop.time(), 0)
        _, pending = await asyncio.wait(waits, timeout=left_time)
        app._background_tasks.difference_update(waits.values())
        if pending:
            break
    else:
        return
    running = [waits[wait] for wait in pending]
    stuck = [t for t in running if isinstance(t, asyncio.Task) and t not in _in_threads]
    left = [t for t in running if t not in stuck]
    if stuck:
        _tell_cancelled(app, timeout, [task.get_name() for task in stuck])
        for task in stuck:
            task.cancel()
        await asyncio.wait(stuck, timeout=timeout)
    _tell_left_running(
        app, timeout, [t.get_name() if t in _in_threads else t.name for t in left]
    )


def _tell_cancelled(app: Flask, timeout: float | None, names: list[str]) -> None:
    """Log the background tasks that shutdown cancelled, if any (both drivers)."""
    if names:
        app.logger.warning(
            f"Background tasks cancelled after {timeout:g} s: {', '.join(names)}"
        )


def _tell_left_running(app: Flask, timeout: float | None, names: list[str]) -> None:
    """Log the sync background tasks that shutdown leaves running on their
    threads, if any (both drivers)."""
    if names:
        app.logger.warning(
            f"Background tasks still running after {timeout:g} s (sync, on threads:"
            f" they cannot be cancelled) are left running: {', '.join(names)}"
        )


# WebSockets ------------------------------------------------------------------


class WebSocketDisconnect(Exception):
    """The other side closed the WebSocket (``code`` is its close code)."""

    def __init__(self, code: int = 1005, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocketRequired(HTTPException):
    """426: a WebSocket URL asked with plain HTTP (or under a WSGI server)."""

    code = 426
    description = (
        "This URL is a WebSocket endpoint: connect to it with a WebSocket"
        " client (ws:// or wss://), through an ASGI server such as uvicorn."
    )

    #: Whether the answer says ``Upgrade: websocket`` (over ASGI; a WSGI
    #: server may not send that hop-by-hop header, PEP 3333: waitress and
    #: wsgiref answer 500 for it)
    upgrade = False

    def get_headers(self, *args: t.Any, **kwargs: t.Any) -> list[tuple[str, str]]:
        headers = super().get_headers(*args, **kwargs)
        return [*headers, ("Upgrade", "websocket")] if self.upgrade else headers


class WebSocket(Request):
    """The connection of a WebSocket view, as ``kolba.websocket``: the
    request's attributes (``path``, ``args``, ``headers``, ``cookies``...)
    and ``accept``, ``receive``, ``send``, ``close``."""

    _websocket = True  # (matched against the WebSocket rules)
    _closed_here = False  # (True once close() is called)

    def __init__(self, environ: dict[str, t.Any], receive: Receive, send: Send) -> None:
        super().__init__(environ)
        self._ws_receive = receive
        self._ws_send = send
        self.accepted = False
        self.closed = False
        self._accepting: asyncio.Lock | None = None
        #: background tasks to start once the WebSocket has ended (None: it has)
        self._background: list[t.Callable[[], None]] | None = []
        self._watch_for(None)

    def _watch_for(self, task: asyncio.Task[t.Any] | None) -> None:
        """(Re)set what the watcher of the connection uses: once accepted, it
        reads the messages into ``_inbox`` for receive(); when the client
        leaves, it cancels ``_task`` (the view's) if none awaits receive()."""
        self._task = task
        self._inbox: asyncio.Queue[Message] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._receivers = 0
        self._buffered = 0  # the bytes (or characters) of the inbox's messages
        self._room: asyncio.Future[None] | None = None
        self._unread = False  # (the view took no message in _READ_AHEAD_WAIT s)
        self._gone: Message | None = None
        self._cancelled = False

    async def accept(
        self, subprotocol: str | None = None, headers: t.Any = None
    ) -> None:
        """Accept the connection (the first ``send`` or ``receive`` does it too;
        tasks that do it at once share one accept), with ``subprotocol``, one
        of :attr:`requested_subprotocols`, and response ``headers``."""
        if self.accepted:
            return
        if subprotocol is not None:
            _check_subprotocol(subprotocol, self.requested_subprotocols)
        if self._accepting is None:
            self._accepting = asyncio.Lock()
        async with self._accepting:  # one accept; the others wait for it
            if self.accepted:
                return
            if self.closed:  # the client left before the accept
                raise WebSocketDisconnect(1006)
            message = await self._ws_receive()
            if message["type"] != "websocket.connect":
                self.closed = True
                raise WebSocketDisconnect(message.get("code", 1006))
            accept: Message = {"type": "websocket.accept"}
            if subprotocol is not None:
                accept["subprotocol"] = subprotocol
            if headers:
                accept["headers"] = _header_pairs(dict(headers).items())
            await self._ws_send(accept)
            self.accepted = True
            self._inbox = asyncio.Queue()
            self._watcher = asyncio.ensure_future(self._watch())

    @property
    def requested_subprotocols(self) -> list[str]:
        """The subprotocols the client offered (``Sec-WebSocket-Protocol``),
        in its order of preference: ``accept(subprotocol)`` picks one."""
        offered = _scope(self).get("subprotocols")
        if offered is None:  # (a server that leaves them to the header)
            value = self.headers.get("Sec-WebSocket-Protocol", "")
            offered = [name.strip() for name in value.split(",") if name.strip()]
        return list(offered)

    def _ahead(self, times: int) -> bool:
        """Whether the inbox holds ``times`` read-aheads (one message,
        however large, is no read-ahead: its view must still see the client
        leave)."""
        size = t.cast("asyncio.Queue[Message]", self._inbox).qsize()
        return size >= times * _READ_AHEAD or (
            self._buffered >= times * _READ_AHEAD_BYTES and size > 1
        )

    async def _watch(self) -> None:
        inbox = t.cast("asyncio.Queue[Message]", self._inbox)
        loop = asyncio.get_running_loop()
        while True:
            # the view reads none: the client is held back while the view
            # takes one in _READ_AHEAD_WAIT s; one that takes none (it only
            # sends, or waits on something else) is not reading, and the
            # watch goes on (a client that leaves is seen: servers drop
            # sends to a gone client), up to a second read-ahead
            while self._ahead(1) and not self._unread:
                self._room = loop.create_future()
                done, _ = await asyncio.wait((self._room,), timeout=_READ_AHEAD_WAIT)
                self._unread = not done
            if self._ahead(2):  # past it: closed (memory is bounded)
                self.closed = True
                with suppress(Exception):  # (the connection may be gone)
                    await self._ws_send({"type": "websocket.close", **_UNREAD})
                self._left({"type": "websocket.disconnect", **_UNREAD})
                return
            try:
                message = await self._ws_receive()
            except Exception:  # the server's: the connection is lost
                message = {"type": "websocket.disconnect", "code": 1006}
            self._buffered += _size(message)
            if message["type"] == "websocket.disconnect":
                self._left(message)
                return
            inbox.put_nowait(message)

    def _left(self, message: Message) -> None:
        """The connection has ended (``message``, a disconnect, says how):
        receive() raises once it has given the messages before it; a view
        that is not awaiting it is cancelled."""
        t.cast("asyncio.Queue[Message]", self._inbox).put_nowait(message)
        self._gone = message
        self.closed = True
        if not self._receivers and self._task is not None:
            self._cancelled = True
            self._task.cancel()

    async def receive(self) -> str | bytes:
        """The next message: ``str`` for text, ``bytes`` for binary; raises
        :class:`WebSocketDisconnect` once the client has gone."""
        if not self.accepted:
            await self.accept()
        inbox = t.cast("asyncio.Queue[Message]", self._inbox)
        self._receivers += 1
        try:
            message = await inbox.get()
        finally:
            self._receivers -= 1
        self._buffered -= _size(message)
        self._unread = False  # (it reads)
        if self._room is not None and not self._room.done():
            self._room.set_result(None)
        if message["type"] == "websocket.disconnect":
            inbox.put_nowait(message)  # (for the next receive() too)
            raise _disconnect(message)
        text = message.get("text")
        return text if text is not None else message.get("bytes") or b""

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message."""
        if isinstance(data, str):
            message: Message = {"type": "websocket.send", "text": data}
        elif isinstance(data, (bytes, bytearray, memoryview)):
            message = {"type": "websocket.send", "bytes": bytes(data)}
        else:
            raise TypeError(
                "websocket.send() sends str (a text message) or bytes (a"
                f" binary one), not {type(data).__name__}."
            )
        if self._closed_here:  # (what servers do then differs: raise, drop it)
            raise RuntimeError(
                "websocket.send() after websocket.close(): the WebSocket is closed."
            )
        if not self.accepted:
            await self.accept()
        if self._gone is not None:  # (servers drop sends to a gone client)
            raise _disconnect(self._gone)
        try:
            await self._ws_send(message)
        except OSError as e:  # the client left (uvicorn's ClientDisconnected)
            self.closed = True
            raise WebSocketDisconnect(1006) from e

    # the connection's close, not the request body's (a websocket has no files
    # for the request context to close)
    async def close(self, code: int = 1000, reason: str = "") -> None:  # type: ignore[override]
        """Close the connection with ``code`` (1000-1003, 1007-1014,
        3000-4999) and ``reason`` (123 bytes of UTF-8 at most); before
        ``accept`` this refuses it (HTTP 403)."""
        _check_close(code, reason)
        self._closed_here = True
        if not self.closed:
            self.closed = True
            await self._ws_send(
                {"type": "websocket.close", "code": code, "reason": reason}
            )


# messages, and their bytes, the watcher reads ahead for a view that does not
# receive (the bytes as for HTTP bodies: one message may pass them): beyond,
# the server holds the client back while the view takes one message in
# _READ_AHEAD_WAIT s; a view that does not (it only sends) is not reading:
# the watch goes on (to see the client leave), and past twice the read-ahead
# the connection is closed with _UNREAD
_READ_AHEAD = 32
_READ_AHEAD_BYTES = 1 << 20
_READ_AHEAD_WAIT = 5.0
_UNREAD: Message = {"code": 1008, "reason": "too many unread messages"}


def _check_close(code: t.Any, reason: t.Any) -> None:
    """A ValueError for a close that servers do not send (RFC 6455 7.4): each
    breaks the connection its own way (uvicorn and granian drop it, hypercorn
    cuts the reason), where the test client would show a clean close."""
    if (
        type(code) is not int
        or not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999)
    ):
        raise ValueError(
            f"websocket.close({code!r}): a close code is an int in 1000-1003,"
            " 1007-1014 or 3000-4999 (RFC 6455: 1004-1006 and 1015 are never"
            " sent, 3000-3999 are registered, 4000-4999 the app's own)."
        )
    if not isinstance(reason, str):
        raise TypeError(f"websocket.close()'s reason is a str, not {reason!r}.")
    size = len(reason.encode("utf-8", "surrogatepass"))
    if size > 123:
        raise ValueError(
            f"websocket.close()'s reason is {size} bytes of UTF-8: a close"
            " frame holds 123 at most (its 125 bytes, less the code's 2)."
        )


def _check_subprotocol(subprotocol: t.Any, offered: list[str]) -> None:
    """The subprotocol an accept may name: a str, one the client offered (a
    client fails the handshake for another; servers differ)."""
    if not isinstance(subprotocol, str):
        raise TypeError(
            f"websocket.accept(subprotocol, headers): the subprotocol is a str,"
            f" not {subprotocol!r} (the headers come second, by keyword:"
            " accept(headers={...}); Quart's accept takes them first)."
        )
    if subprotocol not in offered:
        raise ValueError(
            f"websocket.accept({subprotocol!r}): the subprotocol is one the client"
            f" offered ({offered or 'none'}: websocket.requested_subprotocols); a"
            " client fails the handshake for another."
        )


def _size(message: Message) -> int:
    return len(message.get("bytes") or message.get("text") or "")


def _disconnect(message: Message) -> WebSocketDisconnect:
    return WebSocketDisconnect(message.get("code", 1005), message.get("reason") or "")


def websocket_view(func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """The view registered for a WebSocket route: over plain HTTP it answers
    426; the ASGI driver runs ``func`` for a WebSocket connection."""
    if not inspect.iscoroutinefunction(func):
        raise TypeError(f"A WebSocket view must be 'async def'; {func!r} is not.")

    def view(**kwargs: t.Any) -> t.NoReturn:
        refusal = WebSocketRequired()
        refusal.upgrade = "_asgi" in _request_ctx().request.__dict__
        raise refusal

    update_wrapper(view, func)
    view._kolba_websocket = func  # type: ignore[attr-defined]
    return view


_WEB_SCHEMES = {"ws": "http", "wss": "https"}


def _origin(scheme: str, netloc: str) -> str:
    """An origin as a browser sends it: scheme://host[:port], lowercased,
    without the scheme's default port (ws and wss as http and https)."""
    scheme = scheme.strip().lower()
    scheme = _WEB_SCHEMES.get(scheme, scheme)
    netloc = netloc.strip().lower()
    default = ":443" if scheme == "https" else ":80"
    if netloc.endswith(default):
        netloc = netloc[: -len(default)]
    return f"{scheme}://{netloc}"


def _allowed_origins(value: t.Any) -> set[str]:
    """``WEBSOCKET_ALLOWED_ORIGINS`` as origins: a list, or a str of them
    separated by spaces or commas (as an environment variable gives it)."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    elif value is None:
        value = ()
    elif not isinstance(value, (list, tuple, set, frozenset)):
        raise ValueError(
            f"WEBSOCKET_ALLOWED_ORIGINS is {value!r}: make it a list of origins"
            " (scheme://host[:port]), or a str of them."
        )
    allowed = set()
    for item in value:
        if item == "*":
            allowed.add(item)
            continue
        scheme, sep, netloc = str(item).partition("://")
        netloc = netloc[:-1] if netloc.endswith("/") else netloc
        if not sep or not netloc or any(c in netloc for c in "/?#"):
            raise ValueError(
                f"WEBSOCKET_ALLOWED_ORIGINS holds {item!r}, which is no origin:"
                " write it as scheme://host[:port] (no path), or '*' for any."
            )
        allowed.add(_origin(scheme, netloc))
    return allowed


def _origin_refusal(
    app: Flask, ws: WebSocket, headers: t.Mapping[str, str]
) -> Exception | None:
    """The 403 for a handshake that a page of another origin started (or the
    ValueError of a setting that is no origin, raised once pushed): a
    browser sends the site's cookies with it (cross-site WebSocket hijacking).
    The app's own origin passes (its scheme, Host, and what a proxy's
    X-Forwarded-Proto/-Host say: a page's script cannot set them), so do
    those in ``WEBSOCKET_ALLOWED_ORIGINS`` (any with ``"*"``), and a client
    that sends no Origin: no browser."""
    # (the setting checked at every handshake: a bad one shows at once)
    try:
        allowed = _allowed_origins(app.config.get("WEBSOCKET_ALLOWED_ORIGINS"))
    except ValueError as e:
        return e
    origin = headers.get("HTTP_ORIGIN")
    if origin is None:
        return None
    scheme = ws.scheme  # (ws and wss: _origin reads them as http and https)
    host = headers.get("HTTP_HOST", "")
    own = {_origin(scheme, host)}
    proto = headers.get("HTTP_X_FORWARDED_PROTO")
    forwarded = headers.get("HTTP_X_FORWARDED_HOST")
    if proto or forwarded:
        own.add(
            _origin((proto or scheme).split(",")[0], (forwarded or host).split(",")[0])
        )
    sent_scheme, sep, netloc = origin.partition("://")
    if "*" in allowed or (sep and _origin(sent_scheme, netloc) in own | allowed):
        return None
    return Forbidden(
        f"A WebSocket handshake from the origin {origin!r}, which is not this"
        " site's: add it to WEBSOCKET_ALLOWED_ORIGINS to accept it."
    )


#: the tasks of WebSocket connections cancelled by the lifespan's shutdown
_ended_at_shutdown: weakref.WeakSet[asyncio.Task[t.Any]] = weakref.WeakSet()


async def _websocket(app: Flask, scope: Scope, receive: Receive, send: Send) -> None:
    loop = asyncio.get_running_loop()
    _cv_server_loop.set(loop)
    if "wsgi_app" in app.__dict__:  # (wrapped: by a ProxyFix too?)
        scope = _proxy_fixed(app, scope)
    ws = t.cast(
        WebSocket,
        _request(
            WebSocket,
            _request_path(scope),
            scope,
            None,
            loop,
            scope.get("kolba.environ"),
            "GET",
        ),
    )
    headers = _header_env(ws)
    ws._ws_receive = receive
    ws._ws_send = send
    ws.accepted = ws.closed = False
    ws._accepting = None
    ws._background = []
    task = asyncio.current_task()
    ws._watch_for(task)
    ctx = RequestContext(app, None, ws)  # type: ignore[arg-type]
    # (told before the push: a refused handshake opens no session)
    refused = _origin_refusal(app, ws, headers)
    if refused is not None:
        ctx._session = app.session_interface.make_null_session(app)
    try:
        app.match_request(ws)
    except Exception as e:  # a converter's own error: the connection's
        ctx._match_error = e  # (raised by the push)
    rule = ws.url_rule
    view = app.view_functions.get(rule.endpoint) if rule is not None else None
    func: t.Any = getattr(view, "_kolba_websocket", None)
    if not app._got_first_request:
        app._start_serving()
    if app._eager_session:  # (see handle)
        ctx._match_ahead = (rule, ws.view_args, ws.routing_exception)
        ws.url_rule = ws.view_args = ws.routing_exception = None
    # known to the lifespan's shutdown while open (_end_websockets)
    open_tasks: dict[t.Any, WebSocket] | None = app.__dict__.get("_kolba_websockets")
    if open_tasks is None:
        open_tasks = app.__dict__["_kolba_websockets"] = {}
    open_tasks[task] = ws
    error: BaseException | None = None
    try:
        try:
            try:
                ctx.push()
                if refused is not None:
                    raise refused
                if "HTTP_COOKIE" in headers:
                    await _open_session(app, ctx)
                names = (None, *reversed(ws.blueprints))
                for name in names:
                    for url_func in app.url_value_preprocessors.get(name, ()):
                        await _ahook(url_func, ws.endpoint, ws.view_args)
                rv = await _before_websocket(app, names)
                if rv is not None:
                    await _refuse(app, ws, rv)
                elif func is not None:
                    await func(**ws.view_args)  # type: ignore[arg-type]
                elif ws.routing_exception is not None:  # (404, a redirect...)
                    app.raise_routing_exception(ws)
                else:  # (HTTP rules only: the router's 400)
                    raise WebsocketMismatch()
            finally:  # (no await before: the watcher cancels the view only)
                _stop_watching(ws)
        except WebSocketDisconnect:
            pass
        except Exception as e:
            error = await _websocket_error(app, ws, e)
        except asyncio.CancelledError as e:
            if not ws._cancelled or _cancelled_from_outside():
                error = e  # server shutdown: "going away"
                if asyncio.current_task() in _ended_at_shutdown:  # (granian:
                    ws.closed = True  # dropped it; a send to it never returns)
                else:
                    await _close_quietly(ws, 1001)
        try:
            for name in (*ws.blueprints, None):
                for after in reversed(app.after_websocket_funcs.get(name, ())):
                    await _ahook(after)
        except Exception as e:  # as the view's: handled, 1011, the teardown's
            error = error or await _websocket_error(app, ws, e)
        await _close_quietly(ws, 1000)
        session = ctx._session
        if session is not None and session.modified:
            try:
                await _save_websocket_session(app, ctx, ws)
            except Exception as e:  # (the store's: handled, the teardown's)
                error = error or await _websocket_error(app, ws, e)
    finally:
        try:
            if app._tears_down:  # (sync teardown functions in the thread pool)
                await _apop(app, ctx, error, pool=True)
            else:
                ctx.pop(error)
        finally:
            open_tasks.pop(task, None)
        starts, ws._background = ws._background or [], None
        for start in starts:  # (one added from now on starts at once)
            start()
    if isinstance(error, asyncio.CancelledError):
        raise error


async def _save_websocket_session(
    app: Flask, ctx: RequestContext, ws: WebSocket
) -> None:
    """Save a session that a WebSocket view changed, as a request's is (in
    the thread pool if that may block): a server-side store keeps it. What
    the save would send the client, a new cookie, cannot reach it after the
    handshake: a cookie session's changes (flashes read too), or a store's
    new session id (a new session, a login or logout), are lost then, with
    a warning (once per app)."""
    interface = app.session_interface
    if interface.is_null_session(ctx._session):
        return
    response = app.response_class()
    if _session_blocks(app):
        await _in_pool(app._save_session, ctx, response)
    else:
        app._save_session(ctx, response)
    name = interface.get_cookie_name(app)
    cookies = [
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith(f"{name}=")
    ]
    sent = ws.cookies.get(name)
    if all(header.startswith(f"{name}={sent};") for header in cookies) or (
        app.__dict__.get("_kolba_ws_session_warned")
    ):
        return
    app.__dict__["_kolba_ws_session_warned"] = True
    app.logger.warning(
        f"A WebSocket view ({ws.path}) changed the session, and that change"
        " needs a new session cookie, which a WebSocket cannot send after"
        " its handshake: it is lost (a cookie session's changes, flashes"
        " read or added, a new session or id in a SESSION_STORE). Change the"
        " session in an HTTP view, or use a SESSION_STORE, which keeps the"
        " changes of a session whose id stays. (Logged once.)"
    )


def _proxy_fixed(app: Flask, scope: Scope) -> Scope:
    """The scope of a WebSocket as werkzeug's ``ProxyFix`` layers on
    ``app.wsgi_app`` (the README's advice behind a proxy) fix an HTTP
    request's environ, which a WebSocket does not go through: the client's
    address, the scheme (``wss`` for ``https``), the host and port, the
    prefix, from the X-Forwarded-* headers the layers trust. Each layer is
    copied and run on an environ of the scope, its ``app`` a function that
    takes the fixed environ."""
    layers = []
    wsgi: t.Any = app.__dict__["wsgi_app"]
    for _ in range(32):  # (down the middleware that keep the next as .app)
        if isinstance(wsgi, ProxyFix):
            layers.append(wsgi)
        wsgi = getattr(wsgi, "app", None)
        if wsgi is None:
            break
    if not layers:
        return scope
    environ = _environ(scope, None)
    before = dict(environ)
    fixed: dict[str, t.Any] = {}

    def take(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        fixed.update(environ)
        return []

    inner: t.Any = take
    for layer in reversed(layers):
        outer = copy.copy(layer)
        outer.app = inner
        inner = outer
    inner(environ, None)
    changed = {k for k in _PROXY_FIXED if fixed.get(k) != before.get(k)}
    if not changed:
        return scope
    scope = dict(scope)
    if "REMOTE_ADDR" in changed:
        scope["client"] = (fixed["REMOTE_ADDR"], (scope.get("client") or ("", 0))[1])
    if "wsgi.url_scheme" in changed:
        scheme = fixed["wsgi.url_scheme"]
        scope["scheme"] = _WS_SCHEMES.get(scheme, scheme)
    if {"SERVER_NAME", "SERVER_PORT"} & changed:
        port = fixed["SERVER_PORT"]
        scope["server"] = (fixed["SERVER_NAME"], int(port) if port.isdigit() else None)
    if "HTTP_HOST" in changed:
        host = fixed["HTTP_HOST"].encode("latin-1")
        scope["headers"] = [
            *((k, v) for k, v in scope.get("headers", ()) if k.lower() != b"host"),
            (b"host", host),
        ]
    if "SCRIPT_NAME" in changed:  # (the prefix: the path goes under it)
        root = fixed["SCRIPT_NAME"].encode("latin-1").decode("utf-8", "replace")
        scope["path"] = root.rstrip("/") + _request_path(scope)
        scope["root_path"] = root.rstrip("/")
    return scope


_PROXY_FIXED = (
    "REMOTE_ADDR",
    "wsgi.url_scheme",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_HOST",
    "SCRIPT_NAME",
)
_WS_SCHEMES = {"http": "ws", "https": "wss"}


def _stop_watching(ws: WebSocket) -> None:
    """The view has ended: its watcher stops, a cancel of its own is taken
    back (so that only one from outside stays)."""
    task = ws._task
    ws._task = None
    if ws._watcher is not None:
        ws._watcher.cancel()
    if ws._cancelled and sys.version_info >= (3, 11):
        task.uncancel()  # type: ignore[union-attr]


def _cancelled_from_outside() -> bool:
    """Whether the task is also cancelled by another than the watcher (the
    server). Python 3.10 cannot tell: a client gone then."""
    if sys.version_info >= (3, 11):
        return asyncio.current_task().cancelling() > 0  # type: ignore[union-attr]
    return False


async def _before_websocket(app: Flask, names: tuple[str | None, ...]) -> t.Any:
    """The first value a ``before_websocket`` function returns (it refuses the
    connection, as one of ``before_request`` ends a request), else None."""
    for name in names:
        for before in app.before_websocket_funcs.get(name, ()):
            rv = await _ahook(before)
            if rv is not None:
                return rv
    return None


#: Put in a WebSocket's scope by the test client (kolba.testing): a list to
#: which an error no handler took is added, for the test client to raise,
#: when the app propagates exceptions (TESTING, PROPAGATE_EXCEPTIONS); a
#: server's scope has none: its connection closes with 1011.
_TEST_ERRORS = "kolba.test_errors"


async def _websocket_error(app: Flask, ws: WebSocket, e: Exception) -> Exception | None:
    """An error of a WebSocket's view or hooks, handled as an HTTP request's:
    its error handler's answer (an HTTPException's own if none), else
    ``got_request_exception`` sent, the error logged and the 500 handler's
    answer (or a 500). That answer refuses the handshake before the accept;
    after it the connection closes (_close_code). The error for teardown
    (None: a handler took it) is returned. Under the test client, an app
    that propagates exceptions hands it to the test (_TEST_ERRORS)."""
    error: Exception | None = None
    try:
        if app._overrides & _AWAITED_METHODS:  # (sync: in the thread pool)
            rv = await _in_pool(app.handle_user_exception, e)
        else:
            # (a sync handler, which may block, in the thread pool)
            rv = await _handle_user_exception(app, e, ws, _ahook)
    except Exception as unhandled:
        error = unhandled
        raised = _scope(ws).get(_TEST_ERRORS)
        if raised is not None and app._propagates_exceptions():
            # the test client's, in testing (or PROPAGATE_EXCEPTIONS): as an
            # HTTP view's error in handle_exception, the signal is sent and
            # the error raised (in the test), neither logged nor answered
            if signals.got_request_exception.receivers:
                signals.got_request_exception.send(
                    app, _async_wrapper=app.ensure_sync, exception=unhandled
                )
            raised.append(unhandled)
            await _close_quietly(ws, 1011)
            return error
        rv = await _server_error(app, ws, unhandled)
    code = _close_code(e if error is None else error)
    if ws.accepted or ws.closed:  # (no HTTP answer after the handshake)
        await _close_quietly(ws, code)
        return error
    try:
        await _refuse(app, ws, rv, code)
    except Exception:  # (an answer that is none: no HTTP status...)
        app.log_exception(sys.exc_info())
        await _close_quietly(ws, 1011)
    return error


async def _server_error(app: Flask, ws: WebSocket, e: Exception) -> t.Any:
    """What ``handle_exception`` does for an error no handler took, but the
    response's after-request functions (a WebSocket has none): the signal,
    the log, the 500 handler's answer (a 500 if it has none or fails)."""
    if signals.got_request_exception.receivers:
        signals.got_request_exception.send(
            app, _async_wrapper=app.ensure_sync, exception=e
        )
    app.log_exception((type(e), e, e.__traceback__))
    server_error = InternalServerError(original_exception=e)
    handler = app._find_error_handler(server_error, ws.blueprints)
    if handler is None:
        return server_error
    try:
        return await _ahook(handler, server_error)  # (a sync one in the pool)
    except Exception:
        app.log_exception(sys.exc_info())
        return server_error


def _close_code(e: Exception) -> int:
    """The close code of a WebSocket ended by ``e`` after the accept: 1008
    (policy violation) for a client's error (abort(4xx)), 1013 (try again
    later) for a 503 (a session store down), else 1011 (internal error)."""
    if isinstance(e, HTTPException) and e.code is not None:
        if e.code == 503:
            return 1013
        if e.code < 500:
            return 1008
    return 1011


async def _refuse(app: Flask, ws: WebSocket, rv: t.Any, code: int = 1008) -> None:
    """Refuse the handshake with the response made of ``rv``: sent as the HTTP
    answer where the server takes one (ASGI's ``websocket.http.response``),
    else a close before the accept with ``code`` (the server answers 403)."""
    response = app.make_response(rv)
    if "websocket.http.response" not in _scope(ws).get("extensions", ()):
        await _close_quietly(ws, code)
        return
    if not 100 <= response.status_code <= 599:
        raise _no_status(response.status_code)
    ws.closed = True
    await ws._ws_send(
        {
            "type": "websocket.http.response.start",
            "status": response.status_code,
            "headers": _header_pairs(response.headers.items()),
        }
    )
    await ws._ws_send(
        {"type": "websocket.http.response.body", "body": response.get_data()}
    )


def _header_pairs(items: t.Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items]


async def _close_quietly(ws: WebSocket, code: int) -> None:
    try:
        await ws.close(code)
    except Exception:  # the connection is already gone
        ws.closed = True
