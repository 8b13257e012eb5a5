"""Flask-Migrate: init, migrate and upgrade run through the kolba command."""

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

APP = """\
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///app.db"
db = SQLAlchemy(app)
Migrate(app, db)

class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(80))
"""


def kolba(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "from kolba.cli import main; main()", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60,
        env={**os.environ, "KOLBA_APP": "notes"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_migration_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "notes.py").write_text(APP)
    kolba("--flask-compat", "db", "init", cwd=tmp_path)
    kolba("--flask-compat", "db", "migrate", "-m", "notes", cwd=tmp_path)
    kolba("--flask-compat", "db", "upgrade", cwd=tmp_path)
    with closing(sqlite3.connect(tmp_path / "instance" / "app.db")) as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
    assert {"note", "alembic_version"} <= tables
