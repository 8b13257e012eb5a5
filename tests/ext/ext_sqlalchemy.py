"""Flask-SQLAlchemy: a model, created, queried in a view."""

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class User(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


def test_model_query() -> None:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)

    @app.route("/users")
    def users() -> object:
        rows = db.session.execute(db.select(User).order_by(User.name)).scalars()
        return jsonify([u.name for u in rows])

    @app.route("/users/<int:id>")
    def user(id: int) -> str:
        return db.get_or_404(User, id).name

    with app.app_context():
        db.create_all()
        db.session.add_all([User(name="bob"), User(name="ann")])
        db.session.commit()
    client = app.test_client()
    assert client.get("/users").json == ["ann", "bob"]
    assert client.get("/users/1").text == "bob"
    assert client.get("/users/9").status_code == 404
    with app.app_context():  # (its in-memory database's connection closed)
        db.engine.dispose()
