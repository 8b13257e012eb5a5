"""Flask-APScheduler: its JSON API blueprint lists, adds and removes jobs."""

from flask import Flask
from flask_apscheduler import APScheduler


def test_scheduler_api() -> None:
    app = Flask(__name__)
    app.config.update(
        SCHEDULER_API_ENABLED=True,
        SCHEDULER_JOBS=[{"id": "tick", "func": "builtins:print", "trigger": "interval",
                         "hours": 1}],
    )
    scheduler = APScheduler()
    scheduler.init_app(app)
    scheduler.start(paused=True)
    try:
        client = app.test_client()
        assert [job["id"] for job in client.get("/scheduler/jobs").json] == ["tick"]
        missing = client.get("/scheduler/jobs/none")
        assert missing.status_code == 404
        assert "not found" in missing.json["error_message"]
        added = client.post("/scheduler/jobs", json={
            "id": "once", "func": "builtins:print", "trigger": "date",
            "run_date": "2030-01-01T00:00:00"})
        assert added.status_code == 200 and added.json["trigger"] == "date"
        assert client.post("/scheduler/jobs", data="{", content_type="application/json"
                           ).status_code == 400
        assert client.delete("/scheduler/jobs/once").status_code == 204
        assert len(client.get("/scheduler/jobs").json) == 1
    finally:
        scheduler.shutdown(wait=False)
