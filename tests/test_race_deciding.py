"""What the app decides while it serves, changed by another thread in the
middle of a request or of a decision (rev-race). Each test runs the other
thread's step at the exact point of the race, from a hook, so that the
interleaving happens every time."""

from __future__ import annotations

import io
import sys
import typing as t

import pytest

import kolba.app
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


@pytest.mark.parametrize("with_before", [False, True])
def test_hook_added_while_an_endpoint_builds_its_hooks(
    monkeypatch: pytest.MonkeyPatch, with_before: bool
) -> None:
    """An after_request function added in place (by another thread) after
    an endpoint's first request read the registries, before it kept the
    chain it built: the endpoint's later requests run it (rev-race #3; it
    kept the old chain, or no hooks at all, until the next change)."""
    app = Flask(__name__)
    ran: list[str] = []

    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/warm")
    def warm() -> str:
        return "warm"

    if with_before:

        @app.before_request
        def before() -> None:
            ran.append("before")

    client = app.test_client()
    assert client.get("/warm").data == b"warm"  # serving; "/" built nothing yet

    def after(response: t.Any) -> t.Any:
        ran.append("after")
        return response

    build = kolba.app._Hooks.build

    def build_then_add(app_: Flask, names: list[str]) -> t.Any:
        hooks = build(app_, names)
        if after not in app.after_request_funcs[None]:
            app.after_request_funcs[None].append(after)  # (the other thread)
        return hooks

    monkeypatch.setattr(kolba.app._Hooks, "build", build_then_add)
    client.get("/")  # (races the change: may or may not run it)
    ran.clear()
    assert client.get("/").data == b"index"
    assert ran == (["before", "after"] if with_before else ["after"])


def _request_teardown_count(app: Flask, torn: list[t.Any]) -> int:
    before = len(torn)
    assert app.test_client().get("/").data == b"index"
    return len(torn) - before


def test_teardown_added_while_another_change_is_decided(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two hook changes decided at once (two threads): the one whose
    decision read the registries before the other's teardown function was
    added wrote last. The teardown function still runs (rev-race #4; the
    app decided it had none and skipped teardown)."""
    app = Flask(__name__)
    torn: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        return "index"

    assert _request_teardown_count(app, torn) == 0  # serving

    def teardown(exc: BaseException | None) -> None:
        torn.append(exc)

    opens_lazily = kolba.app.opens_lazily

    def decide_with_another_change(interface: t.Any) -> bool:
        # (called by the decision after it read the registries)
        if teardown not in app.teardown_appcontext_funcs:
            app.teardown_appcontext_funcs.append(teardown)  # (the other thread)
        return opens_lazily(interface)

    after_funcs = app.after_request_funcs[None]  # (made: a change decided)
    monkeypatch.setattr(kolba.app, "opens_lazily", decide_with_another_change)
    after_funcs.append(lambda response: response)
    monkeypatch.undo()
    assert _request_teardown_count(app, torn) == 1
    assert _request_teardown_count(app, torn) == 1


def test_teardown_added_while_the_first_request_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A teardown function added in place (another thread) while the first
    request decides what requests need: decided again, it runs (rev-race
    #4; nothing decided again, as the app did not serve yet)."""
    app = Flask(__name__)
    torn: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        return "index"

    def teardown(exc: BaseException | None) -> None:
        torn.append(exc)

    opens_lazily = kolba.app.opens_lazily

    def decide_with_a_change(interface: t.Any) -> bool:
        if teardown not in app.teardown_appcontext_funcs:
            app.teardown_appcontext_funcs.append(teardown)  # (the other thread)
        return opens_lazily(interface)

    monkeypatch.setattr(kolba.app, "opens_lazily", decide_with_a_change)
    _request_teardown_count(app, torn)  # (races the change)
    monkeypatch.undo()
    assert _request_teardown_count(app, torn) == 1
