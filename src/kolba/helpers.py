"""Helpers for views: url_for, redirect, abort, make_response, flash, files."""

from __future__ import annotations

import importlib.util
import mimetypes
import os
import posixpath
import sys
import time
import typing as t
from functools import update_wrapper
from urllib.parse import quote

import werkzeug.http
import werkzeug.security
import werkzeug.utils
import werkzeug.wsgi
from werkzeug.exceptions import abort as _wz_abort

from .globals import _NO_CTX, _cv_ctx, _cv_get, current_app, request, session
from .routing import BuildError, _no_builder
from .signals import message_flashed


def _after_changes(
    cls: type, names: t.Iterable[str], changed: t.Callable[[t.Any], None]
) -> None:
    """Make each of ``cls``'s inherited methods ``names`` (a list's or a
    dict's changing methods) call ``changed(self)`` after it changed it,
    or failed (``update`` may fail after some items)."""

    def after(name: str) -> t.Callable[..., t.Any]:
        change = getattr(cls, name)

        def method(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            try:
                return change(self, *args, **kwargs)
            finally:  # (a change that failed part-way changed it too)
                changed(self)

        method.__name__ = name
        return method

    for name in names:
        setattr(cls, name, after(name))

if t.TYPE_CHECKING:
    from datetime import datetime

    from werkzeug.wrappers import Response as BaseResponse

    from .app import Flask
    from .routing import Rule
    from .wrappers import Response

_T = t.TypeVar("_T")
_P = t.ParamSpec("_P")


_YES = frozenset({"1", "true", "t", "yes", "y", "on"})
_NO = frozenset({"0", "false", "f", "no", "n", "off"})


def _debug_variable() -> tuple[str, bool] | None:
    """The variable that sets debug mode (``KOLBA_DEBUG``, else
    ``FLASK_DEBUG``; an empty one is unset) and whether it turns it on.

    Read as the ``flask`` command reads it (click's yes or no): case and
    surrounding spaces aside, as Windows' ``set FLASK_DEBUG=0 && ...`` leaves
    a space; any other word is a ValueError naming the variable, never debug
    mode (its debugger runs code sent to it).
    """
    for name in ("KOLBA_DEBUG", "FLASK_DEBUG"):
        value = os.environ.get(name)
        if value:
            return name, _yes_or_no(name, value)
    return None


def _yes_or_no(name: str, value: str) -> bool:
    """The variable ``name``'s ``value`` read as click reads a yes or no (see
    _debug_variable); any other word is a ValueError naming the variable."""
    word = value.strip().lower()
    if word in _YES or word in _NO or not word:
        return word in _YES
    raise ValueError(
        f"{name}={value!r} is neither yes nor no: set it to 1 or 0"
        " (or true/false, yes/no, on/off)."
    )


def get_debug_flag() -> bool:
    """Debug mode from ``KOLBA_DEBUG``/``FLASK_DEBUG`` (see _debug_variable).

    ``KOLBA_ENV``/``FLASK_ENV`` are not read here: only the ``kolba`` command
    honours them, so that an old environment file on a production host never
    turns debug on for an app imported by gunicorn or another server.
    """
    found = _debug_variable()
    return found is not None and found[1]


def get_load_dotenv(default: bool = True) -> bool:
    """False when ``KOLBA_SKIP_DOTENV`` (or ``FLASK_SKIP_DOTENV``) is set."""
    value = os.environ.get("KOLBA_SKIP_DOTENV") or os.environ.get("FLASK_SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in {"0", "false", "no"}


def get_root_path(import_name: str) -> str:
    """The folder of a module, or of a package's ``__init__``."""
    file: str | None = getattr(sys.modules.get(import_name), "__file__", None)
    if file:
        return os.path.dirname(os.path.abspath(file))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None or spec.origin in {"built-in", "frozen"}:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(spec.origin))


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """The URL of an endpoint: rule variables from ``values``, the rest as the
    query string. ``.name`` is relative to the current blueprint."""
    ctx = _cv_get(_NO_CTX)[0]
    if ctx is not None:
        app = ctx.app
        # PERF: the app's url_for as kolba defines it is not called (its
        # keyword arguments passed again) but its body, and current_app's
        # proxy not read: url_for("index") 11,194 -> 6,987 instructions,
        # url_for("user", id=42) 16,733 -> 10,983
        if type(app).url_for is _APP_URL_FOR and "url_for" not in app._overrides:
            return _url_for(app, endpoint, values, _anchor, _method, _scheme, _external)
    else:
        app = current_app  # (outside an app context: its error)
    return app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def _url_for(
    app: Flask,
    endpoint: str,
    values: dict[str, t.Any],
    anchor: str | None,
    method: str | None,
    scheme: str | None,
    external: bool | None,
) -> str:
    """``app.url_for(endpoint, **values)`` with its other arguments."""
    url_map = app.url_map
    # PERF: the endpoint's fast builder, which builds the usual URL or gives
    # None (see Map._builder); one is never for a relative name, which its
    # lookup tells (url_for("index") 25,286 -> 11,194 instructions,
    # url_for("user", id=42) 32,980 -> 16,733, with a query 48,188 -> 19,195)
    build = url_map._builders.get(endpoint)
    req_ctx = _cv_get(_NO_CTX)[1]
    # PERF: the usual call (in a request, no url_defaults, nothing else
    # asked) checks that alone first: url_for("index") 6,987 -> 6,477
    # instructions, url_for("user", id=42) 10,286 -> 9,802
    if (
        build is not None
        and req_ctx is not None
        and anchor is None
        and method is None
        and external is None
        and scheme is None
        and req_ctx.app is app
        and not app.url_default_functions
        and not app.subdomain_matching
        and "inject_url_defaults" not in app._overrides
        and (
            app._got_first_request
            or type(app).inject_url_defaults is _APP_INJECT_URL_DEFAULTS
        )
    ):
        path = build(values)
        if path is not None:
            return req_ctx.request.root_path + path
        build = _no_builder  # (it builds no URL of these values)
    if req_ctx is not None and req_ctx.app is app:
        req = req_ctx.request
        if build is None and endpoint[:1] == ".":
            blueprint = req.blueprint
            endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
        if external is None:
            external = scheme is not None
        root = req.root_path
        host: str | None = None
    else:  # (a leading dot names the request's blueprint: none here)
        if external is None:
            external = True
        host = app.config["SERVER_NAME"]
        if host is None:
            raise RuntimeError(
                "url_for() outside a request needs the SERVER_NAME setting"
                " to know the host (and APPLICATION_ROOT and"
                " PREFERRED_URL_SCHEME when they are not '/' and 'http')."
            )
        root = app.config["APPLICATION_ROOT"].rstrip("/")
        req = None
    if scheme is not None and not external:
        raise ValueError("A '_scheme' makes an absolute URL: add _external=True.")
    # (Flask always calls it: here when there is a function to call, or one
    # may be: one set on the app, or patched on its class since the app was
    # made while it does not serve yet, when it decides what it calls)
    if (
        app.url_default_functions
        or "inject_url_defaults" in app._overrides
        or not (
            app._got_first_request
            or type(app).inject_url_defaults is _APP_INJECT_URL_DEFAULTS
        )
    ):
        app.inject_url_defaults(endpoint, values)
    path = None
    if method is None:
        if build is None:
            build = url_map._builder(endpoint)
        path = build(values)
    rule: Rule | None = None
    domain: str | None = None
    if path is None:
        try:
            # (with no _method, a rule for the request's method first, as
            # werkzeug's adapter bound to the request)
            default_method = "GET" if req is None else req.method
            rule, domain, path, query = url_map.build(
                endpoint, values, method, default_method
            )
        except BuildError as error:
            if error.suggestion is None and not error.missing:
                app._suggest_endpoint(error)
            # (a copy: the error keeps the values it was given, as Flask's)
            values = {
                **values,
                "_anchor": anchor,
                "_method": method,
                "_scheme": scheme,
                "_external": external,
            }
            return app.handle_url_build_error(error, endpoint, values)
        if domain is not None and url_map.host_matching:
            here = (req.host if req is not None else host or "").lower()
            if domain != here:  # (werkzeug's adapter: a rule on its host first)
                rule, domain, path, query = url_map._build_on_host(
                    endpoint, values, method, here, default_method
                )
        if query:
            path = f"{path}?{query}"
    if (
        domain is None
        and req is not None
        and app.subdomain_matching
        and not url_map.host_matching
    ):
        domain = url_map.default_subdomain  # the main host, maybe not req's
    if domain is not None:
        if url_map.host_matching:
            host = domain
        else:
            server_name = app.config["SERVER_NAME"] or (
                req._checked_host if req else ""
            )
            server_name = server_name.lower()  # as werkzeug's bound map
            host = f"{domain}.{server_name}" if domain else server_name
        if req is not None and host != req.host.lower():
            external = True
    url = root + path
    if anchor is not None:
        url = f"{url}#{quote(anchor, safe=_ANCHOR_SAFE)}"
    if not external:
        return url
    if host is None:  # as Flask: SERVER_NAME, when set, names the host
        if not url_map.host_matching:
            host = app.config["SERVER_NAME"]
        if not host:  # the client's Host header
            host = req._checked_host  # type: ignore[union-attr]
            # PERF: no call once logged (a view's url_for(_external=True):
            # 86,186 -> 85,993 instructions a request)
            if not app._request_host_noted:
                _note_request_host(app, req)
        host = host.lower()
    # as werkzeug builds: ws:// or wss:// for a WebSocket, http:// or
    # https:// for the rest, whatever other scheme is given
    if not scheme:
        scheme = req.scheme if req is not None else app.config["PREFERRED_URL_SCHEME"]
    secure = scheme in ("https", "wss")
    if rule is None:  # (built by the fast builder: the endpoint's one rule)
        rule = url_map._by_endpoint[endpoint][0]
    if not host.isascii():  # (SERVER_NAME "пример.рф": its punycode, as Flask)
        host = _ascii_host(host)
    if rule.websocket:
        return f"{'wss' if secure else 'ws'}://{host}{url}"
    return f"{'https' if secure else 'http'}://{host}{url}"


def _ascii_host(host: str) -> str:
    """``host`` (a name, maybe with a port) in IDNA, as werkzeug's bound map
    has SERVER_NAME."""
    name, colon, port = host.partition(":")
    try:
        return name.encode("idna").decode("ascii") + colon + port
    except UnicodeError:
        raise ValueError(
            f"The host {host!r} (SERVER_NAME, or a rule's host or subdomain)"
            " is not a name IDNA can encode, so no URL can hold it."
        ) from None


#: Flask.url_for and Flask.inject_url_defaults as kolba defines them (set by
#: kolba.app, which imports this module).
_APP_URL_FOR: t.Any = None
_APP_INJECT_URL_DEFAULTS: t.Any = None
#: What url_for leaves unquoted in an anchor, as Flask.
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


def _note_request_host(app: t.Any, req: t.Any) -> None:
    """Log once per app, through its logger, that an external URL was built
    from the request's Host header where nothing vouches for it: neither
    ``TRUSTED_HOSTS`` nor ``SERVER_NAME`` set (nor ``trusted_hosts`` on the
    request class), and the app is not in debug or testing mode. A client
    chooses its Host: a forged one would be in a link the app sends another
    user (a password-reset email's)."""
    if (
        app._request_host_noted
        or app.debug
        or app.testing
        or app.config["TRUSTED_HOSTS"] is not None
        or app.config["SERVER_NAME"] is not None
        or req.trusted_hosts is not None
    ):
        return
    app._request_host_noted = True
    app.logger.warning(
        "A full URL was made with the host %r of the request's Host header"
        " (by url_for(..., _external=True), or a read of request.url, base_url,"
        " host_url or url_root, as Flask-Login's login redirect does). The"
        " client chooses its Host: a forged one would put another site in"
        " the links this app sends (a password-reset email's). Set"
        " TRUSTED_HOSTS to the host names the app serves"
        " (app.config['TRUSTED_HOSTS'] = ['example.com']: a request for another"
        " host is a 400), or SERVER_NAME to the one host to build URLs with"
        " (app.config['SERVER_NAME'] = 'example.com'). Logged once.",
        req.host,
    )


def redirect(
    location: str, code: int = 302, Response: type[BaseResponse] | None = None
) -> Response:
    """A redirect response to ``location``."""
    ctx = _cv_ctx.get(_NO_CTX)[0]
    if ctx is not None:
        return ctx.app.redirect(location, code=code)
    return werkzeug.utils.redirect(location, code=code, Response=Response)  # type: ignore[return-value]


def abort(code: int | BaseResponse, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the ``werkzeug.exceptions`` HTTP error for ``code``
    (or one that carries the given response)."""
    ctx = _cv_ctx.get(_NO_CTX)[0]
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


@t.overload
def stream_with_context(generator_or_function: t.Iterable[_T]) -> t.Iterator[_T]: ...


@t.overload
def stream_with_context(
    generator_or_function: t.AsyncIterator[_T],
) -> t.AsyncIterator[_T]: ...


@t.overload
def stream_with_context(
    generator_or_function: t.Callable[_P, t.Iterable[_T]],
) -> t.Callable[_P, t.Iterator[_T]]: ...


@t.overload
def stream_with_context(
    generator_or_function: t.Callable[_P, t.AsyncIterator[_T]],
) -> t.Callable[_P, t.AsyncIterator[_T]]: ...


def stream_with_context(generator_or_function: t.Any) -> t.Any:
    """Keep the request context while a streamed response body is generated
    (a generator, or a generator function used as a decorator). An async
    generator, whose body keeps it as it is, is given back as it is."""
    if callable(generator_or_function) and not hasattr(
        generator_or_function, "__next__"
    ):

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(generator_or_function(*args, **kwargs))

        return update_wrapper(decorator, generator_or_function)

    if hasattr(generator_or_function, "__aiter__"):
        return generator_or_function  # (an async body keeps the context)
    gen = iter(generator_or_function)
    ctx = _cv_ctx.get(_NO_CTX)[1]
    if ctx is None:
        raise RuntimeError(
            "stream_with_context() needs an active request context: wrap the"
            " generator in the view that returns it."
        )

    close = getattr(gen, "close", lambda: None)

    def generator() -> t.Iterator[t.Any]:
        ctx.push()
        error: BaseException | None = None
        try:
            try:
                yield None
            except GeneratorExit:  # closed unread, as for HEAD: not an error
                close()
                return
            try:
                yield from gen
            finally:
                close()
        except BaseException as e:
            error = e
            raise
        finally:
            # (a stream closed in another request's time, as the garbage
            # collector may free one that nothing sent, leaves that request's
            # context active: its own push is dropped with it)
            if _cv_ctx.get(_NO_CTX)[1] is ctx:
                ctx.pop(error)

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
    ctx = _cv_ctx.get(_NO_CTX)[1]
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
    path_or_file: os.PathLike[str] | str | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
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
    environ = request.environ
    # (the file is remembered, and answered again, only when sent as the app
    # sends it: no argument but max_age)
    plain = kwargs.keys() <= {"max_age"} and _plain_get(environ, app)
    if plain:
        rv = _send_static(app, environ, os.fspath(directory), os.fspath(path), kwargs)
        if rv is not None:
            return rv
    if kwargs.get("max_age") is None:
        kwargs["max_age"] = app.get_send_file_max_age
    # the app's, whatever was passed, as Flask's
    kwargs["use_x_sendfile"] = app.config["USE_X_SENDFILE"]
    kwargs["response_class"] = app.response_class
    kwargs["_root_path"] = app.root_path
    sent = werkzeug.utils.send_from_directory(directory, path, environ, **kwargs)
    if plain:
        _remember_static(
            sent, app, os.fspath(directory), os.fspath(path), kwargs
        )
    # werkzeug annotates its own Response; it made an app.response_class
    return sent  # type: ignore[return-value]


# Request headers that make werkzeug answer 206, 304, 412 or 416: with any of
# them a file goes through werkzeug's conditional and range logic.
_CONDITIONAL = frozenset(
    {
        "HTTP_RANGE",
        "HTTP_IF_RANGE",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MATCH",
    }
)
def _plain_get(environ: dict[str, t.Any], app: t.Any) -> bool:
    """A GET that asks for the whole file, unconditionally, and no X-Sendfile."""
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and _CONDITIONAL.isdisjoint(environ)
        and not app.config["USE_X_SENDFILE"]
    )


class _StaticFile(t.NamedTuple):
    """What werkzeug answered for a file, to answer again while it is the same."""

    path: str
    mtime: float
    size: int
    max_age: int | None
    headers: list[tuple[str, str]]
    date: int  # the index of Date in headers
    expires: int | None  # the index of Expires, if any
    ext: str  # the file's extension, and mimetypes' type for it then
    mimetype: str | None


# (app root path, directory, path, response class) -> the file as last sent (a
# relative directory is the app's, not the working directory's); bounded,
# cleared when full. The class is in the key: its methods (set_etag, ...) made
# the headers.
_STATIC: dict[tuple[str, str, str, type], _StaticFile] = {}
_STATIC_MAX = 1024
#: kolba.wrappers._Headers, imported when a file is first remembered (wrappers
#: imports this module). PERF: not imported in each _send_static: the
#: statement cost ~9,000 instructions a static request.
_headers_class: t.Any = None
# PERF: not type(None) called in each _send_static
_MAX_AGE_TYPES = (int, type(None))


def _static_max_age(app: t.Any, path: str, kwargs: dict[str, t.Any]) -> t.Any:
    max_age = kwargs.get("max_age")
    return app.get_send_file_max_age(path) if max_age is None else max_age


def _send_static(
    app: t.Any,
    environ: dict[str, t.Any],
    directory: str,
    path: str,
    kwargs: dict[str, t.Any],
) -> Response | None:
    """The response werkzeug would give for a file sent before and unchanged
    since: one stat, the header list built once (Date and Expires renewed);
    None when werkzeug must answer."""
    # PERF: ~70 µs less than werkzeug's send_from_directory for a 10 KB file.
    cls = app.response_class
    known = _STATIC.get((app.root_path, directory, path, cls))
    if known is None:
        return None
    try:
        stat = os.stat(known.path)
    except OSError:
        return None
    max_age = _static_max_age(app, known.path, kwargs)
    if (
        stat.st_mtime != known.mtime
        or stat.st_size != known.size
        or max_age != known.max_age
        or type(max_age) not in _MAX_AGE_TYPES
        # (a mimetypes.add_type() since: werkzeug guesses the type again)
        or mimetypes.types_map.get(known.ext) is not known.mimetype
    ):
        return None
    headers = known.headers.copy()
    now = time.time()
    headers[known.date] = ("Date", _http_date(int(now)))
    if known.expires is not None:
        headers[known.expires] = ("Expires", _http_date(int(now + max_age)))
    wsgi_headers = _headers_class()
    wsgi_headers._list = headers
    body = werkzeug.wsgi.wrap_file(environ, open(known.path, "rb"))
    return cls(body, headers=wsgi_headers, direct_passthrough=True)  # type: ignore[no-any-return]


def _remember_static(
    rv: t.Any, app: t.Any, directory: str, path: str, kwargs: dict[str, t.Any]
) -> None:
    """Keep the headers werkzeug built for a whole file, to build them once:
    the file werkzeug sent, ``directory`` under the app's root path. Only
    werkzeug's headers: not when the app's response class has an
    ``__init__`` of its own (which may add some, or read the request)."""
    global _headers_class
    from .wrappers import _CLASS_CHANGED, Response, _Headers

    if _headers_class is None:
        _headers_class = _Headers
        # A Request or Response class changed (an __init__ patched on it
        # would add its headers again on top of the remembered ones): every
        # file is sent by werkzeug again, and remembered if it may be.
        # PERF: not a check of the class's __init__ in each _send_static
        # (send_static_file 112,789 -> 112,234 instructions a call).
        _CLASS_CHANGED.append(_STATIC.clear)
    cls = app.response_class
    if rv.status_code != 200 or cls.__init__ is not Response.__init__:
        return
    root = app.root_path
    full = werkzeug.security.safe_join(directory, path)
    headers = rv.headers.to_wsgi_list()
    names = [name for name, _value in headers]
    # (only as the path is written plainly: each spelling of it, such as
    # /static/./././a.css, would be one more entry, as long as the URL)
    if full is None or "Date" not in names or posixpath.normpath(path) != path:
        return
    full = os.path.join(root, full)
    try:
        stat = os.stat(full)
    except OSError:
        return
    # (the file werkzeug sent is the one this stat saw, not one put in its
    # place since, whose length and time the headers would then belie)
    modified = rv.last_modified
    if rv.headers.get("Content-Length") != str(stat.st_size) or (
        modified is not None and int(stat.st_mtime) != int(modified.timestamp())
    ):
        return
    max_age = kwargs["max_age"]
    if callable(max_age):
        max_age = max_age(full)
    if len(_STATIC) >= _STATIC_MAX:
        _STATIC.clear()
    ext = os.path.splitext(full)[1]
    _STATIC[root, directory, path, cls] = _StaticFile(
        full,
        stat.st_mtime,
        stat.st_size,
        max_age,
        headers,
        names.index("Date"),
        names.index("Expires") if "Expires" in names else None,
        ext,
        mimetypes.types_map.get(ext),
    )


_DATES: dict[int, str] = {}


def _http_date(seconds: int) -> str:
    """``http_date()`` of a whole second, formatted once per second."""
    date = _DATES.get(seconds)
    if date is None:
        if len(_DATES) > 64:
            _DATES.clear()
        date = _DATES[seconds] = werkzeug.http.http_date(seconds)
    return date
