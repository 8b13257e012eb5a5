"""What bench.py, asgi_apps.py and http_bench.py share."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
if SRC.is_dir() and str(SRC) not in sys.path:  # measure this checkout's kolba
    sys.path.insert(0, str(SRC))


class Skip(Exception):
    """A framework that is not installed (or cannot be served this way)."""


def require(name: str):
    """Import ``name`` or skip its framework, saying how to install it."""
    try:
        return __import__(name, fromlist=["_"])
    except ImportError as exc:
        raise Skip(f"{exc} (pip install -r bench/requirements.txt)") from exc


def with_version(text: str, dist: str | None) -> str:
    """``Falcon 4.4`` for ``("Falcon", "falcon")``, when it is installed."""
    if dist:
        with contextlib.suppress(PackageNotFoundError):
            text = f"{text} {'.'.join(version(dist).split('.')[:2])}"
    return text


#: The loops of busy(): about 1 µs of plain Python on the 2-core machine of
#: bench/README.md (the "bare + 1 µs" rows show what it costs there).
BUSY_LOOPS = 60


def busy() -> int:
    """About 1 µs of Python work and nothing else: the "bare + 1 µs" apps run it
    before the bare callable, to show what one more µs a request costs under
    each server (a framework's own cost is read against it)."""
    total = 0
    for i in range(BUSY_LOOPS):
        total += i
    return total


def calibrate(timer: Callable[[int], float], seconds: float) -> int:
    """How many calls take about ``seconds`` (this also warms the app up)."""
    n = 1
    while True:
        took = timer(n)
        if took >= min(seconds, 0.02) or n >= 1 << 24:
            return max(1, int(n * seconds / max(took, 1e-9)))
        n *= 4


def interleave(timers: dict, rounds: int, seconds: float) -> dict:
    """Best µs per call of each ``timer(n) -> seconds``, rounds in rotating order."""
    keys = list(timers)
    sizes = {key: calibrate(timers[key], seconds) for key in keys}
    best = dict.fromkeys(keys, float("inf"))
    for r in range(rounds):
        shift = r % max(1, len(keys))  # no timer always goes first
        for key in keys[shift:] + keys[:shift]:
            per = timers[key](sizes[key]) / sizes[key] * 1e6
            best[key] = min(best[key], per)
    return {key: {"us": best[key], "n": sizes[key]} for key in keys}
