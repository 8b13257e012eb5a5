"""The context locals: ``current_app``, ``g``, ``request``, ``session``.

Each is a proxy that looks the active context up in a :class:`ContextVar`, so
they are safe across threads and asyncio tasks.
"""

from __future__ import annotations

import copy
import math
import operator
import os
import typing as t
from contextvars import ContextVar

from werkzeug.local import LocalProxy

if t.TYPE_CHECKING:
    from .app import Flask
    from .asgi import WebSocket
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

#: The active (app context, request context); either may be None. A request
#: context is usually its own app context too: one variable to set and reset.
# PERF: one ContextVar instead of two saves a set and a reset per request (~0.2 µs).
_cv_ctx: ContextVar[tuple[AppContext | None, RequestContext | None]] = ContextVar(
    "kolba.ctx"
)
_NO_CTX: tuple[None, None] = (None, None)
# PERF: the context variable's methods as module globals: read from the
# ContextVar, each is an unspecialised lookup that makes a bound method
# (~500 instructions a read; hello 26,272 -> 24,188 with the 4 of each request)
_cv_get, _cv_set, _cv_reset = _cv_ctx.get, _cv_ctx.set, _cv_ctx.reset
#: The ASGI server's event loop, seen by the threads that run sync views.
_cv_server_loop: ContextVar[t.Any] = ContextVar("kolba.server_loop")

_no_app_msg = """\
No application context is active, so there is no current_app or g here.

Requests and CLI commands push one for you. Elsewhere (a script, a test,
a thread) wrap the code in `with app.app_context():`."""

_no_req_msg = """\
No request context is active, so there is no request or session here.

They exist while a view or hook handles a request. In tests and in the
shell, wrap the code in `with app.test_request_context():`."""


def _app_ctx() -> AppContext:
    ctx = _cv_ctx.get(_NO_CTX)[0]
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx


def _request_ctx() -> RequestContext:
    ctx = _cv_ctx.get(_NO_CTX)[1]
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    return ctx


def _explicit_getattribute(proxy: t.Any, name: str) -> t.Any:
    """``type(proxy).__getattribute__(proxy, name)``: the proxy's own
    attribute lookup, as for any object (AttributeError for the current
    object's names)."""
    return object.__getattribute__(proxy, name)


class _FastProxyType(type):
    """The proxies' class: reading ``__getattribute__`` on it (not on the
    proxy) gives the two-argument lookup that an explicit call expects."""

    # PERF: the staticmethod in the class takes the name only. Instance reads
    # find it through the type's slot, never through this method, so they
    # cost nothing more (5 request.path + 5 g.x reads: 15,180 -> 15,185
    # instructions, callgrind), where a second, optional parameter on the
    # staticmethod cost every read ~77.
    def __getattribute__(cls, name: str) -> t.Any:
        if name == "__getattribute__":
            return _explicit_getattribute
        return type.__getattribute__(cls, name)


class _ContextProxy(LocalProxy, metaclass=_FastProxyType):  # type: ignore[type-arg]
    """Forwards every operation to the object that ``get`` finds right now.

    A werkzeug ``LocalProxy``, as Flask's are (extensions test for one), with
    kolba's own lookups."""

    __slots__ = ()

    def __init__(self, get: t.Callable[[], t.Any]) -> None:
        object.__setattr__(self, "_get_current_object", get)

    def __getattribute__(self, name: str) -> t.Any:
        # PERF: a name the proxy lacks is forwarded here, not by __getattr__
        # after the ordinary lookup raised AttributeError inside CPython
        # (app_ctx.app: 6,577 -> 3,281 instructions a read, callgrind)
        if name in _CONTEXT_PROXY_OWN:
            return object.__getattribute__(self, name)
        return getattr(_current_object_of(self)(), name)

    def __getattr__(self, name: str) -> t.Any:
        # (reached when the proxy's own lookup or the object raised
        # AttributeError: the object is asked, as before)
        return getattr(self._get_current_object(), name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        setattr(self._get_current_object(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get_current_object(), name)

    def __getitem__(self, key: t.Any) -> t.Any:
        return self._get_current_object()[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        self._get_current_object()[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del self._get_current_object()[key]

    def __contains__(self, item: t.Any) -> bool:
        return item in self._get_current_object()

    def __iter__(self) -> t.Iterator[t.Any]:
        try:
            obj = self._get_current_object()
        except RuntimeError:  # outside its context, as werkzeug's proxy
            raise TypeError("'LocalProxy' object is not iterable (unbound)") from None
        return iter(obj)

    def __len__(self) -> int:
        return len(self._get_current_object())

    def __bool__(self) -> bool:
        try:
            return bool(self._get_current_object())
        except RuntimeError:
            return False

    def __hash__(self) -> int:  # (== and the order: see _compared)
        try:
            obj = self._get_current_object()
        except RuntimeError:  # outside its context, as werkzeug's proxy
            raise TypeError("unhashable type: 'LocalProxy' (unbound)") from None
        return hash(obj)

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return self._get_current_object()(*args, **kwargs)

    def __repr__(self) -> str:
        try:
            return repr(self._get_current_object())
        except RuntimeError:
            return "<LocalProxy unbound>"  # as werkzeug's, which this is

    def __str__(self) -> str:
        return str(self._get_current_object())

    def __dir__(self) -> list[str]:
        try:
            return dir(self._get_current_object())
        except RuntimeError:
            return []

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # makes isinstance(request, Request) work
        try:
            return type(self._get_current_object())
        except RuntimeError:
            return _ContextProxy


def _websocket() -> t.Any:
    ws = _request_ctx().request
    if not hasattr(ws, "_ws_send"):
        raise RuntimeError(
            "This is an HTTP request, not a WebSocket: 'websocket' works in"
            " views registered with @app.websocket(...)."
        )
    return ws


def _forward(op: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def special(self: _ContextProxy, *args: t.Any) -> t.Any:
        return op(self._get_current_object(), *args)

    special.__name__ = getattr(op, "__name__", "special")
    return special


def _compared(op: t.Callable[[t.Any, t.Any], t.Any]) -> t.Callable[..., t.Any]:
    def special(self: _ContextProxy, other: t.Any) -> t.Any:
        try:
            obj = self._get_current_object()
        except RuntimeError:  # outside its context, as werkzeug's proxy (Python
            # drops the error of its comparison lookup): compared by identity
            return NotImplemented
        return op(obj, other)

    special.__name__ = op.__name__
    return special


def _reflected(op: t.Callable[[t.Any, t.Any], t.Any]) -> t.Callable[..., t.Any]:
    return _forward(lambda obj, other: op(other, obj))


def _special(name: str) -> t.Callable[..., t.Any]:
    """The object's own special method ``name``, looked up on its type."""
    return _forward(lambda obj, *args: getattr(type(obj), name)(obj, *args))


_BINARY: dict[str, t.Callable[[t.Any, t.Any], t.Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "matmul": operator.matmul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "divmod": divmod,
    "pow": pow, "lshift": operator.lshift, "rshift": operator.rshift,
    "and": operator.and_, "xor": operator.xor, "or": operator.or_,
}  # fmt: skip
_INPLACE: dict[str, t.Callable[[t.Any, t.Any], t.Any]] = {
    "add": operator.iadd, "sub": operator.isub, "mul": operator.imul,
    "matmul": operator.imatmul, "truediv": operator.itruediv,
    "floordiv": operator.ifloordiv, "mod": operator.imod, "pow": operator.ipow,
    "lshift": operator.ilshift, "rshift": operator.irshift,
    "and": operator.iand, "xor": operator.ixor, "or": operator.ior,
}  # fmt: skip
_COMPARED: dict[str, t.Callable[[t.Any, t.Any], t.Any]] = {
    "eq": operator.eq, "ne": operator.ne,
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}  # fmt: skip
_OTHER: dict[str, t.Callable[..., t.Any]] = {
    "neg": operator.neg, "pos": operator.pos, "abs": abs,
    "invert": operator.invert, "index": operator.index, "int": int,
    "float": float, "complex": complex, "bytes": bytes, "round": round,
    "trunc": math.trunc, "floor": math.floor, "ceil": math.ceil,
    "format": format, "reversed": reversed, "length_hint": operator.length_hint,
    "fspath": os.fspath, "copy": copy.copy, "deepcopy": copy.deepcopy,
}  # fmt: skip
# Python looks special methods up on the type, never through __getattr__: each
# is forwarded here, as werkzeug's LocalProxy does.
for _name, _op in _BINARY.items():
    setattr(_ContextProxy, f"__{_name}__", _forward(_op))
    setattr(_ContextProxy, f"__r{_name}__", _reflected(_op))
for _name, _op in _INPLACE.items():
    setattr(_ContextProxy, f"__i{_name}__", _forward(_op))
for _name, _op in _COMPARED.items():
    setattr(_ContextProxy, f"__{_name}__", _compared(_op))
for _name, _op in _OTHER.items():
    setattr(_ContextProxy, f"__{_name}__", _forward(_op))
for _name in (
    "__enter__", "__exit__", "__aenter__", "__aexit__", "__await__",
    "__aiter__", "__anext__", "__next__",
):  # fmt: skip
    setattr(_ContextProxy, _name, _special(_name))
del _name, _op
#: proxy -> its _get_current_object (the slot read without a lookup by name)
_current_object_of = LocalProxy.__dict__["_get_current_object"].__get__
#: The names a plain context proxy answers itself: those its class has, once
#: complete (the forwarded special methods set above included).
_CONTEXT_PROXY_OWN = frozenset(dir(_ContextProxy)) | {"_get_current_object"}


def _proxy_attribute(proxy: t.Any, name: str) -> t.Any:
    """A dunder or the proxy's own attribute, as a plain proxy finds it."""
    try:
        return object.__getattribute__(proxy, name)
    except AttributeError:
        return getattr(proxy._get_current_object(), name)


# The proxies below read a plain attribute with __getattribute__: a
# __getattr__ is only reached after the normal lookup raised AttributeError.
# PERF: one frame and no exception per read (0.9 -> 0.15 µs).
# PERF: __getattribute__ is a staticmethod: Python calls it as it is, where
# a function is first bound to the proxy, a method object made and freed per
# read (-310 instructions a read). Each class has one instance, the module's
# proxy, whose own attributes it reads.
# PERF: the proxy's own names are told by one set lookup, not by the name's
# first characters (request.path: 2,710 -> 2,290 instructions, callgrind).
# PERF: the context is read without a default and without a None test: a
# missing one shows as the LookupError or AttributeError that follows,
# told apart from the object's own afterwards (0.18 -> 0.14 µs a read).
# (typed loosely: a None context raises AttributeError, caught there)
_get_ctx: t.Callable[[], tuple[t.Any, t.Any]] = _cv_get


class _RequestProxy(_ContextProxy):
    """``request``: an attribute read costs one context lookup."""

    __slots__ = ()

    @staticmethod
    def __getattribute__(name: str) -> t.Any:  # type: ignore[misc]
        if name in _PROXY_OWN:
            return _proxy_attribute(request, name)
        try:
            return getattr(_get_ctx()[1].request, name)
        except (LookupError, AttributeError):
            if _cv_ctx.get(_NO_CTX)[1] is None:
                raise RuntimeError(_no_req_msg) from None
            raise


class _SessionProxy(_ContextProxy):
    """``session``: an attribute read costs one context lookup."""

    __slots__ = ()

    @staticmethod
    def __getattribute__(name: str) -> t.Any:  # type: ignore[misc]
        if name in _PROXY_OWN:
            return _proxy_attribute(session, name)
        try:
            return getattr(_get_ctx()[1].session, name)
        except (LookupError, AttributeError):
            if _cv_ctx.get(_NO_CTX)[1] is None:
                raise RuntimeError(_no_req_msg) from None
            raise


class _AppProxy(_ContextProxy):
    """``current_app``: an attribute read costs one context lookup."""

    __slots__ = ()

    @staticmethod
    def __getattribute__(name: str) -> t.Any:  # type: ignore[misc]
        if name in _PROXY_OWN:
            return _proxy_attribute(current_app, name)
        try:
            return getattr(_get_ctx()[0].app, name)
        except (LookupError, AttributeError):
            if _cv_ctx.get(_NO_CTX)[0] is None:
                raise RuntimeError(_no_app_msg) from None
            raise


def _g() -> _AppCtxGlobals:
    ctx = _cv_ctx.get(_NO_CTX)[0]
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    g = ctx._g
    return ctx.g if g is None else g


class _GProxy(_ContextProxy):
    """``g``: reading or setting an attribute costs one context lookup,
    once the namespace exists."""

    __slots__ = ()

    @staticmethod
    def __getattribute__(name: str) -> t.Any:  # type: ignore[misc]
        if name in _PROXY_OWN:
            return _proxy_attribute(g, name)
        try:
            made = _get_ctx()[0]._g
        except (LookupError, AttributeError):  # no context: None has no _g
            raise RuntimeError(_no_app_msg) from None
        if made is None:  # PERF: the context read again only then (-35 a read)
            made = _get_ctx()[0].g
        return getattr(made, name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        try:
            ctx = _get_ctx()[0]
            g = ctx._g
        except (LookupError, AttributeError):
            raise RuntimeError(_no_app_msg) from None
        setattr(ctx.g if g is None else g, name, value)


#: The names a proxy answers itself (the dunders it has, as a plain proxy
#: finds them); any other name is the current object's.
_PROXY_OWN = frozenset(
    name
    for cls in (_RequestProxy, _SessionProxy, _AppProxy, _GProxy)
    for name in dir(cls)
    if name[:2] == "__"
) | {"_get_current_object"}

current_app: Flask = _AppProxy(lambda: _app_ctx().app)  # type: ignore[assignment]
g: _AppCtxGlobals = _GProxy(_g)  # type: ignore[assignment]
app_ctx: AppContext = _ContextProxy(lambda: _app_ctx()._as_app_context())  # type: ignore[assignment]
request: Request = _RequestProxy(lambda: _request_ctx().request)  # type: ignore[assignment]
session: SessionMixin = _SessionProxy(lambda: _request_ctx().session)  # type: ignore[assignment]
request_ctx: RequestContext = _ContextProxy(_request_ctx)  # type: ignore[assignment]
websocket: WebSocket = _ContextProxy(_websocket)  # type: ignore[assignment]


class _ContextVarView:
    """Flask's ``_cv_app`` and ``_cv_request`` for code that reads them: the
    app or the request part of kolba's one context variable, read-only."""

    __slots__ = ("_part", "name")

    def __init__(self, name: str, part: int) -> None:
        self.name = name
        self._part = part

    def get(self, *default: t.Any) -> t.Any:
        """The active context; ``default`` if none, else LookupError."""
        ctx = _cv_ctx.get(_NO_CTX)[self._part]
        if ctx is not None:
            return ctx if self._part else ctx._as_app_context()
        if default:
            return default[0]
        raise LookupError(self.name)


_cv_app = _ContextVarView("flask.app_ctx", 0)
_cv_request = _ContextVarView("flask.request_ctx", 1)
