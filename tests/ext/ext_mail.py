"""Flask-Mail: a message rendered from a template, recorded, not sent."""

from flask import Flask, render_template_string
from flask_mail import Mail, Message


def test_message_recorded() -> None:
    app = Flask(__name__)
    app.config.update(MAIL_SUPPRESS_SEND=True, MAIL_DEFAULT_SENDER="app@example.com")
    mail = Mail(app)

    @app.route("/welcome/<name>")
    def welcome(name: str) -> str:
        html = render_template_string("<p>Welcome {{ name }}</p>", name=name)
        mail.send(Message("Welcome", recipients=[f"{name}@example.com"], html=html))
        return "sent"

    with mail.record_messages() as outbox:
        assert app.test_client().get("/welcome/ann").text == "sent"
    assert [(m.subject, m.recipients, m.sender, m.html) for m in outbox] == [
        ("Welcome", ["ann@example.com"], "app@example.com", "<p>Welcome ann</p>")
    ]
