"""Run Flask's own test suite and published extensions' suites against kolba.

    python3 compat_suites/run.py                  # every suite, against kolba
    python3 compat_suites/run.py flask flask-wtf  # some suites
    python3 compat_suites/run.py --against flask  # the same suites on real Flask
    python3 compat_suites/run.py --write-baseline # record today's failures

Each suite's sdist is downloaded from PyPI at the version in ``suites.py``
(``pip download --no-binary :all:``) and unpacked under ``.suites-cache/``;
its tests run with pytest in ``.venv-suites``, a venv this script makes with
kolba and ``requirements.txt`` but without Flask, so that ``flask`` is kolba
there (``kolba_suites_plugin`` does ``import kolba.compat.flask`` first).
``--against flask`` uses ``.venv-suites-flask`` with the real Flask instead.

The run fails when a test fails that ``baseline.json`` does not list for its
suite (a regression), and names the listed tests that now pass (remove them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from suites import SUITES, Suite  # noqa: E402

CACHE = ROOT / ".suites-cache"
BASELINE = HERE / "baseline.json"
LOCK = HERE / "requirements.txt"
FAILED = {"failed", "error"}  # a strict xfail that passes is "failed"
VENVS = {"kolba": ROOT / ".venv-suites", "flask": ROOT / ".venv-suites-flask"}


def sh(*cmd: str | Path) -> None:
    subprocess.run([str(c) for c in cmd], check=True)


def make_venv(target: str) -> Path:
    """The venv for ``target``, made once per lock file and kolba checkout."""
    venv = VENVS[target]
    python = venv / "bin" / "python"
    stamp = venv / "suites-lock.txt"
    lock = LOCK.read_text()
    if stamp.exists() and stamp.read_text() == lock:
        return python
    print(f"making {venv.name} ({target})", flush=True)
    sh(sys.executable, "-m", "venv", "--clear", venv)
    pip = (python, "-m", "pip", "install", "-q", "--no-deps")
    if target == "kolba":
        reqs = [r for r in lock.splitlines() if not r.lower().startswith("flask==")]
        no_flask = venv / "requirements-no-flask.txt"
        no_flask.write_text("\n".join(reqs) + "\n")
        sh(*pip, "-r", no_flask)
        sh(*pip, "-e", ROOT)
        # ``flask run``-style commands go to ``kolba``, as a user would type them
        flask = venv / "bin" / "flask"
        flask.write_text(f'#!/bin/sh\nexec "{venv}/bin/kolba" --flask-compat "$@"\n')
        flask.chmod(0o755)
    else:
        sh(*pip, "-r", LOCK)
    stamp.write_text(lock)
    return python


def lock() -> None:
    """Resolve requirements.in (with kolba's own dependencies) to requirements.txt."""
    venv = CACHE / "lock-venv"
    sh(sys.executable, "-m", "venv", "--clear", venv)
    python = venv / "bin" / "python"
    sh(python, "-m", "pip", "install", "-q", "-r", HERE / "requirements.in", ROOT)
    frozen = subprocess.run(
        [python, "-m", "pip", "freeze", "--exclude", "kolba"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    LOCK.write_text(
        "# Made by `python3 compat_suites/run.py --lock` from requirements.in.\n"
        + frozen
    )


def source(suite: Suite) -> Path:
    """The unpacked sdist of ``suite``, downloaded once."""
    tree = CACHE / "src" / f"{suite.name}-{suite.version}"
    # pytest looks for its config upwards from the tests: a suite without one
    # stops here, at an empty one, instead of reaching kolba's pyproject.toml
    tree.parent.mkdir(parents=True, exist_ok=True)
    (tree.parent / "pytest.ini").write_text("[pytest]\n")
    if (tree / ".unpacked").exists():
        return tree
    downloads = CACHE / "sdist"
    downloads.mkdir(parents=True, exist_ok=True)
    spec = f"{suite.name}=={suite.version}"
    sh(sys.executable, "-m", "pip", "download", "-q", "--no-deps",
       "--no-binary", ":all:", "-d", downloads, spec)
    key = suite.name.replace("-", "_").lower()
    sdists = [
        p for p in downloads.glob("*.tar.gz")
        if p.name.replace("-", "_").lower() == f"{key}_{suite.version}.tar.gz"
    ]
    shutil.rmtree(tree, ignore_errors=True)  # an unpacking cut short
    with tarfile.open(sdists[0]) as tar:
        top = tar.getnames()[0].split("/")[0]
        tar.extractall(tree.parent, filter="data")
    if top != tree.name:  # e.g. Flask-Login-0.6.3
        (tree.parent / top).rename(tree)
    (tree / ".unpacked").touch()
    return tree


def run_suite(suite: Suite, python: Path, target: str) -> dict[str, str]:
    """Run one suite's tests; returns {test id: outcome}."""
    tree = source(suite)
    results = CACHE / "results" / target / f"{suite.name}.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.unlink(missing_ok=True)
    log = results.with_suffix(".log")
    env = dict(
        os.environ,
        PYTHONPATH=str(HERE),
        KOLBA_SUITES_TARGET=target,
        KOLBA_SUITES_RESULTS=str(results),
        PYTHONDONTWRITEBYTECODE="1",
        # suites that run the ``flask`` command (Flask-Migrate) get the venv's
        PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.pop("FLASK_APP", None)
    # With CI=true, Flask-Caching's tests expect a Redis already listening on
    # its port instead of starting their own (our CI sets it): they start it.
    env.pop("CI", None)
    # Flask-Dance's tests expect requests' default verify=True, which a CA
    # bundle named in the environment (as on our machines) replaces by a path
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)
    cmd = [
        str(python), "-m", "pytest", "-p", "kolba_suites_plugin",
        "-o", "addopts=", "-o", f"cache_dir={CACHE / 'pytest'}",
        "--continue-on-collection-errors", "-q", "--tb=short",
        "--rootdir", str(tree), *suite.paths, *suite.args,
    ]
    with log.open("w") as out:
        try:
            subprocess.run(cmd, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT,
                           timeout=suite.timeout)
        except subprocess.TimeoutExpired:
            out.write(f"\n*** timed out after {suite.timeout}s\n")
    if not results.exists():
        return {"<the run>": "error"}
    outcomes: dict[str, str] = json.loads(results.read_text())
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("suites", nargs="*", help="suite names (default: all)")
    parser.add_argument("--against", choices=sorted(VENVS), default="kolba")
    parser.add_argument("--write-baseline", action="store_true",
                        help="record the failures of this run in baseline.json")
    parser.add_argument("-j", "--jobs", type=int, default=2,
                        help="suites run at once (default: 2)")
    parser.add_argument("--lock", action="store_true",
                        help="re-resolve requirements.in into requirements.txt")
    opts = parser.parse_args()
    if opts.lock:
        lock()
    known = {s.name: s for s in SUITES}
    unknown = [n for n in opts.suites if n not in known]
    if unknown:
        parser.error(f"unknown suites: {', '.join(unknown)}")
    chosen = [known[n] for n in opts.suites] if opts.suites else list(SUITES)
    python = make_venv(opts.against)
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    regressions: list[str] = []
    for suite in chosen:
        source(suite)  # downloads one at a time

    def timed(suite: Suite) -> tuple[dict[str, str], float]:
        start = time.monotonic()
        return run_suite(suite, python, opts.against), time.monotonic() - start

    print(f"{'suite':22} {'passed':>7} {'failed':>7} {'skipped':>7} {'secs':>6}")
    start = time.monotonic()
    with ThreadPoolExecutor(opts.jobs) as pool:
        runs = list(zip(chosen, pool.map(timed, chosen), strict=True))
    for suite, (outcomes, secs) in runs:
        failing = sorted(t for t, o in outcomes.items() if o in FAILED)
        passed = sum(o in ("passed", "xfailed", "xpassed") for o in outcomes.values())
        skipped = sum(o == "skipped" for o in outcomes.values())
        print(f"{suite.name:22} {passed:7} {len(failing):7} {skipped:7} {secs:6.1f}")
        if opts.against != "kolba":
            continue
        known_fail = baseline.get(suite.name, {})
        if opts.write_baseline:
            flask_run = CACHE / "results" / "flask" / f"{suite.name}.json"
            on_flask = json.loads(flask_run.read_text()) if flask_run.exists() else {}
            baseline[suite.name] = {
                t: known_fail.get(t)
                or ("env: fails on Flask too" if on_flask.get(t) in FAILED
                    else "unclassified")
                for t in failing
            }
            continue
        for t in failing:
            if t not in known_fail:
                regressions.append(f"{suite.name}: {t} ({outcomes[t]})")
        for t in known_fail:
            if outcomes.get(t) in ("passed", "xfailed", "xpassed"):
                print(f"  now passes, remove from baseline.json: {t}")
    print(f"{len(chosen)} suites in {time.monotonic() - start:.0f} s")
    if opts.write_baseline:
        BASELINE.write_text(json.dumps(baseline, indent=1, sort_keys=True) + "\n")
        print(f"wrote {BASELINE.relative_to(ROOT)}")
    if regressions:
        print(f"\n{len(regressions)} tests fail that baseline.json does not list:")
        print("\n".join(f"  {r}" for r in regressions))
        print(f"(logs: {(CACHE / 'results' / opts.against).relative_to(ROOT)}/)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
