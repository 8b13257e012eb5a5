"""Flask-WTF: a CSRF-protected form."""

import re

from flask import Flask, render_template_string
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired


class NameForm(FlaskForm):
    name = StringField("name", validators=[DataRequired()])


PAGE = '<form method="post">{{ form.csrf_token }}{{ form.name }}</form>'


def make_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "a-long-enough-test-secret-key"

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        form = NameForm()
        if form.validate_on_submit():
            return f"hello {form.name.data}"
        return render_template_string(PAGE, form=form) + str(form.errors)

    return app


def test_csrf_protected_form() -> None:
    client = make_app().test_client()
    page = client.get("/").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page
    assert "The CSRF token is missing" in client.post("/", data={"name": "x"}).text
    response = client.post("/", data={"name": "ann", "csrf_token": token[1]})
    assert response.text == "hello ann"
