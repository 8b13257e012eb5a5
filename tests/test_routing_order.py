"""Which rule answers a URL, through the app, over WSGI and ASGI: the answers
Flask 3.1 gave for the same rules and requests (werkzeug's matcher order)."""

from __future__ import annotations

import pickle
import re
import uuid

import pytest

from kolba import Flask
from kolba.routing import (
    BaseConverter,
    Rule,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
)
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")

UUID = "12345678-1234-5678-1234-567812345678"


def named(app: Flask, rule: str, endpoint: str, **options: object) -> None:
    """A view answering with its endpoint and its arguments."""
    app.add_url_rule(
        rule, endpoint, lambda **kw: f"{endpoint} {sorted(kw.items())}", **options
    )


def test_a_path_rule_before_its_slashed_twin_serves_without_redirect(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/<path:p>", "plain")
    named(app, "/<path:p>/", "slashed")
    assert client.get("/x/ab").text == "plain [('p', 'x/ab')]"
    assert client.get("/abc").text == "plain [('p', 'abc')]"
    # the first rule's path takes the trailing slash too
    assert client.get("/x/y/").text == "plain [('p', 'x/y/')]"


def test_a_path_rule_before_its_slashed_twin_without_strict_slashes(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/x/<path:p>", "plain")
    named(app, "/x/<path:p>/", "slashed", strict_slashes=False)
    assert client.get("/x/a").text == "plain [('p', 'a')]"
    assert client.get("/x/zz/ab/").text == "plain [('p', 'zz/ab/')]"


def test_the_slashed_path_rule_alone_redirects_and_serves(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/<path:p>/", "slashed")
    response = client.get("/x/ab")
    assert response.status_code == 308
    assert response.location == "http://localhost/x/ab/"
    assert client.get("/x/ab/").text == "slashed [('p', 'x/ab')]"
    # a method the rule refuses: 404 (the redirect is for its methods only)
    assert client.put("/x").status_code == 404
    assert client.put("/x/").status_code == 405


def test_two_slashes_after_a_path_rule_redirect_to_one(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/<path:p>/", "slashed", strict_slashes=False)
    response = client.get("/a/b//")
    assert response.status_code == 308
    assert response.location == "http://localhost/a/b/"
    assert client.get("/a/b/").text == "slashed [('p', 'a/b')]"
    assert client.get("/a/b").text == "slashed [('p', 'a/b')]"


def test_converters_of_one_weight_keep_the_order_they_were_added(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/u/<s>", "string")
    named(app, "/u/<uuid:u>", "uuid")
    named(app, "/v/<uuid:u>", "uuid first")
    named(app, "/v/<s>", "string second")
    assert client.get(f"/u/{UUID}").text == f"string [('s', '{UUID}')]"
    assert client.get(f"/v/{UUID}").text.startswith("uuid first [('u', UUID(")
    assert client.get("/v/bob").text == "string second [('s', 'bob')]"


def test_a_lighter_converter_goes_first_and_a_static_segment_before_all(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/n/<s>", "string")
    named(app, "/n/<int:i>", "int")
    named(app, "/n/7", "seven")
    assert client.get("/n/5").text == "int [('i', 5)]"
    assert client.get("/n/7").text == "seven []"
    assert client.get("/n/x").text == "string [('s', 'x')]"


class Even(BaseConverter):
    """Even numbers; odd ones refused with a ValidationError."""

    regex = r"\d+"
    weight = 10

    def to_python(self, value: str) -> int:
        if int(value) % 2:
            raise ValidationError()
        return int(value)


def test_a_validation_error_ends_the_match(app: Flask, client: KolbaClient) -> None:
    app.url_map.converters["even"] = Even
    named(app, "/n/<even:n>", "even")
    named(app, "/n/<int:n>", "int")
    assert client.get("/n/4").text == "even [('n', 4)]"
    assert client.get("/n/3").status_code == 404  # (/n/<int:n> is not tried)


def test_a_value_error_ends_the_match_as_a_404(app: Flask, client: KolbaClient) -> None:
    # Flask answers 500 here: werkzeug lets the ValueError through
    class Strict(BaseConverter):
        def to_python(self, value: str) -> str:
            if value == "bad":
                raise ValueError(value)
            return value

    app.url_map.converters["strict"] = Strict
    named(app, "/s/<strict:v>", "strict")
    named(app, "/s/<v>", "string")
    assert client.get("/s/ok").text == "strict [('v', 'ok')]"
    assert client.get("/s/bad").status_code == 404


def added(app: Flask, rule: str, endpoint: str, **options: object) -> None:
    """A rule added to the map while the app serves (the view as named's)."""
    app.view_functions[endpoint] = lambda **kw: f"{endpoint} {sorted(kw.items())}"
    app.url_map.add(Rule(rule, endpoint=endpoint, **options))


def test_a_lighter_part_added_while_serving_goes_first(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/n/<s>", "string")
    assert client.get("/n/5").text == "string [('s', '5')]"
    added(app, "/n/<int:i>", "int")
    assert client.get("/n/5").text == "int [('i', 5)]"
    assert client.get("/n/x").text == "string [('s', 'x')]"
    # a part of text and a variable weighs less: it goes first
    added(app, "/n/v<int:i>", "v")
    assert client.get("/n/v5").text == "v [('i', 5)]"
    assert client.get("/n/5").text == "int [('i', 5)]"
    assert client.get("/n/vx").text == "string [('s', 'vx')]"


def test_a_static_segment_added_while_serving_is_tried_first(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/n/<s>", "string")
    assert client.get("/n/me").text == "string [('s', 'me')]"
    # a static part that leads to no rule here: the variable takes it back
    added(app, "/n/me/<int:i>", "deeper")
    assert client.get("/n/me").text == "string [('s', 'me')]"
    assert client.get("/n/me/3").text == "deeper [('i', 3)]"
    added(app, "/n/me", "me")
    assert client.get("/n/me").text == "me []"
    assert client.get("/n/you").text == "string [('s', 'you')]"


def test_a_rule_changed_in_place_while_serving_is_matched_as_it_is(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/n/<int:i>", "int")
    assert client.get("/n/5").text == "int [('i', 5)]"
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "int")
    rule.rule = "/n/<int(min=6):i>"
    rule.refresh()
    assert client.get("/n/5").status_code == 404
    assert client.get("/n/6").text == "int [('i', 6)]"
    rule.defaults = {"extra": 1}
    assert client.get("/n/6").text == "int [('extra', 1), ('i', 6)]"


def test_one_variable_last_answers_each_method_with_its_rule(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/n/<int:i>", "get")
    named(app, "/n/<int:j>", "post", methods=["POST"])
    assert client.get("/n/5").text == "get [('i', 5)]"
    assert client.post("/n/5").text == "post [('j', 5)]"
    assert client.put("/n/5").status_code == 405
    assert client.get("/n/05").text == "get [('i', 5)]"
    assert client.get("/n/-5").status_code == 404
    assert client.get("/n/").status_code == 404
    assert client.get("/n/5/").status_code == 404


@pytest.mark.parametrize(
    ("url", "answer"),
    [
        ("/p/%0Ab", "p [('rest', '\\nb')]"),  # ([^/] takes a newline first)
        ("/p/%0A", "p [('rest', '\\n')]"),
        ("/p/a%0Ab", None),  # (. does not take one after it)
        ("/p/a/b%0A", None),
        ("/p/%0A%0A", None),
        ("/p/a//b", "p [('rest', 'a//b')]"),
        ("/p/a/", "p [('rest', 'a/')]"),
        ("/p/", None),
        ("/p/x/%0Ab", None),
    ],
)
def test_a_path_variable_to_the_end_takes_what_its_regex_takes(
    app: Flask, client: KolbaClient, url: str, answer: str | None
) -> None:
    named(app, "/p/<path:rest>", "p")
    response = client.get(url)
    if answer is None:
        assert response.status_code == 404
    else:
        assert response.text == answer


def test_one_variable_last_gets_the_get_rule_added_after_another_method(
    app: Flask, client: KolbaClient
) -> None:
    named(app, "/n/<int:j>", "post", methods=["POST"])
    assert client.get("/n/5").status_code == 405
    added(app, "/n/<int:i>", "get", methods=["GET"])
    assert client.get("/n/5").text == "get [('i', 5)]"
    assert client.post("/n/5").text == "post [('j', 5)]"


def test_one_variable_last_of_a_rule_for_every_method(
    app: Flask, client: KolbaClient
) -> None:
    added(app, "/n/<int:i>", "every")  # (a Rule without methods)
    added(app, "/n/<int:k>", "later", methods=["GET"])  # (never reached)
    assert client.get("/n/5").text == "every [('i', 5)]"
    assert client.delete("/n/5").text == "every [('i', 5)]"
    assert client.get("/n/x").status_code == 404


@pytest.mark.parametrize(
    "text", [UUID, UUID.upper(), "ABCDEF01-2345-6789-abcd-ef0123456789"]
)
def test_a_uuid_variable_is_the_uuid_that_uuid_makes_of_its_text(
    app: Flask, client: KolbaClient, text: str
) -> None:
    seen = []

    @app.route("/u/<uuid:u>")
    def view(u: uuid.UUID) -> str:
        seen.append(u)
        return str(u)

    assert client.get(f"/u/{text}").text == text.lower()
    value, want = seen[0], uuid.UUID(text)
    assert type(value) is uuid.UUID
    assert (value, value.int, value.is_safe, hash(value)) == (
        want,
        want.int,
        want.is_safe,
        hash(want),
    )
    assert pickle.loads(pickle.dumps(value)) == want


class BracedUUID(UUIDConverter):
    """The uuid converter's to_python on a wider regex: {...} too."""

    regex = r"\{?" + UUIDConverter.regex + r"\}?"


def test_a_uuid_converter_of_another_regex_parses_what_it_takes(
    app: Flask, client: KolbaClient
) -> None:
    app.url_map.converters["braced"] = BracedUUID
    named(app, "/u/<braced:u>", "braced")
    assert client.get(f"/u/{{{UUID}}}").text == f"braced [('u', UUID('{UUID}'))]"
    assert client.get(f"/u/{UUID}").text == f"braced [('u', UUID('{UUID}'))]"


class Upper(UnicodeConverter):
    """A string converter of its own to_python."""

    def to_python(self, value: str) -> str:
        return value.upper()


def test_a_string_converter_of_its_own_to_python_converts(
    app: Flask, client: KolbaClient
) -> None:
    app.url_map.converters["upper"] = Upper
    named(app, "/s/<upper:s>", "upper")
    named(app, "/p/<path:p>", "path")
    assert client.get("/s/ab").text == "upper [('s', 'AB')]"
    assert client.get("/p/a/b").text == "path [('p', 'a/b')]"


@pytest.mark.parametrize(
    "text",
    [
        "1.5",
        "10.25",
        "1.",
        ".5",
        "1",
        "1.2.3",
        "a.5",
        "1.b",
        "",
        ".",
        "١.٥",
        "１.５",
        "1.5 ",
    ],
)
def test_a_float_segment_is_what_the_float_regex_takes(
    app: Flask, client: KolbaClient, text: str
) -> None:
    named(app, "/f/<float:x>", "float")
    response = client.get(f"/f/{text}")
    if re.fullmatch(r"\d+\.\d+", text):
        assert response.text == f"float [('x', {float(text)})]"
    else:
        assert response.status_code == 404
