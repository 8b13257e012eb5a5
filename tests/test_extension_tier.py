"""The extension tier: real, unmodified Flask extensions from the package
index (Flask-Login, Flask-WTF, Flask-SQLAlchemy, Flask-CORS, Flask-Caching,
Flask-Limiter, flask-restx, Flask-Migrate, Flask-Babel, Flask-Session, and
Flask-JWT-Extended, Flask-SocketIO, flask-smorest, Flask-Admin, Flask-HTTPAuth,
Flask-Compress, flask-talisman, and Flask-Principal, Flask-SeaSurf,
Flask-DebugToolbar, Flask-Mail, Flask-Executor, Flask-APScheduler, whose sdists
ship no tests), each driven by a small app of ours in ``tests/ext/ext_*.py``.

They run in a fresh interpreter with ``import kolba.compat.flask`` done first,
so that ``flask`` is kolba there while this interpreter's parity tests keep
the real Flask."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

RUN = """\
import sys
import kolba.compat.flask
import pytest
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-o", "python_files=ext_*.py",
                      "--rootdir", sys.argv[1], sys.argv[1]]))
"""


def test_flask_extensions_run_unmodified_on_kolba() -> None:
    result = subprocess.run(
        [sys.executable, "-c", RUN, str(HERE / "ext")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=HERE.parent,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert "24 passed" in output, output[-8000:]
