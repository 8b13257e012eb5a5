"""What the app and blueprints share: routes, hooks, error handlers, folders."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import typing as t
import weakref
from collections import defaultdict
from functools import cached_property

from werkzeug.exceptions import HTTPException, default_exceptions

from .helpers import _after_changes, get_root_path

if t.TYPE_CHECKING:
    from jinja2 import BaseLoader

    from . import typing as ft
    from .cli import AppGroup
    from .sansio.scaffold import (
        T_after_request,
        T_before_request,
        T_error_handler,
        T_route,
        T_serving,
        T_teardown,
        T_template_context_processor,
        T_url_defaults,
        T_url_value_preprocessor,
        T_websocket_route,
    )
    from .wrappers import Response

    # functions registered per scope: None for the app, else a blueprint's name
    _Registry = dict[str | None, list[t.Callable[..., t.Any]]]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def setupmethod(f: F) -> F:
    """Mark a registration method: it may not be called once the app has
    handled its first request."""

    def wrapper(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(f.__name__)
        return f(self, *args, **kwargs)

    wrapper.__name__ = f.__name__
    wrapper.__doc__ = f.__doc__
    wrapper.__wrapped__ = f  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


_Changed = weakref.WeakMethod  # a registry's owner, told when it changes


def _tell(changed: _Changed[t.Callable[..., None]], foreign: bool = False) -> None:
    method = changed()
    if method is not None:
        method(foreign)


class _HookList(list[t.Callable[..., t.Any]]):
    """A hook registry's list of functions that tells its owner when it
    changes: the app builds the hooks a request runs once, and extensions may
    change a list in place, even while the app serves
    (``app.after_request_funcs[None].append(f)``)."""

    __slots__ = ("changed",)

    def __init__(
        self, changed: _Changed[t.Callable[..., None]], funcs: t.Iterable[t.Any] = ()
    ) -> None:
        super().__init__(funcs)
        self.changed = changed

    def __reduce__(self) -> tuple[t.Any, ...]:
        return (list, (list(self),))  # a copy is a plain list, as list.copy()


_after_changes(
    _HookList,
    (
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "clear",
        "sort",
        "reverse",
        "__setitem__",
        "__delitem__",
        "__iadd__",
        "__imul__",
    ),
    lambda funcs: _tell(funcs.changed),
)


class _HookRegistry(defaultdict[str | None, list[t.Callable[..., t.Any]]]):
    """A hook registry (scope name to functions) that tells its owner, held
    weakly, when it or one of its lists changes. A list stored in it is kept
    as given, as in a dict; one that is not its own kind (which would change
    untold) tells the owner that it is foreign."""

    def __init__(self, changed: t.Callable[..., None]) -> None:
        ref = weakref.WeakMethod(changed)
        super().__init__(lambda: _HookList(ref))
        self.changed = ref

    def __setitem__(self, key: str | None, funcs: list[t.Callable[..., t.Any]]) -> None:
        super().__setitem__(key, funcs)
        _tell(self.changed, not self.owns(funcs))

    def owns(self, funcs: object) -> bool:
        """Whether ``funcs`` is a list that tells this registry's owner."""
        return isinstance(funcs, _HookList) and funcs.changed == self.changed

    def __delitem__(self, key: str | None) -> None:
        super().__delitem__(key)
        _tell(self.changed)

    def setdefault(
        self, key: str | None, default: list[t.Callable[..., t.Any]] | None = None
    ) -> list[t.Callable[..., t.Any]]:
        if key not in self:
            if default is None:
                return self[key]  # (a list of its own, made by __missing__)
            self[key] = default
        return self[key]

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        for key, funcs in dict(*args, **kwargs).items():
            self[key] = funcs

    def __ior__(self, other: t.Any) -> _HookRegistry:  # type: ignore[override,misc]
        self.update(other)
        return self

    def pop(self, *args: t.Any) -> t.Any:
        rv = super().pop(*args)
        _tell(self.changed)
        return rv

    def popitem(self) -> tuple[str | None, list[t.Callable[..., t.Any]]]:
        rv = super().popitem()
        _tell(self.changed)
        return rv

    def clear(self) -> None:
        super().clear()
        _tell(self.changed)

    def copy(self) -> defaultdict[str | None, list[t.Callable[..., t.Any]]]:  # type: ignore[override]
        """A plain ``defaultdict(list)`` (as Flask's registries are) of the
        same lists; ``copy.copy()`` and ``copy.deepcopy()`` make one too."""
        return defaultdict(list, self)

    __copy__ = copy  # type: ignore[assignment]

    def __reduce__(self) -> tuple[t.Any, ...]:
        return (defaultdict, (list,), None, None, iter(self.items()))


def _funcs(
    registry: dict[str | None, list[t.Callable[..., t.Any]]], key: str | None
) -> list[t.Callable[..., t.Any]]:
    """The list of functions registered under ``key``, made if missing, of the
    registry's own kind (kolba's registration adds no foreign list)."""
    if isinstance(registry, _HookRegistry):
        return registry[key]
    return registry.setdefault(key, [])


class _Removed:
    """An attribute Flask 3 no longer has: reading it raises the
    AttributeError that Flask's absence raises (``hasattr`` is False), with
    what to use instead."""

    def __init__(self, instead: str) -> None:
        self.instead = instead

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> t.NoReturn:
        what = f"'{type(obj).__name__}' object" if obj is not None else "The class"
        raise AttributeError(
            f"{what} has no attribute '{self.name}': Flask 3 removed it;"
            f" {self.instead}"
        )


_FIRST_REQUEST = (
    "run one-time setup where the app is made (in create_app, inside"
    " 'with app.app_context():')."
)
_JSON = (
    "JSON is customised through app.json: set json_provider_class to a"
    " DefaultJSONProvider subclass."
)


class Scaffold:
    """Registries keyed by scope: ``None`` for the app, a name for a blueprint.

    Each registry is empty until something is registered, so the request
    loop can skip a feature nobody uses with one truth test.
    """

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path
        self.view_functions: dict[str, t.Callable[..., t.Any]] = {}
        # defaultdicts, as in Flask: extensions index them with any key
        # (``app.after_request_funcs[None]``); kolba's own code only reads
        # them with .get(), so a key without functions is never made here.
        self.error_handler_spec: dict[
            str | None,
            dict[int | None, dict[type[BaseException], t.Callable[..., t.Any]]],
        ] = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs = self._hook_registry()
        self.after_request_funcs = self._hook_registry()
        self.teardown_request_funcs = self._hook_registry()
        self.template_context_processors = self._hook_registry()
        self.url_value_preprocessors = self._hook_registry()
        self.url_default_functions: _Registry = defaultdict(list)
        self.before_websocket_funcs: _Registry = defaultdict(list)
        self.after_websocket_funcs: _Registry = defaultdict(list)

    def _hook_registry(self) -> _Registry:
        """A registry of the request hooks (before, after, teardown, URL value
        preprocessors, context processors)."""
        return defaultdict(list)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    @property
    def cli(self) -> AppGroup:
        """A click group for custom commands (``@app.cli.command()``); a
        blueprint's commands join the app's when it is registered. Made on
        first use, so that click is imported only by apps that have commands."""
        cli = self.__dict__.get("_cli")
        if cli is None:
            from .cli import AppGroup

            cli = self.__dict__["_cli"] = AppGroup(self.name)
        return cli

    # folders -----------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or None."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether there is a static folder (and so a ``static`` route)."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix of the static route (default: ``/`` + folder name)."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """``SEND_FILE_MAX_AGE_DEFAULT`` (seconds or timedelta); None means
        the browser revalidates with conditional requests."""
        from .globals import current_app

        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if hasattr(value, "total_seconds"):
            return int(value.total_seconds())
        return value  # type: ignore[no-any-return]

    def send_static_file(self, filename: str) -> Response:
        """The view of the ``static`` route: a file from the static folder."""
        from .helpers import send_from_directory

        if not self.has_static_folder:
            raise RuntimeError(
                f"{self!r} has no static folder (static_folder=None) to serve from."
            )
        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(
            t.cast(str, self.static_folder), filename, max_age=max_age
        )

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """A loader for ``template_folder``, made on first use."""
        if self.template_folder is None:
            return None
        from jinja2 import FileSystemLoader

        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.AnyStr]:
        """Open a file relative to ``root_path`` for reading."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError(
                "open_resource() opens files for reading only; write files in"
                " the instance folder with open_instance_resource()."
            )
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    # routes ------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[T_route], T_route]:
        if "methods" in options:
            raise TypeError(
                f"{method.lower()}() sets the method itself; for several methods"
                " use route(rule, methods=[...])."
            )
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def get(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route()`` with ``methods=["GET"]``."""
        return self._method_route("GET", rule, options)

    @setupmethod
    def post(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route()`` with ``methods=["POST"]``."""
        return self._method_route("POST", rule, options)

    @setupmethod
    def put(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route()`` with ``methods=["PUT"]``."""
        return self._method_route("PUT", rule, options)

    @setupmethod
    def delete(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route()`` with ``methods=["DELETE"]``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def patch(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route()`` with ``methods=["PATCH"]``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def route(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Register the decorated function as the view of a URL rule.

        The endpoint defaults to the function's name; ``methods`` defaults to
        ``["GET"]``; other options go to :class:`~kolba.routing.Rule`.
        """

        def decorator(f: T_route) -> T_route:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Register the decorated function as the view of ``endpoint``."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # hooks ---------------------------------------------------------------

    @setupmethod
    def before_request(self, f: T_before_request) -> T_before_request:
        """Run ``f()`` before each request; a non-None return is the response."""
        _funcs(self.before_request_funcs, None).append(f)
        return f

    @setupmethod
    def after_request(self, f: T_after_request) -> T_after_request:
        """Run ``f(response)`` after each request; it returns the response."""
        _funcs(self.after_request_funcs, None).append(f)
        return f

    @setupmethod
    def teardown_request(self, f: T_teardown) -> T_teardown:
        """Run ``f(error)`` when the request context ends, even after an error."""
        _funcs(self.teardown_request_funcs, None).append(f)
        return f

    @setupmethod
    def websocket(
        self, rule: str, **options: t.Any
    ) -> t.Callable[[T_websocket_route], T_websocket_route]:
        """Register an ``async def`` view for WebSocket connections to ``rule``
        (served under ASGI; plain HTTP requests to it get a 426)."""

        def decorator(f: T_websocket_route) -> T_websocket_route:
            from .asgi import websocket_view

            endpoint = options.pop("endpoint", None)
            view = websocket_view(f)
            self.add_url_rule(
                rule, endpoint, view, methods=["GET"], websocket=True, **options
            )
            return f

        return decorator

    @setupmethod
    def before_websocket(self, f: T_before_request) -> T_before_request:
        """Run ``f()`` before each WebSocket view (after the URL is matched)."""
        _funcs(self.before_websocket_funcs, None).append(f)
        return f

    @setupmethod
    def after_websocket(self, f: T_serving) -> T_serving:
        """Run ``f()`` after each WebSocket view, before the connection closes."""
        _funcs(self.after_websocket_funcs, None).append(f)
        return f

    @setupmethod
    def context_processor(
        self, f: T_template_context_processor
    ) -> T_template_context_processor:
        """``f()`` returns a dict of names for every template's context."""
        _funcs(self.template_context_processors, None).append(f)
        return f

    @setupmethod
    def url_value_preprocessor(
        self, f: T_url_value_preprocessor
    ) -> T_url_value_preprocessor:
        """Run ``f(endpoint, view_args)`` before the view; it may edit the args."""
        _funcs(self.url_value_preprocessors, None).append(f)
        return f

    @setupmethod
    def url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """Run ``f(endpoint, values)`` in ``url_for``; it may add values."""
        _funcs(self.url_default_functions, None).append(f)
        return f

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """Register the decorated function for an HTTP status code or an
        exception class (and its subclasses)."""

        def decorator(f: T_error_handler) -> T_error_handler:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[Exception] | int, f: ft.ErrorHandlerCallable
    ) -> None:
        """The non-decorator form of :meth:`errorhandler`."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec.setdefault(None, {}).setdefault(code, {})[exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        key: type[Exception] | int,
    ) -> tuple[type[Exception], int | None]:
        """The exception class and the status code (None for a class that is
        not an HTTP error) that a handler for ``key`` is registered under."""
        if isinstance(key, int):
            if key not in default_exceptions:
                raise ValueError(
                    f"{key} is not an HTTP error status werkzeug knows; register"
                    " the handler for an HTTPException subclass with that code."
                )
            key = default_exceptions[key]
        if isinstance(key, BaseException):
            raise TypeError(
                f"Error handlers are registered for exception classes, but"
                f" {key!r} is an instance; pass type(...) or the class."
            )
        if not isinstance(key, type):
            raise TypeError(
                f"{key!r} is not an exception class; error handlers take an"
                " exception class or an HTTP status code."
            )
        if not issubclass(key, Exception):
            raise ValueError(
                f"'{getattr(key, '__name__', key)}' is not a subclass of Exception;"
                " error handlers take an exception class or an HTTP status code."
            )
        return key, key.code if issubclass(key, HTTPException) else None


def _registering(add: t.Callable[..., None], name: str | None) -> t.Callable[[F], F]:
    """A decorator that registers ``f`` with ``add(f, name=name)`` and returns it."""

    def decorator(f: F) -> F:
        add(f, name=name)
        return f

    return decorator


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any] | None) -> str:
    """The default endpoint: the view function's name."""
    if view_func is None:
        raise AssertionError(  # (Flask's kind: an assert)
            "add_url_rule() needs an endpoint or a view function."
        )
    return view_func.__name__


def find_package(import_name: str) -> tuple[str | None, str]:
    """Where a module or package lives: (install prefix or None, folder).

    It counts as installed when the folder is under ``sys.prefix`` or is a
    ``site-packages``/``dist-packages`` folder (of another environment too)."""
    folder = _package_folder(import_name)
    prefix = os.path.abspath(sys.prefix)
    if pathlib.PurePath(folder).is_relative_to(prefix):
        return prefix, folder
    parent, name = os.path.split(folder)
    if name.lower() not in {"site-packages", "dist-packages"}:
        return None, folder
    above, above_name = os.path.split(parent)
    if above_name.lower() == "lib":  # PREFIX/lib/site-packages (Windows)
        return above, folder
    if os.path.basename(above).lower() == "lib":  # PREFIX/lib/pythonX.Y/...
        return os.path.dirname(above), folder
    return parent, folder  # PREFIX/site-packages


def _package_folder(import_name: str) -> str:
    """The folder holding the top-level module or package of ``import_name``
    (for a namespace package: the portion that holds ``import_name``)."""
    spec = _find_spec(import_name.partition(".")[0])
    if spec is None or spec.origin in {"built-in", "frozen"}:
        return os.getcwd()
    portions = spec.submodule_search_locations
    if not portions:  # a module
        return os.path.dirname(spec.origin or "")
    if spec.origin not in {None, "namespace"}:  # a package with an __init__.py
        return os.path.dirname(os.path.dirname(spec.origin or ""))
    portions = list(portions)
    inner = _find_spec(import_name)
    where = None
    if inner is not None:
        where = inner.origin
        if where in {None, "namespace"} and inner.submodule_search_locations:
            where = next(iter(inner.submodule_search_locations))
    for portion in portions:
        if where and pathlib.PurePath(where).is_relative_to(portion):
            return os.path.dirname(portion)
    return os.path.dirname(portions[0])


def _find_spec(name: str) -> importlib.machinery.ModuleSpec | None:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
