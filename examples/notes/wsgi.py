"""The WSGI entry point: ``gunicorn wsgi:app`` (from this folder).

``python wsgi.py`` serves it with the development server on
http://127.0.0.1:5000 as well.
"""

from notes import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
