"""Jinja2 templates: the environment (made on first use), loaders, rendering."""

from __future__ import annotations

import typing as t
import weakref

from jinja2 import BaseLoader, TemplateNotFound
from jinja2 import Environment as BaseEnvironment

from .globals import _NO_CTX, _cv_ctx, current_app, g, request, session
from .helpers import get_flashed_messages
from .signals import before_render_template, template_rendered

if t.TYPE_CHECKING:
    from jinja2 import Template

    from .app import Flask
    from .scaffold import Scaffold

    # what a loader's get_source() gives: (source, filename, uptodate)
    _Source = tuple[str, str | None, t.Callable[[], bool] | None]


class Environment(BaseEnvironment):
    """A Jinja environment that loads from the app and its blueprints."""

    def __init__(self, app: Flask, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        # Weak, as everything the app's environment holds of the app: the app
        # holds the environment, and must be freed when its last reference goes.
        self.app = t.cast("Flask", weakref.proxy(app))


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
    signal: t.Any, app: Flask, template: Template, context: dict[str, t.Any]
) -> None:
    """Send a template signal (callers first test that anyone listens)."""
    signal.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)


def _render(app: Flask, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    # PERF: the receivers are tested here, not in _notify (~0.2 µs).
    if before_render_template.receivers:
        _notify(before_render_template, app, template, context)
    rv = template.render(context)
    if template_rendered.receivers:
        _notify(template_rendered, app, template, context)
    return rv


def render_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> str:
    """Render a template from the template folders with the given context.
    A list means "the first one that exists"."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template from a string (autoescaped)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def _stream(
    app: Flask, template: Template, context: dict[str, t.Any]
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
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> t.Iterator[str]:
    """Render a template piece by piece, for a streamed response."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Iterator[str]:
    """Render a template string piece by piece, for a streamed response."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)


def weak_method(method: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """``method`` of an app, called through a weak reference to the app (for
    the app's Jinja environment, which must not keep the app alive)."""
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
