"""The pages: the user's notes, creating and deleting them, attachments."""

from __future__ import annotations

import os
import shutil
import sqlite3
import unicodedata
from typing import Any

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

from .auth import ask_login, login_required
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


_SQLITE_MAX_INT = 2**63 - 1


def get_own_note(note_id: int) -> sqlite3.Row:
    """The note, if it is the logged-in user's; anyone else's is a 404 (as is
    an id past SQLite's integers, which no note has)."""
    if note_id > _SQLITE_MAX_INT:
        abort(404)
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


# The file of a note's attachment, on disk: a fixed name, safe by construction.
# The name the user gave (any letters) is kept in the database for downloads.
STORED_NAME = "attachment"
MAX_FILENAME = 200


def attachment_name(filename: str) -> str:
    """The name to show and download a file under: the user's own name (any
    script), without folders or control characters, at most 200 characters.
    Empty when nothing usable is left."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/")).split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if name in (".", ".."):
        return ""
    stem, dot, ext = name.rpartition(".")
    if len(name) > MAX_FILENAME:  # keep the extension
        name = (
            (stem[: MAX_FILENAME - len(ext) - 1] + "." + ext)
            if dot
            else name[:MAX_FILENAME]
        )
    return name


@bp.route("/")
def index() -> str:
    notes = user_notes(g.user["id"]) if g.user else []
    return render_template("notes/index.html", notes=notes, form={})


@bp.route("/notes", methods=("POST",))
@login_required
def create() -> Any:
    title = request.form.get("title", "").strip()
    body = request.form.get("body", "")
    upload = request.files.get("attachment")
    filename = None
    error = note_error(title, body)
    if error is None and upload is not None and upload.filename:
        filename = attachment_name(upload.filename)
        if not filename:
            error = "The attachment's file name cannot be used: rename the file."
    if error is not None:
        flash(error, "error")
        notes = user_notes(g.user["id"])
        # the form again, with what was typed (a file input cannot be refilled)
        form = {"title": title, "body": body}
        return render_template("notes/index.html", notes=notes, form=form), 400

    note_id = create_note(title, body)
    if upload is not None and filename:
        os.makedirs(attachment_folder(note_id), exist_ok=True)
        upload.save(os.path.join(attachment_folder(note_id), STORED_NAME))
        db = get_db()
        db.execute("UPDATE note SET attachment = ? WHERE id = ?", (filename, note_id))
        db.commit()
    flash(f"Saved “{title}”.", "success")
    return redirect(url_for("notes.index"))


@bp.route("/notes/<int:note_id>")
@login_required
def show(note_id: int) -> str:
    return render_template("notes/show.html", note=get_own_note(note_id))


@bp.route("/notes/<int:note_id>/delete", methods=("GET", "POST"))
@login_required
def delete(note_id: int) -> Any:
    """GET asks for confirmation (a form, no JavaScript needed); POST deletes."""
    note = get_own_note(note_id)
    if request.method == "GET":
        return render_template("notes/delete.html", note=note)
    db = get_db()
    db.execute("DELETE FROM note WHERE id = ?", (note_id,))
    db.commit()
    shutil.rmtree(attachment_folder(note_id), ignore_errors=True)
    flash(f"Deleted “{note['title']}”.", "success")
    return redirect(url_for("notes.index"))


@bp.route("/notes/<int:note_id>/attachment")
def attachment(note_id: int) -> Any:
    if g.user is None:
        # after logging in, land on the note's page: a download would leave
        # the browser showing the login form it came from
        return ask_login(url_for("notes.show", note_id=note_id))
    note = get_own_note(note_id)
    if not note["attachment"]:
        abort(404)
    return send_from_directory(
        attachment_folder(note_id),
        STORED_NAME,
        as_attachment=True,
        download_name=note["attachment"],  # UTF-8 names go in filename*=
    )
