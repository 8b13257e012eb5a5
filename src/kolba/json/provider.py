"""The app's JSON provider: how kolba serializes and parses JSON."""

from __future__ import annotations

import decimal
import json
import typing as t
import uuid
import weakref
from datetime import date

from werkzeug.http import http_date

if t.TYPE_CHECKING:
    from ..app import Flask
    from ..wrappers import Response


class JSONProvider:
    """The interface: subclass it and set ``app.json_provider_class``."""

    def __init__(self, app: Flask) -> None:
        # A weak proxy: the app holds its provider, so a strong reference back
        # would keep every app alive until the cycle collector runs. It forwards
        # everything, so it is typed as the app.
        self._app = t.cast("Flask", weakref.proxy(app))

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


# DefaultJSONProvider's own, as defined (the class's may be replaced since):
# the session serializer writes and reads faster where a provider's are these.
_stdlib_dumps = DefaultJSONProvider.dumps
_stdlib_loads = DefaultJSONProvider.loads
