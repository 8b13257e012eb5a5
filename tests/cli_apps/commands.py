"""An application with routes, custom commands and a shell context."""

import click

from kolba import Flask, current_app

app = Flask(__name__, static_folder=None)


@app.route("/")
def index():
    return "index"


@app.route("/items", methods=["POST"])
def create_item():
    return "created"


@app.route("/items/<int:item_id>", methods=["GET", "DELETE"])
def item(item_id):
    return str(item_id)


@app.shell_context_processor
def answer():
    return {"answer": 42}


@app.cli.command("greet")
@click.argument("name", default="World")
def greet(name):
    """Greet someone from inside the app context."""
    click.echo(f"Hello, {name}, from {current_app.name}!")


@app.cli.command("debug-state")
def debug_state():
    """Show whether debug mode is on."""
    click.echo(f"debug={current_app.debug}")
