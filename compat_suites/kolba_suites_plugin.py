"""pytest plugin for a suite run (``-p kolba_suites_plugin``): serves
``flask`` from kolba and records each test's outcome.

With ``KOLBA_SUITES_TARGET=kolba`` it runs ``import kolba.compat.flask``
before pytest imports any conftest or test module, after checking that the
real Flask is not installed in this venv, and ignores kolba's warning about
a short SECRET_KEY. The outcomes go, as JSON
``{test id: outcome}``, to the file named by ``KOLBA_SUITES_RESULTS``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from typing import Any

if os.environ.get("KOLBA_SUITES_TARGET") == "kolba":
    try:
        importlib.metadata.distribution("flask")
    except importlib.metadata.PackageNotFoundError:
        pass
    else:
        raise RuntimeError("the real Flask is installed in the kolba suites venv")
    import kolba.compat.flask  # noqa: F401

_outcomes: dict[str, str] = {}


def pytest_configure(config: Any) -> None:
    if os.environ.get("KOLBA_SUITES_TARGET") == "kolba":
        # kolba warns about a short SECRET_KEY (the suites' "secret"), a
        # deliberate difference; under "filterwarnings = error" it would fail
        # every test that uses a session before what the test checks.
        config.addinivalue_line(
            "filterwarnings", "ignore::kolba.sessions.SecretKeyWarning"
        )


def pytest_runtest_logreport(report: Any) -> None:
    nodeid = report.nodeid
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        else:
            outcome = report.outcome
        _outcomes[nodeid] = outcome
    elif report.failed:
        # a setup or teardown error overrides the call's outcome
        _outcomes[nodeid] = "error"
    elif report.skipped and nodeid not in _outcomes:
        _outcomes[nodeid] = "skipped"


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _outcomes[report.nodeid or "<collection>"] = "error"


def pytest_sessionfinish(session: Any) -> None:
    path = os.environ.get("KOLBA_SUITES_RESULTS")
    if path:
        with open(path, "w") as f:
            json.dump(_outcomes, f, indent=0, sort_keys=True)
