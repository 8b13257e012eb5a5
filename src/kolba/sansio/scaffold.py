"""``flask.sansio.scaffold``: what apps and blueprints share."""

from ..helpers import get_root_path
from ..scaffold import Scaffold, find_package, setupmethod
from ..scaffold import _endpoint_from_view_func as _endpoint_from_view_func

__all__ = ["Scaffold", "find_package", "get_root_path", "setupmethod"]
