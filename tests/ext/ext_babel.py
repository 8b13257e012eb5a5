"""Flask-Babel: a string translated for the request's locale."""

import subprocess
import sys
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel, format_decimal, gettext

PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Hello"
msgstr "Привет"
"""


def test_translated_string(tmp_path: Path) -> None:
    messages = tmp_path / "translations" / "ru" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "messages.po").write_text(PO, encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "compile", "-d",
         str(tmp_path / "translations")],
        check=True, capture_output=True,
    )
    app = Flask(__name__, root_path=str(tmp_path))

    def locale() -> str | None:
        return request.accept_languages.best_match(["en", "ru"])

    Babel(app, locale_selector=locale)

    @app.route("/")
    def index() -> str:
        return f"{gettext('Hello')} {format_decimal(1234.5)}"

    client = app.test_client()
    assert client.get("/", headers={"Accept-Language": "ru"}).text == (
        "Привет 1\xa0234,5"
    )
    assert client.get("/", headers={"Accept-Language": "en"}).text == "Hello 1,234.5"
