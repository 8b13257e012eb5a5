"""An application factory taking an argument."""

from kolba import Flask


def create_app(greeting="Hello"):
    app = Flask(__name__)

    @app.route("/")
    def index():
        return f"{greeting} from the factory"

    return app
