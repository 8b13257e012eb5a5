"""The application: registries, the WSGI entry, dispatch, responses, errors."""

from __future__ import annotations

import collections.abc as cabc
import enum
import inspect
import os
import sys
import threading
import typing as t
import weakref
from datetime import timedelta
from functools import cached_property
from types import CoroutineType, FunctionType
from urllib.parse import quote, urljoin

from markupsafe import escape as _escape
from werkzeug.datastructures import Headers, ImmutableDict
from werkzeug.exceptions import (
    Aborter,
    BadHost,
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
)
from werkzeug.routing import RoutingException
from werkzeug.utils import redirect as _wz_redirect
from werkzeug.wrappers import Response as BaseResponse

from . import helpers as _helpers
from . import signals
from .config import Config, ConfigAttribute, tells_changes
from .ctx import (
    AppContext,
    RequestContext,
    _AppCtxGlobals,
    _LazyRequestContext,
)
from .globals import (
    _NO_CTX,
    _cv_get,
    _cv_reset,
    _cv_server_loop,
    _cv_set,
    _request_ctx,
    request,
)
from .helpers import _note_request_host, _url_for, get_debug_flag
from .json.provider import DefaultJSONProvider, JSONProvider
from .routing import (
    BuildError,
    Map,
    MapAdapter,
    RequestRedirect,
    Rule,
    _redirect_host,
    _RedirectTo,
)
from .sansio.scaffold import (  # noqa: F401  # flask.app's public type variables
    T_shell_context_processor,
    T_teardown,
    T_template_filter,
    T_template_global,
    T_template_test,
)
from .scaffold import (
    _FIRST_REQUEST,
    _JSON,
    Scaffold,
    _endpoint_from_view_func,
    _HookList,
    _HookRegistry,
    _registering,
    _Removed,
    find_package,
    setupmethod,
)
from .sessions import DefaultSessionInterface, SessionInterface, opens_lazily
from .wrappers import (
    _CLASS_CHANGED,
    _STATUS_200,
    Request,
    Response,
    _mount_point,
    _plain_host,
    _plain_request,
    _text_response,
    _usual_host,
    _Watched,
)

_new = object.__new__
# werkzeug's redirect page, around the place of the (escaped) location
_REDIRECT_PAGE = tuple(
    _wz_redirect("\0", Response=BaseResponse).get_data(as_text=True).split("\0")
)

if t.TYPE_CHECKING:
    import logging
    from contextvars import Token

    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.routing import BuildError as WerkzeugBuildError

    from . import typing as ft
    from .blueprints import Blueprint
    from .cli import KolbaCliRunner
    from .ctx import _State
    from .sansio.scaffold import (
        T_serving,
        T_shell_context_processor,
        T_teardown,
        T_template_test,
    )
    from .templating import DispatchingJinjaLoader, Environment
    from .testing import KolbaClient

    _P = t.ParamSpec("_P")

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_sentinel = object()


class _Missing(enum.Enum):
    """A "not cached" marker that type checkers narrow with ``is``."""

    MISSING = 0


_MISSING = _Missing.MISSING
_RETURN_TYPES = (
    "a str, bytes, dict, list, generator, Response, WSGI callable, or a tuple"
    " of one of these with a status and/or headers"
)


def _make_timedelta(value: timedelta | int) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


# The methods of Flask that its request cycle calls. A subclass that overrides
# any of them has it called with Flask's arguments; the class decides which
# once (__init_subclass__), so that an app that overrides nothing pays nothing.
_CYCLE_METHODS = frozenset(
    {
        "wsgi_app",
        "asgi_app",
        "request_context",
        "app_context",
        "full_dispatch_request",
        "preprocess_request",
        "dispatch_request",
        "make_response",
        "finalize_request",
        "process_response",
        "handle_user_exception",
        "handle_http_exception",
        "handle_exception",
        "log_exception",
        "do_teardown_request",
        "do_teardown_appcontext",
        "ensure_sync",
        "async_to_sync",
        "create_url_adapter",
        "raise_routing_exception",
        "url_for",
        "inject_url_defaults",
        "make_default_options_response",
        "should_ignore_error",
    }
)
# Those that _full_dispatch() runs fused: overriding one turns fusing off.
_FUSED_METHODS = frozenset(
    {
        "full_dispatch_request",
        "preprocess_request",
        "dispatch_request",
        "make_response",
        "finalize_request",
        "process_response",
        "ensure_sync",
        "async_to_sync",
    }
)


_loops = threading.local()


#: The event loops of the parent of a fork (see _forget_loops)
_parents_loops: list[threading.local] = []


def _forget_loops() -> None:
    """In the child of a fork: event loops of its own, since a parent's loop
    shares its epoll and wake-up pipe with the parent. The parent's is kept,
    never closed: closing it would take the wake-up pipe out of the epoll they
    share, and the parent's loop would never wake for a thread's result."""
    global _loops
    _parents_loops.append(_loops)
    _loops = threading.local()


os.register_at_fork(after_in_child=_forget_loops)
_told_real_flask = False  # (logged once a process: see real_flask_hint)


class _LoopCloser:
    """Closes a thread's event loop when the thread ends and its locals go
    (a thread per request, as the development server has, leaks none)."""

    __slots__ = ("loop",)

    def __init__(self, loop: t.Any) -> None:
        self.loop = loop

    def __del__(self) -> None:
        self.loop.close()


def _server_loop() -> t.Any:
    """The event loop of the ASGI server whose request this context (or the
    copy a thread runs in) belongs to; None outside one."""
    loop = _cv_server_loop.get(None)
    if loop is None:
        # PERF: the ASGI driver sets no variable for it on each request (~2.0k
        # instructions in process, ~2.6k behind uvicorn): a request built
        # from a scope knows it
        ctx = _cv_get(_NO_CTX)[1]
        # (a Request still to be made, as wsgi_app's, is not made here)
        if ctx is not None:
            args = getattr(ctx, "_scope_args", None)  # the ASGI driver's lazy one
            if args is not None:
                loop = args[3]
            elif ctx._match is None:
                asgi = getattr(ctx.request, "_asgi", None)
                if asgi is not None:
                    loop = asgi[2]
    return loop


def _cancel_left(loop: t.Any) -> None:
    """Cancel the tasks waiting on ``loop`` and let them end."""
    import asyncio

    left = asyncio.all_tasks(loop)
    for task in left:
        task.cancel()
    if left:
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))


def _run_coroutine(coro: t.Any) -> t.Any:
    """Run an ``async def`` view's (or hook's) coroutine to its result.

    Under an ASGI server a worker thread hands it to the server's event loop;
    otherwise it runs on this thread's own event loop, made once and kept.
    """
    import asyncio

    if asyncio._get_running_loop() is None:
        server_loop = _server_loop()
        if server_loop is not None:
            return asyncio.run_coroutine_threadsafe(coro, server_loop).result()
        # PERF: one loop per thread instead of asyncio.run() per call, and the
        # task's first step run directly: a coroutine that finishes without
        # waiting (most views) costs ~6 us instead of ~150 us, and
        # run_until_complete only starts for one that really waits.
        loop: asyncio.AbstractEventLoop | None = getattr(_loops, "loop", None)
        if loop is None:
            loop = _loops.loop = asyncio.new_event_loop()
            _loops.closer = _LoopCloser(loop)
        # Tasks that earlier coroutines left waiting on the loop (a timer, a
        # callback due) are cancelled before the first one of an app context
        # (a request's) runs, or one outside any, as Flask's asgiref cancels
        # them as its view returns: nothing else would run them but a later
        # request, in its time. A request keeps its own until its app context
        # ends (a producer feeding its streamed body, past its teardown).
        # PERF: told by two tests, looked for (asyncio.all_tasks(): ~4 us)
        # only then
        ctx = _cv_get(_NO_CTX)[0]
        if ctx is None or not ctx._used_thread_loop:
            if ctx is not None:
                ctx._used_thread_loop = True
            if loop._ready or loop._scheduled:  # type: ignore[attr-defined]
                _cancel_left(loop)
        task = loop.create_task(coro)
        asyncio.events._set_running_loop(loop)
        try:
            loop._run_once()  # type: ignore[attr-defined]
        finally:
            asyncio.events._set_running_loop(None)
        if task.done():
            return task.result()
        return loop.run_until_complete(task)
    # Called from sync code on a running loop: finish it on a thread of its own.
    result: list[t.Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as e:  # handed to the calling thread
            errors.append(e)

    import contextvars

    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,))
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def _call(func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
    """Call a view or hook; await it if it is ``async def``."""
    rv = func(*args, **kwargs)
    if type(rv) is CoroutineType:
        return _run_coroutine(rv)
    return rv


def _blueprint_names(endpoint: str | None) -> list[str]:
    """The blueprint of an endpoint and its parents, innermost first."""
    if endpoint is None or "." not in endpoint:
        return []
    parts = endpoint.rpartition(".")[0].split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _autoescape(filename: str | None) -> bool:
    """select_jinja_autoescape's choice: markup files and template strings."""
    return filename is None or filename.endswith(
        (".html", ".htm", ".xml", ".xhtml", ".svg")
    )


def _default_template_ctx_processor() -> dict[str, t.Any]:
    """``g`` and ``request`` themselves, not their proxies, for templates. It
    heads ``template_context_processors[None]`` as in Flask; kolba calls it
    from update_template_context, so that it makes no scope's hooks."""
    app_ctx, req_ctx = _cv_get(_NO_CTX)
    rv: dict[str, t.Any] = {}
    if app_ctx is not None:
        rv["g"] = app_ctx.g
    if req_ctx is not None:
        rv["request"] = req_ctx.request
    return rv


_WSGI = object()  # the send of wsgi_app's call of __call__
#: The methods that __call__ matches as the environ gives them (OPTIONS reads
#: the Request to answer; other spellings are the Request's to change).
_PLAIN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})
# The request and response classes and the session interface: an app decides
# what they allow when it starts serving, and again when one is set on it.
_CLASSES = frozenset({"request_class", "response_class", "session_interface"})
# The hook registries that an app builds its requests' hook chains from.
_HOOK_REGISTRIES = frozenset(
    {
        "before_request_funcs",
        "after_request_funcs",
        "teardown_request_funcs",
        "template_context_processors",
        "url_value_preprocessors",
    }
)


def _cycle_decisions(overrides: frozenset[str]) -> dict[str, t.Any]:
    """What a class (or an app) whose request-cycle methods ``overrides`` are
    overridden must call, as the attributes of Flask that say so."""
    own_ctx = "request_context" not in overrides
    return {
        "_overrides": overrides,
        "_fused": not overrides & _FUSED_METHODS,
        "_own_ctx": own_ctx,
        "_lean_ctx": own_ctx and not {"app_context", "create_url_adapter"} & overrides,
        "_uses_ensure_sync": bool({"ensure_sync", "async_to_sync"} & overrides),
        "_direct_wsgi": "wsgi_app" not in overrides,
        # (a wrapped or overridden wsgi_app is served by asgi_app: see there)
        "_direct_asgi": not {"asgi_app", "wsgi_app"} & overrides,
    }


class _Hooks(t.NamedTuple):
    """One scope's request hooks (a blueprint's and its parents', the app's),
    each tuple in the order Flask runs them."""

    preprocessors: tuple[t.Callable[..., t.Any], ...]
    before: tuple[t.Callable[..., t.Any], ...]
    after: tuple[t.Callable[..., t.Any], ...]
    teardown: tuple[t.Callable[..., t.Any], ...]
    context_processors: tuple[t.Callable[..., t.Any], ...]

    @classmethod
    def build(cls, app: Flask, blueprints: list[str]) -> _Hooks | None:
        outer_first = (None, *reversed(blueprints))
        inner_first = (*blueprints, None)

        def chain(
            registry: dict[str | None, list[t.Callable[..., t.Any]]],
            names: tuple[str | None, ...],
            backwards: bool = False,
        ) -> tuple[t.Callable[..., t.Any], ...]:
            funcs = (registry.get(name, ()) for name in names)
            if backwards:
                return tuple(f for scope in funcs for f in reversed(scope))
            return tuple(f for scope in funcs for f in scope)

        hooks = cls(
            chain(app.url_value_preprocessors, outer_first),
            chain(app.before_request_funcs, outer_first),
            chain(app.after_request_funcs, inner_first, backwards=True),
            chain(app.teardown_request_funcs, inner_first, backwards=True),
            tuple(
                f
                for f in chain(app.template_context_processors, outer_first)
                if f is not _default_template_ctx_processor
            ),
        )
        return hooks if any(hooks) else None

    def run_before(self, req: Request) -> t.Any:
        """URL value preprocessors, then ``before_request`` functions until
        one returns a value (which ends the request)."""
        for func in self.preprocessors:
            rv = func(req.endpoint, req.view_args)
            if type(rv) is CoroutineType:
                _run_coroutine(rv)
        for func in self.before:
            rv = func()
            if rv is not None:
                if type(rv) is CoroutineType:
                    rv = _run_coroutine(rv)
                if rv is not None:
                    return rv
        return None


_asgi_handle: t.Any = None  # kolba.asgi.handle, once an ASGI call needs it


def _import_asgi_handle() -> t.Any:
    """Import the ASGI driver (kolba's import stays free of asyncio)."""
    global _asgi_handle
    from .asgi import handle

    _asgi_handle = handle
    return handle


def _decide_view_call(view: t.Callable[..., t.Any], rule: Rule) -> str | None:
    """The name of the one argument of ``rule`` when ``view`` is a plain
    function whose one parameter it names (a call binds it the same by
    position or by keyword); else None. Kept as ``rule._view_call`` for both
    drivers' view calls, until the rule's view is another."""
    name: str | None = None
    if type(view) is FunctionType and len(rule.arguments) == 1:
        code = view.__code__
        if code.co_argcount == 1 and not code.co_posonlyargcount:
            name = code.co_varnames[0]
            if name not in rule.arguments:
                name = None
    rule._view_call = (view, name)  # type: ignore[attr-defined]
    return name


class _HooksChanged(list[t.Callable[[t.Any], t.Any]]):
    """The ``after_this_request`` functions of a request during which the
    app's hooks changed (a view added an ``after_request`` function, as
    Flask-Caching does): always true, so that both drivers, which test them
    before the after-request functions they read at the start, run those
    functions as they are now, as Flask would."""

    def __bool__(self) -> bool:
        return True


def _after_now(ctx: RequestContext) -> tuple[t.Callable[[t.Any], t.Any], ...]:
    """The ``after_request`` functions of the request's scope as they are now."""
    match = ctx._match
    hooks = ctx.app._hooks(ctx.request.endpoint if match is None else match[0].endpoint)
    return hooks.after if hooks else ()


class _NotAResponse(TypeError):
    """An after-request function returned no response (None, a str). Raised
    past the error handlers, out of the app, as Flask's TypeError (its
    server's call of the None it got back) is; teardown gets no error."""

    def __init__(self, func: t.Callable[..., t.Any], rv: t.Any) -> None:
        name = getattr(func, "__qualname__", None) or repr(func)
        what = "None" if rv is None else f"a {type(rv).__name__}"
        super().__init__(
            f"The after-request function {name!r} returned {what}, not a"
            " response: it must return the response it was given, or another."
        )


def _run_after(ctx: RequestContext, hooks: _Hooks | None, response: t.Any) -> t.Any:
    """``after_this_request`` functions, then the scope's ``after_request``."""
    funcs = ctx._after_request_functions
    after = hooks.after if hooks else ()
    # PERF: a tuple made only with after_this_request functions (most have
    # none, ()): 5 after hooks 102,316 -> 101,461 instructions a request, 1:
    # 59,179 -> 58,490
    if funcs:
        if type(funcs) is _HooksChanged:
            after = _after_now(ctx)
        after = (*funcs, *after)
    try:
        for func in after:
            # PERF: a function that returns the response it got (the usual
            # one) returned no coroutine: its type is told only for another
            # object (5 after hooks: 102,727 -> 102,318 instructions a request)
            rv = func(response)
            if rv is not response:
                rv = _run_coroutine(rv) if type(rv) is CoroutineType else rv
                if not callable(rv):  # (the response it got is closed below)
                    raise _NotAResponse(func, rv)
                response = rv
    except BaseException:
        _discard(response)
        raise
    return response


def _discard(response: t.Any) -> None:
    """Close a response that an error after the view replaces (an after-request
    function or the session's save raised): a streamed body's request context
    ends with the request, not when the error's traceback is collected."""
    close = getattr(response, "close", None)
    if close is not None:
        close()


_HTML = "text/html; charset=utf-8"
#: The Content-Length headers of the lengths sent so far (up to 1,000 of them).
_LENGTHS: dict[int, tuple[str, str]] = {}


def _length_header(length: int) -> tuple[str, str]:
    pair = ("Content-Length", str(length))
    if len(_LENGTHS) < 1000:
        _LENGTHS[length] = pair
    return pair


_HTML_TYPE = ("Content-Type", _HTML)
# werkzeug's own methods, as imported: one patched on HTTPException since (the
# "JSON errors" trick) is not werkzeug's page
_GET_BODY = HTTPException.get_body
_GET_HEADERS = HTTPException.get_headers
_GET_DESCRIPTION = HTTPException.get_description
_GET_RESPONSE = HTTPException.get_response
_CALL = HTTPException.__call__
_NAME = HTTPException.name
_ALLOW_HEADERS = MethodNotAllowed.get_headers
# class -> the code and the class's description then, and its page
_ERROR_PAGES: dict[type[HTTPException], tuple[int | None, str, bytes]] = {}


def _default_error_page(e: HTTPException) -> bytes | None:
    """The body of werkzeug's page for ``e``, built once per exception class
    and description, when ``e`` has its class's page: werkzeug's body,
    headers and description."""
    cls = type(e)
    headers = cls.get_headers
    # PERF: werkzeug's methods compared with those kept at import, not read
    # from HTTPException again; the page keyed by class, not a (class, code)
    # tuple: with the description and name checked, 5,570 -> 5,360
    # instructions a 404
    if (
        "description" in e.__dict__
        or type(description := cls.description) is not str
        or cls.get_body is not _GET_BODY
        or (
            headers is not _GET_HEADERS
            and (  # (the 405's Allow: see the caller)
                cls is not MethodNotAllowed
                or headers is not _ALLOW_HEADERS
                or HTTPException.get_headers is not _GET_HEADERS  # (its super())
            )
        )
        or cls.get_description is not _GET_DESCRIPTION
        or cls.get_response is not _GET_RESPONSE
        or cls.__call__ is not _CALL
        or cls.name is not _NAME
    ):
        return None
    code = e.code
    known = _ERROR_PAGES.get(cls)
    if known is not None and known[0] == code and known[1] is description:
        return known[2]
    # PERF: the default 404 page is not rendered for every 404 (~6 µs).
    page = e.get_body().encode()
    _ERROR_PAGES[cls] = (code, description, page)
    return page


def _endpoint() -> str | None:
    """The request's endpoint, for messages (None outside a request, where
    make_response() may be called too)."""
    ctx = _cv_get(_NO_CTX)[1]
    return None if ctx is None else ctx.request.endpoint


# What a redirect keeps of a query string as it came: every printable ASCII
# character but the space
_QUERY_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))


def _bad_host_first(e: HTTPException, req: Request) -> BadHost | None:
    """For the 404 or 405 of a host that no URL can hold, the 400 that Flask's
    router answers first (their handlers may read ``request.url``)."""
    if e is req.routing_exception and not _usual_host(req._host_header):
        try:
            req._checked_host  # noqa: B018
        except BadHost as bad_host:
            return bad_host
    return None


class _FlaskType(_Watched):
    """The type of Flask: a request-cycle method set on a class (or deleted)
    after its class statement, as a tracer wraps ``Flask.process_response``
    while apps serve, makes it and its subclasses decide again which ones
    their apps call, and the serving apps with them."""

    def _watched(cls, name: str) -> bool:
        return name in _CYCLE_METHODS

    def _decided_again(cls) -> None:
        _serving_decide_again(cls)


class Flask(Scaffold, metaclass=_FlaskType):
    """The WSGI application. Create one per project::

    app = Flask(__name__)
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    aborter_class = Aborter
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    url_rule_class = Rule
    url_map_class = Map
    test_client_class: type[KolbaClient] | None = None
    test_cli_runner_class: type[KolbaCliRunner] | None = None
    session_interface: SessionInterface = DefaultSessionInterface()
    jinja_options: dict[str, t.Any] = {}
    #: An external URL was built from an unvouched Host (helpers._note_request_host).
    _request_host_noted = False

    # Flask 3 removed these: reading one says what replaced it.
    before_first_request = _Removed(_FIRST_REQUEST)
    before_first_request_funcs = _Removed(_FIRST_REQUEST)
    json_encoder = _Removed(_JSON)
    json_decoder = _Removed(_JSON)
    env = _Removed("app.debug (the DEBUG setting) says whether debug mode is on.")
    propagate_exceptions = _Removed("read app.config['PROPAGATE_EXCEPTIONS'].")
    templates_auto_reload = _Removed("read app.config['TEMPLATES_AUTO_RELOAD'].")
    session_cookie_name = _Removed("read app.config['SESSION_COOKIE_NAME'].")
    send_file_max_age_default = _Removed(
        "read app.config['SEND_FILE_MAX_AGE_DEFAULT']."
    )
    use_x_sendfile = _Removed("read app.config['USE_X_SENDFILE'].")

    #: The request-cycle methods that this class overrides (see _CYCLE_METHODS).
    _overrides: t.ClassVar[frozenset[str]] = frozenset()
    #: No dispatch step overridden: wsgi_app runs them fused.
    _fused: t.ClassVar[bool] = True
    #: A hook registry was replaced with one that does not tell the app of its
    #: changes: each step of a request reads the hooks it runs, as in Flask.
    _reads_registries = False
    #: The request class chooses no blueprints of its own (decided as the app
    #: starts serving): the hooks run are those of the endpoint's blueprints.
    _endpoint_blueprints = True
    #: request_context() not overridden: wsgi_app makes the context itself.
    _own_ctx: t.ClassVar[bool] = True
    #: Neither app_context() nor create_url_adapter() overridden either:
    #: wsgi_app pushes and pops the usual context itself.
    _lean_ctx: t.ClassVar[bool] = True
    #: ensure_sync() or async_to_sync() overridden: every call goes through it.
    _uses_ensure_sync: t.ClassVar[bool] = False
    #: wsgi_app() neither overridden nor wrapped: a server's call runs the
    #: request cycle in __call__ itself.
    _direct_wsgi: t.ClassVar[bool] = True
    #: asgi_app() neither overridden nor wrapped: a server's call awaits the
    #: ASGI driver's coroutine directly.
    _direct_asgi: t.ClassVar[bool] = True
    #: No TRUSTED_HOSTS and no subdomain matching, as the config told (see
    #: _config_changed); False: each request reads them.
    _plain_hosts = False

    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute[str | bytes | None]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute(
        "PERMANENT_SESSION_LIFETIME", get_converter=_make_timedelta
    )

    default_config: ImmutableDict[str, t.Any] = ImmutableDict(
        {
            "DEBUG": None,
            "TESTING": False,
            "PROPAGATE_EXCEPTIONS": None,
            "SECRET_KEY": None,
            "SECRET_KEY_FALLBACKS": None,
            "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
            "USE_X_SENDFILE": False,
            "TRUSTED_HOSTS": None,
            "SERVER_NAME": None,
            "APPLICATION_ROOT": "/",
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": None,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_PARTITIONED": False,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_REFRESH_EACH_REQUEST": True,
            "SESSION_STORE": None,
            "MAX_CONTENT_LENGTH": None,
            "MAX_FORM_MEMORY_SIZE": 500_000,
            "MAX_FORM_PARTS": 1_000,
            "SEND_FILE_MAX_AGE_DEFAULT": None,
            "TRAP_BAD_REQUEST_ERRORS": None,
            "TRAP_HTTP_EXCEPTIONS": False,
            "EXPLAIN_TEMPLATE_LOADING": False,
            "PREFERRED_URL_SCHEME": "http",
            "TEMPLATES_AUTO_RELOAD": None,
            "MAX_COOKIE_SIZE": 4093,
            "PROVIDE_AUTOMATIC_OPTIONS": True,
            # origins besides the app's own whose pages may open its WebSockets
            # ("*": any); see kolba.asgi._origin_refusal
            "WEBSOCKET_ALLOWED_ORIGINS": None,
            "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5,  # seconds; see kolba.asgi
        }
    )

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._decide()

    @classmethod
    def _decide(cls) -> None:
        """Decide which request-cycle methods the class's apps call."""
        for name, value in _cycle_decisions(_class_overrides(cls)).items():
            type.__setattr__(cls, name, value)

    def __setattr__(self, name: str, value: t.Any) -> None:
        super().__setattr__(name, value)
        if name in _HOOK_REGISTRIES or name == "teardown_appcontext_funcs":
            if "_hook_cache" in self.__dict__:  # (not while __init__ makes them)
                # A registry assigned (``app.before_request_funcs = {...}``) is
                # kept as given, as in Flask: one that does not tell the app
                # of its changes has the app read them on every request.
                kind = _HookRegistry if name in _HOOK_REGISTRIES else _HookList
                own = isinstance(value, kind) and value.changed() == self._hooks_changed
                self._hooks_changed(not own)
        elif name in _CYCLE_METHODS:
            # A request-cycle method set on the app itself (Frozen-Flask sets
            # app.dispatch_request) is called as an override would be.
            self._decide_cycle()
        elif name in _CLASSES and self.__dict__.get("_got_first_request"):
            self._start_serving()  # decides again what the classes allow
        elif name == "config" or name == "subdomain_matching":
            self._config_changed()

    def _config_changed(self) -> None:
        """Decide whether requests need no host check (``_plain_hosts``):
        ``TRUSTED_HOSTS`` is None and subdomain matching off. Decided again
        when ``config`` or ``subdomain_matching`` is set, and when the config
        says it changed; a config that cannot say (see
        :func:`kolba.config.tells_changes`) is read on every request."""
        attrs = self.__dict__
        config = attrs.get("config")
        if config is None or "subdomain_matching" not in attrs:
            return  # (being made, or a subclass's own attribute)
        plain = False
        if tells_changes(config):
            config._watch(self)
            try:
                plain = config["TRUSTED_HOSTS"] is None
            except KeyError:  # (read per request: each request raises it)
                pass
        plain = plain and not attrs["subdomain_matching"]
        # (one step: see _start_serving) A request that may read the host
        # settings makes the usual RequestContext, which reads them before
        # the push, as Flask's (a KeyError for a config that lost
        # TRUSTED_HOSTS): not the lazy one, which has no __init__ to read them.
        attrs.update(
            _plain_hosts=plain,
            _lazy_request=attrs.get("_lazy_class") if plain else None,
        )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(f"instance_path must be absolute; got {instance_path!r}.")
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        self.aborter = self.make_aborter()
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_build_error_handlers: list[t.Callable[..., str | None]] = []
        # a list that tells the app when changed: extensions may add to it
        # while the app serves
        self.teardown_appcontext_funcs: list[ft.TeardownCallable] = _HookList(
            weakref.WeakMethod(self._hooks_changed)
        )
        self.shell_context_processors: list[t.Callable[[], dict[str, t.Any]]] = []
        self.blueprints: dict[str, Blueprint] = {}
        self.extensions: dict[str, t.Any] = {}
        if not issubclass(self.url_map_class, Map):
            raise TypeError(
                f"url_map_class is {self.url_map_class!r}: kolba matches and"
                " builds URLs with its own Map, so a Map of one's own must"
                " subclass kolba.routing.Map (itself a werkzeug Map)."
            )
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        #: The request class, while the usual context may make its Request
        #: on first use (decided when the app starts serving: _lazy_class),
        #: and no host setting is to be read (_plain_hosts).
        self._lazy_request: type[Request] | None = None
        self._lazy_class: type[Request] | None = None
        self._plain_response = False
        self._scope_request = False
        #: Whether the session is opened when the request context is pushed,
        #: as Flask does, for an interface that is not kolba's own (decided
        #: when the app starts serving; until then, asked at each push).
        self._eager_session = True
        self._decide_cycle()
        # (keyed by endpoint, or by request.blueprints: see _hooks)
        self._hook_cache: dict[str | tuple[str, ...] | None, _Hooks | None] = {}
        #: The endpoints of _hook_cache whose scope has no hooks (PERF: a set
        #: test in __call__, not a get() call: -150 instructions a request).
        self._hookless: set[str | None] = set()
        self.template_context_processors[None].append(_default_template_ctx_processor)
        # Until the app serves, contexts always call the teardown methods.
        self._tears_down_requests = self._tears_down_appctx = self._tears_down = True
        self._lean_teardown = False
        self._async_teardown = False
        self.before_serving_funcs: list[t.Callable[[], t.Any]] = []
        self.after_serving_funcs: list[t.Callable[[], t.Any]] = []
        self._background_tasks: set[t.Any] = set()
        self._template_functions: list[tuple[str, str, t.Callable[..., t.Any]]] = []
        if _NO_COROUTINE_MARKER and type(self).__call__ is Flask.__call__:
            self.__dict__["__call__"] = _ASGIEntry(self)

        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise ValueError(
                    "Invalid static_host/host_matching combination: static_host is"
                    " required with host_matching, and only allowed with it."
                )
            self_ref = weakref.ref(self)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: self_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    # basic properties -------------------------------------------------------

    def _hook_registry(self) -> _HookRegistry:
        return _HookRegistry(self._hooks_changed)

    def _hooks_changed(self, foreign: bool = False) -> None:
        """A hook registry changed, maybe while the app serves (extensions
        change them in place): the hooks are built again by the next request,
        and what requests need (a teardown function added now) decided again.
        ``foreign``: the app now holds a registry or list that changes without
        telling it, so it reads its registries on every request, as Flask does."""
        if foreign:
            self._reads_registries = True
        # (first: a chain being built, or a _start_serving running, in
        # another thread read the registries before this change: see _hooks)
        self.__dict__["_deciding"] = object()
        ctx = _cv_get(_NO_CTX)[1]
        if ctx is not None and ctx.app is self:
            # (the request that changed them runs its after-request functions
            # as they are at its end, see _HooksChanged)
            ctx._after_request_functions = _HooksChanged(ctx._after_request_functions)
        self._hook_cache.clear()
        self._hookless.clear()
        if foreign or self._got_first_request:
            self._decide_cycle()  # (once serving, all that _start_serving decides)

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"Too late to call '{f_name}': the app has already handled a"
                " request, so the change would reach some requests and not others."
                " Register routes, hooks, handlers and blueprints before the app"
                " serves its first request."
            )

    @cached_property
    def name(self) -> str:  # type: ignore[override]
        """The app's name: its import name, or the script's name for ``__main__``."""
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @cached_property
    def logger(self) -> logging.Logger:
        """The app's :class:`logging.Logger`, named after the app."""
        from .logging import create_logger

        return create_logger(self)

    @property
    def debug(self) -> bool:
        """Debug mode (``DEBUG``): tracebacks in the debugger, template reloading."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if (
            self.config["TEMPLATES_AUTO_RELOAD"] is None
            and "jinja_env" in self.__dict__
        ):
            self.jinja_env.auto_reload = value

    def make_config(self, instance_relative: bool = False) -> Config:
        """The app's :class:`Config`: the defaults, with ``DEBUG`` from the
        environment; relative file names start at the instance folder if asked."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def auto_find_instance_path(self) -> str:
        """``instance/`` beside the app; ``$prefix/var/NAME-instance`` if installed."""
        prefix, package_path = find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.AnyStr]:
        """Open a file in the instance folder (writing is allowed)."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # registration --------------------------------------------------------

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Connect a URL rule to an endpoint and, if given, its view function."""
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        options["endpoint"] = endpoint
        methods, automatic_options = self._rule_methods(
            view_func, options.pop("methods", None), provide_automatic_options
        )
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = automatic_options
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    f"Endpoint {endpoint!r} already belongs to another view"
                    f" function ({old_func!r}); give {view_func!r} its own"
                    " endpoint with endpoint='...'."
                )
        self.url_map.add(rule_obj)
        if view_func is not None:
            self.view_functions[endpoint] = view_func

    def _rule_methods(
        self,
        view_func: t.Callable[..., t.Any] | None,
        methods: t.Iterable[str] | None,
        automatic_options: bool | None,
    ) -> tuple[set[str], bool]:
        """The methods a new rule answers, and whether kolba answers its OPTIONS.

        Unset arguments come from the view (``methods``, ``required_methods``
        and ``provide_automatic_options`` attributes, as class-based views
        set them), then from the defaults: GET, and automatic OPTIONS unless
        the view handles OPTIONS itself or ``PROVIDE_AUTOMATIC_OPTIONS`` is off.
        """
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "'methods' takes a list of method names such as"
                f' ["GET", "POST"], not the string {methods!r}.'
            )
        answered = {method.upper() for method in methods}
        answered.update(getattr(view_func, "required_methods", ()))
        if automatic_options is None:
            automatic_options = getattr(view_func, "provide_automatic_options", None)
        if automatic_options is None:
            automatic_options = (
                "OPTIONS" not in answered and self.config["PROVIDE_AUTOMATIC_OPTIONS"]
            )
        if automatic_options:
            answered.add("OPTIONS")
        if "GET" in answered:
            answered.add("HEAD")
        return answered, bool(automatic_options)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Register a blueprint's routes, hooks and handlers on the app."""
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    @setupmethod
    def teardown_appcontext(self, f: T_teardown) -> T_teardown:
        """Run ``f(error)`` when the app context ends."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(
        self, f: T_shell_context_processor
    ) -> T_shell_context_processor:
        """``f()`` returns names for the ``kolba shell`` namespace."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, t.Any]:
        """The ``kolba shell`` namespace: ``app``, ``g`` and the processors' names."""
        from .globals import g

        rv: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    # contexts ------------------------------------------------------------

    def app_context(self) -> AppContext:
        """``with app.app_context():`` makes ``current_app`` and ``g`` work."""
        return AppContext(self)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        """A request context for a WSGI environ."""
        return RequestContext(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context for a made-up request; takes the arguments of
        :class:`werkzeug.test.EnvironBuilder` (path, method, data, json, ...)."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> KolbaClient:
        """A client that sends requests to the app without a server."""
        cls = self.test_client_class
        if cls is None:
            from .testing import KolbaClient

            cls = KolbaClient
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> KolbaCliRunner:
        """A runner for the app's CLI commands in tests."""
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing import KolbaCliRunner

            cls = KolbaCliRunner
        return cls(self, **kwargs)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app with the development server (``if __name__ == "__main__"``)."""
        from .cli import run_application

        run_application(self, host, port, debug, load_dotenv, **options)

    # the request ---------------------------------------------------------
    #
    # The cycle, as Flask runs it: request_context() -> ctx.push() (matching)
    # -> full_dispatch_request() [preprocess_request(), dispatch_request(),
    # finalize_request() -> make_response(), process_response()] -> the
    # response -> ctx.pop() (do_teardown_request, do_teardown_appcontext).
    # Each step is a method that a second driver can call and a subclass can
    # override. A class that overrides none of the dispatch steps runs them
    # fused in _full_dispatch(), one frame instead of five (decided per class).

    def __call__(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        send: t.Any = None,
    ) -> t.Any:
        """The WSGI entry (two arguments) or the ASGI entry (three: scope,
        receive, send); each calls ``wsgi_app`` or ``asgi_app``, which
        middleware can wrap.

        The WSGI request cycle is here: ``wsgi_app`` runs it by calling this
        with its own ``send``, and a server's call runs it directly while
        ``wsgi_app`` is neither wrapped nor overridden (PERF: one frame less,
        hello 23,133 -> 22,545 instructions)."""
        if send is None:
            if not self._direct_wsgi:  # wrapped or overridden
                return self.wsgi_app(environ, start_response)
        elif send is not _WSGI:
            if self._direct_asgi:
                # PERF: asgi_app() unwrapped and not overridden: the driver's
                # coroutine is awaited directly, one coroutine less (-0.3 µs),
                # decided per class and when set (~400 instructions)
                handle = _asgi_handle or _import_asgi_handle()
                return handle(self, environ, start_response, send)
            return self.asgi_app(environ, start_response, send)
        # PERF: the usual request context (its own app context, nothing to
        # send or tear down) is pushed and popped here, without the frames of
        # push(), match_request() and pop() (~0.6 µs); ctx.pop() when in doubt.
        if not self._got_first_request:
            # (decides what the usual context may skip: a Request class's
            # trusted_hosts, checked from the first request on)
            self._start_serving()
        lean = (
            self._lean_ctx
            and _cv_get(_NO_CTX)[0] is None
            and not (signals.connected and signals.appcontext_pushed.receivers)
        )
        req: Request | None
        if lean and self._lazy_request is not None:
            # PERF: made without __init__ (hello 24,053 -> 23,465
            # instructions), by a call of its type (see _DriverContext)
            ctx: RequestContext = _LazyRequestContext()
            ctx.app = self
            ctx._environ = environ  # type: ignore[attr-defined]
            ctx._session = None  # (_match: the class's None until matched)
            ctx._after_request_functions = ()
            req = None
        else:
            if self._own_ctx:
                # PERF: saves the request_context() frame (~0.1 µs).
                ctx = RequestContext(self, environ)
            else:
                ctx = self.request_context(environ)
            req = ctx.request
        error: BaseException | None = None
        method = ""  # (REQUEST_METHOD, if read below)
        try:
            try:
                if lean:
                    state = (ctx, ctx)
                    token = _cv_set(state)
                    ctx._lean_token = token
                    url_map = self.url_map
                    if (
                        # PERF: decided when the config or the attribute
                        # changes, not read (hello 21,250 -> 20,745
                        # instructions, /user/42 28,197 -> 27,657)
                        self._plain_hosts
                        or (
                            self.config["TRUSTED_HOSTS"] is None
                            and not self.subdomain_matching
                        )
                    ) and not url_map.host_matching:
                        # PERF: match_request()'s usual case in this frame (~0.1 µs);
                        # it makes a redirect's full URL.
                        if req is None:
                            # the Request's method and path, when they need no
                            # change (an OPTIONS answer reads the Request). PERF:
                            # no upper(), whose new str the match hashes again
                            # (-400 instructions)
                            try:  # PERF: items, not get() calls (-184 instructions)
                                method = environ["REQUEST_METHOD"]
                                path = environ["PATH_INFO"]
                            except KeyError:  # (PATH_INFO may be left out)
                                method = environ.get("REQUEST_METHOD", "GET")
                                path = environ.get("PATH_INFO", "/")
                            # PERF: a static rule looked up here, as match()
                            # looks it up first, without its frame (hello
                            # 19,144 -> 18,603 instructions); a path found
                            # needs no check (the map keeps no other: hello
                            # 20,737 -> 20,150; /user/42 the same, 27,619 -> 27,627)
                            fast = url_map._fast
                            node = None if fast is None else fast.get(path)
                            if method not in _PLAIN_METHODS or (
                                node is None
                                and (
                                    not path
                                    or path[0] != "/"
                                    # (its Request's path merges a leading
                                    # "//"; one anywhere costs the Request, not
                                    # a new str as path[:2] made: hello 21,727
                                    # -> 21,333 instructions, /user/42 28,505
                                    # -> 27,912)
                                    or "//" in path
                                    or not path.isascii()
                                )
                            ):
                                req = ctx.request
                        if req is None:
                            verb = method
                        else:
                            if self._eager_session:  # (never with a lazy Request)
                                ctx._open_at_push()
                            # (see match_request)
                            path = "" if req._empty_path_info else req.path
                            verb = req.method
                            fast = url_map._fast
                            node = None if fast is None else fast.get(path)
                        try:
                            if node is None:
                                match = (
                                    url_map.match(path, verb)
                                    if fast is None
                                    else url_map._match_segments(path, verb, "", None)
                                )
                            else:
                                rule = node.first.get(verb, node.any)
                                if rule is not None and rule._plain:
                                    defaults = rule.defaults
                                    match = (rule, dict(defaults) if defaults else {})
                                else:
                                    match = url_map._match(path, verb, "", None)
                            if req is None:
                                ctx._match = match
                                if match[0]._reads_request:
                                    # PERF: its requests read the Request: made
                                    # now, without __init__, not by the first read
                                    # (a view reading request.args once: 48,329 ->
                                    # 46,396 instructions; hello pays ~110)
                                    lazy = self._lazy_request
                                    if lazy is None:
                                        # set to None since the test above, by
                                        # another thread (TRUSTED_HOSTS or the
                                        # request_class changed): made by its
                                        # class. (PERF: read again here, not
                                        # kept in a local above: hello +40)
                                        req = ctx.request
                                    else:
                                        req = ctx.request = _plain_request(
                                            lazy, environ, method, path
                                        )
                                        req.url_rule, req.view_args = match
                                        ctx._match = None
                            else:
                                req.url_rule, req.view_args = match
                        except RequestRedirect as e:
                            # PERF: the URL is not matched again (a slash's
                            # 308, this and its host below: 408,575 -> 307,116
                            # instructions; then its send 307,116 -> 203,308)
                            req = ctx.request
                            self._routing_redirect(req, e)
                        except HTTPException as e:  # a 404 or 405, matched once
                            req = ctx.request
                            req.routing_exception = e
                    else:
                        if self._eager_session:
                            ctx._open_at_push()
                        req = ctx.request
                        self.match_request(req)
                else:
                    ctx.push()
                if (
                    req is None  # (matched, no Request made)
                    and self._fused
                    and not signals.connected
                    and match[0].endpoint in self._hookless
                ):
                    # PERF: _full_dispatch()'s work for an endpoint with no
                    # hooks (no receiver, no override) in this frame, and a
                    # str that nothing else looks at sent from here (hello
                    # under granian's WSGI interface, in process: 27,450 ->
                    # 26,373 instructions, /user/42 34,478 -> 33,067)
                    rule, args = match
                    try:
                        view = self.view_functions[rule.endpoint]
                        if not args:
                            rv = view()
                        else:
                            decided, name = rule._view_call  # type: ignore[attr-defined]
                            if decided is not view:
                                name = _decide_view_call(view, rule)
                            rv = view(**args) if name is None else view(args[name])
                        if type(rv) is CoroutineType:
                            rv = _run_coroutine(rv)
                    except Exception as e:
                        rv = self.handle_user_exception(e)
                    if (
                        type(rv) is str
                        and self._plain_response
                        and not ctx._after_request_functions
                        and ctx._session is None
                        # (PERF: a cookie other than the session's makes no
                        # Response: hello with one 36,373 -> 22,065 instructions)
                        and (
                            "HTTP_COOKIE" not in environ
                            or not self._refreshes_session(ctx)
                        )
                        and not signals.connected
                    ):  # (as the bytes of _full_dispatch(ctx, True) are sent)
                        body = rv.encode()
                        size = len(body)
                        start_response(
                            _STATUS_200,
                            [_HTML_TYPE, _LENGTHS.get(size) or _length_header(size)],
                        )
                        return [] if method == "HEAD" else [body]
                    # the rest of the dispatch, with the view's value
                    response = _full_dispatch(self, ctx, True, rv)
                elif self._fused:
                    # PERF: Flask's own (a private step, not an override
                    # point), read once: a method read from the app is
                    # unspecialised (-228)
                    response = _full_dispatch(self, ctx, True)
                else:
                    response = self.full_dispatch_request()
            except _NotAResponse:
                raise  # (past the error handlers, as Flask's; teardown gets None)
            except Exception as e:
                error = e
                response = self.handle_exception(e)
            except BaseException as e:
                error = e
                raise
            if isinstance(response, bytes):
                # PERF: Response(text)'s WSGI answer, without the object and
                # its __call__ (with _full_dispatch's side: hello 3.54 -> 3.14 µs).
                size = len(response)
                start_response(
                    _STATUS_200,
                    [_HTML_TYPE, _LENGTHS.get(size) or _length_header(size)],
                )
                # PERF: the method as read above, if it was: hello 21,333
                # -> 21,143 instructions, /user/42 27,912 -> 27,735
                if not method:
                    method = environ.get("REQUEST_METHOD", "")
                if method == "HEAD":
                    return []
                return [response]
            try:
                return response(environ, start_response)
            except BaseException:
                # The server gets no body to close (start_response raised, the
                # client is gone): close it here, so that a streamed body's
                # request context and an open file do not outlive the request.
                response.close()
                raise
        finally:
            if "werkzeug.debug.preserve_context" in environ:
                ctx._hand_over(environ["werkzeug.debug.preserve_context"])
            if error is not None and self.should_ignore_error(error):
                error = None
            if (
                lean
                # no teardown, or only functions _tear_down calls itself
                and (not self._tears_down or self._lean_teardown)
                and ctx._lean_token is token  # (not pushed again)
                and _cv_get(_NO_CTX) is state  # (both contexts as pushed)
                # uploads to close (PERF: only a body with a content type has
                # any; req.__dict__ costs ~950 instructions, the dict made;
                # no Request made told first, not by a lookup in the server's
                # environ: hello 18,603 -> 18,475, /user/42 25,474 -> 25,334)
                and (
                    ctx._match is not None  # (no Request made)
                    or "CONTENT_TYPE" not in environ
                    or not ctx.request.__dict__.get("files")
                )
                # PERF: one test while no receiver ever connected (with the
                # other signal tests, ~420 of 31,000 instructions a request)
                and not (signals.connected and signals.pop_heard())
            ):
                if self._tears_down:
                    self._tear_down(ctx, token, error, environ)
                else:
                    ctx._lean_token = None
                    _cv_reset(token)
                    environ["werkzeug.request"] = None
            else:
                ctx.pop(error)

    def _tear_down(
        self,
        ctx: RequestContext,
        token: Token[_State],
        error: BaseException | None,
        environ: WSGIEnvironment | None,
    ) -> None:
        """``ctx.pop(error)`` for the usual context (as __call__ tells it, or
        the ASGI driver for an async view: ``environ`` None, the Request's own
        read at the end, if it made one) of
        an app whose teardown is its teardown functions only (no receiver,
        override or ensure_sync),
        each called once with the error (or None), as Flask calls them: the
        ``teardown_request`` ones, innermost blueprint first, in the request's
        context; then, the request ended and its app context still active, the
        ``teardown_appcontext`` ones, last registered first (also when a
        ``teardown_request`` one raised). A raise ends the functions of its kind.

        PERF: without ctx.pop()'s frames, list of tokens and second push:
        hello with one ``teardown_appcontext`` function (as
        Flask-SQLAlchemy registers) 34,665 -> 25,905 instructions, with one
        ``teardown_request`` function 31,709 -> 26,138, with both 41,199 ->
        28,646 (hello alone: 22,185)."""
        ctx._lean_token = None
        try:
            try:
                if self._tears_down_requests:
                    match = ctx._match  # (a Request not made is not made for this)
                    endpoint = (
                        ctx.request.endpoint if match is None else match[0].endpoint
                    )
                    hooks = self._hook_cache.get(endpoint, _MISSING)
                    if hooks is _MISSING:
                        hooks = self._hooks(endpoint)
                    if hooks is not None:
                        for func in hooks.teardown:
                            rv = func(error)
                            if type(rv) is CoroutineType:
                                _run_coroutine(rv)
                    # uploads that a teardown function had the Request parse
                    if ctx._match is None and (
                        environ is None or "CONTENT_TYPE" in environ
                    ):
                        if ctx.request.__dict__.get("files"):
                            ctx.request.close()
            finally:
                if environ is None and ctx._match is None:  # (ASGI)
                    environ = ctx.request.__dict__.get("environ")
                if environ is not None:
                    environ["werkzeug.request"] = None
                # (the app's list as it is now: one assigned while serving too)
                funcs: list[t.Callable[..., t.Any]] = self.teardown_appcontext_funcs
                if funcs:
                    _cv_set((ctx, None))  # (reset with the request's token)
                    for func in reversed(funcs):
                        rv = func(error)
                        if type(rv) is CoroutineType:
                            _run_coroutine(rv)
        finally:
            _cv_reset(token)

    async def asgi_app(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        """The ASGI application (http, websocket, lifespan), wrapped by middleware.

        While ``wsgi_app`` is wrapped by WSGI middleware (or overridden), an
        HTTP request goes through it, in kolba's thread pool, as a WSGI
        server would call it (:func:`kolba.asgi.serve_wsgi`)."""
        # PERF: the driver is imported by the first ASGI call and then kept (an
        # import statement here cost 0.77 µs on every request).
        handle = _asgi_handle or _import_asgi_handle()
        if self._direct_wsgi or scope["type"] != "http":
            await handle(self, scope, receive, send)
        else:
            from .asgi import serve_wsgi

            await serve_wsgi(self, scope, receive, send)

    @setupmethod
    def before_serving(self, f: T_serving) -> T_serving:
        """Run ``f()`` (sync or async) once when an ASGI server starts serving
        (lifespan startup), in an app context; a failure stops the start."""
        self.before_serving_funcs.append(f)
        return f

    @setupmethod
    def after_serving(self, f: T_serving) -> T_serving:
        """Run ``f()`` (sync or async) once when an ASGI server shuts down."""
        self.after_serving_funcs.append(f)
        return f

    def add_background_task(
        self, func: t.Callable[_P, object], *args: _P.args, **kwargs: _P.kwargs
    ) -> None:
        """Run ``func(*args, **kwargs)`` (sync or async) in an app context after
        the current response has been sent (at once outside a request): on
        the server's loop under ASGI, whose shutdown waits for it, or in a
        thread under WSGI."""
        from .asgi import add_background_task

        add_background_task(self, func, args, kwargs)

    def wsgi_app(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        """The actual WSGI application, wrapped by middleware."""
        return _serve(self, environ, start_response, _WSGI)  # type: ignore[no-any-return]

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions should not see this error."""
        return False

    def make_aborter(self) -> Aborter:
        """The object that :func:`kolba.abort` calls (``aborter_class()``)."""
        return self.aborter_class()

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """werkzeug's view of the URL map for ``request`` (or, outside one, for
        ``SERVER_NAME``), as extensions use it; kolba's own matching does not
        go through it."""
        if request is not None:
            environ = request.environ
            root = environ.get("SCRIPT_NAME") or ""
            mount = _mount_point(root)  # (as request.root_path reads it)
            if mount != root.rstrip("/"):
                environ = {**environ, "SCRIPT_NAME": mount}
            if self.url_map.host_matching:
                return self.url_map.bind_to_environ(environ)
            return self.url_map.bind_to_environ(
                environ,
                server_name=self.config["SERVER_NAME"],
                subdomain=(
                    None
                    if self.subdomain_matching
                    else self.url_map.default_subdomain or ""
                ),
            )
        if self.config["SERVER_NAME"] is None:
            return None
        return self.url_map.bind(
            self.config["SERVER_NAME"],
            script_name=self.config["APPLICATION_ROOT"],
            url_scheme=self.config["PREFERRED_URL_SCHEME"],
        )

    def match_request(self, req: Request) -> None:
        """Find the rule for the request; a routing error is kept for later."""
        url_map = self.url_map
        try:
            trusted_hosts = self.config["TRUSTED_HOSTS"]
            if trusted_hosts is not None:
                req.trusted_hosts = trusted_hosts
            if req.trusted_hosts is not None:  # (or the Request class's own)
                req.host  # noqa: B018 -- a 400 for a host not in the list
            if url_map.host_matching or self.subdomain_matching:
                host, subdomain = self._domain(req)
            else:
                host, subdomain = "", None
            # an empty PATH_INFO is matched as "", which redirects to "/" as
            # in Flask: the root of an app mounted at /app is /app/
            path = "" if req._empty_path_info else req.path
            req.url_rule, req.view_args = url_map.match(
                path,
                req.method,
                host,
                subdomain,
                # (a WebSocket's rules are those of @app.websocket)
                getattr(type(req), "_websocket", False),
            )
        except RequestRedirect as e:
            self._routing_redirect(req, e)
        except HTTPException as e:
            req.routing_exception = e

    def _routing_redirect(self, req: Request, e: RequestRedirect) -> None:
        """Keep the redirect the router raised as the request's routing
        exception, its Location made absolute."""
        url_map = self.url_map
        # A path from the router (which may hold "://" itself) becomes
        # absolute, under the mount point; redirect_to's target is a link
        # from the mount point, as werkzeug's (no query string added).
        redirect_to = isinstance(e, _RedirectTo)
        location = "/" if redirect_to else e.new_url
        if redirect_to or location[:1] == "/" or "://" not in location:
            path = quote(req.root_path + location, safe="/:@!$&'()*+,;=~%")
            server_name = self.config["SERVER_NAME"]
            if server_name and not (
                url_map.host_matching or self.subdomain_matching
            ):
                location = f"{req.scheme}://{server_name}{path}"
            else:
                try:
                    request_host = req._checked_host
                    scheme = req.scheme
                    if (
                        type(req).host_url is Request.host_url
                        and (scheme == "http" or scheme == "https")
                        and _plain_host(request_host)
                    ):
                        # PERF: werkzeug's URL of such a host is the same
                        # (a slash's 308: 257,552 -> 203,308 instructions)
                        location = f"{scheme}://{request_host}{path}"
                    else:
                        location = req.host_url[:-1] + path
                    # (a rule on another domain: its host, as Flask's)
                    host = _redirect_host(
                        e, url_map, self.subdomain_matching and server_name
                    )
                    if host is not None and host.lower() != request_host.lower():
                        location = f"{scheme}://{host}{path}"
                    _note_request_host(self, req)  # (ASGI: no context yet)
                except HTTPException as bad_host:  # (see Request.host)
                    req.routing_exception = bad_host
                    return
        if isinstance(e, _RedirectTo):  # (a function target: the URL adapter)
            location = urljoin(location, e.target(self.create_url_adapter(req)))
        elif req.query_string:
            query = req.query_string
            # (bytes a URL may not hold percent-encoded, as werkzeug's adapter)
            text = query.decode() if query.isascii() else quote(query, _QUERY_SAFE)
            location = f"{location}?{text}"
        req.routing_exception = RequestRedirect(location)

    def _domain(self, req: Request) -> tuple[str, str | None]:
        """The host and the subdomain that the URL map matches against."""
        if self.url_map.host_matching:
            return req._checked_host, None
        if self.subdomain_matching:
            return "", self._subdomain(req)
        return "", None

    def _subdomain(self, req: Request) -> str | None:
        server_name = self.config["SERVER_NAME"]
        if not server_name:
            return self.url_map.default_subdomain
        host = req._checked_host.lower()
        server_name = server_name.lower()
        if host == server_name:
            return ""
        if host.endswith("." + server_name):
            return host[: -len(server_name) - 1]
        raise NotFound()

    def _hooks(self, endpoint: str | None) -> _Hooks | None:
        """The request hooks for an endpoint's scope, in the order they run;
        None when there are none. Built once per endpoint when the app serves
        (registration is closed then), from the registries before that."""
        hooks = self._hook_cache.get(endpoint, _MISSING)
        if hooks is _MISSING:
            # (a change in another thread after the build read the registries
            # gives a new token: the stale chain stored is taken back below)
            token = self.__dict__.get("_deciding")
            if not (
                self._endpoint_blueprints
                and getattr(self.request_class, "_endpoint_blueprints", True)
            ):
                # A Request class's own blueprint(s) or endpoint: the hooks of
                # request.blueprints run, as in Flask (built once per scope).
                names = request.blueprints
                key = tuple(names)
                hooks = self._hook_cache.get(key, _MISSING)
                if hooks is _MISSING:
                    hooks = _Hooks.build(self, names)
                    if self._got_first_request and not self._reads_registries:
                        self._hook_cache[key] = hooks
                        if self.__dict__.get("_deciding") is not token:
                            self._hook_cache.pop(key, None)
                return hooks
            hooks = _Hooks.build(self, _blueprint_names(endpoint))
            if self._got_first_request and not self._reads_registries:
                self._hook_cache[endpoint] = hooks
                if hooks is None:
                    self._hookless.add(endpoint)
                if self.__dict__.get("_deciding") is not token:
                    self._hookless.discard(endpoint)
                    self._hook_cache.pop(endpoint, None)
        return hooks

    def _call_hook(
        self, func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any
    ) -> t.Any:
        """Call a hook, view or handler as Flask does, through ``ensure_sync``
        when the class overrides it (or ``async_to_sync``)."""
        if self._uses_ensure_sync:
            func = self.ensure_sync(func)
        rv = func(*args, **kwargs)
        if type(rv) is CoroutineType:
            return _run_coroutine(rv)
        return rv

    @t.overload
    def _full_dispatch(
        self, ctx: RequestContext, text: t.Literal[False] = False
    ) -> Response: ...
    @t.overload
    def _full_dispatch(
        self, ctx: RequestContext, text: bool, rv: t.Any = ...
    ) -> Response | bytes: ...
    def _full_dispatch(
        self, ctx: RequestContext, text: bool = False, rv: t.Any = _MISSING
    ) -> Response | bytes:
        """full_dispatch_request() for a class that overrides none of its steps:
        the same work, in one frame. With ``text``, a str that the view returns
        and that nothing after it looks at (no after-request function, session
        or receiver) comes back encoded, for the caller to send as
        ``Response(rv)`` would. With ``rv``, the view (or its error handler)
        returned that already (see __call__): the rest is done."""
        match = ctx._match
        environ: WSGIEnvironment | None
        args: dict[str, t.Any] | None
        if match is None:
            req = ctx.request
            rule = req.url_rule
            endpoint = None if rule is None else rule.endpoint
            environ = None  # req.environ, read when needed (an ASGI one is made)
        else:  # no Request made yet (see _LazyRequestContext)
            rule, args = match
            endpoint = rule.endpoint
            environ = ctx._environ  # type: ignore[attr-defined]
        if not self._got_first_request:
            self._start_serving()
        # PERF: one dict lookup replaces four registry walks (~1.5 µs with
        # hooks); an item, not a get() call (-205 instructions)
        try:
            hooks = self._hook_cache[endpoint]
        except KeyError:
            hooks = self._hooks(endpoint)
        if rv is _MISSING:  # (else the view's value, from __call__)
            try:
                if signals.connected and signals.request_started.receivers:
                    signals.request_started.send(self, _async_wrapper=self.ensure_sync)
                # (PERF: the Request is not made for a scope with after-request
                # or teardown functions only: hello with one after_request
                # function 37,030 -> 31,834 instructions a request)
                if hooks is None or not (hooks.before or hooks.preprocessors):
                    rv = None
                else:
                    rv = hooks.run_before(ctx.request)
                if rv is None:
                    # With a Request (a hook or receiver may have made it), its
                    # view_args count; without, the match (not OPTIONS: see __call__).
                    if ctx._match is None:
                        req = ctx.request
                        if req.routing_exception is not None:
                            self.raise_routing_exception(req)
                        # matched (no routing exception): url_rule and view_args are set
                        args = req.view_args
                        if rule.provide_automatic_options and req.method == "OPTIONS":  # type: ignore[union-attr]
                            rv = self.make_default_options_response()
                    if rv is None:
                        view = self.view_functions[endpoint]  # type: ignore[index]
                        if not args:
                            # PERF: no ** for a view without arguments (~600
                            # instructions)
                            rv = view()
                        else:
                            # PERF: a function of one parameter that names the
                            # rule's one argument is given it by position, as the
                            # keyword would bind it (decided once per rule and
                            # view): /user/42 28,149 -> 26,963 instructions
                            decided, name = rule._view_call  # type: ignore[union-attr]
                            if decided is not view:
                                name = _decide_view_call(view, rule)  # type: ignore[arg-type]
                            if name is not None and (
                                ctx._match is not None  # (the match's own arguments)
                                or (len(args) == 1 and name in args)  # (a hook's)
                            ):
                                rv = view(args[name])
                            else:
                                rv = view(**args)
                        if type(rv) is CoroutineType:
                            rv = _run_coroutine(rv)
            except Exception as e:
                rv = self.handle_user_exception(e)
        if type(rv) is str:
            if not self._plain_response:
                response = self.response_class(rv)
            elif (
                text
                and not ctx._after_request_functions
                and (hooks is None or not hooks.after)
                and ctx._session is None
                and (
                    "HTTP_COOKIE" not in (req.environ if environ is None else environ)
                    or not self._refreshes_session(ctx)  # (loads the session if so)
                )
                and not (signals.connected and signals.request_finished.receivers)
            ):
                # PERF: no Response object that nobody would see (see wsgi_app;
                # hello with a before_request function: 35,617 -> 30,468
                # instructions a request).
                return rv.encode()
            else:
                response = _text_response(rv)
        elif type(rv) is self.response_class:
            response = rv  # PERF: as make_response() does, without it (~0.4 µs)
        elif isinstance(rv, HTTPException):
            # PERF: spares make_response's type tests (~0.5 µs per error).
            response = self._http_exception_response(rv)
        else:
            response = self.make_response(rv)
        if ctx._after_request_functions or (hooks is not None and hooks.after):
            response = _run_after(ctx, hooks, response)
        if (
            ctx._session is not None
            or "HTTP_COOKIE" in (req.environ if environ is None else environ)
            or (signals.connected and signals.request_finished.receivers)
        ):  # PERF: no call without a session to save or a receiver (~0.05 µs)
            return self._end_dispatch(ctx, response)
        return response

    def _end_dispatch(self, ctx: RequestContext, response: Response) -> Response:
        """The end of both drivers' request cycle, after the after-request
        functions: the session saved if used, ``request_finished`` sent."""
        try:
            if ctx._session is not None or self._refreshes_session(ctx):
                self._save_session(ctx, response)
            if signals.request_finished.receivers:
                signals.request_finished.send(
                    self, _async_wrapper=self.ensure_sync, response=response
                )
        except BaseException:
            _discard(response)
            raise
        return response

    def full_dispatch_request(self) -> Response:
        """Hooks, the view, and the response, with error handlers applied."""
        if not self._got_first_request:
            self._start_serving()
        try:
            if signals.request_started.receivers:
                signals.request_started.send(self, _async_wrapper=self.ensure_sync)
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """Call the view of the matched rule (or answer OPTIONS)."""
        req = _request_ctx().request
        if req.routing_exception is not None:
            self.raise_routing_exception(req)
        # matched (no routing exception): url_rule and view_args are set
        rule: Rule = req.url_rule  # type: ignore[assignment]
        if rule.provide_automatic_options and req.method == "OPTIONS":
            return self.make_default_options_response()
        return self._call_hook(self.view_functions[rule.endpoint], **req.view_args)  # type: ignore[arg-type,no-any-return]

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the 404, 405 or redirect that matching found for ``request``.

        In debug mode, a 301/302 redirect of a request that may carry a form
        (the browser would drop its body) raises ``FormDataRoutingRedirect``
        instead, as in Flask; kolba's own redirects are 308."""
        exc = request.routing_exception
        if (
            self.debug
            and isinstance(exc, RequestRedirect)
            and exc.code not in (307, 308)
            and request.method not in ("GET", "HEAD", "OPTIONS")
        ):
            from .debughelpers import FormDataRoutingRedirect

            raise FormDataRoutingRedirect(request)
        raise exc  # type: ignore[misc]

    def make_default_options_response(self) -> Response:
        """200 with an ``Allow`` header of the URL's methods."""
        req = _request_ctx().request
        try:
            path = "" if req._empty_path_info else req.path  # (as match_request)
            self.url_map.match(path, "\0", *self._domain(req))
            methods: list[str] = []
        except MethodNotAllowed as e:
            methods = list(e.valid_methods or ())
        except HTTPException:
            methods = []
        rv = self.response_class()
        joined = "".join(methods)
        if type(rv) is Response and joined.isalpha() and joined.isupper():
            # PERF: distinct names (a set's) that HeaderSet would neither
            # quote nor merge, written as it writes them (OPTIONS: 118,315 ->
            # 84,646 instructions)
            rv.headers["Allow"] = ", ".join(methods)
        else:
            rv.allow.update(methods)
        return rv

    def preprocess_request(self) -> ft.ResponseReturnValue | None:
        """URL value preprocessors, then ``before_request`` functions; the first
        non-None return of those ends the request."""
        req = _request_ctx().request
        hooks = self._hooks(req.endpoint)
        if hooks is None:
            return None
        for func in hooks.preprocessors:
            self._call_hook(func, req.endpoint, req.view_args)
        for func in hooks.before:
            rv = self._call_hook(func)
            if rv is not None:
                return rv  # type: ignore[no-any-return]
        return None

    def finalize_request(self, rv: t.Any, from_error_handler: bool = False) -> Response:
        """Make the response and run ``after_request`` functions."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if signals.request_finished.receivers:
                signals.request_finished.send(
                    self, _async_wrapper=self.ensure_sync, response=response
                )
        except Exception:
            if not from_error_handler:
                _discard(response)
                raise
            self.logger.exception(
                "An after_request function failed while a 500 was being answered"
            )
        return response

    def process_response(self, response: Response) -> Response:
        """``after_this_request`` and ``after_request`` functions, then the session."""
        ctx = _request_ctx()
        for func in ctx._after_request_functions:
            response = self._call_hook(func, response)
            if not callable(response):
                raise _NotAResponse(func, response)
        hooks = self._hooks(ctx.request.endpoint)
        if hooks is not None:
            for func in hooks.after:
                response = self._call_hook(func, response)
                if not callable(response):
                    raise _NotAResponse(func, response)
        if ctx._session is not None or self._refreshes_session(ctx):
            self._save_session(ctx, response)
        return response

    def _refreshes_session(self, ctx: RequestContext) -> bool:
        """Whether a session the request never touched is still loaded and
        saved: its cookie came, and ``SESSION_REFRESH_EACH_REQUEST`` renews a
        permanent session's expiry on every request, as in Flask."""
        cookies = ctx._cookie_header()
        if not cookies or not self.config["SESSION_REFRESH_EACH_REQUEST"]:
            return False
        interface = self.session_interface
        if not interface.renews_unused_session(self):
            return False
        if f"{interface.get_cookie_name(self)}=" not in cookies:
            return False
        ctx.session  # noqa: B018 -- loads it
        return True

    def _save_session(self, ctx: RequestContext, response: Response) -> None:
        interface = self.session_interface
        session = ctx._session  # loaded by now (not ctx.session: this is no use)
        if session is not None and not interface.is_null_session(session):
            interface.save_session(self, session, response)

    def _cycle(self) -> dict[str, t.Any]:
        """Which request-cycle methods the app calls: its class's overrides,
        methods patched on a class since (tracers wrap ``Flask.wsgi_app``)
        and those set on the app."""
        overrides = _class_overrides(type(self)) | (_CYCLE_METHODS & vars(self).keys())
        decided = _cycle_decisions(overrides)
        if self._reads_registries:
            decided["_fused"] = False  # each step reads the hooks it runs
        return decided

    def _decide_cycle(self) -> None:
        """Decide again which request-cycle methods the app calls (and, once
        it serves, all that _start_serving decides)."""
        if self.__dict__.get("_got_first_request"):
            self._start_serving()
        else:
            # PERF: the decisions as the app's own attributes, which each
            # request reads (through the app, a class attribute costs ~230
            # instructions a read; ~700 a hello request).
            self.__dict__.update(self._cycle())

    def _start_serving(self) -> None:
        """Close registration and decide what every request will need. The
        decisions are written in one step: a request in another thread sees
        all of them as they were or all as they are (never the usual
        context allowed while a Request class's trusted_hosts is not yet
        told), and a setup that raises decides nothing. Decided again when
        a change came while deciding (another thread's): a hook registry's,
        another decision of this app, or a Request/Response class's (then
        this app may have been missed by _serving_decide_again)."""
        if self.config["SESSION_STORE"] is not None:
            from .sessions import session_store

            # a value naming no store (a typo, an empty variable) fails every
            # request from the first, saying so, not only those that use the
            # session (a health check's page passed, a deploy went out)
            session_store(self)
        while True:
            token = self.__dict__["_deciding"] = object()
            class_changes = _class_changes
            self._decide_serving()
            if (
                self.__dict__["_deciding"] is token
                and _class_changes is class_changes
            ):
                break
        global _told_real_flask
        if not _told_real_flask and "flask" in sys.modules:
            from .compat import real_flask_hint  # (not imported up front)

            if (hint := real_flask_hint()) is not None:
                _told_real_flask = True
                self.logger.warning(hint)

    def _decide_serving(self) -> None:
        """What _start_serving decides, written in one step."""
        decided = self._cycle()
        overrides = decided["_overrides"]
        # (registries that change untold may have teardown functions later)
        reads = self._reads_registries
        tears_down_requests = (
            reads
            or "do_teardown_request" in overrides
            or any(self.teardown_request_funcs.values())
        )
        tears_down_appctx = (
            reads
            or "do_teardown_appcontext" in overrides
            or bool(self.teardown_appcontext_funcs)
        )
        request_class = self.request_class
        # A Request class's own trusted_hosts (werkzeug's) is checked on every
        # request, as Flask does, by match_request(): not the inline push and
        # match, which skip it (no cost to a class without).
        lean = decided["_lean_ctx"] and request_class.trusted_hosts is None
        # the class's (or the app's) request_class does not change what the
        # usual context needs: the Request is made on first use
        plain = getattr(request_class, "_scope_plain", False)
        eager_session = not opens_lazily(self.session_interface)
        lazy_class = request_class if lean and plain and not eager_session else None
        decided.update(
            _got_first_request=True,
            _tears_down_requests=tears_down_requests,
            _tears_down_appctx=tears_down_appctx,
            _tears_down=tears_down_requests or tears_down_appctx,
            # the WSGI entry calls the teardown functions itself (see _tear_down)
            _lean_teardown=not decided["_uses_ensure_sync"]
            and not {"do_teardown_request", "do_teardown_appcontext"} & overrides,
            # the ASGI driver awaits async ones on its loop (kolba.asgi._atear_down)
            _async_teardown=reads
            or any(
                inspect.iscoroutinefunction(func)
                for funcs in (
                    *self.teardown_request_funcs.values(),
                    self.teardown_appcontext_funcs,
                )
                for func in funcs
            ),
            # PERF: the class attribute read once (through the app, a read
            # costs ~300 instructions; hello 23,448 -> 23,133). kolba's own
            # Response as defined: a str view's text is sent as it would be.
            _plain_response=self.response_class is Response and Response._as_defined,
            # a Request class with its own blueprint(s) or endpoint chooses
            # the hooks by request.blueprints, as Flask does (see _hooks)
            _endpoint_blueprints=getattr(request_class, "_endpoint_blueprints", False),
            _lean_ctx=lean,
            _eager_session=eager_session,
            _lazy_class=lazy_class,
            _lazy_request=lazy_class if self._plain_hosts else None,
            # the ASGI driver builds the request from the scope (kolba.asgi)
            _scope_request=decided["_own_ctx"] and plain,
        )
        if decided["_endpoint_blueprints"] != self._endpoint_blueprints:
            self._hook_cache.clear()
            self._hookless.clear()
        self.__dict__.update(decided)
        _SERVING.add(self)
        # the ASGI driver decides again which views run on its loop
        self.__dict__.pop("_kolba_asgi_views", None)

    def do_teardown_request(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Run ``teardown_request`` functions (innermost blueprint first)."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        ctx = _request_ctx()
        # PERF: a Request not made yet is not made for this (hello with a
        # teardown_request function and a request_tearing_down receiver:
        # 70,693 -> 63,626 instructions a request)
        match = ctx._match
        endpoint = ctx.request.endpoint if match is None else match[0].endpoint
        hooks = self._hooks(endpoint)
        if hooks is not None:
            for func in hooks.teardown:
                self._call_hook(func, exc)
        if signals.request_tearing_down.receivers:
            signals.request_tearing_down.send(
                self, _async_wrapper=self.ensure_sync, exc=exc
            )

    def do_teardown_appcontext(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Run ``teardown_appcontext`` functions, last registered first."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        for func in reversed(self.teardown_appcontext_funcs):
            self._call_hook(func, exc)
        if signals.appcontext_tearing_down.receivers:
            signals.appcontext_tearing_down.send(
                self, _async_wrapper=self.ensure_sync, exc=exc
            )

    # responses -------------------------------------------------------------

    def make_response(self, rv: t.Any) -> Response:
        """Turn a view's return value into a response (the seed's "About
        responses"): a body, optionally in a tuple with a status and/or
        headers, which are then applied to the response."""
        status = headers = None
        if isinstance(rv, tuple):
            rv, status, headers = self._split_view_tuple(rv)
        if isinstance(rv, (str, bytes, bytearray, cabc.Iterator)):
            return self.response_class(rv, status=status, headers=headers)
        response = self._body_response(rv)
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                response.status = status  # type: ignore[assignment]
            else:
                response.status_code = status
        if headers:
            response.headers.update(headers)
        return response

    @staticmethod
    def _split_view_tuple(rv: tuple[t.Any, ...]) -> tuple[t.Any, t.Any, t.Any]:
        """(body, status, headers) from a view's tuple; headers are a dict, a
        list of pairs or ``Headers``, anything else in second place a status."""
        if len(rv) == 3:
            return rv
        if len(rv) == 2:
            body, extra = rv
            if isinstance(extra, (Headers, dict, tuple, list)):
                return body, None, extra
            return body, extra, None
        raise TypeError(
            f"The view function for {_endpoint()!r} returned a tuple"
            f" of {len(rv)} items; a view may return (body, status),"
            " (body, headers) or (body, status, headers)."
        )

    def _body_response(self, rv: t.Any) -> Response:
        """The response for a view's body that is not text or a generator."""
        if isinstance(rv, self.response_class):
            return rv
        if isinstance(rv, (dict, list)):
            return self.json.response(rv)
        if isinstance(rv, cabc.AsyncIterator):  # (Response streams it)
            return self.response_class(rv)
        if isinstance(rv, HTTPException):
            return self._http_exception_response(rv)
        if rv is None:
            raise TypeError(
                f"The view function for {_endpoint()!r} did not return a valid"
                " response. The function either returned None or ended without"
                " a return statement."
            )
        if not (isinstance(rv, BaseResponse) or callable(rv)):
            raise TypeError(
                f"The view function for {_endpoint()!r} returned a"
                f" {type(rv).__name__}, which is not a response; a view must"
                f" return {_RETURN_TYPES}."
            )
        try:  # another response class, or any WSGI application
            return self.response_class.force_type(rv, request.environ)
        except TypeError as e:
            raise TypeError(
                f"{e}\nThe view function for {_endpoint()!r} returned"
                f" a {type(rv).__name__} that is not a WSGI application;"
                f" a view must return {_RETURN_TYPES}."
            ) from e

    def _http_exception_response(self, e: HTTPException) -> Response:
        if e.response is not None:
            # (not through make_response again: Flask calls it once, with e)
            return self._body_response(e.response)
        if isinstance(e, RequestRedirect):
            # (werkzeug's redirect, not app.redirect, as Flask answers it)
            return _wz_redirect(e.new_url, e.code, self.response_class)  # type: ignore[return-value]
        page = _default_error_page(e)
        if page is not None:
            if type(e) is MethodNotAllowed and e.valid_methods:
                # PERF: the 405's page is werkzeug's one for every request,
                # its Allow header is not (a 405 208,538 -> 145,972
                # instructions), put in kolba's headers as werkzeug orders
                # them (-> 114,435)
                allow = ", ".join(e.valid_methods)
                if self.response_class is not Response or not allow.isprintable():
                    return self.response_class(
                        page, e.code, [_HTML_TYPE, ("Allow", allow)]
                    )
                response = Response(page, e.code, content_type=_HTML)
                headers = response.headers  # [Content-Type, Content-Length]
                headers._list.insert(1, ("Allow", allow))
                headers._names.add("allow")  # type: ignore[attr-defined]
                return response
            return self.response_class(page, e.code, content_type=_HTML)
        environ = request.environ
        cls = type(e)
        if (
            cls.get_response is not _GET_RESPONSE or cls.__call__ is not _CALL
        ):  # it answers its own way (werkzeug's RequestRedirect too): as a
            # WSGI application, as Flask runs it
            return self.response_class.force_type(e, environ)  # type: ignore[arg-type]
        return self.response_class(e.get_body(environ), e.code, e.get_headers(environ))

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response; ``kolba.redirect`` calls this."""
        if self._plain_response and type(location) is str:
            # PERF: werkzeug's redirect page and headers made in this frame,
            # the page's text taken from werkzeug (redirect("/") 57,411 ->
            # 55,626 instructions; 64,110 -> 57,411 before, werkzeug's
            # redirect imported once, not in each call)
            html = _escape(location)
            start, middle, end = _REDIRECT_PAGE
            response = Response(f"{start}{html}{middle}{html}{end}", code)
            response.headers["Location"] = location
            return response
        return _wz_redirect(location, code=code, Response=self.response_class)  # type: ignore[return-value]

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Wrap an ``async def`` function so that it can be called from WSGI."""
        if inspect.iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """A plain function that runs the coroutine function ``func`` to its end."""

        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return _run_coroutine(func(*args, **kwargs))

        return wrapper

    # errors ----------------------------------------------------------------

    def _find_error_handler(
        self, e: BaseException, blueprints: list[str]
    ) -> t.Callable[..., t.Any] | None:
        """The handler registered for ``e``, or None.

        A handler for the status code beats one for an exception class; within
        each, the innermost blueprint beats its parents and the app, and the
        nearest class in ``e``'s MRO wins."""
        spec = self.error_handler_spec
        if not spec:
            return None
        scopes = [spec[name] for name in (*blueprints, None) if name in spec]
        code = e.code if isinstance(e, HTTPException) else None
        for key in (code, None) if code is not None else (None,):
            for by_class in filter(None, (scope.get(key) for scope in scopes)):
                for cls in type(e).__mro__:
                    if cls in by_class:
                        return by_class[cls]
        return None

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP error escapes to the server (or the test) instead of
        becoming its response: ``TRAP_HTTP_EXCEPTIONS`` for all of them,
        ``TRAP_BAD_REQUEST_ERRORS`` for 400s (by default, only a missing form
        key in debug mode, so that the developer sees which)."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_requests = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_requests is None:
            return self.debug and isinstance(e, BadRequestKeyError)
        return bool(trap_bad_requests) and isinstance(e, BadRequest)

    def handle_http_exception(
        self, e: HTTPException
    ) -> HTTPException | ft.ResponseReturnValue:
        """The registered handler's result, or the exception as a response."""
        if e.code is None or isinstance(e, RoutingException):
            return e
        if not self.error_handler_spec:
            return e
        req = _request_ctx().request
        handler = self._find_error_handler(e, req.blueprints)
        if handler is None:
            return e
        bad_host = _bad_host_first(e, req)
        if bad_host is not None:
            return self.handle_http_exception(bad_host)
        return self._call_hook(handler, e)  # type: ignore[no-any-return]

    def handle_user_exception(
        self, e: Exception
    ) -> HTTPException | ft.ResponseReturnValue:
        """Handle an exception raised by a hook or view; re-raise if unhandled."""
        if isinstance(e, HTTPException):
            if isinstance(e, BadRequestKeyError) and (
                self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
            ):
                e.show_exception = True  # the 400 page names the missing key
            if not self.trap_http_exception(e):
                return self.handle_http_exception(e)
        handler = self._find_error_handler(e, request.blueprints)
        if handler is None:
            raise e
        return self._call_hook(handler, e)  # type: ignore[no-any-return]

    def _propagates_exceptions(self) -> bool:
        """``PROPAGATE_EXCEPTIONS``, which defaults to on in testing and debug."""
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        return self.testing or self.debug if propagate is None else propagate

    def handle_exception(self, e: Exception) -> Response:
        """An exception no handler took: log it and answer 500 (through a 500
        handler if there is one), or let it propagate in testing and debug."""
        if isinstance(e, BadHost) and "_bad_host" in request.__dict__:
            # a Host no URL can hold, first read by a hook after the view (an
            # after_request reading request.url): the 400 that Flask's router
            # answers before the view, and kolba at the host's first read
            return self.finalize_request(
                self.handle_user_exception(e), from_error_handler=True
            )
        if signals.got_request_exception.receivers:
            signals.got_request_exception.send(
                self, _async_wrapper=self.ensure_sync, exception=e
            )
        if self._propagates_exceptions():
            raise e
        self.log_exception((type(e), e, e.__traceback__))
        error = InternalServerError(original_exception=e)
        handler = self._find_error_handler(error, request.blueprints)
        rv = error if handler is None else self._call_hook(handler, error)
        return self.finalize_request(rv, from_error_handler=True)

    def log_exception(self, exc_info: t.Any) -> None:
        """Log an unhandled exception with its traceback."""
        self.logger.error(
            f"Exception on {request.path} [{request.method}]", exc_info=exc_info
        )

    # templates -------------------------------------------------------------

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja environment, created on first use."""
        return self.create_jinja_environment()

    def create_jinja_environment(self) -> Environment:
        """Build the Jinja environment from ``jinja_options``."""
        from .templating import template_globals, weak_method

        options = dict(self.jinja_options)
        choose = self.select_jinja_autoescape
        if getattr(choose, "__func__", None) is Flask.select_jinja_autoescape:
            # PERF: kolba's own choice needs no app (0.65 µs a render less
            # than the weak method, which Jinja calls for each render).
            options.setdefault("autoescape", _autoescape)
        else:
            options.setdefault("autoescape", weak_method(choose))
        if "auto_reload" not in options:
            auto_reload = self.config["TEMPLATES_AUTO_RELOAD"]
            options["auto_reload"] = self.debug if auto_reload is None else auto_reload
        env = self.jinja_environment(self, **options)
        env.globals.update(template_globals(self))
        env.policies["json.dumps_function"] = self.json.dumps
        for kind, name, func in self._template_functions:
            getattr(env, kind)[name] = func
        return env

    @cached_property
    def jinja_environment(self) -> type[Environment]:
        """The class of :attr:`jinja_env` (kolba's Jinja ``Environment``)."""
        from .templating import Environment

        return Environment

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The loader over the app's and the blueprints' template folders."""
        from .templating import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape ``.html``, ``.htm``, ``.xml``, ``.xhtml``, ``.svg``, strings."""
        return _autoescape(filename)

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add ``g``, ``request`` and the context processors' names; the
        view's own values win."""
        app_ctx, req_ctx = _cv_get(_NO_CTX)
        endpoint = None if req_ctx is None else req_ctx.request.endpoint
        # PERF: the scope's processors come from the hook cache (~1.5 µs).
        hooks = self._hook_cache.get(endpoint, _MISSING)
        if hooks is _MISSING:
            hooks = self._hooks(endpoint)
        if hooks is not None and hooks.context_processors:
            extra = _default_template_ctx_processor()
            for func in hooks.context_processors:
                extra.update(self._call_hook(func))
            for name, value in extra.items():
                context.setdefault(name, value)
            return
        # PERF: without processors, the default one's two names directly
        # (0.4 µs a render less than its dict and the loop over it).
        if app_ctx is not None and "g" not in context:
            context["g"] = app_ctx.g
        if req_ctx is not None and "request" not in context:
            context["request"] = req_ctx.request

    def _add_template_function(
        self, kind: str, func: t.Callable[..., t.Any], name: str | None
    ) -> None:
        name = name or func.__name__
        self._template_functions.append((kind, name, func))
        if "jinja_env" in self.__dict__:
            getattr(self.jinja_env, kind)[name] = func

    @setupmethod
    def template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a Jinja filter."""
        return _registering(self.add_template_filter, name)

    @setupmethod
    def add_template_filter(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """Make ``f`` a Jinja filter named ``name`` (default: its own name)."""
        self._add_template_function("filters", f, name)

    @setupmethod
    def template_test(
        self, name: str | None = None
    ) -> t.Callable[[T_template_test], T_template_test]:
        """Register the decorated function as a Jinja test."""
        return _registering(self.add_template_test, name)

    @setupmethod
    def add_template_test(
        self, f: t.Callable[..., bool], name: str | None = None
    ) -> None:
        """Make ``f`` a Jinja test named ``name`` (default: its own name)."""
        self._add_template_function("tests", f, name)

    @setupmethod
    def template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a Jinja global."""
        return _registering(self.add_template_global, name)

    @setupmethod
    def add_template_global(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """Make ``f`` a Jinja global named ``name`` (default: its own name)."""
        self._add_template_function("globals", f, name)

    # URL building ----------------------------------------------------------

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build a URL; see :func:`kolba.url_for`."""
        return _url_for(self, endpoint, values, _anchor, _method, _scheme, _external)

    def _suggest_endpoint(self, error: BuildError) -> None:
        """For an endpoint that has no rule, the one whose name is closest
        (werkzeug's suggestion), when the router found none close enough."""
        from difflib import SequenceMatcher

        endpoint = str(error.endpoint)
        if error.endpoint in self.url_map._rules_by_endpoint:
            return  # (it exists: no rule of it fits the values)
        endpoints = {str(rule.endpoint): None for rule in self.url_map.iter_rules()}
        if endpoints:
            error.suggestion = max(
                endpoints, key=lambda e: SequenceMatcher(None, e, endpoint).ratio()
            )

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Let ``url_defaults`` functions add values before a URL is built."""
        names: tuple[str | None, ...] = (None,)
        if "." in endpoint:
            parts = endpoint.rpartition(".")[0].split(".")
            names = (None, *(".".join(parts[:i]) for i in range(1, len(parts) + 1)))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)

    def handle_url_build_error(
        self, error: WerkzeugBuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Ask ``url_build_error_handlers``; re-raise if none returns a URL."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        if error is sys.exc_info()[1]:
            raise
        raise error


# PERF: read once: a method read from the app is unspecialised (-228), and so
# is one read from Flask, whose type is not type (_FlaskType): a JSON view
# 72,129 -> 71,969 instructions a request
_full_dispatch = Flask._full_dispatch
# (what kolba.url_for calls the body of, for an app whose own they are)
_helpers._APP_URL_FOR = Flask.url_for
_helpers._APP_INJECT_URL_DEFAULTS = Flask.inject_url_defaults
#: Flask's request-cycle methods as defined here.
_FLASK_CYCLE = {name: getattr(Flask, name) for name in _CYCLE_METHODS}
#: The apps that serve: they decide again what a Request or Response class
#: allows when one changes (kolba.wrappers._Watched).
_SERVING: weakref.WeakSet[Flask] = weakref.WeakSet()
#: Replaced as a class changes: an app that started serving meanwhile, in
#: another thread, decides again (see Flask._start_serving).
_class_changes = object()


def _serving_decide_again(cls: type = Flask) -> None:
    """The serving apps of ``cls`` decide again what their requests need."""
    global _class_changes
    _class_changes = object()
    # (a copy in C: the WeakSet's own iteration raises RuntimeError when
    # another thread's app starts serving meanwhile)
    refs: set[weakref.ref[Flask]] = _SERVING.data.copy()  # type: ignore[attr-defined]
    for ref in refs:
        app = ref()
        if app is not None and isinstance(app, cls):
            try:
                app._start_serving()
            except Exception:  # (it decides, or raises, at its next request)
                app.__dict__["_got_first_request"] = False


_CLASS_CHANGED.append(_serving_decide_again)
#: The WSGI request cycle as defined here, which wsgi_app runs (a tracer may
#: have wrapped Flask.__call__ around it).
_serve = Flask.__call__


def _class_overrides(cls: type[Flask]) -> frozenset[str]:
    """The request-cycle methods of ``cls`` that are not Flask's own as
    defined here: a subclass's, or one patched on a class since."""
    return frozenset(
        name for name, own in _FLASK_CYCLE.items() if getattr(cls, name) is not own
    )


def _mark_asgi_entry() -> None:
    """ASGI servers tell an ASGI 3 app from a WSGI one by asking whether
    ``app.__call__`` is a coroutine function: say yes to them (it stays a
    plain function, which returns a coroutine only when given three arguments).
    Python 3.12+ has a marker for it; before, uvicorn's own test reads
    asyncio's marker, set when asyncio is loaded (a server loads it first)."""
    if hasattr(inspect, "markcoroutinefunction"):
        inspect.markcoroutinefunction(Flask.__call__)
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        Flask.__call__._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]


_mark_asgi_entry()
_NO_COROUTINE_MARKER = not hasattr(inspect, "markcoroutinefunction")  # < 3.12


async def _asgi_call(scope: t.Any, receive: t.Any, send: t.Any = None) -> None:
    """The signature that :class:`_ASGIEntry` shows (never called)."""


class _ASGIEntry:
    """``app.__call__`` as read from an app before Python 3.12, where no marker
    exists: hypercorn asks ``inspect.iscoroutinefunction(app.__call__)``,
    which sees the ``__code__`` of an ``async def`` here and answers ASGI.
    Calling it calls the app (WSGI or ASGI by the arguments); a server calls
    ``app(...)``, through the class, which never reads this."""

    __name__ = "__call__"
    __code__ = _asgi_call.__code__
    __defaults__ = _asgi_call.__defaults__
    __kwdefaults__ = None
    __annotations__: dict[str, t.Any] = {}

    def __init__(self, app: Flask) -> None:
        self._app = weakref.ref(app)  # no cycle: an app is freed without gc

    def __call__(self, *args: t.Any) -> t.Any:
        return self._app()(*args)  # type: ignore[misc]
