"""Message flashing: ``flash()`` records a message at the end of one request,
``get_flashed_messages()`` shows it on the next one, and only once."""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from kolba import (
    Flask,
    flash,
    get_flashed_messages,
    message_flashed,
    redirect,
    render_template,
    render_template_string,
    request,
    session,
    url_for,
)
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")

LAYOUT = """\
<!doctype html>
<title>My Application</title>
{% with messages = get_flashed_messages() %}
  {% if messages %}
    <ul class=flashes>
    {% for message in messages %}
      <li>{{ message }}</li>
    {% endfor %}
    </ul>
  {% endif %}
{% endwith %}
{% block body %}{% endblock %}
"""

INDEX = """\
{% extends "layout.html" %}
{% block body %}<h1>Overview</h1>{% endblock %}
"""

LOGIN = """\
{% extends "layout.html" %}
{% block body %}
  <h1>Login</h1>
  {% if error %}<p class=error><strong>Error:</strong> {{ error }}{% endif %}
{% endblock %}
"""


@pytest.fixture
def login_app(tmp_path: pathlib.Path) -> Flask:
    """The classic login example: flash on success, redirect to the index."""
    (tmp_path / "templates").mkdir()
    for name, source in [("layout", LAYOUT), ("index", INDEX), ("login", LOGIN)]:
        (tmp_path / "templates" / f"{name}.html").write_text(source)
    app = Flask("login_app", root_path=str(tmp_path))
    app.secret_key = b"_5#y2L'F4Q8z\n\xec]/"

    @app.route("/")
    def index() -> str:
        return render_template("index.html")

    @app.route("/login", methods=["GET", "POST"])
    def login() -> t.Any:
        error = None
        if request.method == "POST":
            if (
                request.form["username"] != "admin"
                or request.form["password"] != "secret"
            ):
                error = "Invalid credentials"
            else:
                flash("You were successfully logged in")
                return redirect(url_for("index"))
        return render_template("login.html", error=error)

    return app


def _items(html: str) -> list[str]:
    return [
        line.strip()[4:-5]
        for line in html.splitlines()
        if line.strip().startswith("<li>")
    ]


def test_login_flash_survives_the_redirect_and_shows_once(login_app: Flask) -> None:
    client = login_app.test_client()
    response = client.post(
        "/login",
        data={"username": "admin", "password": "secret"},
        follow_redirects=True,
    )
    assert response.request.path == "/"
    assert _items(response.text) == ["You were successfully logged in"]
    assert _items(client.get("/").text) == []


def test_failed_login_flashes_nothing(login_app: Flask) -> None:
    client = login_app.test_client()
    response = client.post("/login", data={"username": "admin", "password": "wrong"})
    assert "Invalid credentials" in response.text
    assert "class=flashes" not in response.text
    assert "class=flashes" not in client.get("/").text


def test_flashed_messages_are_escaped_in_templates(login_app: Flask) -> None:
    @login_app.route("/evil")
    def evil() -> t.Any:
        flash("<script>alert(1)</script>")
        return redirect("/")

    html = login_app.test_client().get("/evil", follow_redirects=True).text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.fixture
def flashing(app: Flask) -> Flask:
    """``/flash?m=text&c=category`` flashes; ``/show`` lists as JSON."""

    @app.route("/flash")
    def do_flash() -> str:
        for message, category in zip(
            request.args.getlist("m"), request.args.getlist("c"), strict=True
        ):
            flash(message, category)
        return "flashed"

    @app.route("/show")
    def show() -> dict[str, t.Any]:
        return {
            "plain": get_flashed_messages(),
            "with_categories": get_flashed_messages(with_categories=True),
            "errors": get_flashed_messages(category_filter=["error"]),
            "errors_and_info": get_flashed_messages(
                with_categories=True, category_filter=("error", "info")
            ),
        }

    return app


def test_categories_and_filters(flashing: Flask, client: KolbaClient) -> None:
    client.get("/flash?m=saved&c=message&m=oops&c=error&m=fyi&c=info")
    assert client.get("/show").json == {
        "plain": ["saved", "oops", "fyi"],
        "with_categories": [["message", "saved"], ["error", "oops"], ["info", "fyi"]],
        "errors": ["oops"],
        "errors_and_info": [["error", "oops"], ["info", "fyi"]],
    }
    assert client.get("/show").json["plain"] == []


def test_default_category_is_message(app: Flask) -> None:
    with app.test_request_context():
        flash("hello")
        assert session["_flashes"] == [("message", "hello")]


def test_messages_accumulate_until_shown(flashing: Flask, client: KolbaClient) -> None:
    client.get("/flash?m=one&c=message")
    client.get("/flash?m=two&c=message")
    assert client.get("/show").json["plain"] == ["one", "two"]


def test_messages_flashed_after_reading_wait_for_the_next_request(
    app: Flask, client: KolbaClient
) -> None:
    @app.route("/")
    def index() -> dict[str, list[str]]:
        before = get_flashed_messages()
        flash("later")
        return {"before": before, "again": get_flashed_messages()}

    assert client.get("/").json == {"before": [], "again": []}
    # read once per request: the second call returns the same messages
    assert client.get("/").json == {"before": ["later"], "again": ["later"]}


def test_get_flashed_messages_in_a_template_string(
    app: Flask, client: KolbaClient
) -> None:
    @app.route("/set")
    def set_message() -> t.Any:
        flash("Saved", "success")
        return redirect("/page")

    @app.route("/page")
    def page() -> str:
        return render_template_string(
            "{% for category, m in get_flashed_messages(with_categories=true) %}"
            "<p class={{ category }}>{{ m }}</p>{% endfor %}"
        )

    assert (
        client.get("/set", follow_redirects=True).text == "<p class=success>Saved</p>"
    )


def test_a_request_that_does_not_flash_leaves_the_session_alone(
    app: Flask, client: KolbaClient
) -> None:
    @app.route("/")
    def index() -> str:
        return ",".join(get_flashed_messages())

    response = client.get("/")
    assert response.text == ""
    assert "Set-Cookie" not in response.headers


def test_flash_without_secret_key_is_a_clear_error() -> None:
    app = Flask("no_secret")
    app.testing = True

    @app.route("/")
    def index() -> str:
        flash("lost")
        return "never"

    with pytest.raises(RuntimeError, match="secret key"):
        app.test_client().get("/")


def test_get_flashed_messages_outside_a_request_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        get_flashed_messages()


def test_message_flashed_signal(flashing: Flask, client: KolbaClient) -> None:
    recorded: list[tuple[Flask, str, str]] = []

    def receiver(sender: Flask, message: str, category: str) -> None:
        recorded.append((sender, message, category))

    with message_flashed.connected_to(receiver, flashing):
        client.get("/flash?m=hi&c=info")
    client.get("/flash?m=unseen&c=info")
    assert recorded == [(flashing, "hi", "info")]
