"""Blueprints: routes, hooks and handlers grouped under a name, registered
on an app (or on another blueprint) with a URL prefix, subdomain, defaults."""

from __future__ import annotations

import pathlib
import typing as t

import pytest
from werkzeug.exceptions import NotFound

from kolba import (
    Blueprint,
    Flask,
    abort,
    g,
    render_template,
    render_template_string,
    request,
    url_for,
)
from kolba.blueprints import BlueprintSetupState
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")

# -- construction and routes ---------------------------------------------------


@pytest.mark.parametrize("name", ["", "a.b"])
def test_blueprint_name_must_be_non_empty_without_dots(name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        Blueprint(name, __name__)


def test_blueprint_routes_get_the_prefix_and_dotted_endpoints(
    app: Flask, client: KolbaClient
) -> None:
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/items/<int:item_id>")
    def item(item_id: int) -> str:
        return f"{request.endpoint} {item_id}"

    @bp.route("/")
    def index() -> str:
        return url_for("shop.item", item_id=3)

    app.register_blueprint(bp)
    assert client.get("/shop/items/3").text == "shop.item 3"
    assert client.get("/shop/").text == "/shop/items/3"
    assert client.get("/items/3").status_code == 404
    assert set(app.view_functions) >= {"shop.item", "shop.index"}


def test_every_method_decorator(app: Flask, client: KolbaClient) -> None:
    bp = Blueprint("api", __name__)

    @bp.get("/r")
    def read() -> str:
        return "get"

    @bp.post("/r")
    def create() -> str:
        return "post"

    @bp.put("/r")
    def replace() -> str:
        return "put"

    @bp.patch("/r")
    def update() -> str:
        return "patch"

    @bp.delete("/r")
    def remove() -> str:
        return "delete"

    @bp.route("/both", methods=["GET", "POST"])
    def both() -> str:
        return request.method

    app.register_blueprint(bp)
    for method in ("get", "post", "put", "patch", "delete"):
        assert getattr(client, method)("/r").text == method
    assert client.post("/both").text == "POST"
    assert client.open("/both", method="PUT").status_code == 405


def test_method_decorator_refuses_methods_argument() -> None:
    bp = Blueprint("api", __name__)
    with pytest.raises(TypeError, match="route"):
        bp.get("/", methods=["POST"])


def test_add_url_rule_and_endpoint_names(app: Flask, client: KolbaClient) -> None:
    bp = Blueprint("bp", __name__)

    def view() -> str:
        return request.endpoint or ""

    bp.add_url_rule("/a", view_func=view)
    bp.add_url_rule("/b", "custom", view)
    app.register_blueprint(bp)
    assert client.get("/a").text == "bp.view"
    assert client.get("/b").text == "bp.custom"


def test_endpoint_decorator_names_the_view_of_a_rule(
    app: Flask, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__)
    bp.add_url_rule("/x", "x")

    @bp.endpoint("x")
    def x_view() -> str:
        return request.endpoint or ""

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again", url_prefix="/again")
    assert client.get("/x").text == "bp.x"
    assert client.get("/again/x").text == "again.x"


def test_endpoint_decorator_also_names_the_view_of_an_app_rule(
    app: Flask, client: KolbaClient
) -> None:
    app.add_url_rule("/legacy", "legacy")  # a rule of the app, no view yet
    bp = Blueprint("bp", __name__)

    @bp.endpoint("legacy")
    def legacy() -> str:
        return request.endpoint or ""

    app.register_blueprint(bp, url_prefix="/bp")
    assert client.get("/legacy").text == "legacy"
    assert client.get("/bp/legacy").status_code == 404


def test_dotted_endpoint_in_a_blueprint_is_refused() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="endpoint"):
        bp.add_url_rule("/", "a.b", lambda: "")


@pytest.mark.parametrize(
    ("prefix", "rule", "path"),
    [
        ("/pre", "/x", "/pre/x"),
        ("/pre/", "/x", "/pre/x"),
        ("/pre", "/", "/pre/"),
        ("/pre", "", "/pre"),
    ],
)
def test_url_prefix_joins_with_one_slash(
    app: Flask, client: KolbaClient, prefix: str, rule: str, path: str
) -> None:
    bp = Blueprint("bp", __name__, url_prefix=prefix)
    bp.add_url_rule(rule, "view", lambda: "ok")
    app.register_blueprint(bp)
    assert client.get(path).text == "ok"


def test_register_url_prefix_overrides_the_blueprints(
    app: Flask, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/own")
    bp.add_url_rule("/", "index", lambda: "ok")
    app.register_blueprint(bp, url_prefix="/given")
    assert client.get("/given/").text == "ok"
    assert client.get("/own/").status_code == 404


def test_subdomain(app: Flask) -> None:
    app.config["SERVER_NAME"] = "example.test"
    app.subdomain_matching = True
    bp = Blueprint("api", __name__, subdomain="api")
    bp.add_url_rule("/", "index", lambda: request.host)
    other = Blueprint("admin", __name__)
    other.add_url_rule("/admin", "index", lambda: request.host)
    app.register_blueprint(bp)
    app.register_blueprint(other, subdomain="staff")
    client = app.test_client()
    assert (
        client.get("/", base_url="http://api.example.test").text == "api.example.test"
    )
    assert client.get("/", base_url="http://example.test").status_code == 404
    response = client.get("/admin", base_url="http://staff.example.test")
    assert response.text == "staff.example.test"
    with app.app_context():
        assert url_for("api.index") == "http://api.example.test/"


def test_url_defaults_of_blueprint_and_registration(
    app: Flask, client: KolbaClient
) -> None:
    bp = Blueprint("pages", __name__, url_defaults={"size": 10, "sort": "name"})

    @bp.route("/list")
    def listing(size: int, sort: str) -> str:
        return f"size={size} sort={sort} {url_for('.listing')}"

    app.register_blueprint(bp, url_defaults={"size": 20})
    assert client.get("/list").text == "size=20 sort=name /list"


def test_register_under_another_name(app: Flask, client: KolbaClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.route("/")
    def index() -> str:
        return f"{request.blueprint} {url_for('.index')}"

    app.register_blueprint(bp, name="renamed", url_prefix="/r")
    assert client.get("/r/").text == "renamed /r/"
    assert "renamed" in app.blueprints


# -- registering twice ---------------------------------------------------------


def test_one_blueprint_registered_twice_under_two_names(
    app: Flask, client: KolbaClient
) -> None:
    bp = Blueprint("docs", __name__)

    @bp.before_request
    def mark() -> None:
        g.hooked = request.blueprint

    @bp.errorhandler(404)
    def missing(e: NotFound) -> tuple[str, int]:
        return f"missing in {request.blueprint}", 404

    @bp.route("/")
    def index() -> str:
        return f"{g.hooked} {url_for('.index')}"

    @bp.route("/gone")
    def gone() -> str:
        abort(404)

    app.register_blueprint(bp, url_prefix="/v1")
    app.register_blueprint(bp, url_prefix="/v2", name="docs_v2")
    assert client.get("/v1/").text == "docs /v1/"
    assert client.get("/v2/").text == "docs_v2 /v2/"
    assert client.get("/v2/gone").text == "missing in docs_v2"
    assert app.blueprints == {"docs": bp, "docs_v2": bp}


def test_same_name_registered_twice_is_a_value_error(app: Flask) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(
        ValueError, match="already has this blueprint named 'bp'.*name="
    ):
        app.register_blueprint(bp, url_prefix="/other")
    other = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="already has another blueprint named 'bp'"):
        app.register_blueprint(other)


def test_setup_after_registration_is_refused(app: Flask) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered"):
        bp.add_url_rule("/late", "late", lambda: "")


def test_blueprint_cannot_be_nested_in_itself() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="itself"):
        bp.register_blueprint(bp)


# -- record / record_once ------------------------------------------------------


def test_record_runs_per_registration_and_record_once_on_the_first(
    app: Flask,
) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    states: list[BlueprintSetupState] = []
    once: list[BlueprintSetupState] = []
    bp.record(states.append)
    bp.record_once(once.append)
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again", url_prefix="/again", extra=1)
    assert [s.name for s in states] == ["bp", "again"]
    assert [s.url_prefix for s in states] == ["/bp", "/again"]
    assert [s.first_registration for s in states] == [True, False]
    assert states[1].options["extra"] == 1
    assert all(s.app is app and s.blueprint is bp for s in states)
    assert [s.name for s in once] == ["bp"]


def test_record_can_add_rules_through_the_state(
    app: Flask, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    bp.record(lambda state: state.add_url_rule("/made", "made", lambda: "made"))
    app.register_blueprint(bp)
    assert client.get("/bp/made").text == "made"
    assert "bp.made" in app.view_functions


def test_record_once_configures_the_app(app: Flask) -> None:
    bp = Blueprint("bp", __name__)

    @bp.record_once
    def configure(state: BlueprintSetupState) -> None:
        state.app.config.setdefault("BP_SETTING", "default")

    app.register_blueprint(bp)
    assert app.config["BP_SETTING"] == "default"


# -- hooks and handlers ----------------------------------------------------------


def _two_blueprints(app: Flask) -> tuple[Blueprint, Blueprint]:
    """Blueprints ``a`` (/a) and ``b`` (/b) and an app route ``/``, each
    answering with the ``events`` recorded in ``g``."""

    def answer() -> str:
        return ",".join(g.get("events", []))

    a = Blueprint("a", __name__, url_prefix="/a")
    b = Blueprint("b", __name__, url_prefix="/b")
    a.add_url_rule("/", "index", answer)
    b.add_url_rule("/", "index", answer)
    app.add_url_rule("/", "index", answer)
    return a, b


def _event(name: str) -> None:
    g.setdefault("events", []).append(name)


def test_blueprint_hooks_apply_only_to_its_requests(
    app: Flask, client: KolbaClient
) -> None:
    a, b = _two_blueprints(app)
    torn_down: list[str] = []

    @a.before_request
    def before() -> None:
        _event("a-before")

    @a.after_request
    def after(response):  # type: ignore[no-untyped-def]
        response.headers["X-A"] = "1"
        return response

    @a.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(request.path)

    app.register_blueprint(a)
    app.register_blueprint(b)
    response = client.get("/a/")
    assert (response.text, response.headers.get("X-A")) == ("a-before", "1")
    response = client.get("/b/")
    assert (response.text, response.headers.get("X-A")) == ("", None)
    client.get("/")
    assert torn_down == ["/a/"]


def test_app_hook_forms_apply_to_every_request(app: Flask, client: KolbaClient) -> None:
    a, b = _two_blueprints(app)
    torn_down: list[str] = []

    @a.before_app_request
    def before() -> None:
        _event("app-before")

    @a.after_app_request
    def after(response):  # type: ignore[no-untyped-def]
        response.headers["X-App"] = "1"
        return response

    @a.teardown_app_request
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(request.path)

    app.register_blueprint(a)
    app.register_blueprint(b)
    for path in ("/a/", "/b/", "/"):
        response = client.get(path)
        assert (response.text, response.headers["X-App"]) == ("app-before", "1")
    assert torn_down == ["/a/", "/b/", "/"]


def test_hooks_run_app_first_then_blueprint(app: Flask, client: KolbaClient) -> None:
    a, _ = _two_blueprints(app)
    order: list[str] = []

    @app.before_request
    def app_before() -> None:
        _event("app")

    @a.before_request
    def bp_before() -> None:
        _event("bp")

    @app.after_request
    def app_after(response):  # type: ignore[no-untyped-def]
        order.append("app")
        return response

    @a.after_request
    def bp_after(response):  # type: ignore[no-untyped-def]
        order.append("bp")
        return response

    app.register_blueprint(a)
    assert client.get("/a/").text == "app,bp"
    assert order == ["bp", "app"]


def test_blueprint_before_request_can_answer(app: Flask, client: KolbaClient) -> None:
    a, _ = _two_blueprints(app)

    @a.before_request
    def guard() -> tuple[str, int] | None:
        if "token" not in request.args:
            return "token required", 401
        return None

    app.register_blueprint(a)
    assert client.get("/a/").status_code == 401
    assert client.get("/a/?token=1").status_code == 200
    assert client.get("/").status_code == 200


def test_blueprint_error_handler_scope(app: Flask, client: KolbaClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.errorhandler(404)
    def bp_missing(e: NotFound) -> tuple[str, int]:
        return "bp missing", 404

    @bp.errorhandler(KeyError)
    def bp_key(e: KeyError) -> tuple[str, int]:
        return "bp key", 400

    @bp.route("/gone")
    def gone() -> str:
        abort(404)

    @bp.route("/key")
    def key() -> str:
        return request.args["nope"] and ""

    @app.route("/gone")
    def app_gone() -> str:
        abort(404)

    app.register_blueprint(bp)
    assert client.get("/bp/gone").text == "bp missing"
    assert client.get("/bp/key").text == "bp key"
    assert "bp missing" not in client.get("/gone").text
    # no rule matched, so no blueprint: the app's handling applies
    assert "bp missing" not in client.get("/bp/nothing-here").text


def test_app_errorhandler_applies_everywhere(app: Flask, client: KolbaClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_errorhandler(404)
    def missing(e: NotFound) -> tuple[str, int]:
        return f"nothing at {request.path}", 404

    @bp.app_errorhandler(ZeroDivisionError)
    def div(e: ZeroDivisionError) -> tuple[str, int]:
        return "bad math", 400

    @app.route("/div")
    def divide() -> str:
        return str(1 / 0)

    app.register_blueprint(bp)
    assert client.get("/nowhere").text == "nothing at /nowhere"
    assert client.get("/div").text == "bad math"


def test_blueprint_handler_wins_over_app_handler(
    app: Flask, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__)

    @app.errorhandler(ValueError)
    def app_value(e: ValueError) -> str:
        return "app"

    @bp.errorhandler(ValueError)
    def bp_value(e: ValueError) -> str:
        return "bp"

    @bp.route("/bp")
    def bp_view() -> str:
        raise ValueError

    @app.route("/app")
    def app_view() -> str:
        raise ValueError

    app.register_blueprint(bp)
    assert client.get("/bp").text == "bp"
    assert client.get("/app").text == "app"


def test_context_processors(app: Flask, client: KolbaClient) -> None:
    a, b = _two_blueprints(app)

    @a.context_processor
    def only_a() -> dict[str, str]:
        return {"who": "a"}

    @a.app_context_processor
    def everywhere() -> dict[str, str]:
        return {"site": "kolba"}

    @a.route("/t")
    def a_template() -> str:
        return render_template_string("{{ site }} {{ who }}")

    @b.route("/t")
    def b_template() -> str:
        return render_template_string("{{ site }} {{ who|default('-') }}")

    app.register_blueprint(a)
    app.register_blueprint(b)
    assert client.get("/a/t").text == "kolba a"
    assert client.get("/b/t").text == "kolba -"


def _language_blueprint() -> Blueprint:
    """The classic pattern: a ``lang_code`` URL variable pulled into ``g``
    and put back by ``url_for``."""
    bp = Blueprint("lang", __name__, url_prefix="/<lang_code>")

    @bp.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.lang_code = values.pop("lang_code") if values else None

    @bp.url_defaults
    def add_lang(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang_code" not in values and "lang_code" in g:
            values["lang_code"] = g.lang_code

    @bp.route("/about")
    def about() -> str:
        return f"{g.lang_code} {url_for('.about')} {url_for('.about', lang_code='de')}"

    return bp


def test_url_value_preprocessor_and_url_defaults(
    app: Flask, client: KolbaClient
) -> None:
    app.register_blueprint(_language_blueprint())
    assert client.get("/ru/about").text == "ru /ru/about /de/about"


def test_blueprint_url_defaults_apply_only_to_its_endpoints(app: Flask) -> None:
    bp = Blueprint("bp", __name__)
    seen: list[str] = []

    @bp.url_defaults
    def record(endpoint: str, values: dict[str, t.Any]) -> None:
        seen.append(endpoint)

    bp.add_url_rule("/x", "x", lambda: "")
    app.add_url_rule("/y", "y", lambda: "")
    app.register_blueprint(bp)
    with app.test_request_context():
        url_for("y")
        url_for("bp.x")
    assert seen == ["bp.x"]


def test_app_url_value_preprocessor_and_app_url_defaults(
    app: Flask, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.tenant = (values or {}).pop("tenant", None)

    @bp.app_url_defaults
    def push(endpoint: str, values: dict[str, t.Any]) -> None:
        if app.url_map.is_endpoint_expecting(endpoint, "tenant"):
            values.setdefault("tenant", g.tenant)

    @app.route("/<tenant>/home")
    def home() -> str:
        return f"{g.tenant} {url_for('home')}"

    app.register_blueprint(bp)
    assert client.get("/acme/home").text == "acme /acme/home"


# -- nested blueprints ---------------------------------------------------------


def _nested(app: Flask) -> tuple[Blueprint, Blueprint]:
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")

    @child.route("/view")
    def view() -> str:
        return f"{request.blueprint} {request.blueprints} {url_for('.view')}"

    @child.route("/fail")
    def fail() -> str:
        raise LookupError("child")

    @parent.route("/")
    def index() -> str:
        return url_for("parent.child.view")

    parent.register_blueprint(child)
    return parent, child


def test_nested_blueprint_prefix_endpoint_and_names(
    app: Flask, client: KolbaClient
) -> None:
    parent, _ = _nested(app)
    app.register_blueprint(parent)
    assert (
        client.get("/parent/child/view").text
        == "parent.child ['parent.child', 'parent'] /parent/child/view"
    )
    assert client.get("/parent/").text == "/parent/child/view"
    assert "parent.child.view" in app.view_functions
    assert set(app.blueprints) == {"parent", "parent.child"}


def test_nested_blueprint_prefix_joins_with_the_registration_prefix(
    app: Flask, client: KolbaClient
) -> None:
    parent, _ = _nested(app)
    app.register_blueprint(parent, url_prefix="/p")
    assert client.get("/p/child/view").status_code == 200


def test_nested_registration_options(app: Flask, client: KolbaClient) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__)
    child.add_url_rule("/", "index", lambda: request.endpoint or "")
    parent.register_blueprint(child, url_prefix="/kid", name="kid")
    app.register_blueprint(parent)
    assert client.get("/parent/kid/").text == "parent.kid.index"


def test_parent_hooks_and_handlers_apply_to_child_requests(
    app: Flask, client: KolbaClient
) -> None:
    parent, child = _nested(app)
    order: list[str] = []

    @parent.before_request
    def parent_before() -> None:
        order.append("parent-before")

    @child.before_request
    def child_before() -> None:
        order.append("child-before")

    @parent.after_request
    def parent_after(response):  # type: ignore[no-untyped-def]
        order.append("parent-after")
        return response

    @child.after_request
    def child_after(response):  # type: ignore[no-untyped-def]
        order.append("child-after")
        return response

    @parent.errorhandler(LookupError)
    def lookup(e: LookupError) -> tuple[str, int]:
        return f"parent handled {e}", 404

    @parent.context_processor
    def parent_names() -> dict[str, str]:
        return {"family": "parent"}

    @child.route("/tpl")
    def tpl() -> str:
        return render_template_string("{{ family }}")

    app.register_blueprint(parent)
    client.get("/parent/child/view")
    assert order == ["parent-before", "child-before", "child-after", "parent-after"]
    assert client.get("/parent/child/fail").text == "parent handled child"
    assert client.get("/parent/child/tpl").text == "parent"


def test_child_error_handler_wins_over_parent(app: Flask, client: KolbaClient) -> None:
    parent, child = _nested(app)

    @parent.errorhandler(LookupError)
    def parent_lookup(e: LookupError) -> str:
        return "parent"

    @child.errorhandler(LookupError)
    def child_lookup(e: LookupError) -> str:
        return "child"

    app.register_blueprint(parent)
    assert client.get("/parent/child/fail").text == "child"


def test_nested_subdomains_join(app: Flask) -> None:
    app.config["SERVER_NAME"] = "example.test"
    app.subdomain_matching = True
    parent = Blueprint("parent", __name__, subdomain="api")
    child = Blueprint("child", __name__, subdomain="v1")
    child.add_url_rule("/", "index", lambda: request.host)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    response = app.test_client().get("/", base_url="http://v1.api.example.test")
    assert response.text == "v1.api.example.test"


@pytest.mark.parametrize(
    ("parent_subdomain", "child_subdomain", "host"),
    [
        ("api", None, "api.example.test"),
        (None, "v1", "v1.example.test"),
        (None, None, "example.test"),
    ],
)
def test_a_nested_blueprint_takes_the_one_subdomain_that_is_set(
    app: Flask, parent_subdomain: str | None, child_subdomain: str | None, host: str
) -> None:
    app.config["SERVER_NAME"] = "example.test"
    app.subdomain_matching = True
    parent = Blueprint("parent", __name__, subdomain=parent_subdomain)
    child = Blueprint("child", __name__, subdomain=child_subdomain)
    child.add_url_rule("/", "index", lambda: request.host)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    client = app.test_client()
    assert client.get("/", base_url=f"http://{host}").text == host
    assert client.get("/", base_url="http://other.example.test").status_code == 404


def test_nested_url_defaults_and_preprocessors_of_the_parent(
    app: Flask, client: KolbaClient
) -> None:
    parent = _language_blueprint()
    child = Blueprint("docs", __name__, url_prefix="/docs")

    @child.route("/")
    def index() -> str:
        return f"{g.lang_code} {url_for('.index')} {url_for('lang.about')}"

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/en/docs/").text == "en /en/docs/ /en/about"


# -- static files and templates ---------------------------------------------------


@pytest.fixture
def bp_folder(tmp_path: pathlib.Path) -> pathlib.Path:
    """A blueprint folder with ``static/style.css`` and ``templates/``,
    next to an app folder with its own ``templates/``."""
    (tmp_path / "bp" / "static").mkdir(parents=True)
    (tmp_path / "bp" / "static" / "style.css").write_text("body {}")
    (tmp_path / "bp" / "templates").mkdir()
    (tmp_path / "bp" / "templates" / "page.html").write_text("bp page {{ x }}")
    (tmp_path / "bp" / "templates" / "shared.html").write_text("bp shared")
    (tmp_path / "app" / "templates").mkdir(parents=True)
    (tmp_path / "app" / "templates" / "shared.html").write_text("app shared")
    (tmp_path / "secret.txt").write_text("secret")
    return tmp_path


@pytest.fixture
def folder_app(bp_folder: pathlib.Path) -> Flask:
    app = Flask("folder_app", root_path=str(bp_folder / "app"))
    bp = Blueprint(
        "bp",
        __name__,
        url_prefix="/bp",
        static_folder="static",
        template_folder="templates",
        root_path=str(bp_folder / "bp"),
    )

    @bp.route("/page")
    def page() -> str:
        return render_template("page.html", x=url_for(".static", filename="style.css"))

    @bp.route("/shared")
    def shared() -> str:
        return render_template("shared.html")

    app.register_blueprint(bp)
    return app


def test_blueprint_static_files(folder_app: Flask) -> None:
    client = folder_app.test_client()
    response = client.get("/bp/static/style.css")
    assert (response.status_code, response.data) == (200, b"body {}")
    assert response.mimetype == "text/css"
    with folder_app.test_request_context():
        assert url_for("bp.static", filename="style.css") == "/bp/static/style.css"


@pytest.mark.parametrize(
    "path",
    [
        "/bp/static/../../secret.txt",
        "/bp/static/%2e%2e/%2e%2e/secret.txt",
        "/bp/static/nope.css",
    ],
)
def test_blueprint_static_files_stay_in_the_folder(
    folder_app: Flask, path: str
) -> None:
    assert folder_app.test_client().get(path).status_code == 404


def test_blueprint_static_url_path(bp_folder: pathlib.Path) -> None:
    app = Flask("app", root_path=str(bp_folder / "app"))
    bp = Blueprint(
        "bp",
        __name__,
        static_folder="static",
        static_url_path="/assets",
        root_path=str(bp_folder / "bp"),
    )
    app.register_blueprint(bp, url_prefix="/bp")
    assert app.test_client().get("/bp/assets/style.css").data == b"body {}"


def test_blueprint_without_static_folder_has_no_static_route(app: Flask) -> None:
    app.register_blueprint(Blueprint("bp", __name__))
    assert "bp.static" not in app.view_functions


def test_blueprint_template_folder(folder_app: Flask) -> None:
    client = folder_app.test_client()
    assert client.get("/bp/page").text == "bp page /bp/static/style.css"


def test_app_templates_win_over_blueprint_templates(folder_app: Flask) -> None:
    assert folder_app.test_client().get("/bp/shared").text == "app shared"


def test_open_resource_relative_to_the_blueprint(bp_folder: pathlib.Path) -> None:
    bp = Blueprint("bp", __name__, root_path=str(bp_folder / "bp"))
    with bp.open_resource("static/style.css") as f:
        assert f.read() == b"body {}"
    with pytest.raises(ValueError, match="reading"):
        bp.open_resource("static/style.css", "w")


# -- CLI group -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "args"),
    [
        ({}, ["bp", "hello"]),
        ({"cli_group": None}, ["hello"]),
        ({"cli_group": "tools"}, ["tools", "hello"]),
    ],
)
def test_blueprint_cli_group(
    app: Flask, options: dict[str, t.Any], args: list[str]
) -> None:
    bp = Blueprint("bp", __name__, **options)

    @bp.cli.command("hello")
    def hello() -> None:
        print("hello from bp")

    app.register_blueprint(bp)
    result = app.test_cli_runner().invoke(args=args)
    assert result.output == "hello from bp\n"
