"""Run code written for Flask on kolba.

``import kolba.compat.flask`` (or :func:`install_flask`), run before anything
imports Flask, makes ``import flask`` and every ``import flask.X`` return the
module objects of ``kolba`` and ``kolba.X`` themselves: one set of context
variables, one set of signals, so a Flask extension and a kolba app share them.
No top-level ``flask`` package is ever installed on disk; the package metadata
that extensions read (``importlib.metadata.version("flask")``) is served too.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import os
import pathlib
import re
import sys
from collections.abc import Iterator
from types import ModuleType

__all__ = [
    "FLASK_VERSION",
    "FlaskAliasFinder",
    "flask_compat_active",
    "install_flask",
    "real_flask_hint",
]

#: The Flask release whose behaviour kolba follows: the version that
#: ``importlib.metadata.version("flask")`` reports while ``flask`` is kolba.
FLASK_VERSION = "3.1.3"


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system an already imported kolba module."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        # The import system set the alias's spec on the module: keep kolba's.
        module.__spec__ = self.spec


class _FlaskDistribution(importlib.metadata.Distribution):
    """The metadata of a "Flask" distribution whose code is kolba: its name,
    :data:`FLASK_VERSION` and its ``flask`` package; no files, no entry
    points."""

    def read_text(self, filename: str) -> str | None:
        if filename in ("METADATA", "PKG-INFO"):
            return f"Metadata-Version: 2.1\nName: Flask\nVersion: {FLASK_VERSION}\n"
        if filename == "top_level.txt":
            return "flask\n"
        return None

    def locate_file(self, path: str | os.PathLike[str]) -> pathlib.Path:
        return pathlib.Path(__file__).parents[2] / path  # where kolba is


class FlaskAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``flask`` and ``flask.*`` to ``kolba`` and ``kolba.*``, and
    answers ``importlib.metadata`` for the ``Flask`` distribution (ahead of
    a real Flask install: its code is not the one that runs)."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "flask" and not fullname.startswith("flask."):
            return None
        name = "kolba" + fullname[len("flask") :]
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                return None  # no such module in kolba: flask.X is missing too
            raise
        return importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(module),
            is_package=hasattr(module, "__path__"),
        )

    def find_distributions(
        self, context: importlib.metadata.DistributionFinder.Context | None = None
    ) -> Iterator[importlib.metadata.Distribution]:
        name = None if context is None else context.name
        if name is None or re.sub(r"[-_.]+", "-", name).lower() == "flask":
            yield _FlaskDistribution()


def flask_compat_active() -> bool:
    """Whether ``import flask`` gives kolba."""
    return any(isinstance(f, FlaskAliasFinder) for f in sys.meta_path)


def real_flask_hint() -> str | None:
    """What to do when the real Flask is imported while compat is off: a
    Flask extension then reads Flask's ``request``, ``session``, ``g`` and
    ``current_app``, which a kolba app's requests do not set ("Working
    outside of request context"). None when there is nothing to say."""
    imported = sys.modules.get("flask")
    if (
        imported is None
        or flask_compat_active()
        # (an alias of one's own)
        or getattr(imported, "__name__", "").partition(".")[0] == "kolba"
    ):
        return None
    return (
        f"The real Flask is imported (from {getattr(imported, '__file__', '?')})"
        " next to this kolba app: a Flask extension used with it reads Flask's"
        " request, session and g, which kolba's requests do not set ('Working"
        " outside of request context'), and tests for Flask's classes (its"
        " Blueprint), which kolba's are not. If that is why Flask is imported, run"
        " 'import kolba.compat.flask' first thing in your entry point (the"
        " module a server imports), before anything imports flask, or use"
        " 'kolba --flask-compat run'."
    )


def install_flask() -> None:
    """Make ``import flask`` and ``import flask.X`` give kolba's modules.

    Raises ImportError if the real Flask is already imported: its modules
    cannot be replaced, and two frameworks would then be running side by side.
    """
    if flask_compat_active():
        return
    imported = sys.modules.get("flask")
    if imported is not None:
        raise ImportError(
            f"Flask is already imported (from {getattr(imported, '__file__', '?')})"
            ", so 'import flask' cannot be served by kolba. Run"
            " 'import kolba.compat.flask' before anything imports flask: first"
            " thing in your entry point, or use 'kolba --flask-compat'."
        )
    sys.modules.pop("flask", None)  # None there blocks "import flask"
    sys.meta_path.insert(0, FlaskAliasFinder())
