"""Flask-CORS: a preflight and the headers on a response."""

from flask import Flask
from flask_cors import CORS

ORIGIN = "https://example.org"


def test_cors_preflight() -> None:
    app = Flask(__name__)
    CORS(app, resources={r"/api/*": {"origins": ORIGIN}})

    @app.route("/api/items", methods=["GET", "POST"])
    def items() -> str:
        return "items"

    client = app.test_client()
    response = client.options(
        "/api/items",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    response = client.get("/api/items", headers={"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
