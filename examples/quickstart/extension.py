"""An extension in Flask's pattern: ``init_app`` for application factories,
settings in ``app.config``, its state in ``app.extensions``, a resource per
app context in ``g`` that is closed at teardown."""

import sqlite3

from kolba import Flask, current_app, g


class Database:
    def __init__(self, app=None):
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        app.config.setdefault('DATABASE', ':memory:')
        app.extensions['database'] = self
        app.teardown_appcontext(self.close)

    def connection(self):
        if 'db' not in g:
            g.db = sqlite3.connect(current_app.config['DATABASE'])
        return g.db

    def close(self, exc):
        db = g.pop('db', None)
        if db is not None:
            db.close()


db = Database()


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(config or {})
    db.init_app(app)

    @app.route('/')
    def index():
        (answer,) = db.connection().execute('SELECT 6 * 7').fetchone()
        return f'The database says {answer}.'

    return app
