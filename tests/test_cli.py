"""The ``kolba`` command: finding the app, ``run`` (real servers on 127.0.0.1),
``routes``, ``shell``, ``.env`` files, and the CLI API (``app.cli``, ``AppGroup``,
``with_appcontext``, ``KolbaGroup``, ``test_cli_runner``)."""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import typing as t
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
import werkzeug.serving
from click.testing import CliRunner

from kolba import Blueprint, Flask, current_app
from kolba.cli import (
    AppGroup,
    FlaskGroup,
    KolbaCliRunner,
    KolbaGroup,
    ScriptInfo,
    cli,
    load_dotenv,
    show_server_banner,
    with_appcontext,
)

SRC = Path(__file__).resolve().parents[1] / "src"
APPS = Path(__file__).resolve().parent / "cli_apps"
PORT_IN_USE = (
    "is in use by another program. Either identify and stop that program,"
    " or start the server with a different port."
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No KOLBA_/FLASK_ variables from outside; the environment, sys.path and the
    modules imported from temporary folders are restored afterwards."""
    for name in list(os.environ):
        if name.startswith(("KOLBA_", "FLASK_", "WERKZEUG_")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("PYTHONSTARTUP", raising=False)
    environ, path, modules = dict(os.environ), sys.path[:], set(sys.modules)
    yield
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    temp = str(tmp_path.parent.parent)
    for name in set(sys.modules) - modules:
        if (getattr(sys.modules[name], "__file__", None) or "").startswith(temp):
            del sys.modules[name]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture apps, made the current folder."""
    folder = tmp_path / "site"
    shutil.copytree(APPS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(folder)
    return folder


def invoke(args: list[str], **kwargs: object) -> click.testing.Result:
    return CliRunner().invoke(cli, args, **kwargs)


# -- real servers ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process started in its own session, with its output in a file."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_up(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited ({self.proc.returncode}):\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"server not up after {timeout}s:\n{self.output()}")

    def get(self, path: str = "/", https: bool = False) -> tuple[int, str]:
        if https:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=10, context=context
            )
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the reloader's child too
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def server_env(port: int, env: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ (already cleaned by ``isolated``) for a child, with ``{port}``
    in values replaced."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(SRC), os.environ.get("PYTHONPATH")])
        ),
        "PYTHONDONTWRITEBYTECODE": "1",  # an edited app must never run a stale .pyc
        "PYTHONUNBUFFERED": "1",
        "PORT": str(port),
        **{k: v.replace("{port}", str(port)) for k, v in (env or {}).items()},
    }


@pytest.fixture
def serve(site: Path) -> Iterator[Callable[..., Server]]:
    """Start ``python -m kolba ARGS`` (or ``command``) in ``site`` on a free port
    (``{port}`` in args and env), wait until it listens, stop it at the end."""
    servers: list[Server] = []

    def start(
        *args: str,
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
        wait: bool = True,
    ) -> Server:
        port = free_port()
        log = site / f"server-{port}.log"
        args = tuple(a.replace("{port}", str(port)) for a in args)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                (command or [sys.executable, "-m", "kolba"]) + list(args),
                cwd=site,
                env=server_env(port, env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(proc, port, log)
        servers.append(server)
        if wait:
            server.wait_until_up()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.mark.parametrize(
    ("args", "env", "body"),
    [
        (["--app", "hello.py", "run", "--port", "{port}"], {}, "Hello, World!"),
        (["--app", "hello", "run", "-p", "{port}"], {}, "Hello, World!"),
        (["--app", "hello:app", "run", "--port", "{port}"], {}, "Hello, World!"),
        (
            ["--app", 'factory:create_app("Hi")', "run", "--port", "{port}"],
            {},
            "Hi from the factory",
        ),
        (["run"], {"KOLBA_APP": "hello", "KOLBA_RUN_PORT": "{port}"}, "Hello, World!"),
        (
            ["run"],
            {"FLASK_APP": "hello.py", "FLASK_RUN_PORT": "{port}"},
            "Hello, World!",
        ),
        (["run", "--port", "{port}"], {}, "Found wsgi.py"),
    ],
    ids=[
        "file",
        "module",
        "module:name",
        "factory-call",
        "KOLBA_APP",
        "FLASK_APP",
        "wsgi.py",
    ],
)
def test_run_serves_the_app(
    serve: Callable[..., Server], args: list[str], env: dict[str, str], body: str
) -> None:
    server = serve(*args, env=env)
    assert server.get("/") == (200, body)
    output = server.output()
    assert f"Running on http://127.0.0.1:{server.port}" in output
    assert "This is a development server." in output
    assert " * Debug mode: off" in output


def test_console_script(serve: Callable[..., Server]) -> None:
    """The installed ``kolba`` command, found beside the interpreter running
    the tests (the venv's bin need not be on PATH)."""
    command = Path(sys.executable).parent / "kolba"
    assert command.is_file(), (
        f"no 'kolba' command beside {sys.executable}: install kolba into this"
        " environment (pip install -e .)"
    )
    server = serve(
        "--app", "hello.py", "run", "--port", "{port}", command=[str(command)]
    )
    assert server.get("/") == (200, "Hello, World!")


@pytest.mark.parametrize(
    ("args", "env", "name"),
    [
        (["--app", "hello.py"], {}, "hello.py"),
        (["--app", "hello"], {}, "hello"),
        ([], {"FLASK_APP": "hello:app"}, "hello:app"),
    ],
)
def test_banner_names_the_app_as_given(
    serve: Callable[..., Server], args: list[str], env: dict[str, str], name: str
) -> None:
    server = serve(*args, "run", "--port", "{port}", env=env)
    assert f" * Serving kolba app '{name}'\n" in server.output()


def test_run_on_all_interfaces(serve: Callable[..., Server]) -> None:
    server = serve("--app", "hello", "run", "--host=0.0.0.0", "--port", "{port}")
    assert server.get("/") == (200, "Hello, World!")
    output = server.output()
    assert "Running on all addresses (0.0.0.0)" in output
    assert f"Running on http://127.0.0.1:{server.port}" in output


def test_run_https_with_adhoc_certificate(serve: Callable[..., Server]) -> None:
    pytest.importorskip("cryptography")
    server = serve("--app", "hello", "run", "--port", "{port}", "--cert", "adhoc")
    assert server.get("/", https=True) == (200, "Hello, World!")
    assert f"Running on https://127.0.0.1:{server.port}" in server.output()


def test_debug_mode_shows_the_interactive_debugger(
    serve: Callable[..., Server],
) -> None:
    server = serve("--app", "hello", "--debug", "run", "--port", "{port}")
    status, body = server.get("/boom")
    assert status == 500
    assert "Werkzeug Debugger" in body
    assert "Traceback" in body and "kaboom: secret detail" in body
    output = server.output()
    assert " * Debug mode: on" in output
    assert "Debugger PIN:" in output
    assert "Warning: the interactive debugger" not in output  # on 127.0.0.1


def test_a_debugger_on_all_interfaces_is_warned_of(
    serve: Callable[..., Server],
) -> None:
    args = ["--app", "hello", "--debug", "run", "--host=0.0.0.0", "--port", "{port}"]
    server = serve(*args)
    assert server.get("/") == (200, "Hello, World!")
    assert (
        " * Warning: the interactive debugger listens on 0.0.0.0: whoever"
        " reaches it and has the PIN runs code here."
    ) in server.output()


@pytest.mark.parametrize(
    ("host", "debug", "warned"),
    [
        ("0.0.0.0", True, True),
        ("192.0.2.7", True, True),
        ("example.test", True, True),
        ("::", True, True),
        ("0.0.0.0", False, False),
        ("127.0.0.2", True, False),
        ("::1", True, False),
        ("localhost", True, False),
        ("LOCALHOST", True, False),
        ("::ffff:127.0.0.1", True, False),
        ("[::1]", True, False),
    ],
)
def test_app_run_warns_of_a_debugger_beyond_this_machine(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    host: str,
    debug: bool,
    warned: bool,
) -> None:
    monkeypatch.delenv("KOLBA_RUN_FROM_CLI", raising=False)
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *a, **k: None)
    Flask("runner").run(host=host, debug=debug, load_dotenv=False)
    assert ("the interactive debugger listens on" in capsys.readouterr().err) is warned
    Flask("runner").run(host=host, debug=debug, load_dotenv=False, use_evalex=False)
    assert "the interactive debugger listens on" not in capsys.readouterr().err


def test_production_error_page_hides_the_exception(
    serve: Callable[..., Server],
) -> None:
    server = serve("--app", "hello", "run", "--port", "{port}")
    status, body = server.get("/boom")
    assert status == 500
    assert "Internal Server Error" in body
    for secret in ("kaboom", "RuntimeError", "Traceback", "Werkzeug Debugger"):
        assert secret not in body
    assert server.get("/") == (200, "Hello, World!")  # the server lives on


def test_reloader_picks_up_an_edit(serve: Callable[..., Server], site: Path) -> None:
    # As the seed describes: FLASK_ENV=development turns on debug mode.
    server = serve(
        "run",
        env={
            "FLASK_APP": "hello.py",
            "FLASK_ENV": "development",
            "KOLBA_RUN_PORT": "{port}",
        },
    )
    assert server.get("/") == (200, "Hello, World!")
    assert " * Debug mode: on (from FLASK_ENV=development)" in server.output()

    app_file = site / "hello.py"
    app_file.write_text(app_file.read_text().replace("Hello, World!", "Reloaded!"))
    deadline = time.monotonic() + 30  # generous: a loaded CI machine
    while True:
        try:
            if server.get("/") == (200, "Reloaded!"):
                break
        except (OSError, http.client.HTTPException):
            pass  # the server is restarting (it may die mid-answer)
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.1)


def test_reloader_shows_the_error_of_an_edit_that_broke_the_app(
    serve: Callable[..., Server], site: Path
) -> None:
    """An edit whose import fails: the debugger's page is the app's own
    error with its frames (as Flask's), not kolba's loading wrapper; the fix
    serves the app again."""
    server = serve("--app", "hello", "run", "--debug", "--port", "{port}")
    assert server.get("/") == (200, "Hello, World!")
    app_file = site / "hello.py"
    source = app_file.read_text()
    app_file.write_text(source + "\nbroken = undefined_name + 1\n")

    def served(want: tuple[int, str] | None) -> tuple[int, str]:
        deadline = time.monotonic() + 30  # generous: a loaded CI machine
        while True:
            try:
                got = server.get("/")
                if (want is None and got[0] == 500) or got == want:
                    return got
            except (OSError, http.client.HTTPException):
                pass  # the server is restarting (it may die mid-answer)
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)

    status, page = served(None)
    assert "<h1>NameError</h1>" in page
    assert "name &#39;undefined_name&#39; is not defined" in page
    assert "hello.py" in page and "_AppFailed" not in page
    app_file.write_text(source)
    served((200, "Hello, World!"))


def test_app_run_in_main_guard(serve: Callable[..., Server]) -> None:
    server = serve("hello.py", command=[sys.executable])
    assert server.get("/") == (200, "Hello, World!")
    assert f"Running on http://127.0.0.1:{server.port}" in server.output()


def test_run_port_in_use(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "kolba",
                "--app",
                "hello",
                "run",
                "--port",
                str(port),
            ],
            cwd=site,
            env=server_env(port),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1  # as Flask's
    assert f"Port {port} {PORT_IN_USE}" in result.stderr
    assert "Traceback" not in result.stderr and "Usage:" not in result.stderr


def test_app_run_port_in_use(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "hello.py"],
            cwd=site,
            env=server_env(port),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1  # werkzeug's run_simple says it, as in Flask
    assert f"Port {port} {PORT_IN_USE}" in result.stderr


# -- finding the app --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "rule"),
    [
        ("hello.py", "/boom"),
        ("hello", "/boom"),
        ("pkg.web", "/pkg"),
        ("pkg/web.py", "/pkg"),
        ("nested/portal.py", "/nested"),
        ("factory:create_app", "/"),
        ("factory:create_app()", "/"),
        ("factory:create_app(greeting='Hi')", "/"),
    ],
)
def test_app_reference_forms(site: Path, ref: str, rule: str) -> None:
    result = invoke(["--app", ref, "routes"])
    assert result.exit_code == 0, result.output
    assert rule in result.output


def test_app_can_import_from_the_current_folder(site: Path) -> None:
    (site / "neighbour.py").write_text("GREETING = 'hi'\n")
    (site / "nested" / "friendly.py").write_text(
        "from neighbour import GREETING\nfrom kolba import Flask\n\n"
        "app = Flask(__name__)\napp.add_url_rule('/hi', 'hi', lambda: GREETING)\n"
    )
    result = invoke(["--app", "nested/friendly.py", "routes"])
    assert result.exit_code == 0, result.output
    assert "/hi" in result.output


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nosuchmodule", "There is no module 'nosuchmodule'."),
        ("nosuchfile.py", "There is no module 'nosuchfile'."),
        ("pkg.nosuch", "There is no module 'pkg.nosuch'."),
        ("empty", "Module 'empty' has no kolba application: no 'app' or"),
        (
            "empty:value",
            "'empty:value' is not a kolba application (it gave an object of type int).",
        ),
        ("hello:missing", "Module 'hello' has no attribute 'missing'."),
        (
            "needs_args",
            "'needs_args:create_app' looks like an app factory, but it cannot be"
            " called without arguments; give them with"
            " --app 'needs_args:create_app(...)'.",
        ),
        (
            "factory:create_app(1, 2)",
            "'factory:create_app' cannot be called with the arguments given:"
            " too many positional arguments.",
        ),
        (
            "factory:create_app(greeting=x)",
            "The arguments in 'create_app(greeting=x)' must be Python literals",
        ),
        (
            "hello:app.wsgi_app",
            "'app.wsgi_app' is neither a name nor a call such as 'create_app()'.",
        ),
        ("multi", "Module 'multi' holds more than one kolba application;"),
    ],
)
def test_bad_app_reference(site: Path, ref: str, message: str) -> None:
    result = invoke(["--app", ref, "routes"])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_no_app_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["run"])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "Which application? Name it with 'kolba --app'" in output
    assert "the KOLBA_APP (or FLASK_APP) variable" in output


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            'import os\nraise RuntimeError("broken on purpose")\n',
            [
                "Traceback",
                'raise RuntimeError("broken on purpose")',
                "RuntimeError: broken on purpose",
            ],
        ),
        (
            "import kolba_missing_dependency\n",
            [
                "Traceback",
                "import kolba_missing_dependency",
                "No module named 'kolba_missing_dependency'",
            ],
        ),
        ("def broken(:\n", ["broken.py", "line 1", "SyntaxError"]),
    ],
    ids=["raises", "import-error-inside", "syntax-error"],
)
def test_error_in_the_app_module_shows_its_traceback(
    site: Path, source: str, expected: list[str]
) -> None:
    (site / "broken.py").write_text(source)
    result = invoke(["--app", "broken", "run"])
    # 1 when the module raised, as the error ends Flask's command; 2 for an
    # ImportError inside it, which Flask too reports as no app found
    assert result.exit_code == (2 if "kolba_missing_dependency" in source else 1)
    assert "Importing 'broken' failed:" in result.output
    for text in expected:
        assert text in result.output
    assert "There is no module" not in result.output
    assert "cli.py" not in result.output and "importlib" not in result.output


@pytest.mark.parametrize(
    ("body", "error"),
    [("return 1 / 0", "ZeroDivisionError"), ("import kolba_absent", "ModuleNotFound")],
)
def test_error_in_the_factory_shows_its_traceback(
    site: Path, body: str, error: str
) -> None:
    (site / "badfactory.py").write_text(f"def create_app():\n    {body}\n")
    result = invoke(["--app", "badfactory", "routes"])
    assert result.exit_code == 1  # (an ImportError too: the module was found)
    assert body in result.output and error in result.output
    assert "cli.py" not in result.output


def test_an_app_command_of_a_failing_app_is_its_failure_not_a_missing_command(
    site: Path,
) -> None:
    (site / "envfail.py").write_text("import os\nos.environ['KOLBA_NOT_SET_X']\n")
    result = invoke(["--app", "envfail", "greet"])
    assert result.exit_code == 1
    assert "Importing 'envfail' failed:" in result.output
    assert "KeyError: 'KOLBA_NOT_SET_X'" in result.output
    assert "No such command" not in result.output
    # --help still lists the built-in commands, after the report
    result = invoke(["--app", "envfail", "--help"])
    assert result.exit_code == 0
    assert "Importing 'envfail' failed:" in result.output and "routes" in result.output


# -- .env files and options ------------------------------------------------------


def test_dotenv_precedence(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (site / ".env").write_text("DOTENV_A=env\nDOTENV_B=env\n")
    (site / ".kolbaenv").write_text("DOTENV_A=kolbaenv\nDOTENV_C=kolbaenv\n")
    (site / ".flaskenv").write_text("DOTENV_C=flaskenv\nDOTENV_D=flaskenv\n")
    (site / "custom.env").write_text("DOTENV_B=custom\n")
    monkeypatch.setenv("DOTENV_D", "already set")
    assert load_dotenv("custom.env")
    assert [os.environ[f"DOTENV_{x}"] for x in "ABCD"] == [
        "env",
        "custom",
        "kolbaenv",
        "already set",
    ]


def test_dotenv_names_the_app(site: Path) -> None:
    (site / ".flaskenv").write_text("FLASK_APP=commands\n")
    assert invoke(["greet"]).output == "Hello, World, from commands!\n"


def test_env_file_option(site: Path) -> None:
    (site / ".env").write_text("KOLBA_APP=hello\n")
    (site / "other.env").write_text("KOLBA_APP=commands\n")
    result = invoke(["--env-file", "other.env", "greet", "you"])
    assert result.output == "Hello, you, from commands!\n"


def test_skip_dotenv(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (site / ".env").write_text("DOTENV_SKIPPED=loaded\n")
    monkeypatch.setenv("KOLBA_SKIP_DOTENV", "1")
    assert not load_dotenv()
    assert "DOTENV_SKIPPED" not in os.environ


def test_version() -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Python 3.")
    assert lines[1].startswith("kolba ")
    assert lines[2].startswith("Werkzeug 3.")


@pytest.mark.parametrize(
    ("args", "env", "debug"),
    [
        ([], {}, False),
        (["--debug"], {}, True),
        ([], {"KOLBA_DEBUG": "1"}, True),
        ([], {"FLASK_DEBUG": "1"}, True),
        ([], {"KOLBA_ENV": "development"}, True),
        ([], {"FLASK_ENV": "development"}, True),
        (["--no-debug"], {"KOLBA_DEBUG": "1"}, False),
        # read as click reads a yes or no, as the flask command does: Windows'
        # "set FLASK_DEBUG=0 && kolba run" leaves a space
        ([], {"KOLBA_DEBUG": "0 "}, False),
        ([], {"FLASK_DEBUG": " false"}, False),
        ([], {"FLASK_DEBUG": "N"}, False),
        ([], {"KOLBA_DEBUG": "f"}, False),
        ([], {"KOLBA_DEBUG": " Yes "}, True),
        ([], {"FLASK_DEBUG": "on"}, True),
        # and the environment's name, case and that space aside
        ([], {"FLASK_ENV": "development "}, True),
        ([], {"KOLBA_ENV": "Development"}, True),
        ([], {"FLASK_ENV": "dev"}, False),
    ],
)
def test_debug_flag(
    site: Path, args: list[str], env: dict[str, str], debug: bool
) -> None:
    result = invoke(["--app", "commands", *args, "debug-state"], env=env)
    assert result.output == f"debug={debug}\n"


@pytest.mark.parametrize("value", ["disabled", "none", "fasle", "2"])
@pytest.mark.parametrize("name", ["KOLBA_DEBUG", "FLASK_DEBUG"])
def test_a_debug_variable_that_is_no_yes_or_no_stops_the_command(
    site: Path, name: str, value: str
) -> None:
    # never debug mode (its debugger runs code sent to it): Flask's command
    # refuses such a value too
    for args in (["run"], ["debug-state"]):
        result = invoke(["--app", "commands", *args], env={name: value})
        assert result.exit_code == 2, result.output
        assert f"{name}={value!r} is neither yes nor no" in result.output
        assert "debug=" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "hello.py"], 'Needs "--cert" as well.'),
        (["--cert", "hello.py"], 'Required with "--cert".'),
        (["--cert", "adhoc", "--key", "hello.py"], 'Not used with "--cert adhoc".'),
    ],
)
def test_run_certificate_options(site: Path, args: list[str], message: str) -> None:
    result = invoke(["--app", "hello", "run", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_run_certificate_options_are_checked_when_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as in Flask: before the command runs, whichever comes first on the line
    from kolba.cli import run_command

    pem = str(tmp_path / "site.pem")
    Path(pem).write_text("")
    for args in (["--cert", pem, "--key", pem], ["--key", pem, "--cert", pem]):
        assert run_command.make_context("run", args).params["cert"] == (pem, pem)
    for args in (["--cert", pem], ["--key", pem], ["--cert", "adhoc", "--key", pem]):
        with pytest.raises(click.BadParameter):
            run_command.make_context("run", args)
    monkeypatch.setitem(sys.modules, "tls_ctx", ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    assert isinstance(
        run_command.make_context("run", ["--cert", "tls_ctx"]).params["cert"],
        ssl.SSLContext,
    )
    with pytest.raises(click.BadParameter):
        run_command.make_context("run", ["--cert", "tls_ctx", "--key", pem])


def test_app_run_inside_the_kolba_command_is_ignored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KOLBA_RUN_FROM_CLI", "true")
    Flask("unguarded").run()  # returns instead of blocking
    assert "Skipped app.run(): the 'kolba' command" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [["--app", "unguarded", "routes"], ["--help"], ["--no-such-option"]],
    ids=["command", "help", "usage-error"],
)
@pytest.mark.parametrize("before", [None, "false"])
def test_app_run_is_skipped_only_while_the_command_runs(
    site: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], before: str | None
) -> None:
    # An in-process invocation (CliRunner, as tests do) leaves the environment
    # as it found it: a later Config.from_prefixed_env() sees no RUN_FROM_CLI.
    (site / "unguarded.py").write_text(
        "from kolba import Flask\napp = Flask(__name__)\napp.run()\n"
    )
    if before is None:
        monkeypatch.delenv("KOLBA_RUN_FROM_CLI", raising=False)
    else:
        monkeypatch.setenv("KOLBA_RUN_FROM_CLI", before)
    result = invoke(args)
    assert result.exit_code == (2 if "--no-such-option" in args else 0)
    if "routes" in args:
        assert "Skipped app.run(): the 'kolba' command" in result.output
    assert os.environ.get("KOLBA_RUN_FROM_CLI") == before


# -- routes and shell ----------------------------------------------------------------


def endpoints(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines()[2:]]


def test_routes(site: Path) -> None:
    result = invoke(["--app", "commands", "routes"])
    lines = result.output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split() == ["create_item", "POST", "/items"]
    assert lines[3].split() == ["index", "GET", "/"]
    assert lines[4].split() == ["item", "DELETE,", "GET", "/items/<int:item_id>"]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("endpoint", ["create_item", "index", "item"]),
        ("rule", ["index", "create_item", "item"]),
        ("methods", ["item", "index", "create_item"]),
        ("match", ["index", "create_item", "item"]),
    ],
)
def test_routes_sort(site: Path, sort: str, order: list[str]) -> None:
    result = invoke(["--app", "commands", "routes", "--sort", sort])
    assert endpoints(result.output) == order


def test_routes_all_methods(site: Path) -> None:
    plain = invoke(["--app", "commands", "routes"]).output
    assert "HEAD" not in plain and "OPTIONS" not in plain
    full = invoke(["--app", "commands", "routes", "--all-methods"]).output
    assert "GET, HEAD, OPTIONS" in full


def test_routes_none() -> None:
    group = KolbaGroup(create_app=lambda: Flask("bare", static_folder=None))
    assert (
        CliRunner().invoke(group, ["routes"]).output == "No routes were registered.\n"
    )


def test_shell(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (site / "startup.py").write_text("STARTED = 'startup ran'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(site / "startup.py"))
    result = invoke(
        ["--app", "commands", "shell"],
        input="print(app.name, answer, type(g).__name__)\nprint(STARTED)\n",
    )
    assert result.exit_code == 0, result.output
    assert "App: commands" in result.output
    assert f"Instance: {site / 'instance'}" in result.output
    assert "commands 42 " in result.output
    assert "startup ran" in result.output


# -- the CLI API -------------------------------------------------------------------


def test_app_cli_command_runs_in_app_context(site: Path) -> None:
    result = invoke(["--app", "commands", "greet", "kolba"])
    assert result.output == "Hello, kolba, from commands!\n"
    assert "greet" in invoke(["--app", "commands", "--help"]).output


@pytest.mark.parametrize("args", [["--help"], []], ids=["--help", "no-arguments"])
@pytest.mark.parametrize("source", ["variable", ".env"])
def test_help_lists_the_commands_of_the_app_the_environment_names(
    site: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], source: str
) -> None:
    # --help runs before --app reads KOLBA_APP; the listing must still find it.
    if source == "variable":
        monkeypatch.setenv("KOLBA_APP", "commands")
    else:
        (site / ".env").write_text("KOLBA_APP=commands\n")
    result = invoke(args)
    assert "greet" in result.output and "debug-state" in result.output
    assert "Error" not in result.output
    assert not current_app  # the app context pushed for the listing was popped


def test_app_group() -> None:
    app = Flask("groups")
    users = AppGroup("users")

    @users.command("create")
    @click.argument("name")
    def create(name: str) -> None:
        click.echo(f"{current_app.name} created {name}")

    @users.command  # without parentheses
    def count() -> None:
        click.echo(f"{current_app.name}: 0")

    @users.command(with_appcontext=False)
    def plain() -> None:
        click.echo(f"context: {bool(current_app)}")

    @users.group()
    def admin() -> None:
        """Nested groups are AppGroups too."""

    @admin.command()
    def grant() -> None:
        click.echo(f"granted in {current_app.name}")

    assert isinstance(admin, AppGroup)

    app.cli.add_command(users)
    runner = app.test_cli_runner()
    assert (
        runner.invoke(args=["users", "create", "ann"]).output == "groups created ann\n"
    )
    assert runner.invoke(args=["users", "count"]).output == "groups: 0\n"
    assert runner.invoke(args=["users", "plain"]).output == "context: False\n"
    assert (
        runner.invoke(args=["users", "admin", "grant"]).output == "granted in groups\n"
    )


def test_with_appcontext() -> None:
    app = Flask("contextual")

    @click.command()
    @with_appcontext
    def whoami() -> None:
        click.echo(current_app.name)

    result = CliRunner().invoke(whoami, obj=ScriptInfo(create_app=lambda: app))
    assert result.output == "contextual\n"

    def must_not_load() -> Flask:
        raise AssertionError("an active app context is reused")

    with app.app_context():
        result = CliRunner().invoke(whoami, obj=ScriptInfo(create_app=must_not_load))
    assert result.output == "contextual\n"


def test_custom_script_with_kolba_group() -> None:
    app = Flask("managed")

    @click.group(cls=FlaskGroup, create_app=lambda: app)
    def manage() -> None:
        """Management script for managed."""

    @manage.command()
    def hello() -> None:
        click.echo(f"hello from {current_app.name}")

    assert FlaskGroup is KolbaGroup
    runner = CliRunner()
    assert runner.invoke(manage, ["hello"]).output == "hello from managed\n"
    help_text = runner.invoke(manage, ["--help"]).output
    for name in ("run", "routes", "shell", "hello", "--version"):
        assert name in help_text

    bare = KolbaGroup(add_default_commands=False, add_version_option=False)
    assert "run" not in bare.commands
    assert runner.invoke(bare, ["--version"]).exit_code == 2


def test_test_cli_runner() -> None:
    app = Flask("tested")

    @app.cli.command()
    @click.option("--times", default=1)
    def ping(times: int) -> None:
        click.echo(f"{current_app.name}: " + "pong " * times)

    runner = app.test_cli_runner()
    assert isinstance(runner, KolbaCliRunner)
    assert runner.invoke(args=["ping", "--times", "2"]).output == "tested: pong pong \n"
    assert runner.invoke(ping).output == "tested: pong \n"


@pytest.mark.parametrize(
    ("options", "args"),
    [
        ({}, ["admin", "purge"]),
        ({"cli_group": "ops"}, ["ops", "purge"]),
        ({"cli_group": None}, ["purge"]),
        ({"name": "staff"}, ["staff", "purge"]),
    ],
)
def test_blueprint_commands(options: dict[str, str | None], args: list[str]) -> None:
    app = Flask("bp_app")
    admin = Blueprint("admin", __name__)

    @admin.cli.command()
    def purge() -> None:
        click.echo(f"purged {current_app.name}")

    app.register_blueprint(admin, **options)
    assert app.test_cli_runner().invoke(args=args).output == "purged bp_app\n"


def test_show_server_banner_prints_flasks_two_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    show_server_banner(True, "hello")
    assert capsys.readouterr().out == (
        " * Serving kolba app 'hello'\n * Debug mode: on\n"
    )


@pytest.mark.parametrize(
    ("env", "debug"),
    [
        ({}, False),
        ({"FLASK_DEBUG": "1"}, True),
        ({"KOLBA_DEBUG": "1"}, True),
        ({"KOLBA_DEBUG": "0", "FLASK_ENV": "development"}, False),
        ({"FLASK_DEBUG": "0 "}, False),
        # as Flask 3: *_ENV is the kolba command's; app.run() turns no
        # debugger on from a leftover one
        ({"FLASK_ENV": "development"}, False),
        ({"KOLBA_ENV": "development"}, False),
    ],
)
def test_app_run_reads_only_the_debug_variables(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    debug: bool,
) -> None:
    for name in (
        "KOLBA_RUN_FROM_CLI",
        "KOLBA_DEBUG",
        "FLASK_DEBUG",
        "KOLBA_ENV",
        "FLASK_ENV",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    served: dict[str, t.Any] = {}
    monkeypatch.setattr(
        werkzeug.serving, "run_simple", lambda *args, **options: served.update(options)
    )
    app = Flask("runner")
    app.run()
    assert (app.debug, served["use_debugger"], served["use_reloader"]) == (debug,) * 3
    banner = "".join(capsys.readouterr())
    assert f"Debug mode: {'on' if debug else 'off'}" in banner


def test_app_run_names_the_debug_variable_the_app_was_made_with(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KOLBA_RUN_FROM_CLI", raising=False)
    monkeypatch.delenv("KOLBA_DEBUG", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *a, **k: None)
    Flask("runner").run(load_dotenv=False)  # debug on as the app was made
    assert "Debug mode: on (from FLASK_DEBUG=1)" in "".join(capsys.readouterr())


def test_a_debug_variable_that_is_no_yes_or_no_is_an_error_for_an_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KOLBA_DEBUG", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "disabled")
    with pytest.raises(ValueError, match="FLASK_DEBUG='disabled' is neither"):
        Flask("runner")


@pytest.mark.parametrize("variable", ["FLASK_ENV", "KOLBA_ENV"])
def test_env_development_is_debug_mode_as_the_app_is_made(
    variable: str, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """*_ENV=development (the seed's way) gives the app debug mode while its
    module runs, as --debug does: its logger's level, an extension's
    init_app reading app.debug; the variable it sets for that is gone after."""
    (site / "envdebug.py").write_text(
        "from kolba import Flask\n"
        "app = Flask(__name__)\n"
        "AT_IMPORT = (app.debug, app.logger.level)\n"
    )
    monkeypatch.setenv(variable, "development")
    app = ScriptInfo(app_import_path="envdebug").load_app()
    assert sys.modules["envdebug"].AT_IMPORT == (True, logging.DEBUG)
    assert app.debug is True
    assert "KOLBA_DEBUG" not in os.environ
