"""Flask-Caching: a cached view is computed once."""

from flask import Flask
from flask_caching import Cache


def test_cached_view() -> None:
    app = Flask(__name__)
    cache = Cache(app, config={"CACHE_TYPE": "SimpleCache"})
    calls = []

    @app.route("/slow")
    @cache.cached(timeout=60)
    def slow() -> str:
        calls.append(1)
        return f"computed {len(calls)}"

    client = app.test_client()
    assert client.get("/slow").text == "computed 1"
    assert client.get("/slow").text == "computed 1"
    assert calls == [1]
    with app.app_context():
        cache.clear()
    assert client.get("/slow").text == "computed 2"
