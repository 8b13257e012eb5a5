"""The JSON API: the logged-in user's notes.

``GET /api/notes`` lists them, ``POST /api/notes`` with a JSON object
``{"title": ..., "body": ...}`` creates one (201), ``GET /api/notes/<id>``
shows one. Errors are JSON too: 400 for a bad body, 401 when logged out.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from werkzeug.exceptions import HTTPException

from kolba import Blueprint, g, jsonify, request, url_for

from .views import create_note, get_own_note, note_error, user_notes

bp = Blueprint("api", __name__, url_prefix="/api")


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


def error(status: int, message: str) -> tuple[dict[str, str], int]:
    return {"error": message}, status


@bp.before_request
def require_login() -> Any:
    if g.user is None:
        return error(401, "Log in first.")
    return None


@bp.errorhandler(404)  # a code's handler comes first: this beats the app's 404 page
@bp.errorhandler(HTTPException)
def http_error(e: HTTPException) -> Any:
    return error(e.code or 500, e.description or e.name)


@bp.route("/notes")
def list_notes() -> Any:
    return jsonify([note_json(note) for note in user_notes(g.user["id"])])


@bp.route("/notes", methods=("POST",))
def post_note() -> Any:
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
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
