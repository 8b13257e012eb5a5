"""The command line: ``kolba --app commands run`` serves this app, and the
commands it adds with ``@app.cli.command`` appear in ``kolba --app commands
--help`` beside ``run``, ``routes`` and ``shell``."""

import click

from kolba import Flask

app = Flask(__name__)
app.config['GREETING'] = 'Hello'


@app.route('/')
def index():
    return f"{app.config['GREETING']}, World!"


@app.cli.command('greet')
@click.argument('name')
@click.option('--shout', is_flag=True, help='In capitals.')
def greet(name, shout):
    """Greet NAME with the app's GREETING (runs inside the app context)."""
    text = f"{app.config['GREETING']}, {name}!"
    click.echo(text.upper() if shout else text)
