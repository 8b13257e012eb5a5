"""Redirects and errors (quickstart: «Перенаправления и ошибки»).

``/`` redirects to ``/login``, which aborts with 401; unknown URLs get the
custom ``page_not_found.html`` page with status 404.
"""

from kolba import Flask, abort, redirect, render_template, url_for

app = Flask(__name__)


@app.route('/')
def index():
    return redirect(url_for('login'))


@app.route('/login')
def login():
    abort(401)
    this_is_never_executed()  # noqa: F821 - the seed's point: never reached


@app.errorhandler(404)
def page_not_found(error):
    return render_template('page_not_found.html'), 404
