"""The JSON API: the user's notes, for scripts and the command line.

Authenticate with HTTP Basic (``curl -u name:password``) or a token from
``POST /api/tokens`` (``Authorization: Bearer TOKEN``); a logged-in browser's
session works too. No CSRF token is needed: the API takes only JSON bodies,
which a page of another site cannot send without a CORS preflight that this
app never grants.

``POST /api/users`` registers, ``GET /api/notes`` lists the notes,
``POST /api/notes`` with ``{"title": ..., "body": ...}`` creates one (201),
``GET /api/notes/<id>`` shows one. Errors are JSON: ``{"error": "..."}``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from kolba import Blueprint, current_app, g, jsonify, request, url_for

from .auth import check_login, create_user
from .db import get_db
from .views import create_note, get_own_note, note_error, user_notes

bp = Blueprint("api", __name__, url_prefix="/api")

TOKEN_MAX_AGE = 30 * 24 * 3600  # seconds: a token works for 30 days


def note_json(note: sqlite3.Row) -> dict[str, Any]:
    attachment = None
    if note["attachment"]:
        attachment = url_for("notes.attachment", note_id=note["id"], _external=True)
    return {
        "id": note["id"],
        "title": note["title"],
        "body": note["body"],
        "created": note["created"].replace(" ", "T") + "Z",
        "url": url_for("api.get_note", note_id=note["id"], _external=True),
        "attachment": attachment,
    }


def error(status: int, message: str) -> tuple[dict[str, str], int, dict[str, str]]:
    headers = {"WWW-Authenticate": 'Basic realm="notes"'} if status == 401 else {}
    return {"error": message}, status, headers


def _tokens() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="notes-api-token")


@bp.before_request
def authenticate() -> Any:
    """``g.user`` from the Authorization header, if one is sent; else the
    session's user (set by the auth blueprint)."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        g.user = check_login(auth.username or "", auth.password or "")
        if g.user is None:
            return error(401, "Incorrect username or password.")
    elif auth is not None and auth.type == "bearer":
        try:
            user_id = _tokens().loads(auth.token or "", max_age=TOKEN_MAX_AGE)
        except BadSignature:
            return error(401, "The token is invalid or has expired: get a new one.")
        g.user = get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,))
        g.user = g.user.fetchone()
    if g.user is None and request.endpoint != "api.register":
        return error(401, "Log in first: HTTP Basic (curl -u) or a token.")
    return None


def _json_object() -> dict[str, Any] | None:
    data = request.get_json(silent=True) if request.is_json else None
    return data if isinstance(data, dict) else None


@bp.route("/users", methods=("POST",))
def register() -> Any:
    data = _json_object()
    if data is None:
        return error(400, "Send a JSON object with Content-Type: application/json.")
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return error(400, "'username' and 'password' must be strings.")
    message = create_user(username.strip(), password)
    if message is not None:
        return error(400, message)
    return {"username": username.strip()}, 201


@bp.route("/tokens", methods=("POST",))
def new_token() -> Any:
    """A token for ``Authorization: Bearer``, valid for 30 days."""
    token = _tokens().dumps(g.user["id"])
    return {"token": token, "expires_in": TOKEN_MAX_AGE}, 201


@bp.route("/notes")
def list_notes() -> Any:
    return jsonify([note_json(note) for note in user_notes(g.user["id"])])


@bp.route("/notes", methods=("POST",))
def post_note() -> Any:
    data = _json_object()
    if data is None:
        return error(400, "Send a JSON object with Content-Type: application/json.")
    title, body = data.get("title"), data.get("body", "")
    if not isinstance(title, str) or not isinstance(body, str):
        return error(400, "'title' and 'body' must be strings.")
    message = note_error(title.strip(), body)
    if message is not None:
        return error(400, message)
    note = get_own_note(create_note(title.strip(), body))
    location = url_for("api.get_note", note_id=note["id"])
    return note_json(note), 201, {"Location": location}


@bp.route("/notes/<int:note_id>")
def get_note(note_id: int) -> Any:
    return note_json(get_own_note(note_id))
