"""Notes: a small kolba application with accounts, notes, attachments and a
JSON API.

Run it with ``kolba --app notes run`` from ``examples/notes`` (serves on
http://127.0.0.1:5000), or in production with ``gunicorn wsgi:app``.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import HTTPException

from kolba import Flask, render_template, request

from . import api, auth, db, security, views


def create_app(
    test_config: Mapping[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the app. The instance folder (``NOTES_INSTANCE_PATH`` or
    ``instance/`` beside the package) holds the database, the attachments
    and the generated secret key."""
    instance_path = instance_path or os.environ.get("NOTES_INSTANCE_PATH") or None
    if instance_path is not None:
        instance_path = os.path.abspath(instance_path)
    app = Flask(__name__, instance_path=instance_path)
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "notes.sqlite"),
        UPLOAD_FOLDER=os.path.join(app.instance_path, "attachments"),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    # NOTES_SECRET_KEY, NOTES_SESSION_COOKIE_SECURE=true, NOTES_MAX_CONTENT_LENGTH...
    app.config.from_prefixed_env("NOTES")
    if test_config is not None:
        app.config.from_mapping(test_config)

    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)

    db.init_app(app)
    security.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)

    app.register_error_handler(HTTPException, error_page)
    app.add_template_filter(megabytes)

    if app.config.get("PROXY_FIX"):  # NOTES_PROXY_FIX=1
        from werkzeug.middleware.proxy_fix import ProxyFix

        # one proxy (nginx) in front: trust its X-Forwarded-For/Proto/Host
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    return app


def _instance_secret_key(instance_path: str) -> str:
    """The key in ``instance/secret_key``, created once, so that sessions
    survive restarts. Safe when several workers start at once: the first
    link wins and everyone reads the winner's key."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as f:
        return f.read().strip()


def error_page(error: HTTPException) -> Any:
    """An HTTP error as a page of the app (layout, navigation), or as JSON
    under ``/api/``."""
    code = error.code or 500
    message = ERROR_MESSAGES.get(code) or error.description or error.name
    if code == 413:
        message = message.format(
            limit=f"{(request.max_content_length or 0) / 2**20:g} MB"
        )
    # keep what the error adds (Allow on a 405, WWW-Authenticate on a 401)
    headers = [h for h in error.get_headers() if h[0] != "Content-Type"]
    if request.path.startswith("/api/"):
        return {"error": message}, code, headers
    page = render_template("error.html", code=code, name=error.name, message=message)
    return page, code, headers


def megabytes(size: int | None) -> str:
    """``2097152`` as ``2 MB``."""
    return f"{(size or 0) / 2**20:.3g} MB"


ERROR_MESSAGES = {
    404: "Nothing lives at this address.",
    405: "This address does not take that kind of request.",
    413: "That upload is too large: a note with its attachment may be {limit} at most.",
}
