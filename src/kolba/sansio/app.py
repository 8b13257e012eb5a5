"""``flask.sansio.app``: the application class."""

from ..app import Flask as App
from ..scaffold import Scaffold, find_package, setupmethod

__all__ = ["App", "Scaffold", "find_package", "setupmethod"]
