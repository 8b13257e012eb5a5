"""The compat line: ``import flask`` served by kolba's own module objects.

Each test runs in a fresh interpreter, since this one may have imported the
real Flask (the parity tests compare against it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Makes Flask look not installed: importing it fails, find_spec finds nothing.
NO_FLASK = "import sys; sys.modules['flask'] = None\nif 1:"


def python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_flask_and_its_submodules_are_kolbas_modules() -> None:
    result = python(
        """
        import sys
        import kolba.compat.flask
        import flask, flask.json.provider, flask.globals, flask.signals, flask.views
        from flask import Flask, request
        from flask.json.tag import TaggedJSONSerializer
        import kolba, kolba.json.provider, kolba.globals, kolba.signals
        assert flask is kolba and flask.globals is kolba.globals
        assert flask.json.provider is kolba.json.provider
        assert flask.signals.request_started is kolba.signals.request_started
        assert request is kolba.request and Flask is kolba.Flask
        assert TaggedJSONSerializer is kolba.json.tag.TaggedJSONSerializer
        aliases = {n: m for n, m in sys.modules.items() if n.split(".")[0] == "flask"}
        assert all(sys.modules["kolba" + n[5:]] is m for n, m in aliases.items())
        assert kolba.__spec__.name == "kolba" and kolba.__name__ == "kolba"
        try:
            import flask.no_such_module
        except ModuleNotFoundError as e:
            assert e.name == "flask.no_such_module", e.name
        else:
            raise AssertionError("imported a module kolba does not have")
        print("ok")
        """
    )
    assert result.stdout == "ok\n", result.stderr


def test_install_is_a_function_too_and_can_run_twice() -> None:
    result = python(
        NO_FLASK
        + """
        from kolba.compat import install_flask, flask_compat_active
        install_flask(); install_flask()
        import sys, flask, kolba
        assert flask is kolba and flask_compat_active()
        print(sum(type(f).__name__ == "FlaskAliasFinder" for f in sys.meta_path))
        """
    )
    assert result.stdout == "1\n", result.stderr


def test_refuses_when_the_real_flask_is_already_imported() -> None:
    result = python(
        """
        import flask
        try:
            import kolba.compat.flask
        except ImportError as e:
            print(e)
        """
    )
    assert "Flask is already imported" in result.stdout, result.stderr
    assert "before anything imports flask" in result.stdout


def test_no_flask_package_is_installed_beside_kolba() -> None:
    # kolba's distribution ships only kolba: installed, it sits in
    # site-packages next to the real Flask that the test extras install.
    from importlib.metadata import distribution

    kolba = distribution("kolba")
    assert kolba.read_text("top_level.txt") == "kolba\n"
    files = kolba.files or []
    assert files
    assert not [f for f in files if f.parts[0] == "flask" or f.name.startswith("flask")]


def test_flask_metadata_is_served_while_flask_is_kolba(tmp_path: Path) -> None:
    # Extensions read Flask's version (flask-restx on import): a site with
    # kolba and its dependencies, and no Flask at all.
    import importlib.util

    import kolba

    for name in ("werkzeug", "jinja2", "markupsafe", "itsdangerous", "click"):
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations
        (tmp_path / name).symlink_to(spec.submodule_search_locations[0])
    (tmp_path / "blinker").symlink_to(Path(__import__("blinker").__file__).parent)
    (tmp_path / "kolba").symlink_to(Path(kolba.__file__).parent)
    code = """
        import importlib.metadata as metadata
        try:
            metadata.version("flask")
        except metadata.PackageNotFoundError:
            print("no Flask")
        import kolba.compat.flask
        from kolba.compat import FLASK_VERSION
        assert metadata.version("flask") == metadata.version("Flask") == FLASK_VERSION
        flask = metadata.distribution("flask")
        assert flask.metadata["Name"] == "Flask" and not flask.entry_points
        assert metadata.packages_distributions()["flask"] == ["Flask"]
        print(FLASK_VERSION)
    """
    result = subprocess.run(
        [sys.executable, "-S", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path)},
        timeout=60,
    )
    assert result.stdout == "no Flask\n3.1.3\n", result.stderr


def test_installed_flask_metadata_gives_way_to_kolbas() -> None:
    # Flask installed, but `import flask` gives kolba: the version reported
    # is the one kolba follows, not that of the code that does not run.
    result = python(
        """
        import importlib.metadata as metadata
        real = metadata.distribution("flask")
        import kolba.compat.flask
        served = metadata.distribution("flask")
        print(real.files is not None, served.files, served.version)
        """
    )
    assert result.stdout == "True None 3.1.3\n", result.stderr


def test_flask_version_attribute_is_the_flask_release_kolba_follows() -> None:
    # Older extensions compare flask.__version__ (Flask 3.1 still serves it,
    # with a deprecation warning); kolba's own is its version until then.
    result = python(
        """
        import importlib.metadata, warnings
        warnings.simplefilter("error")
        import kolba
        assert kolba.__version__ == importlib.metadata.version("kolba")
        import kolba.compat.flask
        import flask
        try:
            flask.__version__
        except DeprecationWarning as e:
            print("warned:", "importlib.metadata.version('flask')" in str(e))
        warnings.simplefilter("ignore")
        print(flask.__version__)
        """
    )
    assert result.stdout == "warned: True\n3.1.3\n", result.stderr


SAMPLE = """\
from flask import Flask, request

app = Flask(__name__)

@app.route("/")
def hello_world():
    return f"<p>Hello, {request.args.get('name', 'World')}!</p>"

@app.cli.command("check")
def check():
    import kolba
    print(app.test_client().get("/?name=kolba").text, type(app) is kolba.Flask)
"""


def kolba(
    *args: str, cwd: Path, prelude: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``kolba`` command, in a fresh interpreter after ``prelude``."""
    code = prelude + "from kolba.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={**__import__("os").environ, **(env or {})},
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    (tmp_path / "hello.py").write_text(SAMPLE)
    return tmp_path


def test_kolba_runs_a_flask_app_when_flask_is_not_installed(sample: Path) -> None:
    result = kolba("--app", "hello", "check", cwd=sample, prelude=NO_FLASK)
    assert result.stdout == "<p>Hello, kolba!</p> True\n", result.stderr


def test_flask_compat_option_forces_it_when_flask_is_installed(sample: Path) -> None:
    result = kolba("--flask-compat", "--app", "hello", "check", cwd=sample)
    assert result.stdout == "<p>Hello, kolba!</p> True\n", result.stderr
    env = {"KOLBA_FLASK_COMPAT": "1"}
    result = kolba("--app", "hello", "check", cwd=sample, env=env)
    assert result.stdout == "<p>Hello, kolba!</p> True\n", result.stderr


def test_version_names_the_flask_release_served_while_compat_is_on(
    tmp_path: Path,
) -> None:
    compat_on = "import kolba.compat.flask\n"
    on = kolba("--version", cwd=tmp_path, prelude=compat_on).stdout.splitlines()
    assert on[1].startswith("kolba ") and on[3].startswith("Werkzeug ")
    assert on[2] == "Flask 3.1.3 (served by kolba)"
    assert "Flask" not in kolba("--version", cwd=tmp_path).stdout


def test_without_compat_the_real_flask_app_is_named(sample: Path) -> None:
    result = kolba("--app", "hello", "check", cwd=sample)
    assert "Its app is the real Flask's: run it with 'kolba --flask-compat'" in (
        result.stderr
    )


KOLBA_APP_WITH_A_FLASK_EXTENSION = """
from kolba import Flask
from flask_cors import CORS  # imports the real Flask, compat off

app = Flask(__name__)
CORS(app)
app.add_url_rule("/", "index", lambda: "hi")
"""

HINT = "run 'import kolba.compat.flask' first thing in your entry point"


def test_a_kolba_app_next_to_the_real_flask_says_how_to_join_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "cors_app.py").write_text(KOLBA_APP_WITH_A_FLASK_EXTENSION)
    code = """
        import kolba, cors_app
        other = kolba.Flask("other")
        other.add_url_rule("/", "index", lambda: "hi")
        for app in (cors_app.app, cors_app.app, other):
            try:
                app.test_client().get("/", headers={"Origin": "http://x.test"})
            except RuntimeError as e:  # flask_cors: Flask's request proxy
                print("failed:", str(e).splitlines()[0])
    """
    result = python(code, cwd=tmp_path)
    assert result.stdout.count("failed: Working outside of request context.") == 2
    assert result.stderr.count(HINT) == 1  # logged once, at the first request
    assert "The real Flask is imported (from " in result.stderr
    # with the compat line first, the same app serves
    result = python("import kolba.compat.flask\n" + code, cwd=tmp_path)
    assert "failed" not in result.stdout
    assert HINT not in result.stderr
    # nor is kolba made flask by hand the real Flask
    by_hand = "import sys, kolba; sys.modules['flask'] = kolba\n"
    result = python(by_hand + code, cwd=tmp_path)
    assert "failed" not in result.stdout
    assert "The real Flask" not in result.stderr


def test_an_app_that_fails_next_to_the_real_flask_says_how_to_join_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "db_app.py").write_text(
        "from kolba import Flask\n"
        "import flask\n"
        "app = Flask(__name__)\n"
        "with app.app_context():\n"
        "    flask.current_app.name  # as Flask-SQLAlchemy's create_all() reads it\n"
    )
    result = kolba("--app", "db_app", "routes", cwd=tmp_path)
    assert result.returncode == 1
    assert "Working outside of application context." in result.stderr
    assert HINT in result.stderr
    assert "kolba --flask-compat run" in result.stderr
    result = kolba("--flask-compat", "--app", "db_app", "routes", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_flask_missing_and_compat_off_says_how_to_run_it(sample: Path) -> None:
    result = kolba(
        "--no-flask-compat", "--app", "hello", "check", cwd=sample, prelude=NO_FLASK
    )
    assert result.returncode == 2
    assert "'hello' imports flask, which is not installed" in result.stderr
    assert "kolba --flask-compat" in result.stderr
    assert "import kolba.compat.flask" in result.stderr


def test_kolba_run_serves_a_flask_sample_over_http(sample: Path) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = NO_FLASK + "from kolba.cli import main; main()"
    server = subprocess.Popen(
        [sys.executable, "-c", code, "--app", "hello", "run", "--port", str(port)],
        cwd=sample,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                url = f"http://127.0.0.1:{port}/?name=seed"
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = response.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        assert body == "<p>Hello, seed!</p>"
    finally:
        server.terminate()
        server.communicate(timeout=10)  # waits, and closes its output pipe


PLUGIN_ENTRY_POINTS = """\
[kolba.commands]
demo = demo_plugins:demo

[flask.commands]
flaskdemo = demo_plugins_flask:flaskdemo
demo = demo_plugins_flask:flaskdemo
"""


@pytest.fixture
def plugins(tmp_path: Path) -> dict[str, str]:
    """A real installed distribution, on ``sys.path`` through PYTHONPATH, that
    declares a ``kolba.commands`` plugin and a Flask extension's
    ``flask.commands`` plugins (one with the same name as kolba's); the
    environment that puts it there."""
    dist = tmp_path / "site" / "demo_plugins-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo-plugins\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(PLUGIN_ENTRY_POINTS)
    (dist.parent / "demo_plugins.py").write_text(
        "import sys, click\n\n"
        "@click.command()\n"
        "def demo():\n"
        "    flask = sys.modules.get('flask')\n"
        "    print('kolba plugin; flask imported:', flask is not None)\n"
    )
    (dist.parent / "demo_plugins_flask.py").write_text(
        "import click, flask\n\n"
        "@click.command()\n"
        "def flaskdemo():\n"
        "    import kolba\n"
        "    print('flask plugin; flask is kolba:', flask is kolba)\n"
    )
    return {"PYTHONPATH": str(dist.parent)}


@pytest.mark.parametrize(
    ("options", "prelude", "env"),
    [
        ([], "", {}),  # Flask installed: compat is off by default
        (["--no-flask-compat"], NO_FLASK, {}),
        ([], NO_FLASK, {"KOLBA_FLASK_COMPAT": "0"}),
    ],
)
def test_flask_plugins_are_not_loaded_when_compat_is_off(
    plugins: dict[str, str],
    tmp_path: Path,
    options: list[str],
    prelude: str,
    env: dict[str, str],
) -> None:
    env = {**plugins, **env}
    result = kolba(*options, "demo", cwd=tmp_path, prelude=prelude, env=env)
    assert result.stdout == "kolba plugin; flask imported: False\n", result.stderr
    result = kolba(*options, "flaskdemo", cwd=tmp_path, prelude=prelude, env=env)
    assert result.returncode == 2
    assert "No such command 'flaskdemo'" in result.stderr


@pytest.mark.parametrize(
    ("options", "prelude", "env"),
    [
        (["--flask-compat"], "", {}),
        ([], "", {"KOLBA_FLASK_COMPAT": "1"}),
        ([], "import kolba.compat.flask\n", {}),  # the compat line, Flask installed
        ([], NO_FLASK, {}),  # Flask not installed: compat is on by default
    ],
)
def test_flask_plugins_run_on_kolba_when_compat_is_on(
    plugins: dict[str, str],
    tmp_path: Path,
    options: list[str],
    prelude: str,
    env: dict[str, str],
) -> None:
    env = {**plugins, **env}
    result = kolba(*options, "flaskdemo", cwd=tmp_path, prelude=prelude, env=env)
    assert result.stdout == "flask plugin; flask is kolba: True\n", result.stderr
    result = kolba(*options, "demo", cwd=tmp_path, prelude=prelude, env=env)
    assert result.stdout.startswith("kolba plugin;"), result.stderr  # kolba's wins


QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart"


def test_the_quickstart_samples_spelled_with_flask_run_on_kolba(tmp_path: Path) -> None:
    # The seed's samples say ``from flask import ...``; ours say kolba. Each
    # sample, spelled as the seed spells it, must serve what ours serves.
    import shutil

    shutil.copytree(QUICKSTART, tmp_path, dirs_exist_ok=True)
    names = sorted(p.stem for p in QUICKSTART.glob("*.py"))
    for name in names:
        source = (QUICKSTART / f"{name}.py").read_text()
        spelled = source.replace("from kolba", "from flask").replace(
            "import kolba", "import flask"
        )
        imports = [line for line in spelled.splitlines() if "import " in line]
        assert not any("kolba" in line for line in imports), name
        (tmp_path / f"seed_{name}.py").write_text(spelled)
    result = python(
        NO_FLASK
        + f"""
        import importlib, os, sys
        sys.path.insert(0, os.getcwd())
        import kolba.compat.flask
        served = 0
        for name in {names!r}:
            ours, seeds = (importlib.import_module(p + name) for p in ("", "seed_"))
            if not hasattr(ours, "app"):
                continue
            def rules_of(app):
                return [(r.rule, r.endpoint, sorted(r.methods))
                        for r in app.url_map.iter_rules()]
            rules = rules_of(ours.app)
            assert rules == rules_of(seeds.app), name
            for rule, _, methods in rules:
                if "<" in rule or "GET" not in methods:
                    continue
                a = ours.app.test_client().get(rule)
                b = seeds.app.test_client().get(rule)
                assert (a.status, a.data) == (b.status, b.data), (name, rule)
                served += 1
        print(served)
        """,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 20  # (url_building.py prints too)


def test_an_app_failing_to_load_next_to_the_real_flask_is_told_how_to_join_them(
    tmp_path: Path,
) -> None:
    """An extension that tests for Flask's Blueprint (Flask-WTF's
    csrf.exempt) fails as a kolba app loads: the error says what to do, not
    only 'Working outside of ... context' errors."""
    (tmp_path / "app.py").write_text(
        "import flask\n"
        "from kolba import Blueprint, Flask\n"
        "app = Flask(__name__)\n"
        "bp = Blueprint('b', __name__)\n"
        "if not isinstance(bp, flask.Blueprint):  # as an extension would\n"
        "    raise AttributeError(\"'Blueprint' object has no attribute '__name__'\")\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "kolba", "--no-flask-compat", "--app", "app", "routes"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "AttributeError" in result.stderr
    assert HINT in result.stderr
