"""Apps whose coroutines, handed to the server's loop from kolba's threads,
move blocking work to the loop's default executor (asyncio.to_thread), as
the README advises: run by uvicorn and hypercorn in tests/test_asgi_pools.py."""

from __future__ import annotations

import asyncio
import time

from werkzeug.middleware.proxy_fix import ProxyFix

from kolba import Flask, g


def blocking_lookup() -> str:
    time.sleep(0.05)
    return "user"


# a sync view with an async before_request function
hook_app = Flask("hook_app")


@hook_app.before_request
async def load_user() -> None:
    g.user = await asyncio.to_thread(blocking_lookup)


@hook_app.get("/")
def hook_index() -> str:
    return g.user


# an async view behind a WSGI middleware (the README's ProxyFix line)
wrapped_app = Flask("wrapped_app")
wrapped_app.wsgi_app = ProxyFix(wrapped_app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]


@wrapped_app.get("/")
async def wrapped_index() -> str:
    return await asyncio.to_thread(blocking_lookup)


# an app class that overrides dispatch_request: its async views run in a thread
class Traced(Flask):
    def dispatch_request(self):  # type: ignore[no-untyped-def]
        return super().dispatch_request()


sub_app = Traced("sub_app")


@sub_app.get("/")
async def sub_index() -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, blocking_lookup)
