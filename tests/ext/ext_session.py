"""Flask-Session: a server-side session kept in the filesystem."""

from pathlib import Path

from flask import Flask, session
from flask_session import Session


def test_server_side_session(tmp_path: Path) -> None:
    app = Flask(__name__)
    app.config.update(
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=__import__("cachelib").FileSystemCache(str(tmp_path)),
    )
    Session(app)

    @app.route("/set/<value>")
    def set_value(value: str) -> str:
        session["value"] = value
        return "ok"

    @app.route("/get")
    def get_value() -> str:
        return session.get("value", "none")

    client = app.test_client()
    assert client.get("/get").text == "none"
    assert client.get("/set/kept").text == "ok"
    cookie = client.get_cookie("session")
    assert cookie is not None and "kept" not in cookie.value  # only an id
    assert client.get("/get").text == "kept"
    assert list(tmp_path.iterdir())  # stored on the server
