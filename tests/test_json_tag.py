"""The tagged JSON serializer of session values; wire-compatible with Flask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import OrderedDict
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import flask
import pytest
from flask.json.tag import TaggedJSONSerializer as FlaskSerializer
from markupsafe import Markup

import kolba
from kolba.json.provider import DefaultJSONProvider
from kolba.json.tag import JSONTag, TaggedJSONSerializer

pytestmark = pytest.mark.usefixtures("driver")

UTC = timezone.utc
WHEN = datetime(2024, 2, 29, 13, 37, 5, tzinfo=UTC)
ID = UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")

VALUES: list[Any] = [
    None,
    True,
    0,
    -7,
    1.5,
    "",
    "plain",
    "ünïcode ✓",
    [],
    {},
    [1, "two", None],
    (),
    (1, 2),
    (1, (2, (3,))),
    b"",
    b"\x00\xffbytes",
    Markup("<b>safe</b>"),
    ID,
    WHEN,
    {"z": 1, "a": 2},
    {"nested": {"t": (1, b"x"), "l": [ID, Markup("&")]}},
    {" t": "a key that looks like a tag"},
    {" di": {" t": [1]}},
    {" t": 1, "x": 2},
    {" x": 1},
    {"_permanent": True, "user_id": 42, "_flashes": [("message", "Hi")]},
]


@pytest.fixture
def s() -> TaggedJSONSerializer:
    return TaggedJSONSerializer()


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_round_trip(s: TaggedJSONSerializer, value: Any) -> None:
    loaded = s.loads(s.dumps(value))
    assert loaded == value
    assert type(loaded) is type(value)


@dataclass
class Point:
    x: int
    label: str


# Values no tag claims that JSON providers still write (as Flask's do).
PROVIDER_VALUES: list[Any] = [
    Decimal("1.50"),
    date(2020, 1, 1),
    Point(1, "é"),
    {"z": Decimal("2"), "a": [date(1999, 12, 31), (Decimal("0.1"),)]},
]


@pytest.mark.parametrize("value", VALUES + PROVIDER_VALUES, ids=repr)
@pytest.mark.parametrize("in_app", [False, True], ids=["no app", "in an app"])
def test_output_is_byte_identical_to_flask(
    s: TaggedJSONSerializer, value: Any, in_app: bool
) -> None:
    # As Flask writes a session: in an app, with its JSON provider (which
    # sorts the keys); outside one, with the default one (which does not).
    with ExitStack() as stack:
        if in_app:
            stack.enter_context(flask.Flask(__name__).app_context())
            stack.enter_context(kolba.Flask(__name__).app_context())
        assert s.dumps(value) == FlaskSerializer().dumps(value)


def test_values_the_provider_writes_load_as_flask_loads_them(
    s: TaggedJSONSerializer,
) -> None:
    value = {"d": Decimal("1.5"), "day": date(2020, 1, 1), "p": Point(2, "b")}
    loaded = {
        "d": "1.5",
        "day": "Wed, 01 Jan 2020 00:00:00 GMT",
        "p": {"x": 2, "label": "b"},
    }
    assert s.loads(s.dumps(value)) == loaded
    with kolba.Flask(__name__).app_context():
        assert s.loads(s.dumps(value)) == loaded
    assert FlaskSerializer().loads(s.dumps(value)) == loaded


def provider_settings(provider: Any) -> None:
    provider.default = sorted
    provider.sort_keys = False
    provider.ensure_ascii = False


def test_the_app_provider_settings_are_used_as_flask_uses_them(
    s: TaggedJSONSerializer,
) -> None:
    fapp, app = flask.Flask(__name__), kolba.Flask(__name__)
    with app.app_context():
        assert s.dumps({"b": 1, "a": "é"}) == '{"a":"\\u00e9","b":1}'
        provider_settings(app.json)  # after the first use: seen all the same
        provider_settings(fapp.json)
        value = {"z": {3, 1}, "é": "ü", "a": 1}
        with fapp.app_context():
            assert s.dumps(value) == FlaskSerializer().dumps(value)
        assert s.dumps(value) == '{"z":[1,3],"é":"ü","a":1}'


class SetDefault:
    """A provider mixin whose default() writes sets as sorted lists."""

    def default(self, o: Any) -> Any:
        return sorted(o) if isinstance(o, set) else super().default(o)  # type: ignore[misc]


class Shouting(SetDefault):
    """A provider mixin with its own dumps()."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(obj, **kwargs).upper()  # type: ignore[misc, no-any-return]


class NotDerived:
    """A provider not derived from JSONProvider (duck-typed)."""

    def __init__(self, app: Any) -> None:
        pass

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return json.dumps(obj, default=sorted, **kwargs)


@pytest.mark.parametrize(
    ("mixin", "wire"),
    [(SetDefault, '{"a":[1,2],"b":"1.5"}'), (Shouting, '{"A":[1,2],"B":"1.5"}')],
)
def test_a_provider_subclass_writes_the_session_as_in_flask(
    s: TaggedJSONSerializer, mixin: type, wire: str
) -> None:
    value = {"b": Decimal("1.5"), "a": {2, 1}}
    fapp, app = flask.Flask(__name__), kolba.Flask(__name__)
    fapp.json = type("P", (mixin, flask.json.provider.DefaultJSONProvider), {})(fapp)
    app.json = type("P", (mixin, DefaultJSONProvider), {})(app)
    with app.app_context():
        assert s.dumps(value) == wire
        with fapp.app_context():
            assert FlaskSerializer().dumps(value) == wire


def test_a_dumps_set_on_the_provider_writes_the_session(
    s: TaggedJSONSerializer,
) -> None:
    """``app.json.dumps = f`` (on the instance, after a first use) is called
    for the session, as Flask calls it."""

    def shouting(obj: Any, **kwargs: Any) -> str:
        return json.dumps(obj, **kwargs).upper()

    fapp, app = flask.Flask(__name__), kolba.Flask(__name__)
    with app.app_context():
        assert s.dumps({"b": 1}) == '{"b":1}'
        app.json.dumps = shouting  # type: ignore[method-assign]
        fapp.json.dumps = shouting  # type: ignore[method-assign]
        assert s.dumps({"b": 1}) == '{"B":1}'
        with fapp.app_context():
            assert FlaskSerializer().dumps({"b": 1}) == '{"B":1}'


def test_a_provider_not_derived_from_json_provider_writes_the_session(
    s: TaggedJSONSerializer,
) -> None:
    app = kolba.Flask(__name__)
    app.json = NotDerived(app)  # type: ignore[assignment]
    with app.app_context():
        assert s.dumps({"b": {2, 1}, "a": (1,)}) == '{"b":[1,2],"a":{" t":[1]}}'


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_reads_what_flask_writes_and_back(s: TaggedJSONSerializer, value: Any) -> None:
    flask = FlaskSerializer()
    assert s.loads(flask.dumps(value)) == value
    assert flask.loads(s.dumps(value)) == value


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ((1, 2), '{" t":[1,2]}'),
        (b"\xff\x00", '{" b":"/wA="}'),
        (Markup("<i>"), '{" m":"<i>"}'),
        (ID, '{" u":"6ba7b8109dad11d180b400c04fd430c8"}'),
        (WHEN, '{" d":"Thu, 29 Feb 2024 13:37:05 GMT"}'),
        ({" t": 1}, '{" di":{" t__":1}}'),
        ({" t": (1,)}, '{" di":{" t__":{" t":[1]}}}'),
        ([1, (2,)], '[1,{" t":[2]}]'),
        ({"b": 1, "a": 2}, '{"b":1,"a":2}'),  # no app: unsorted, as Flask
        ("é", '"\\u00e9"'),
    ],
)
def test_wire_format(s: TaggedJSONSerializer, value: Any, wire: str) -> None:
    assert s.dumps(value) == wire
    assert s.loads(wire) == value
    assert s.loads(wire.encode()) == value


def test_datetime_is_whole_seconds_utc(s: TaggedJSONSerializer) -> None:
    aware = datetime(2024, 1, 1, 12, 0, 0, 999, tzinfo=timezone(timedelta(hours=2)))
    assert s.loads(s.dumps(aware)) == datetime(2024, 1, 1, 10, 0, 0, tzinfo=UTC)
    naive = datetime(2024, 1, 1, 12, 0, 0)
    assert s.loads(s.dumps(naive)) == naive.replace(tzinfo=UTC)


def test_anything_with_html_is_markup(s: TaggedJSONSerializer) -> None:
    class Widget:
        def __html__(self) -> str:
            return "<input>"

    loaded = s.loads(s.dumps(Widget()))
    assert loaded == Markup("<input>")
    assert isinstance(loaded, Markup)


def test_untag_leaves_plain_objects(s: TaggedJSONSerializer) -> None:
    assert s.untag({"a": 1}) == {"a": 1}
    assert s.untag({" t": [1], "b": 2}) == {" t": [1], "b": 2}
    assert s.untag({" unknown": 1}) == {" unknown": 1}
    assert s.untag({" t": [1, 2]}) == (1, 2)


def test_tag_leaves_json_values(s: TaggedJSONSerializer) -> None:
    assert s.tag("x") == "x"
    assert s.tag([1, (2,)]) == [1, {" t": [2]}]


def test_unknown_type_is_a_type_error(s: TaggedJSONSerializer) -> None:
    with pytest.raises(TypeError):
        s.dumps({1, 2})


class TagOrderedDict(JSONTag):
    __slots__ = ()
    key = " od"

    def check(self, value: Any) -> bool:
        return isinstance(value, OrderedDict)

    def to_json(self, value: Any) -> Any:
        return [[k, self.serializer.tag(v)] for k, v in value.items()]

    def to_python(self, value: Any) -> Any:
        return OrderedDict(value)


def test_register_custom_tag(s: TaggedJSONSerializer) -> None:
    # An OrderedDict is a dict, so the tag must be tried before the dict tags.
    s.register(TagOrderedDict, index=0)
    value = OrderedDict([("b", (1,)), ("a", 2)])
    assert s.dumps(value) == '{" od":[["b",{" t":[1]}],["a",2]]}'
    loaded = s.loads(s.dumps(value))
    assert loaded == value
    assert type(loaded) is OrderedDict


def test_register_appends_by_default(s: TaggedJSONSerializer) -> None:
    s.register(TagOrderedDict)
    assert s.order[-1].key == " od"
    # The dict tags come first, so an OrderedDict still goes out as a dict.
    assert s.dumps(OrderedDict(a=1)) == '{"a":1}'
    # A dict keyed by the new tag is escaped so it does not load as one.
    assert s.loads(s.dumps({" od": 1})) == {" od": 1}


def test_register_same_key_needs_force(s: TaggedJSONSerializer) -> None:
    class OtherTuple(JSONTag):
        key = " t"

        def check(self, value: Any) -> bool:
            return isinstance(value, tuple)

        def to_json(self, value: Any) -> Any:
            return list(value)

        def to_python(self, value: Any) -> Any:
            return ("replaced", *value)

    with pytest.raises(KeyError):
        s.register(OtherTuple)
    s.register(OtherTuple, force=True)
    assert s.loads('{" t":[1]}') == ("replaced", 1)


def test_a_tag_without_key_passes_its_converted_value_through(
    s: TaggedJSONSerializer,
) -> None:
    class PassFrozenset(JSONTag):
        def check(self, value: Any) -> bool:
            return isinstance(value, frozenset)

        def to_json(self, value: Any) -> Any:
            return sorted(self.serializer.tag(item) for item in value)

    s.register(PassFrozenset)
    assert s.dumps({"ids": frozenset({2, 1})}) == '{"ids":[1,2]}'
    assert s.loads(s.dumps({"ids": frozenset({2, 1})})) == {"ids": [1, 2]}


def test_custom_tags_are_per_serializer(s: TaggedJSONSerializer) -> None:
    s.register(TagOrderedDict, index=0)
    assert " od" not in TaggedJSONSerializer().tags


def test_base_tag_is_abstract(s: TaggedJSONSerializer) -> None:
    tag = JSONTag(s)
    assert tag.serializer is s
    for method in (tag.check, tag.to_json, tag.to_python):
        with pytest.raises(NotImplementedError):
            method(1)


def test_flask_style_tag_subclass_works(s: TaggedJSONSerializer) -> None:
    """A tag written for Flask (plain subclass, no ``__slots__``) registers here."""

    class TagComplex(JSONTag):
        key = " c"

        def check(self, value: Any) -> bool:
            return isinstance(value, complex)

        def to_json(self, value: Any) -> Any:
            return [value.real, value.imag]

        def to_python(self, value: Any) -> Any:
            return complex(*value)

    s.register(TagComplex)
    assert s.loads(s.dumps({"z": 1 + 2j})) == {"z": 1 + 2j}



def counting_loads(calls: list[Any]) -> Any:
    """A loads() that counts its calls and reads every integer as a str (as a
    provider on another JSON library may read some values its own way)."""

    def loads(s: str | bytes, **kwargs: Any) -> Any:
        calls.append(s)
        return json.loads(s, parse_int=str, **kwargs)

    return loads


def session_app(fw: Any) -> Any:
    """A Flask or kolba app that writes and reads a session with a tagged value."""
    app = fw.Flask(__name__)
    app.config.update(SECRET_KEY="a-secret-key-for-the-tests", TESTING=True)

    @app.route("/set")
    def set_() -> str:
        fw.session.update(n=1, t=(2, 3))
        return ""

    @app.route("/get")
    def get() -> Any:
        return repr(sorted(fw.session.items()))

    return app


@pytest.mark.parametrize("where", ["subclass", "instance", "mixin", "deleted"])
def test_the_provider_loads_reads_the_session_as_in_flask(
    driver: str, where: str
) -> None:
    """A provider whose ``loads`` is its own (a subclass's, or one set on the
    instance after a first use) parses the session cookie, as in Flask; the
    tags are still read."""
    answers: list[Any] = []
    for fw in (kolba, flask):
        calls: list[Any] = []
        loads = counting_loads(calls)
        app = session_app(fw)
        provider_class = fw.json.provider.DefaultJSONProvider
        if where == "subclass":
            app.json = type("P", (provider_class,), {"loads": staticmethod(loads)})(app)
        elif where == "mixin":  # (the loads in no namespace of a provider class)
            mixin = type("LoadsMixin", (), {"loads": staticmethod(loads)})
            app.json = type("P", (mixin, provider_class), {})(app)
        client = app.test_client()
        client.get("/set")
        if where in ("instance", "deleted"):  # read once the default way first
            assert client.get("/get").text == "[('n', 1), ('t', (2, 3))]"
            app.json.loads = loads
        if where == "deleted":  # the class's loads again
            client.get("/get")
            del app.json.loads
        answers += [client.get("/get").text, len(calls)]
    if where == "deleted":
        assert answers == ["[('n', 1), ('t', (2, 3))]", 1] * 2
    else:
        read = "[('n', '1'), ('t', ('2', '3'))]"
        assert answers == [read, 1, read, 1]


def test_a_subclass_with_the_default_loads_reads_the_session_the_same(
    s: TaggedJSONSerializer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider subclass that keeps the default ``loads`` is read with the
    serializer's own decoder (not the provider's): the same values."""
    app = kolba.Flask(__name__)
    app.json = type("P", (DefaultJSONProvider,), {"sort_keys": False})(app)
    read: list[Any] = []
    monkeypatch.setattr(json, "loads", counting_loads(read))
    with app.app_context():
        assert s.loads('{"a":{" t":[1]},"b":[{" b":"/w=="}]}') == {
            "a": (1,),
            "b": [b"\xff"],
        }
        assert s.loads(' {"a":1} ') == {"a": 1}  # (not one value alone)
    assert read == []


def test_a_provider_not_derived_from_json_provider_reads_the_session(
    s: TaggedJSONSerializer,
) -> None:
    app = kolba.Flask(__name__)
    calls: list[Any] = []
    provider = NotDerived(app)
    provider.loads = counting_loads(calls)  # type: ignore[attr-defined]
    app.json = provider  # type: ignore[assignment]
    with app.app_context():
        wire = s.dumps({"a": (1,)})  # (one written with it: its loads reads)
        assert s.loads(wire) == {"a": ("1",)}
    assert calls == ['{"a":{" t":[1]}}']


NOT_DERIVED_READS = """
import json, sys
import flask, kolba

class NotDerived:
    def __init__(self):
        self.calls = []
    def dumps(self, obj, **kwargs):
        return json.dumps(obj, **kwargs)
    def loads(self, s, **kwargs):
        self.calls.append(s)
        return json.loads(s, parse_int=str, **kwargs)

if sys.argv[2] == "asgi":  # (the kolba app's test client over its ASGI entry)
    from kolba.testing import ASGIClient
    kolba.Flask.test_client_class = ASGIClient
reads = []
for fw in (kolba, flask):
    app = fw.Flask(__name__)
    app.secret_key = "a-secret-key-for-the-tests"
    app.config["TESTING"] = True
    app.route("/")(lambda: repr(sorted(fw.session.items())))
    client = app.test_client()
    client.set_cookie("session", sys.argv[1])
    app.json = NotDerived()
    reads += [client.get("/").text, len(app.json.calls)]
print(reads)
"""


def test_a_provider_not_derived_from_json_provider_reads_the_first_session(
    driver: str,
) -> None:
    """``app.json = obj`` (any object with dumps and loads, as Flask allows)
    parses the session cookie from the first request on, in a process where no
    session was written yet, as Flask does."""
    app = session_app(flask)
    client = app.test_client()
    client.get("/set")
    cookie = client.get_cookie("session").value
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", NOT_DERIVED_READS, cookie, driver],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    read = "[('n', '1'), ('t', ('2', '3'))]"
    assert out.strip() == repr([read, 1, read, 1])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sort_keys", False),
        ("ensure_ascii", False),
        ("default", staticmethod(sorted)),
        ("dumps", lambda self, obj, **kw: json.dumps(obj, **kw).upper()),
    ],
)
def test_a_setting_changed_on_the_provider_class_writes_the_session_as_in_flask(
    s: TaggedJSONSerializer, monkeypatch: pytest.MonkeyPatch, name: str, value: Any
) -> None:
    """A setting changed on ``DefaultJSONProvider`` after sessions were written
    (``DefaultJSONProvider.sort_keys = False``) is seen by the next one, as in
    Flask, which reads the settings at each call."""
    fapp, app = flask.Flask(__name__), kolba.Flask(__name__)
    value_ = {"b": 1, "a": [2, 1], "é": "ü"}
    with app.app_context():
        before = s.dumps(value_)
        if name == "default":
            value_["a"] = {2, 1}  # (one only the new default() writes)
        monkeypatch.setattr(DefaultJSONProvider, name, value)
        monkeypatch.setattr(flask.json.provider.DefaultJSONProvider, name, value)
        with fapp.app_context():
            expected = FlaskSerializer().dumps(value_)
        assert s.dumps(value_) == expected != before
    monkeypatch.undo()  # and back
    with app.app_context():
        assert s.dumps({"b": 1, "a": [2, 1], "é": "ü"}) == before


def test_loads_changed_on_the_provider_class_reads_the_session(
    s: TaggedJSONSerializer, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = kolba.Flask(__name__)
    calls: list[Any] = []
    loads = counting_loads(calls)
    with app.app_context():
        assert s.loads('{"a":{" t":[1]}}') == {"a": (1,)}
        monkeypatch.setattr(
            DefaultJSONProvider, "loads", lambda self, s, **kw: loads(s, **kw)
        )
        assert s.loads('{"a":{" t":[1]}}') == {"a": ("1",)}
    assert len(calls) == 1


def test_a_tag_added_to_the_default_tags_claims_plain_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tag a program adds to ``default_tags`` is tried for every value,
    ints and dicts too (they skip the tags only with kolba's own alone)."""

    class TagInt(JSONTag):
        key = " i"

        def check(self, value: Any) -> bool:
            return type(value) is int

        def to_json(self, value: Any) -> Any:
            return str(value)

        def to_python(self, value: Any) -> Any:
            return int(value)

    tags = [*TaggedJSONSerializer.default_tags, TagInt]
    monkeypatch.setattr(TaggedJSONSerializer, "default_tags", tags)
    s = TaggedJSONSerializer()
    wire = '{"a":{" i":"1"},"b":[{" i":"2"}]}'
    assert s.dumps({"a": 1, "b": [2]}) == wire
    assert s.loads(wire) == {"a": 1, "b": [2]}
    s.register(PassDictFirst, index=0)
    assert s.dumps({" t": 1, "c": 3}) == '{" t":{" i":"1"},"c":{" i":"3"}}'


class PassDictFirst(JSONTag):
    """Dicts with their values tagged, tried before any other tag."""

    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        return {k: self.serializer.tag(v) for k, v in value.items()}
