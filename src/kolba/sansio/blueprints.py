"""``flask.sansio.blueprints``: blueprints and their registration state."""

from ..blueprints import Blueprint, BlueprintSetupState, DeferredSetupFunction
from ..scaffold import Scaffold, setupmethod
from .scaffold import (
    T_after_request,
    T_before_request,
    T_error_handler,
    T_teardown,
    T_template_context_processor,
    T_template_filter,
    T_template_global,
    T_template_test,
    T_url_defaults,
    T_url_value_preprocessor,
)

__all__ = [
    "Blueprint",
    "BlueprintSetupState",
    "DeferredSetupFunction",
    "Scaffold",
    "T_after_request",
    "T_before_request",
    "T_error_handler",
    "T_teardown",
    "T_template_context_processor",
    "T_template_filter",
    "T_template_global",
    "T_template_test",
    "T_url_defaults",
    "T_url_value_preprocessor",
    "setupmethod",
]
