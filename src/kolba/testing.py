"""The test client and environ builder (werkzeug's, made app-aware)."""

from __future__ import annotations

import copy
import functools
import typing as t
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import werkzeug.test
from werkzeug.wrappers import Request as BaseRequest

if t.TYPE_CHECKING:
    from werkzeug.test import TestResponse

    from .app import Flask
    from .ctx import RequestContext


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """An environ for ``app``: the base URL comes from ``SERVER_NAME``,
    ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME``; ``json=`` uses the
    app's JSON provider."""

    def __init__(
        self,
        app: Flask,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        if base_url is None:
            base_url, path = _app_base_url(app, path, subdomain, url_scheme)
        elif subdomain or url_scheme:
            raise ValueError("Pass 'base_url' or 'subdomain'/'url_scheme', not both.")
        self.app = app
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        return self.app.json.dumps(obj, **kwargs)


def _app_base_url(
    app: Flask, path: str, subdomain: str | None, url_scheme: str | None
) -> tuple[str, str]:
    """``path`` split into the app's base URL and the path (with its query)
    below it. A scheme or host written in ``path`` wins over the config."""
    config = app.config
    scheme = config["PREFERRED_URL_SCHEME"] if url_scheme is None else url_scheme
    host = ".".join(filter(None, (subdomain, config.get("SERVER_NAME") or "localhost")))
    root = config["APPLICATION_ROOT"].lstrip("/")
    url = urlsplit(path)
    local = f"{url.path}?{url.query}" if url.query else url.path
    return f"{url.scheme or scheme}://{url.netloc or host}/{root}", local


class KolbaClient(werkzeug.test.Client):
    """``app.test_client()``. ``with client:`` keeps the last request's
    context active until the block ends; ``session_transaction()`` edits the
    session between requests."""

    application: Flask

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.preserve_context = False
        self._new_contexts: list[t.ContextManager[t.Any]] = []
        self._context_stack = ExitStack()
        self.environ_base = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Werkzeug/{_werkzeug_version()}",
        }

    @contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> t.Iterator[t.Any]:
        """Open the session this client would send, let the block change it,
        and store it back in the client's cookies. The arguments are those of
        ``app.test_request_context()``."""
        if self._cookies is None:
            raise TypeError(
                "This client was made with use_cookies=False, so it keeps no"
                " session cookie to edit."
            )
        app = self.application
        ctx = self._context_with_cookies(*args, **kwargs)
        with ctx:
            session = app.session_interface.open_session(app, ctx.request)
        if session is None:
            raise RuntimeError("The app's session_interface opened no session.")
        yield session
        if not app.session_interface.is_null_session(session):
            self._keep_session(ctx, session)

    def _context_with_cookies(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A test request context whose request carries this client's cookies."""
        ctx = self.application.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(ctx.request.environ)
        return ctx

    def _keep_session(self, ctx: RequestContext, session: t.Any) -> None:
        """Save ``session`` as the end of ``ctx``'s request would, and keep the
        cookies that sets."""
        app = self.application
        response = app.response_class()
        with ctx:
            app.session_interface.save_session(app, session, response)
        request = ctx.request
        self._update_cookies_from_response(
            request.host.partition(":")[0],
            request.path,
            response.headers.getlist("Set-Cookie"),
        )

    def _environ(self, extra: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
        """``extra`` over the client's ``environ_base``; inside ``with client:``
        also the hook through which the app hands over its request context."""
        environ = {**self.environ_base, **(extra or {})}
        if self.preserve_context:
            environ["werkzeug.debug.preserve_context"] = self._new_contexts.append
        return environ

    def _make_request(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        """The request ``open()`` sends: a ready request, environ or werkzeug
        builder passed as the one argument, else ours built from the
        arguments; all of them get the client's environ."""
        source = args[0] if args else None
        if isinstance(source, BaseRequest):
            return BaseRequest(self._environ(source.environ))
        if isinstance(source, dict):
            return BaseRequest(self._environ(source))
        if isinstance(source, werkzeug.test.EnvironBuilder):
            # a copy, so the caller's builder keeps its own environ_base
            builder = copy.copy(source)
            builder.environ_base = self._environ(source.environ_base)
            return builder.get_request()
        kwargs["environ_base"] = self._environ(kwargs.get("environ_base"))
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        """Flask's name for :meth:`_make_request` (Flask-SocketIO calls it)."""
        return self._make_request(args, kwargs)

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request (werkzeug's arguments). Inside ``with client:`` the
        context of the previous request ends and this one's stays active."""
        request = self._make_request(args, kwargs)
        self._context_stack.close()
        # A redirect followed is opened by a nested open(): the first request's
        # context must not outlive it, so that the last request's stays active.
        self._new_contexts.clear()
        response = super().open(
            request, buffered=buffered, follow_redirects=follow_redirects
        )
        response.json_module = self.application.json  # type: ignore[assignment]
        while self._new_contexts:
            self._context_stack.enter_context(self._new_contexts.pop())
        return response

    def __enter__(self) -> KolbaClient:
        if self.preserve_context:
            raise RuntimeError(
                "This client is already in a 'with' block; blocks"
                " of one client cannot nest."
            )
        self.preserve_context = True
        return self

    def __exit__(self, exc_type: t.Any, exc_value: t.Any, tb: t.Any) -> None:
        self.preserve_context = False
        self._context_stack.close()


FlaskClient = KolbaClient


@functools.cache
def _werkzeug_version() -> str:
    """Read once: looking up package metadata costs about 0.1 ms per client."""
    from importlib.metadata import version

    return version("werkzeug")


def __getattr__(name: str) -> t.Any:
    """``KolbaCliRunner``/``FlaskCliRunner`` live in :mod:`kolba.cli` (click is
    imported only when they are used)."""
    if name in {"KolbaCliRunner", "FlaskCliRunner"}:
        from .cli import KolbaCliRunner

        return KolbaCliRunner
    raise AttributeError(name)
