"""The app's JSON provider: how kolba serializes and parses JSON."""

from __future__ import annotations

import decimal
import functools
import json
import threading
import typing as t
import uuid
import weakref
from datetime import date

from werkzeug.http import http_date

if t.TYPE_CHECKING:
    from ..app import Flask
    from ..wrappers import Response


#: Providers that keep something built from their settings (see
#: ``_ProviderType``), by id (a provider need not be hashable), and the lock
#: that guards them.
_built: dict[int, weakref.ref[JSONProvider]] = {}
_built_lock = threading.RLock()

#: What a provider builds from its settings for the session serializer.
_BUILT = ("_compact_encode", "_session_loads")


#: Not empty once a provider may parse JSON its own way (a ``loads`` of its
#: own, or a provider not derived from JSONProvider): until then the session
#: serializer parses without looking the app's provider up (PERF: a read
#: of a 2-key session 13,065 instructions, with the look-up 13,528).
own_loads: list[bool] = []


def _may_parse_own_way() -> None:
    if not own_loads:
        own_loads.append(True)


class _ProviderType(type):
    """Provider classes: a setting changed on a class
    (``DefaultJSONProvider.sort_keys = False``, a new ``loads``) drops what
    every provider built from the old ones, as Flask reads them at each call.

    PERF: the session serializer's reads and writes check nothing per call.
    """

    def __init__(cls, name: str, bases: t.Any, namespace: dict[str, t.Any]) -> None:
        super().__init__(name, bases, namespace)
        if cls.__module__ != __name__ and any(
            "loads" in vars(base) for base in cls.__mro__ if base.__module__ != __name__
        ):  # (its own loads, or a mixin's)
            _may_parse_own_way()

    def __setattr__(cls, name: str, value: t.Any) -> None:
        super().__setattr__(name, value)
        if name == "loads":
            _may_parse_own_way()
        _forget_built()

    def __delattr__(cls, name: str) -> None:
        super().__delattr__(name)
        _forget_built()


def _forget_built() -> None:
    with _built_lock:
        for ref in _built.values():
            provider = ref()
            if provider is not None:
                _forget(provider)
        _built.clear()


def _gone(key: int, ref: weakref.ref[JSONProvider]) -> None:
    with _built_lock:
        if _built.get(key) is ref:
            del _built[key]


def _forget(provider: JSONProvider) -> None:
    # PERF: deleted, not popped from __dict__: reading __dict__ makes the
    # instance's attributes a dict, whose every read then costs ~270
    # instructions more (the session serializer reads one per cookie)
    for name in _BUILT:
        try:
            object.__delattr__(provider, name)
        except AttributeError:
            pass


_B = t.TypeVar("_B")
_SessionLoads = t.Callable[[str | bytes], t.Any] | t.Literal[False]


class JSONProvider(metaclass=_ProviderType):
    """The interface: subclass it and set ``app.json_provider_class``."""

    def __init__(self, app: Flask) -> None:
        # A weak proxy: the app holds its provider, so a strong reference back
        # would keep every app alive until the cycle collector runs. It forwards
        # everything, so it is typed as the app.
        self._app = t.cast("Flask", weakref.proxy(app))

    def __setattr__(self, name: str, value: t.Any) -> None:
        # A changed setting (default, sort_keys, loads, ...) drops what was
        # built from the old ones.
        object.__setattr__(self, name, value)
        if name == "loads":
            _may_parse_own_way()
        _forget(self)

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)  # (a setting of its own deleted: as set)
        _forget(self)

    def _keep(self, name: str, build: t.Callable[[], _B]) -> _B:
        """Build from the settings and keep as ``name`` until they change
        (a class changed while building waits: nothing stale is kept)."""
        with _built_lock:
            value = build()
            object.__setattr__(self, name, value)
            key = id(self)
            ref = _built.get(key)
            if ref is None or ref() is not self:
                _built[key] = weakref.ref(self, functools.partial(_gone, key))
        return value

    #: ``dumps(obj, separators=(",", ":"))`` as one call (the session
    #: serializer's), built once per provider state by :meth:`_compact`.
    _compact_encode: t.Callable[[t.Any], str] | None = None

    def _compact(self) -> t.Callable[[t.Any], str]:
        """Build and keep :attr:`_compact_encode`."""
        return self._keep("_compact_encode", self._make_compact)

    def _make_compact(self) -> t.Callable[[t.Any], str]:
        return functools.partial(self.dumps, separators=(",", ":"))

    #: How the session serializer parses: ``None`` until decided, then the
    #: provider's :meth:`loads`, or ``False`` where that is the standard
    #: library's own (the serializer's decoder gives the same, faster).
    _session_loads: _SessionLoads | None = None

    def _decide_session_loads(self) -> _SessionLoads:
        """Decide and keep :attr:`_session_loads`."""
        return self._keep("_session_loads", self._make_session_loads)

    def _make_session_loads(self) -> _SessionLoads:
        return self.loads

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` to a JSON string."""
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Serialize ``obj`` to the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse a JSON document."""
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Parse the JSON document read from ``fp``."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> t.Any:
        if args and kwargs:
            raise TypeError("jsonify() takes either arguments or keywords, not both.")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A response whose body is the JSON of the arguments."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


def _default(o: t.Any) -> t.Any:
    """Serialize the types the standard library leaves out."""
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if hasattr(o, "__dataclass_fields__") and not isinstance(o, type):
        import dataclasses

        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(
        f"Values of type {type(o).__name__} are not JSON serializable: turn it"
        " into a str, number, list or dict, or give the app's JSON provider a"
        " default()."
    )


class DefaultJSONProvider(JSONProvider):
    """The standard library's ``json`` with kolba's defaults.

    Dates become HTTP dates; ``UUID`` and ``Decimal`` strings; dataclasses
    dicts; objects with ``__html__`` their markup.
    """

    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    compact: bool | None = None
    mimetype = "application/json"

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        return json.loads(s, **kwargs)

    def _make_session_loads(self) -> _SessionLoads:
        loads = self.loads  # (one set on the instance is not a bound method)
        if getattr(loads, "__func__", None) is not _stdlib_loads:
            return loads
        return False

    def _make_compact(self) -> t.Callable[[t.Any], str]:
        # (one set on the instance is not a bound method: it is called)
        if getattr(self.dumps, "__func__", None) is not _stdlib_dumps:
            return super()._make_compact()
        # PERF: the encoder dumps() would build on every call (json.dumps
        # with options makes a new one), built once (0ac9f6f).
        return json.JSONEncoder(
            separators=(",", ":"),
            default=self.default,
            ensure_ascii=self.ensure_ascii,
            sort_keys=self.sort_keys,
        ).encode

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Pretty-printed in debug mode unless ``compact`` says otherwise."""
        obj = self._prepare_response_obj(args, kwargs)
        dump_args: dict[str, t.Any] = {}
        if (self.compact is None and self._app.debug) or self.compact is False:
            dump_args["indent"] = 2
        else:
            dump_args["separators"] = (",", ":")
        body = f"{self.dumps(obj, **dump_args)}\n"
        return self._app.response_class(body, mimetype=self.mimetype)


# DefaultJSONProvider's own, as defined (the class's may be replaced since).
_stdlib_dumps = DefaultJSONProvider.dumps
_stdlib_loads = DefaultJSONProvider.loads
