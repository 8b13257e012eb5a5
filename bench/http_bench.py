"""Requests per second over HTTP: each app under real servers, one worker.

Each app of bench.py (WSGI: kolba, Flask, Falcon, Bottle, bare) runs under
granian (``--interface wsgi``) and gunicorn (sync worker), and each app of
asgi_apps.py (ASGI: kolba, Starlette, Quart, Falcon, bare) under uvicorn and
granian (``--interface asgi``), one worker on 127.0.0.1 pinned to one core,
while the load generator (wrk, else a small Python one) runs pinned to the
other core. Every server is checked to answer ``/`` and ``/user/42`` right
before it is loaded; apps and rounds are interleaved and the best round
counts. The report gives requests per second and each app's share of the bare
callable's under the same server; and the server's CPU time per request (its
process group's, from /proc): a share of that is what a core of its own would
give, which the other jobs of a shared machine move far less than throughput.

    python bench/http_bench.py [--quick] [--json] [--servers granian,uvicorn]
        [--apps bare,kolba] [--duration S] [--rounds N] [--connections C]

(The file is not named http.py: that would shadow the standard library's
``http`` for every script run from this folder.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the modules beside
    sys.path.insert(0, str(HERE))

import asgi_apps  # noqa: E402
from bench_common import SRC, Skip, with_version  # noqa: E402

PATHS = {"/": b"Hello, World!", "/user/42": b"User 42"}
WSGI_APPS = ["bare", "bare_busy", "kolba", "flask", "falcon", "bottle"]
ASGI_APPS = ["bare", "bare_busy", "kolba", "kolba_def", "starlette", "falcon", "quart"]


def _granian(interface: str):
    def command(target: str, port: int) -> list[str]:
        return [
            "-m", "granian", "--interface", interface, "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1", "--no-access-log",
            "--log-level", "warning", "--working-dir", str(HERE), target,
        ]  # fmt: skip

    return command


def _gunicorn(target: str, port: int) -> list[str]:
    return [
        "-m", "gunicorn", "--workers", "1", "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        "--chdir", str(HERE), target,
    ]  # fmt: skip


def _uvicorn(target: str, port: int) -> list[str]:
    return [
        "-m", "uvicorn", "--interface", "asgi3", "--host", "127.0.0.1",
        "--port", str(port),
        "--no-access-log", "--log-level", "warning", "--app-dir", str(HERE),
        target,
    ]  # fmt: skip


# key: (label, distribution, interface, the apps it runs, its arguments)
SERVERS = {
    "granian": ("granian WSGI", "granian", "wsgi", WSGI_APPS, _granian("wsgi")),
    "gunicorn": ("gunicorn sync", "gunicorn", "wsgi", WSGI_APPS, _gunicorn),
    "uvicorn": ("uvicorn", "uvicorn", "asgi", ASGI_APPS, _uvicorn),
    "granian-asgi": ("granian ASGI", "granian", "asgi", ASGI_APPS, _granian("asgi")),
}
# (server, share of bare's requests/s that kolba must reach): issues 11 and 8
BARS = {"granian": 0.9, "uvicorn": 0.85, "granian-asgi": 0.85}


# -- one server -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpu: str | None, argv: list[str]) -> list[str]:
    if cpu is None or shutil.which("taskset") is None:
        return argv
    return ["taskset", "-c", cpu, *argv]


def get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    """A server process on a free port, its own process group, ready to load."""

    def __init__(self, server: str, app: str, cpu: str | None) -> None:
        _, _, interface, _, args = SERVERS[server]
        self.port = free_port()
        self.name = f"{server} {app}"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(SRC)]))
        argv = [sys.executable, *args(f"serve:{interface}_{app}", self.port)]
        self.proc = subprocess.Popen(
            pinned(cpu, argv),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                raise RuntimeError(f"{self.name} exited: {err[-2000:]}")
            try:
                status, body = get(self.port, "/", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.name} did not answer in 60 s")
                time.sleep(0.1)
        for path, want in PATHS.items():
            status, body = get(self.port, path)
            if status != 200 or body != want:
                self.stop()
                sys.exit(
                    f"http_bench: {self.name} GET {path} answered {status} "
                    f"{body[:200]!r}, expected 200 {want!r}"
                )
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def cpu(self) -> float:
        """CPU seconds used so far by the server's processes (its process
        group: granian's and hypercorn's workers too); 0 without /proc."""
        total = 0
        for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):  # not a process, or gone
                continue
            if int(fields[2]) == self.proc.pid:  # in its process group
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM to the server's own process group, SIGKILL if it lingers."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc.stderr.close()


# -- load -------------------------------------------------------------------


def wrk(
    port: int, path: str, seconds: float, conns: int, cpu: str | None
) -> tuple[float, int]:
    """Requests per second that wrk gets, and how many requests; any non-2xx
    answer stops the run."""
    argv = ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s"]
    out = subprocess.run(
        pinned(cpu, [*argv, f"http://127.0.0.1:{port}{path}"]),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        sys.exit(f"http_bench: {bad.group(1)} bad answers on {path}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, int(re.search(r"(\d+) requests in", out).group(1))


def pyload(
    port: int, path: str, seconds: float, conns: int, cpu: str | None
) -> tuple[float, int]:
    """The Python load generator, in its own process pinned to ``cpu``:
    requests per second, and how many requests."""
    out = subprocess.run(
        pinned(
            cpu,
            [sys.executable, __file__, "--load", f"{port} {path} {seconds} {conns}"],
        ),  # fmt: skip
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps, count = out.split()
    return float(rps), int(count)


async def _client(port: int, request: bytes, until: float, done: list) -> None:
    """Keep-alive GETs until ``until``, reconnecting when the server closes."""
    reader = writer = None
    while time.monotonic() < until:
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status != 200:
            raise RuntimeError(f"answer {status}: {head!r}")
        lower = head.lower()
        length = re.search(rb"content-length:\s*(\d+)", lower)
        if length is None:  # no length: the body ends with the connection
            await reader.read()
            close = True
        else:
            await reader.readexactly(int(length.group(1)))
            close = b"connection: close" in lower
        done[0] += 1
        if close:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def _load_main(spec: str) -> None:
    port, path, seconds, conns = spec.split()
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    done = [0]

    async def run() -> float:
        t0 = time.monotonic()
        until = t0 + float(seconds)
        clients = [_client(int(port), request, until, done) for _ in range(int(conns))]
        await asyncio.gather(*clients)
        return time.monotonic() - t0

    took = asyncio.run(run())
    print(done[0] / took, done[0])


# -- the run ----------------------------------------------------------------


def runnable(servers: list[str], apps: list[str] | None) -> tuple[dict, dict]:
    """Per server the apps to run; and what is skipped, and why."""
    plan, skipped = {}, {}
    for server in servers:
        label, dist, interface, names, _ = SERVERS[server]
        if with_version(label, dist) == label:
            skipped[server] = f"{dist} is not installed (bench/requirements.txt)"
            continue
        plan[server] = []
        for app in names:
            if apps and app not in apps:
                continue
            if interface == "asgi":
                try:  # kolba only once it is an ASGI app; the others if installed
                    asgi_apps.FRAMEWORKS[app][2]()
                except Skip as exc:
                    skipped[f"{server} {app}"] = str(exc)
                    continue
            plan[server].append(app)
    return plan, skipped


def run(plan: dict, args, load) -> tuple[dict, dict]:
    """``{server: {app: {path: [requests/s of each round]}}}``, and the same
    for the server's CPU µs per request.

    All apps of one server run at once (idle ones cost nothing), so that the
    rounds can alternate between them often: the noise of a shared machine
    then falls on every app alike.
    """
    samples: dict = {
        s: {a: {p: [] for p in PATHS} for a in apps} for s, apps in plan.items()
    }
    cpu_samples: dict = {
        s: {a: {p: [] for p in PATHS} for a in apps} for s, apps in plan.items()
    }
    conns, cpu = args.connections, args.load_cpu
    for server, apps in plan.items():
        with contextlib.ExitStack() as stack:
            servers = {}
            for app in apps:
                servers[app] = stack.enter_context(Server(server, app, args.server_cpu))
                load(servers[app].port, "/", min(1.0, args.duration), conns, cpu)
            for r in range(args.rounds):
                shift = r % len(apps)
                for app in apps[shift:] + apps[:shift]:
                    for path in PATHS:
                        before = servers[app].cpu()
                        rps, count = load(
                            servers[app].port, path, args.duration, conns, cpu
                        )
                        used = servers[app].cpu() - before
                        samples[server][app][path].append(rps)
                        cpu_samples[server][app][path].append(used / count * 1e6)
                print(f"{server}: round {r + 1} done", file=sys.stderr)
    return samples, cpu_samples


def best(samples: dict) -> dict:
    """The best round's requests/s, per server, app and path."""
    return {
        server: {
            app: {p: max(v) for p, v in paths.items()} for app, paths in apps.items()
        }
        for server, apps in samples.items()
    }


def shares(samples: dict, per_request: bool = False) -> dict:
    """Each app's share of the bare callable's requests/s under the same server:
    the median over rounds of the share within a round (loads a few seconds
    apart), which a burst of load from elsewhere moves less than best/best.
    From CPU µs per request (``per_request``), the share is bare's over the app's.
    """
    out: dict = {}
    for server, apps in samples.items():
        bare = apps.get("bare")
        if bare:
            out[server] = {
                app: {
                    p: statistics.median(
                        (b / a if per_request else a / b) if a and b else 0
                        for a, b in zip(v, bare[p], strict=True)
                    )
                    for p, v in paths.items()
                }
                for app, paths in apps.items()
            }
    return out


def least(cpu_samples: dict) -> dict:
    """The least CPU µs per request over rounds, per server, app and path."""
    return {
        server: {
            app: {p: min(v) for p, v in paths.items()} for app, paths in apps.items()
        }
        for server, apps in cpu_samples.items()
    }


def bars(share: dict, of: str = "requests/s") -> dict:
    """The issues' bars for kolba: share of bare's requests/s (or of its CPU
    time per request), per path."""
    out = {}
    for server, need in BARS.items():
        kolba = share.get(server, {}).get("kolba")
        if kolba:
            for path, value in kolba.items():
                out[f"{server} {path}: kolba >= {need} of bare ({of})"] = value >= need
    return out


def server_label(server: str) -> str:
    """``uvicorn 0.54 (uvloop, httptools)``: the version, and uvicorn's speedups."""
    label = with_version(*SERVERS[server][:2])
    if server == "uvicorn":
        fast = [m for m in ("uvloop", "httptools") if importlib.util.find_spec(m)]
        label += f" ({', '.join(fast) or 'asyncio, h11'})"
    return label


def report(
    results: dict, share: dict, cpu: dict, cpu_share: dict, labels: dict
) -> str:
    lines = []
    for server, apps in results.items():
        lines.append(
            f"\n{labels[server]}: best requests/s (median share of bare);"
            " least server CPU µs per request (median share)"
        )
        for app, paths in apps.items():
            part = share.get(server, {}).get(app, {})
            used = cpu.get(server, {}).get(app, {})
            cpu_part = cpu_share.get(server, {}).get(app, {})
            cells = "".join(f"{paths[p]:>9.0f} ({part.get(p, 0):.2f})" for p in PATHS)
            cells += "  " + "".join(
                f"{used.get(p, 0):>7.1f} ({cpu_part.get(p, 0):.2f})" for p in PATHS
            )
            lines.append(f"  {app:<12}{cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default=",".join(SERVERS), help="of: %(default)s")
    parser.add_argument("--apps", help="only these apps (bare is the reference)")
    parser.add_argument("--duration", type=float, help="seconds per load (1)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (10; 1 quick)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--server-cpu", default="0", help="core for the server")
    parser.add_argument("--load-cpu", default="1", help="core for the load")
    parser.add_argument("--python-load", action="store_true", help="not wrk")
    parser.add_argument("--quick", action="store_true", help="short loads (CI)")
    parser.add_argument("--json", action="store_true", help="print JSON results")
    parser.add_argument("--load", help=argparse.SUPPRESS)  # the Python generator
    args = parser.parse_args(argv)
    if args.load:
        _load_main(args.load)
        return 0
    args.duration = args.duration or 1.0
    args.rounds = max(1, args.rounds or (1 if args.quick else 10))
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in servers if s not in SERVERS]
    if unknown:
        sys.exit(
            f"http_bench: unknown server(s) {unknown}; servers: {', '.join(SERVERS)}"
        )
    apps = args.apps.split(",") if args.apps else None
    use_wrk = not args.python_load and shutil.which("wrk") is not None
    load = wrk if use_wrk else pyload
    if not use_wrk and not args.python_load:
        print("wrk not found (apt-get install wrk): Python load", file=sys.stderr)

    plan, skipped = runnable(servers, apps)
    for what, why in skipped.items():
        print(f"skip {what}: {why}", file=sys.stderr)
    samples, cpu_samples = run(plan, args, load)
    results, share = best(samples), shares(samples)
    cpu, cpu_share = least(cpu_samples), shares(cpu_samples, per_request=True)
    held = {**bars(share), **bars(cpu_share, "CPU time")}
    labels = {s: server_label(s) for s in plan}
    if args.json:
        print(
            json.dumps(
                {
                    "load": "wrk" if use_wrk else "python",
                    "duration": args.duration,
                    "rounds": args.rounds,
                    "connections": args.connections,
                    "labels": labels,
                    "skipped": skipped,
                    "results": results,
                    "shares": share,
                    "samples": samples,
                    "cpu_us": cpu,
                    "cpu_shares": cpu_share,
                    "cpu_samples": cpu_samples,
                    "bars": held,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"{'wrk' if use_wrk else 'Python load'}, {args.connections} connections, "
        f"{args.duration:g} s per load, best of {args.rounds} round(s); server on "
        f"core {args.server_cpu}, load on core {args.load_cpu}"
    )
    print(report(results, share, cpu, cpu_share, labels))
    if held:
        print("\nbars (issues 11 and 8):")
        for text, ok in held.items():
            print(f"  {'ok  ' if ok else 'MISS'} {text}")
    for what, why in skipped.items():
        print(f"skip {what}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
