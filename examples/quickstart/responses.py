"""About responses (quickstart: «Об ответах Response»).

A string becomes a ``200 text/html`` response, a dict a JSON response, a
tuple adds a status and/or headers, and ``make_response()`` gives the
response object to change before returning it.
"""

from kolba import Flask, make_response, render_template

app = Flask(__name__)


@app.route('/text')
def text():
    return 'Just a string'


@app.route('/dict')
def as_dict():
    return {'kind': 'dict', 'converted': 'by jsonify'}


@app.route('/created')
def created():
    return 'Created', 201, {'Location': '/text'}


@app.route('/headers-only')
def headers_only():
    return 'With a header', {'X-Example': 'yes'}


@app.errorhandler(404)
def not_found(error):
    resp = make_response(render_template('error.html', error=error), 404)
    resp.headers['X-Something'] = 'A value'
    return resp
