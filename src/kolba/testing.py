"""The test client and environ builder (werkzeug's, made app-aware)."""

from __future__ import annotations

import functools
import typing as t
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import werkzeug.test
from werkzeug.wrappers import Request as BaseRequest

if t.TYPE_CHECKING:
    from werkzeug.test import TestResponse

    from .app import Flask


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
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError("Pass 'base_url' or 'subdomain'/'url_scheme', not both.")
        if base_url is None:
            http_host = app.config.get("SERVER_NAME") or "localhost"
            app_root = app.config["APPLICATION_ROOT"]
            if subdomain:
                http_host = f"{subdomain}.{http_host}"
            if url_scheme is None:
                url_scheme = app.config["PREFERRED_URL_SCHEME"]
            url = urlsplit(path)
            base_url = f"{url.scheme or url_scheme}://{url.netloc or http_host}/"
            base_url += app_root.lstrip("/")
            path = url.path
            if url.query:
                path = f"{path}?{url.query}"
        self.app = app
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        return self.app.json.dumps(obj, **kwargs)


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
        and store it back in the client's cookies."""
        if self._cookies is None:
            raise TypeError(
                "This client was made with use_cookies=False, so it keeps no"
                " session cookie to edit."
            )
        app = self.application
        ctx = app.test_request_context(*args, **kwargs)
        self._add_cookies_to_wsgi(ctx.request.environ)
        with ctx:
            sess = app.session_interface.open_session(app, ctx.request)
        if sess is None:
            raise RuntimeError("The app's session_interface opened no session.")
        yield sess
        resp = app.response_class()
        if app.session_interface.is_null_session(sess):
            return
        with ctx:
            app.session_interface.save_session(app, sess, resp)
        self._update_cookies_from_response(
            ctx.request.host.partition(":")[0],
            ctx.request.path,
            resp.headers.getlist("Set-Cookie"),
        )

    def _environ(self, extra: t.Mapping[str, t.Any] | None) -> dict[str, t.Any]:
        environ = {**self.environ_base, **(extra or {})}
        if self.preserve_context:
            environ["werkzeug.debug.preserve_context"] = self._new_contexts.append
        return environ

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        if args and isinstance(
            args[0], (werkzeug.test.EnvironBuilder, dict, BaseRequest)
        ):
            arg = args[0]
            if isinstance(arg, werkzeug.test.EnvironBuilder):
                # werkzeug's builder: ours needs the app, which a redirect's lacks
                builder = werkzeug.test.EnvironBuilder.from_environ(arg.get_environ())
                builder.environ_base = self._environ(builder.environ_base)
                request = builder.get_request()
            elif isinstance(arg, dict):
                request = BaseRequest(self._environ(arg))
            else:
                request = BaseRequest(self._environ(arg.environ))
        else:
            kwargs["environ_base"] = self._environ(kwargs.get("environ_base"))
            builder = EnvironBuilder(self.application, *args, **kwargs)
            try:
                request = builder.get_request()
            finally:
                builder.close()
        self._context_stack.close()
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
