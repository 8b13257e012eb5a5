"""Hooking in WSGI middleware (quickstart: «Подключение к промежуточному
программному обеспечению WSGI»).

Behind nginx, ``ProxyFix`` makes the app see the client's scheme, host and
address from the ``X-Forwarded-*`` headers. Wrap ``app.wsgi_app``, not
``app``, so that ``app`` stays the application.
"""

from werkzeug.middleware.proxy_fix import ProxyFix

from kolba import Flask, request, url_for

app = Flask(__name__)
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)


@app.route('/')
def index():
    return {
        'url': url_for('index', _external=True),
        'remote_addr': request.remote_addr,
    }
