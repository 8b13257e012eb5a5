"""CLI decorators keep the callback's types; app commands are click commands."""

from __future__ import annotations

import click
from typing_extensions import assert_type

from kolba import Blueprint, Flask
from kolba.cli import with_appcontext

app = Flask(__name__)
bp = Blueprint("admin", __name__)


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


@app.cli.command("init-db")
@click.option("--drop", is_flag=True)
def init_db(drop: bool) -> None:
    click.echo(drop)


@app.cli.command
def seed() -> None:
    click.echo("seeded")


@app.cli.command(with_appcontext=False)
def version() -> None:
    click.echo("1")


@bp.cli.command()
def create_user() -> None:
    click.echo("created")


@app.cli.group()
def users() -> None:
    pass


assert_type(init_db, click.Command)
assert_type(seed, click.Command)
assert_type(version, click.Command)
assert_type(create_user, click.Command)
assert_type(users, click.Group)
assert_type(app.cli.get_command(click.Context(app.cli), "seed"), click.Command | None)
