"""The ``kolba`` command where a Flask project meets it as ``flask`` behaves
(rev-cli): each case runs the real command in a fresh interpreter, in a temporary
folder, with Flask installed (this venv) and as if it were not (``NO_FLASK``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Makes Flask look not installed: importing it fails, find_spec finds nothing.
NO_FLASK = "import sys; sys.modules['flask'] = None\n"
FLASK_STATES = pytest.mark.parametrize(
    "prelude", ["", NO_FLASK], ids=["flask-installed", "no-flask"]
)


def kolba(
    *args: str, cwd: Path, prelude: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m kolba ARGS`` (after ``prelude``), without the caller's
    KOLBA_/FLASK_ variables."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("KOLBA_", "FLASK_"))
    }
    command = ["-c", prelude + "from kolba.cli import main; main()"]
    return subprocess.run(
        [sys.executable, *(command if prelude else ["-m", "kolba"]), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={**clean, **(env or {})},
    )


def write(folder: Path, name: str, source: str) -> None:
    (folder / name).write_text(textwrap.dedent(source))


# -- FLASK_<COMMAND>_<OPTION> ---------------------------------------------------

AUTOENV = """\
    import click
    from kolba import Flask

    app = Flask(__name__, static_folder=None)
    app.add_url_rule("/b", "a", lambda: "")
    app.add_url_rule("/a", "b", lambda: "")

    @app.cli.command("greet")
    @click.option("--name", default="nobody")
    def greet(name):
        click.echo(f"hello {name}")

    @app.cli.group("ops")
    def ops():
        pass

    @ops.command("tag-all")
    @click.option("--tag", multiple=True)
    @click.option("--level", type=int, default=0)
    def tag_all(tag, level):
        click.echo(f"{level} {tag}")
"""


@FLASK_STATES
@pytest.mark.parametrize(
    ("env", "args", "output"),
    [
        ({"FLASK_GREET_NAME": "ann"}, ["greet"], "hello ann\n"),
        ({"KOLBA_GREET_NAME": "bob"}, ["greet"], "hello bob\n"),
        (
            {"KOLBA_GREET_NAME": "bob", "FLASK_GREET_NAME": "ann"},
            ["greet"],
            "hello bob\n",
        ),
        ({"FLASK_GREET_NAME": "ann"}, ["greet", "--name", "cy"], "hello cy\n"),
        (
            {"FLASK_OPS_TAG_ALL_TAG": "x y", "FLASK_OPS_TAG_ALL_LEVEL": "3"},
            ["ops", "tag-all"],
            "3 ('x', 'y')\n",
        ),
    ],
)
def test_command_options_read_flasks_variables_after_kolbas(
    tmp_path: Path, prelude: str, env: dict[str, str], args: list[str], output: str
) -> None:
    write(tmp_path, "autoenv.py", AUTOENV)
    result = kolba("--app", "autoenv", *args, cwd=tmp_path, prelude=prelude, env=env)
    assert result.stdout == output, result.stderr


@FLASK_STATES
def test_routes_sort_from_flasks_variable(tmp_path: Path, prelude: str) -> None:
    write(tmp_path, "autoenv.py", AUTOENV)
    env = {"FLASK_ROUTES_SORT": "rule"}
    result = kolba("--app", "autoenv", "routes", cwd=tmp_path, prelude=prelude, env=env)
    assert [line.split()[0] for line in result.stdout.splitlines()[2:]] == ["b", "a"]


def test_flasks_variables_are_the_kolba_commands_only(tmp_path: Path) -> None:
    # app.test_cli_runner() reads no automatic variable, in Flask as here, even
    # after the kolba command ran the same command in the process
    write(tmp_path, "autoenv.py", AUTOENV)
    code = """
        import os
        from click.testing import CliRunner
        from kolba.cli import cli
        import autoenv
        os.environ["FLASK_GREET_NAME"] = "ann"
        print(CliRunner().invoke(cli, ["--app", "autoenv", "greet"]).output, end="")
        print(autoenv.app.test_cli_runner().invoke(args=["greet"]).output, end="")
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.stdout == "hello ann\nhello nobody\n", result.stderr


# -- an app's own 'sessions' ------------------------------------------------------

SESSIONS_BLUEPRINT = """\
    import click
    from kolba import Blueprint, Flask

    app = Flask(__name__)
    app.config["SESSION_STORE"] = "sqlite"
    bp = Blueprint("sessions", __name__)

    @bp.cli.command("purge")
    def purge():
        click.echo("purged user sessions")

    app.register_blueprint(bp)
"""

SESSIONS_COMMAND = """\
    import click
    from kolba import Flask

    app = Flask(__name__)

    @app.cli.command("sessions")
    def sessions():
        click.echo("the app's sessions")
"""


@FLASK_STATES
def test_an_apps_own_sessions_blueprint_wins_kolbas(
    tmp_path: Path, prelude: str
) -> None:
    write(tmp_path, "sess.py", SESSIONS_BLUEPRINT)
    result = kolba("--app", "sess", "sessions", "purge", cwd=tmp_path, prelude=prelude)
    assert (result.stdout, result.returncode) == ("purged user sessions\n", 0)
    # kolba's stays reachable by its other name
    args = ("--app", "sess", "kolba-sessions", "cleanup")
    result = kolba(*args, cwd=tmp_path, prelude=prelude)
    assert result.stdout == "Removed 0 expired sessions.\n", result.stderr
    help_text = kolba("--app", "sess", "--help", cwd=tmp_path, prelude=prelude).stdout
    assert "sessions" in help_text and "kolba-sessions" not in help_text


@FLASK_STATES
def test_an_apps_own_sessions_command_wins_kolbas(tmp_path: Path, prelude: str) -> None:
    write(tmp_path, "own.py", SESSIONS_COMMAND)
    result = kolba("--app", "own", "sessions", cwd=tmp_path, prelude=prelude)
    assert (result.stdout, result.returncode) == ("the app's sessions\n", 0)


def test_kolbas_sessions_group_without_an_app_of_that_name(tmp_path: Path) -> None:
    write(tmp_path, "plain.py", "from kolba import Flask\napp = Flask(__name__)\n")
    result = kolba("--app", "plain", "sessions", "cleanup", cwd=tmp_path)
    assert result.returncode == 2
    assert "SESSION_STORE is not set" in result.stderr
    assert result.stderr.count("Error") == 1
    result = kolba("--app", "missing", "sessions", "cleanup", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("There is no module 'missing'") == 1


# -- a Flask app, or a kolba app with Flask's extensions, Flask installed ----------

FLASK_FACTORY = """\
    from flask import Flask

    def create_app():
        return Flask(__name__)
"""

FLASK_COMPAT_HINT = "Its app is the real Flask's: run it with 'kolba --flask-compat'"


@pytest.mark.parametrize(
    ("ref", "said"),
    [
        (
            "fact",
            "Module 'fact' has no kolba application: create_app() gave an"
            " object of type Flask.",
        ),
        (
            "fact:create_app()",
            "'fact:create_app()' is not a kolba application (it"
            " gave an object of type Flask).",
        ),
        (
            "fact:create_app",
            "'fact:create_app' is not a kolba application (it"
            " gave an object of type Flask).",
        ),
    ],
)
def test_a_flask_factory_app_is_told_to_use_flask_compat(
    tmp_path: Path, ref: str, said: str
) -> None:
    write(tmp_path, "fact.py", FLASK_FACTORY)
    result = kolba("--app", ref, "routes", cwd=tmp_path)
    assert result.returncode == 2
    assert said in " ".join(result.stderr.split())
    assert FLASK_COMPAT_HINT in result.stderr
    result = kolba("--flask-compat", "--app", ref, "routes", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Flask not installed: compat is on by default
    result = kolba("--app", ref, "routes", cwd=tmp_path, prelude=NO_FLASK)
    assert result.returncode == 0, result.stderr


def test_a_factory_that_returns_no_app_says_what_it_returned(tmp_path: Path) -> None:
    write(tmp_path, "none.py", "def create_app():\n    pass\n")
    result = kolba("--app", "none", "routes", cwd=tmp_path)
    assert result.returncode == 2
    assert "Module 'none' has no kolba application: create_app() gave None." in (
        result.stderr
    )
    assert "--flask-compat" not in result.stderr


KOLBA_APP_WITH_FLASK_SQLALCHEMY = """\
    from flask_migrate import Migrate
    from flask_sqlalchemy import SQLAlchemy
    from kolba import Flask

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    migrate = Migrate(app, db)
"""
REAL_FLASK_HINT = "run 'import kolba.compat.flask' first thing in your entry point"


@pytest.mark.parametrize("args", [["routes"], ["db", "--help"]])
def test_a_kolba_app_with_flask_extensions_is_told_how_to_join_them(
    tmp_path: Path, args: list[str]
) -> None:
    write(tmp_path, "mig.py", KOLBA_APP_WITH_FLASK_SQLALCHEMY)
    result = kolba("--app", "mig", *args, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: Working outside of application context")
    assert result.stderr.count(REAL_FLASK_HINT) == 1
    assert "kolba --flask-compat" in result.stderr
    result = kolba("--flask-compat", "--app", "mig", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    result = kolba("--app", "mig", *args, cwd=tmp_path, prelude=NO_FLASK)
    assert result.returncode == 0, result.stderr


def test_other_errors_of_a_command_keep_their_traceback(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bad.py",
        """\
        import flask  # the real Flask, next to a kolba app
        from kolba import Flask, current_app

        app = Flask(__name__)

        @app.cli.command("boom")
        def boom():
            raise RuntimeError("disk full")
        """,
    )
    result = kolba("--app", "bad", "boom", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert REAL_FLASK_HINT not in result.stderr


# -- the app's module named as one of Python's -------------------------------------

NAMED_APP = """\
    import click
    from kolba import Flask

    app = Flask(__name__)

    @app.cli.command("hi")
    def hi():
        click.echo(f"hi from {__file__.rsplit('/', 1)[-1]}")
"""


@FLASK_STATES
@pytest.mark.parametrize(
    "name",
    [
        "code",
        "pdb",  # (pdb imports cmd, bdb and glob)
        "shlex",
        # (on 3.10, uuid, which Flask and kolba import, imports platform,
        # subprocess and signal)
        pytest.param(
            "signal",
            marks=pytest.mark.skipif(
                sys.version_info < (3, 11), reason="imported by uuid on 3.10"
            ),
        ),
    ],
)
@pytest.mark.parametrize("form", ["module", "file"])
def test_an_app_module_may_be_named_as_a_stdlib_module_flask_does_not_import(
    tmp_path: Path, prelude: str, name: str, form: str
) -> None:
    write(tmp_path, f"{name}.py", NAMED_APP)
    ref = name if form == "module" else f"{name}.py"
    result = kolba("--app", ref, "hi", cwd=tmp_path, prelude=prelude)
    assert result.stdout == f"hi from {name}.py\n", result.stderr


def test_a_file_named_as_a_module_already_imported_is_said_so(tmp_path: Path) -> None:
    write(tmp_path, "stat.py", NAMED_APP)  # Python imports its stat at start
    result = kolba("--app", "stat.py", "hi", cwd=tmp_path)
    assert result.returncode == 2
    assert "'stat.py' cannot be imported as 'stat': another module of that" in (
        " ".join(result.stderr.split())
    )
    assert "Rename the file." in result.stderr


# -- 'module:app()' on an app ------------------------------------------------------


@FLASK_STATES
def test_the_call_of_an_app_instance_is_ignored_as_in_flask(
    tmp_path: Path, prelude: str
) -> None:
    write(tmp_path, "hello.py", NAMED_APP)
    result = kolba("--app", "hello:app()", "hi", cwd=tmp_path, prelude=prelude)
    assert result.stdout == "hi from hello.py\n", result.stderr


# -- --version -----------------------------------------------------------------------

SERVED = "Flask 3.1.3 (served by kolba)"


@pytest.mark.parametrize(
    ("args", "prelude", "served"),
    [
        (["--version"], "", False),
        (["--flask-compat", "--version"], "", True),
        (["--version", "--flask-compat"], "", True),
        (["--version"], NO_FLASK, True),
        (["--no-flask-compat", "--version"], NO_FLASK, False),
        (["--version", "--no-flask-compat"], NO_FLASK, False),
    ],
)
def test_version_names_the_flask_release_kolba_will_serve(
    tmp_path: Path, args: list[str], prelude: str, served: bool
) -> None:
    result = kolba(*args, cwd=tmp_path, prelude=prelude)
    lines = result.stdout.splitlines()
    assert lines[1].startswith("kolba ") and lines[-1].startswith("Werkzeug ")
    assert (SERVED in lines) is served, result.stdout


def test_version_reads_kolba_flask_compat(tmp_path: Path) -> None:
    env = {"KOLBA_FLASK_COMPAT": "1"}
    assert SERVED in kolba("--version", cwd=tmp_path, env=env).stdout


# -- a server that cannot listen -----------------------------------------------------


def test_run_on_an_address_that_cannot_be_bound_exits_1_as_flask(
    tmp_path: Path,
) -> None:
    write(tmp_path, "hello.py", NAMED_APP)
    result = kolba("--app", "hello", "run", "--host", "999.1.1.1", cwd=tmp_path)
    assert result.returncode == 1
    assert "Error: Could not listen on 999.1.1.1:5000" in result.stderr
    assert "Traceback" not in result.stderr and "Usage:" not in result.stderr
