"""The URL map as extensions see it: werkzeug's Rule, converters, Map,
rule factories and MapAdapter, while kolba's own trie does the matching."""

from __future__ import annotations

import pytest
import werkzeug.routing as wz
from werkzeug.exceptions import MethodNotAllowed, NotFound

from kolba import Flask, abort, request
from kolba.ctx import AppContext
from kolba.routing import Map, Rule


def make_app() -> Flask:
    app = Flask(__name__)

    @app.route("/user/<int:id>", methods=["GET", "POST"])
    def user(id: int) -> str:
        return f"user {id}"

    @app.route("/files/<path:name>")
    def files(name: str) -> str:
        return name

    return app


def test_rules_are_werkzeug_rules_with_werkzeug_attributes() -> None:
    app = make_app()
    rule = next(app.url_map.iter_rules("user"))
    assert isinstance(rule, wz.Rule) and isinstance(app.url_map, wz.Map)
    assert rule.rule == "/user/<int:id>" and rule.endpoint == "user"
    assert rule.methods == {"GET", "HEAD", "POST", "OPTIONS"}
    assert rule.arguments == {"id"} and rule.defaults is None
    assert (rule.subdomain, rule.host, rule.build_only, rule.redirect_to) == (
        "", None, False, None,
    )  # fmt: skip
    assert rule.strict_slashes is True and str(rule) == "/user/<int:id>"
    assert rule._trace == [
        (False, "|"), (False, "/"), (False, "user"), (False, "/"), (True, "id"),
    ]  # fmt: skip
    assert isinstance(rule._converters["id"], wz.IntegerConverter)
    path = next(app.url_map.iter_rules("files"))
    assert isinstance(path._converters["name"], wz.PathConverter)
    assert app.url_map._rules_by_endpoint["user"] == [rule]


def test_url_map_add_takes_werkzeug_rules_and_factories() -> None:
    app = make_app()
    app.url_map.add(wz.Rule("/plain/<name>", endpoint="plain"))
    app.url_map.add(
        wz.Submount("/api", [wz.Rule("/ping", endpoint="ping", methods=["POST"])])
    )
    app.url_map.add(wz.EndpointPrefix("admin.", [wz.Rule("/admin", endpoint="home")]))
    app.url_map.add(
        wz.Subdomain("static", [wz.Rule("/logo", endpoint="logo", build_only=True)])
    )
    template = wz.RuleTemplate([wz.Rule("/$lang/about", endpoint="about_$lang")])
    app.url_map.add(template(lang="ru"))
    app.view_functions.update(
        plain=lambda name: f"plain {name}",
        ping=lambda: "pong",
        **{"admin.home": lambda: "admin", "about_ru": lambda: "о нас"},
    )
    client = app.test_client()
    assert client.get("/plain/x").text == "plain x"
    assert client.post("/api/ping").text == "pong"
    assert client.get("/api/ping").status_code == 405
    assert client.get("/admin").text == "admin"
    assert client.get("/ru/about").text == "о нас"
    with app.test_request_context():
        assert app.url_for("plain", name="y") == "/plain/y"
        assert app.url_for("logo", _external=True) == "http://static.localhost/logo"


def test_url_rule_class_can_be_a_werkzeug_rule_subclass() -> None:
    class TaggedRule(wz.Rule):
        def __init__(self, string: str, **options: object) -> None:
            self.tag = options.pop("tag", "none")
            super().__init__(string, **options)  # type: ignore[arg-type]

    class TaggedApp(Flask):
        url_rule_class = TaggedRule

    app = TaggedApp(__name__)

    @app.route("/t", tag="special")
    def tagged() -> str:
        return str(request.url_rule.tag)  # type: ignore[union-attr]

    assert app.test_client().get("/t").text == "special"
    assert type(next(app.url_map.iter_rules("tagged"))) is TaggedRule


def test_bind_gives_a_werkzeug_adapter() -> None:
    app = make_app()
    adapter = app.url_map.bind("example.com", script_name="/app")
    assert isinstance(adapter, wz.MapAdapter)
    assert adapter.match("/user/42") == ("user", {"id": 42})
    rule, args = adapter.match("/user/7", method="POST", return_rule=True)
    assert rule.endpoint == "user" and args == {"id": 7}
    assert sorted(adapter.allowed_methods("/user/1")) == [
        "GET", "HEAD", "OPTIONS", "POST",
    ]  # fmt: skip
    with pytest.raises(NotFound):
        adapter.match("/nope")
    with pytest.raises(MethodNotAllowed):
        adapter.match("/user/1", method="DELETE")
    assert adapter.build("user", {"id": 3}) == "/app/user/3"
    assert adapter.build("user", {"id": 3, "q": "a b"}) == "/app/user/3?q=a+b"
    assert (
        adapter.build("user", {"id": 3}, force_external=True)
        == "http://example.com/app/user/3"
    )


def test_bind_to_environ_and_redirects() -> None:
    app = Flask(__name__)
    app.add_url_rule("/dir/", "dir", lambda: "")
    with app.test_request_context("/dir", base_url="https://example.org/root"):
        adapter = app.url_map.bind_to_environ(request.environ)
        with pytest.raises(wz.RequestRedirect) as info:
            adapter.match()
        assert info.value.new_url == "https://example.org/root/dir/"


def test_defaults_naming_a_variable_win_as_in_werkzeug() -> None:
    app = Flask(__name__)

    @app.route("/page/<name>", defaults={"name": "fixed"})
    def page(name: str) -> str:
        return name

    assert app.test_client().get("/page/other").text == "fixed"
    wz_map = wz.Map([wz.Rule("/page/<name>", defaults={"name": "fixed"}, endpoint="p")])
    assert wz_map.bind("h").match("/page/other")[1] == {"name": "fixed"}


def test_create_url_adapter_and_the_contexts_adapters() -> None:
    app = make_app()
    assert app.create_url_adapter(None) is None  # no SERVER_NAME
    assert AppContext(app).url_adapter is None
    with app.test_request_context("/user/5?x=1") as ctx:
        adapter = app.create_url_adapter(request)
        assert adapter is not None and adapter.match() == ("user", {"id": 5})
        assert ctx.url_adapter.match() == ("user", {"id": 5})
        request.url_rule = None
        ctx.match_request()
        assert request.url_rule.endpoint == "user"  # type: ignore[union-attr]
        assert request.view_args == {"id": 5}
    app.config["SERVER_NAME"] = "example.com"
    with app.app_context() as app_ctx:
        assert app_ctx.url_adapter.build("user", {"id": 1}) == "/user/1"


def test_make_aborter() -> None:
    from werkzeug.exceptions import Aborter, ImATeapot

    class MyApp(Flask):
        def make_aborter(self) -> Aborter:
            return Aborter(extra={599: ImATeapot})

    app = MyApp(__name__)

    @app.route("/")
    def index() -> str:
        abort(599)

    assert app.test_client().get("/").status_code == 418
    assert isinstance(Flask(__name__).make_aborter(), Aborter)


def test_kolba_map_standalone() -> None:
    url_map = Map([Rule("/a/<int:n>", endpoint="a")], strict_slashes=False)
    assert url_map.bind("h").match("/a/1") == ("a", {"n": 1})


def test_rule_takes_werkzeugs_positional_arguments() -> None:
    url_map = Map([Rule("/p/<int:n>", {"extra": 1}, None, ["POST"], False, "p")])
    rule = next(url_map.iter_rules("p"))
    assert rule.methods == {"POST"} and rule.defaults == {"extra": 1}
    assert url_map.bind("h").match("/p/2", "POST") == ("p", {"n": 2, "extra": 1})
    assert rule.empty().rule == "/p/<int:n>" and type(rule.empty()) is Rule
