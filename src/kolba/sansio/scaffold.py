"""``flask.sansio.scaffold``: what apps and blueprints share, and the type
variables that type their decorators."""

import typing as t

from werkzeug.exceptions import default_exceptions

from .. import typing as ft
from ..helpers import get_root_path
from ..scaffold import F, Scaffold, find_package, setupmethod
from ..scaffold import _endpoint_from_view_func as _endpoint_from_view_func

T_after_request = t.TypeVar("T_after_request", bound=ft.AfterRequestCallable[t.Any])
T_before_request = t.TypeVar("T_before_request", bound=ft.BeforeRequestCallable)
T_error_handler = t.TypeVar("T_error_handler", bound=ft.ErrorHandlerCallable)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_context_processor = t.TypeVar(
    "T_template_context_processor", bound=ft.TemplateContextProcessorCallable
)
T_url_defaults = t.TypeVar("T_url_defaults", bound=ft.URLDefaultCallable)
T_url_value_preprocessor = t.TypeVar(
    "T_url_value_preprocessor", bound=ft.URLValuePreprocessorCallable
)
T_route = t.TypeVar("T_route", bound=ft.RouteCallable)
T_shell_context_processor = t.TypeVar(
    "T_shell_context_processor", bound=ft.ShellContextProcessorCallable
)
T_template_filter = t.TypeVar("T_template_filter", bound=ft.TemplateFilterCallable)
T_template_global = t.TypeVar("T_template_global", bound=ft.TemplateGlobalCallable)
T_template_test = t.TypeVar("T_template_test", bound=ft.TemplateTestCallable)
# kolba only: WebSocket views and the hooks without arguments
T_websocket_route = t.TypeVar("T_websocket_route", bound=ft.WebSocketRouteCallable)
T_serving = t.TypeVar("T_serving", bound=ft.ServingCallable)

__all__ = [
    "F",
    "Scaffold",
    "T_after_request",
    "T_before_request",
    "T_error_handler",
    "T_route",
    "T_shell_context_processor",
    "T_teardown",
    "T_template_context_processor",
    "T_template_filter",
    "T_template_global",
    "T_template_test",
    "T_url_defaults",
    "T_url_value_preprocessor",
    "default_exceptions",
    "find_package",
    "get_root_path",
    "setupmethod",
]
