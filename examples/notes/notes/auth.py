"""Registration, login and logout; the logged-in user is ``g.user``."""

from __future__ import annotations

import functools
import re
import secrets
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
MAX_PASSWORD = 200
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
            return ask_login(request.path)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def ask_login(then: str) -> Any:
    """To the login page, which sends the user on to ``then`` afterwards."""
    flash("Please log in first.", "error")
    return redirect(url_for("auth.login", next=then))


# Checked when the user does not exist, so that a wrong name costs as long as
# a wrong password and the time of an answer does not tell which names exist.
_NO_USER_HASH = generate_password_hash(secrets.token_hex(16))


def check_login(username: str, password: str) -> sqlite3.Row | None:
    """The user with this name and password, or None."""
    user = get_db().execute("SELECT * FROM user WHERE username = ?", (username,))
    user = user.fetchone()
    stored = user["password"] if user is not None else _NO_USER_HASH
    if check_password_hash(stored, password) and user is not None:
        return user
    return None


def create_user(username: str, password: str) -> str | None:
    """Register a user; why not, or None when done."""
    if not username or len(username) > MAX_USERNAME:
        return f"A username of 1 to {MAX_USERNAME} characters is required."
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"The password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters."
    db = get_db()
    try:
        db.execute(
            "INSERT INTO user (username, password) VALUES (?, ?)",
            (username, generate_password_hash(password)),
        )
        db.commit()
    except sqlite3.IntegrityError:
        return f"The username {username} is already taken."
    return None


def _form_credentials() -> tuple[str, str]:
    return request.form.get("username", "").strip(), request.form.get("password", "")


@bp.route("/register", methods=("GET", "POST"))
def register() -> Any:
    if request.method == "POST":
        error = create_user(*_form_credentials())
        if error is None:
            flash("Registered. Please log in.", "success")
            return redirect(url_for("auth.login"))
        flash(error, "error")
        return render_template("auth/register.html"), 400
    return render_template("auth/register.html")


@bp.route("/login", methods=("GET", "POST"))
def login() -> Any:
    if request.method == "POST":
        user = check_login(*_form_credentials())
        if user is None:
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
