"""Flask-SocketIO: its test client, built on the app's test client."""

from flask import Flask, session
from flask_socketio import SocketIO, emit


def test_event_round_trip() -> None:
    app = Flask(__name__)
    app.secret_key = "a-long-enough-test-secret-key"
    socketio = SocketIO(app, async_mode="threading")

    @app.get("/login/<name>")
    def login(name: str) -> str:
        session["name"] = name
        return "ok"

    @socketio.on("ping")
    def ping(data: dict) -> None:
        emit("pong", {**data, "from": session.get("name")})

    http = app.test_client()
    http.get("/login/ann")
    client = socketio.test_client(app, flask_test_client=http)
    client.emit("ping", {"n": 1})
    (received,) = client.get_received()
    assert received["name"] == "pong"
    assert received["args"][0] == {"n": 1, "from": "ann"}
