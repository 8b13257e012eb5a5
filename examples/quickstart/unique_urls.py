"""Unique URLs / redirection behaviour (quickstart: «Уникальные URL-адреса»)."""

from kolba import Flask

app = Flask(__name__)


@app.route('/projects/')
def projects():
    return 'The project page'


@app.route('/about')
def about():
    return 'The about page'
