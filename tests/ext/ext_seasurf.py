"""Flask-SeaSurf: CSRF tokens kept in the session and a cookie."""

import pytest
from flask import Flask, render_template_string
from flask_seasurf import SeaSurf

# Flask-SeaSurf (2.0.0, its latest) dates its cookie with datetime.utcnow(),
# deprecated since Python 3.12: its warning, not kolba's, under Flask as well
pytestmark = pytest.mark.filterwarnings(
    r"ignore:datetime\.datetime\.utcnow\(\):DeprecationWarning:flask_seasurf"
)


def test_csrf_token_required() -> None:
    app = Flask(__name__)
    app.secret_key = "seasurf-test-secret-key-32-bytes!"
    csrf = SeaSurf(app)

    @app.route("/form", methods=["GET", "POST"])
    def form() -> str:
        return render_template_string("{{ csrf_token() }}")

    @csrf.exempt
    @app.route("/hook", methods=["POST"])
    def hook() -> str:
        return "exempt"

    client = app.test_client()
    token = client.get("/form").text
    assert len(token) > 20
    assert client.get_cookie("_csrf_token") is not None
    with client.session_transaction() as session:
        assert session["_csrf_token"] == token
    assert client.post("/form").status_code == 403
    assert client.post("/form", headers={"X-CSRFToken": "wrong"}).status_code == 403
    assert client.post("/form", headers={"X-CSRFToken": token}).status_code == 200
    assert client.post("/hook").text == "exempt"
    # over HTTPS the Referer must be this host
    https = {"base_url": "https://localhost", "headers": {"X-CSRFToken": token}}
    assert client.post("/form", **https).status_code == 403
    https["headers"]["Referer"] = "https://localhost/form"
    assert client.post("/form", **https).status_code == 200
