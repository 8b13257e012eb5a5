"""Flask-Login: log in, a protected view, log out."""

import flask
import flask_login
from flask import Flask

import kolba


class User(flask_login.UserMixin):
    def __init__(self, id: str) -> None:
        self.id = id


def make_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "a-long-enough-test-secret-key"
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
