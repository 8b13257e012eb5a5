"""The pages: the user's notes, creating and deleting them, attachments."""

from __future__ import annotations

import os
import shutil
import sqlite3
from typing import Any

from werkzeug.utils import secure_filename

from kolba import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from .auth import login_required
from .db import get_db

bp = Blueprint("notes", __name__)

MAX_TITLE = 200
MAX_BODY = 20_000


def user_notes(user_id: int) -> list[sqlite3.Row]:
    return (
        get_db()
        .execute(
            "SELECT * FROM note WHERE author_id = ? ORDER BY created DESC, id DESC",
            (user_id,),
        )
        .fetchall()
    )


def get_own_note(note_id: int) -> sqlite3.Row:
    """The note, if it is the logged-in user's; anyone else's is a 404."""
    note = (
        get_db()
        .execute(
            "SELECT * FROM note WHERE id = ? AND author_id = ?", (note_id, g.user["id"])
        )
        .fetchone()
    )
    if note is None:
        abort(404)
    return note


def note_error(title: str, body: str) -> str | None:
    """Why this title and body cannot be a note, or None if they can."""
    if not title or len(title) > MAX_TITLE:
        return f"A title of 1 to {MAX_TITLE} characters is required."
    if len(body) > MAX_BODY:
        return f"The text is limited to {MAX_BODY} characters."
    return None


def create_note(title: str, body: str) -> int:
    db = get_db()
    cursor = db.execute(
        "INSERT INTO note (author_id, title, body) VALUES (?, ?, ?)",
        (g.user["id"], title, body),
    )
    db.commit()
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def attachment_folder(note_id: int) -> str:
    return os.path.join(current_app.config["UPLOAD_FOLDER"], str(note_id))


@bp.route("/")
def index() -> str:
    notes = user_notes(g.user["id"]) if g.user else []
    return render_template("notes/index.html", notes=notes)


@bp.route("/notes", methods=("POST",))
@login_required
def create() -> Any:
    title = request.form.get("title", "").strip()
    body = request.form.get("body", "")
    upload = request.files.get("attachment")
    filename = None
    error = note_error(title, body)
    if error is None and upload is not None and upload.filename:
        filename = secure_filename(upload.filename)
        if not filename:
            error = "The attachment's file name cannot be used: rename the file."
    if error is not None:
        flash(error, "error")
        notes = user_notes(g.user["id"])
        return render_template("notes/index.html", notes=notes), 400

    note_id = create_note(title, body)
    if upload is not None and filename:
        os.makedirs(attachment_folder(note_id), exist_ok=True)
        upload.save(os.path.join(attachment_folder(note_id), filename))
        db = get_db()
        db.execute("UPDATE note SET attachment = ? WHERE id = ?", (filename, note_id))
        db.commit()
    flash(f"Saved “{title}”.", "success")
    return redirect(url_for("notes.index"))


@bp.route("/notes/<int:note_id>/delete", methods=("POST",))
@login_required
def delete(note_id: int) -> Any:
    note = get_own_note(note_id)
    db = get_db()
    db.execute("DELETE FROM note WHERE id = ?", (note_id,))
    db.commit()
    shutil.rmtree(attachment_folder(note_id), ignore_errors=True)
    flash(f"Deleted “{note['title']}”.", "success")
    return redirect(url_for("notes.index"))


@bp.route("/notes/<int:note_id>/attachment")
@login_required
def attachment(note_id: int) -> Any:
    note = get_own_note(note_id)
    if not note["attachment"]:
        abort(404)
    return send_from_directory(
        attachment_folder(note_id), note["attachment"], as_attachment=True
    )
