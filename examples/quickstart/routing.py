"""Routing (quickstart: «Маршрутизация»): route() binds a function to a URL."""

from kolba import Flask

app = Flask(__name__)


@app.route('/')
def index():
    return 'Index Page'


@app.route('/hello')
def hello():
    return 'Hello, World'
