"""Server-sent events: a response that streams events from an async iterable.

::

    from kolba.sse import event_stream

    @app.route("/ticks")
    async def ticks():
        async def events():
            for n in range(10):
                yield {"event": "tick", "data": str(n), "id": str(n)}
                await asyncio.sleep(1)
        return event_stream(events())

Each item is one event: a ``str`` (its data) or a dict with ``data`` and
optionally ``event``, ``id`` and ``retry``. While the source is quiet, a
``: keep-alive`` comment goes out every ``keep_alive`` seconds, so that
proxies keep the connection open. When the client goes away, the server
driver stops the stream and the source is closed (its ``finally`` runs).
"""

from __future__ import annotations

import asyncio
import re
import typing as t

from .globals import _NO_CTX, _cv_ctx
from .wrappers import AsyncBody, Response

Event = str | t.Mapping[str, t.Any]


# A line of the event-stream format ends at CR LF, LF or a lone CR.
_LINE_END = re.compile(r"\r\n|\r|\n")


def format_event(event: Event) -> str:
    """One event in the ``text/event-stream`` format: the data split into
    ``data:`` lines at any line end, so that no text can start a field."""
    if isinstance(event, str):
        event = {"data": event}
    lines = []
    for field in ("event", "id", "retry"):
        value = event.get(field)
        if value is not None:
            value = str(value)
            if _LINE_END.search(value):
                raise ValueError(
                    f"The event's {field!r} holds a line break, which would end"
                    f" the field: {value!r}. Only 'data' may span lines."
                )
            lines.append(f"{field}: {value}")
    data = str(event.get("data", ""))
    lines += [f"data: {line}" for line in _LINE_END.split(data)]
    return "\n".join(lines) + "\n\n"


async def _with_keep_alive(
    events: t.AsyncIterable[Event], keep_alive: float
) -> t.AsyncIterator[str]:
    iterator = events.__aiter__()
    pending: asyncio.Future[Event] | None = None
    try:
        # a comment first: the headers go out at once, not with the first
        # event (servers send them with the first chunk that is not empty)
        yield ":\n\n"
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait({pending}, timeout=keep_alive)
            if not done:
                yield ": keep-alive\n\n"
                continue
            try:
                event = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            yield format_event(event)
    finally:
        if pending is not None:  # the source must stop running before it closes
            pending.cancel()
            await asyncio.wait({pending})
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


def event_stream(
    events: t.AsyncIterable[Event],
    keep_alive: float = 15.0,
    *,
    status: int | str | None = None,
    headers: t.Mapping[str, str | t.Iterable[str]]
    | t.Iterable[tuple[str, str]]
    | None = None,
    **kwargs: t.Any,
) -> Response:
    """A ``text/event-stream`` response of ``events``; ``status``, ``headers``
    and other arguments go to the app's response class."""
    ctx = _cv_ctx.get(_NO_CTX)[0]
    cls = Response if ctx is None else ctx.app.response_class
    body = AsyncBody(_with_keep_alive(events, keep_alive))
    response = cls(
        body, status=status, headers=headers, mimetype="text/event-stream", **kwargs
    )
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on
    return response
