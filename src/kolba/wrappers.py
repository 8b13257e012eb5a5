"""Request and Response: werkzeug's types, built lean and lazy.

Both subclass werkzeug's wrappers so that Flask extensions and the test
client see the types they expect, but neither does work at construction:
the request computes each attribute on first use, and the response keeps
its headers as two plain values until someone asks for ``headers``.
"""

from __future__ import annotations

import abc
import collections.abc as cabc
import contextvars
import dis
import functools
import inspect
import re
import sys
import typing as t
from io import BytesIO
from types import GeneratorType
from urllib.parse import unquote

from werkzeug.datastructures import (
    Authorization,
    EnvironHeaders,
    Headers,
    IfRange,
    ImmutableMultiDict,
    MultiDict,
)
from werkzeug.exceptions import (
    BadHost,
    BadRequest,
    BadRequestKeyError,
    ClientDisconnected,
    HTTPException,
    RequestEntityTooLarge,
)
from werkzeug.formparser import FormDataParser as _WzFormDataParser
from werkzeug.http import parse_if_range_header
from werkzeug.sansio.utils import get_current_url, get_host
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Request as RequestBase  # noqa: F401  (Flask's name)
from werkzeug.wrappers import Request as _WzRequest
from werkzeug.wrappers import Response as ResponseBase  # noqa: F401  (Flask's name)
from werkzeug.wrappers import Response as _WzResponse
from werkzeug.wsgi import LimitedStream, get_input_stream

from . import json
from .globals import _NO_CTX, _cv_ctx, _get_ctx
from .helpers import _note_request_host

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.datastructures import FileStorage

    from .routing import Rule

    _V = t.TypeVar("_V")

    class _AwaitableForm(ImmutableMultiDict[str, _V]):
        """``request.form``/``.files`` for the checker: an async view may
        also ``await`` them (``_FormPart``)."""

        def __await__(self) -> t.Generator[t.Any, None, ImmutableMultiDict[str, _V]]:
            ...

_T = t.TypeVar("_T")


class _lazy(t.Generic[_T]):
    """Compute an attribute once, on first access, and keep it on the instance."""

    def __init__(self, func: t.Callable[[t.Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __get__(self, obj: t.Any, owner: type | None = None) -> _T:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.__dict__[self.name] = self.func(obj)
        return value


#: How a request built from an ASGI scope (kolba.asgi, which fills this in)
#: reads each attribute that another request reads from its environ.
_FROM_SCOPE: dict[str, t.Callable[[t.Any], t.Any]] = {}


class _lazy_scope(_lazy[_T]):
    """``_lazy``, read from the ASGI scope for a request built from one (which
    has no environ until it is asked for)."""

    def __get__(self, obj: t.Any, owner: type | None = None) -> _T:
        if obj is None:
            return self  # type: ignore[return-value]
        state = obj.__dict__
        if "_asgi" in state:
            value: _T = _FROM_SCOPE[self.name](obj)
        else:
            value = self.func(obj)
        state[self.name] = value
        return value


def _bad_host(host: str) -> BadHost:
    return BadHost(f"The Host {host!r} is not a host name.")


def _usual_host(host: str) -> bool:
    """Whether a URL can surely hold ``host`` (short, no empty label, no "--"
    as punycode has), told without the IDNA codec.

    PERF: four tests, not the codec (40x as long): a request that builds a URL
    of the host pays ~170 instructions (url_for(_external=True): 79,700 ->
    79,869); one that does not, none."""
    return len(host) < 64 and ".." not in host and "--" not in host and host[:1] != "."


def _wsgi_str(value: str) -> str:
    """Decode a WSGI latin-1 environ string as the UTF-8 it really is."""
    if value.isascii():
        return value
    return value.encode("latin-1").decode("utf-8", "replace")


def _mount_point(root: str) -> str:
    """A mount point as URLs are built from it: one leading slash, none at
    its end ("" at the root). Flask takes it as the server or a proxy's
    ``X-Forwarded-Prefix`` (through ProxyFix) gives it: "@evil.test" would end
    the host of every URL built from it, "//evil.test" make links lead there."""
    root = root.lstrip("/\\").rstrip("/")  # (browsers read a backslash as a slash)
    return "/" + root if root else ""


# werkzeug's codec error handler that percent-encodes the bytes it cannot decode.
_QUOTE_BAD_BYTES = "werkzeug.url_quote"


def _wsgi_bytes_to_text(value: str) -> str:
    """A WSGI latin-1 string of raw bytes as UTF-8 text, the bytes that are
    not UTF-8 percent-encoded."""
    return value.encode("latin-1").decode("utf-8", _QUOTE_BAD_BYTES)


def _config_value(key: str) -> t.Any:
    ctx = _cv_ctx.get(_NO_CTX)[0]
    return None if ctx is None else ctx.app.config[key]


class _AppLimit:
    """A request limit: the app's config value, unless set on the request;
    outside an app context werkzeug's default (never "no limit" by accident)."""

    def __init__(self, key: str, doc: str) -> None:
        self.key = key
        self.__doc__ = (
            f"``{key}`` of the app, or the value set on the request; werkzeug's"
            f" default outside an app context. {doc}"
        )

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.default = getattr(_WzRequest, name)

    def __get__(self, obj: t.Any, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        if self.name in obj.__dict__:
            return obj.__dict__[self.name]
        ctx = _cv_ctx.get(_NO_CTX)[0]
        return self.default if ctx is None else ctx.app.config[self.key]

    def __set__(self, obj: t.Any, value: int | None) -> None:
        obj.__dict__[self.name] = value


class FormDataParser(_WzFormDataParser):
    """werkzeug's form parser, with ``MAX_FORM_MEMORY_SIZE`` bounding
    urlencoded bodies too (werkzeug 3.1.9 stopped doing so), so that a form
    post can never fill the memory."""

    def parse(
        self,
        stream: t.IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> t.Any:
        limit = self.max_form_memory_size
        if mimetype == "application/x-www-form-urlencoded" and limit is not None:
            if content_length is not None and content_length > limit:
                raise RequestEntityTooLarge()
            stream = BytesIO(_read_at_most(stream, limit))
        return super().parse(stream, mimetype, content_length, options)

    def _parse_multipart(self, *args: t.Any) -> t.Any:
        # The files of a body that fails half-way (a 413, a cut upload) are
        # closed at once instead of left open until collected.
        opened: list[t.IO[bytes]] = []
        make_stream = self.stream_factory

        def open_stream(*a: t.Any, **kw: t.Any) -> t.IO[bytes]:
            opened.append(make_stream(*a, **kw))
            return opened[-1]

        self.stream_factory = open_stream
        try:
            stream, form, files = super()._parse_multipart(*args)
        except BaseException:
            for f in opened:
                f.close()
            raise
        finally:
            self.stream_factory = make_stream
        # RFC 7578 gives every part a name; one without is no field (werkzeug
        # would key it None, which breaks sorting and JSON).
        if None in form or None in files:
            # werkzeug keys them None, though it annotates str keys
            for f in files.getlist(None):  # type: ignore[call-overload]
                f.close()  # dropped here, so request.close() would not see it
            form, files = (
                self.cls((k, v) for k, v in d.items(multi=True) if k is not None)
                for d in (form, files)
            )
        return stream, form, files


def _read_rest(source: t.IO[bytes], body: bytes, size: int) -> bytes:
    """``body``, the first piece of a body of ``size`` bytes, and the rest of
    it (a server that gives it in pieces); 400 when it ends sooner."""
    chunks = [body]
    missing = size - len(body)
    try:
        while missing > 0:
            chunk = source.read(missing)
            if not chunk:
                raise ClientDisconnected()
            chunks.append(chunk)
            missing -= len(chunk)
    except (OSError, ValueError) as e:
        raise ClientDisconnected() from e
    return b"".join(chunks)


def _read_at_most(stream: t.IO[bytes], limit: int) -> bytes:
    """The whole stream, or a 413 as soon as it is longer than ``limit``."""
    chunks = []
    size = 0
    while chunk := stream.read(min(65536, limit + 1 - size)):
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


class Params(ImmutableMultiDict[str, t.Any]):
    """``request.args``, ``.form`` and ``.files``: werkzeug's
    ``ImmutableMultiDict``, whose ``params[key]`` costs one dict lookup."""

    def __getitem__(self, key: str) -> t.Any:
        # PERF: werkzeug's tests ``key in self`` and the list's length first
        # (~0.15 µs a read, 5 reads in the query and form rows).
        try:
            return dict.__getitem__(self, key)[0]
        except (KeyError, IndexError):
            raise BadRequestKeyError(key) from None

    def __repr__(self) -> str:
        # printed as Flask's request.args prints (logs, the debugger)
        return f"ImmutableMultiDict({list(self.items(multi=True))!r})"


class _Params(Params):
    """``request.form`` and ``.files`` parsed in a coroutine: ``await
    request.form`` gives them back, so async views read alike under both
    drivers."""

    def __await__(self) -> t.Generator[t.Any, None, _Params]:
        return self
        yield  # makes this a generator: awaiting it does not suspend


def _ready_type(base: type) -> type:
    """``base`` whose values can also be awaited (giving themselves back);
    pickled and copied as a plain ``base`` (a cache, a task queue)."""

    def __await__(self: t.Any) -> t.Generator[t.Any, None, t.Any]:
        return self
        yield  # makes this a generator: awaiting it does not suspend

    def __reduce__(self: t.Any) -> tuple[type, tuple[t.Any]]:
        return base, (base(self),)

    return type(
        f"_Ready{base.__name__.title()}",
        (base,),
        {"__await__": __await__, "__reduce__": __reduce__},
    )


# A body read in an async view whose bytes had all arrived: Flask code uses the
# value as it is (``request.get_json()["x"]``), kolba code may ``await`` it.
# None and bools cannot be subclassed: those come back as they are.
_READY: dict[type, type] = {
    base: _ready_type(base) for base in (bytes, str, dict, list, int, float)
}


def _ready(value: t.Any) -> t.Any:
    """``value``, awaitable too where its type allows it."""
    ready = _READY.get(type(value))
    return value if ready is None else ready(value)


class _Given:
    """``value`` (None, a bool: of a type that cannot also be made awaitable)
    for a caller that awaits it (:func:`_awaited`)."""

    __slots__ = ("_value",)

    def __init__(self, value: t.Any) -> None:
        self._value = value

    def __await__(self) -> t.Generator[t.Any, None, t.Any]:
        return self._value
        yield  # makes this a generator: awaiting it does not suspend


# The instructions after a call: its inline caches (Python 3.11+), then the
# GET_AWAITABLE of ``await call(...)``.
_CACHE = dis.opmap.get("CACHE", -1)
_GET_AWAITABLE = dis.opmap["GET_AWAITABLE"]


def _awaited() -> bool:
    """Whether the caller of this function's caller awaits what the call
    returns: its next instruction is ``await``'s."""
    frame = sys._getframe(2)
    code = frame.f_code.co_code
    at = frame.f_lasti + 2
    while at < len(code) and code[at] == _CACHE:
        at += 2
    return at < len(code) and code[at] == _GET_AWAITABLE


def _refuse_announced_overflow(request: t.Any) -> None:
    """A 413 at once for a body announced over ``MAX_CONTENT_LENGTH`` that
    an async view reads: no await can make it acceptable (read without
    await, it would otherwise be a pending value, not the 413 WSGI gives)."""
    limit = request.max_content_length
    length = request.content_length
    if limit is not None and length is not None and length > limit:
        raise RequestEntityTooLarge()


class _Pending:
    """``request.form``, ``.files``, ``get_data()`` or ``get_json()`` in an
    async view under ASGI before the body arrived: only ``await`` gives the
    value (any other use says so)."""

    def __init__(self, value: t.Callable[[], t.Awaitable[t.Any]]) -> None:
        self._value = value  # (called when awaited: no coroutine left unawaited)

    def __await__(self) -> t.Generator[t.Any, None, t.Any]:
        return self._value().__await__()

    def __getattr__(self, name: str) -> t.NoReturn:
        raise RuntimeError(_await_body_msg())

    def __getitem__(self, key: str) -> t.NoReturn:
        raise RuntimeError(_await_body_msg())

    def __contains__(self, key: str) -> t.NoReturn:
        raise RuntimeError(_await_body_msg())

    def __len__(self) -> t.NoReturn:
        raise RuntimeError(_await_body_msg())

    def __bool__(self) -> bool:  # raises: `if request.form:` would be always true
        raise RuntimeError(_await_body_msg())

    def __iter__(self) -> t.NoReturn:
        raise RuntimeError(_await_body_msg())

    def __repr__(self) -> str:
        return "<the request body, not read yet: await it>"


class _PendingCall(_Pending):
    """``get_data()`` or ``get_json()`` of a body still arriving: also a
    coroutine, as the call's value was, for ``asyncio.create_task()``."""

    _running: t.Any = None  # (the coroutine, once awaited or sent to)

    def _coroutine(self) -> t.Any:
        if self._running is None:
            self._running = self._value()
        return self._running

    def __await__(self) -> t.Generator[t.Any, None, t.Any]:
        return self._coroutine().__await__()  # type: ignore[no-any-return]

    def send(self, value: t.Any) -> t.Any:
        return self._coroutine().send(value)

    def throw(self, *args: t.Any) -> t.Any:
        return self._coroutine().throw(*args)

    def close(self) -> None:
        if self._running is not None:
            self._running.close()

    def __bool__(self) -> bool:
        # True for asyncio's own test of a task's coroutine (Python 3.12+'s
        # Task repr reads `if task._coro:`: an error there broke repr(task),
        # asyncio's debug and its logs); a view's `if request.get_json():`
        # still gets the clear error (the caller's module tells them apart)
        if sys._getframe(1).f_globals.get("__name__", "")[:8] == "asyncio.":
            return True
        raise RuntimeError(_await_body_msg())

    def __getattr__(self, name: str) -> t.NoReturn:
        if name[:3] in ("cr_", "gi_", "ag_") or name[:1] == "_":  # (asyncio's reads)
            raise AttributeError(name)
        raise RuntimeError(_await_body_msg())


cabc.Coroutine.register(_PendingCall)


class _FormPart:
    """``request.form`` or ``.files``: parsed on first read, then a plain
    instance attribute. Parsed in a coroutine, both are awaitable too
    (``await request.form``); under ASGI before the body has arrived, only
    ``await`` gives them."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: t.Any, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        # PERF: _body_pending() and _loop_running() in this frame (~0.1 µs).
        body = obj.environ.get("kolba.asgi.body")
        if body is not None and body.must_await():
            _refuse_announced_overflow(obj)
            mimetype = obj.mimetype
            if mimetype == _URLENCODED or mimetype == _MULTIPART:
                form_limit = obj.max_form_memory_size
                if (
                    form_limit is not None
                    and (obj.content_length or 0) > form_limit
                    and mimetype == _URLENCODED
                ):  # (as for MAX_CONTENT_LENGTH: a 413, as a WSGI server's read)
                    raise RequestEntityTooLarge()
                return _Pending(functools.partial(obj._await_form, self.__get__))
            # (another body is no form: nothing parsed, see _await_unparsed)
            return _Pending(functools.partial(obj._await_unparsed, self._parsed, obj))
        return self._parsed(obj)

    def _parsed(self, obj: t.Any) -> t.Any:
        obj._load_form_data()
        state = obj.__dict__
        if self.name not in state:
            # PERF: the urlencoded fast path makes the (empty) files only when
            # they are read (~5k instructions, 4% of the form row)
            cls = obj.parameter_storage_class
            state[self.name] = cls.__new__(cls) if cls in _PLAIN_PARAMS else cls([])
            obj._explain_missing_files()
        asyncio = sys.modules.get("asyncio")
        if asyncio is not None and asyncio._get_running_loop() is not None:
            for name in ("form", "files"):
                if type(state.get(name)) in (Params, ImmutableMultiDict):
                    state[name] = _Params(state[name])
        return state[self.name]


def _loop_running() -> bool:
    """Whether this thread runs an event loop (asyncio is imported only by
    apps that use it, so none runs while it is not imported)."""
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and asyncio._get_running_loop() is not None


def _await_body_msg() -> str:
    from .asgi import _AWAIT_BODY

    return _AWAIT_BODY


class _Watched(abc.ABCMeta):
    """The type of Request, Response and Flask. Each class decides once what
    its requests may skip (its ``_decide``); an attribute set on a class or
    deleted from it after its class statement (``app.request_class.
    max_content_length = 1024``) makes it and its subclasses decide again, and
    then whatever depends on them (``_decided_again``: the serving apps).
    Requests pay nothing for the watch. (An ABCMeta: a class with an ABC
    among its bases, as in Flask, has a type.)"""

    def __setattr__(cls, name: str, value: t.Any) -> None:
        super().__setattr__(name, value)
        if cls._watched(name):
            _decide_again(cls)

    def __delattr__(cls, name: str) -> None:
        super().__delattr__(name)
        if cls._watched(name):
            _decide_again(cls)

    def _watched(cls, name: str) -> bool:
        """Whether a change of this attribute makes the class decide again
        (not ABCMeta's own, set as each class is made)."""
        return name not in _ABC_NAMES

    def _decided_again(cls) -> None:
        error: Exception | None = None
        for changed in _CLASS_CHANGED:
            try:
                changed()
            except Exception as e:  # (raised after the others are told)
                error = error or e
        if error is not None:
            raise error


_ABC_NAMES = frozenset({"_abc_impl", "__abstractmethods__"})
#: Called after a Request or Response class decided again (kolba.app's serving
#: apps and kolba.asgi decide again what they skip).
_CLASS_CHANGED: list[t.Callable[[], None]] = []


def _decide_again(cls: _Watched) -> None:
    todo: list[type] = [cls]
    while todo:
        klass = todo.pop()
        klass._decide()  # type: ignore[attr-defined]
        todo.extend(type.__subclasses__(klass))
    cls._decided_again()


class Request(_WzRequest, metaclass=_Watched):
    """The incoming request, as ``kolba.request``.

    Routing fills in ``url_rule`` and ``view_args``; everything else is
    read from the WSGI environ (or the ASGI scope) when first used.
    """

    json_module: t.Any = json
    form_data_parser_class = FormDataParser
    parameter_storage_class = Params
    #: No form parsing step overridden: urlencoded bodies take the fast path.
    _plain_form: t.ClassVar[bool] = True
    #: The body limits are kolba's (the app's config unless set on the request).
    _app_limits: t.ClassVar[bool] = True
    #: No subclass changes how a Request is made or its method, path or environ
    #: read: the ASGI driver builds it from the scope without an environ
    #: (kolba.asgi), and both drivers may match before it is made.
    _scope_plain: t.ClassVar[bool] = True
    #: Neither get_data() nor get_json() overridden: ``data`` and ``json``
    #: call werkzeug's own; a subclass's override is called, as in Flask.
    _own_body_getters: t.ClassVar[bool] = True

    #: Neither ``blueprint``, ``blueprints`` nor ``endpoint`` overridden: the
    #: hooks run are chosen by the endpoint (else by ``request.blueprints``).
    _endpoint_blueprints: t.ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._decide()

    @classmethod
    def _decide(cls) -> None:
        """Decide what the class's requests may skip: which of kolba's own
        steps (as defined here, _OWN_REQUEST) it keeps."""

        def own(*names: str) -> bool:
            return all(getattr(cls, name, None) is _OWN_REQUEST[name] for name in names)

        decided = {
            "_plain_form": cls.form_data_parser_class is FormDataParser
            and own(*_FORM_STEPS)
            and cls.shallow is False,  # (then an instance's is in its __dict__)
            "_app_limits": own("max_content_length", "max_form_memory_size"),
            "_scope_plain": own(*_SCOPE_SETS),
            "_own_body_getters": own("get_data", "get_json"),
            "_endpoint_blueprints": own("blueprint", "blueprints", "endpoint"),
        }
        for name, value in decided.items():
            type.__setattr__(cls, name, value)

    #: Whether reading the body is refused (werkzeug's ``shallow``).
    shallow: bool = False
    #: The rule that matched, set by the app before hooks and views run.
    url_rule: Rule | None = None
    #: The arguments the rule's converters produced.
    view_args: dict[str, t.Any] | None = None
    #: The routing error (404, 405, redirect), raised after ``before_request``.
    routing_exception: HTTPException | None = None
    #: The environ's ``PATH_INFO`` was empty (its path is "/"): matching
    #: redirects it to the root's "/", as Flask does.
    _empty_path_info = False

    def __init__(
        self,
        environ: WSGIEnvironment,
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        self.environ = environ
        if shallow:  # PERF: False is the class's (~0.02 µs)
            self.shallow = shallow
        elif populate_request:
            # As in Werkzeug; the request context sets it to None as it pops
            # (as Flask's does), so that no reference cycle outlives a request.
            environ["werkzeug.request"] = self
        # Routing needs these two for every request, so they are not lazy.
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "/")
        if not path:
            self._empty_path_info = True
            path = "/"
        elif path[0] != "/" or path[:2] == "//":
            path = "/" + path.lstrip("/")
        self.path = path if path.isascii() else _wsgi_str(path)

    @_lazy
    def environ(self) -> WSGIEnvironment:
        """The WSGI environ. A request that the ASGI driver built from a scope
        makes it when first asked for, as a WSGI server would have made it."""
        from .asgi import scope_environ

        return scope_environ(self)

    @_lazy_scope
    def scheme(self) -> str:
        """``http`` or ``https``, as the server saw it."""
        scheme: str = self.environ.get("wsgi.url_scheme", "http")
        return scheme

    @_lazy_scope
    def server(self) -> tuple[str, int | None] | None:
        """The server's (host, port), or ``None`` if the server does not say."""
        name = self.environ.get("SERVER_NAME")
        if not name:
            return None
        port = self.environ.get("SERVER_PORT")
        return name, int(port) if port and port.isdigit() else None

    @_lazy_scope
    def root_path(self) -> str:
        """Where the app is mounted (``SCRIPT_NAME``), see _mount_point."""
        return _mount_point(_wsgi_str(self.environ.get("SCRIPT_NAME") or ""))

    @_lazy_scope
    def query_string(self) -> bytes:
        """The raw query string, as bytes."""
        query: str = self.environ.get("QUERY_STRING", "")
        return query.encode("latin-1")

    @_lazy_scope
    def args(self) -> MultiDict[str, str]:
        """The query parameters; bytes that are not UTF-8 stay percent-encoded,
        also when the client sent them raw (werkzeug: UnicodeDecodeError, 500)."""
        query = self.environ.get("QUERY_STRING", "")
        if not query.isascii():  # raw bytes in a WSGI latin-1 string
            query = _wsgi_bytes_to_text(query)
        return _parse_pairs(query, self.parameter_storage_class)

    @property
    def full_path(self) -> str:
        """The path and the query string, non-UTF-8 bytes percent-encoded."""
        return f"{self.path}?{self._query}"

    @property
    def _query(self) -> str:
        return self.query_string.decode("utf-8", _QUOTE_BAD_BYTES)

    @_lazy
    def host(self) -> str:
        """The host the request was sent to (``host:port``), as werkzeug reads
        it; the first read of one that no URL can hold (an empty or over-long
        label, bad punycode) is a 400, as Flask's router answers; later reads
        (that 400's handlers) give it as sent, as Flask's."""
        host = get_host(
            self.scheme, self.headers.get("host"), self.server, self.trusted_hosts
        )
        if not _usual_host(host) and host[:1] != "[":  # ([IPv6]: werkzeug's)
            try:  # as a URL of it is written (iri_to_uri) and read (uri_to_iri)
                host.partition(":")[0].lower().encode("idna").decode("idna")
            except UnicodeError:
                self.__dict__["host"] = self.__dict__["_bad_host"] = host
                raise _bad_host(host) from None
        return host

    @property
    def _checked_host(self) -> str:
        """:attr:`host`, a 400 each time if no URL can hold it: URLs are
        made of this one."""
        host = self.host
        if "_bad_host" in self.__dict__:
            raise _bad_host(host)
        return host

    @_lazy_scope
    def _host_header(self) -> str:
        """The Host header as sent ("" without one)."""
        return self.environ.get("HTTP_HOST", "")  # type: ignore[no-any-return]

    # werkzeug's URLs of the request, their host noted (logged once where
    # nothing vouches for it: helpers._note_request_host)
    @_lazy
    def url(self) -> str:
        """The full URL: scheme, host, root path, path and query string."""
        host, root = self._url_host, self.root_path
        return get_current_url(self.scheme, host, root, self.path, self.query_string)

    @_lazy
    def base_url(self) -> str:
        """:attr:`url` without the query string."""
        return get_current_url(self.scheme, self._url_host, self.root_path, self.path)

    @_lazy
    def root_url(self) -> str:
        """The scheme, host and root path: where the app is reached."""
        return get_current_url(self.scheme, self._url_host, self.root_path)

    @_lazy
    def host_url(self) -> str:
        """The scheme and host."""
        return get_current_url(self.scheme, self._url_host)

    @property
    def _url_host(self) -> str:
        if "_bad_host" in self.__dict__:  # (read by its 400's handlers and
            return self.__dict__["_bad_host"]  # type: ignore[no-any-return]
        host = self._checked_host
        ctx = _cv_ctx.get(_NO_CTX)[0]
        if ctx is not None:
            _note_request_host(ctx.app, self)
        return host

    @_lazy_scope
    def headers(self) -> Headers:
        """The request headers (read-only, case-insensitive)."""
        return EnvironHeaders(self.environ)

    @_lazy_scope
    def remote_addr(self) -> str | None:
        """The client's address, as the server (or a proxy fix) gives it."""
        return self.environ.get("REMOTE_ADDR")

    @_lazy
    def stream(self) -> t.IO[bytes]:
        """The body, read at most once; past ``MAX_CONTENT_LENGTH`` it is a 413,
        also when the body is chunked and has no Content-Length."""
        if self.shallow:
            raise RuntimeError(
                "The body of a request made with shallow=True cannot be read."
            )
        if "_form_read" in self.__dict__:
            # the urlencoded fast path read it all, as werkzeug's parser does
            return BytesIO()
        environ = self.environ
        limit = self.max_content_length
        stream = get_input_stream(environ, max_content_length=limit)
        if "wsgi.input_terminated" in environ:
            # Wrapped also without a limit: a client that goes away mid-body is
            # a 400 (ClientDisconnected), as with a Content-Length, not a 500.
            # a LimitedStream is a binary file, but typeshed's IO is nominal
            # (werkzeug's get_input_stream casts it the same way)
            return t.cast(
                t.IO[bytes],
                _MaxLengthStream(
                    environ["wsgi.input"], sys.maxsize if limit is None else limit
                ),
            )
        return stream

    # PERF: werkzeug's cached_property runs its __get__ on every read; once
    # parsed, these are plain instance attributes (~0.3 µs a read).
    form: _AwaitableForm[str] = _FormPart(  # type: ignore[assignment]
        "The form fields of a urlencoded or multipart body."
    )
    files: _AwaitableForm[FileStorage] = _FormPart(  # type: ignore[assignment]
        "The uploaded files of a multipart body."
    )

    def _load_form_data(self) -> None:
        """Parse the body into ``form`` and ``files``. An urlencoded body with
        a Content-Length is read and split here; werkzeug parses the rest."""
        state = self.__dict__
        if "form" in state:
            return
        environ = self.environ
        content_type = environ.get("CONTENT_TYPE", "")
        length = environ.get("CONTENT_LENGTH", "")
        if (
            self._plain_form
            and length.isdigit()
            and (
                content_type == _URLENCODED  # PERF: the usual header as is (~0.07 µs)
                or content_type.partition(";")[0].strip().lower() == _URLENCODED
            )
            and "stream" not in state  # (get_data() read the body first)
            and "shallow" not in state  # PERF: set only when True (~0.8k instr.)
        ):
            # PERF: no stream wrapper, form parser or parse_qsl (~12 µs); the
            # body read here with one read() for the usual server, no helper
            # frame (with the whole-body decoding in _parse_pairs: form row
            # 106.6k -> 100.1k instructions, callgrind).
            try:
                size = int(length)
            except ValueError:  # digits int() refuses: "²", over 4,300 of them
                size = 0  # (werkzeug reads no length: an empty form)
            try:
                ctx = _get_ctx()[0]  # PERF: no default to build (~0.6k instr.)
            except LookupError:
                ctx = None
            if (
                self._app_limits
                and ctx is not None
                and "max_content_length" not in state
                and "max_form_memory_size" not in state
            ):
                # PERF: both limits from one context lookup (~0.2 µs)
                config = ctx.app.config
                content_limit = config["MAX_CONTENT_LENGTH"]
                form_limit = config["MAX_FORM_MEMORY_SIZE"]
            else:
                content_limit = self.max_content_length
                form_limit = self.max_form_memory_size
            if (content_limit is not None and size > content_limit) or (
                form_limit is not None and size > form_limit
            ):
                raise RequestEntityTooLarge()
            source = environ["wsgi.input"]
            try:
                body = source.read(size)
            except (OSError, ValueError) as e:
                raise ClientDisconnected() from e
            if len(body) < size:
                body = _read_rest(source, body, size)
            try:
                text = body.decode()
            except UnicodeDecodeError:  # as werkzeug's parser: an empty form
                text = ""
            # PERF: the (empty) stream is made when read (~1.8k instructions)
            state["_form_read"] = True
            state["form"] = _parse_pairs(text, self.parameter_storage_class)
            # PERF: the files are made (and explained) when read (a view
            # reading a=1 from the form: 56,391 -> 51,674 instructions a request)
            return
        super()._load_form_data()
        self._explain_missing_files()

    # The body in async views: awaitables under both drivers. Under ASGI the
    # body comes from ``receive`` (kept in environ["kolba.asgi.body"]).

    def _sync(self, func: t.Callable[..., _T], *args: t.Any, **kwargs: t.Any) -> _T:
        """``func`` with the body read without await (werkzeug's own calls)."""
        state = self.__dict__
        if "_sync_body" in state:
            return func(*args, **kwargs)
        state["_sync_body"] = True
        try:
            return func(*args, **kwargs)
        finally:
            del state["_sync_body"]

    async def _await(
        self, func: t.Callable[..., _T], *args: t.Any, **kwargs: t.Any
    ) -> _T:
        body = self.environ.get("kolba.asgi.body")
        if body is not None:
            await body.fill(self.max_content_length)
        return self._sync(func, *args, **kwargs)

    async def _await_unparsed(
        self, func: t.Callable[..., _T], *args: t.Any, **kwargs: t.Any
    ) -> _T:
        """As _await, for a body that ``func`` does not parse (no JSON, no
        form): received for later reads (``request.data``) when within
        ``MAX_CONTENT_LENGTH``; past it, left unread, as werkzeug leaves it
        (``func`` reads none: None or an empty form, not a 413)."""
        try:
            return await self._await(func, *args, **kwargs)
        except RequestEntityTooLarge:  # (the body's, past the limit)
            return self._sync(func, *args, **kwargs)

    async def _await_form(self, get: t.Callable[[Request], _T]) -> _T:
        """``await request.form`` or ``.files`` under ASGI: the body received
        within the limits as it arrives (an urlencoded one within
        ``MAX_FORM_MEMORY_SIZE``; a multipart one in a temporary file beyond
        500 kB, as werkzeug spools uploads), then parsed."""
        limit = self.max_content_length
        spool = self.mimetype != _URLENCODED
        if not spool:
            form_limit = self.max_form_memory_size
            if form_limit is not None and (limit is None or form_limit < limit):
                limit = form_limit
        body = self.environ["kolba.asgi.body"]
        try:
            await body.fill(limit, spool)
            return self._sync(get, self)
        finally:
            body.close()  # (a temporary file the parse did not read to its end)

    def _in_coroutine(self) -> bool:
        return "_sync_body" not in self.__dict__ and _loop_running()

    def _body_pending(self) -> bool:
        """Whether more body is to come over ASGI (only ``await`` can wait)."""
        body = self.environ.get("kolba.asgi.body")
        if body is None or not body.must_await():
            return False
        _refuse_announced_overflow(self)
        return True

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> t.Any:
        """The body as bytes (or text). In an ``async def`` view it can also be
        awaited; under ASGI, before the whole body has arrived, it must be."""
        if self._in_coroutine():
            if self._body_pending():
                return _PendingCall(
                    functools.partial(
                        self._await,
                        _WzRequest.get_data,
                        self,
                        cache,
                        as_text,
                        parse_form_data,
                    )
                )
            return _ready(
                self._sync(_WzRequest.get_data, self, cache, as_text, parse_form_data)
            )
        # werkzeug's overloads take as_text only as a literal True or False
        return super().get_data(cache, as_text, parse_form_data)  # type: ignore[call-overload]

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> t.Any:
        """The body parsed as JSON. In an ``async def`` view it can also be
        awaited; under ASGI, before the whole body has arrived, it must be."""
        if self._in_coroutine():
            if self._body_pending():
                # (a body that is no JSON is not parsed: see _await_unparsed)
                wait = self._await if force or self.is_json else self._await_unparsed
                return _PendingCall(
                    functools.partial(
                        wait, _WzRequest.get_json, self, force, silent, cache
                    )
                )
            value = self._sync(_WzRequest.get_json, self, force, silent, cache)
            ready = _ready(value)
            if ready is value and _awaited():
                # None or a bool: Flask code reads it as it is (``is None``),
                # and ``await request.get_json()`` gets it
                return _Given(value)
            cached = self.__dict__.get("_cached_json")
            if ready is not value and cached is not None:
                # later reads give the same (awaitable) object, as in Flask
                self._cached_json = tuple(ready if v is value else v for v in cached)
            return ready
        return super().get_json(force, silent, cache)

    @property
    def data(self) -> bytes:
        """The body as bytes (form bodies are parsed into ``form`` instead)."""
        if self._own_body_getters:
            # PERF: werkzeug's get_data() without kolba's frame, which would
            # only pass it on (decided per class; callgrind, request.data and
            # request.json read once each: 19,553 -> 13,964 instructions)
            return self._sync(_WzRequest.get_data, self, parse_form_data=True)
        data: bytes = self._sync(self.get_data, parse_form_data=True)
        return data

    @property
    def json(self) -> t.Any:
        """The body parsed as JSON (``None`` if it is not JSON)."""
        if self._own_body_getters:
            # (PERF: as data: request.json read once, 124,805 -> 121,678
            # instructions a request)
            return self._sync(_WzRequest.get_json, self)
        return self._sync(self.get_json)

    async def iter_body(self, chunk_size: int = 65536) -> t.AsyncIterator[bytes]:
        """The body in chunks as they arrive (``async for``), within
        ``MAX_CONTENT_LENGTH``; the body is consumed."""
        body = self.environ.get("kolba.asgi.body")
        # (on the loop, also a body received whole: werkzeug's stream would
        # take one of exactly MAX_CONTENT_LENGTH read in pieces for a longer one)
        if body is not None and body.on_loop():
            if (self.content_length or 0) > (self.max_content_length or sys.maxsize):
                raise RequestEntityTooLarge()
            async for chunk in body.chunks(self.max_content_length, chunk_size):
                yield chunk
            return
        stream = self.stream
        while chunk := stream.read(chunk_size):
            yield chunk

    max_content_length: int | None = _AppLimit(  # type: ignore[assignment]
        "MAX_CONTENT_LENGTH", "The largest body; a larger one is a 413."
    )
    max_form_memory_size: int | None = _AppLimit(  # type: ignore[assignment]
        "MAX_FORM_MEMORY_SIZE", "The largest non-file form field (413 above)."
    )
    max_form_parts: int | None = _AppLimit(  # type: ignore[assignment]
        "MAX_FORM_PARTS", "The most fields a multipart body may have (413 above)."
    )

    @_lazy
    def if_range(self) -> IfRange:
        """The ``If-Range`` header; a malformed entity tag (holding a ``"``)
        reads as no header, as a malformed date does."""
        value = parse_if_range_header(self.headers.get("If-Range"))
        return IfRange() if value.etag and '"' in value.etag else value

    @_lazy
    def authorization(self) -> Authorization | None:
        """The ``Authorization`` header parsed; ``None`` if there is none or if
        it is malformed: werkzeug's answer for a Basic credential that is not
        base64 or not UTF-8, here also for one that is not ASCII (werkzeug's
        parser raises ValueError, Flask answers 500)."""
        try:
            return Authorization.from_header(self.headers.get("Authorization"))
        except ValueError:
            return None

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule."""
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The name of the blueprint the endpoint belongs to (dotted if nested)."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        parts = name.split(".")
        return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]

    def _explain_missing_files(self) -> None:
        """In debug mode, request.files[name] on a non-multipart form says why."""
        ctx = _cv_ctx.get(_NO_CTX)[0]
        if (
            ctx is not None
            and ctx.app.debug
            and self.mimetype != _MULTIPART
            and not self.files
        ):
            from .debughelpers import attach_enctype_error_multidict

            attach_enctype_error_multidict(self)

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """415 for a body that is not JSON, 400 for JSON that does not parse."""
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as error:
            ctx = _cv_ctx.get(_NO_CTX)[0]
            if ctx is not None and ctx.app.debug:
                raise
            raise type(error)() from e


# What the ASGI driver sets on a request it builds from a scope, instead of
# calling __init__: a subclass that defines one of these is built from an
# environ. (The other attributes are read on first use: a subclass's own
# property for one is used, and reads the environ.)
_SCOPE_SETS = frozenset({"__new__", "__init__", "environ", "method", "path"})
# The steps of form parsing that the urlencoded fast path stands in for.
_FORM_STEPS = (
    "make_form_data_parser",
    "_load_form_data",
    "_get_stream_for_parsing",
    "want_form_data_parsed",
    "stream",
)
# What Request._decide compares a class's attributes with: Request's own as
# defined here (a patch on Request itself is seen too).
_OWN_REQUEST = {
    name: getattr(Request, name, None)
    for name in (
        *_SCOPE_SETS,
        *_FORM_STEPS,
        "max_content_length",
        "max_form_memory_size",
        "get_data",
        "get_json",
        "blueprint",
        "blueprints",
        "endpoint",
    )
}


_new = object.__new__


def _plain_request(
    cls: type[Request], environ: WSGIEnvironment, method: str, path: str
) -> Request:
    """``cls(environ)`` for a class with Request's own __init__ and an environ
    whose method and path need no change: the attributes that __init__ sets,
    without calling it through the class, which calls __init__ through C."""
    request = _new(cls)
    request.environ = environ
    environ["werkzeug.request"] = request
    request.method = method
    request.path = path
    return request


class _MaxLengthStream(LimitedStream):
    """A server-terminated body capped at ``MAX_CONTENT_LENGTH`` (or not at all):
    reading it whole raises 413 when more follows the cap, where werkzeug
    truncates, and 400 when the client goes away."""

    def __init__(self, stream: t.IO[bytes], limit: int) -> None:
        super().__init__(stream, limit, is_max=True)
        self._source = stream

    def readinto(self, b: bytearray) -> int | None:  # type: ignore[override]
        try:
            return super().readinto(b)
        except Exception as e:
            if type(e).__module__ != "gunicorn.http.errors":
                raise
            # gunicorn's error on a body it cannot parse (InvalidChunkSize for
            # a bad chunk size), which is no OSError: a 400
            self.on_disconnect(error=e)
            return 0

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted:
            try:
                more = self._source.read(1)
            except OSError as e:
                raise ClientDisconnected() from e
            if more:
                raise RequestEntityTooLarge()
        return data


def _check_header_name(name: str) -> None:
    if "\n" in name or "\r" in name:
        raise ValueError(
            f"The header name {name!r} holds a line break (CR or LF), which"
            " would let it write other headers."
        )


# The header names set before (checked: no CR or LF) and their lowered form
# (bounded: names made from input must not grow it without end).
_KNOWN_NAMES: dict[str, str] = {}
_isprintable = str.isprintable
#: The Content-Length headers of the lengths sent so far (up to 1,000 of them).
_LENGTHS: dict[int, tuple[str, str]] = {}


def _length_pair(length: int) -> tuple[str, str]:
    """``("Content-Length", str(length))``, kept for the next response of
    that length (read as ``_LENGTHS.get(length) or _length_pair(length)``)."""
    pair = ("Content-Length", str(length))
    if len(_LENGTHS) < 1000:
        _LENGTHS[length] = pair
    return pair


class _Headers(Headers):
    """Response headers that refuse a name holding CR or LF (werkzeug checks
    only the values), checked as each header is set."""

    def add(self, key: str, value: t.Any, /, **kwargs: t.Any) -> None:
        _check_header_name(key)
        super().add(key, value, **kwargs)

    def set(self, key: str, value: t.Any, /, **kwargs: t.Any) -> None:
        _check_header_name(key)
        super().set(key, value, **kwargs)

    # The lowered names of the headers, and the last pair when they were
    # made. While it is still the last, they hold every name in the list:
    # werkzeug adds a header at the end, replaces one in place only with its
    # own name (set), and removes without adding (a removed name left in them
    # sends its next set through set()); this class's index and slice
    # assignments forget them. So a name not in them is a new header.
    # (The empty tuple is no pair: the first set makes them.)
    _last: tuple[str, str] = ()  # type: ignore[assignment]
    _names: t.MutableSet[str]

    def _lowered_names(self) -> t.MutableSet[str]:
        items = self._list
        names = self._names = {name.lower() for name, _ in items}
        self._last = items[-1]
        return names

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        items = self._list
        # PERF: a name set before (checked, lowered: _KNOWN_NAMES) that is new
        # to these headers is appended here in one frame, as werkzeug's set()
        # would append it. Its lowered name is looked up in the kept names,
        # valid while the last pair is the one kept with them (see above):
        # one lookup, not a lower() of each header's; else _set_item. A value
        # that isprintable() holds no CR or LF: one call, not two `in` tests
        # (one with a tab or another control character goes the long way).
        # A header set 3,022 -> 2,816 instructions; one more hook pair 11,330
        # -> 11,123 (callgrind, hooks row).
        # PERF: str.isprintable() tells a str (a subclass by its characters,
        # as werkzeug keeps it; anything else is a TypeError) and its
        # characters in one call, not type() then the method (a set 2,812 ->
        # 2,644 instructions, callgrind).
        try:
            if (
                _isprintable(value)
                and items[-1] is self._last
                and (name := _KNOWN_NAMES[key]) not in self._names
            ):
                pair = self._last = (key, value)
                items.append(pair)
                self._names.add(name)
                return
        except (IndexError, KeyError, TypeError):  # no header, a new name, a slice
            pass
        self._set_item(key, value)

    def _set_item(self, key: t.Any, value: t.Any) -> None:
        """``self[key] = value`` when __setitem__'s fast path does not apply."""
        if type(value) is str and isinstance(key, str):
            if "\n" in value or "\r" in value:
                raise ValueError("Header values must not contain newline characters.")
            name = _KNOWN_NAMES.get(key)
            if name is None and type(key) is str:
                _check_header_name(key)
                name = key.lower()
                if len(_KNOWN_NAMES) < 1000:
                    _KNOWN_NAMES[key] = name
            items = self._list
            if name is not None and items:
                names = (
                    self._names if items[-1] is self._last else self._lowered_names()
                )
                if name not in names:  # (a name new to kolba: as __setitem__)
                    pair = self._last = (key, value)
                    items.append(pair)
                    names.add(name)
                    return
        if isinstance(key, str):
            self.set(key, value)
            return
        if isinstance(key, int):
            _check_header_name(value[0])
        elif isinstance(key, slice):
            for name, _ in value:
                _check_header_name(name)
        self._last = ()  # type: ignore[assignment]  # (names replaced in place)
        # PERF: not super(), whose __class__ cell every call would copy in
        # (5 names set: -57 instructions a set, callgrind)
        Headers.__setitem__(self, key, value)


# PERF: object.__new__ as _Headers and Response have it, read once: read
# through the class, __new__ is an unspecialised lookup on a type (a first
# headers read 2,860 -> 2,645 instructions, callgrind)
_new_headers = _Headers.__new__

_HTML = "text/html; charset=utf-8"
# A cookie name with one of these would end or split the Set-Cookie header.
_BAD_COOKIE_NAME = re.compile(r"[\s;,=]").search


class Response(_WzResponse, metaclass=_Watched):
    """The outgoing response; the default mimetype is ``text/html``.

    Headers stay unmaterialised (a content type and a length) until the
    ``headers`` attribute is used, which keeps plain views cheap.
    """

    default_mimetype: str | None = "text/html"
    json_module: t.Any = json
    autocorrect_location_header = False

    _headers: Headers | None
    _lazy_length: int | None = None
    _default_content_type = _HTML

    #: The class overrides none of werkzeug's WSGI send methods (_SEND_METHODS):
    #: kolba's lean sends stand in for them under both drivers. Otherwise
    #: werkzeug's general path runs (decided per class, see _Watched).
    _lean_send = True
    #: Nothing set on kolba's Response since its class statement: the app's
    #: fast paths may send a str view's text as it would (see Flask._plain_response).
    _as_defined = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._decide()

    @classmethod
    def _decide(cls) -> None:
        """Decide the class's default Content-Type and whether its sends are lean."""
        if cls.default_mimetype:  # werkzeug's TestResponse mixes in with None
            type.__setattr__(
                cls, "_default_content_type", _content_type(cls.default_mimetype)
            )
        lean = all(getattr(cls, name) is _OWN_SEND[name] for name in _SEND_METHODS)
        type.__setattr__(cls, "_lean_send", lean)
        if cls is Response:
            global _lean_response
            attrs = {**vars(cls), "_as_defined": True}
            type.__setattr__(cls, "_as_defined", attrs == _RESPONSE_AS_DEFINED)
            # PERF: kolba's own class told first by the sends (see __call__)
            _lean_response = Response if lean else None

    def __init__(
        self,
        response: t.Any = None,
        status: int | str | None = None,
        headers: t.Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        if content_type is not None and ("\n" in content_type or "\r" in content_type):
            _refuse_content_type(content_type)
        if headers is None:
            # PERF: no Headers object until someone asks (~2 µs per response).
            self._headers = None
            # Per instance: force_type() may change the class after this.
            if content_type is not None:
                self._lazy_type = content_type
            elif mimetype is not None:
                self._lazy_type = _content_type(mimetype)
            else:
                self._lazy_type = self._default_content_type
        else:
            self._headers = (
                headers if isinstance(headers, Headers) else _Headers(headers)
            )
            if content_type is None:
                if mimetype is None and "content-type" not in self._headers:
                    mimetype = self.default_mimetype
                if mimetype is not None:
                    content_type = _content_type(mimetype)
            if content_type is not None:
                self._headers["Content-Type"] = content_type
        if status is None:
            status = self.default_status
        # PERF: the usual status, no lookup (Response("hi") 5,639 -> 5,217
        # instructions)
        if status == 200:
            self._status_code = 200
            self._status = _STATUS_200
        elif type(status) is int:
            # PERF: a status code's line is looked up once (~0.8 µs).
            line = _STATUS_LINES.get(status)
            if line is None:
                self.status = status
                _STATUS_LINES[status] = self._status
            else:
                self._status_code = status
                self._status = line
        else:
            self.status = status
        self.direct_passthrough = direct_passthrough
        self._on_close = []
        if response is None:
            self.response = []
        elif (
            type(response) is str
            and self._headers is None
            and self.automatically_set_content_length
        ):
            data = response.encode()
            self.response = [data]
            self._lazy_length = len(data)
        elif isinstance(response, (str, bytes, bytearray)):
            self.set_data(
                bytes(response) if isinstance(response, bytearray) else response
            )
        elif isinstance(response, cabc.AsyncIterator):
            self.response = AsyncBody(response)  # streamed by either driver
        else:
            self.response = response

    @property
    def headers(self) -> Headers:
        headers = self._headers
        if headers is None:
            # PERF: the two known-good headers go in as they are, not through
            # Headers.__init__ and extend's checks (~2.5 µs), with the lowered
            # names that _Headers.__setitem__ looks new names up in.
            headers = self._headers = _new_headers(_Headers)
            pair = ("Content-Type", self._lazy_type)
            length = self._lazy_length
            if length is None:
                headers._list = [pair]
                headers._last = pair
                headers._names = {"content-type"}
            else:
                # PERF: the length's header made once (str() of an int is
                # ~500 instructions): a first read 3,263 -> 2,918 (callgrind,
                # a body of 1,234 bytes)
                last = headers._last = _LENGTHS.get(length) or _length_pair(length)
                headers._list = [pair, last]
                headers._names = {"content-type", "content-length"}
        return headers

    @headers.setter
    def headers(self, value: t.Any) -> None:
        self._headers = value if isinstance(value, Headers) else _Headers(value)

    def set_data(self, value: bytes | str) -> None:
        """Make ``value`` the body (a str is encoded as UTF-8); Content-Length
        follows unless ``automatically_set_content_length`` is off."""
        if isinstance(value, str):
            value = value.encode()
        self.response = [value]
        if self._headers is None:
            if self.automatically_set_content_length:
                self._lazy_length = len(value)
        elif self.automatically_set_content_length:
            self._headers["Content-Length"] = str(len(value))

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        """Start the response and return the body. A body of one bytes chunk
        goes out here; anything werkzeug must adjust goes through werkzeug."""
        status = self._status_code
        if (
            not self._on_close
            and (status == 200 or status not in _NO_BODY)
            # PERF: kolba's class told first: a class attribute read through
            # the instance is unspecialised (JSON: 69,463 -> 69,361 instructions)
            and (type(self) is _lean_response or self._lean_send)
        ):
            headers = self._headers
            if headers is None:
                length = self._lazy_length
                if length is not None:
                    start_response(
                        self._status,
                        [
                            ("Content-Type", self._lazy_type),
                            _LENGTHS.get(length) or _length_pair(length),
                        ],
                    )
                    if environ.get("REQUEST_METHOD") == "HEAD":
                        return []
                    # a length is kept only for a body set as bytes (no cast:
                    # hot path)
                    return self.response  # type: ignore[return-value]
                body = self.response
                if (
                    type(body) is GeneratorType
                    and environ.get("REQUEST_METHOD") != "HEAD"
                ):  # (see the streamed body below)
                    start_response(self._status, [("Content-Type", self._lazy_type)])
                    return _streamed(body, self.close)
            elif type(headers) is _Headers or type(headers) is Headers:
                # PERF: built headers (JSON, cookies, hooks) skip werkzeug's
                # get_wsgi_response (~4 µs); it is needed only to fix URLs
                # in Location/Content-Location and to count a body.
                # A body passed through (a file) is handed over as werkzeug
                # does, but for HEAD, where werkzeug closes it.
                body = self.response
                if (
                    type(body) is list and len(body) == 1 and type(body[0]) is bytes
                ) or (
                    self.direct_passthrough and environ.get("REQUEST_METHOD") != "HEAD"
                ):
                    if _ready_to_send(
                        headers, plain_urls=not self.autocorrect_location_header
                    ):
                        # PERF: list() for to_wsgi_list() (a view returning
                        # "hi", {"X-A": "1"}: 89,984 -> 87,953 instructions)
                        start_response(self._status, list(headers._list))
                        if environ.get("REQUEST_METHOD") == "HEAD":
                            return []
                        # one bytes chunk, or a binary file passed through
                        return body  # type: ignore[return-value]
                elif (
                    type(body) is GeneratorType
                    and environ.get("REQUEST_METHOD") != "HEAD"
                    and _ready_to_send(
                        headers, not self.autocorrect_location_header, streamed=True
                    )
                ):
                    # PERF: a generator's chunks (a stream) sent through one
                    # generator of kolba's, not werkzeug's get_wsgi_response,
                    # ClosingIterator and _iter_encoded (timeit in process, a
                    # view's 1,000 chunks 233 -> 115 us, 3 chunks 19.6 -> 5.1)
                    start_response(self._status, list(headers._list))
                    return _streamed(body, self.close)
                elif (
                    type(body) is list
                    and not body
                    and self.automatically_set_content_length
                    and _lacks_length(headers)
                ):
                    # PERF: an empty body (an automatic OPTIONS answer) with
                    # the Content-Length werkzeug adds at its end (OPTIONS:
                    # 180,454 -> 118,315 instructions)
                    start_response(self._status, [*headers._list, _EMPTY_LENGTH])
                    return []
        return super().__call__(environ, start_response)

    @classmethod
    def force_type(
        cls, response: _WzResponse, environ: WSGIEnvironment | None = None
    ) -> Response:
        """Convert a werkzeug response or a WSGI app; headers carry over."""
        rv = super().force_type(response, environ)
        state = rv.__dict__
        if "_headers" not in state:
            state["_headers"] = state.pop("headers")
        # werkzeug annotates the result as its Response; it is an instance of cls
        return rv  # type: ignore[return-value]

    def _clean_status(self, value: t.Any) -> tuple[str, int]:
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            raise ValueError(
                f"The status {value!r} holds a line break (CR or LF), which"
                " would let it write headers."
            )
        return super()._clean_status(value)

    def set_cookie(self, key: str, *args: t.Any, **kwargs: t.Any) -> None:
        """Set a cookie (werkzeug's ``set_cookie``); a name holding ``;``,
        ``,``, ``=`` or whitespace is a ``ValueError``."""
        if _BAD_COOKIE_NAME(key):
            raise ValueError(
                f"The cookie name {key!r} holds ';', ',', '=' or whitespace,"
                " which would end or split its Set-Cookie header."
            )
        super().set_cookie(key, *args, **kwargs)

    # help() and inspect show werkzeug's parameters, which it passes on
    set_cookie.__signature__ = inspect.signature(_WzResponse.set_cookie)  # type: ignore[attr-defined]

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """``MAX_COOKIE_SIZE`` of the app; werkzeug warns above it."""
        size = _config_value("MAX_COOKIE_SIZE")
        return super().max_cookie_size if size is None else size


# PERF: as _new_headers (a text response made 3,370 -> 3,138 instructions)
_new_response = Response.__new__
#: kolba's Response while its sends are its own (None once one is set on it):
#: its responses need no _lean_send read.
_lean_response: type[Response] | None = Response


def _text_response(text: str) -> Response:
    """``Response(text)``: what __init__ does for a body given alone as str."""
    # PERF: none of __init__'s tests for the commonest view return (~0.1 µs).
    response = _new_response(Response)
    response._headers = None
    response._lazy_type = _HTML  # (kolba's Response as defined: see _as_defined)
    response._status_code = 200
    response._status = _STATUS_200
    response.direct_passthrough = False
    response._on_close = []
    data = text.encode()
    response.response = [data]
    response._lazy_length = len(data)
    return response


def _parse_pairs(text: str, cls: type[MultiDict[str, str]]) -> MultiDict[str, str]:
    """``a=1&b=2`` as a MultiDict: parse_qsl(keep_blank_values=True) with the
    bytes that are not UTF-8 kept percent-encoded, in one pass."""
    # PERF: ~3x cheaper than parse_qsl and MultiDict's own __init__ (5 pairs:
    # 9 -> 3 µs with escapes, 7 -> 1 µs without).
    if cls not in _PLAIN_PARAMS:
        # another class (an ImmutableOrderedMultiDict) gets the pairs in the
        # order sent, each field parsed as below
        return cls(
            [
                pair
                for field in text.split("&")
                if field
                for pair in _parse_pairs(field, MultiDict).items(multi=True)
            ]
        )
    if not text:  # PERF: an empty query (~0.1 µs)
        return cls.__new__(cls)
    lists: dict[str, list[str]] = {}
    # PERF: a "+" is a space wherever it is, and text without "%" is split
    # as it is (5 pairs: ~0.2 µs without escapes, ~0.1 µs with the form row's).
    if "+" in text:
        text = text.replace("+", " ")
    escaped = "%" in text
    if (
        escaped
        and "%26" not in text
        and not ("%3" in text and ("%3D" in text or "%3d" in text))
    ):
        # PERF: no escape makes an "&" or "=", so all are decoded at once, not
        # field by field (4 fields with 8 escapes: 6.4 -> 4.6 µs).
        text = _unquote(text)
        escaped = False
    for field in text.split("&"):
        if field:
            key, _, value = field.partition("=")
            if escaped:
                if "%" in key:
                    key = _unquote(key)
                if "%" in value:
                    value = _unquote(value)
            if key in lists:
                lists[key].append(value)
            else:
                lists[key] = [value]
    # a MultiDict is a dict of lists: fill it without its __init__
    rv = cls.__new__(cls)
    dict.update(rv, lists)
    return rv


# Classes that _parse_pairs fills without their __init__ (a dict of lists).
_PLAIN_PARAMS = frozenset({Params, ImmutableMultiDict, MultiDict})
_HEX_DIGITS = "0123456789ABCDEFabcdef"
_HEX_TO_BYTE = {
    (a + b).encode(): bytes.fromhex(a + b) for a in _HEX_DIGITS for b in _HEX_DIGITS
}


# An escape of an ASCII character ("%40") and that character.
_HEX_TO_ASCII = {
    hex.decode(): byte.decode() for hex, byte in _HEX_TO_BYTE.items() if byte < b"\x80"
}
_ascii_escape = _HEX_TO_ASCII.get


def _unquote(value: str) -> str:
    """urllib's unquote() with werkzeug's error handler, for ASCII text
    without its regular expression."""
    if not value.isascii():
        return unquote(value, "utf-8", _QUOTE_BAD_BYTES)
    pieces = value.split("%")
    text = [pieces[0]]
    # PERF: appends and a bound get, no unpacking (~1.2k instructions)
    for piece in pieces[1:]:
        char = _ascii_escape(piece[:2])
        if char is None:
            break
        text.append(char)
        text.append(piece[2:])
    else:
        # PERF: only escapes of ASCII characters: no bytes (~0.2 µs)
        return "".join(text)
    first, *rest = value.encode().split(b"%")
    out = [first]
    for part in rest:
        byte = _HEX_TO_BYTE.get(part[:2])
        if byte is None:
            out += (b"%", part)
        else:
            out += (byte, part[2:])
    return b"".join(out).decode("utf-8", _QUOTE_BAD_BYTES)


_URLENCODED = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


class AsyncBody:
    """A response body from an async iterator (a view's async generator):
    streamed on the server's loop under ASGI, through the thread's loop under
    WSGI."""

    def __init__(self, iterator: t.AsyncIterator[t.Any]) -> None:
        self._iterator = iterator
        # Under WSGI the request context ends before the body is iterated:
        # the generator runs in a copy of the view's contextvars instead.
        self._context = contextvars.copy_context()

    def __aiter__(self) -> t.AsyncIterator[t.Any]:
        return self._iterator

    def __iter__(self) -> t.Iterator[bytes]:
        from .app import _run_coroutine

        while True:
            try:
                chunk = self._context.run(_run_coroutine, self._iterator.__anext__())
            except StopAsyncIteration:
                return
            yield chunk.encode() if isinstance(chunk, str) else chunk

    async def aclose(self) -> None:
        aclose = getattr(self._iterator, "aclose", None)
        if aclose is not None:
            await aclose()

    def close(self) -> None:
        from .app import _run_coroutine

        self._context.run(_run_coroutine, self.aclose())


def _content_type(mimetype: str) -> str:
    content_type = _CONTENT_TYPES.get(mimetype)
    if content_type is None:
        # (checked once: the header goes out as it is, not through _Headers)
        if "\n" in mimetype or "\r" in mimetype:
            _refuse_content_type(mimetype)
        content_type = get_content_type(mimetype, "utf-8")
        if len(_CONTENT_TYPES) < 1000:  # (bounded: it may come from input)
            _CONTENT_TYPES[mimetype] = content_type
    return content_type


def _refuse_content_type(value: str) -> t.NoReturn:
    raise ValueError(
        f"The header Content-Type's value {value!r} holds a line break (CR or"
        " LF), which would let it write other headers."
    )


def _streamed(
    body: t.Iterator[t.Any], close: t.Callable[[], None]
) -> t.Iterator[bytes]:
    """A generator's chunks as werkzeug sends them (text encoded as UTF-8),
    the response closed at their end or when the server closes this."""
    try:
        for chunk in body:
            if type(chunk) is bytes or not isinstance(chunk, str):
                yield chunk
            else:
                yield chunk.encode()
    finally:
        close()


def _ready_to_send(
    headers: Headers, plain_urls: bool = False, streamed: bool = False
) -> bool:
    """Whether werkzeug would send these headers unchanged: they have a
    Content-Length (or the body is ``streamed``) and no URL to make safe
    (Location, Content-Location) or, with ``plain_urls``, each at most once,
    so spelled, with a value that iri_to_uri leaves as it is (_PLAIN_URL)."""
    items = headers._list
    # PERF: kolba's headers tell their names by their lowered names (a
    # superset of them, while the last pair is the one they were kept for),
    # and a lazy response's length is their second pair: no look at each
    # header (callgrind, a request of the hooks row 109,560 -> 105,553
    # instructions, of the hooks1 row 60,632 -> 59,487)
    if (
        type(headers) is _Headers
        and len(items) > 1
        and items[-1] is headers._last
        and "location" not in headers._names
        and "content-location" not in headers._names
        and items[1][0] == "Content-Length"
    ):
        return True
    length = False
    seen: tuple[str, ...] = ()
    for key, value in items:
        if len(key) in (8, 14, 16):
            lowered = key.lower()
            if lowered == "content-length":
                length = True
            elif lowered == "location" or lowered == "content-location":
                if (
                    not plain_urls
                    or key not in ("Location", "Content-Location")
                    or key in seen
                    or type(value) is not str
                    or _PLAIN_URL(value) is None
                ):
                    return False
                seen += (key,)
    return length or streamed


# PERF: a Location or Content-Location that werkzeug's iri_to_uri returns as
# it is (a path, or an http(s) URL with a lowercase ASCII host, of characters
# it leaves unquoted; no fragment, no empty query, no "//" host without a
# scheme): a redirect is sent without werkzeug's get_wsgi_response (a
# slash's 308: 307,116 -> 203,308 instructions; redirect("/") 148,938 ->
# 64,110).
_URL_CHARS = "[A-Za-z0-9._~%!$&'()*+,/:;=@-]"
# (lowercase, as urlsplit makes it; a port as int() writes it back)
_HOST = r"(?:[a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}(?::[1-9][0-9]{0,3})?"
#: A host that werkzeug's URLs of the request (uri_to_iri) and iri_to_uri
#: write as it is (the IDNA codec leaves alone an ASCII name without "xn--").
_plain_host = re.compile(rf"(?!.*xn--){_HOST}").fullmatch
_PLAIN_URL = re.compile(
    rf"(?:https?://{_HOST}"
    rf"(?:/{_URL_CHARS}*)?|(?:/(?!/){_URL_CHARS}*)?)"
    rf"(?:\?[?{_URL_CHARS[1:]}+)?"
).fullmatch


_EMPTY_LENGTH = ("Content-Length", "0")


def _lacks_length(headers: Headers) -> bool:
    """Whether werkzeug would send these headers with only a Content-Length
    added: they have none, and no URL to make safe."""
    for key, _value in headers._list:
        if len(key) in (8, 14, 16) and key.lower() in _LENGTH_OR_URL:
            return False
    return True


_LENGTH_OR_URL = frozenset({"content-length", "location", "content-location"})


# The public methods of werkzeug's WSGI send (__call__ calls get_wsgi_response,
# which calls get_wsgi_headers and get_app_iter, which call iter_encoded and
# hand close to the server), that kolba's lean sends do without.
_SEND_METHODS = (
    "__call__",
    "get_wsgi_response",
    "get_wsgi_headers",
    "get_app_iter",
    "iter_encoded",
    "close",
)
# What Response._decide compares a class's send methods with: Response's own.
_OWN_SEND = {name: getattr(Response, name) for name in _SEND_METHODS}
# ... and kolba's Response with (a patch undone makes it as defined again).
_RESPONSE_AS_DEFINED = dict(vars(Response))
# PERF: get_content_type() once per mimetype (~0.5 µs).
_CONTENT_TYPES: dict[str, str] = {}
_STATUS_LINES: dict[int, str] = {}


_STATUS_200 = "200 OK"
# Statuses whose body werkzeug strips (a 412 keeps its body): the slow path
# sends them; the ASGI driver sends them with no body.
_NO_BODY = frozenset({*range(100, 200), 204, 304})
