"""The benchmark's apps answer alike, so that its timings compare like with like.

These are correctness tests of bench/: no timing is asserted (CI machines are
too noisy for that; the ratios come from running the bench itself).
"""

import asyncio
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "bench"
WSGI_FRAMEWORKS = ["bare", "falcon", "bottle", "flask", "kolba"]


def _load(name):
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load("bench")


@pytest.fixture(scope="module")
def built(bench):
    apps, served = {}, {}
    for name in [*WSGI_FRAMEWORKS, "kolba_10k", "bare_busy"]:
        apps[name], served[name] = bench.build(name, bench.ROWS)
    return apps, served


def test_kolba_serves_the_session_store_rows_on_apps_of_their_own(bench, built):
    _, served = built
    stores = ["session_sqlite"]
    if shutil.which("redis-server"):  # .ci/run installs it
        stores.append("session_redis")
    for key in stores:
        own = served["kolba"][key]
        cookie_app = served["kolba"]["session"].app
        assert own.app is not cookie_app
        assert own.app.config["SESSION_STORE"].startswith(key.split("_")[1] + "://")
        # the request carries the id of a session created before timing
        counts = []
        for _ in range(2):
            answer = bench.call(own.app, bench.ROWS[key].environ_factory(own.headers)())
            assert answer.status == 200, (key, answer.body)
            count, user = re.fullmatch(rb"count (\d+) for (\w+)", answer.body).groups()
            assert user == b"alice"
            counts.append(int(count))
        assert counts[1] == counts[0] + 1, key
    timed = bench.measure(
        {"kolba": served["kolba"]}, {k: bench.ROWS[k] for k in stores}, 1, 0.0005
    )
    assert all(timed["kolba"][k]["us"] > 0 for k in stores)


def test_every_framework_serves_every_row_with_the_same_answer(bench, built):
    _, served = built
    rows = list(bench.ROWS)
    assert rows == [
        "hello", "user", "json", "template", "session", "session_sqlite",
        "session_redis", "form", "404", "static", "query", "hooks", "hooks1",
        "noop_hooks", "noop_hooks1", "async",
    ]  # fmt: skip
    checked = bench.verify(served, bench.ROWS)
    stores = ["session_sqlite", "session_redis"]
    common = [r for r in rows if r not in stores]
    # the session stores: kolba's own app only
    assert list(served["kolba"]) == checked["kolba"]
    assert checked["kolba"] in (rows, [r for r in rows if r != "session_redis"])
    assert list(served["kolba_10k"]) == checked["kolba_10k"] == common
    # async views under WSGI: the Flask API only (Flask with asgiref)
    for name in ["bare", "bare_busy", "falcon", "bottle"]:
        assert list(served[name]) == checked[name] == common[:-1]
    assert checked["flask"] == list(served["flask"])
    assert checked["flask"] in (common, common[:-1])


def test_the_answers_are_the_rows_own(bench, built):
    apps, _ = built
    for name in WSGI_FRAMEWORKS:
        app = apps[name]

        def answer(key, app=app):
            return bench.call(app, bench.ROWS[key].environ_factory()())

        assert answer("hello").body == b"Hello, World!"
        assert answer("user").body == b"User 42"
        assert json.loads(answer("json").body) == bench.JSON_DATA
        page = answer("template").body.decode()
        assert page.count("<tr>") == 10 and "User &lt;3&gt;" in page
        assert answer("form").body == b"Alice Smith|alice@example.com|42|Paris|fr"
        assert answer("query").body == b"kolba|2|20|date|desc"
        assert answer("404").status == 404
        if name == "kolba":
            assert answer("async").body == b"Hello, World!"
        static = bench.STATIC / bench.STATIC_FILE
        assert answer("static").body == static.read_bytes()
        assert len(static.read_bytes()) == 10240
        hooks = answer("hooks")
        assert hooks.body == b"items after 0,1,2,3,4"
        assert [hooks.header(f"X-After-{i}") for i in range(5)] == list("01234")
        assert answer("hooks1").body == b"items after 0"
        assert answer("hooks1").header("X-After-1") == ""
        for key in ["noop_hooks", "noop_hooks1"]:
            noop = answer(key)
            assert noop.body == b"items after " and noop.header("X-After-0") == ""


def test_the_session_cookie_is_flasks_format_in_every_framework(bench, built):
    apps, _ = built
    signer = bench.session_signer()
    for name in WSGI_FRAMEWORKS:
        answer = bench.call(apps[name], bench.ROWS["session"].environ_factory()())
        assert answer.body == b"count 2 for alice", name
        name_value = answer.header("Set-Cookie").split(";")[0]
        assert name_value.startswith("session="), name
        # the count went up from the cookie the request carried, re-signed
        assert signer.loads(name_value[8:]) == {"count": 2, "user": "alice"}

    flask = pytest.importorskip("flask")
    app = flask.Flask(__name__)
    app.secret_key = bench.SECRET_KEY
    with app.test_request_context():
        flask_signer = app.session_interface.get_signing_serializer(app)
    assert flask_signer.loads(bench.SESSION_COOKIE) == bench.SESSION_IN
    assert signer.loads(flask_signer.dumps({"count": 2, "user": "alice"}))


def test_a_wrong_answer_stops_the_benchmark(bench, built):
    _, served = built

    def wrong(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"Goodbye"]

    rows = {"hello": bench.ROWS["hello"]}
    with pytest.raises(SystemExit, match="wrong GET / answered"):
        bench.verify(
            {"flask": served["flask"], "wrong": {"hello": bench.Own(wrong)}}, rows
        )


def test_asgi_apps_answer_alike(bench):
    asgi_apps = _load("asgi_apps")
    apps, skipped = asgi_apps.build()  # exits on a wrong answer
    assert skipped == {}
    assert set(apps) == {
        "bare", "bare_busy", "starlette", "falcon", "quart", "kolba", "kolba_def",
    }  # fmt: skip
    timed = asgi_apps.in_process(1, 0.0005)
    for name in apps:
        assert set(timed["results"][name]) == {"hello", "user"}
    assert set(timed["ratios"]) == {"kolba_over_starlette", "kolba_over_bare"}
    assert len(timed["bars"]) == 2
    # the same apps behind uvicorn's protocol in process, as shares of bare
    assert set(timed["uvicorn"]) == set(apps)
    assert timed["uvicorn_share_of_bare"]["bare"] == {"hello": 1.0, "user": 1.0}
    assert "behind uvicorn" in asgi_apps.report(timed)


def test_a_wrong_answer_behind_uvicorn_stops_the_benchmark(bench):
    asgi_apps = _load("asgi_apps")

    async def wrong(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"Hello"})

    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(SystemExit, match="wrong behind uvicorn: GET / gave"):
            asgi_apps.behind_uvicorn("wrong", wrong, loop)
    finally:
        loop.close()


def test_quick_run_prints_a_json_report():
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "bench.py"),
            "--quick",
            "--json",
            "--rows",
            "hello,form",
            "--rounds",
            "1",
            "--no-asgi",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["rows"] == {"hello": "hello /", "form": "urlencoded POST, 5 fields"}
    for name in WSGI_FRAMEWORKS:
        assert report["verified"][name] == ["hello", "form"]
        assert report["results"][name]["form"]["us"] > 0
    assert set(report["ratios"]["kolba_over_falcon"]) == {"hello", "form"}
    assert set(report["imports"]) == {"kolba", "flask", "falcon", "bottle"}
    kolba = report["imports"]["kolba"]
    assert kolba["ms"] > 0 and kolba["rss_mb"] > 0
    # Jinja2 and click stay lazy: a plain import of kolba loads neither
    assert not {"jinja2", "click"} & set(kolba["loaded"])


def test_unknown_rows_are_refused(bench):
    with pytest.raises(SystemExit, match="unknown row"):
        bench.select_rows("hello,nope")


def test_http_run_serves_each_app_under_a_real_server():
    """gunicorn on 127.0.0.1 with the Python load: answers checked, rps counted."""
    proc = subprocess.run(
        [sys.executable, str(BENCH_DIR / "http_bench.py"), "--quick", "--json",
         "--servers", "gunicorn", "--apps", "bare,kolba", "--duration", "0.3",
         "--python-load", "--connections", "2"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["load"] == "python"
    for app in ["bare", "kolba"]:
        for path in ["/", "/user/42"]:
            assert report["results"]["gunicorn"][app][path] > 0
    assert report["shares"]["gunicorn"]["bare"] == {"/": 1.0, "/user/42": 1.0}
    # the server's CPU time per request, from /proc, beside the throughput
    assert set(report["cpu_us"]["gunicorn"]["kolba"]) == {"/", "/user/42"}


def test_http_run_serves_each_asgi_app_under_uvicorn_and_granian():
    """Issue 8's HTTP rows: kolba, Starlette, Quart, Falcon and the bare ASGI
    callable, each under uvicorn and granian's ASGI interface on 127.0.0.1:
    answers checked, rps counted, shares of bare's reported."""
    apps = ["bare", "kolba", "starlette", "quart", "falcon"]
    proc = subprocess.run(
        [sys.executable, str(BENCH_DIR / "http_bench.py"), "--quick", "--json",
         "--servers", "uvicorn,granian-asgi", "--apps", ",".join(apps),
         "--duration", "0.2", "--python-load", "--connections", "2"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["skipped"] == {}
    for server in ["uvicorn", "granian-asgi"]:
        assert set(report["results"][server]) == set(apps)
        for app in apps:
            for path in ["/", "/user/42"]:
                assert report["results"][server][app][path] > 0
        assert report["shares"][server]["bare"] == {"/": 1.0, "/user/42": 1.0}


def test_the_hook_pair_bar_is_on_what_kolba_adds_to_the_hooks_work(bench):
    def cells(hooks, hooks1):
        return {"hooks": {"us": hooks}, "hooks1": {"us": hooks1}}

    results = {"kolba": cells(9.0, 5.0), "bare": cells(3.0, 1.4)}
    assert bench.hook_pair(results, "kolba") == 1.0
    assert bench.hook_pair(results, "falcon") is None
    held = bench.bars(results, {})
    (text,) = held
    assert "costs kolba 0.60 µs over the bare callable's same hooks" in text
    assert held[text] is False
    results["bare"] = cells(4.0, 1.2)
    assert list(bench.bars(results, {}).values()) == [True]  # 1.0 - 0.7
    results["falcon"] = {"hooks": {"us": 9.0}}  # (no hooks1: no pair)
    assert bench.hook_pairs(results) == {"hooks": {"kolba": 1.0, "bare": 0.7}}
    results["kolba"] |= {"noop_hooks": {"us": 3.5}, "noop_hooks1": {"us": 3.0}}
    assert bench.hook_pairs(results)["noop_hooks"] == {"kolba": 0.125}


def test_the_template_bar_is_kolba_over_the_bare_callable_using_jinja(bench):
    text = "template: kolba/bare <= 1.1 (issue 11: Jinja2's own work plus at most 10%)"
    assert bench.bars({}, {"kolba_over_bare": {"template": 1.1}}) == {text: True}
    assert bench.bars({}, {"kolba_over_bare": {"template": 1.12}}) == {text: False}
    assert bench.bars({}, {"kolba_over_bare": {"hello": 1.5}}) == {}


def test_http_run_pins_the_server_and_the_load_to_their_own_cores():
    """The server's processes (gunicorn's master and worker) run on the server's
    core only, and a command pinned for the load on the other core only."""
    import os

    http_bench = _load("http_bench")
    server_core, load_core = sorted(os.sched_getaffinity(0))[:2]
    with http_bench.Server("gunicorn", "bare", str(server_core)) as server:
        assert http_bench.get(server.port, "/") == (200, b"Hello, World!")
        group = [
            int(pid)
            for pid in os.listdir("/proc")
            if pid.isdigit() and _process_group(int(pid)) == server.proc.pid
        ]
        assert len(group) >= 2  # the master and its worker
        assert all(os.sched_getaffinity(pid) == {server_core} for pid in group)
    code = "import os; print(sorted(os.sched_getaffinity(0)))"
    argv = http_bench.pinned(str(load_core), [sys.executable, "-c", code])
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert out == f"[{load_core}]\n"


def _process_group(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError):  # gone, or not a process
        return None
