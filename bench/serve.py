"""The bench's apps as server targets: ``serve:wsgi_kolba``, ``serve:asgi_quart``.

``wsgi_NAME`` is bench.py's app for NAME (every row), ``asgi_NAME`` is
asgi_apps.py's; http_bench.py starts servers on these.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # the modules beside
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import asgi_apps  # noqa: E402
import bench  # noqa: E402


@functools.cache
def __getattr__(name: str):
    kind, _, framework = name.partition("_")
    if kind == "wsgi" and framework in bench.FRAMEWORKS:
        return bench.build(framework, bench.ROWS)[0]
    if kind == "asgi" and framework in asgi_apps.FRAMEWORKS:
        return asgi_apps.FRAMEWORKS[framework][2]()
    raise AttributeError(f"module 'serve' has no app {name!r}")
