"""Flask 3.1's public API, as extensions use it: modules, names, signatures,
registries, proxies, and an app that goes away with its last reference."""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import logging
import os
import ssl
import types
import typing as t
import weakref
from pathlib import Path

import click
import pytest

import kolba
from kolba import Blueprint, Flask, g, request, stream_with_context, url_for
from kolba.globals import app_ctx, current_app
from kolba.testing import ASGIClient, KolbaClient


def test_typing_aliases() -> None:
    import kolba.typing as ft

    for name in (
        "ResponseValue", "HeaderValue", "HeadersValue", "ResponseReturnValue",
        "ResponseClass", "AppOrBlueprintKey", "AfterRequestCallable",
        "BeforeFirstRequestCallable", "BeforeRequestCallable",
        "ShellContextProcessorCallable", "TeardownCallable",
        "TemplateContextProcessorCallable", "TemplateFilterCallable",
        "TemplateGlobalCallable", "TemplateTestCallable", "URLDefaultCallable",
        "URLValuePreprocessorCallable", "ErrorHandlerCallable", "RouteCallable",
    ):  # fmt: skip
        assert hasattr(ft, name), name


def test_sansio_modules_alias_kolbas_classes() -> None:
    from kolba.sansio.app import App
    from kolba.sansio.blueprints import Blueprint as SansioBlueprint
    from kolba.sansio.blueprints import BlueprintSetupState
    from kolba.sansio.scaffold import Scaffold, find_package, get_root_path, setupmethod

    app = Flask(__name__)
    assert isinstance(app, App) and isinstance(app, Scaffold)
    assert SansioBlueprint is Blueprint and callable(setupmethod)
    assert BlueprintSetupState is kolba.blueprints.BlueprintSetupState
    assert get_root_path(__name__) == str(Path(__file__).parent)
    assert find_package(__name__)[1] == str(Path(__file__).parent)


def test_other_public_names() -> None:
    import werkzeug.wrappers

    from kolba import cli, testing, views, wrappers

    assert views.http_method_funcs == {
        "get", "post", "head", "options", "delete", "put", "trace", "patch",
    }  # fmt: skip
    assert wrappers.RequestBase is werkzeug.wrappers.Request
    assert wrappers.ResponseBase is werkzeug.wrappers.Response
    assert testing.FlaskCliRunner is cli.KolbaCliRunner
    assert isinstance(cli.CertParamType(), click.ParamType)
    assert cli.SeparatedPathType().convert(f"a{os.pathsep}b", None, None) == ["a", "b"]
    assert isinstance(cli.SeparatedPathType(), click.Path)
    with pytest.raises(click.BadParameter, match="does not exist"):
        cli.SeparatedPathType(exists=True).convert(f".{os.pathsep}nowhere", None, None)
    assert callable(cli.get_version) and callable(cli.show_server_banner)


# Every module of Flask 3.1 under its kolba name (kolba.X for flask.X).
FLASK_MODULES = [
    "flask", "flask.app", "flask.blueprints", "flask.cli", "flask.config",
    "flask.ctx", "flask.debughelpers", "flask.globals", "flask.helpers",
    "flask.json", "flask.json.provider", "flask.json.tag", "flask.logging",
    "flask.sansio.app", "flask.sansio.blueprints", "flask.sansio.scaffold",
    "flask.sessions", "flask.signals", "flask.templating", "flask.testing",
    "flask.typing", "flask.views", "flask.wrappers",
]  # fmt: skip
# Where kolba's parameters differ on purpose.
OWN_SIGNATURES = {
    # issue 7 asks for the URL variables as keyword arguments
    "flask.views.View.dispatch_request",
    # accepts click.ParamType's arguments, Flask's takes none
    "flask.cli.CertParamType.__init__",
}


def _parameters(obj: object) -> list[tuple[str, object]] | None:
    try:
        signature = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return [(p.name, p.kind) for p in signature.parameters.values()]


def _defined_in(module: types.ModuleType) -> dict[str, object]:
    """The public names a Flask module defines itself (not what it imports)."""
    names = getattr(module, "__all__", None) or [n for n in dir(module) if n[0] != "_"]
    return {
        name: value
        for name in names
        if isinstance(value := getattr(module, name), t.TypeVar)
        or getattr(value, "__module__", None) == module.__name__
        or (
            module.__name__ == "flask"  # flask's names, not its modules or __future__'s
            and type(value).__module__ not in ("__future__", "builtins")
        )
    }


@pytest.mark.parametrize("flask_name", FLASK_MODULES)
def test_every_public_name_of_flask_is_kolbas(flask_name: str) -> None:
    flask_module = importlib.import_module(flask_name)
    kolba_module = importlib.import_module("kolba" + flask_name[len("flask") :])
    for name, flask_obj in _defined_in(flask_module).items():
        where = f"{flask_name}.{name}"
        assert hasattr(kolba_module, name), f"{where} is missing"
        kolba_obj = getattr(kolba_module, name)
        if inspect.isfunction(flask_obj) and where not in OWN_SIGNATURES:
            assert _parameters(kolba_obj) == _parameters(flask_obj), where
        if not inspect.isclass(flask_obj):
            continue
        for attr, flask_attr in vars(flask_obj).items():
            if attr[0] == "_" and attr != "__init__":
                continue
            assert hasattr(kolba_obj, attr), f"{where}.{attr} is missing"
            method = f"{where}.{attr}"
            if inspect.isfunction(flask_attr) and method not in OWN_SIGNATURES:
                kolba_attr = getattr(kolba_obj, attr)
                assert _parameters(kolba_attr) == _parameters(flask_attr), method


def test_response_set_cookie_shows_werkzeugs_parameters() -> None:
    import werkzeug.wrappers

    ours = inspect.signature(kolba.Response.set_cookie)
    assert ours == inspect.signature(werkzeug.wrappers.Response.set_cookie)


def test_submodules_are_attributes_without_being_imported_up_front() -> None:
    import subprocess
    import sys

    code = (
        "import sys, kolba; assert 'kolba.cli' not in sys.modules;"
        " print(kolba.cli.ScriptInfo.__name__, kolba.views.http_method_funcs > set())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout == "ScriptInfo True\n", result.stderr


def test_blueprint_rules_have_a_defaults_dict_as_in_flask() -> None:
    app = Flask(__name__)
    bp = Blueprint("bp", __name__)
    bp.add_url_rule("/x", "x", lambda: "")
    app.register_blueprint(bp)
    assert next(app.url_map.iter_rules("bp.x")).defaults == {}


def test_template_functions_are_listed_and_star_imported() -> None:
    assert {"render_template", "stream_template"} <= set(dir(kolba))
    namespace: dict[str, object] = {}
    exec("from kolba import *", namespace)
    assert namespace["render_template"] is kolba.templating.render_template
    assert namespace["Flask"] is Flask and namespace["request"] is request


def test_registries_are_defaultdicts() -> None:
    app = Flask(__name__)
    assert app.after_request_funcs[None] == []
    assert app.error_handler_spec[None][404] == {}
    app.before_request_funcs["bp"].append(lambda: "from the registry")

    @app.route("/")
    def index() -> str:
        return "index"

    bp = Blueprint("bp", __name__)
    bp.before_request_funcs[None].append(lambda: "hooked")
    bp.after_request_funcs[None]  # indexed only: registers nothing

    @bp.route("/bp")
    def in_bp() -> str:
        return "view"

    app.register_blueprint(bp)
    assert app.test_client().get("/").text == "index"  # an empty list is no hook
    assert app.test_client().get("/bp").text == "from the registry"
    assert [f() for f in app.before_request_funcs["bp"]] == [
        "from the registry",
        "hooked",
    ]
    assert "bp" not in app.after_request_funcs


def test_url_for_signatures_are_flasks() -> None:
    app = Flask(__name__)

    @app.route("/<self>")
    def show(self: str) -> str:
        return ""

    with app.test_request_context():
        assert url_for("show", self="a") == "/a"
        assert url_for(endpoint="show", self="b") == "/b"
        assert app.url_for("show", self="c") == "/c"
        assert app.url_for(endpoint="show", self="d") == "/d"


def test_locate_app_signature(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kolba.cli import NoAppException, locate_app

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "located.py").write_text("from kolba import Flask\napp = Flask('x')\n")
    assert locate_app("located", "app").name == "x"
    assert locate_app("located", None, raise_if_not_found=True).name == "x"
    assert locate_app("no_such_module_here", None, raise_if_not_found=False) is None
    with pytest.raises(NoAppException):
        locate_app("no_such_module_here", None)


def test_request_from_builder_args() -> None:
    app = Flask(__name__)
    client = app.test_client()
    req = client._request_from_builder_args(("/x",), {"query_string": {"a": "1"}})
    assert req.path == "/x" and req.args["a"] == "1"
    assert req.environ["REMOTE_ADDR"] == "127.0.0.1"


# -- proxies --------------------------------------------------------------------


def test_proxies_forward_operators_and_special_methods() -> None:
    app = Flask(__name__)
    with app.app_context() as ctx:
        g.n = 5
        with app_ctx as entered:  # __enter__/__exit__ through the proxy
            assert entered is ctx
        assert current_app._get_current_object() is app
        number = kolba.globals._ContextProxy(lambda: g.n)
        assert (number + 1, 1 + number, number * 2, -number, abs(number)) == (
            6, 6, 10, -5, 5,
        )  # fmt: skip
        assert number > 4 and number <= 5 and int(number) == 5 and float(number) == 5.0
        assert divmod(number, 2) == (2, 1) and round(number) == 5
        assert [0, 1, 2, 3, 4, 5][number] == 5  # __index__
        items = kolba.globals._ContextProxy(lambda: g.items)
        g.items = [1, 2]
        items += [3]
        assert g.items == [1, 2, 3] and list(reversed(items)) == [3, 2, 1]
        assert f"{number:03d}" == "005"


# -- an app is freed with its last reference --------------------------------------


def test_an_app_is_freed_without_the_cycle_collector() -> None:
    app = Flask(__name__)
    app.secret_key = "a-long-enough-test-secret-key"

    @app.route("/")
    def index() -> object:
        kolba.session["seen"] = True
        return {"url": url_for("index")}

    @app.route("/page")
    def page() -> str:
        return kolba.render_template_string("{{ url_for('page') }} {{ [1]|tojson }}")

    assert app.test_client().get("/").json == {"url": "/"}
    assert app.test_client().get("/page").text == "/page [1]"
    ref = weakref.ref(app)
    gc.disable()
    try:
        del app
        assert ref() is None
    finally:
        gc.enable()


# -- debug helpers ----------------------------------------------------------------


def test_files_on_a_form_without_multipart_explains_in_debug_mode() -> None:
    from kolba.debughelpers import DebugFilesKeyError

    app = Flask(__name__)

    @app.post("/")
    def upload() -> str:
        return request.files["photo"].filename or ""

    app.debug = True
    with pytest.raises(DebugFilesKeyError) as info:
        app.test_client().post("/", data={"photo": "cat.png"})
    assert 'enctype="multipart/form-data"' in str(info.value)
    assert "'cat.png'" in str(info.value)
    app.debug = False
    assert app.test_client().post("/", data={"photo": "cat.png"}).status_code == 400


def test_an_unbound_proxy_shows_as_werkzeugs_local_proxy() -> None:
    for proxy in (g, request, current_app, kolba.session, app_ctx):
        assert repr(proxy) == "<LocalProxy unbound>"
    with Flask(__name__).app_context():
        assert repr(g) != "<LocalProxy unbound>"


def test_flask_private_context_variables_can_be_read() -> None:
    # code written for Flask reads flask.globals._cv_app / _cv_request
    from kolba.globals import _cv_app, _cv_request

    assert _cv_request.get(None) is None
    with pytest.raises(LookupError):
        _cv_app.get()
    app = Flask(__name__)
    with app.app_context() as app_context:
        assert _cv_app.get() is app_context
        assert _cv_request.get(None) is None
    with app.test_request_context() as request_context:
        assert _cv_request.get() is request_context
        assert _cv_app.get().app is app


def test_a_form_redirected_with_301_in_debug_mode_is_explained(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kolba.debughelpers import FormDataRoutingRedirect
    from kolba.routing import RequestRedirect

    app = Flask(__name__)

    @app.route("/notes/", methods=["GET", "POST"])
    def notes() -> str:
        return request.form.get("title", "-")

    client = app.test_client()
    # kolba's 308 keeps the body: no hint needed, the form arrives
    assert client.post("/notes", data={"title": "a"}, follow_redirects=True).text == "a"
    monkeypatch.setattr(RequestRedirect, "code", 301)
    app.debug = True
    with pytest.raises(FormDataRoutingRedirect) as info:
        client.post("/notes", data={"title": "a"})
    assert "canonical URL 'http://localhost/notes/'" in str(info.value)
    assert client.get("/notes").status_code == 301  # a GET has no body to lose
    app.debug = False
    assert client.post("/notes", data={"title": "a"}).status_code == 301


def test_template_explanation_names_the_blueprint_and_several_matches(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text("app")
    (tmp_path / "bp" / "templates").mkdir(parents=True)
    (tmp_path / "bp" / "templates" / "page.html").write_text("bp")
    app = Flask(__name__, root_path=str(tmp_path))
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    bp = Blueprint("shop", __name__, root_path=str(tmp_path / "bp"))
    bp.template_folder = "templates"

    @bp.route("/missing")
    def missing() -> str:
        return kolba.render_template("nope.html")

    @bp.route("/page")
    def page() -> str:
        return kolba.render_template("page.html")

    app.register_blueprint(bp)
    caplog.set_level(logging.INFO, logger=app.logger.name)
    assert app.test_client().get("/page").text == "app"
    assert "multiple loaders returned a match" in caplog.text
    caplog.clear()
    app.test_client().get("/missing")
    assert "belongs to the blueprint 'shop'" in caplog.text


# -- command line -------------------------------------------------------------------


def test_cert_option_takes_an_ssl_context_import_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kolba.cli import CertParamType

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "tls_setup.py").write_text(
        "import ssl\ncontext = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\nother = 1\n"
    )
    assert isinstance(
        CertParamType().convert("tls_setup:context", None, None), ssl.SSLContext
    )
    assert isinstance(
        CertParamType().convert("tls_setup.context", None, None), ssl.SSLContext
    )
    with pytest.raises(click.BadParameter, match="not a file nor an ssl.SSLContext"):
        CertParamType().convert("tls_setup.other", None, None)
    with pytest.raises(click.BadParameter, match="does not exist"):
        CertParamType().convert("no_such.thing", None, None)


def test_load_dotenv_says_whether_a_file_was_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kolba.cli import load_dotenv

    monkeypatch.chdir(tmp_path)
    assert load_dotenv(tmp_path / "missing.env", load_defaults=False) is False
    (tmp_path / "some.env").write_text("KOLBA_API_TEST_VALUE=1\n")
    monkeypatch.delenv("KOLBA_API_TEST_VALUE", raising=False)
    assert load_dotenv(tmp_path / "some.env", load_defaults=False) is True
    assert os.environ.pop("KOLBA_API_TEST_VALUE") == "1"


def test_from_prefixed_env_without_prefix_reads_flask_and_kolba(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-flask")
    monkeypatch.setenv("FLASK_ONLY_FLASK", "1")
    monkeypatch.setenv("KOLBA_SECRET_KEY", "from-kolba")
    app = Flask(__name__)
    app.config.from_prefixed_env()
    assert app.config["SECRET_KEY"] == "from-kolba" and app.config["ONLY_FLASK"] == 1
    monkeypatch.delenv("KOLBA_SECRET_KEY")
    app.config.from_prefixed_env()
    assert app.config["SECRET_KEY"] == "from-flask"


# -- streams, test client ------------------------------------------------------------


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_stream_with_context_of_an_async_generator(driver: str) -> None:
    # (Flask: TypeError, "'async_generator' object is not iterable": kolba
    # streams async generators, whose body keeps the request context)
    app = Flask(__name__)

    @app.route("/wrapped")
    async def wrapped() -> object:
        async def body() -> t.AsyncIterator[str]:
            yield "<"
            await asyncio.sleep(0)
            yield request.args["name"]

        return stream_with_context(body())

    @app.route("/decorated")
    async def decorated() -> object:
        @stream_with_context
        async def body() -> t.AsyncIterator[str]:
            yield request.path

        return body()

    client = (
        KolbaClient(app, app.response_class) if driver == "wsgi" else ASGIClient(app)
    )
    assert client.get("/wrapped?name=a").text == "<a"
    assert client.get("/decorated").text == "/decorated"


def test_stream_with_context_in_an_async_view() -> None:
    app = Flask(__name__)
    closed: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        closed.append(request.path)

    @app.route("/decorated")
    async def decorated() -> object:
        @stream_with_context
        def body() -> object:
            yield "<"
            yield request.args["name"]
            yield ">"

        return body()

    @app.route("/wrapped")
    async def wrapped() -> object:
        def body() -> object:
            yield request.args["name"]
            assert closed == ["/decorated"]  # this one is torn down after its body

        return stream_with_context(body())

    client = app.test_client()
    assert client.get("/decorated?name=a").text == "<a>"
    assert client.get("/wrapped?name=b").text == "b"
    assert closed == ["/decorated", "/wrapped"]
    assert not kolba.has_request_context()


def test_with_client_and_redirects_keeps_the_last_requests_context() -> None:
    app = Flask(__name__)

    @app.route("/old")
    def old() -> object:
        g.seen = "old"
        return kolba.redirect("/new")

    @app.route("/new")
    def new() -> str:
        g.seen = "new"
        return "new"

    with app.test_client() as client:
        assert client.get("/old", follow_redirects=True).text == "new"
        assert request.path == "/new" and g.seen == "new"
    assert not kolba.has_request_context()


# -- app.run and kolba run ------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple, dict]]:
    """Calls of werkzeug.serving.run_simple, patched where tools patch it."""
    import werkzeug.serving

    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(
        werkzeug.serving, "run_simple", lambda *a, **kw: calls.append((a, kw))
    )
    monkeypatch.delenv("KOLBA_RUN_FROM_CLI", raising=False)
    return calls


def test_app_run_calls_run_simple_and_binds_nothing_before(
    served: list[tuple[tuple, dict]],
) -> None:
    import socket

    app = Flask(__name__)
    with socket.socket() as taken:  # a port in use: app.run itself binds nothing
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app.config["SERVER_NAME"] = f"127.0.0.1:{port}"
        app.run(debug=True, load_dotenv=False, passthrough_errors=True)
    ((args, options),) = served
    assert args == ("127.0.0.1", port, app)
    assert options == {
        "use_reloader": True,
        "use_debugger": True,
        "threaded": True,
        "passthrough_errors": True,
    }
    app.run(host="0.0.0.0", port=8123, debug=False, load_dotenv=False)
    assert served[1] == (
        ("0.0.0.0", 8123, app),
        {"use_reloader": False, "use_debugger": False, "threaded": True},
    )


CLI_APP = """\
from kolba import Flask
app = Flask(__name__)
"""


@pytest.mark.parametrize(
    ("args", "env", "debug"),
    [
        (["run", "--debug"], {}, True),
        (["run"], {}, False),
        (["run", "--no-debug"], {"KOLBA_DEBUG": "1"}, False),
        (["--debug", "run"], {}, True),
    ],
)
def test_kolba_run_debug(
    served: list[tuple[tuple, dict]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    debug: bool,
) -> None:
    from click.testing import CliRunner

    from kolba.cli import KolbaGroup

    (tmp_path / "runapp.py").write_text(CLI_APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("KOLBA_DEBUG", "FLASK_DEBUG", "KOLBA_ENV", "FLASK_ENV"):
        monkeypatch.setenv(name, "")  # unset, and restored after: --debug sets it
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(KolbaGroup(), ["--app", "runapp", *args, "--port", "0"])
    assert result.exit_code == 0, result.output
    ((_, options),) = served
    assert options["use_reloader"] is debug and options["use_debugger"] is debug


def test_help_lists_the_builtin_commands_when_the_factory_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from kolba.cli import KolbaGroup

    (tmp_path / "brokenfactory.py").write_text(
        "def create_app():\n    raise RuntimeError('no database')\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(KolbaGroup(), ["--app", "brokenfactory", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("run", "routes", "shell"):
        assert f"  {command} " in result.output
    assert "no database" in result.output


def test_help_lists_the_builtin_commands_when_a_create_app_argument_raises() -> None:
    from click.testing import CliRunner

    from kolba.cli import KolbaGroup

    def create_app() -> Flask:
        raise RuntimeError("no database")

    result = CliRunner().invoke(KolbaGroup(create_app=create_app), ["--help"])
    assert result.exit_code == 0, result.output
    assert "  routes " in result.stdout
    assert "RuntimeError: no database" in result.stderr


# -- instance folder -------------------------------------------------------------------


def test_instance_path_of_an_app_in_a_namespace_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for portion, module in (("one", "first"), ("two", "second")):
        (tmp_path / portion / "kolba_ns_pkg").mkdir(parents=True)
        (tmp_path / portion / "kolba_ns_pkg" / f"{module}.py").write_text("")
        monkeypatch.syspath_prepend(str(tmp_path / portion))
    first = Flask("kolba_ns_pkg.first")
    second = Flask("kolba_ns_pkg.second")
    assert first.instance_path == str(tmp_path / "one" / "instance")
    assert second.instance_path == str(tmp_path / "two" / "instance")


@pytest.mark.parametrize(
    ("layout", "prefix"),
    [
        ("env/lib/python3.99/site-packages", "env"),
        ("usr/lib/python3/dist-packages", "usr"),
        ("win/Lib/site-packages", "win"),
        ("flat/site-packages", "flat"),
    ],
)
def test_instance_path_of_an_installed_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str, prefix: str
) -> None:
    site = tmp_path / layout
    (site / "kolba_installed_app").mkdir(parents=True)
    (site / "kolba_installed_app" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(site))
    app = Flask("kolba_installed_app")
    assert app.instance_path == str(
        tmp_path / prefix / "var" / "kolba_installed_app-instance"
    )


def test_instance_path_of_an_app_under_sys_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    (tmp_path / "share" / "apps").mkdir(parents=True)
    (tmp_path / "share" / "apps" / "kolba_prefixed_app.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "share" / "apps"))
    app = Flask("kolba_prefixed_app")
    assert app.instance_path == str(tmp_path / "var" / "kolba_prefixed_app-instance")


@pytest.mark.parametrize(
    ("cls", "name", "instead"),
    [
        (Flask, "before_first_request", "create_app"),
        (Flask, "before_first_request_funcs", "create_app"),
        (Blueprint, "before_app_first_request", "create_app"),
        (Flask, "json_encoder", "json_provider_class"),
        (Blueprint, "json_decoder", "json_provider_class"),
        (Flask, "env", "app.debug"),
        (Flask, "propagate_exceptions", "PROPAGATE_EXCEPTIONS"),
        (Flask, "session_cookie_name", "SESSION_COOKIE_NAME"),
        (Flask, "use_x_sendfile", "USE_X_SENDFILE"),
    ],
)
def test_names_flask_3_removed_say_what_replaced_them(
    cls: type[Flask | Blueprint], name: str, instead: str
) -> None:
    # Absent as in Flask 3 (hasattr is False, extensions that probe for them
    # take the new way), but the AttributeError says what to use instead.
    scaffold = cls("x", "x") if cls is Blueprint else cls("x")
    assert not hasattr(scaffold, name)
    assert not hasattr(cls, name)
    said = f"'{name}': Flask 3 removed it;.*{instead}"
    with pytest.raises(AttributeError, match=said):
        getattr(scaffold, name)
    setattr(scaffold, name, "set")  # an app's own attribute of that name is its own
    assert getattr(scaffold, name) == "set"
