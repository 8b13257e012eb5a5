"""Flask-HTTPAuth, Flask-Compress and flask-talisman: a hook or a decorator
each, on kolba's requests and responses."""

import base64

from flask import Flask


def test_httpauth_basic() -> None:
    from flask_httpauth import HTTPBasicAuth

    app = Flask(__name__)
    auth = HTTPBasicAuth()

    @auth.verify_password
    def verify(user: str, password: str) -> str | None:
        return user if (user, password) == ("ann", "pw") else None

    @app.get("/")
    @auth.login_required
    def index() -> str:
        return f"hi {auth.current_user()}"

    client = app.test_client()
    assert client.get("/").status_code == 401
    credentials = base64.b64encode(b"ann:pw").decode()
    response = client.get("/", headers={"Authorization": f"Basic {credentials}"})
    assert response.text == "hi ann"
    # a credential that is not ASCII: asked for again, not a 500
    response = client.get("/", headers={"Authorization": "Basic \xe9"})
    assert response.status_code == 401


def test_compress_gzip() -> None:
    import gzip

    from flask_compress import Compress

    app = Flask(__name__)
    Compress(app)

    @app.get("/")
    def index() -> str:
        return "x" * 2000

    response = app.test_client().get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == b"x" * 2000


def test_talisman_headers() -> None:
    from flask_talisman import Talisman

    app = Flask(__name__)
    Talisman(app, force_https=False)

    @app.get("/")
    def index() -> str:
        return "x"

    response = app.test_client().get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
