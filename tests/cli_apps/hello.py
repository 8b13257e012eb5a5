"""The seed's minimal application, plus a view that fails."""

import os

from kolba import Flask

app = Flask(__name__)


@app.route("/")
def hello_world():
    return "Hello, World!"


@app.route("/boom")
def boom():
    raise RuntimeError("kaboom: secret detail")


if __name__ == "__main__":
    app.run(port=int(os.environ["PORT"]))
