"""``kolba.signals``: Flask's signals, as blinker signals, sent only when a
receiver is connected. (The request signals are tested with the core.)"""

from __future__ import annotations

import pathlib
import typing as t

import blinker
import flask.signals
import pytest

import kolba
from kolba import Flask, flash, render_template, render_template_string, signals

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
    app.secret_key = "k"

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
