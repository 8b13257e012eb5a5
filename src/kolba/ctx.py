"""Application and request contexts, and the helpers that work with them."""

from __future__ import annotations

import contextvars
import sys
import typing as t
from functools import cached_property, update_wrapper

from werkzeug.exceptions import HTTPException, NotFound

from .globals import _NO_CTX, _cv_get, _cv_reset, _cv_set
from .sessions import SecureCookieSession, opens_lazily
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_tearing_down,
)

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

    from .app import Flask
    from .routing import MapAdapter
    from .sessions import SessionMixin
    from .wrappers import Request

    # what kolba.globals._cv_ctx holds: (app context, request context)
    _State = tuple["AppContext | None", "RequestContext | None"]

_sentinel = object()
F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class _AppCtxGlobals:
    """``g``: a namespace for data that lives as long as the app context."""

    if t.TYPE_CHECKING:  # any attribute may be set on g and read back

        def __getattr__(self, name: str) -> t.Any: ...
        def __setattr__(self, name: str, value: t.Any) -> None: ...
        def __delattr__(self, name: str) -> None: ...

    def get(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_get(_NO_CTX)[0]
        if ctx is not None:
            return f"<kolba.g of '{ctx.app.name}'>"
        return object.__repr__(self)


def _not_pushed(kind: str, active: object) -> LookupError:
    """The error for popping a context that is not pushed, of Flask's kind:
    LookupError when no such context is active, IndexError when another is."""
    error = LookupError if active is None else IndexError
    return error(
        f"This {kind} context is not pushed: it was popped already or never pushed."
    )


def _state_before(token: contextvars.Token[_State]) -> _State:
    """The contexts that were active before the push that made ``token``."""
    old = token.old_value
    return _NO_CTX if old is contextvars.Token.MISSING else old


def _restore(
    token: contextvars.Token[_State], part: int, foreign: bool = False
) -> None:
    """Make the ``part`` (0: app, 1: request) of the active contexts what it
    was before the push that made ``token``, the other part as it is now: as
    Flask resets one of its two context variables (ValueError for a token of
    another Context, unless ``foreign``: then the variable is set).

    The variable is reset with the token, then set if the other part is not
    as it was; the other part's context, pushed over this one, then pops
    with the new token (so that in the end nothing is left set)."""
    before = _state_before(token)
    other: t.Any = _cv_get(_NO_CTX)[1 - part]  # (its context: an app's or a request's)
    try:
        _cv_reset(token)
    except RuntimeError:  # used by the other part's pop (of a push they shared)
        reset = False
    except ValueError:
        # made in another Context (stream_with_context in an async view
        # primes its generator in the coroutine's copy)
        if not foreign:
            raise
        reset = False
    else:
        if other is before[1 - part]:
            return
        reset = True
    new = _cv_set((before[0], other) if part == 0 else (other, before[1]))
    if other is None or not reset:
        return
    if other._lean_token is not None:  # (a request context, as pushed by a driver)
        other._record_lean_push()
    if part == 0:
        requests = other._request_tokens
        if requests and _state_before(requests[-1][0])[1] is before[1]:
            requests[-1] = (new, requests[-1][1])
    else:
        apps = other._cv_tokens
        if apps and _state_before(apps[-1])[0] is before[0]:
            apps[-1] = new


class AppContext:
    """Makes ``current_app`` and ``g`` available; pushed for every request,
    CLI command and ``with app.app_context():`` block."""

    #: Whether a coroutine ran on a WSGI thread's event loop in this context
    #: (kolba.app._run_coroutine: the tasks others left there are cancelled).
    _used_thread_loop = False

    app: Flask
    _g: _AppCtxGlobals | None = None
    _lean_token: contextvars.Token[_State] | None = None  # (a RequestContext's)

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._cv_tokens: list[contextvars.Token[_State]] = []

    @property
    def g(self) -> _AppCtxGlobals:
        g = self._g
        if g is None:
            g = self._g = self.app.app_ctx_globals_class()
        return g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value

    @cached_property
    def url_adapter(self) -> MapAdapter | None:
        """werkzeug's adapter of the app's URL map, made when first asked for
        (``app.create_url_adapter(None)``: needs ``SERVER_NAME``)."""
        return self.app.create_url_adapter(None)

    def push(self) -> None:
        """Make this the active context (contexts nest; pop in reverse order);
        a request context that is active stays so."""
        request_ctx = _cv_get(_NO_CTX)[1]
        self._cv_tokens.append(_cv_set((self, request_ctx)))
        if appcontext_pushed.receivers:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """End the context; the last pop runs the teardown functions with ``exc``
        (by default the exception being handled, if any)."""
        app = self.app
        try:
            if len(self._cv_tokens) == 1 and (
                app._tears_down_appctx or appcontext_tearing_down.receivers
            ):
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                app.do_teardown_appcontext(exc)
        finally:
            ctx = _cv_get(_NO_CTX)[0]
            if ctx is None or not self._cv_tokens:
                raise _not_pushed("app", ctx)
            _restore(self._cv_tokens.pop(), 0, isinstance(self, RequestContext))
        if ctx is not self:
            raise AssertionError(
                f"App contexts popped out of order: {self!r} was to end, but"
                f" {ctx!r} is the active one."
            )
        if appcontext_popped.receivers:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def _as_app_context(self) -> AppContext:
        """What ``app_ctx`` gives while this context is the active app context."""
        return self

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self, exc_type: t.Any, exc_value: BaseException | None, tb: t.Any
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.app.name!r}>"


class RequestContext(AppContext):
    """Makes ``request`` and ``session`` available for one request.

    It is its own app context unless one for the same app is already
    active, whose ``g`` it then shares. The session is opened on first use.
    """

    #: The flashed messages, once ``get_flashed_messages`` took them.
    flashes: list[tuple[str, str]] | None = None
    #: ``after_this_request`` functions (a list once there is one).
    _after_request_functions: t.Sequence[t.Callable[[t.Any], t.Any]] = ()
    request: Request
    _session: SessionMixin | None = None
    #: The session the ASGI driver opened ahead, off its event loop: the
    #: request's session from its first use.
    _opened: SessionMixin | None = None
    _outer_app_ctx: AppContext | None = None
    #: What matching found, ``(url_rule, view_args)``, while no Request was
    #: made (a _LazyRequestContext's; None once it is on the Request).
    _match: tuple[t.Any, dict[str, t.Any]] | None = None
    #: (token, the app context this push made active: self, one from
    #: app.app_context(), or None when an outer one of the app is kept); a
    #: list from the first push (PERF: none made in __init__, ~700 instructions).
    _request_tokens: list[tuple[contextvars.Token[_State], AppContext | None]] = ()  # type: ignore[assignment]
    #: The pushes of this context as its own app context (as Flask's app
    #: context that a request pushes): a list from the first one.
    _cv_tokens: list[contextvars.Token[_State]] = ()  # type: ignore[assignment]
    #: The token of wsgi_app's own push (as its own app context and as the
    #: request) while nothing pushed or popped the context else: push() and
    #: pop() record it in _cv_tokens and _request_tokens first (PERF: no list
    #: or tuple for the usual request, hello 22,532 -> 21,756 instructions,
    #: /user/42 31,713 -> 30,919).
    _lean_token: contextvars.Token[_State] | None = None
    #: What ``app_ctx`` gives while this is the active app context (made then).
    _own_app_ctx: _OwnAppContext | None = None
    #: The error (not a routing one: a URL converter's own) that the ASGI
    #: driver's matching ahead of the push raised: push() raises it, where
    #: Flask's push matches.
    _match_error: Exception | None = None
    #: What the ASGI driver's matching ahead of the push found, (url_rule,
    #: view_args, routing_exception), for an app whose session opens at push
    #: (``app._eager_session``): put on the Request once the session is open,
    #: which, as in Flask, sees the request not matched yet.
    _match_ahead: tuple[t.Any, t.Any, t.Any] | None = None

    def __init__(
        self,
        app: Flask,
        environ: WSGIEnvironment,
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        if not app._plain_hosts and "create_url_adapter" not in app._overrides:
            # A config without the key fails here, before the push, as
            # Flask's create_url_adapter() reading it from its __init__.
            app.config["TRUSTED_HOSTS"]  # noqa: B018
        self.request = app.request_class(environ) if request is None else request
        # PERF: set even when None: each request reads them, and a class
        # attribute read through the instance costs more (~150 instructions)
        self._session = session
        self._match = None

    @property
    def g(self) -> _AppCtxGlobals:
        outer = self._outer_app_ctx
        if outer is not None:
            return outer.g
        g = self._g
        if g is None:
            g = self._g = self.app.app_ctx_globals_class()
        return g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        outer = self._outer_app_ctx
        if outer is None:
            self._g = value
        else:
            outer.g = value

    @property
    def session(self) -> SessionMixin:
        session = self._session
        if session is None:
            session = self._opened
            if session is None:
                session = self._open_session()
            self._session = session
        if not isinstance(session, SecureCookieSession):
            # Another interface's session may not note its reads: as in
            # Flask, handing it out marks it accessed (Vary: Cookie).
            session.accessed = True
        return session

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    def _open_at_push(self) -> None:
        """Open the session as Flask's push does, for an app whose session
        interface is not kolba's own (``app._eager_session``; until the app
        serves, asked here)."""
        app = self.app
        if self._session is None and (
            app._got_first_request or not opens_lazily(app.session_interface)
        ):
            try:
                self._session = self._open_session()
            except Exception:
                # As a failed push in Flask: the error is the request's, and
                # the session is neither opened again nor saved.
                self._session = app.session_interface.make_null_session(app)
                raise
        ahead = self._match_ahead
        if ahead is not None:
            self._match_ahead = None
            request = self.request
            request.url_rule, request.view_args, request.routing_exception = ahead

    def _open_session(self) -> SessionMixin:
        """The request's session as the app's session interface opens it."""
        interface = self.app.session_interface
        session = interface.open_session(self.app, self.request)
        return interface.make_null_session(self.app) if session is None else session

    @cached_property
    def url_adapter(self) -> MapAdapter | None:
        """werkzeug's adapter of the app's URL map for this request, made when
        first asked for (kolba's own matching does not need it)."""
        return self.app.create_url_adapter(self.request)

    def match_request(self) -> None:
        """Match the request's URL: set ``request.url_rule`` and
        ``request.view_args``, or ``request.routing_exception``."""
        self.app.match_request(self.request)

    def _cookie_header(self) -> str | None:
        """The request's Cookie header, as the environ has it."""
        cookies: str | None = self.request.environ.get("HTTP_COOKIE")
        return cookies

    def copy(self) -> RequestContext:
        """A new context for the same request and session (for other threads).

        The session is opened now, so that both contexts share one object."""
        return type(self)(self.app, self.request.environ, self.request, self.session)

    def _record_lean_push(self) -> None:
        """Record wsgi_app's own push in _cv_tokens and _request_tokens, as
        push() would have."""
        token: contextvars.Token[_State] = self._lean_token  # type: ignore[assignment]
        self._cv_tokens = [token]
        self._request_tokens = [(token, self)]
        self._lean_token = None

    def _sole_push(self) -> contextvars.Token[_State] | None:
        """The token of this context's one push, as its own app context, taken
        off its records while nothing else is active over it (its pop is then
        a reset with the token: the drivers' teardown); else None."""
        if self._lean_token is not None:
            self._record_lean_push()
        tokens = self._request_tokens
        if (
            len(tokens) == 1
            and tokens[0][1] is self
            and self._cv_tokens == [tokens[0][0]]
            and _cv_get(_NO_CTX)[0] is self
            and _cv_get(_NO_CTX)[1] is self
        ):
            self._cv_tokens.pop()
            return tokens.pop()[0]
        return None

    def _pop_app(self, exc: BaseException | None) -> None:
        """Pop this context as its own app context (Flask's separate one)."""
        if self._lean_token is not None:
            self._record_lean_push()
        try:
            AppContext.pop(self, exc)
        finally:
            if not self._cv_tokens:  # (what app_ctx gave refers to it)
                self._own_app_ctx = None

    def _as_app_context(self) -> AppContext:
        own = self._own_app_ctx
        if own is None:
            own = self._own_app_ctx = _OwnAppContext(self)
        return own

    def push(self) -> None:
        if self._lean_token is not None:
            self._record_lean_push()
        app = self.app
        outer, outer_request = _cv_get(_NO_CTX)
        pushed: AppContext | None
        token = None
        if outer is not None and outer.app is app:  # kept, as in Flask
            pushed = None
            self._outer_app_ctx = None if outer is self else outer
        elif "app_context" in app._overrides or isinstance(self._cv_tokens, list):
            # Flask pushes a new app.app_context(): this one is its own app
            # context once (a list from then), so that another has a new g
            pushed = outer = self._outer_app_ctx = app.app_context()
            pushed.push()
        else:  # its own app context
            pushed = outer = self
            self._outer_app_ctx = None
            if appcontext_pushed.receivers:  # they run before the request is active
                token = _cv_set((self, outer_request))
                appcontext_pushed.send(app, _async_wrapper=app.ensure_sync)
        new_token = _cv_set((outer, self))
        token = token or new_token
        if pushed is self:
            if self._cv_tokens:
                self._cv_tokens.append(token)
            else:
                self._cv_tokens = [token]
        if self._request_tokens:
            self._request_tokens.append((token, pushed))
        else:
            self._request_tokens = [(token, pushed)]
        if app._eager_session:
            self._open_at_push()
        request = self.request
        if request.url_rule is None and request.routing_exception is None:
            if self._match_error is not None:
                raise self._match_error
            if "create_url_adapter" in app._overrides:
                self._match_with_url_adapter()
            else:
                app.match_request(request)

    def _hand_over(self, keep: t.Callable[[t.Any], None]) -> None:
        """Give the test client's ``with client:`` (``keep``) this pushed
        context to push again, after the app context it is in when that is
        another one or its own (as Flask hands over both): its ``g`` stays."""
        app_ctx = _cv_get(_NO_CTX)[0]
        if app_ctx is self:  # its own app context
            app_ctx = self._as_app_context()
        if app_ctx is not None:
            keep(app_ctx)
        keep(self)

    def _match_with_url_adapter(self) -> None:
        """Match as Flask does when a subclass overrides create_url_adapter():
        through the adapter it returns (None: a 404)."""
        request = self.request
        try:
            adapter = self.url_adapter
            if adapter is None:
                raise NotFound()
            request.url_rule, request.view_args = adapter.match(return_rule=True)
        except HTTPException as e:
            request.routing_exception = e

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        if self._lean_token is not None:
            self._record_lean_push()
        app = self.app
        tokens = self._request_tokens
        last = len(tokens) == 1
        try:
            if last:
                if app._tears_down_requests or request_tearing_down.receivers:
                    if exc is _sentinel:
                        exc = sys.exc_info()[1]
                    app.do_teardown_request(exc)
                # (no Request made: no uploads)
                if self._match is None and self.request.__dict__.get("files"):
                    self.request.close()  # uploads to close
        finally:
            ctx = _cv_get(_NO_CTX)[1]
            if ctx is None or not tokens:
                raise _not_pushed("request", ctx)
            token, pushed = tokens.pop()
            _restore(token, 1, True)
            if last:  # (as Flask: the active one's)
                ctx._forget_request()
            if pushed is self:  # the app context it was ends
                self._pop_app(exc)
            elif pushed is not None:
                pushed.pop(exc)  # the app context that app_context() made
            if last and "_kolba_background" in self.__dict__:
                # background tasks added late (see asgi.add_background_task)
                self.__dict__["_kolba_background"].popped()
            if ctx is not self:
                raise AssertionError(
                    f"Request contexts popped out of order: {self!r} was to end,"
                    f" but {ctx!r} is the active one."
                )

    def _forget_request(self) -> None:
        """Unset the environ's ``werkzeug.request`` (Flask's, at the end)."""
        # (a request built from an ASGI scope may have made no environ)
        environ = (
            self.request.__dict__.get("environ")
            if self._match is None
            else self._environ  # type: ignore[attr-defined]
        )
        if environ is not None:
            environ["werkzeug.request"] = None

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __repr__(self) -> str:
        req = self.request
        return f"<{type(self).__name__} {req.url!r} [{req.method}] of {self.app.name}>"


class _OwnAppContext(AppContext):
    """``app_ctx`` while a request context is its own app context: that app
    context, as Flask's separate one (its push and pop are of the app
    context alone; ``g`` is the request context's)."""

    def __init__(self, ctx: RequestContext) -> None:
        self.app = ctx.app
        self._ctx = ctx

    @property
    def g(self) -> _AppCtxGlobals:
        return self._ctx.g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._ctx.g = value

    def push(self) -> None:
        ctx = self._ctx
        if ctx._lean_token is not None:
            ctx._record_lean_push()
        if not ctx._cv_tokens:
            ctx._cv_tokens = []
        AppContext.push(ctx)
        ctx._own_app_ctx = self

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        self._ctx._pop_app(exc)

    def __repr__(self) -> str:
        return f"<AppContext of {self.app.name!r}>"


class _BuildRequest:
    """``request`` of a context that makes its Request on first access (see
    :class:`_LazyRequestContext`): made by the context's ``_make_request()``,
    with what matching found, then kept in the context's ``__dict__`` (a
    non-data descriptor: later reads find it there)."""

    def __get__(self, ctx: t.Any, owner: type | None = None) -> t.Any:
        if ctx is None:
            return self
        request = ctx._make_request()
        match = ctx._match
        if match is not None:
            request.url_rule, request.view_args = match
        # Threads that share the context (copy_current_request_context) may
        # make one each: the first kept is everyone's, with the match on it.
        kept = ctx.__dict__.setdefault("request", request)
        if kept is request and match is not None:
            ctx._match = None
            # the rule's next requests make their Request when matched (see
            # Flask.__call__): reads of a made one cost less than this way
            match[0]._reads_request = True
        return kept


class _DriverContext(RequestContext):
    """A context that a driver makes for the usual request, whose Request is
    made on first use (``_make_request()``). The driver calls the class with
    no arguments and sets the attributes itself; a copy is a RequestContext
    made with the Request, as any context's.

    PERF: __init__ is object's, so that the call makes the context in C
    (made and freed: 1,631 -> 1,326 instructions by object.__new__; WSGI
    hello 19,436 -> 19,144, ASGI hello in process 27,506 -> 27,165)."""

    __init__ = object.__init__
    request = _BuildRequest()

    def _make_request(self) -> Request:
        raise NotImplementedError

    def copy(self) -> RequestContext:
        request = self.request
        return RequestContext(self.app, request.environ, request, self.session)


class _LazyRequestContext(_DriverContext):
    """The context that the WSGI entry (``Flask.__call__``) makes for the usual
    request: its Request is made when something first reads ``ctx.request`` (a
    hook, the view, the session, a receiver), or when matched for a rule whose
    requests read it; a view that never does costs no Request.

    The entry sets ``app``, ``_environ``, ``_session`` and
    ``_after_request_functions`` (``_match`` by matching).

    PERF: hello 29,228 -> 26,258 instructions a request, /user/42 38,400 ->
    35,454 (callgrind, PYTHONHASHSEED=0)."""

    def _make_request(self) -> Request:
        return self.app.request_class(self._environ)  # type: ignore[attr-defined]

    def _cookie_header(self) -> str | None:
        # the environ the Request is (or would be) made from: a Cookie header
        # makes no Request (which would mark the rule as one whose requests
        # read it, see _BuildRequest)
        cookies: str | None = self._environ.get("HTTP_COOKIE")  # type: ignore[attr-defined]
        return cookies


def has_request_context() -> bool:
    """Whether a request context is active (``request`` can be used)."""
    return _cv_get(_NO_CTX)[1] is not None


def has_app_context() -> bool:
    """Whether an app context is active (``current_app`` and ``g`` can be used)."""
    return _cv_get(_NO_CTX)[0] is not None


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after this request, before the app's ``after_request``."""
    ctx = _cv_get(_NO_CTX)[1]
    if ctx is None:
        raise RuntimeError(
            "after_this_request() needs an active request context: call it"
            " from a view or a before_request function."
        )
    if not ctx._after_request_functions:
        ctx._after_request_functions = []
    ctx._after_request_functions.append(f)  # type: ignore[attr-defined]
    return f


def copy_current_request_context(f: F) -> F:
    """Decorate ``f`` so that it runs in a copy of the current request context
    (for a thread or greenlet started in a view). An ``async def`` ``f``
    called on a running event loop gives the coroutine to await (or to make
    a task of) there."""
    ctx = _cv_get(_NO_CTX)[1]
    if ctx is None:
        raise RuntimeError(
            "copy_current_request_context() needs an active request context:"
            " use it in a view, before starting the thread."
        )
    ctx = ctx.copy()

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with ctx:
            return ctx.app.ensure_sync(f)(*args, **kwargs)

    import inspect

    if not inspect.iscoroutinefunction(f):
        return update_wrapper(wrapper, f)  # type: ignore[return-value]

    async def on_loop(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with ctx:
            return await f(*args, **kwargs)

    def either(*args: t.Any, **kwargs: t.Any) -> t.Any:
        # Called on a running event loop (an async view, a task): the
        # coroutine to await there, not its result, which would block the
        # loop until it ended (Flask raises instead). Elsewhere (a thread):
        # its result, as Flask gives it.
        asyncio = sys.modules.get("asyncio")
        if asyncio is not None and asyncio._get_running_loop() is not None:
            return on_loop(*args, **kwargs)
        return wrapper(*args, **kwargs)

    return update_wrapper(either, f)  # type: ignore[return-value]
