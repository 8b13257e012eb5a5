"""Templates: Jinja2 rendering from the app's and blueprints' template folders."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound, TemplatesNotFound
from markupsafe import Markup
from werkzeug.test import EnvironBuilder

import kolba
from kolba import (
    Blueprint,
    Flask,
    before_render_template,
    flash,
    g,
    get_template_attribute,
    render_template,
    render_template_string,
    request,
    session,
    stream_template,
    stream_template_string,
    template_rendered,
)
from kolba.templating import Environment

pytestmark = pytest.mark.usefixtures("driver")

# The seed's hello.html, as written (without the documentation's raw tags).
HELLO_HTML = """<!doctype html>
<title>Hello from Flask</title>
{% if name %}
  <h1>Hello {{ name }}!</h1>
{% else %}
  <h1>Hello, World!</h1>
{% endif %}
"""

MakeApp = t.Callable[..., Flask]


def write_files(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def make_app(tmp_path: Path) -> MakeApp:
    """An app rooted in ``tmp_path`` whose ``templates/`` holds the given files."""

    def make(templates: dict[str, str] | None = None, **kwargs: t.Any) -> Flask:
        write_files(tmp_path / "templates", templates or {})
        app = Flask("templating_app", root_path=str(tmp_path), **kwargs)
        app.config.update(TESTING=True, SECRET_KEY="test-secret")
        return app

    return make


def render(app: Flask, name: str, **context: t.Any) -> str:
    with app.test_request_context():
        return render_template(name, **context)


# --- the environment -------------------------------------------------------


def test_jinja_is_imported_only_when_a_template_is_used() -> None:
    code = """
import sys
from kolba import Flask
app = Flask(__name__)
app.get("/")(lambda: "plain")
assert app.test_client().get("/").data == b"plain"
assert "jinja2" not in sys.modules, "jinja2 imported by a plain app"
from kolba import render_template_string
with app.test_request_context():
    assert render_template_string("{{ 1 + 1 }}") == "2"
assert "jinja2.environment" in sys.modules
"""
    src = os.path.dirname(os.path.dirname(kolba.__file__))
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_environment_is_created_once_on_first_use(make_app: MakeApp) -> None:
    created = []

    class CountingApp(Flask):
        def create_jinja_environment(self) -> t.Any:
            created.append(self)
            return super().create_jinja_environment()

    app = CountingApp("counting", root_path=make_app().root_path)
    app.get("/")(lambda: "plain")
    app.test_client().get("/")
    assert created == []
    with app.test_request_context():
        render_template_string("a")
        render_template_string("b")
    assert created == [app]
    assert isinstance(app.jinja_env, Environment)
    assert app.jinja_env is app.jinja_env


def test_jinja_options_are_passed_to_the_environment(make_app: MakeApp) -> None:
    class TrimmingApp(Flask):
        jinja_options = {"trim_blocks": True, "extensions": ["jinja2.ext.loopcontrols"]}

    app = TrimmingApp("trimming", root_path=make_app().root_path)
    assert app.jinja_env.trim_blocks is True
    assert "jinja2.ext.LoopControlExtension" in app.jinja_env.extensions
    with app.test_request_context():
        source = (
            "{% for i in [1, 2, 3] %}{% if i == 2 %}{% break %}{% endif %}"
            "{{ i }}\n{% endfor %}"
        )
        assert render_template_string(source) == "1\n"


def test_create_jinja_environment_can_be_overridden(make_app: MakeApp) -> None:
    class LineStatementApp(Flask):
        def create_jinja_environment(self) -> t.Any:
            env = super().create_jinja_environment()
            env.globals["site_name"] = "kolba"
            return env

    app = LineStatementApp("custom", root_path=make_app().root_path)
    with app.test_request_context():
        assert render_template_string("{{ site_name }}") == "kolba"


def test_rendering_needs_an_app_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template_string("{{ 1 }}")
    with pytest.raises(RuntimeError, match="application context"):
        render_template("page.html")


# --- where templates are found -----------------------------------------------


@pytest.fixture
def importable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[Path]:
    """``tmp_path`` on ``sys.path``; the ``application`` module is forgotten after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("application", None)


SEED_VIEW = """
from kolba import Flask, render_template

app = Flask(__name__)

@app.route('/hello/')
@app.route('/hello/<name>')
def hello(name=None):
    return render_template('hello.html', name=name)
"""


def check_seed_hello(app: Flask) -> None:
    client = app.test_client()
    assert "<h1>Hello, World!</h1>" in client.get("/hello/").text
    assert "<h1>Hello Ada!</h1>" in client.get("/hello/Ada").text
    text = client.get("/hello/<script>").text
    assert "<h1>Hello &lt;script&gt;!</h1>" in text
    assert "<script>" not in text


def test_module_layout_finds_templates_next_to_the_module(importable: Path) -> None:
    write_files(
        importable, {"application.py": SEED_VIEW, "templates/hello.html": HELLO_HTML}
    )
    from application import app  # type: ignore[import-not-found]

    check_seed_hello(app)


def test_package_layout_finds_templates_inside_the_package(importable: Path) -> None:
    write_files(
        importable,
        {
            "application/__init__.py": SEED_VIEW,
            "application/templates/hello.html": HELLO_HTML,
        },
    )
    from application import app

    assert app.root_path == str(importable / "application")
    check_seed_hello(app)


def test_app_folder_comes_first_then_blueprints_in_registration_order(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({"page.html": "app"})
    write_files(
        tmp_path / "one" / "templates", {"page.html": "one", "shared.html": "one"}
    )
    write_files(
        tmp_path / "two" / "templates", {"shared.html": "two", "only.html": "two"}
    )
    for name in ("one", "two"):
        bp = Blueprint(
            name, __name__, template_folder="templates", root_path=str(tmp_path / name)
        )
        app.register_blueprint(bp)
    assert render(app, "page.html") == "app"
    assert render(app, "shared.html") == "one"
    assert render(app, "only.html") == "two"
    assert app.jinja_env.list_templates() == ["only.html", "page.html", "shared.html"]


def test_blueprint_without_template_folder_adds_no_loader(make_app: MakeApp) -> None:
    app = make_app({"page.html": "app"})
    app.register_blueprint(Blueprint("plain", __name__))
    assert render(app, "page.html") == "app"


def test_missing_template_names_the_folders_searched(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({})
    bp = Blueprint(
        "admin", __name__, template_folder="tpl", root_path=str(tmp_path / "admin")
    )
    app.register_blueprint(bp)
    with pytest.raises(TemplateNotFound) as info:
        render(app, "nope.html")
    message = str(info.value)
    assert "nope.html" in message
    assert str(tmp_path / "templates") in message
    assert str(tmp_path / "admin" / "tpl") in message
    assert info.value.name == "nope.html"


def test_missing_template_in_a_view_is_a_server_error(make_app: MakeApp) -> None:
    app = make_app({})
    app.config["TESTING"] = False
    app.get("/")(lambda: render_template("nope.html"))
    assert app.test_client().get("/").status_code == 500


def test_app_without_template_folder(tmp_path: Path) -> None:
    app = Flask("no_templates", root_path=str(tmp_path), template_folder=None)
    with app.test_request_context():
        assert render_template_string("{{ 6 * 7 }}") == "42"
        with pytest.raises(TemplateNotFound, match="no template folders"):
            render_template("page.html")


def test_a_list_renders_the_first_template_that_exists(make_app: MakeApp) -> None:
    app = make_app({"fallback.html": "fallback", "second.html": "second"})
    assert render(app, ["custom.html", "fallback.html", "second.html"]) == "fallback"  # type: ignore[arg-type]
    with pytest.raises(TemplatesNotFound):
        render(app, ["a.html", "b.html"])  # type: ignore[arg-type]


def test_a_template_object_is_rendered_as_is(make_app: MakeApp) -> None:
    app = make_app({})
    template = app.jinja_env.from_string("{{ x }}!")
    with app.test_request_context():
        assert render_template(template, x="hi") == "hi!"


# --- escaping ----------------------------------------------------------------


@pytest.mark.parametrize("extension", [".html", ".htm", ".xml", ".xhtml", ".svg"])
def test_markup_extensions_are_autoescaped(make_app: MakeApp, extension: str) -> None:
    app = make_app({f"page{extension}": "{{ value }}"})
    assert render(app, f"page{extension}", value="<b>&") == "&lt;b&gt;&amp;"


@pytest.mark.parametrize("name", ["page.txt", "page.css", "page.html.j2", "page"])
def test_other_extensions_are_not_autoescaped(make_app: MakeApp, name: str) -> None:
    app = make_app({name: "{{ value }}"})
    assert render(app, name, value="<b>&") == "<b>&"


def test_template_strings_are_autoescaped(make_app: MakeApp) -> None:
    with make_app().test_request_context():
        assert render_template_string("{{ value }}", value="<i>") == "&lt;i&gt;"


def test_markup_and_safe_are_not_escaped_again(make_app: MakeApp) -> None:
    app = make_app({"page.html": "{{ trusted }} {{ raw|safe }} {{ plain }}"})
    html = render(
        app, "page.html", trusted=Markup("<b>ok</b>"), raw="<i>ok</i>", plain="<u>"
    )
    assert html == "<b>ok</b> <i>ok</i> &lt;u&gt;"


def test_autoescape_can_be_turned_off_in_a_block(make_app: MakeApp) -> None:
    app = make_app(
        {"page.html": "{% autoescape false %}{{ v }}{% endautoescape %}{{ v }}"}
    )
    assert render(app, "page.html", v="<b>") == "<b>&lt;b&gt;"


def test_seed_markup_samples() -> None:
    assert kolba.Markup is Markup
    hacked = Markup("<strong>Hello %s!</strong>") % "<blink>hacker</blink>"
    assert hacked == Markup("<strong>Hello &lt;blink&gt;hacker&lt;/blink&gt;!</strong>")
    assert isinstance(hacked, Markup)
    assert Markup.escape("<blink>hacker</blink>") == Markup(
        "&lt;blink&gt;hacker&lt;/blink&gt;"
    )
    assert (
        Markup("<em>Marked up</em> &raquo; HTML").striptags() == "Marked up \xbb HTML"
    )


# --- inheritance and macros ----------------------------------------------------------


LAYOUT = """<title>{% block title %}Site{% endblock %}</title>
<nav>menu</nav>
<main>{% block content %}{% endblock %}</main>
<footer>{% block footer %}(c) kolba{% endblock %}</footer>"""

CHILD = """{% extends "layout.html" %}
{% block title %}{{ super() }} - About{% endblock %}
{% block content %}About {{ who }}{% endblock %}"""


def test_template_inheritance_keeps_the_layout(make_app: MakeApp) -> None:
    app = make_app({"layout.html": LAYOUT, "about.html": CHILD})
    html = render(app, "about.html", who="<us>")
    assert html == (
        "<title>Site - About</title>\n<nav>menu</nav>\n"
        "<main>About &lt;us&gt;</main>\n<footer>(c) kolba</footer>"
    )


def test_layout_in_a_blueprint_folder_can_be_extended(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({"about.html": CHILD})
    write_files(tmp_path / "theme" / "templates", {"layout.html": LAYOUT})
    theme = Blueprint(
        "theme",
        __name__,
        template_folder="templates",
        root_path=str(tmp_path / "theme"),
    )
    app.register_blueprint(theme)
    assert "<nav>menu</nav>" in render(app, "about.html", who="x")


def test_get_template_attribute_calls_a_macro(make_app: MakeApp) -> None:
    app = make_app(
        {
            "macros.html": "{% macro hello(name) %}Hello {{ name }}!{% endmacro %}"
            "{% set answer = 42 %}"
        }
    )
    with app.app_context():
        hello = get_template_attribute("macros.html", "hello")
        assert hello("<x>") == "Hello &lt;x&gt;!"
        assert get_template_attribute("macros.html", "answer") == 42


# --- the context ----------------------------------------------------------------


def test_context_has_config_request_session_g_url_for_and_flashes(
    make_app: MakeApp,
) -> None:
    app = make_app(
        {
            "context.html": (
                "{{ config.SITE }}|{{ request.path }}|{{ request.args.q }}|"
                "{{ session.user }}|{{ g.db }}|{{ url_for('page', n=2) }}|"
                "{{ get_flashed_messages()|join(',') }}"
            )
        }
    )
    app.config["SITE"] = "Lab"

    @app.get("/page/<int:n>")
    def page(n: int) -> str:
        session["user"] = "ada"
        g.db = "sqlite"
        flash("saved")
        return render_template("context.html")

    client = app.test_client()
    client.get("/page/1")  # flashes "saved" into the session cookie
    assert client.get("/page/1?q=x").text == "Lab|/page/1|x|ada|sqlite|/page/2|saved"


def test_context_outside_a_request_has_config_and_g(make_app: MakeApp) -> None:
    app = make_app({"page.html": "{{ config.SITE }} {{ g.name }}"})
    app.config["SITE"] = "Lab"
    with app.app_context():
        g.name = "worker"
        assert render_template("page.html") == "Lab worker"


def test_the_apps_processors_start_with_the_default_one(make_app: MakeApp) -> None:
    # as in Flask: extensions find theirs after it (Flask-Moment's tests)
    app = make_app({"page.html": "{{ request.path }} {{ g.name }} {{ n }}"})
    default = app.template_context_processors[None][0]

    @app.context_processor
    def inject() -> dict[str, int]:
        return {"n": 1}

    assert app.template_context_processors[None] == [default, inject]
    with app.test_request_context("/x"):
        g.name = "ada"
        values = default()
        assert values["request"] is request._get_current_object()
        assert values["g"] is g._get_current_object()
        assert render_template("page.html") == "/x ada 1"
    with app.app_context():
        assert list(default()) == ["g"]


def test_context_processors_add_names_and_view_values_win(make_app: MakeApp) -> None:
    app = make_app({"page.html": "{{ user }} {{ year }}"})

    @app.context_processor
    def inject() -> dict[str, t.Any]:
        return {"user": "guest", "year": 2024}

    app.get("/", endpoint="ada")(lambda: render_template("page.html", user="ada"))
    app.get("/guest", endpoint="guest")(lambda: render_template("page.html"))
    client = app.test_client()
    assert client.get("/").text == "ada 2024"
    assert client.get("/guest").text == "guest 2024"


def test_blueprint_context_processors_apply_to_its_views_only(
    make_app: MakeApp,
) -> None:
    app = make_app(
        {"page.html": "{{ section|default('none') }} {{ brand|default('none') }}"}
    )
    bp = Blueprint("shop", __name__)

    @bp.context_processor
    def section() -> dict[str, str]:
        return {"section": "shop"}

    @bp.app_context_processor
    def brand() -> dict[str, str]:
        return {"brand": "kolba"}

    bp.get("/item")(lambda: render_template("page.html"))
    app.get("/")(lambda: render_template("page.html"))
    app.register_blueprint(bp, url_prefix="/shop")
    client = app.test_client()
    assert client.get("/shop/item").text == "shop kolba"
    assert client.get("/").text == "none kolba"


# --- filters, tests and globals ---------------------------------------------------


def test_app_template_filter_test_and_global_decorators(make_app: MakeApp) -> None:
    app = make_app()

    @app.template_filter()
    def reverse(s: str) -> str:
        return s[::-1]

    @app.template_filter("shout")
    def upper(s: str) -> str:
        return s.upper()

    @app.template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @app.template_test("big")
    def is_big(n: int) -> bool:
        return n > 100

    @app.template_global()
    def answer() -> int:
        return 42

    @app.template_global("site")
    def site_name() -> str:
        return "lab"

    source = (
        "{{ 'abc'|reverse }} {{ 'hi'|shout }} {{ 4 is even }} {{ 500 is big }}"
        " {{ answer() }} {{ site() }}"
    )
    with app.test_request_context():
        assert render_template_string(source) == "cba HI True True 42 lab"


def test_add_template_forms(make_app: MakeApp) -> None:
    app = make_app()
    app.add_template_filter(lambda s: s * 2, "twice")
    app.add_template_test(lambda n: n == 0, "zero")
    app.add_template_global(lambda: "hi", "greet")
    with app.test_request_context():
        assert (
            render_template_string("{{ 'ab'|twice }} {{ 0 is zero }} {{ greet() }}")
            == "abab True hi"
        )


def test_filter_added_after_the_environment_exists(make_app: MakeApp) -> None:
    app = make_app()
    env = app.jinja_env
    app.add_template_filter(str.title, "title_case")
    assert env.filters["title_case"] is str.title


def test_blueprint_app_template_functions(make_app: MakeApp) -> None:
    app = make_app()
    bp = Blueprint("helpers", __name__)

    @bp.app_template_filter()
    def backwards(s: str) -> str:
        return s[::-1]

    @bp.app_template_filter("shout")
    def upper(s: str) -> str:
        return s.upper()

    @bp.app_template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @bp.app_template_global("site")
    def site_name() -> str:
        return "lab"

    bp.add_app_template_filter(lambda s: s * 2, "twice")
    bp.add_app_template_test(lambda n: n == 0, "zero")
    bp.add_app_template_global(lambda: 42, "answer")

    with app.test_request_context():
        with pytest.raises(Exception, match="backwards"):
            render_template_string("{{ 'ab'|backwards }}")
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again")  # registered once only
    source = (
        "{{ 'ab'|backwards }} {{ 'a'|shout }} {{ 2 is even }} {{ site() }}"
        " {{ 'x'|twice }} {{ 0 is zero }} {{ answer() }}"
    )
    with app.test_request_context():
        assert render_template_string(source) == "ba A True lab xx True 42"
    assert app.jinja_env.filters["backwards"] is backwards


# --- streaming --------------------------------------------------------------------


def test_stream_template_yields_pieces_in_the_request_context(
    make_app: MakeApp,
) -> None:
    app = make_app(
        {
            "rows.html": "{% for row in rows %}"
            "<p>{{ row }} {{ request.path }}</p>{% endfor %}"
        }
    )
    produced = []

    def rows() -> t.Iterator[str]:
        for row in ("a", "<b>"):
            produced.append(row)
            yield row

    app.get("/rows")(lambda: stream_template("rows.html", rows=rows()))
    body = app(EnvironBuilder("/rows").get_environ(), lambda status, headers: None)
    assert produced == []  # nothing is rendered before the server reads the body
    assert b"".join(body) == b"<p>a /rows</p><p>&lt;b&gt; /rows</p>"
    assert produced == ["a", "<b>"]


def test_streamed_view_keeps_g_and_tears_down_once_at_the_end(
    make_app: MakeApp,
) -> None:
    app = make_app()
    events = []

    @app.get("/")
    def view() -> t.Any:
        g.user = "ada"
        return stream_template_string(
            "{{ g.user }}{{ mark() }}", mark=lambda: events.append("render") or ""
        )

    app.teardown_request(lambda exc: events.append("teardown"))
    assert app.test_client().get("/").text == "ada"
    assert events == ["render", "teardown"]


def test_stream_template_string(make_app: MakeApp) -> None:
    app = make_app()
    app.get("/")(lambda: stream_template_string("{{ a }}-{{ request.args.b }}", a="<"))
    assert app.test_client().get("/?b=2").text == "&lt;-2"


def test_stream_template_outside_a_request(make_app: MakeApp) -> None:
    app = make_app({"page.txt": "{{ x }}{{ config.SITE }}"})
    app.config["SITE"] = "!"
    with app.app_context():
        assert "".join(stream_template("page.txt", x="<")) == "<!"


# --- reloading and explaining ------------------------------------------------------


def edit(path: Path, text: str) -> None:
    """Rewrite a file and move its mtime, as a later edit would."""
    stat = path.stat()
    path.write_text(text)
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))


def test_debug_mode_rereads_an_edited_template(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({"page.html": "old"})
    app.debug = True
    assert render(app, "page.html") == "old"
    edit(tmp_path / "templates" / "page.html", "new")
    assert render(app, "page.html") == "new"


def test_without_debug_templates_are_cached(make_app: MakeApp, tmp_path: Path) -> None:
    app = make_app({"page.html": "old"})
    assert app.jinja_env.auto_reload is False
    assert render(app, "page.html") == "old"
    edit(tmp_path / "templates" / "page.html", "new")
    assert render(app, "page.html") == "old"


def test_templates_auto_reload_setting_wins_over_debug(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({"page.html": "old"})
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    assert render(app, "page.html") == "old"
    edit(tmp_path / "templates" / "page.html", "new")
    assert render(app, "page.html") == "new"

    app = make_app()
    app.config["TEMPLATES_AUTO_RELOAD"] = False
    app.debug = True
    assert app.jinja_env.auto_reload is False


def test_turning_debug_on_later_turns_reloading_on(make_app: MakeApp) -> None:
    app = make_app()
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.jinja_env.auto_reload is True


def test_explain_template_loading_logs_every_attempt(
    make_app: MakeApp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app({"page.html": "app"})
    bp = Blueprint(
        "admin",
        __name__,
        template_folder="templates",
        root_path=str(tmp_path / "admin"),
    )
    app.register_blueprint(bp)
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    caplog.set_level(logging.INFO, logger=app.logger.name)
    assert render(app, "page.html") == "app"
    found = caplog.text
    assert "'page.html'" in found
    assert "found" in found and str(tmp_path / "templates") in found
    assert "no match" in found and str(tmp_path / "admin" / "templates") in found
    caplog.clear()
    with pytest.raises(TemplateNotFound):
        render(app, "missing.html")
    assert "'missing.html'" in caplog.text
    assert "not found" in caplog.text


def test_no_explanation_by_default(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app({"page.html": "app"})
    caplog.set_level(logging.DEBUG, logger=app.logger.name)
    render(app, "page.html")
    assert caplog.records == []


# --- signals --------------------------------------------------------------------------


def test_render_signals_carry_the_template_and_context(make_app: MakeApp) -> None:
    app = make_app({"page.html": "{{ x }}"})
    events: list[tuple[str, t.Any, t.Any, dict[str, t.Any]]] = []

    def before(sender: Flask, template: t.Any, context: dict[str, t.Any]) -> None:
        events.append(("before", sender, template.name, dict(context)))
        context["x"] = "changed"

    def after(sender: Flask, template: t.Any, context: dict[str, t.Any]) -> None:
        events.append(("after", sender, template.name, dict(context)))

    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
    ):
        assert render(app, "page.html", x="given") == "changed"
    assert [(e[0], e[1], e[2], e[3]["x"]) for e in events] == [
        ("before", app, "page.html", "given"),
        ("after", app, "page.html", "changed"),
    ]
    # As in Flask: the session stays the global proxy, not loaded to render.
    assert {"request", "g"} <= events[0][3].keys()
    assert "session" not in events[0][3]


def test_stream_sends_rendered_after_the_last_piece(make_app: MakeApp) -> None:
    app = make_app({"page.txt": "{{ x }}"})
    sent = []
    with template_rendered.connected_to(
        lambda sender, **kw: sent.append(kw["template"].name), app
    ):
        with app.test_request_context():
            pieces = stream_template("page.txt", x=1)
            assert sent == []
            assert "".join(pieces) == "1"
    assert sent == ["page.txt"]


# --- what the render caches must not hide ------------------------------------------


def test_globals_added_or_removed_later_are_seen_by_loaded_templates(
    make_app: MakeApp,
) -> None:
    app = make_app({"page.html": "{{ site|default('none') }} {{ answer() }}"})
    app.add_template_global(lambda: 1, "answer")
    client = app.test_client()
    app.get("/")(lambda: render_template("page.html"))
    assert client.get("/").text == "none 1"  # loaded, globals flattened
    app.jinja_env.globals["site"] = "lab"
    assert client.get("/").text == "lab 1"
    app.jinja_env.globals.update(site="shop")
    assert client.get("/").text == "shop 1"
    app.jinja_env.globals.pop("site")
    assert client.get("/").text == "none 1"
    app.jinja_env.globals.setdefault("site", "again")
    assert client.get("/").text == "again 1"
    app.jinja_env.globals |= {"answer": lambda: 2}
    assert client.get("/").text == "again 2"
    del app.jinja_env.globals["site"]
    assert client.get("/").text == "none 2"


def test_filters_and_globals_added_later_reach_a_loaded_template(
    make_app: MakeApp,
) -> None:
    app = make_app(
        {"page.html": "{% if later %}{{ 'a'|twice }} {{ greet() }}{% endif %}."}
    )
    assert render(app, "page.html") == "."
    app.add_template_filter(lambda s: s * 2, "twice")
    app.add_template_global(lambda: "hi", "greet")
    assert render(app, "page.html", later=True) == "aa hi."
    with app.test_request_context():
        assert "".join(stream_template("page.html", later=True)) == "aa hi."


def test_a_templates_own_globals_are_seen_and_win(make_app: MakeApp) -> None:
    app = make_app({"page.html": "{{ site|default('none') }}"})
    app.jinja_env.globals["site"] = "env"
    with app.test_request_context():
        assert render_template("page.html") == "env"
        template = app.jinja_env.get_template("page.html", globals={"site": "own"})
        assert render_template("page.html") == "own"
        template.globals["site"] = "changed"
        assert render_template("page.html") == "changed"
        del template.globals["site"]
        assert render_template("page.html") == "env"
        template.globals["site"] = "own"
        assert render_template("page.html") == "own"
        template.globals.popitem()
        assert render_template("page.html") == "env"
        template.globals["site"] = "own"
        assert render_template("page.html") == "own"
        template.globals.clear()
        assert render_template("page.html") == "env"
        # Jinja's rules hold for globals the cache cannot watch: a template
        # given a caller's dict, or whose globals are replaced, sees them live.
        mine = {"site": "mine"}
        from_string = app.jinja_env.from_string("{{ site }}", globals=mine)
        assert from_string.render() == "mine"
        mine["site"] = "edited"
        assert from_string.render() == "edited"
        template.globals = {"site": "replaced"}
        assert render_template("page.html") == "replaced"


def test_view_values_win_over_processors_which_win_over_globals(
    make_app: MakeApp,
) -> None:
    app = make_app({"page.html": "{{ a }} {{ b }} {{ c }}"})
    app.jinja_env.globals.update(a="global", b="global", c="global")
    app.get("/")(lambda: render_template("page.html", a="view"))
    client = app.test_client()
    assert client.get("/").text == "view global global"

    # added in place while the app serves, as extensions do
    app.template_context_processors[None].append(lambda: {"a": "cp", "b": "cp"})
    assert client.get("/").text == "view cp global"


def test_a_blueprint_processor_added_while_serving_stays_in_its_blueprint(
    make_app: MakeApp,
) -> None:
    app = make_app({"page.html": "{{ section|default('none') }}"})
    bp = Blueprint("shop", __name__)
    bp.get("/item")(lambda: render_template("page.html"))
    app.get("/")(lambda: render_template("page.html"))
    app.register_blueprint(bp, url_prefix="/shop")
    client = app.test_client()
    assert [client.get(p).text for p in ("/", "/shop/item")] == ["none", "none"]
    app.template_context_processors["shop"].append(lambda: {"section": "shop"})
    assert [client.get(p).text for p in ("/", "/shop/item")] == ["none", "shop"]


def test_request_session_and_g_are_the_current_ones_on_each_render(
    make_app: MakeApp,
) -> None:
    app = make_app(
        {"page.html": "{{ request.path }} {{ g.n }} {{ session.get('n') }} {{ n }}"}
    )

    @app.get("/<int:n>")
    def page(n: int) -> str:
        g.n = n
        session["n"] = n
        return render_template("page.html", n=n)

    client = app.test_client()
    assert [client.get(f"/{n}").text for n in (1, 2, 3)] == [
        "/1 1 1 1",
        "/2 2 2 2",
        "/3 3 3 3",
    ]
    # and outside a request, what exists: config and g
    with app.app_context():
        g.n = 7
        assert render_template_string("{{ g.n }} {{ config.TESTING }}") == "7 True"


def test_signal_receivers_connected_later_are_sent_to(make_app: MakeApp) -> None:
    app = make_app({"page.html": "{{ x }}"})
    sent: list[str] = []
    app.get("/")(lambda: render_template("page.html", x=1))
    client = app.test_client()
    assert client.get("/").text == "1"

    def before(sender: Flask, template: t.Any, context: dict[str, t.Any]) -> None:
        sent.append("before")
        context["x"] = 2

    def after(sender: Flask, **extra: t.Any) -> None:
        sent.append("after")

    with (
        before_render_template.connected_to(before, app),
        template_rendered.connected_to(after, app),
    ):
        assert client.get("/").text == "2"
    assert sent == ["before", "after"]
    assert client.get("/").text == "1"
    assert sent == ["before", "after"]


def test_a_reloaded_template_sees_the_globals_of_now(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app({"page.html": "old {{ site }}"})
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    app.jinja_env.globals["site"] = "lab"
    assert render(app, "page.html") == "old lab"
    edit(tmp_path / "templates" / "page.html", "new {{ site }}")
    app.jinja_env.globals["site"] = "shop"
    assert render(app, "page.html") == "new shop"


def test_autoescape_choice_of_a_subclass_or_the_app_itself(
    make_app: MakeApp,
) -> None:
    class TextApp(Flask):
        def select_jinja_autoescape(self, filename: str | None) -> bool:
            return filename is not None and filename.endswith(".txt")

    root = make_app({"page.txt": "{{ x }}", "page.html": "{{ x }}"}).root_path
    app = TextApp("text_app", root_path=root)
    assert render(app, "page.txt", x="<b>") == "&lt;b&gt;"
    assert render(app, "page.html", x="<b>") == "<b>"
    app = Flask("own_choice", root_path=root)
    app.select_jinja_autoescape = lambda filename: False  # type: ignore[method-assign]
    assert render(app, "page.html", x="<b>") == "<b>"
    assert Flask.select_jinja_autoescape(app, "page.svg") is True


def test_template_functions_become_module_attributes_on_first_use() -> None:
    code = """
import sys
import kolba
assert "jinja2" not in sys.modules and "render_template" not in vars(kolba)
kolba.stream_template
import kolba.templating as templating
for name in ("render_template", "render_template_string", "stream_template",
             "stream_template_string"):
    assert vars(kolba)[name] is getattr(templating, name), name
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_loader_and_the_environment_can_be_replaced_as_in_flask(
    make_app: MakeApp,
) -> None:
    from jinja2 import ChoiceLoader, DictLoader

    app = make_app({"page.html": "page {{ 1 + 1 }}"})
    bp = kolba.Blueprint("bp", __name__)
    assert render(app, "page.html") == "page 2"  # the environment made, used
    # the usual way to add templates: a loader over the app's own
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, DictLoader({"extra.html": "extra {{ 2 * 3 }}"})]
    )
    assert render(app, "extra.html") == "extra 6"
    assert render(app, "page.html") == "page 2"
    assert "extra.html" in app.jinja_env.list_templates()
    bp.jinja_loader = DictLoader({"bp.html": "from the blueprint"})
    app.register_blueprint(bp)
    assert render(app, "bp.html") == "from the blueprint"
    # an environment set, or dropped to be made again from new options
    env = app.jinja_env
    app.jinja_env = app.create_jinja_environment()
    assert app.jinja_env is not env
    app.jinja_options = {"line_statement_prefix": "%"}
    del app.jinja_env
    assert app.jinja_env.line_statement_prefix == "%"
    # the environment's class, set on the app
    app.jinja_environment = type("MyEnvironment", (Environment,), {})
    del app.jinja_env
    assert type(app.jinja_env).__name__ == "MyEnvironment"
