"""Flask-JWT-Extended: a token issued, then required by a view."""

from flask import Flask, jsonify
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    get_jwt_identity,
    jwt_required,
)


def test_token_protected_view() -> None:
    app = Flask(__name__)
    app.config["JWT_SECRET_KEY"] = "a-long-enough-test-secret-key-for-hs256!"
    JWTManager(app)

    @app.post("/login")
    def login() -> object:
        return jsonify(token=create_access_token(identity="ann"))

    @app.get("/me")
    @jwt_required()
    def me() -> object:
        return jsonify(me=get_jwt_identity())

    client = app.test_client()
    token = client.post("/login").json["token"]
    assert client.get("/me").status_code == 401
    response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json == {"me": "ann"}
