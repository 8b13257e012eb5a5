"""Cookies (quickstart: «Cookies»): read with ``request.cookies``, set on a
response made with ``make_response()``."""

from kolba import Flask, make_response, render_template, request

app = Flask(__name__)


@app.route('/')
def index():
    username = request.cookies.get('username')
    # use cookies.get(key) instead of cookies[key] to not get a
    # KeyError if the cookie is missing.
    return render_template('hello.html', name=username)


@app.route('/remember/<username>')
def remember(username):
    resp = make_response(render_template('hello.html', name=username))
    resp.set_cookie('username', username)
    return resp
