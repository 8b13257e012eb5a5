"""The application object: construction, registering routes, and routing
requests through the app (redirects, 404/405, HEAD/OPTIONS, hosts)."""

from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from markupsafe import escape
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter as WerkzeugBaseConverter

from kolba import Flask, Request, Response, request, url_for
from kolba.routing import BaseConverter
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")

# -- construction -------------------------------------------------------------


@pytest.fixture
def importable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``tmp_path`` on ``sys.path``; modules imported from it are forgotten after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_root_path_of_a_module(importable: Path) -> None:
    (importable / "shop_module.py").write_text("")
    app = Flask("shop_module")
    assert app.root_path == str(importable)
    assert app.import_name == "shop_module"
    assert app.name == "shop_module"


def test_root_path_of_an_imported_module(importable: Path) -> None:
    (importable / "shop_imported.py").write_text("")
    __import__("shop_imported")
    assert Flask("shop_imported").root_path == str(importable)


def test_root_path_of_a_package(importable: Path) -> None:
    (importable / "shop_pkg").mkdir()
    (importable / "shop_pkg" / "__init__.py").write_text("")
    (importable / "shop_pkg" / "views.py").write_text("")
    assert Flask("shop_pkg").root_path == str(importable / "shop_pkg")
    assert Flask("shop_pkg.views").root_path == str(importable / "shop_pkg")


def test_instance_path_beside_the_module_or_package(importable: Path) -> None:
    (importable / "inst_module.py").write_text("")
    (importable / "inst_pkg").mkdir()
    (importable / "inst_pkg" / "__init__.py").write_text("")
    assert Flask("inst_module").instance_path == str(importable / "instance")
    assert Flask("inst_pkg").instance_path == str(importable / "instance")


def test_explicit_root_and_instance_path(tmp_path: Path) -> None:
    app = Flask(
        "anything",
        root_path=str(tmp_path),
        instance_path=str(tmp_path / "inst"),
        instance_relative_config=True,
    )
    assert app.root_path == str(tmp_path)
    assert app.instance_path == str(tmp_path / "inst")
    assert app.config.root_path == str(tmp_path / "inst")


def test_relative_instance_path_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="must be absolute"):
        Flask("anything", instance_path="instance")


def test_name_of_a_main_script(monkeypatch: pytest.MonkeyPatch) -> None:
    main = types.ModuleType("__main__")
    main.__file__ = "/srv/site/hello.py"
    monkeypatch.setitem(sys.modules, "__main__", main)
    app = Flask("__main__")
    assert app.name == "hello"
    assert app.root_path == "/srv/site"


def test_name_of_an_interactive_main(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    assert Flask("__main__", root_path="/tmp").name == "__main__"


def test_static_and_template_folders(tmp_path: Path) -> None:
    app = Flask(
        "site",
        root_path=str(tmp_path),
        static_folder="assets",
        static_url_path="/files",
        template_folder="views",
    )
    assert app.static_folder == str(tmp_path / "assets")
    assert app.static_url_path == "/files"
    assert app.template_folder == "views"
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.css").write_text("body {}")
    response = app.test_client().get("/files/app.css")
    assert response.data == b"body {}"
    assert app.test_client().get("/assets/app.css").status_code == 404


def test_no_static_folder_means_no_static_route() -> None:
    app = Flask("site", static_folder=None)
    assert "static" not in [rule.endpoint for rule in app.url_map.iter_rules()]


def test_static_host_needs_host_matching() -> None:
    with pytest.raises(ValueError, match="static_host"):
        Flask("site", static_host="static.example.com")
    app = Flask("site", host_matching=True, static_host="static.example.com")
    [rule] = app.url_map.iter_rules("static")
    assert rule.host == "static.example.com"


# -- registering routes -------------------------------------------------------


def test_route_registers_endpoint_and_view(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "Index Page"

    assert app.view_functions["index"] is index
    [rule] = app.url_map.iter_rules("index")
    assert rule.rule == "/"
    assert rule.methods == {"GET", "HEAD", "OPTIONS"}


def test_route_with_methods_and_endpoint(app: Flask, client: KolbaClient) -> None:
    @app.route("/login", methods=["get", "POST"], endpoint="sign_in")
    def login() -> str:
        return f"login via {request.method}"

    assert "sign_in" in app.view_functions and "login" not in app.view_functions
    assert client.get("/login").data == b"login via GET"
    assert client.post("/login").data == b"login via POST"
    assert client.put("/login").status_code == 405


def test_methods_as_a_string_is_a_type_error(app: Flask) -> None:
    with pytest.raises(TypeError, match="list of method names"):
        app.add_url_rule("/x", "x", lambda: "", methods="POST")


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_method_shortcuts(app: Flask, client: KolbaClient, method: str) -> None:
    @getattr(app, method)("/item")
    def item() -> str:
        return request.method

    verb = method.upper()
    assert client.open("/item", method=verb).data == verb.encode()
    other = "POST" if verb != "POST" else "GET"
    assert client.open("/item", method=other).status_code == 405


def test_method_shortcut_refuses_methods(app: Flask) -> None:
    with pytest.raises(TypeError, match="route"):
        app.get("/x", methods=["POST"])


def test_add_url_rule_without_decorator(app: Flask, client: KolbaClient) -> None:
    def hello() -> str:
        return "Hello, World"

    app.add_url_rule("/hello", view_func=hello)
    app.add_url_rule("/hi", "hi", hello)
    assert client.get("/hello").data == b"Hello, World"
    assert client.get("/hi").data == b"Hello, World"
    assert app.view_functions == {
        "static": app.view_functions["static"],
        "hello": hello,
        "hi": hello,
    }


def test_endpoint_decorator_after_rule_without_view(
    app: Flask, client: KolbaClient
) -> None:
    app.add_url_rule("/late", "late")

    @app.endpoint("late")
    def late_view() -> str:
        return "bound later"

    assert client.get("/late").data == b"bound later"


def test_defaults_and_redirect_to_the_canonical_rule(
    app: Flask, client: KolbaClient
) -> None:
    @app.route("/users/", defaults={"page": 1})
    @app.route("/users/page/<int:page>")
    def users(page: int) -> str:
        return f"page {page}"

    assert client.get("/users/").data == b"page 1"
    assert client.get("/users/page/2").data == b"page 2"
    response = client.get("/users/page/1")
    assert response.status_code == 308
    assert response.location == "http://localhost/users/"


def test_strict_slashes_false_accepts_both(app: Flask, client: KolbaClient) -> None:
    @app.route("/about", strict_slashes=False)
    def about() -> str:
        return "about"

    @app.route("/team/", strict_slashes=False)
    def team() -> str:
        return "team"

    assert client.get("/about").data == b"about"
    assert client.get("/about/").data == b"about"
    assert client.get("/team").data == b"team"
    assert client.get("/team/").data == b"team"


def test_redirect_to_forms(app: Flask, client: KolbaClient) -> None:
    app.add_url_rule("/old", "old", redirect_to="/new")
    app.add_url_rule("/u/<name>", "u", redirect_to="/users/<name>")
    app.add_url_rule(
        "/p/<int:id>", "p", redirect_to=lambda adapter, id: f"/posts/{id + 1}"
    )
    app.add_url_rule("/away", "away", redirect_to="https://example.org/x")
    expected = {
        "/old": "http://localhost/new",
        "/u/J%20D": "http://localhost/users/J%20D",
        "/p/41": "http://localhost/posts/42",
        "/away": "https://example.org/x",
    }
    for path, location in expected.items():
        response = client.get(path)
        assert response.status_code == 308, path
        assert response.location == location


def test_overwriting_an_endpoint_is_an_assertion_error(app: Flask) -> None:
    @app.route("/a")
    def page() -> str:
        return "a"

    app.add_url_rule("/a2", "page", page)  # the same function is fine
    with pytest.raises(AssertionError, match="already belongs to another view"):

        @app.route("/b", endpoint="page")
        def other() -> str:
            return "b"


def test_setup_after_first_request_raises(app: Flask, client: KolbaClient) -> None:
    client.get("/")
    with pytest.raises(AssertionError, match="Too late to call"):
        app.add_url_rule("/late", "late", lambda: "")
    with pytest.raises(AssertionError, match="'before_request'"):
        app.before_request(lambda: None)


# -- converters ---------------------------------------------------------------


class ListConverter(BaseConverter):
    """Comma-separated items: ``/tags/a,b,c``."""

    regex = r"[^/]+(?:,[^/]+)*"

    def to_python(self, value: str) -> list[str]:
        return value.split(",")

    def to_url(self, value: list[str]) -> str:
        item_to_url = super().to_url
        return ",".join(item_to_url(item) for item in value)


class EvenConverter(WerkzeugBaseConverter):
    """A werkzeug converter: even numbers only, tried before ``int``."""

    regex = r"\d+"
    weight = 10

    def to_python(self, value: str) -> int:
        from werkzeug.routing import ValidationError

        number = int(value)
        if number % 2:
            raise ValidationError()
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def test_custom_converter(app: Flask, client: KolbaClient) -> None:
    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    def tags(tags: list[str]) -> str:
        return "|".join(tags)

    assert client.get("/tags/a,b,c").data == b"a|b|c"
    with app.test_request_context():
        assert url_for("tags", tags=["x y", "z"]) == "/tags/x%20y,z"


def test_werkzeug_converter_and_validation_error(
    app: Flask, client: KolbaClient
) -> None:
    app.url_map.converters["even"] = EvenConverter

    @app.route("/n/<even:n>")
    def even(n: int) -> str:
        return f"even {n}"

    @app.route("/n/<int:n>")
    def odd(n: int) -> str:
        return f"odd {n}"

    assert client.get("/n/4").data == b"even 4"
    # The lighter converter's rule matched: its refusal ends the match, as in
    # Flask (werkzeug does not try /n/<int:n> then).
    assert client.get("/n/5").status_code == 404
    with app.test_request_context():
        assert url_for("even", n=8) == "/n/8"


def test_unknown_converter_is_a_lookup_error(app: Flask) -> None:
    with pytest.raises(LookupError, match="nope"):
        app.add_url_rule("/x/<nope:v>", "x", lambda v: v)


# -- the seed's samples -------------------------------------------------------


def test_seed_routing(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return "Index Page"

    @app.route("/hello")
    def hello() -> str:
        return "Hello, World"

    assert client.get("/").data == b"Index Page"
    assert client.get("/hello").data == b"Hello, World"


@pytest.fixture
def variable_rules(app: Flask) -> Flask:
    """The seed's "Правила для переменных маршрутов" sample."""

    @app.route("/user/<username>")
    def show_user_profile(username: str) -> str:
        return "User %s" % escape(username)  # noqa: UP031 (as the seed)

    @app.route("/post/<int:post_id>")
    def show_post(post_id: int) -> str:
        return "Post %d" % post_id  # noqa: UP031

    @app.route("/path/<path:subpath>")
    def show_subpath(subpath: str) -> str:
        return "Subpath %s" % escape(subpath)  # noqa: UP031

    return app


def test_seed_variable_rules(variable_rules: Flask) -> None:
    client = variable_rules.test_client()
    assert client.get("/user/ann").data == b"User ann"
    assert client.get("/user/%3Cb%3E").data == b"User &lt;b&gt;"
    assert client.get("/post/42").data == b"Post 42"
    assert client.get("/post/abc").status_code == 404
    assert client.get("/post/-1").status_code == 404
    assert client.get("/path/a/b/c.txt").data == b"Subpath a/b/c.txt"


def test_percent_encoded_and_non_ascii_paths(variable_rules: Flask) -> None:
    client = variable_rules.test_client()
    assert client.get("/user/John%20Doe").data == b"User John Doe"
    assert client.get("/user/%D0%98%D0%B2%D0%B0%D0%BD").data == "User Иван".encode()
    assert client.get("/user/Иван").data == "User Иван".encode()
    assert client.get("/path/a%2Fb").data == b"Subpath a/b"


def test_non_ascii_static_rule(app: Flask, client: KolbaClient) -> None:
    @app.route("/привет")
    def privet() -> str:
        return "мир"

    assert client.get("/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82").text == "мир"
    assert client.get("/привет").text == "мир"
    with app.test_request_context():
        assert url_for("privet") == "/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82"


@pytest.fixture
def unique_urls(app: Flask) -> Flask:
    """The seed's "Уникальные URL-адреса" sample."""

    @app.route("/projects/")
    def projects() -> str:
        return "The project page"

    @app.route("/about")
    def about() -> str:
        return "The about page"

    return app


def test_seed_unique_urls(unique_urls: Flask) -> None:
    client = unique_urls.test_client()
    assert client.get("/projects/").data == b"The project page"
    response = client.get("/projects?sort=name&page=2")
    assert response.status_code == 308
    assert response.location == "http://localhost/projects/?sort=name&page=2"
    assert client.get("/projects", follow_redirects=True).data == b"The project page"
    assert client.get("/about").data == b"The about page"
    assert client.get("/about/").status_code == 404


def test_slash_redirect_keeps_the_method(unique_urls: Flask) -> None:
    unique_urls.add_url_rule("/upload/", "upload", lambda: "up", methods=["POST"])
    response = unique_urls.test_client().post("/upload")
    assert response.status_code == 308


def test_script_name_is_the_application_root(unique_urls: Flask) -> None:
    @unique_urls.route("/where")
    def where() -> str:
        return f"{request.script_root}|{request.path}|{url_for('about')}"

    client = unique_urls.test_client()
    response = client.get("/about", base_url="http://localhost/shop/")
    assert response.data == b"The about page"
    response = client.get("/projects", base_url="http://localhost/shop/")
    assert response.location == "http://localhost/shop/projects/"
    response = client.get("/where", base_url="http://localhost/shop")
    assert response.text == "/shop|/where|/shop/about"


def test_merged_slashes_redirect(variable_rules: Flask) -> None:
    response = variable_rules.test_client().get("/user//ann")
    assert response.status_code == 308
    assert response.location == "http://localhost/user/ann"


def test_static_segment_outranks_a_converter(app: Flask, client: KolbaClient) -> None:
    @app.route("/users/<name>")
    def user(name: str) -> str:
        return f"user {name}"

    @app.route("/users/new")
    def new_user() -> str:
        return "new user form"

    @app.route("/<path:page>")
    def catch_all(page: str) -> str:
        return f"page {page}"

    assert client.get("/users/new").data == b"new user form"
    assert client.get("/users/bob").data == b"user bob"
    assert client.get("/about/team").data == b"page about/team"
    assert client.get("/static/missing.css").status_code == 404


# -- hosts and subdomains -------------------------------------------------------


def test_host_matching() -> None:
    app = Flask("site", host_matching=True, static_host="static.example.com")

    @app.route("/", host="api.example.com")
    def api() -> str:
        return "api"

    @app.route("/", host="<user>.users.example.com")
    def home(user: str) -> str:
        return f"home of {user}"

    client = app.test_client()
    assert client.get("/", base_url="http://api.example.com").data == b"api"
    response = client.get("/", base_url="http://ann.users.example.com")
    assert response.data == b"home of ann"
    assert client.get("/", base_url="http://other.example.com").status_code == 404
    with app.test_request_context(base_url="http://api.example.com"):
        assert url_for("api") == "/"
        assert url_for("home", user="bob") == "http://bob.users.example.com/"


def test_subdomain_matching() -> None:
    app = Flask("site", subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/")
    def index() -> str:
        return "main"

    @app.route("/", subdomain="api")
    def api() -> str:
        return "api"

    @app.route("/", subdomain="<user>")
    def user_home(user: str) -> str:
        return f"home of {user}"

    client = app.test_client()
    assert client.get("/").data == b"main"
    assert client.get("/", base_url="http://api.example.com").data == b"api"
    assert client.get("/", base_url="http://ann.example.com").data == b"home of ann"
    assert client.get("/", base_url="http://example.org").status_code == 404
    with app.app_context():
        assert url_for("user_home", user="bob") == "http://bob.example.com/"


def test_options_and_405_look_at_the_right_host() -> None:
    app = Flask("site", host_matching=True, static_host="static.example.com")
    app.add_url_rule("/", "api", lambda: "", host="api.example.com", methods=["POST"])
    app.add_url_rule("/", "www", lambda: "", host="www.example.com", methods=["PUT"])
    client = app.test_client()
    for response in (
        client.options("/", base_url="http://api.example.com"),
        client.delete("/", base_url="http://api.example.com"),
    ):
        allowed = {m.strip() for m in response.headers["Allow"].split(",")}
        assert allowed == {"POST", "OPTIONS"}


def test_options_look_at_the_right_subdomain() -> None:
    app = Flask("site", subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"
    app.add_url_rule("/", "api", lambda: "", subdomain="api", methods=["POST"])
    app.add_url_rule("/", "main", lambda: "", methods=["PUT"])
    response = app.test_client().options("/", base_url="http://api.example.com")
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {"POST", "OPTIONS"}


def test_without_subdomain_matching_subdomains_are_ignored() -> None:
    app = Flask("site")
    app.config["SERVER_NAME"] = "example.com"
    app.add_url_rule("/", "index", lambda: "main")
    client = app.test_client()
    assert client.get("/", base_url="http://www.example.com").data == b"main"


def test_trusted_hosts(app: Flask, client: KolbaClient) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.com", ".example.org"]
    app.add_url_rule("/", "index", lambda: "ok")
    assert client.get("/", base_url="http://example.com").status_code == 200
    assert client.get("/", base_url="http://a.example.org").status_code == 200
    response = client.get("/", base_url="http://evil.test")
    assert response.status_code == 400


def test_trusted_hosts_of_the_request_class(app: Flask, client: KolbaClient) -> None:
    class TrustedRequest(Request):
        trusted_hosts = {"example.com"}

    app.add_url_rule("/", "index", lambda: "ok")

    @app.route("/async")
    async def async_view() -> str:
        return "async"

    assert client.get("/", base_url="http://evil.test").status_code == 200
    app.request_class = TrustedRequest  # while serving: decided again
    for path in ["/", "/async", "/nope"]:
        assert client.get(path, base_url="http://evil.test").status_code == 400
    assert client.get("/", base_url="http://example.com").text == "ok"
    assert client.get("/async", base_url="http://example.com").text == "async"


@pytest.mark.parametrize("path", ["/", "/async", "/nope"])
def test_trusted_hosts_of_the_request_class_hold_from_the_first_request(
    app: Flask, path: str
) -> None:
    """Set before the app serves: its first request is checked too (before,
    the first WSGI request took the usual path, which skipped the check)."""

    class TrustedRequest(Request):
        trusted_hosts = {"example.com"}

    app.request_class = TrustedRequest
    app.add_url_rule("/", "index", lambda: "ok")

    @app.route("/async")
    async def async_view() -> str:
        return "async"

    statuses = [
        app.test_client().get(path, base_url="http://evil.test").status_code
        for _ in range(2)
    ]
    assert statuses == [400, 400]


class _SlowToDecide(Flask):
    """An app whose response_class is slow to read: its decisions (made as
    it starts serving, and again when its hooks change) take 0.2 s."""

    slow = False

    @property  # type: ignore[override]
    def response_class(self) -> type[Response]:
        if self.slow:
            time.sleep(0.2)
        return Response


@pytest.mark.parametrize("when", ["first request", "hooks changed while serving"])
def test_a_request_class_trusted_hosts_hold_while_the_app_decides(when: str) -> None:
    """A request in another thread while the app decides what its requests
    need is checked too (before: the usual context, which skips the check,
    was allowed until the decision about trusted_hosts was written)."""

    class TrustedRequest(Request):
        trusted_hosts = {"example.com"}

    app = _SlowToDecide(__name__)
    app.request_class = TrustedRequest
    app.add_url_rule("/", "index", lambda: "ok")
    app.after_request(lambda response: response)
    client = app.test_client()
    if when != "first request":
        assert client.get("/", base_url="http://example.com").text == "ok"
    app.slow = True
    if when == "first request":
        first = threading.Thread(
            target=app.test_client().get,
            args=("/",),
            kwargs={"base_url": "http://example.com"},
        )
    else:  # (as an extension does, in place)
        hooks = app.after_request_funcs[None]
        first = threading.Thread(target=hooks.append, args=(lambda r: r,))
    first.start()
    time.sleep(0.05)  # (the other thread is deciding)
    app.slow = False
    try:
        status = client.get("/", base_url="http://evil.test").status_code
    finally:
        first.join()
    assert status == 400


def test_a_hook_list_extended_part_way_runs_what_it_holds(app: Flask) -> None:
    """A hook list's ``extend`` that fails after adding a function: that
    function runs from the next request, as in Flask (the app was not told
    before, and kept the hooks it had built)."""
    app.add_url_rule("/", "index", lambda: "ok")
    app.after_request(lambda response: response)
    client = app.test_client()
    assert client.get("/").status_code == 200

    def tag(response: Response) -> Response:
        response.headers["X-Tag"] = "1"
        return response

    def hooks() -> Iterator[Callable[[Response], Response]]:
        yield tag
        raise RuntimeError("the rest failed")

    with pytest.raises(RuntimeError):
        app.after_request_funcs[None].extend(hooks())
    assert client.get("/").headers.get("X-Tag") == "1"


# -- errors from routing, HEAD and OPTIONS ---------------------------------------


def test_no_match_is_not_found(app: Flask, client: KolbaClient) -> None:
    seen: list[Exception] = []

    @app.errorhandler(NotFound)
    def not_found(e: NotFound) -> tuple[str, int]:
        seen.append(e)
        return "nothing here", 404

    response = client.get("/nope")
    assert response.status_code == 404
    assert response.data == b"nothing here"
    assert isinstance(seen[0], NotFound)


def test_wrong_method_is_405_with_allow(app: Flask, client: KolbaClient) -> None:
    app.add_url_rule("/things", "list", lambda: "list")
    app.add_url_rule("/things", "create", lambda: "made", methods=["POST"])
    response = client.delete("/things")
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "POST", "OPTIONS"}


def test_automatic_head(app: Flask, client: KolbaClient) -> None:
    calls: list[str] = []

    @app.route("/page")
    def page() -> tuple[str, dict[str, str]]:
        calls.append(request.method)
        return "a body", {"X-Extra": "yes"}

    get = client.get("/page")
    head = client.head("/page")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == "6"
    assert head.headers["X-Extra"] == "yes"
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert calls == ["GET", "HEAD"]


def test_automatic_options(app: Flask, client: KolbaClient) -> None:
    app.add_url_rule("/things", "list", lambda: "list")
    app.add_url_rule("/things", "create", lambda: "made", methods=["POST"])
    response = client.options("/things")
    assert response.status_code == 200
    assert response.data == b""
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == {"GET", "HEAD", "POST", "OPTIONS"}


def test_provide_automatic_options_false(app: Flask, client: KolbaClient) -> None:
    app.add_url_rule("/plain", "plain", lambda: "x", provide_automatic_options=False)

    @app.route("/own", methods=["GET", "OPTIONS"])
    def own() -> str:
        return f"own {request.method}"

    assert client.options("/plain").status_code == 405
    assert client.options("/own").data == b"own OPTIONS"


def test_provide_automatic_options_config(app: Flask, client: KolbaClient) -> None:
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.add_url_rule("/plain", "plain", lambda: "x")
    assert client.options("/plain").status_code == 405


def test_view_function_attributes(app: Flask, client: KolbaClient) -> None:
    def view() -> str:
        return request.method

    view.methods = ["POST"]  # type: ignore[attr-defined]
    view.provide_automatic_options = False  # type: ignore[attr-defined]
    app.add_url_rule("/v", view_func=view)
    assert client.post("/v").data == b"POST"
    assert client.get("/v").status_code == 405
    assert client.options("/v").status_code == 405
