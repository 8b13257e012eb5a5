"""JSON helpers that use the current app's JSON provider when there is one."""

from __future__ import annotations

import json as _json
import typing as t

from ..globals import _NO_CTX, _cv_ctx
from .provider import _default

if t.TYPE_CHECKING:
    from ..wrappers import Response


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialize ``obj`` with the app's provider, or with kolba's defaults."""
    ctx = _cv_ctx.get(_NO_CTX)[0]
    if ctx is not None:
        return ctx.app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Serialize ``obj`` to the file ``fp``."""
    fp.write(dumps(obj, **kwargs))


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Parse JSON with the app's provider, or with the standard library.

    Nesting too deep to parse is a ``ValueError`` like any other bad JSON
    (so a request body gets a 400, not a 500).
    """
    ctx = _cv_ctx.get(_NO_CTX)[0]
    try:
        if ctx is not None:
            return ctx.app.json.loads(s, **kwargs)
        return _json.loads(s, **kwargs)
    except RecursionError:
        raise ValueError("JSON is nested too deeply to parse.") from None


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Parse JSON read from the file ``fp``."""
    return loads(fp.read(), **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """A JSON response from one value, several values (a list) or keywords."""
    ctx = _cv_ctx.get(_NO_CTX)[0]
    if ctx is None:
        raise RuntimeError(
            "jsonify() needs an application context: call it in a view or "
            "inside app.app_context()."
        )
    return ctx.app.json.response(*args, **kwargs)
