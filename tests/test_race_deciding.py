"""What the app decides while it serves, changed by another thread in the
middle of a request or of a decision (rev-race). Each test runs the other
thread's step at the exact point of the race, from a hook, so that the
interleaving happens every time."""

from __future__ import annotations

import io
import sys
import typing as t
import weakref

import pytest

import kolba.app
import kolba.wrappers
from kolba import Flask, Request, request
from kolba.wrappers import _CLASS_CHANGED


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


def _evil_host_status(app: Flask) -> int:
    return app.test_client().get("/", headers={"Host": "evil.example"}).status_code


def test_class_changed_while_another_app_starts_serving() -> None:
    """A Request class's attribute set while another app starts serving (in
    another thread) as the serving apps are told: no RuntimeError from the
    setattr, and every app decides again (rev-race #5: the copy of the
    serving apps raised 'Set changed size during iteration', and the apps
    after it kept skipping the class's trusted_hosts)."""

    class _Req(Request):
        pass

    apps = []
    for _ in range(3):
        app = Flask(__name__)
        app.request_class = _Req
        app.route("/")(lambda: "index")
        assert _evil_host_status(app) == 200
        apps.append(app)
    late = Flask(__name__)
    late.request_class = _Req
    late.route("/")(lambda: "index")
    iterate = weakref.WeakSet.__iter__.__code__
    started: list[bool] = []

    def trace(frame: t.Any, event: str, arg: t.Any) -> t.Any:
        if event == "call" and frame.f_code is iterate:
            return trace
        if (
            event == "line"
            and frame.f_code is iterate
            and frame.f_locals.get("self") is kolba.app._SERVING
            and "itemref" in frame.f_locals  # (iterating)
            and not started
        ):
            started.append(True)
            late._start_serving()  # (the other thread's first request)
        return None

    sys.settrace(trace)
    try:
        _Req.trusted_hosts = ["localhost"]
    finally:
        sys.settrace(None)
    for app in [*apps, late]:
        assert _evil_host_status(app) == 400


def test_class_changed_callbacks_all_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """One callback told of a Request class's change raising: the others
    still run (the serving apps decide again), then the error is raised."""
    app = Flask(__name__)

    class Req(Request):
        pass

    app.request_class = Req
    app.route("/")(lambda: "index")
    assert _evil_host_status(app) == 200

    def fails() -> None:
        raise ValueError("a callback failed")

    monkeypatch.setattr(kolba.wrappers, "_CLASS_CHANGED", [fails, *_CLASS_CHANGED])
    with pytest.raises(ValueError, match="a callback failed"):
        Req.trusted_hosts = ["localhost"]
    monkeypatch.undo()
    assert _evil_host_status(app) == 400


def test_class_changed_while_an_app_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Request class's trusted_hosts set (another thread) while an app's
    first request decides, after it read the class and before it is among
    the serving apps told of the change: it decides again, and checks the
    host (rev-race #5: it kept skipping the check)."""

    class Req(Request):
        pass

    app = Flask(__name__)
    app.request_class = Req
    app.route("/")(lambda: "index")
    opens_lazily = kolba.app.opens_lazily

    def decide_with_a_change(interface: t.Any) -> bool:
        if "trusted_hosts" not in vars(Req):
            Req.trusted_hosts = ["localhost"]  # (the other thread)
        return opens_lazily(interface)

    monkeypatch.setattr(kolba.app, "opens_lazily", decide_with_a_change)
    app.test_client().get("/")  # (races the change)
    monkeypatch.undo()
    assert _evil_host_status(app) == 400
