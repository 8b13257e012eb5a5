"""Found without --app: ``wsgi.py`` in the current folder."""

from kolba import Flask

application = Flask(__name__)


@application.route("/")
def index():
    return "Found wsgi.py"
