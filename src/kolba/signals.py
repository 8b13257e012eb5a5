"""Flask's signals, as blinker signals. kolba sends one only when it has receivers."""

from __future__ import annotations

import typing as t

from blinker import ANY, NamedSignal, Namespace

#: False until a receiver connects to one of these signals: until then the
#: request path skips testing each signal's receivers.
connected = False
F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class _Signal(NamedSignal):
    """A blinker signal that notes that a receiver connected (sets ``connected``)."""

    def connect(self, receiver: F, sender: t.Any = ANY, weak: bool = True) -> F:
        global connected
        connected = True
        return super().connect(receiver, sender, weak)


class _Namespace(Namespace):
    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        if name not in self:
            self[name] = _Signal(name, doc)
        return self[name]


_signals = _Namespace()

template_rendered = _signals.signal("template-rendered")
before_render_template = _signals.signal("before-render-template")
request_started = _signals.signal("request-started")
request_finished = _signals.signal("request-finished")
request_tearing_down = _signals.signal("request-tearing-down")
got_request_exception = _signals.signal("got-request-exception")
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
appcontext_pushed = _signals.signal("appcontext-pushed")
appcontext_popped = _signals.signal("appcontext-popped")
message_flashed = _signals.signal("message-flashed")


def pop_heard() -> bool:
    """Whether a receiver listens to a signal that popping a request context
    sends (then the context is popped by its ``pop()``, not the lean way)."""
    return bool(
        request_tearing_down.receivers
        or appcontext_tearing_down.receivers
        or appcontext_popped.receivers
    )
