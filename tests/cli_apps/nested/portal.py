"""An application in a file below the current folder (``nested/portal.py``)."""

from kolba import Flask

app = Flask(__name__)


@app.route("/nested")
def index():
    return "nested"
