"""kolba's threads under ASGI servers (uvicorn, hypercorn on 127.0.0.1): the
coroutines that they hand to the server's loop may use the loop's default
executor (asyncio.to_thread, run_in_executor(None, ...)) however many
requests are in flight (tests/server_apps/pools.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from browser import free_port, start_server, stop_server
from test_servers import APPS, BIN, app_env

# more requests at once than a default executor has threads (32 at most)
CONCURRENT = 40


def command(server: str, app: str, port: int) -> list[str]:
    if server == "uvicorn":
        return [
            str(BIN / "uvicorn"), f"pools:{app}", "--host", "127.0.0.1",
            "--port", str(port),
        ]  # fmt: skip
    return [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{port}", f"pools:{app}"]


async def answers(url: str, count: int) -> list[object]:
    async with httpx.AsyncClient(timeout=20) as client:
        replies = await asyncio.gather(
            *(client.get(url) for _ in range(count)), return_exceptions=True
        )
    return [getattr(r, "text", type(r).__name__) for r in replies]


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
@pytest.mark.parametrize("app", ["hook_app", "wrapped_app", "sub_app"])
def test_coroutines_from_kolbas_threads_may_use_the_default_executor(
    server: str, app: str, tmp_path: Path
) -> None:
    """Before, sync views, WSGI apps and async views run in a thread used the
    loop's default executor: full of threads waiting for coroutines whose
    to_thread work queued behind them, the worker hung for good."""
    port = free_port()
    proc = start_server(
        command(server, app, port), APPS, app_env(), port, tmp_path / "log"
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        assert asyncio.run(answers(url, CONCURRENT)) == ["user"] * CONCURRENT
        assert asyncio.run(answers(url, 1)) == ["user"]
    finally:
        stop_server(proc)
