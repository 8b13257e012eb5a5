"""CLI decorators keep the callback's types."""

from __future__ import annotations

import click
from typing_extensions import assert_type

from kolba.cli import with_appcontext


@click.command()
@click.argument("name")
@with_appcontext
def greet(name: str) -> None:
    click.echo(name)


@with_appcontext
def count(limit: int) -> int:
    return limit


assert_type(greet, click.Command)
assert_type(count(3), int)
count("3")  # type: ignore[arg-type]
