"""The benchmark keeps running: every framework answers right and gets timed.

No timing is asserted here; CI machines are too noisy for that.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench.py"
ROUTES = ["/", "/user/42"]


def test_quick_benchmark_verifies_and_times_every_framework():
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)

    expected = ["bare", "kolba", "kolba_1000"]
    for name in ["flask", "bottle", "falcon"]:
        if importlib.util.find_spec(name) is None:
            assert name in report["skipped"]
        else:
            expected.append(name)

    assert sorted(report["results"]) == sorted(expected), report["skipped"]
    for name in expected:
        assert report["verified"][name] == ROUTES
        for path in ROUTES:
            assert report["results"][name][path]["us"] > 0
            assert report["results"][name][path]["n"] >= 1
    assert set(report["ratios"]) >= {"kolba_over_bare", "kolba_1000_over_kolba"}


def test_a_wrong_answer_stops_the_benchmark():
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    def wrong(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"Goodbye"]

    with pytest.raises(SystemExit, match="wrong GET / answered"):
        bench.verify("wrong", wrong)
