"""``app.test_cli_runner()``'s class, apart from :mod:`kolba.cli` since
click.testing imports modules (pdb, signal, ...) an app may be named after."""

from __future__ import annotations

import typing as t

import click
import click.testing

from .cli import ScriptInfo

if t.TYPE_CHECKING:
    from .app import Flask


class KolbaCliRunner(click.testing.CliRunner):
    """Invokes an app's CLI commands in tests (``app.test_cli_runner()``)."""

    def __init__(self, app: Flask, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: click.Command | None = None, args: t.Any = None, **kwargs: t.Any
    ) -> click.testing.Result:
        """Invoke ``cli`` (default ``app.cli``) with the app as the one to load."""
        kwargs.setdefault("obj", ScriptInfo(create_app=lambda: self.app))
        return super().invoke(self.app.cli if cli is None else cli, args, **kwargs)
