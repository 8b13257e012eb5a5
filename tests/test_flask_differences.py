"""Behaviours where kolba once differed from Flask 3.1 for no good reason.

Each test runs the same code on Flask and on kolba (``fw`` is the module)
and asserts both give the expected result, so a test fails if kolba drifts
away from Flask again, or if Flask changes under it."""

from __future__ import annotations

import types
import typing as t

import flask
import pytest
from werkzeug.routing import BuildError

import kolba

FRAMEWORKS = pytest.mark.parametrize("fw", [flask, kolba], ids=["flask", "kolba"])


def outcome(call: t.Callable[[], t.Any]) -> t.Any:
    """The call's result, or the exact type of the exception it raised."""
    try:
        return call()
    except Exception as e:  # noqa: BLE001
        return type(e)


@FRAMEWORKS
def test_a_relative_endpoint_needs_a_request(fw: types.ModuleType) -> None:
    """``url_for(".x")`` resolves the dot against the request's blueprint:
    with only an app context there is none, so no URL is built."""
    app = fw.Flask(__name__)
    app.config["SERVER_NAME"] = "example.test"
    app.add_url_rule("/x", "x", lambda: "")
    with app.app_context():
        assert fw.url_for("x") == "http://example.test/x"
        with pytest.raises(BuildError):
            fw.url_for(".x")
    with app.test_request_context():
        assert fw.url_for(".x") == "/x"  # no blueprint: the app's endpoint


@FRAMEWORKS
def test_popping_a_context_twice(fw: types.ModuleType) -> None:
    """Flask's kinds: a LookupError when no context is active, an IndexError
    when another one is (kolba says in its words which context it was)."""
    app = fw.Flask(__name__)
    for make in (app.app_context, app.test_request_context):
        ctx = make()
        assert outcome(ctx.pop) is LookupError  # never pushed
        ctx.push()
        ctx.pop()
        assert outcome(ctx.pop) is LookupError
        with make():
            assert outcome(ctx.pop) is IndexError
        first, second = make(), make()
        first.push()
        second.push()
        assert outcome(first.pop) is AssertionError  # the wrong one


@FRAMEWORKS
def test_a_rule_without_endpoint_or_view(fw: types.ModuleType) -> None:
    app = fw.Flask(__name__)
    assert outcome(lambda: app.add_url_rule("/x")) is AssertionError
    blueprint = fw.Blueprint("bp", __name__)
    blueprint.add_url_rule("/x")  # recorded: it fails when registered
    assert outcome(lambda: app.register_blueprint(blueprint)) is AssertionError
    app.add_url_rule("/y", "y")  # an endpoint without view: a rule to build
    with app.test_request_context():
        assert fw.url_for("y") == "/y"
