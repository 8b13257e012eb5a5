"""``kolba.signals``: Flask's signals, as blinker signals, sent only when a
receiver is connected. The request and app context signals are tested last."""

from __future__ import annotations

import pathlib
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager

import blinker
import flask.signals
import pytest

import kolba
from kolba import Flask, flash, render_template, render_template_string, signals

pytestmark = pytest.mark.usefixtures("driver")

SIGNAL_NAMES = [
    "template_rendered",
    "before_render_template",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "got_request_exception",
    "appcontext_tearing_down",
    "appcontext_pushed",
    "appcontext_popped",
    "message_flashed",
]


@pytest.mark.parametrize("name", SIGNAL_NAMES)
def test_every_flask_signal_is_a_blinker_signal_of_the_same_name(name: str) -> None:
    signal = getattr(signals, name)
    assert isinstance(signal, blinker.NamedSignal)
    assert signal.name == getattr(flask.signals, name).name
    assert getattr(kolba, name) is signal


def test_no_other_public_signals_than_flasks() -> None:
    ours = {n for n, v in vars(signals).items() if isinstance(v, blinker.NamedSignal)}
    theirs = {
        n for n, v in vars(flask.signals).items() if isinstance(v, blinker.NamedSignal)
    }
    assert ours == theirs == set(SIGNAL_NAMES)


@pytest.fixture
def template_app(tmp_path: pathlib.Path) -> Flask:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "hello.html").write_text("Hello {{ name }}!")
    app = Flask("template_app", root_path=str(tmp_path))
    app.secret_key = "a-secret-key-for-tests"

    @app.route("/<name>")
    def hello(name: str) -> str:
        return render_template("hello.html", name=name)

    @app.route("/string")
    def string() -> str:
        return render_template_string("{{ 1 + 1 }}")

    @app.route("/flash")
    def do_flash() -> str:
        flash("hi", "info")
        return "ok"

    return app


def test_template_signals_carry_template_and_context(template_app: Flask) -> None:
    events: list[tuple[str, Flask, str | None, dict[str, t.Any]]] = []

    def before(sender: Flask, template: t.Any, context: dict[str, t.Any]) -> None:
        events.append(("before", sender, template.name, dict(context)))

    def rendered(sender: Flask, template: t.Any, context: dict[str, t.Any]) -> None:
        events.append(("rendered", sender, template.name, dict(context)))

    client = template_app.test_client()
    with signals.before_render_template.connected_to(before, template_app):
        with signals.template_rendered.connected_to(rendered, template_app):
            assert client.get("/ann").text == "Hello ann!"
    assert [(e[0], e[1], e[2], e[3]["name"]) for e in events] == [
        ("before", template_app, "hello.html", "ann"),
        ("rendered", template_app, "hello.html", "ann"),
    ]
    assert "request" in events[0][3] and "g" in events[0][3]


def test_before_render_template_may_change_the_context(template_app: Flask) -> None:
    def shout(sender: Flask, template: t.Any, context: dict[str, t.Any]) -> None:
        context["name"] = context["name"].upper()

    with signals.before_render_template.connected_to(shout, template_app):
        assert template_app.test_client().get("/ann").text == "Hello ANN!"


def test_template_signals_for_string_templates(template_app: Flask) -> None:
    names: list[str | None] = []
    with signals.template_rendered.connected_to(
        lambda sender, template, context: names.append(template.name), template_app
    ):
        assert template_app.test_client().get("/string").text == "2"
    assert names == [None]


def test_receivers_for_another_app_are_not_called(template_app: Flask) -> None:
    other = Flask("other")
    calls: list[object] = []
    with signals.template_rendered.connected_to(
        lambda sender, **kw: calls.append(sender), other
    ):
        template_app.test_client().get("/ann")
    assert calls == []


@pytest.mark.parametrize(
    ("path", "signal_names"),
    [
        ("/ann", ["before_render_template", "template_rendered"]),
        ("/flash", ["message_flashed"]),
    ],
)
def test_signals_are_not_sent_without_receivers(
    template_app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    signal_names: list[str],
) -> None:
    """A feature nobody listens to costs nothing: ``send`` is not even called."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a signal was sent with no receiver")

    for name in signal_names:
        monkeypatch.setattr(getattr(signals, name), "send", refuse)
    assert template_app.test_client().get(path).status_code == 200


def test_async_receiver_is_run(template_app: Flask) -> None:
    seen: list[str] = []

    async def receiver(sender: Flask, message: str, category: str) -> None:
        seen.append(message)

    with signals.message_flashed.connected_to(receiver, template_app):
        template_app.test_client().get("/flash")
    assert seen == ["hi"]


# -- request and app context signals ---------------------------------------------

Received = list[tuple[str, t.Any, dict[str, t.Any]]]


@contextmanager
def receiving(*named: tuple[str, blinker.Signal]) -> Iterator[Received]:
    """Record ``(name, sender, kwargs)`` for each signal sent in the block."""
    received: Received = []
    receivers = []
    for name, signal in named:

        def receiver(sender: t.Any, name: str = name, **kwargs: t.Any) -> None:
            received.append((name, sender, kwargs))

        receivers.append(receiver)
        signal.connect(receiver)
    try:
        yield received
    finally:
        for (_, signal), receiver in zip(named, receivers, strict=True):
            signal.disconnect(receiver)


def test_request_signals_in_order(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "ok"

    with receiving(
        ("started", signals.request_started),
        ("finished", signals.request_finished),
        ("tearing_down", signals.request_tearing_down),
    ) as received:
        app.test_client().get("/")
    assert [name for name, _, _ in received] == ["started", "finished", "tearing_down"]
    assert all(sender is app for _, sender, _ in received)
    started, finished, tearing_down = (kwargs for _, _, kwargs in received)
    assert started == {}
    assert isinstance(finished["response"], kolba.Response)
    assert finished["response"].data == b"ok"
    assert tearing_down == {"exc": None}


def test_request_started_sees_the_request(app: Flask) -> None:
    paths: list[str] = []

    def on_started(sender: Flask, **kwargs: t.Any) -> None:
        paths.append(kolba.request.path)

    app.add_url_rule("/page", "page", lambda: "ok")
    with signals.request_started.connected_to(on_started, app):
        app.test_client().get("/page")
    assert paths == ["/page"]


def test_got_request_exception(app: Flask) -> None:
    app.config["TESTING"] = False
    error = ZeroDivisionError("boom")

    @app.route("/crash")
    def crash() -> str:
        raise error

    with receiving(
        ("exception", signals.got_request_exception),
        ("tearing_down", signals.request_tearing_down),
    ) as received:
        assert app.test_client().get("/crash").status_code == 500
    assert received == [
        ("exception", app, {"exception": error}),
        ("tearing_down", app, {"exc": error}),
    ]


def test_handled_errors_send_no_exception_signal(app: Flask) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    with receiving(("exception", signals.got_request_exception)) as received:
        assert app.test_client().get("/missing").status_code == 404
    assert received == []


def test_appcontext_signals(app: Flask) -> None:
    with receiving(
        ("pushed", signals.appcontext_pushed),
        ("tearing_down", signals.appcontext_tearing_down),
        ("popped", signals.appcontext_popped),
    ) as received:
        with app.app_context():
            assert [name for name, _, _ in received] == ["pushed"]
    assert received == [
        ("pushed", app, {}),
        ("tearing_down", app, {"exc": None}),
        ("popped", app, {}),
    ]


def test_appcontext_signals_for_a_request(app: Flask) -> None:
    app.add_url_rule("/", "index", lambda: "ok")
    with receiving(
        ("pushed", signals.appcontext_pushed),
        ("tearing_down", signals.appcontext_tearing_down),
        ("popped", signals.appcontext_popped),
    ) as received:
        app.test_client().get("/")
    assert [name for name, _, _ in received] == ["pushed", "tearing_down", "popped"]
    assert all(sender is app for _, sender, _ in received)


def test_appcontext_tearing_down_gets_the_error(app: Flask) -> None:
    error = ValueError("in block")
    with receiving(("tearing_down", signals.appcontext_tearing_down)) as received:
        with pytest.raises(ValueError):
            with app.app_context():
                raise error
    assert received == [("tearing_down", app, {"exc": error})]


def test_appcontext_pushed_can_set_g(app: Flask) -> None:
    """The classic use: put a test user on ``g`` whenever a context starts."""

    def set_user(sender: Flask, **kwargs: t.Any) -> None:
        kolba.g.user = "tester"

    app.add_url_rule("/", "index", lambda: kolba.g.user)
    with signals.appcontext_pushed.connected_to(set_user, app):
        assert app.test_client().get("/").text == "tester"


@pytest.mark.parametrize(
    "name",
    [
        "request_started",
        "request_finished",
        "request_tearing_down",
        "got_request_exception",
        "appcontext_pushed",
        "appcontext_popped",
        "appcontext_tearing_down",
    ],
)
def test_nothing_is_sent_without_receivers(
    app: Flask, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    signal = getattr(signals, name)
    assert not signal.receivers

    def fail(*args: t.Any, **kwargs: t.Any) -> None:
        raise AssertionError(f"{name} was sent without receivers")

    monkeypatch.setattr(signal, "send", fail)
    app.config["TESTING"] = False
    app.add_url_rule("/", "index", lambda: "ok")
    app.add_url_rule("/crash", "crash", lambda: 1 / 0)
    client = app.test_client()
    assert client.get("/").data == b"ok"
    assert client.get("/crash").status_code == 500
    with app.app_context():
        pass
