"""Blueprints: groups of routes, hooks and handlers registered on an app later."""

from __future__ import annotations

import os
import typing as t

from .scaffold import (
    _FIRST_REQUEST,
    _JSON,
    Scaffold,
    _endpoint_from_view_func,
    _funcs,
    _registering,
    _Removed,
    setupmethod,
)

if t.TYPE_CHECKING:
    from . import typing as ft
    from .app import Flask
    from .sansio.scaffold import (
        T_after_request,
        T_before_request,
        T_error_handler,
        T_teardown,
        T_template_context_processor,
        T_template_test,
        T_url_defaults,
        T_url_value_preprocessor,
    )

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]
_sentinel = object()  # cli_group not given: a command group named as registered


class BlueprintSetupState:
    """What one registration of a blueprint on an app knows: the app, the
    options, and the prefix, subdomain and name to apply."""

    def __init__(
        self,
        blueprint: Blueprint,
        app: Flask,
        options: dict[str, t.Any],
        first_registration: bool,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        self.subdomain = _given_or_own(options, "subdomain", blueprint)
        self.url_prefix = _given_or_own(options, "url_prefix", blueprint)
        self.name = self.options.get("name", blueprint.name)
        self.name_prefix = self.options.get("name_prefix", "")
        self.url_defaults = dict(self.blueprint.url_values_defaults)
        self.url_defaults.update(self.options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        **options: t.Any,
    ) -> None:
        """Add a rule to the app with the blueprint's prefix, subdomain and name."""
        if self.url_prefix is not None:
            rule = _join_paths(self.url_prefix, rule) if rule else self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            self._qualified(endpoint),
            view_func,
            defaults=defaults,  # a dict, empty or not, as Flask gives werkzeug
            **options,
        )

    def _qualified(self, endpoint: str) -> str:
        """``endpoint`` under this registration's dotted blueprint name."""
        return f"{self.name_prefix}.{self.name}.{endpoint}".lstrip(".")


def _given_or_own(options: dict[str, t.Any], key: str, blueprint: Blueprint) -> t.Any:
    """A registration option, or the blueprint's own value when it is None."""
    value = options.get(key)
    return getattr(blueprint, key) if value is None else value


def _join_paths(outer: str, inner: str) -> str:
    return f"{outer.rstrip('/')}/{inner.lstrip('/')}"


def _nest_path(outer: str | None, inner: str | None) -> str | None:
    """A nested blueprint's URL prefix inside its parent's (either may be None)."""
    if outer is None or inner is None:
        return inner if outer is None else outer
    return _join_paths(outer, inner)


def _nest_subdomain(outer: str | None, inner: str | None) -> str | None:
    """A nested blueprint's subdomain under its parent's (either may be None)."""
    if outer is None or inner is None:
        return inner if outer is None else outer
    return f"{inner}.{outer}"


class Blueprint(Scaffold):
    """A set of routes and hooks to register on an app, under a name and
    optionally a URL prefix or subdomain. Its endpoints are ``name.view``."""

    _got_registered_once = False
    # Flask 3 removed these: reading one says what replaced it.
    before_app_first_request = _Removed(_FIRST_REQUEST)
    json_encoder = _Removed(_JSON)
    json_decoder = _Removed(_JSON)

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = t.cast(str, _sentinel),
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("A blueprint needs a name; got an empty one.")
        if "." in name:
            raise ValueError(
                f"Blueprint name {name!r} contains a dot; dots"
                " separate the names of nested blueprints."
            )
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = url_defaults or {}
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"Too late to call '{f_name}' on blueprint '{self.name}': it has"
                " already been registered on an app, which would not see the"
                " change. Set a blueprint up completely before registering it."
            )

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.AnyStr]:
        """Open a file relative to the blueprint's ``root_path`` for reading
        (text as UTF-8 by default, as Flask's blueprints)."""
        return super().open_resource(resource, mode, encoding)

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` each time the blueprint is registered."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` on the first registration only."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(wrapper)

    def make_setup_state(
        self, app: Flask, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """What the deferred functions of one registration get as ``state``."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest a blueprint in this one; it is registered along with it."""
        if blueprint is self:
            raise ValueError(f"Blueprint '{self.name}' cannot be nested in itself.")
        self._blueprints.append((blueprint, options))

    def register(self, app: Flask, options: dict[str, t.Any]) -> None:
        """Called by ``app.register_blueprint``: add everything to the app."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            which = "this" if app.blueprints[name] is self else "another"
            raise ValueError(
                f"The app already has {which} blueprint named '{name}'; register"
                " this one under a name of its own with name='...'."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)

        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        if first_bp_registration or first_name_registration:
            self._merge_registries(app, name)
        for deferred in self.deferred_functions:
            deferred(state)

        if self.__dict__.get("_cli") is not None and self.cli.commands:
            from .cli import register_blueprint_commands

            cli_group = options.get("cli_group", self.cli_group)
            if cli_group is _sentinel:
                cli_group = self_name
            register_blueprint_commands(app, self, cli_group)

        for blueprint, bp_options in self._blueprints:
            nested = {**bp_options, "name_prefix": name}
            for key, join in (
                ("subdomain", _nest_subdomain),
                ("url_prefix", _nest_path),
            ):
                value = join(
                    getattr(state, key), _given_or_own(bp_options, key, blueprint)
                )
                if value is not None:
                    nested[key] = value
            blueprint.register(app, nested)

    def _merge_registries(self, app: Flask, name: str) -> None:
        """Copy this blueprint's handlers and hooks into the app under ``name``."""
        for key, value in self.error_handler_spec.items():
            key = name if key is None else f"{name}.{key}"
            target = app.error_handler_spec.setdefault(key, {})
            for code, handlers in value.items():
                target.setdefault(code, {}).update(handlers)
        for attr in (
            "before_request_funcs",
            "after_request_funcs",
            "teardown_request_funcs",
            "before_websocket_funcs",
            "after_websocket_funcs",
            "url_default_functions",
            "url_value_preprocessors",
            "template_context_processors",
        ):
            for key, funcs in getattr(self, attr).items():
                if funcs:  # an empty list, made by indexing, registers nothing
                    key = name if key is None else f"{name}.{key}"
                    _funcs(getattr(app, attr), key).extend(funcs)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a rule; it is added to the app when the blueprint is registered."""
        if endpoint and "." in endpoint:
            raise ValueError(
                f"The endpoint {endpoint!r} contains a dot; the"
                " blueprint adds its own 'name.' prefix."
            )
        if view_func and hasattr(view_func, "__name__") and "." in view_func.__name__:
            raise ValueError(
                f"View function name {view_func.__name__!r}"
                " contains a dot; pass endpoint='...' without one."
            )
        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Register the decorated function as the view of ``name.endpoint``
        (a rule added with ``add_url_rule(rule, endpoint)`` and no view), and,
        as in Flask, of the app's own ``endpoint``."""

        def decorator(f: F) -> F:
            def register(state: BlueprintSetupState) -> None:
                state.app.view_functions[state._qualified(endpoint)] = f
                state.app.view_functions[endpoint] = f

            self.record(register)
            return f

        return decorator

    # app-wide forms ----------------------------------------------------------

    def _app_registry(self, attr: str, f: F) -> F:
        self.record_once(lambda s: _funcs(getattr(s.app, attr), None).append(f))
        return f

    @setupmethod
    def before_app_request(self, f: T_before_request) -> T_before_request:
        """``before_request`` for every request of the app."""
        return self._app_registry("before_request_funcs", f)

    @setupmethod
    def after_app_request(self, f: T_after_request) -> T_after_request:
        """``after_request`` for every request of the app."""
        return self._app_registry("after_request_funcs", f)

    @setupmethod
    def teardown_app_request(self, f: T_teardown) -> T_teardown:
        """``teardown_request`` for every request of the app."""
        return self._app_registry("teardown_request_funcs", f)

    @setupmethod
    def app_context_processor(
        self, f: T_template_context_processor
    ) -> T_template_context_processor:
        """``context_processor`` for every template of the app."""
        return self._app_registry("template_context_processors", f)

    @setupmethod
    def app_url_value_preprocessor(
        self, f: T_url_value_preprocessor
    ) -> T_url_value_preprocessor:
        """``url_value_preprocessor`` for every request of the app."""
        return self._app_registry("url_value_preprocessors", f)

    @setupmethod
    def app_url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """``url_defaults`` for every ``url_for`` of the app."""
        return self._app_registry("url_default_functions", f)

    def _app_template_function(
        self, kind: str, f: t.Callable[..., t.Any], name: str | None
    ) -> None:
        self.record_once(lambda s: s.app._add_template_function(kind, f, name))

    @setupmethod
    def app_template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """``template_filter`` for every template of the app."""
        return _registering(self.add_app_template_filter, name)

    @setupmethod
    def add_app_template_filter(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """``add_template_filter`` for every template of the app."""
        self._app_template_function("filters", f, name)

    @setupmethod
    def app_template_test(
        self, name: str | None = None
    ) -> t.Callable[[T_template_test], T_template_test]:
        """``template_test`` for every template of the app."""
        return _registering(self.add_app_template_test, name)

    @setupmethod
    def add_app_template_test(
        self, f: t.Callable[..., bool], name: str | None = None
    ) -> None:
        """``add_template_test`` for every template of the app."""
        self._app_template_function("tests", f, name)

    @setupmethod
    def app_template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """``template_global`` for every template of the app."""
        return _registering(self.add_app_template_global, name)

    @setupmethod
    def add_app_template_global(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """``add_template_global`` for every template of the app."""
        self._app_template_function("globals", f, name)

    @setupmethod
    def app_errorhandler(
        self, code: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """``errorhandler`` for the whole app."""

        def decorator(f: T_error_handler) -> T_error_handler:
            self.record_once(lambda s: s.app.register_error_handler(code, f))
            return f

        return decorator
