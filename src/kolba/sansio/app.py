"""``flask.sansio.app``: the application class."""

from ..app import Flask as App
from ..config import Config, ConfigAttribute
from ..helpers import get_debug_flag
from ..json.provider import DefaultJSONProvider, JSONProvider
from ..logging import create_logger
from ..scaffold import Scaffold, find_package, setupmethod
from ..templating import DispatchingJinjaLoader, Environment
from .scaffold import (
    T_shell_context_processor,
    T_teardown,
    T_template_filter,
    T_template_global,
    T_template_test,
)

__all__ = [
    "App",
    "Config",
    "ConfigAttribute",
    "DefaultJSONProvider",
    "DispatchingJinjaLoader",
    "Environment",
    "JSONProvider",
    "Scaffold",
    "T_shell_context_processor",
    "T_teardown",
    "T_template_filter",
    "T_template_global",
    "T_template_test",
    "create_logger",
    "find_package",
    "get_debug_flag",
    "setupmethod",
]
