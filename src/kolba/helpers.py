"""Helpers for views: url_for, redirect, abort, make_response, flash, files."""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t
from functools import update_wrapper

import werkzeug.utils
from werkzeug.exceptions import abort as _wz_abort

from .globals import _cv_app, _cv_request, current_app, request, session
from .signals import message_flashed

if t.TYPE_CHECKING:
    from .wrappers import Response


def get_debug_flag() -> bool:
    """Debug mode from ``KOLBA_DEBUG``/``FLASK_DEBUG``.

    ``KOLBA_ENV``/``FLASK_ENV`` are not read here: only the ``kolba`` command
    honours them, so that an old environment file on a production host never
    turns debug on for an app imported by gunicorn or another server.
    """
    for name in ("KOLBA_DEBUG", "FLASK_DEBUG"):
        value = os.environ.get(name)
        if value:
            return value.lower() not in {"0", "false", "no", "off"}
    return False


def get_load_dotenv(default: bool = True) -> bool:
    """False when ``KOLBA_SKIP_DOTENV`` (or ``FLASK_SKIP_DOTENV``) is set."""
    value = os.environ.get("KOLBA_SKIP_DOTENV") or os.environ.get("FLASK_SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in {"0", "false", "no"}


def get_root_path(import_name: str) -> str:
    """The folder of a module, or of a package's ``__init__``."""
    module = sys.modules.get(import_name)
    if module is not None and getattr(module, "__file__", None):
        return os.path.dirname(os.path.abspath(module.__file__))  # type: ignore[arg-type]
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None or spec.origin in {"built-in", "frozen"}:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(spec.origin))


def url_for(
    endpoint: str,
    /,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """The URL of an endpoint: rule variables from ``values``, the rest as the
    query string. ``.name`` is relative to the current blueprint."""
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def redirect(location: str, code: int = 302, Response: type | None = None) -> Response:
    """A redirect response to ``location``."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        return ctx.app.redirect(location, code=code)
    return werkzeug.utils.redirect(location, code=code, Response=Response)  # type: ignore[return-value]


def abort(code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the ``werkzeug.exceptions`` HTTP error for ``code``
    (or one that carries the given response)."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    _wz_abort(code, *args, **kwargs)


def make_response(*args: t.Any) -> Response:
    """Turn a view's return value into a response, to add headers to it."""
    if not args:
        return current_app.response_class()
    if len(args) == 1:
        args = args[0]
    return current_app.make_response(args)


def stream_with_context(generator_or_function: t.Any) -> t.Any:
    """Keep the request context while a streamed response body is generated."""
    if callable(generator_or_function) and not hasattr(
        generator_or_function, "__next__"
    ):

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(generator_or_function(*args, **kwargs))

        return update_wrapper(decorator, generator_or_function)

    gen = iter(generator_or_function)
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "stream_with_context() needs an active request context: wrap the"
            " generator in the view that returns it."
        )

    close = getattr(gen, "close", lambda: None)

    def generator() -> t.Iterator[t.Any]:
        with ctx:
            try:
                yield None
            except GeneratorExit:  # closed unread, as for HEAD: not an error
                close()
                return
            try:
                yield from gen
            finally:
                close()

    wrapped = generator()
    next(wrapped)
    return wrapped


def flash(message: str, category: str = "message") -> None:
    """Store a message in the session for the next request to show."""
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if message_flashed.receivers:
        message_flashed.send(
            app, _async_wrapper=app.ensure_sync, message=message, category=category
        )


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Take the flashed messages out of the session (once per request)."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("get_flashed_messages() needs an active request context.")
    flashes = ctx.flashes
    if flashes is None:
        flashes = ctx.flashes = session.pop("_flashes") if "_flashes" in session else []
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [f[1] for f in flashes]
    return flashes


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """A macro or variable a template exports, to call from Python code."""
    template = current_app.jinja_env.get_template(template_name)
    return getattr(template.module, attribute)


def send_file(
    path_or_file: os.PathLike[t.AnyStr] | str | t.BinaryIO,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: t.Any = None,
    max_age: None | int | t.Callable[[str | None], int | None] = None,
) -> Response:
    """Send a file: a path (relative to ``root_path``) or a binary file object.

    Conditional requests (ETag, If-Modified-Since) and ranges are answered;
    the file is streamed, never read whole.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if max_age is None:
        max_age = app.get_send_file_max_age
    return werkzeug.utils.send_file(  # type: ignore[return-value]
        path_or_file,
        request.environ,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=conditional,
        etag=etag,
        last_modified=last_modified,
        max_age=max_age,
        use_x_sendfile=app.config["USE_X_SENDFILE"],
        response_class=app.response_class,
        _root_path=app.root_path,
    )


def send_from_directory(
    directory: os.PathLike[str] | str,
    path: os.PathLike[str] | str,
    **kwargs: t.Any,
) -> Response:
    """Send a file from inside ``directory``; a path that would leave it
    (``..``, absolute, backslashes) is a 404."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if kwargs.get("max_age") is None:
        kwargs["max_age"] = app.get_send_file_max_age
    kwargs.setdefault("use_x_sendfile", app.config["USE_X_SENDFILE"])
    kwargs.setdefault("response_class", app.response_class)
    kwargs.setdefault("_root_path", app.root_path)
    return werkzeug.utils.send_from_directory(  # type: ignore[return-value]
        directory, path, request.environ, **kwargs
    )
