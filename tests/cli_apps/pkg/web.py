"""An application in a package module (``pkg.web`` or ``pkg/web.py``)."""

from kolba import Flask

app = Flask(__name__)


@app.route("/pkg")
def index():
    return "pkg.web"
