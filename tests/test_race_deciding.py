"""What the app decides while it serves, changed by another thread in the
middle of a request or of a decision (rev-race). Each test runs the other
thread's step at the exact point of the race, from a hook, so that the
interleaving happens every time."""

from __future__ import annotations

import io
import sys
import typing as t

from kolba import Flask, request


def _environ(path: str = "/", query: str = "") -> dict[str, t.Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def _call(app: Flask, environ: dict[str, t.Any]) -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(
        s: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> None:
        status.append(s)

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return status[0], data


class _OnPath(dict):  # type: ignore[type-arg]
    """A WSGI environ whose PATH_INFO, once read, runs ``step`` first: what
    another thread does while this request is being matched."""

    def __init__(self, step: t.Callable[[], None], *args: t.Any) -> None:
        super().__init__(*args)
        self.step: t.Callable[[], None] | None = step

    def __getitem__(self, key: str) -> t.Any:
        if key == "PATH_INFO" and self.step is not None:
            step, self.step = self.step, None
            step()
        return super().__getitem__(key)


def test_trusted_hosts_set_while_a_request_is_matched() -> None:
    """TRUSTED_HOSTS set by another thread between the request's choice of
    the lazy Request and its making: the request keeps what it chose (a 200,
    as Flask's request reads the setting once), not a TypeError's 500."""
    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return request.args.get("id", "none")

    assert _call(app, _environ(query="id=1")) == ("200 OK", b"1")  # serving

    def trust() -> None:
        app.config["TRUSTED_HOSTS"] = ["localhost"]

    assert _call(app, _OnPath(trust, _environ(query="id=2"))) == ("200 OK", b"2")
    assert app._lazy_request is None  # (the change was made)
    assert _call(app, _environ(query="id=3")) == ("200 OK", b"3")
    bad = _environ(query="id=4")
    bad["HTTP_HOST"] = "evil.example"
    assert _call(app, bad)[0].startswith("400")
