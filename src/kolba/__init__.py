"""kolba: Flask's API, an order of magnitude faster, secure by default."""

import sys as _sys
import typing as _t

from markupsafe import Markup as Markup
from markupsafe import escape as escape

from . import json as json
from .app import Flask as Flask
from .blueprints import Blueprint as Blueprint
from .config import Config as Config
from .ctx import after_this_request as after_this_request
from .ctx import copy_current_request_context as copy_current_request_context
from .ctx import has_app_context as has_app_context
from .ctx import has_request_context as has_request_context
from .globals import current_app as current_app
from .globals import g as g
from .globals import request as request
from .globals import session as session
from .globals import websocket as websocket
from .helpers import abort as abort
from .helpers import flash as flash
from .helpers import get_flashed_messages as get_flashed_messages
from .helpers import get_template_attribute as get_template_attribute
from .helpers import make_response as make_response
from .helpers import redirect as redirect
from .helpers import send_file as send_file
from .helpers import send_from_directory as send_from_directory
from .helpers import stream_with_context as stream_with_context
from .helpers import url_for as url_for
from .json import jsonify as jsonify
from .signals import appcontext_popped as appcontext_popped
from .signals import appcontext_pushed as appcontext_pushed
from .signals import appcontext_tearing_down as appcontext_tearing_down
from .signals import before_render_template as before_render_template
from .signals import got_request_exception as got_request_exception
from .signals import message_flashed as message_flashed
from .signals import request_finished as request_finished
from .signals import request_started as request_started
from .signals import request_tearing_down as request_tearing_down
from .signals import template_rendered as template_rendered
from .wrappers import Request as Request
from .wrappers import Response as Response

if _t.TYPE_CHECKING:  # served lazily by __getattr__ below
    from .asgi import WebSocketDisconnect as WebSocketDisconnect
    from .templating import render_template as render_template
    from .templating import render_template_string as render_template_string
    from .templating import stream_template as stream_template
    from .templating import stream_template_string as stream_template_string

    __version__: str

_VERSION = "0.1.0"  # kolba's own: also importlib.metadata.version("kolba")

_TEMPLATING = {
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
}


__all__ = [  # noqa: RUF022  (the import order above)
    "Markup",
    "escape",
    "json",
    "Flask",
    "Blueprint",
    "Config",
    "after_this_request",
    "copy_current_request_context",
    "has_app_context",
    "has_request_context",
    "current_app",
    "g",
    "request",
    "session",
    "abort",
    "flash",
    "get_flashed_messages",
    "get_template_attribute",
    "make_response",
    "redirect",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
    "jsonify",
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
    "Request",
    "Response",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
    "WebSocketDisconnect",
]


def __dir__() -> list[str]:
    """The template functions are listed although not imported yet."""
    # not globals(): the name is kolba.globals, the submodule, here
    return sorted(
        {*_sys.modules[__name__].__dict__, *_TEMPLATING, "WebSocketDisconnect"}
    )


# Imported when first used, yet reachable as attributes (``flask.cli.X`` works
# in Flask because flask.app imports it; extensions rely on that).
_LAZY_SUBMODULES = {
    "cli",
    "debughelpers",
    "logging",
    "sansio",
    "templating",
    "testing",
    "typing",
    "views",
}


def _version() -> str:
    """``__version__``: kolba's; while ``import flask`` gives kolba, code that
    reads ``flask.__version__`` gets the Flask release that kolba follows,
    with the deprecation warning of Flask 3.1."""
    from .compat import FLASK_VERSION, flask_compat_active

    if not flask_compat_active():
        return _VERSION
    import warnings

    warnings.warn(
        "'flask.__version__' is deprecated (Flask 3.1) and served by kolba as"
        f" {FLASK_VERSION}, the Flask release it follows: use"
        " importlib.metadata.version('flask'), or feature detection.",
        DeprecationWarning,
        stacklevel=3,
    )
    return FLASK_VERSION


def __getattr__(name: str) -> object:
    """The template functions import Jinja2, so only when first asked for;
    the same for the submodules that the package does not import itself."""
    if name == "__version__":
        return _version()
    if name in _TEMPLATING:
        from . import templating

        # PERF: kept as module attributes, so that this runs once, not on each
        # kolba.render_template (0.95 µs a render).
        module = _sys.modules[__name__]
        for each in _TEMPLATING:
            setattr(module, each, getattr(templating, each))
        return getattr(templating, name)
    if name == "WebSocketDisconnect":  # (the ASGI driver is imported when used)
        from .asgi import WebSocketDisconnect

        return WebSocketDisconnect
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'kolba' has no attribute {name!r}")
