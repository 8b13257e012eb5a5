"""The ``kolba`` command: ``run``, ``routes``, ``shell``; ``AppGroup``, ``ScriptInfo``.

The application is found from ``--app``, ``KOLBA_APP`` (or ``FLASK_APP``), or a
``wsgi.py`` / ``app.py`` file in the current folder.
"""

from __future__ import annotations

import ast
import copy
import errno
import importlib
import importlib.metadata
import importlib.util
import inspect
import ipaddress
import os
import platform
import socket
import ssl
import sys
import traceback
import typing as t
from collections import ChainMap
from collections.abc import Sequence
from functools import wraps
from pathlib import Path
from types import ModuleType, TracebackType

import click
import werkzeug.serving
from werkzeug.serving import is_running_from_reloader

from . import compat
from .app import Flask
from .globals import _NO_CTX, _cv_ctx, current_app
from .helpers import _debug_variable, get_load_dotenv

if t.TYPE_CHECKING:
    from ._cli_runner import KolbaCliRunner as KolbaCliRunner
    from .blueprints import Blueprint

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

_DOTENV_FILES = (".env", ".kolbaenv", ".flaskenv")  # highest precedence first


class NoAppException(click.UsageError):
    """The application could not be found or loaded (exit code 2)."""

    #: The app's own error that failed its loading, if one did.
    error: BaseException | None = None


class _NoModule(NoAppException):
    """The module that should hold the application does not exist."""


def _env(name: str) -> str | None:
    """Read ``KOLBA_<name>``, falling back to ``FLASK_<name>``."""
    return os.environ.get(f"KOLBA_{name}") or os.environ.get(f"FLASK_{name}")


def _debug_source() -> str | None:
    """The environment variable that turns debug mode on for the ``kolba``
    command (``KOLBA_DEBUG``, ``FLASK_DEBUG``, or ``KOLBA_ENV``/``FLASK_ENV``
    set to ``development``, which only this command reads), if one does; a
    debug variable that is no yes or no stops the command (exit code 2)."""
    try:
        found = _debug_variable()
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    if found is not None:
        name, on = found
        return f"{name}={os.environ[name]}" if on else None
    for name in ("KOLBA_ENV", "FLASK_ENV"):
        value = os.environ.get(name)
        if value:
            # (as the debug variables: case and a trailing space, which
            # Windows' `set FLASK_ENV=development && ...` leaves, aside)
            on = value.strip().lower() == "development"
            return f"{name}={value}" if on else None
    return None


def _envvars(name: str) -> list[str]:
    """The environment variables an option reads, kolba's spelling first."""
    return [f"KOLBA_{name}", f"FLASK_{name}"]


class _AutoEnvvars(Sequence[str]):
    """The environment variables of an option with none of its own, under the
    ``kolba`` command: click's ``KOLBA_<COMMAND>_<OPTION>``, then Flask's
    ``FLASK_<COMMAND>_<OPTION>``. Read from the context being parsed, so that
    the option reads nothing elsewhere (``app.test_cli_runner()``)."""

    def __init__(self, name: str) -> None:
        self.name = name.upper()

    def _names(self) -> list[str]:
        ctx = click.get_current_context(silent=True)
        prefix = ctx.auto_envvar_prefix if ctx is not None else None
        if prefix is None or prefix.partition("_")[0] != "KOLBA":
            return []
        return [f"{prefix}_{self.name}", f"FLASK{prefix[5:]}_{self.name}"]

    @t.overload
    def __getitem__(self, index: int) -> str: ...
    @t.overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())


def _read_flask_envvars(command: click.Command) -> click.Command:
    """Let every option of ``command`` and its subcommands that takes click's
    automatic environment variable fall back to Flask's spelling."""
    for param in command.params:
        if (
            isinstance(param, click.Option)
            and param.allow_from_autoenv
            and not param.envvar
            and param.name
        ):
            param.envvar = _AutoEnvvars(param.name)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _read_flask_envvars(sub)
    return command


# -- finding the application --------------------------------------------------
#
# An ``--app`` value such as ``pkg/web.py:create_app('x')`` goes through three
# steps: split it into a module and a target, import the module (telling "there
# is no such module" apart from "the module raised"), then take the app from the
# module: by the target when one is given, else by the rules of find_best_app.


def _is_import_machinery(tb: TracebackType) -> bool:
    """Whether a frame belongs to this module or to importlib."""
    module: str = tb.tb_frame.f_globals.get("__name__", "")
    return module == __name__ or module.partition(".")[0] == "importlib"


class _AppFailed(NoAppException):
    """The app's own code raised while it was loaded: the command fails with
    exit code 1, as the error itself would end it (an ImportError inside it is
    a NoAppException, exit code 2, as in Flask)."""

    exit_code = 1


def _failed(action: str, error: BaseException, importing: bool) -> NoAppException:
    """``action failed:`` with the traceback of ``error`` from the user's code
    on, without the frames of kolba and importlib in front of it. An
    ImportError while ``importing`` the app's module is no app found (exit
    code 2), any other error the command's failure (1), as in Flask."""
    tb = error.__traceback__
    while tb is not None and _is_import_machinery(tb):
        tb = tb.tb_next
    report = "".join(traceback.TracebackException(type(error), error, tb).format())
    # (an extension reading Flask's context, or testing for Flask's classes)
    hint = compat.real_flask_hint()
    report += f"\n{hint}\n" if hint else ""
    no_app = importing and isinstance(error, ImportError)
    kind = NoAppException if no_app else _AppFailed
    failure = kind(f"{action} failed:\n\n{report}")
    failure.error = error  # (the reloader's debugger page shows it, as Flask's)
    return failure


def _split_reference(reference: str) -> tuple[str, str | None]:
    """``module:target`` as (module, target or None); a Windows drive letter
    (``C:\\`` or ``C:/``) stays with the module."""
    drive = 2 if reference[1:3] in (":\\", ":/") else 0
    module, colon, target = reference[drive:].partition(":")
    return reference[:drive] + module, target if colon else None


def prepare_import(path: str) -> str:
    """The module name for a file path or module name; the folder above its
    outermost package goes first on ``sys.path``, so that importing finds it."""
    where = Path(os.path.realpath(path))
    if where.suffix == ".py":
        where = where.with_suffix("")
    if where.name == "__init__":
        where = where.parent
    names = [where.name]
    while (where.parent / "__init__.py").is_file():
        where = where.parent
        names.insert(0, where.name)
    root = str(where.parent)
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    return ".".join(names)


def _import(module_name: str) -> ModuleType:
    """Import a module; a NoAppException says whether it is missing or failed."""
    try:
        return importlib.import_module(module_name)
    except Exception as e:
        missing = isinstance(e, ModuleNotFoundError) and (
            module_name == e.name or module_name.startswith(f"{e.name}.")
        )
        if missing:
            raise _NoModule(f"There is no module {module_name!r}.") from None
        if isinstance(e, ModuleNotFoundError) and e.name == "flask":
            raise NoAppException(_NO_FLASK.format(module=module_name)) from None
        raise _failed(f"Importing {module_name!r}", e, importing=True) from None


_NO_FLASK = """\
{module!r} imports flask, which is not installed here. kolba can serve it
as it is: run it with 'kolba --flask-compat ...' (the default when Flask is not
installed, unless --no-flask-compat or KOLBA_FLASK_COMPAT=0 turns it off), or
put 'import kolba.compat.flask' before its first 'import flask', or change
'from flask import' to 'from kolba import'."""


def _flask_compat_wanted(wanted: bool | None) -> bool:
    """Whether to serve ``import flask`` by kolba: ``wanted``, or, when not
    said (None), whether Flask is not installed."""
    if wanted is None:
        return (
            not compat.flask_compat_active()
            and sys.modules.get("flask") is None
            and importlib.util.find_spec("flask") is None
        )
    return wanted


def _use_flask_compat(wanted: bool | None) -> None:
    """Serve ``import flask`` by kolba if :func:`_flask_compat_wanted`."""
    if _flask_compat_wanted(wanted):
        try:
            compat.install_flask()
        except ImportError as e:
            raise NoAppException(str(e)) from None


def _call_factory(
    module: ModuleType,
    name: str,
    factory: t.Callable[..., t.Any],
    args: tuple[t.Any, ...] = (),
    kwargs: dict[str, t.Any] | None = None,
) -> t.Any:
    """Call an app factory: arguments that do not fit its signature are a usage
    error; an exception inside it is shown with its traceback."""
    kwargs = kwargs or {}
    try:
        inspect.signature(factory).bind(*args, **kwargs)
    except TypeError as e:
        target = f"{module.__name__}:{name}"
        if args or kwargs:
            message = f"'{target}' cannot be called with the arguments given: {e}."
        else:
            message = (
                f"'{target}' looks like an app factory, but it cannot be called"
                f" without arguments; give them with --app '{target}(...)'."
            )
        raise NoAppException(message) from None
    except ValueError:  # no signature to check (a builtin): just call it
        pass
    try:
        return factory(*args, **kwargs)
    except Exception as e:
        raise _failed(f"Calling {module.__name__}:{name}", e, importing=False) from None


def _named_app(module: ModuleType) -> Flask | None:
    """An app called ``app`` or ``application``."""
    for name in ("app", "application"):
        value = getattr(module, name, None)
        if isinstance(value, Flask):
            return value
    return None


def _sole_app(module: ModuleType) -> Flask | None:
    """The one app instance in the module; two or more cannot be chosen from."""
    apps = [value for value in vars(module).values() if isinstance(value, Flask)]
    if len(apps) > 1:
        raise NoAppException(
            f"Module {module.__name__!r} holds more than one kolba application;"
            f" pick one with --app '{module.__name__}:name'."
        )
    return apps[0] if apps else None


def _factory_app(module: ModuleType) -> Flask | None:
    """The app made by a ``create_app`` or ``make_app`` function; factories
    that made something else are a NoAppException saying what they made."""
    made: dict[str, object] = {}
    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if inspect.isfunction(factory):
            app = _call_factory(module, name, factory)
            if isinstance(app, Flask):
                return app
            made[name] = app
    if not made:
        return None
    said = " and ".join(f"{name}() gave {_kind(v)}" for name, v in made.items())
    raise NoAppException(
        f"Module {module.__name__!r} has no kolba application: {said}."
        + _flask_hint(made.values())
    )


def _kind(value: object) -> str:
    return "None" if value is None else f"an object of type {type(value).__name__}"


_DISCOVERY_RULES = (_named_app, _sole_app, _factory_app)  # tried in this order


def find_best_app(module: ModuleType) -> Flask:
    """The application in a module: ``app`` or ``application``, else the only
    instance, else what a ``create_app`` or ``make_app`` factory returns."""
    for rule in _DISCOVERY_RULES:
        app = rule(module)
        if app is not None:
            return app
    raise NoAppException(
        f"Module {module.__name__!r} has no kolba application: no 'app' or"
        " 'application', no single app instance and no 'create_app' or 'make_app'"
        f" factory. Name it with --app '{module.__name__}:name'."
        + _flask_hint(vars(module).values())
    )


def _flask_hint(values: t.Iterable[object]) -> str:
    """How to run an app of the real Flask, if one of ``values`` is one."""
    real = getattr(sys.modules.get("flask"), "Flask", None)
    if not (isinstance(real, type) and any(isinstance(v, real) for v in values)):
        return ""
    return (
        "\n\nIts app is the real Flask's: run it with 'kolba --flask-compat' so"
        " that 'import flask' gives kolba."
    )


class _Target(t.NamedTuple):
    """The ``:target`` of a reference: an attribute name, and the literal
    arguments to call it with (``call`` is None when it is not a call)."""

    name: str
    call: tuple[tuple[t.Any, ...], dict[str, t.Any]] | None = None


def _parse_target(target: str) -> _Target:
    """Read ``name`` or ``name(literal, key=literal)``."""
    try:
        node = ast.parse(target.strip(), mode="eval").body
    except SyntaxError:
        node = None
    if isinstance(node, ast.Name):
        return _Target(node.id)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise NoAppException(
            f"{target!r} is neither a name nor a call such as 'create_app()'."
        )
    try:
        if any(keyword.arg is None for keyword in node.keywords):  # **mapping
            raise ValueError
        args = tuple(ast.literal_eval(arg) for arg in node.args)
        kwargs = {str(kw.arg): ast.literal_eval(kw.value) for kw in node.keywords}
    except ValueError:
        raise NoAppException(
            f"The arguments in {target!r} must be Python literals (strings,"
            " numbers, lists, ...)."
        ) from None
    return _Target(node.func.id, (args, kwargs))


def find_app_by_string(module: ModuleType, app_name: str) -> Flask:
    """The application that ``app_name`` names in ``module``: an attribute (a
    function is called without arguments) or ``factory(literals)``."""
    target = _parse_target(app_name)
    try:
        value = getattr(module, target.name)
    except AttributeError:
        raise NoAppException(
            f"Module {module.__name__!r} has no attribute {target.name!r}."
        ) from None
    if target.call is not None and not isinstance(value, Flask):  # (Flask's way)
        if not callable(value):
            raise NoAppException(
                f"{target.name!r} in {module.__name__!r} is not callable."
            )
        value = _call_factory(module, target.name, value, *target.call)
    elif inspect.isfunction(value):
        value = _call_factory(module, target.name, value)
    if not isinstance(value, Flask):
        raise NoAppException(
            f"'{module.__name__}:{app_name}' is not a kolba application (it gave"
            f" {_kind(value)})." + _flask_hint([value])
        )
    return value


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Flask: ...
@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = ...
) -> Flask | None: ...
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Flask | None:
    """Import a module and take the application from it, by ``app_name`` if
    given. A missing module is None when not ``raise_if_not_found``."""
    try:
        module = _import(module_name)
    except _NoModule:
        if raise_if_not_found:
            raise
        return None
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def _load_reference(reference: str) -> Flask:
    """The application an ``--app`` value names."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)  # the app may import modules beside it
    module, target = _split_reference(reference)
    name = prepare_import(module)
    if name in sys.modules and module.endswith(".py") and os.path.isfile(module):
        found = getattr(sys.modules[name], "__file__", None) or "built in"
        if not (os.path.isfile(found) and os.path.samefile(found, module)):
            raise NoAppException(
                f"{module!r} cannot be imported as {name!r}: another module of"
                f" that name is already imported ({found}). Rename the file."
            )
    return locate_app(name, target)


class ScriptInfo:
    """What the commands share: how to get the application, and the
    application itself once loaded (it is loaded at most once)."""

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Flask] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = load_dotenv_defaults
        self.data: dict[t.Any, t.Any] = {}
        self._loaded_app: Flask | None = None
        #: ``import flask`` gives kolba: True, False, or None for "when Flask
        #: is not installed" (``--flask-compat/--no-flask-compat``).
        self.flask_compat: bool | None = None

    def load_app(self) -> Flask:
        """The application: made by ``create_app``, else found from
        ``app_import_path`` (default: ``wsgi.py`` or ``app.py``). Loaded on the
        first call; later calls return the same app."""
        if self._loaded_app is not None:
            return self._loaded_app
        debug = _debug_source() is not None  # (a bad value stops before the import)
        # Debug mode from *_ENV=development is the app's as it is made (its
        # logger's level, an extension's init_app reading app.debug), as
        # --debug's KOLBA_DEBUG=1 is: set while the app loads, then unset,
        # since only this command reads *_ENV.
        set_now = self.set_debug_flag and debug and _debug_variable() is None
        if set_now:
            os.environ["KOLBA_DEBUG"] = "1"
        try:
            if self.create_app is not None:
                app = self.create_app()
            else:
                _use_flask_compat(self.flask_compat)
                app = _load_reference(self._reference())
        finally:
            if set_now:
                del os.environ["KOLBA_DEBUG"]
        if self.set_debug_flag:
            app.debug = debug
        self._loaded_app = app
        return app

    def _reference(self) -> str:
        """The ``--app`` value, or the default file in the current folder."""
        if self.app_import_path:
            return self.app_import_path
        for default in ("wsgi.py", "app.py"):
            if os.path.isfile(default):
                return default
        raise NoAppException(
            "Which application? Name it with 'kolba --app' or the KOLBA_APP"
            " (or FLASK_APP) variable, or put it in a 'wsgi.py' or 'app.py' file in the"
            " current folder."
        )


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def _real_flask_advice(error: BaseException) -> click.ClickException | None:
    """``error`` said with what to do, when it is a Flask extension's "Working
    outside of ... context" next to a kolba app while the real Flask is
    imported (the extension reads the real Flask's context, which kolba does
    not set); else None."""
    hint = compat.real_flask_hint()
    if hint is None or not str(error).startswith("Working outside of"):
        return None
    where = [
        (frame.f_globals.get("__name__", "?"), line)
        for frame, line in traceback.walk_tb(error.__traceback__)
    ]
    raised = [(module, line) for module, line in where if module[:9] != "werkzeug."]
    said = str(error).partition("\n")[0].rstrip(".")
    if raised:
        said += " (in {}, line {})".format(*raised[-1])
    return click.ClickException(f"{said}.\n\n{hint}")


class _CommandAppContext:
    """The app context a command runs in; an error its teardown raises for
    want of the real Flask's context is said with advice, not a traceback."""

    def __init__(self, app: Flask) -> None:
        self.context = app.app_context()

    def __enter__(self) -> None:
        self.context.push()

    def __exit__(self, kind: t.Any, error: BaseException | None, tb: t.Any) -> None:
        try:
            self.context.pop(error)
        except RuntimeError as e:
            advice = _real_flask_advice(e)
            if advice is None:
                raise
            raise advice from None


def with_appcontext(f: F) -> F:
    """Run the command callback ``f`` inside the script's app context; a context
    that is already active (a test's, or the one the group pushed) is used."""

    @wraps(f)
    def in_app_context(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if _cv_ctx.get(_NO_CTX)[0] is None:
            ctx = click.get_current_context()
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(_CommandAppContext(app))
        return f(*args, **kwargs)

    return t.cast(F, in_app_context)


class AppGroup(click.Group):
    """A click group whose commands run in the app context (``app.cli``)."""

    @t.overload
    def command(self, __func: t.Callable[..., t.Any]) -> click.Command: ...

    @t.overload
    def command(
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command]: ...

    def command(
        self, *args: t.Any, **kwargs: t.Any
    ) -> click.Command | t.Callable[[t.Callable[..., t.Any]], click.Command]:
        """:meth:`click.Group.command`, the callback run by :func:`with_appcontext`
        unless ``with_appcontext=False`` is given."""
        in_context = kwargs.pop("with_appcontext", True)
        made = super().command(*args, **kwargs)

        def finish(command: click.Command) -> click.Command:
            if in_context and command.callback is not None:
                command.callback = with_appcontext(command.callback)
            return command

        if isinstance(made, click.Command):  # used bare: @group.command
            return finish(made)
        return lambda f: finish(made(f))


AppGroup.group_class = AppGroup  # its subgroups (@group.group()) are AppGroups too


def register_blueprint_commands(
    app: Flask, blueprint: Blueprint, cli_group: str | None = None
) -> None:
    """Add a blueprint's ``cli`` commands to ``app.cli``: merged in when
    ``cli_group`` is None, else as a group of that name."""
    if cli_group is None:
        app.cli.commands.update(blueprint.cli.commands)
        return
    group = copy.copy(blueprint.cli)
    group.name = cli_group
    app.cli.add_command(group)


# -- .env files ---------------------------------------------------------------


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Set environment variables from ``.env`` files; return whether any was read.

    The files, highest precedence first: ``path``, then ``.env``, ``.kolbaenv``
    and ``.flaskenv`` found from the current folder upwards (skipped when
    ``load_defaults`` is false or ``KOLBA_SKIP_DOTENV=1``). Variables already
    set are kept. Needs python-dotenv.
    """
    files = [os.fspath(path)] if path and os.path.isfile(path) else []
    defaults = load_defaults and get_load_dotenv()
    try:
        import dotenv
    except ImportError:
        if files or (defaults and any(map(os.path.isfile, _DOTENV_FILES))):
            click.secho(
                " * .env files are here, but reading them needs python-dotenv:"
                " pip install python-dotenv",
                fg="yellow",
                err=True,
            )
        return False
    if defaults:
        found = (dotenv.find_dotenv(name, usecwd=True) for name in _DOTENV_FILES)
        files.extend(filter(None, found))
    values = ChainMap(*(dotenv.dotenv_values(f, encoding="utf-8") for f in files))
    for key, value in values.items():  # each key from the first file that has it
        if value is not None:
            os.environ.setdefault(key, value)
    return bool(files)


_load_dotenv = load_dotenv  # reachable where a parameter shadows the name


# -- the group's options ------------------------------------------------------

_ENV_LOADED = "kolba.env_loaded"  # ctx.meta key: the .env files were read


def _load_env_files(
    ctx: click.Context, param: click.Parameter | None, path: str | None
) -> None:
    """Read the invocation's .env files, ``--env-file`` on top of the defaults."""
    ctx.meta[_ENV_LOADED] = True
    info = ctx.ensure_object(ScriptInfo)
    if path is not None or info.load_dotenv_defaults:
        load_dotenv(path, load_defaults=info.load_dotenv_defaults)


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value


_DEBUG_FLAG = "kolba.debug_flag"  # ctx.meta key: --debug/--no-debug was given


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    # Only a flag given on the command line overrides KOLBA_DEBUG and KOLBA_ENV.
    if value is not None:
        os.environ["KOLBA_DEBUG"] = "1" if value else "0"
        ctx.meta[_DEBUG_FLAG] = "--debug" if value else None


def _set_flask_compat(
    ctx: click.Context, param: click.Parameter, value: bool | None
) -> None:
    ctx.ensure_object(ScriptInfo).flask_compat = value


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    if not value or ctx.resilient_parsing:
        return
    # (Flask's own tests call it with a context that holds no ScriptInfo)
    ensure_object = getattr(ctx, "ensure_object", None)
    wanted = ensure_object is not None and _flask_compat_wanted(
        ensure_object(ScriptInfo).flask_compat
    )
    served = (
        f"Flask {compat.FLASK_VERSION} (served by kolba)\n"
        if compat.flask_compat_active() or wanted
        else ""
    )
    click.echo(
        f"Python {platform.python_version()}\n"
        f"kolba {_version('kolba')}\n{served}"
        f"Werkzeug {_version('werkzeug')}",
        color=ctx.color,
    )
    ctx.exit()


class _VersionOption(click.Option):
    """``--version``; ``--flask-compat``, which changes what it shows, is read
    first wherever it stands."""

    def handle_parse_result(
        self, ctx: click.Context, opts: t.Mapping[str, t.Any], args: list[str]
    ) -> tuple[t.Any, list[str]]:
        if opts.get("version"):
            for param in ctx.command.get_params(ctx):
                if param.callback is _set_flask_compat:
                    param.handle_parse_result(ctx, opts, [])
        return super().handle_parse_result(ctx, opts, args)


#: The ``--version`` option of the command (``flask.cli.version_option``).
version_option = _VersionOption(
    ["--version"],
    is_flag=True,
    is_eager=True,
    expose_value=False,
    allow_from_autoenv=False,
    callback=get_version,
    help="Show the kolba, Python and Werkzeug versions.",
)


def _group_options(version: bool) -> list[click.Parameter]:
    """The options of a KolbaGroup. All are eager, and run in this order: the
    .env files first, as they may name the app or turn on debug mode."""
    options: list[click.Parameter] = [
        click.Option(
            ["-e", "--env-file"],
            type=click.Path(exists=True, dir_okay=False),
            is_eager=True,
            expose_value=False,
            callback=_load_env_files,
            help="A file of environment variables to load; its values win over"
            " .env, .kolbaenv and .flaskenv, but not over variables already set."
            " Needs python-dotenv.",
        ),
        click.Option(
            ["-A", "--app"],
            metavar="IMPORT",
            envvar=_envvars("APP"),
            is_eager=True,
            expose_value=False,
            callback=_set_app,
            help="The application to load: a file or module, optionally with"
            " ':name' or ':factory(args)'. Default: KOLBA_APP, FLASK_APP, wsgi.py"
            " or app.py.",
        ),
        click.Option(
            ["--debug/--no-debug"],
            default=None,
            is_eager=True,
            expose_value=False,
            allow_from_autoenv=False,
            callback=_set_debug,
            help="Debug mode: the interactive debugger and the reloader. Default:"
            " KOLBA_DEBUG=1 or KOLBA_ENV=development.",
        ),
        click.Option(
            ["--flask-compat/--no-flask-compat"],
            default=None,
            envvar="KOLBA_FLASK_COMPAT",
            is_eager=True,
            expose_value=False,
            callback=_set_flask_compat,
            help="Serve 'import flask' (and flask.*) by kolba, so that a Flask app"
            " and its extensions run unchanged. Default: on when Flask is not"
            " installed. Also KOLBA_FLASK_COMPAT=1/0.",
        ),
    ]
    if version:
        options.append(version_option)
    return options


# -- run ----------------------------------------------------------------------


if t.TYPE_CHECKING:  # click.ParamType is generic from click 8.4 on
    _CertParamTypeBase = click.ParamType[str | ssl.SSLContext]
else:
    _CertParamTypeBase = click.ParamType


class SeparatedPathType(click.Path):
    """Paths separated by ``os.pathsep`` (``:`` on POSIX, ``;`` on Windows),
    each checked as :class:`click.Path` checks one (``exists=True`` ...)."""

    name = "list"

    def convert(  # type: ignore[override]  # one value in, a list of paths out
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> list[t.Any]:
        items = value if isinstance(value, list) else str(value).split(os.pathsep)
        one_path = super().convert
        return [one_path(item, param, ctx) for item in items if item]


class CertParamType(_CertParamTypeBase):
    """A certificate file, ``adhoc`` for a temporary self-signed one, or the
    import path of an :class:`ssl.SSLContext` (``module:name``, ``module.name``)."""

    name = "path"

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str | ssl.SSLContext:
        if isinstance(value, ssl.SSLContext):
            return value
        if value == "adhoc":
            try:
                import cryptography  # noqa: F401
            except ImportError:
                self.fail("'adhoc' certificates need the 'cryptography' package.")
            return "adhoc"
        path = click.Path(exists=True, dir_okay=False, resolve_path=True)
        try:
            return str(path.convert(value, param, ctx))
        except click.BadParameter as not_a_file:
            from werkzeug.utils import ImportStringError, import_string

            try:
                found = import_string(value.replace(":", "."))
            except ImportStringError:
                raise not_a_file from None
            if isinstance(found, ssl.SSLContext):
                return found
            self.fail(f"{value!r} is not a file nor an ssl.SSLContext.", param, ctx)


def _cert_with_key(ctx: click.Context, param: click.Parameter, key: str | None) -> None:
    """Check ``--key`` against ``--cert`` when the command line is parsed, and
    make ``cert`` the ``(cert, key)`` pair that ``run_simple`` takes."""
    cert = ctx.params.get("cert")
    if key and not cert:
        raise click.BadParameter('Needs "--cert" as well.', ctx, param)
    if cert == "adhoc" and key:
        raise click.BadParameter('Not used with "--cert adhoc".', ctx, param)
    if isinstance(cert, ssl.SSLContext):
        if key:
            message = 'Not used when "--cert" is an SSLContext.'
            raise click.BadParameter(message, ctx, param)
    elif cert and cert != "adhoc":
        if not key:
            raise click.BadParameter('Required with "--cert".', ctx, param)
        ctx.params["cert"] = (cert, key)


def _bind_error(host: str, port: int, error: OSError | None = None) -> str | None:
    """Why the server could not listen on host:port; test binding if no error."""
    if error is None and not host.startswith("unix://"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            *_, address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)[0]
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(address)
        except OSError as e:
            error = e
    if error is None:
        return None
    if error.errno == errno.EADDRINUSE:
        return (
            f"Port {port} is in use by another program. Either identify and stop"
            " that program, or start the server with a different port."
        )
    return f"Could not listen on {host}:{port}: {error.strerror or error}."


def _serve(app: t.Any, host: str, port: int, **options: t.Any) -> None:
    """Run werkzeug's development server, failing with a clear message (exit
    code 1, as Flask's) when it cannot listen."""
    if not is_running_from_reloader():
        message = _bind_error(host, port)
        if message:
            raise click.ClickException(message)
    try:
        werkzeug.serving.run_simple(host, port, app, **options)
    except OSError as e:
        raise click.ClickException(_bind_error(host, port, e) or str(e)) from None


def _show_server_banner(app_name: str, debug: bool, source: str | None) -> None:
    if not is_running_from_reloader():
        click.echo(f" * Serving kolba app {app_name!r}")
        where = f" (from {source})" if source else ""
        click.echo(f" * Debug mode: {'on' if debug else 'off'}{where}")


def _warn_of_a_public_debugger(host: str, use_debugger: bool) -> None:
    """Say so when the interactive debugger, which runs the code of whoever
    has its PIN, listens beyond this machine (``--host 0.0.0.0``)."""
    if not use_debugger or is_running_from_reloader():
        return
    if host.lower() == "localhost" or host.startswith("unix://"):
        return
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:  # a host name
        pass
    else:
        mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
        if address.is_loopback or (mapped is not None and mapped.is_loopback):
            return
    click.secho(
        f" * Warning: the interactive debugger listens on {host}: whoever"
        " reaches it and has the PIN runs code here. Serve debug mode on"
        " 127.0.0.1, or turn debug off.",
        fg="red",
        err=True,
    )


def show_server_banner(debug: bool, app_import_path: str | None) -> None:
    """Flask's name and signature for the line the server prints at start."""
    _show_server_banner(app_import_path or "", debug, None)


def run_application(
    app: Flask,
    host: str | None = None,
    port: int | None = None,
    debug: bool | None = None,
    load_dotenv: bool = True,
    **options: t.Any,
) -> None:
    """``app.run()``: serve the app with the development server.

    Host and port default to ``SERVER_NAME``, then 127.0.0.1:5000; ``options``
    go to :func:`werkzeug.serving.run_simple`. Does nothing when the ``kolba``
    command is already serving the app.
    """
    if os.environ.get("KOLBA_RUN_FROM_CLI") == "true":
        if not is_running_from_reloader():
            click.secho(
                " * Skipped app.run(): the 'kolba' command already serves this"
                " app.\n   Put app.run() under 'if __name__ == \"__main__\":' so"
                " that importing the module starts no server.",
                fg="red",
                err=True,
            )
        return
    # As Flask: only KOLBA_DEBUG/FLASK_DEBUG; *_ENV is the kolba command's
    # (a leftover FLASK_ENV=development turns no debugger on here).
    if load_dotenv:
        _load_dotenv()
        if _env("DEBUG"):
            app.debug = _debug_source() is not None
    if debug is not None:
        app.debug = bool(debug)
    server_host, _, server_port = (app.config.get("SERVER_NAME") or "").partition(":")
    host = host or server_host or "127.0.0.1"
    port = int(port) if port or port == 0 else int(server_port or 5000)
    options.setdefault("use_reloader", app.debug)
    options.setdefault("use_debugger", app.debug)
    options.setdefault("threaded", True)
    source = None
    if debug is not None:
        source = "app.run(debug=...)"
    elif app.debug:
        # (a *_DEBUG variable read now, or as the app was made)
        source = (_env("DEBUG") and _debug_source()) or "app.debug"
    _show_server_banner(app.name, app.debug, source)
    # (without evalex the debugger shows tracebacks and runs no code)
    _warn_of_a_public_debugger(
        host, options["use_debugger"] and options.get("use_evalex", True)
    )
    # Looked up now, and nothing bound before it, as Flask does: tools and
    # tests patch werkzeug.serving.run_simple; a port in use is its message.
    werkzeug.serving.run_simple(host, port, app, **options)


def _failed_app(error: BaseException) -> t.Callable[..., t.Any]:
    """A WSGI app re-raising a load error, so the reloader can wait for a fix."""

    def app(environ: t.Any, start_response: t.Any) -> t.Any:
        raise error from None

    return app


@click.command("run", short_help="Serve the app with the development server.")
@click.option(
    "--host",
    "-h",
    default="127.0.0.1",
    envvar=_envvars("RUN_HOST"),
    show_default=True,
    help="The address to listen on.",
)
@click.option(
    "--port",
    "-p",
    default=5000,
    type=int,
    envvar=_envvars("RUN_PORT"),
    show_default=True,
    help="The TCP port to listen on.",
)
@click.option(
    "--cert",
    type=CertParamType(),
    is_eager=True,  # --key, checked against it, may come first
    envvar=_envvars("RUN_CERT"),
    help="A certificate file for HTTPS, or 'adhoc'.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    envvar=_envvars("RUN_KEY"),
    expose_value=False,
    callback=_cert_with_key,
    help="The key file for '--cert'.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    envvar=_envvars("RUN_RELOAD"),
    help="Restart when code changes. Default: on in debug mode.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    envvar=_envvars("RUN_DEBUGGER"),
    help="The interactive debugger. Default: on in debug mode.",
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    envvar=_envvars("RUN_WITH_THREADS"),
    show_default=True,
    help="Handle each request in a thread.",
)
@click.option(
    "--extra-files",
    type=SeparatedPathType(),
    default=None,
    envvar=_envvars("RUN_EXTRA_FILES"),
    help=f"More files the reloader watches, separated by {os.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    type=SeparatedPathType(),
    default=None,
    envvar=_envvars("RUN_EXCLUDE_PATTERNS"),
    help=f"fnmatch patterns the reloader ignores, separated by {os.pathsep!r}.",
)
@click.option(
    "--debug/--no-debug",
    default=None,
    expose_value=False,
    allow_from_autoenv=False,
    callback=_set_debug,
    help="Debug mode, as 'kolba --debug run' (Flask 3.1 takes it here too).",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    cert: t.Any,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run the development server (not for production)."""
    meta = click.get_current_context().meta
    source = meta[_DEBUG_FLAG] if _DEBUG_FLAG in meta else _debug_source()
    debug = source is not None
    try:
        app: t.Any = info.load_app()
    except Exception as e:
        if not is_running_from_reloader():
            raise
        # An edit broke the app: report it and serve the error until it is fixed.
        if isinstance(e, click.ClickException):
            click.echo(f"Error: {e.format_message()}", err=True)
        else:
            traceback.print_exc()
        # (the debugger shows the app's own error and frames, not kolba's)
        app = _failed_app(getattr(e, "error", None) or e)
    else:
        _show_server_banner(info.app_import_path or app.name, debug, source)
    _warn_of_a_public_debugger(host, debug if debugger is None else debugger)
    _serve(
        app,
        host,
        port,
        use_reloader=debug if reload is None else reload,
        use_debugger=debug if debugger is None else debugger,
        threaded=with_threads,
        ssl_context=cert,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
    )


# -- routes -------------------------------------------------------------------


@click.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    default="endpoint",
    show_default=True,
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    help="Sort by this column; 'match' is the order rules are matched in.",
)
@click.option(
    "--all-methods", is_flag=True, help="Include the automatic HEAD and OPTIONS."
)
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show the routes of the app: endpoint, methods and rule."""
    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return

    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    by_host = getattr(current_app.url_map, "host_matching", False)
    rows = [
        (
            rule.endpoint,
            ", ".join(sorted((rule.methods or set()) - hidden)),
            (rule.host if by_host else rule.subdomain) or "",
            rule.rule,
        )
        for rule in rules
    ]
    headers = ("Endpoint", "Methods", "Host" if by_host else "Subdomain", "Rule")
    keep = [0, 1, 3] if not any(row[2] for row in rows) else [0, 1, 2, 3]
    # As Flask: a stable sort on the column alone; "match", or "domain" with
    # no domain column, keeps the url map's order.
    column = ("endpoint", "methods", "domain", "rule", "match").index(sort)
    if column in keep:
        rows.sort(key=lambda row: row[column])
    table = [[headers[i] for i in keep]] + [[row[i] for i in keep] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(keep))]
    table.insert(1, ["-" * w for w in widths])
    for line in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))


# -- shell --------------------------------------------------------------------


@click.group("sessions", short_help="Manage server-side sessions.")
def sessions() -> None:
    """Manage the server-side sessions of SESSION_STORE."""


@sessions.command("cleanup")
@with_appcontext
def sessions_cleanup_command() -> None:
    """Remove every expired session from the store."""
    from .sessions import session_store

    store = session_store(current_app)
    if store is None:
        raise click.UsageError(
            "The app keeps sessions in signed cookies (SESSION_STORE is not"
            " set): there is no store to clean up."
        )
    click.echo(f"Removed {store.cleanup()} expired sessions.")


# An app's own 'sessions' command or blueprint wins: kolba's is also this one.
_kolba_sessions = copy.copy(sessions)
_kolba_sessions.name, _kolba_sessions.hidden = "kolba-sessions", True


@click.command("shell", short_help="Open a Python console inside the app context.")
@with_appcontext
def shell_command() -> None:
    """Open Python's console inside the app context; ``app``, ``g`` and the
    names of the shell context processors are predefined, and the file named by
    ``PYTHONSTARTUP`` runs first."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\n"
        f"Instance: {app.instance_path}"
    )
    namespace: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as f:
            exec(compile(f.read(), startup, "exec"), namespace)
    namespace.update(app.make_shell_context())

    hook = getattr(sys, "__interactivehook__", None)
    if hook is not None and sys.stdin.isatty():
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(namespace).complete)
        hook()
    import code  # (imported here: an app may be a module named code)

    code.interact(banner=banner, local=namespace)


# -- the kolba command --------------------------------------------------------


def _app_or_report(ctx: click.Context, report: bool = True) -> Flask | None:
    """The script's app; None, after saying why on stderr if ``report``, if it
    cannot be found (the built-in commands stay usable). An app whose own code
    raised fails the command (_AppFailed), not said to have no such command."""
    try:
        return ctx.ensure_object(ScriptInfo).load_app()
    except _AppFailed:
        raise
    except NoAppException as e:
        if report:
            _report(e)
        return None


def _report(error: click.ClickException) -> None:
    click.secho(f"Error: {error.format_message()}\n", err=True, fg="red")


class KolbaGroup(AppGroup):
    """The ``kolba`` command: default commands, plugin commands and the app's
    own ``app.cli`` commands, with ``--app``, ``--debug``, ``--env-file`` and
    ``--version``. Use it for a custom management script."""

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Flask] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params = [*extra.pop("params", ()), *_group_options(add_version_option)]
        settings = extra.setdefault("context_settings", {})
        settings.setdefault("auto_envvar_prefix", "KOLBA")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        self._plugins_pending = True
        if add_default_commands:
            for command in (run_command, shell_command, routes_command, sessions):
                self.add_command(command)
            self.add_command(_kolba_sessions)
        _read_flask_envvars(self)

    def _add_plugin_commands(self, ctx: click.Context) -> None:
        """Add the commands that installed packages declare as entry points,
        when first needed: ``kolba.commands``, and ``flask.commands`` only
        while ``import flask`` gives kolba (a Flask extension's command then
        runs on kolba; otherwise it would import the real Flask). Whether it
        does is decided first. kolba's commands win a name clash."""
        if not self._plugins_pending:
            return
        if self.create_app is None:
            _use_flask_compat(ctx.ensure_object(ScriptInfo).flask_compat)
        groups = ["kolba.commands"]
        if compat.flask_compat_active():
            groups.insert(0, "flask.commands")
        for group in groups:
            for entry_point in importlib.metadata.entry_points(group=group):
                self.add_command(entry_point.load(), entry_point.name)
        self._plugins_pending = False

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A built-in or plugin command; else the app is loaded and its own
        command is looked up, to run in the app's context."""
        self._add_plugin_commands(ctx)
        command = super().get_command(ctx, name)
        if command is None:
            command = self._app_command(ctx, name, report=True)
        elif command is sessions:  # (Flask has no 'sessions')
            try:
                command = self._app_command(ctx, name, report=False) or command
            except Exception:  # the app's error is kolba's command's to say
                pass
        return None if command is None else _read_flask_envvars(command)

    def _app_command(
        self, ctx: click.Context, name: str, report: bool
    ) -> click.Command | None:
        """The app's own command ``name``, its app context pushed. An app not
        found is None, said on stderr if ``report``."""
        app = _app_or_report(ctx, report)
        if app is None:
            return None
        active = _cv_ctx.get(_NO_CTX)[0]
        if active is None or active.app is not app:
            ctx.with_resource(_CommandAppContext(app))
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The built-in, plugin and app commands, sorted."""
        self._add_plugin_commands(ctx)
        if not ctx.meta.get(_ENV_LOADED):  # --help ran before the other options
            _load_env_files(ctx, None, None)
            info = ctx.ensure_object(ScriptInfo)
            info.app_import_path = info.app_import_path or _env("APP")
        names = set(super().list_commands(ctx))
        try:
            app = _app_or_report(ctx)
        except _AppFailed as e:  # --help still lists the rest
            _report(e)
            app = None
        except Exception:  # a failing factory: --help still lists the rest
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
            app = None
        if app is not None:
            names.update(app.cli.list_commands(ctx))
        return sorted(names)

    def invoke(self, ctx: click.Context) -> t.Any:
        """Run the command; a Flask extension's error for want of the real
        Flask's context is said with advice, not a traceback."""
        try:
            return super().invoke(ctx)
        except RuntimeError as e:
            advice = _real_flask_advice(e)
            if advice is None:
                raise
            raise advice from None

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        """Start an invocation: ``app.run()`` becomes a no-op (an unguarded call
        would block the command) and, unless the caller gives its own ``obj``,
        a fresh ScriptInfo carries this group's settings.

        The no-op is ``KOLBA_RUN_FROM_CLI`` in the environment, as Flask's is;
        it is put back as it was when the invocation ends, so that a command
        invoked in-process (tests, ``CliRunner``) leaves the process as it found
        it."""
        previous = os.environ.get("KOLBA_RUN_FROM_CLI")

        def restore() -> None:
            if previous is None:
                os.environ.pop("KOLBA_RUN_FROM_CLI", None)
            else:
                os.environ["KOLBA_RUN_FROM_CLI"] = previous

        os.environ["KOLBA_RUN_FROM_CLI"] = "true"
        if "obj" not in {**self.context_settings, **extra}:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except BaseException as e:  # a usage error, or click's Exit (--help)
            # click leaves a context whose parsing failed (or that showed the help
            # for no arguments) open, with the app context the listing pushed.
            if isinstance(e, click.UsageError) and e.ctx and e.ctx.command is self:
                e.ctx.close()
            restore()
            raise
        ctx.call_on_close(restore)
        return ctx


FlaskGroup = KolbaGroup


def __getattr__(name: str) -> t.Any:
    # KolbaCliRunner's click.testing imports pdb, cmd, glob, shlex and signal,
    # names an app's module may have: imported when first used.
    if name == "KolbaCliRunner":
        from ._cli_runner import KolbaCliRunner

        return KolbaCliRunner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


cli = KolbaGroup(
    name="kolba",
    help="""Run and manage a kolba application.

    The application is found from '--app', the KOLBA_APP (or FLASK_APP)
    variable, or a 'wsgi.py' or 'app.py' file in the current folder. It can be
    a file or module, with ':name' or ':factory(args)' to pick the app.
    '--debug' (or KOLBA_DEBUG=1, KOLBA_ENV=development) turns on debug mode.
    """,
)


def main() -> None:
    """The ``kolba`` console script."""
    cli.main()
