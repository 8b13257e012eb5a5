"""CSRF protection: every POST form carries the session's token.

The JSON API is exempt: it accepts only ``application/json`` bodies, which a
page of another site cannot send without a CORS preflight that this app
never grants, and the session cookie is ``SameSite=Lax``.
"""

from __future__ import annotations

import hmac
import secrets

from kolba import Flask, abort, request, session

FIELD = "csrf_token"


def csrf_token() -> str:
    """This session's token, made on first use; forms put it in a hidden field."""
    token = session.get(FIELD)
    if token is None:
        token = session[FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse a form POST whose token is missing or not this session's."""
    if request.method != "POST" or request.blueprint == "api":
        return
    expected = session.get(FIELD)
    sent = request.form.get(FIELD, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "The form has expired or was not sent by this site. Reload it.")


def init_app(app: Flask) -> None:
    app.before_request(check_csrf)
    app.add_template_global(csrf_token)
