"""Hints that debug mode gives where a Flask mistake is easy to make.

- ``request.files["x"]`` on a form sent without
  ``enctype="multipart/form-data"``: :class:`DebugFilesKeyError` says so.
- A template not found (or found where it was not expected) with
  ``EXPLAIN_TEMPLATE_LOADING``: :func:`explain_template_loading_attempts`
  logs every loader tried.
"""

from __future__ import annotations

import typing as t

from jinja2.loaders import BaseLoader
from werkzeug.routing import RequestRedirect

from .blueprints import Blueprint
from .globals import _NO_CTX, _cv_ctx

if t.TYPE_CHECKING:
    from .app import Flask
    from .scaffold import Scaffold
    from .wrappers import Request

__all__ = [
    "DebugFilesKeyError",
    "FormDataRoutingRedirect",
    "UnexpectedUnicodeError",
    "attach_enctype_error_multidict",
    "explain_template_loading_attempts",
]


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Text was given where bytes were expected, or the reverse (debug mode)."""


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[key]`` found nothing because the form was not sent as
    ``multipart/form-data``: the file name went to ``request.form``."""

    def __init__(self, request: Request, key: str) -> None:
        sent = request.form.getlist(key)
        text = (
            f"request.files has no {key!r}: the form was sent as"
            f" {request.mimetype!r}, not 'multipart/form-data', so no file"
            ' came with it. Add enctype="multipart/form-data" to the <form>.'
        )
        if sent:
            names = ", ".join(repr(x) for x in sent)
            text += f"\n\nOnly the file names came, as form fields: {names}"
        self.msg = text

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """A redirect that would make the browser drop a form's body.

    kolba's routing redirects are 308, which keep the method and the body;
    in debug mode, one made 301 or 302 (``RequestRedirect.code``) raises this
    for a request other than GET, HEAD or OPTIONS."""

    def __init__(self, request: Request) -> None:
        exc = request.routing_exception
        assert isinstance(exc, RequestRedirect)
        super().__init__(
            f"A request was sent to {request.url!r}, but routing issued a"
            f" redirect to the canonical URL {exc.new_url!r}. The browser will"
            " not resend the form data with the redirect: send the request to"
            " the canonical URL."
        )


def attach_enctype_error_multidict(request: Request) -> None:
    """Make a failed ``request.files[key]`` explain the missing enctype when
    ``key`` was sent as a form field."""
    files = request.files

    class FilesWithHint(type(files)):  # type: ignore[misc]
        def __getitem__(self, key: str) -> t.Any:
            try:
                return super().__getitem__(key)
            except KeyError as e:
                if key not in request.form:
                    raise
                raise DebugFilesKeyError(request, key).with_traceback(
                    e.__traceback__
                ) from None

    FilesWithHint.__name__ = type(files).__name__
    files.__class__ = FilesWithHint


def _describe_loader(loader: BaseLoader) -> t.Iterator[str]:
    yield f"class: {type(loader).__module__}.{type(loader).__name__}"
    for key, value in sorted(vars(loader).items()):
        if key.startswith("_"):
            continue
        if isinstance(value, (tuple, list)):
            if not all(isinstance(x, str) for x in value):
                continue
            yield f"{key}:"
            yield from (f"  - {item}" for item in value)
            continue
        if isinstance(value, (str, int, float, bool)):
            yield f"{key}: {value!r}"


_Attempt = tuple[
    BaseLoader,
    "Scaffold",
    "tuple[str, str | None, t.Callable[[], bool] | None] | None",
]


def explain_template_loading_attempts(
    app: Flask, template: str, attempts: list[_Attempt]
) -> None:
    """Log, at info level, where ``template`` was looked for and found."""
    lines = [f"Locating template {template!r}:"]
    found = 0
    ctx = _cv_ctx.get(_NO_CTX)[1]
    blueprint = ctx.request.blueprint if ctx is not None else None
    for i, (loader, scaffold, result) in enumerate(attempts, 1):
        if isinstance(scaffold, Blueprint):
            where = f"blueprint {scaffold.name!r} ({scaffold.import_name})"
        else:
            where = f"application {scaffold.import_name!r}"
        lines.append(f"{i:5}: trying loader of {where}")
        lines.extend(f"       {line}" for line in _describe_loader(loader))
        if result is None:
            lines.append("       -> no match")
        else:
            lines.append(f"       -> found ({result[1] or '<string>'!r})")
            found += 1
    hint = None
    if found == 0:
        lines.append("Error: the template was not found.")
        if blueprint is not None:
            hint = (
                f"The template was looked up from an endpoint that belongs to"
                f" the blueprint {blueprint!r}. Maybe you did not place a"
                " template in the right folder?"
            )
    elif found > 1:
        lines.append("Warning: multiple loaders returned a match for the template.")
        hint = (
            "Several loaders have this template: the first one wins. Give the"
            " templates of blueprints their own subfolder to keep them apart."
        )
    if hint is not None:
        lines.append(f"  Hint: {hint}")
    app.logger.info("\n".join(lines))
