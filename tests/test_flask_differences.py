"""Behaviours where kolba once differed from Flask 3.1 for no good reason.

Most tests run the same code on Flask and on kolba (``fw`` is the module)
and assert both give the expected result, so a test fails if kolba drifts
away from Flask again, or if Flask changes under it; the last ones check
differences that kolba keeps (README, "Differences from Flask")."""

from __future__ import annotations

import codecs
import inspect
import subprocess
import sys
import types
import typing as t
import warnings
from pathlib import Path

import click
import click.testing
import flask
import pytest
import werkzeug.routing
from werkzeug import datastructures
from werkzeug.datastructures import CombinedMultiDict, ImmutableDict, ImmutableMultiDict
from werkzeug.routing import BuildError

import kolba
import kolba.routing
import kolba.testing

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


@FRAMEWORKS
def test_a_session_of_another_class_is_accessed_when_handed_out(
    fw: types.ModuleType,
) -> None:
    """A session class that does not note its reads (a SessionMixin) starts
    not accessed; the request context marks it when a request uses the
    session (Flask 3.1.3): Vary: Cookie only then."""

    class Session(dict[str, t.Any], fw.sessions.SessionMixin):
        pass

    class Interface(fw.sessions.SessionInterface):
        def open_session(self, app: t.Any, request: t.Any) -> Session:
            return Session()

        def save_session(self, app: t.Any, session: t.Any, response: t.Any) -> None:
            if session.accessed:
                response.vary.add("Cookie")

    assert fw.sessions.SessionMixin.accessed is False
    app = fw.Flask(__name__)
    app.session_interface = Interface()
    app.add_url_rule("/plain", "plain", lambda: "plain")
    app.add_url_rule("/page", "page", lambda: fw.render_template_string("page"))
    app.add_url_rule("/read", "read", lambda: str(fw.session.get("user")))
    client = app.test_client()
    vary = {path: client.get(path).headers.get("Vary") for path in app.view_functions}
    assert vary == {"static": None, "plain": None, "page": None, "read": "Cookie"}


@FRAMEWORKS
def test_session_pop_takes_its_default_by_name(fw: types.ModuleType) -> None:
    app = fw.Flask(__name__)
    app.secret_key = "a-long-enough-test-secret"

    @app.route("/")
    def index() -> str:
        fw.session["a"] = 1
        return repr([fw.session.pop("a", default=0), fw.session.pop("b", default=0)])

    assert app.test_client().get("/").text == "[1, 0]"


@FRAMEWORKS
def test_a_blueprint_opens_its_resources_as_utf8(
    fw: types.ModuleType, tmp_path: Path
) -> None:
    """Blueprint.open_resource reads text as UTF-8 unless told otherwise
    (Flask.open_resource: in the locale's encoding)."""
    (tmp_path / "schema.sql").write_text("-- café\n", encoding="utf-8")
    blueprint = fw.Blueprint("bp", __name__, root_path=str(tmp_path))
    parameters = inspect.signature(blueprint.open_resource).parameters
    assert parameters["encoding"].default == "utf-8"
    with blueprint.open_resource("schema.sql", "r") as f:
        assert codecs.lookup(f.encoding).name == "utf-8"
        assert f.read() == "-- café\n"
    app_parameters = inspect.signature(fw.Flask.open_resource).parameters
    assert app_parameters["encoding"].default is None


@FRAMEWORKS
def test_the_cli_version_option(fw: types.ModuleType) -> None:
    """``flask.cli.version_option``: the --version option the command has,
    for a management script of one's own."""
    option = fw.cli.version_option
    assert isinstance(option, click.Option)
    assert option.opts == ["--version"] and option.is_eager
    assert option in fw.cli.FlaskGroup().params

    @click.command(params=[option])
    def manage() -> None:
        pass

    result = click.testing.CliRunner().invoke(manage, ["--version"])
    assert result.exit_code == 0
    assert "Werkzeug" in result.output


@FRAMEWORKS
def test_make_response_refuses_a_bad_value_outside_a_request(
    fw: types.ModuleType,
) -> None:
    """A TypeError, as inside a request (kolba's message read the request's
    endpoint: a RuntimeError with only an app context)."""
    app = fw.Flask(__name__)
    with app.app_context():
        assert outcome(lambda: fw.make_response(("x", 200, {}, "?"))) is TypeError
        assert outcome(lambda: fw.make_response(object())) is TypeError
        assert fw.make_response(("x", 201)).status_code == 201


@FRAMEWORKS
def test_the_request_class_dict_and_list_storage_classes(
    fw: types.ModuleType, driver: str
) -> None:
    """cookies are made by dict_storage_class, access_route by
    list_storage_class, under both drivers."""

    class Request(fw.Request):
        dict_storage_class = ImmutableDict
        list_storage_class = tuple

    app = fw.Flask(__name__)
    app.request_class = Request

    @app.route("/")
    def index() -> t.Any:
        request = fw.request
        assert type(request.cookies) is ImmutableDict
        assert type(request.access_route) is tuple
        return [dict(request.cookies), list(request.access_route)]

    client = app.test_client()
    client.set_cookie("k", "v")
    response = client.get("/", headers={"X-Forwarded-For": "192.0.2.1, 192.0.2.2"})
    assert response.json == [{"k": "v"}, ["192.0.2.1", "192.0.2.2"]]


def test_the_submodules_reachable_after_import() -> None:
    """Each submodule that ``import flask`` makes an attribute of the package
    (``flask.templating.Environment``) is one of kolba's, in a fresh
    interpreter where nothing else imported it."""
    code = (
        "import sys, {0}\n"
        "print(' '.join(sorted(m.split('.')[1] for m in sys.modules"
        " if m.startswith('{0}.') and m.count('.') == 1)))"
    )

    def submodules(name: str) -> list[str]:
        run = subprocess.run(
            [sys.executable, "-c", code.format(name)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return run.stdout.split()

    flask_names = submodules("flask")
    assert {"templating", "logging", "cli", "sessions"} <= set(flask_names)
    check = "import kolba\n" + "".join(f"kolba.{n}.__name__\n" for n in flask_names)
    subprocess.run([sys.executable, "-c", check], check=True, timeout=60)


def test_a_url_map_class_of_ones_own() -> None:
    """kolba matches with its own Map: a subclass of it works as in Flask,
    a werkzeug Map subclass is refused when the app is made (it failed every
    request with a 500)."""

    class Map(kolba.routing.Map):
        pass

    class App(kolba.Flask):
        url_map_class = Map

    app = App(__name__)
    app.add_url_rule("/<int:n>", "n", lambda n: str(n + 1))
    assert type(app.url_map) is Map
    assert app.test_client().get("/41").text == "42"

    class WerkzeugMap(werkzeug.routing.Map):
        pass

    class Other(kolba.Flask):
        url_map_class = WerkzeugMap

    with pytest.raises(TypeError, match=r"subclass kolba\.routing\.Map"):
        Other(__name__)


def test_a_host_outside_server_name_with_subdomain_matching() -> None:
    """A 404, also for a ``<sub>`` rule (Flask matches such a host as the
    subdomain ``<invalid>`` and answers)."""
    app = kolba.Flask(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    app.add_url_rule("/", "sub", lambda sub: f"sub {sub}", subdomain="<sub>")
    client = app.test_client()
    assert client.get("/", base_url="http://a.example.test").text == "sub a"
    for host in ("other.test", "a.other.test"):
        assert client.get("/", base_url=f"http://{host}").status_code == 404


@pytest.mark.parametrize("option", [{"subdomain": "api"}, {"url_scheme": "https"}])
def test_an_environ_builder_given_a_base_url_and_its_parts(
    option: dict[str, str],
) -> None:
    """A ValueError (Flask: an assert, gone under ``python -O``)."""
    app = kolba.Flask(__name__)
    with pytest.raises(ValueError, match="not both"):
        kolba.testing.EnvironBuilder(app, "/", base_url="http://a.test", **option)
