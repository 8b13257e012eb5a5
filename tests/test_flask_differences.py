"""Behaviours where kolba once differed from Flask 3.1 for no good reason.

Each test runs the same code on Flask and on kolba (``fw`` is the module)
and asserts both give the expected result, so a test fails if kolba drifts
away from Flask again, or if Flask changes under it."""

from __future__ import annotations

import types
import typing as t
import warnings

import flask
import pytest
from werkzeug import datastructures
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict
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


class PairList(ImmutableMultiDict[str, str]):
    """A parameter storage class that also keeps the pairs as they came."""

    def __init__(self, pairs: t.Iterable[tuple[str, str]] = ()) -> None:
        self.pairs = list(pairs)
        super().__init__(self.pairs)


def _ordered_classes() -> list[type]:
    """PairList, and werkzeug's ImmutableOrderedMultiDict (a documented Flask
    recipe) while werkzeug has it (deprecated in 3.1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ordered = getattr(datastructures, "ImmutableOrderedMultiDict", None)
    return [PairList] if ordered is None else [PairList, ordered]


def pairs(params: t.Any) -> list[list[str]]:
    """The pairs in the order the class keeps them."""
    if isinstance(params, PairList):
        return [list(pair) for pair in params.pairs]
    if isinstance(params, CombinedMultiDict):
        return [pair for part in params.dicts for pair in pairs(part)]
    return [list(pair) for pair in params.items(multi=True)]


@pytest.mark.filterwarnings("ignore:'OrderedMultiDict' is deprecated")
@pytest.mark.parametrize("storage", _ordered_classes(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("on", ["subclass", "class"])
@FRAMEWORKS
def test_the_request_class_parameter_storage_class(
    fw: types.ModuleType,
    storage: type,
    on: str,
    driver: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """args and form are made by the request class's parameter_storage_class,
    set on a subclass or on the class itself, and keep the order sent."""
    app = fw.Flask(__name__)
    if on == "subclass":
        app.request_class = type("Ordered", (fw.Request,), {})
    monkeypatch.setattr(app.request_class, "parameter_storage_class", storage)

    @app.route("/", methods=["GET", "POST"])
    def index() -> t.Any:
        request = fw.request
        assert type(request.args) is storage
        assert type(request.form) is storage
        assert type(request.files) is storage
        return [pairs(request.args), pairs(request.form), pairs(request.values)]

    client = app.test_client()
    query = [["b", "1"], ["a", "x y"], ["b", "3&"], ["", ""]]
    form = [["z", "1"], ["y", "%"], ["z", "é"]]
    response = client.post(
        "/?b=1&a=x+y&b=3%26&=",
        data="z=1&y=%25&z=%C3%A9",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.json == [query, form, query + form]
    response = client.post("/?b=1&a=x+y&b=3%26&=", data=dict(form[:2]))
    assert response.json == [query, form[:2], query + form[:2]]
    assert client.get("/").json == [[], [], []]
