"""Flask-Limiter: the third request in a minute gets 429."""

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def test_rate_limited_view() -> None:
    app = Flask(__name__)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")

    @app.route("/ping")
    @limiter.limit("2 per minute")
    def ping() -> str:
        return "pong"

    @app.route("/free")
    @limiter.exempt
    def free() -> str:
        return "free"

    client = app.test_client()
    assert [client.get("/ping").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/free").status_code == 200
