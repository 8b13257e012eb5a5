"""``url_for``: building URLs from endpoints, inside and outside requests."""

from __future__ import annotations

import typing as t

import flask
import pytest
from markupsafe import escape
from werkzeug.routing import BuildError

import kolba
from kolba import Flask, g, request, url_for
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")


@pytest.fixture
def shop(app: Flask) -> Flask:
    """An app with a static rule, a variable rule and a POST-only rule."""
    app.add_url_rule("/", "index", lambda: "index")
    app.add_url_rule("/item/<int:item_id>", "item", lambda item_id: "item")
    app.add_url_rule("/item", "create", lambda: "made", methods=["POST"])
    app.add_url_rule(
        "/item/<int:item_id>", "update", lambda item_id: "", methods=["PUT"]
    )
    return app


def test_seed_sample_prints_exactly(app: Flask, capsys: pytest.CaptureFixture) -> None:
    """The seed's "Создание URL" sample, line for line."""

    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/login")
    def login() -> str:
        return "login"

    @app.route("/user/<username>")
    def profile(username: str) -> str:
        return "{}'s profile".format(escape(username))  # noqa: UP032

    with app.test_request_context():
        print(url_for("index"))
        print(url_for("login"))
        print(url_for("login", next="/"))
        print(url_for("profile", username="John Doe"))

    assert capsys.readouterr().out == "/\n/login\n/login?next=/\n/user/John%20Doe\n"


def test_variables_fill_the_rule_the_rest_is_the_query(shop: Flask) -> None:
    with shop.test_request_context():
        assert url_for("item", item_id=7) == "/item/7"
        assert url_for("item", item_id=7, q="a b", page=2) == "/item/7?q=a+b&page=2"
        assert url_for("index", tag=["x", "y"]) == "/?tag=x&tag=y"
        assert url_for("index", skipped=None) == "/"


@pytest.mark.parametrize(
    ("scheme", "http", "websocket"),
    [
        ("http", "http", "ws"),
        ("https", "https", "wss"),
        ("ws", "http", "ws"),
        ("wss", "https", "wss"),
        ("ftp", "http", "ws"),  # any other scheme: as werkzeug (and Flask) build
        ("HTTPS", "http", "ws"),
    ],
)
def test_a_scheme_becomes_the_rules_own(
    app: Flask, scheme: str, http: str, websocket: str
) -> None:
    """An HTTP rule's URL is http:// or https://, a WebSocket's ws:// or
    wss://, whether the scheme is given to url_for or preferred by config."""
    app.add_url_rule("/page", "page", lambda: "")

    @app.websocket("/ws")
    async def ws() -> None:
        pass

    with app.test_request_context(base_url="http://h.test"):
        assert (
            url_for("page", _scheme=scheme, _external=True) == f"{http}://h.test/page"
        )
        assert (
            url_for("ws", _scheme=scheme, _external=True) == f"{websocket}://h.test/ws"
        )
    app.config.update(SERVER_NAME="h.test", PREFERRED_URL_SCHEME=scheme)
    with app.app_context():
        assert url_for("page") == f"{http}://h.test/page"
        assert url_for("ws") == f"{websocket}://h.test/ws"


@pytest.mark.parametrize(
    ("base", "http", "websocket"),
    [("http://h.test", "http", "ws"), ("https://h.test", "https", "wss")],
)
def test_url_for_in_a_websocket_builds_each_rules_scheme(
    app: Flask, client: KolbaClient, base: str, http: str, websocket: str
) -> None:
    """In a blueprint's WebSocket view, with a URL converter: its own rule's
    URL is ws:// or wss:// as the connection's, an HTTP rule's http:// or
    https://, relative URLs are paths; from an HTTP view the same."""
    app.config["TRUSTED_HOSTS"] = ["h.test"]
    rooms = kolba.Blueprint("rooms", __name__)

    @rooms.websocket("/room/<int:n>")
    async def room(n: int) -> None:
        await kolba.websocket.send(
            " ".join(
                [
                    url_for(".room", n=n + 1),
                    url_for("rooms.room", n=n + 1, _external=True),
                    url_for("page", _external=True),
                ]
            )
        )

    @app.route("/page")
    def page() -> str:
        return " ".join(
            [url_for("rooms.room", n=5), url_for("rooms.room", n=5, _external=True)]
        )

    app.register_blueprint(rooms, url_prefix="/r")
    with client.websocket("/r/room/1", base_url=base) as ws:
        assert ws.receive() == (
            f"/r/room/2 {websocket}://h.test/r/room/2 {http}://h.test/page"
        )
    assert client.get("/page", base_url=base).text == (
        f"/r/room/5 {websocket}://h.test/r/room/5"
    )


def test_percent_encoding(app: Flask) -> None:
    app.add_url_rule("/user/<name>", "user", lambda name: name)
    with app.test_request_context():
        assert url_for("user", name="John Doe") == "/user/John%20Doe"
        assert url_for("user", name="Иван") == "/user/%D0%98%D0%B2%D0%B0%D0%BD"
        assert url_for("user", name="a/b") == "/user/a/b"
        assert url_for("user", name="x", q="ü&=") == "/user/x?q=%C3%BC%26%3D"


def test_external_scheme_anchor(shop: Flask) -> None:
    with shop.test_request_context(base_url="http://shop.test"):
        assert url_for("item", item_id=1, _external=True) == "http://shop.test/item/1"
        assert url_for("index", _scheme="https") == "https://shop.test/"
        assert url_for("index", _scheme="https", _external=True) == "https://shop.test/"
        assert url_for("index", _anchor="top") == "/#top"
        assert url_for("index", _anchor="a b/c") == "/#a%20b/c"
        with pytest.raises(ValueError, match="_external"):
            url_for("index", _scheme="https", _external=False)


def test_method_picks_the_rule(shop: Flask) -> None:
    with shop.test_request_context():
        assert url_for("create", _method="POST") == "/item"
        assert url_for("update", item_id=3, _method="PUT") == "/item/3"
        with pytest.raises(BuildError):
            url_for("create", _method="GET")


def test_application_root_from_script_name(shop: Flask) -> None:
    with shop.test_request_context(base_url="http://localhost/shop/"):
        assert url_for("item", item_id=2) == "/shop/item/2"
        assert url_for("index", _external=True) == "http://localhost/shop/"


def test_application_root_from_config(shop: Flask) -> None:
    shop.config.update(APPLICATION_ROOT="/shop", SERVER_NAME="shop.test")
    with shop.test_request_context():
        assert request.script_root == "/shop"
        assert url_for("item", item_id=2) == "/shop/item/2"
    with shop.app_context():
        assert url_for("item", item_id=2) == "http://shop.test/shop/item/2"


def test_outside_a_request_with_server_name(shop: Flask) -> None:
    shop.config.update(SERVER_NAME="shop.test:8080", PREFERRED_URL_SCHEME="https")
    with shop.app_context():
        assert url_for("index") == "https://shop.test:8080/"
        assert url_for("item", item_id=5, _anchor="x") == (
            "https://shop.test:8080/item/5#x"
        )
        assert url_for("index", _scheme="http") == "http://shop.test:8080/"


@pytest.mark.parametrize("server_name", [None, "Shop.TEST"])
def test_external_urls_name_the_host_in_lower_case(
    app: Flask, client: KolbaClient, server_name: str | None
) -> None:
    """A host is case-insensitive: as Flask, external URLs write it in lower
    case, whether it came from the Host header or from SERVER_NAME."""
    app.config["SERVER_NAME"] = server_name

    @app.route("/ext")
    def ext() -> str:
        return url_for("ext", _external=True) + " " + url_for("ext")

    @app.route("/sub", subdomain="api")
    def sub() -> str:
        return url_for("sub")

    rv = client.get("/ext", headers={"Host": "SHOP.test"})
    assert rv.text == "http://shop.test/ext /ext"
    with app.test_request_context("/", headers={"Host": "SHOP.test"}):
        assert url_for("sub") == "http://api.shop.test/sub"


def test_outside_a_request_without_server_name(shop: Flask) -> None:
    with shop.app_context():
        with pytest.raises(RuntimeError, match="SERVER_NAME"):
            url_for("index")


def test_without_any_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        url_for("index")


def test_build_error_names_endpoint_and_missing_values(shop: Flask) -> None:
    with shop.test_request_context():
        with pytest.raises(BuildError) as missing:
            url_for("item")
        assert missing.value.endpoint == "item"
        assert "'item'" in str(missing.value)
        assert "item_id" in str(missing.value)
        with pytest.raises(BuildError) as unknown:
            url_for("itme")
        assert "'itme'" in str(unknown.value)
        assert "'item'" in str(unknown.value)  # the suggestion


def test_build_error_is_importable_from_kolba_routing() -> None:
    from kolba.routing import BuildError as KolbaBuildError

    assert issubclass(KolbaBuildError, BuildError)


def test_url_defaults_and_value_preprocessor(app: Flask, client: KolbaClient) -> None:
    """The classic language-code pattern: the view never sees ``lang_code``."""

    @app.url_defaults
    def add_language_code(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang_code" in values or not g.get("lang_code"):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
            values["lang_code"] = g.lang_code

    @app.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.lang_code = values.pop("lang_code", None) if values else None

    @app.route("/<lang_code>/")
    def index() -> str:
        return f"{g.lang_code}: {url_for('about')}"

    @app.route("/<lang_code>/about")
    def about() -> str:
        return "about"

    assert client.get("/ru/").text == "ru: /ru/about"
    assert client.get("/de/").text == "de: /de/about"


def test_url_build_error_handlers(app: Flask) -> None:
    seen: list[tuple[str, dict[str, t.Any]]] = []

    def external_docs(error: BuildError, endpoint: str, values: dict) -> str | None:
        seen.append((endpoint, values))
        if endpoint == "docs":
            return f"https://docs.example.com/{values['page']}"
        return None

    app.url_build_error_handlers.append(external_docs)
    with app.test_request_context():
        assert url_for("docs", page="intro") == "https://docs.example.com/intro"
        with pytest.raises(BuildError):
            url_for("missing")
    assert [endpoint for endpoint, _ in seen] == ["docs", "missing"]
    assert seen[0][1]["page"] == "intro"


@pytest.mark.parametrize("endpoint", ["nope", "itme"])
def test_an_unknown_endpoint_is_said_so_and_its_values_are_flasks(
    endpoint: str,
) -> None:
    import flask

    seen: dict[t.Any, t.Any] = {}
    for fw in (flask, kolba):
        app = fw.Flask("site")
        app.add_url_rule("/item/<int:item_id>", "item", lambda item_id: "")

        def handler(
            error: BuildError, endpoint: str, values: dict, name: str = fw.__name__
        ) -> None:
            seen[name, "handler"] = (dict(error.values), values)

        with app.test_request_context():
            with pytest.raises(BuildError) as unknown:
                fw.url_for(endpoint, q=1)
            seen[fw.__name__] = dict(unknown.value.values), str(unknown.value)
            app.url_build_error_handlers.append(handler)
            with pytest.raises(BuildError):
                fw.url_for(endpoint, q=2, _anchor="a")
    # the endpoint werkzeug suggests, said to be missing
    close = seen["flask"][1].partition("Did you mean ")[2].split()[0]
    assert seen["kolba"] == (
        {"q": 1},
        f"Could not build url for endpoint {endpoint!r}: no such endpoint."
        f" Did you mean {close}?",
    )
    assert seen["flask"][0] == {"q": 1}
    assert seen["kolba", "handler"] == seen["flask", "handler"]
    assert seen["kolba", "handler"][1]["_anchor"] == "a"


def test_links_across_subdomains_are_external() -> None:
    app = Flask("site", subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"
    app.add_url_rule("/", "main", lambda: "")
    app.add_url_rule("/", "api", lambda: "", subdomain="api")
    with app.test_request_context(base_url="http://api.example.com"):
        assert url_for("api") == "/"
        assert url_for("main") == "http://example.com/"
    with app.test_request_context(base_url="http://example.com"):
        assert url_for("main") == "/"
        assert url_for("api") == "http://api.example.com/"


def test_relative_endpoint_without_blueprint(shop: Flask) -> None:
    with shop.test_request_context():
        assert url_for(".index") == "/"


@pytest.mark.parametrize(
    "anchor", ["a b", "x#y", "é", "%20", "a/b?c=d", "", "!$&'()*+,;=:@~", '<>"`{}|\\^']
)
def test_anchor_is_quoted_as_flask_quotes_it(anchor: str) -> None:
    urls = []
    for mod in (kolba, __import__("flask")):
        app = mod.Flask(__name__)
        app.add_url_rule("/p/<x>", "p", str)
        with app.test_request_context():
            urls.append(mod.url_for("p", x="1 2", _anchor=anchor))
    assert urls[0] == urls[1]


def _several_rules(module: t.Any) -> t.Any:
    """Endpoints with a rule for some methods and another for others."""
    app = module.Flask("several_rules")
    view = lambda **values: ""  # noqa: E731
    app.add_url_rule("/items/", "items", view, methods=["GET", "POST"])
    app.add_url_rule("/items/<int:id>", "items", view, methods=["GET", "DELETE"])
    app.add_url_rule("/d/<p>", "d", view, defaults={"q": "z"})
    app.add_url_rule("/d/<p>/<q>", "d", view, methods=["POST"])
    app.add_url_rule("/a/", "a", view, defaults={"page": 1})
    app.add_url_rule("/a/<int:page>", "a", view, methods=["GET", "PUT"])
    return app


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
def test_url_for_prefers_a_rule_for_the_requests_method_as_flask(method: str) -> None:
    # A POST's Location to the collection (MethodView's usual layout) is
    # Flask's /items/?id=3, not the GET rule's /items/3.
    builds = [
        ("items", {"id": 3}),
        ("items", {}),
        ("d", {"p": 1, "q": "z"}),
        ("d", {"p": 1}),
        ("a", {"page": 1}),
        ("a", {"page": 2}),
    ]
    urls = {}
    for module in (flask, kolba):
        app = _several_rules(module)
        with app.test_request_context("/", method=method):
            urls[module.__name__] = [
                module.url_for(endpoint, **values) for endpoint, values in builds
            ]
            urls[module.__name__] += [
                module.url_for(endpoint, _method="GET", **values)
                for endpoint, values in builds
            ]
    assert urls["kolba"] == urls["flask"]


def test_a_non_ascii_server_name_is_built_in_punycode(app: Flask) -> None:
    """SERVER_NAME 'Пример.рф:8080' makes URLs on xn--e1afmkfd.xn--p1ai:8080,
    as Flask's (a Unicode host sent in a header is an error on every server),
    in and out of a request, with a subdomain too."""
    app.config["SERVER_NAME"] = "Пример.рф:8080"

    @app.route("/x/<v>")
    def x(v: str) -> str:
        return v

    @app.route("/s", subdomain="api")
    def s() -> str:
        return "s"

    host = "xn--e1afmkfd.xn--p1ai:8080"
    with app.app_context():
        assert url_for("x", v="ж") == f"http://{host}/x/%D0%B6"
        assert url_for("s") == f"http://api.{host}/s"
    with app.test_request_context("/", base_url=f"http://{host}"):
        assert url_for("x", v="ж", _external=True) == f"http://{host}/x/%D0%B6"
        assert url_for("s") == f"http://api.{host}/s"
    app.config["SERVER_NAME"] = "ж" * 64 + ".рф"  # a label IDNA cannot encode
    with app.app_context(), pytest.raises(ValueError, match="IDNA"):
        url_for("x", v="1")
