"""Tagged JSON: a compact JSON format for session values that JSON cannot express.

A value that plain JSON would lose (a tuple, bytes, ``Markup``, a ``UUID``, a
``datetime``) is written as a one-key object ``{" <tag>": <json>}`` and turned
back into the original type on load. The format is Flask's, byte for byte, so a
session cookie written by a Flask app is read by a kolba app and the reverse.

Register a :class:`JSONTag` subclass to teach the serializer a new type, here
sets (written as a list of their tagged items)::

    class TagSet(JSONTag):
        key = " set"

        def check(self, value):
            return isinstance(value, set)

        def to_json(self, value):
            return [self.serializer.tag(item) for item in value]

        def to_python(self, value):
            return set(value)

    app.session_interface.serializer.register(TagSet)
"""

from __future__ import annotations

import functools
import json
from base64 import b64decode, b64encode
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date

from ..globals import _NO_CTX, _cv_get
from .provider import _default, _stdlib_dumps, _stdlib_loads

__all__ = ["JSONTag", "TaggedJSONSerializer"]


class JSONTag:
    """One type the :class:`TaggedJSONSerializer` knows how to write and read.

    ``key`` is the tag written on the wire; a tag with an empty key only
    rewrites the value (for containers whose items need tagging) and is never
    looked up on load.
    """

    __slots__ = ("serializer",)

    #: The tag written on the wire; empty for a pass-through tag.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """Turn ``value`` into something JSON can hold (without the tag)."""
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        """Turn the JSON form back into the Python value."""
        raise NotImplementedError

    def tag(self, value: Any) -> Any:
        """Convert ``value`` and wrap it in this tag (a pass-through tag, with
        an empty key, gives the converted value unwrapped)."""
        if not self.key:
            return self.to_json(value)
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key is itself a registered tag.

    Its key gets a ``__`` suffix so that loading does not mistake the dict for
    a tagged value.
    """

    __slots__ = ()
    key = " di"

    def check(self, value: Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: Any) -> Any:
        ((key, item),) = value.items()
        return {f"{key}__": self.serializer.tag(item)}

    def to_python(self, value: Any) -> Any:
        ((key, item),) = value.items()
        return {key[:-2]: item}


class PassDict(JSONTag):
    """Any other dict: kept as is, with its values tagged."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return {k: tag(v) for k, v in value.items()}


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: kept as is, with its items tagged."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]


class TagBytes(JSONTag):
    __slots__ = ()
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with ``__html__`` (``Markup`` and friends); loads as ``Markup``."""

    __slots__ = ()
    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        return Markup(value)


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime as an HTTP date: whole seconds, UTC (naive counts as UTC)."""

    __slots__ = ()
    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        return http_date(value)

    def to_python(self, value: Any) -> Any:
        return parse_date(value)


# Types no default tag touches: their values are written as they are.
_PLAIN = frozenset({str, int, float, bool, type(None)})

# kolba's tags in their default order, which claim no plain value and, of the
# dicts, only TagDict's (one key, a tag's): a serializer with these alone
# writes the rest without trying each tag.
_DEFAULT_ORDER = (
    TagDict,
    PassDict,
    TagTuple,
    PassList,
    TagBytes,
    TagMarkup,
    TagUUID,
    TagDateTime,
)

# Compact JSON as kolba.json.dumps writes it outside an app (keys unsorted).
_encode_without_app = json.JSONEncoder(separators=(",", ":"), default=_default).encode


def _compact_encoder(
    dumps: Any, default: Any, ensure_ascii: bool, sort_keys: bool
) -> Callable[[Any], str]:
    """``dumps(obj, separators=(",", ":"))`` as one call."""
    if getattr(dumps, "__func__", None) is not _stdlib_dumps:  # its own
        return functools.partial(dumps, separators=(",", ":"))
    # PERF: the encoder json.dumps with options would build on every call
    # (0ac9f6f: with the decoder, ~3 µs a session)
    return json.JSONEncoder(
        separators=(",", ":"),
        default=default,
        ensure_ascii=ensure_ascii,
        sort_keys=sort_keys,
    ).encode


class TaggedJSONSerializer:
    """Compact JSON that keeps the types of the registered tags across a dump/load.

    The JSON is written by the current app's JSON provider (its ``default``,
    ``sort_keys``, ``ensure_ascii`` or its own ``dumps``) and read by it (its
    own ``loads``), or by kolba's defaults outside an app, as Flask writes
    and reads it: the same session gives the same cookie bytes in both.
    """

    __slots__ = ("tags", "order", "_plain", "_decode", "_scan", "_encoder", "_loads")

    #: Tags registered on every new serializer, in the order they are tried.
    default_tags: list[type[JSONTag]] = [*_DEFAULT_ORDER]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for tag_class in self.default_tags:
            self.register(tag_class)
        # PERF: one decoder, not a new one per call as json.loads with a hook
        # makes (0ac9f6f: with the encoder, ~3 µs a session).
        decoder = json.JSONDecoder(object_hook=self.untag)
        self._decode = decoder.decode
        # (the C scanner that decode() calls)
        self._scan: Callable[[str, int], tuple[Any, int]] = decoder.scan_once  # type: ignore[attr-defined]
        #: The provider settings (dumps, default, ensure_ascii, sort_keys) the
        #: last session was written with, and the encoder built from them.
        self._encoder: tuple[tuple[Any, ...], Callable[[Any], str]] = (
            (),
            _encode_without_app,
        )
        #: The last provider ``loads`` found to be the standard library's.
        self._loads: Any = None

    def register(
        self,
        tag_class: type[JSONTag],
        force: bool = False,
        index: int | None = None,
    ) -> None:
        """Add a tag; ``index`` sets where it is tried (default: last).

        Raises ``KeyError`` if its key is taken, unless ``force`` replaces it.
        """
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(
                    f"The tag key {key!r} belongs to {type(self.tags[key]).__name__};"
                    " pass force=True to replace it."
                )
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)
        # Plain values and dicts skip the tag loop only while no other tag
        # could claim them.
        default = tuple(map(type, self.order)) == _DEFAULT_ORDER
        self._plain = _PLAIN if default else frozenset()

    def tag(self, value: Any) -> Any:
        """Convert ``value`` to its tagged JSON-ready form."""
        if type(value) in self._plain:  # PERF: ~1 µs per str/int value saved
            return value
        if (
            type(value) is dict
            and self._plain
            and (len(value) != 1 or next(iter(value)) not in self.tags)
        ):
            # PERF: PassDict's work without the loop's three calls (a 2-key
            # session: tag() 10,661 -> 8,412 instructions, callgrind)
            tag_value = self.tag
            return {k: tag_value(v) for k, v in value.items()}
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        """Turn a tagged one-key object back into its value; others pass."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def dumps(self, value: Any) -> str:
        """Tag ``value`` and write it as compact JSON."""
        # PERF: the bound get, not _cv_ctx.get (a 2-key session's dumps
        # 25,592 -> 25,063 instructions)
        ctx = _cv_get(_NO_CTX)[0]
        if ctx is None:
            return _encode_without_app(self.tag(value))
        provider: Any = ctx.app.json  # (any object with dumps, as in Flask)
        try:  # read now, on the instance or its class, as Flask reads them
            settings = (
                provider.dumps,
                provider.default,
                provider.ensure_ascii,
                provider.sort_keys,
            )
        except AttributeError:  # a provider not derived from JSONProvider
            encoded: str = provider.dumps(self.tag(value), separators=(",", ":"))
            return encoded
        built = self._encoder
        if built[0] != settings:  # (a bound dumps is equal to the same one)
            built = self._encoder = (settings, _compact_encoder(*settings))
        return built[1](self.tag(value))

    def loads(self, value: str | bytes) -> Any:
        """Read JSON and untag every object in it, innermost first.

        Parsed by the current app's JSON provider where its ``loads`` is not
        the standard library's (an orjson provider, ``app.json.loads = f``, any
        object with ``loads`` set as ``app.json``), as Flask parses it.
        """
        ctx = _cv_get(_NO_CTX)[0]
        if ctx is not None:
            try:
                loads = ctx.app.json.loads
            except AttributeError:  # (a provider that only writes)
                loads = self._loads
            # PERF: told once per provider (a 2-key session's loads 7,266 ->
            # 7,064 instructions)
            if loads != self._loads:
                if getattr(loads, "__func__", None) is not _stdlib_loads:
                    return self._untag_tree(loads(value))
                self._loads = loads
        if isinstance(value, bytes):
            value = value.decode()
        # PERF: a document that is one value and nothing more (a session's) is
        # read by the scanner alone; decode() gives any other its answer
        # (a 2-key session read 12,818 -> 8,581 instructions, callgrind, with
        # the provider's loads looked at)
        try:
            parsed, end = self._scan(value, 0)
        except StopIteration:  # (whitespace first, or not JSON)
            end = -1
        if end == len(value):
            return parsed
        return self._decode(value)

    def _untag_tree(self, value: Any) -> Any:
        """Untag every object in parsed JSON, innermost first (as the decoder's
        object hook does)."""
        if isinstance(value, dict):
            return self.untag({k: self._untag_tree(v) for k, v in value.items()})
        if isinstance(value, list):
            return [self._untag_tree(item) for item in value]
        return value
