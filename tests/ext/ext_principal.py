"""Flask-Principal: an identity kept in the session grants a role."""

from flask import Flask, current_app, g
from flask_principal import (
    AnonymousIdentity,
    Identity,
    Permission,
    Principal,
    RoleNeed,
    identity_changed,
    identity_loaded,
)


def test_identity_and_permission() -> None:
    app = Flask(__name__)
    app.secret_key = "principal-test-secret-key-32-bytes"
    Principal(app)
    admin = Permission(RoleNeed("admin"))

    @identity_loaded.connect_via(app)
    def load_roles(sender: Flask, identity: Identity) -> None:
        if identity.id == "ann":
            identity.provides.add(RoleNeed("admin"))

    @app.route("/login/<name>")
    def login(name: str) -> str:
        app_object = current_app._get_current_object()
        identity_changed.send(app_object, identity=Identity(name))
        return "in"

    @app.route("/logout")
    def logout() -> str:
        app_object = current_app._get_current_object()
        identity_changed.send(app_object, identity=AnonymousIdentity())
        return "out"

    @app.route("/admin")
    @admin.require(http_exception=403)
    def admin_page() -> str:
        return f"admin {g.identity.id}"

    client = app.test_client()
    assert client.get("/admin").status_code == 403
    client.get("/login/ann")
    assert client.get("/admin").text == "admin ann"  # identity read from the session
    client.get("/login/bob")
    assert client.get("/admin").status_code == 403
    client.get("/login/ann")
    client.get("/logout")
    assert client.get("/admin").status_code == 403
