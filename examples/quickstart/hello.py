"""Minimal application (quickstart: «Минимальное приложение»).

Run it with ``KOLBA_APP=hello.py kolba run`` (or ``export FLASK_APP=hello.py``).
"""

from kolba import Flask

app = Flask(__name__)


@app.route('/')
def hello_world():
    return 'Hello, World!'
