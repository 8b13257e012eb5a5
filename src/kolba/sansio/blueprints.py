"""``flask.sansio.blueprints``: blueprints and their registration state."""

from ..blueprints import Blueprint, BlueprintSetupState, DeferredSetupFunction
from ..scaffold import Scaffold, setupmethod

__all__ = [
    "Blueprint",
    "BlueprintSetupState",
    "DeferredSetupFunction",
    "Scaffold",
    "setupmethod",
]
