"""Flask-Login: log in, a protected view, log out."""

from pathlib import Path

import flask
import flask_login
from flask import Flask

import kolba


class User(flask_login.UserMixin):
    def __init__(self, id: str) -> None:
        self.id = id


def make_app(**config: str) -> Flask:
    app = Flask(__name__)
    app.secret_key = "a-long-enough-test-secret-key"
    app.config.update(config)
    login_manager = flask_login.LoginManager(app)
    login_manager.login_view = "login"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return User(user_id) if user_id == "ann" else None

    @app.route("/login", methods=["GET", "POST"])
    def login() -> str:
        if flask.request.method == "POST":
            flask_login.login_user(User(flask.request.form["name"]))
            return flask.redirect(flask.url_for("private"))
        return "login page"

    @app.route("/private")
    @flask_login.login_required
    def private() -> str:
        return f"hello {flask_login.current_user.id}"

    @app.route("/visit")
    def visit() -> str:
        flask.session["csrf"] = "token"
        return "a page that writes the session"

    @app.route("/logout")
    def logout() -> str:
        flask_login.logout_user()
        return "bye"

    return app


def test_log_in_and_out() -> None:
    app = make_app()
    assert type(app) is kolba.Flask
    client = app.test_client()
    response = client.get("/private")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    response = client.post("/login", data={"name": "ann"}, follow_redirects=True)
    assert response.text == "hello ann"
    assert client.get("/logout").text == "bye"
    assert client.get("/private").status_code == 302


def test_a_login_with_a_session_store_gets_a_new_id(tmp_path: Path) -> None:
    # Session fixation: an attacker plants the id of a session of theirs in
    # the victim's browser; the victim's login must not log that id in.
    app = make_app(SESSION_STORE=f"sqlite:///{tmp_path}/sessions.db")
    attacker = app.test_client()
    attacker.get("/visit")
    planted = attacker.get_cookie("session")
    assert planted is not None
    victim = app.test_client()
    victim.set_cookie("session", planted.value)
    assert victim.post("/login", data={"name": "ann"}).status_code == 302
    logged_in = victim.get_cookie("session")
    assert logged_in is not None and logged_in.value != planted.value
    assert victim.get("/private").text == "hello ann"
    assert attacker.get("/private").status_code == 302  # not logged in
    victim.get("/logout")  # a logout gives a new id too
    logged_out = victim.get_cookie("session")
    assert logged_out is not None and logged_out.value != logged_in.value
    replay = app.test_client()
    replay.set_cookie("session", logged_in.value)
    assert replay.get("/private").status_code == 302
