"""Registration, login and logout; the logged-in user is ``g.user``."""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from werkzeug.security import check_password_hash, generate_password_hash

from kolba import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .db import get_db

bp = Blueprint("auth", __name__, url_prefix="/auth")

F = TypeVar("F", bound=Callable[..., Any])

MAX_USERNAME = 40
MIN_PASSWORD = 8
# "/notes/3", but not "//evil.example" nor a backslash trick
_LOCAL_PATH = re.compile(r"/(?![/\\])[\w\-./]*")


@bp.before_app_request
def load_logged_in_user() -> None:
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        g.user = (
            get_db().execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()
        )


def login_required(view: F) -> F:
    """Send anonymous visitors to the login page, then back here."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            flash("Please log in first.", "error")
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _form_credentials() -> tuple[str, str]:
    return request.form.get("username", "").strip(), request.form.get("password", "")


@bp.route("/register", methods=("GET", "POST"))
def register() -> Any:
    if request.method == "POST":
        username, password = _form_credentials()
        error = None
        if not username or len(username) > MAX_USERNAME:
            error = f"A username of 1 to {MAX_USERNAME} characters is required."
        elif len(password) < MIN_PASSWORD:
            error = f"The password needs at least {MIN_PASSWORD} characters."
        else:
            db = get_db()
            try:
                db.execute(
                    "INSERT INTO user (username, password) VALUES (?, ?)",
                    (username, generate_password_hash(password)),
                )
                db.commit()
            except sqlite3.IntegrityError:
                error = f"The username {username} is already taken."
            else:
                flash("Registered. Please log in.", "success")
                return redirect(url_for("auth.login"))
        flash(error, "error")
        return render_template("auth/register.html"), 400
    return render_template("auth/register.html")


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    if request.method == "POST":
        username, password = _form_credentials()
        user = (
            get_db()
            .execute("SELECT * FROM user WHERE username = ?", (username,))
            .fetchone()
        )
        if user is None or not check_password_hash(user["password"], password):
            flash("Incorrect username or password.", "error")
            return render_template("auth/login.html"), 401
        session.clear()  # a fresh session (and CSRF token) on login
        session["user_id"] = user["id"]
        flash(f"Welcome, {user['username']}!", "success")
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html")


def _safe_next(target: str | None) -> str:
    """Only a local path: ``?next=`` must not send users to another site."""
    if target and _LOCAL_PATH.fullmatch(target):
        return target
    return url_for("notes.index")


@bp.route("/logout", methods=("POST",))
def logout() -> Any:
    session.clear()
    flash("Logged out.", "success")
    return redirect(url_for("notes.index"))
