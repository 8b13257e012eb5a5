"""Jinja2 templates: the environment (made on first use), loaders, rendering."""

from __future__ import annotations

import typing as t
import weakref
from collections import ChainMap

from jinja2 import BaseLoader, TemplateNotFound
from jinja2 import Environment as BaseEnvironment
from jinja2 import Template as BaseTemplate
from jinja2.runtime import new_context

from .globals import _NO_CTX, _app_ctx, _cv_ctx, g, request, session
from .helpers import _after_changes, get_flashed_messages
from .signals import before_render_template, template_rendered

if t.TYPE_CHECKING:
    from jinja2.runtime import Context

    from .app import Flask
    from .scaffold import Scaffold

    # what a loader's get_source() gives: (source, filename, uptodate)
    _Source = tuple[str, str | None, t.Callable[[], bool] | None]


class _Globals(dict[str, t.Any]):
    """Template globals (the environment's, or a template's own) that count
    their changes, so that a template can keep its chain of them flattened."""

    #: Changes made to any of them so far.
    changes: t.ClassVar[int] = 0


def _count(globals_: _Globals) -> None:
    # after the change: a flattening that began before it is then stale
    _Globals.changes += 1


_after_changes(
    _Globals,
    (
        "__setitem__",
        "__delitem__",
        "__ior__",
        "clear",
        "pop",
        "popitem",
        "setdefault",
        "update",
    ),
    _count,
)


class Template(BaseTemplate):
    """A Jinja template that gives each render its globals as one dict.

    Jinja chains a template's own globals to the environment's (a ChainMap)
    and walks the chain in Python on every render, twice. While neither
    changes, the walk gives the same dict: it is made once, and made again
    after any change to either (a global added later is seen at once)."""

    _flat: tuple[int, t.Any, t.Any] = (-1, None, None)

    def new_context(
        self,
        vars: dict[str, t.Any] | None = None,  # noqa: A002  (Jinja's names)
        shared: bool = False,
        locals: t.Mapping[str, t.Any] | None = None,  # noqa: A002
    ) -> Context:
        # PERF: Jinja's dict(globals, **vars) and set(globals) over the chain
        # cost 6.7 µs a render with kolba's 12 globals; over one dict, 0.4 µs.
        changes, chain, flat = self._flat
        if changes != _Globals.changes or chain is not self.globals:
            flat = self._flatten()
        return new_context(
            self.environment, self.name, self.blocks, vars, shared, flat, locals
        )

    def _flatten(self) -> t.MutableMapping[str, t.Any]:
        # read before the chain: a change made meanwhile is seen next time
        changes = _Globals.changes
        chain = self.globals
        if type(chain) is not ChainMap or any(
            type(layer) is not _Globals for layer in chain.maps
        ):
            return chain  # not all counted (a dict of the caller's): Jinja's way
        flat = dict(chain)
        self._flat = (changes, chain, flat)
        return flat


class Environment(BaseEnvironment):
    """A Jinja environment that loads from the app and its blueprints."""

    template_class = Template

    def __init__(self, app: Flask, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.globals = _Globals(self.globals)
        # Weak, as everything the app's environment holds of the app: the app
        # holds the environment, and must be freed when its last reference goes.
        self.app = t.cast("Flask", weakref.proxy(app))

    def make_globals(
        self, d: t.MutableMapping[str, t.Any] | None
    ) -> t.MutableMapping[str, t.Any]:
        """A template's globals: its own (counted when Jinja makes them),
        then the environment's."""
        return super().make_globals(_Globals() if d is None else d)


class DispatchingJinjaLoader(BaseLoader):
    """Looks in the app's template folder, then each blueprint's in
    registration order."""

    def __init__(self, app: Flask) -> None:
        self.app = t.cast("Flask", weakref.proxy(app))

    def get_source(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _scaffold, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise self._not_found(template)

    def _get_source_explained(
        self, environment: BaseEnvironment, template: str
    ) -> _Source:
        from .debughelpers import explain_template_loading_attempts

        attempts: list[tuple[BaseLoader, Scaffold, _Source | None]] = []
        found = None
        for scaffold, loader in self._iter_loaders():
            try:
                rv = loader.get_source(environment, template)
                if found is None:
                    found = rv
            except TemplateNotFound:
                rv = None
            attempts.append((loader, scaffold, rv))
        explain_template_loading_attempts(self.app, template, attempts)
        if found is None:
            raise self._not_found(template)
        return found

    def _iter_loaders(self) -> t.Iterator[tuple[Scaffold, BaseLoader]]:
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def _not_found(self, template: str) -> TemplateNotFound:
        return TemplateNotFound(
            template, f"{template!r} not found (searched: {self._searched()})"
        )

    def _searched(self) -> str:
        folders = [
            str(getattr(loader, "searchpath", [loader])[0])
            for _scaffold, loader in self._iter_loaders()
        ]
        return ", ".join(folders) or "no template folders"

    def list_templates(self) -> list[str]:
        result: set[str] = set()
        for _scaffold, loader in self._iter_loaders():
            result.update(loader.list_templates())
        return sorted(result)


def _notify(
    signal: t.Any, app: Flask, template: BaseTemplate, context: dict[str, t.Any]
) -> None:
    """Send a template signal (callers first test that anyone listens)."""
    signal.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)


def _render(app: Flask, template: BaseTemplate, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    # PERF: the receivers are tested here, not in _notify (~0.2 µs).
    if before_render_template.receivers:
        _notify(before_render_template, app, template, context)
    rv = template.render(context)
    if template_rendered.receivers:
        _notify(template_rendered, app, template, context)
    return rv


def render_template(
    template_name_or_list: str | BaseTemplate | list[str | BaseTemplate],
    **context: t.Any,
) -> str:
    """Render a template from the template folders with the given context.
    A list means "the first one that exists"."""
    # PERF: the app context's app, not current_app's proxy (0.35 µs).
    app = _app_ctx().app
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template from a string (autoescaped)."""
    app = _app_ctx().app
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def _stream(
    app: Flask, template: BaseTemplate, context: dict[str, t.Any]
) -> t.Iterator[str]:
    app.update_template_context(context)
    if before_render_template.receivers:
        _notify(before_render_template, app, template, context)

    def generate() -> t.Iterator[str]:
        yield from template.generate(context)
        if template_rendered.receivers:
            _notify(template_rendered, app, template, context)

    rv = generate()
    if _cv_ctx.get(_NO_CTX)[1] is not None:
        from .helpers import stream_with_context

        rv = stream_with_context(rv)
    return rv


def stream_template(
    template_name_or_list: str | BaseTemplate | list[str | BaseTemplate],
    **context: t.Any,
) -> t.Iterator[str]:
    """Render a template piece by piece, for a streamed response."""
    app = _app_ctx().app
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Iterator[str]:
    """Render a template string piece by piece, for a streamed response."""
    app = _app_ctx().app
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)


def weak_method(method: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """``method`` of an app, called through a weak reference to the app (for
    the app's Jinja environment, which must not keep the app alive). A
    function set on the app itself is not a method: it is given as it is."""
    if not hasattr(method, "__func__"):
        return method
    ref = weakref.WeakMethod(method)

    def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return ref()(*args, **kwargs)  # type: ignore[misc]

    call.__name__ = method.__name__  # not update_wrapper: its __wrapped__ is strong
    call.__doc__ = method.__doc__
    return call


def template_globals(app: Flask) -> dict[str, t.Any]:
    """The names every template sees besides the context processors'."""
    return {
        "url_for": weak_method(app.url_for),
        "get_flashed_messages": get_flashed_messages,
        "config": app.config,
        "request": request,
        "session": session,
        "g": g,
    }
