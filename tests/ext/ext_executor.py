"""Flask-Executor: a job in a thread sees the app, the request and g."""

from flask import Flask, current_app, g, request
from flask_executor import Executor


def test_job_gets_contexts() -> None:
    app = Flask(__name__)
    executor = Executor(app)

    def job(n: int) -> str:
        return f"{current_app.name} {request.path} {g.user} {n}"

    @app.route("/run")
    def run() -> str:
        g.user = "ann"
        future = executor.submit(job, 1)
        executor.submit_stored("second", job, 2)
        return future.result() + "|" + executor.futures.pop("second").result()

    name = app.name
    assert app.test_client().get("/run").text == f"{name} /run ann 1|{name} /run ann 2"
