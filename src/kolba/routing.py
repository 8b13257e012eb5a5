"""URL routing: rules, converters, a compiled matcher and the URL builder.

Matching gives werkzeug's answer (Flask's), built for the per-request hot
path: a rule without variables is found by one dict lookup on the path; the
others live in a trie of parts (static segments in a dict, the parts with
variables in a list per state), so a match costs O(path segments) whatever the
number of rules. A static segment comes first, then the parts with variables
by weight, then in the order they were added; a failed branch backtracks to
the next candidate; the found rule's converters then convert its values.
"""

from __future__ import annotations

import ast
import difflib
import re
import uuid
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode, urljoin

import werkzeug.routing as _wz
import werkzeug.routing.converters as _wz_converters
from werkzeug.datastructures import MultiDict, iter_multi_items
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import BuildError as _WerkzeugBuildError
from werkzeug.routing import RequestRedirect as _WerkzeugRequestRedirect
from werkzeug.routing import ValidationError, WebsocketMismatch

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "PathConverter",
    "RequestRedirect",
    "Rule",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
]

_PATH_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$'()*,/:;?@"
_VARIABLE = re.compile(
    r"<(?:(?P<conv>[A-Za-z_]\w*)(?:\((?P<args>[^<>]*?)\))?:)?(?P<name>[A-Za-z_]\w*)>"
)
_MANY_SLASHES = re.compile("/{2,}")
#: The map's attributes that change how it builds (see Map._builder).
_BUILDS_DIFFERENTLY = frozenset(
    {"build", "sort_parameters", "sort_key", "host_matching", "default_subdomain"}
)


def _decimal_point(text: str) -> bool:
    """A fullmatch of ``\\d+\\.\\d+`` (the float converter's regex)."""
    whole, _, fraction = text.partition(".")
    return whole.isdecimal() and fraction.isdecimal()


def _rest_of_path(text: str) -> dict[str, str] | None:
    """A match of ``(?P<_kolba0>[^/].*?)\\Z`` (a ``path`` variable alone to
    the path's end), as the group that the matcher reads of it."""
    if not text or text[0] == "/" or ("\n" in text and "\n" in text[1:]):
        return None  # (``.`` takes no newline)
    return {"_kolba0": text}


# Cheap equivalents of a fullmatch of common converter regexes on one segment
# (which never contains a slash); \d and str.isdecimal both mean Unicode "Nd".
# (PERF: the float's, not its regex: a match of /f/<float:x> 7,518 -> 6,794
# instructions)
_SEGMENT_TESTS: dict[str, Callable[[str], Any]] = {
    r"\d+": str.isdecimal,
    r"\d+\.\d+": _decimal_point,
    "[^/]+": len,
    "[^/]{1,}": len,
}


#: The regexes of a variable that takes any text but a slash (the ``string``
#: converter's with no length given): a segment of several such variables is
#: split by _strings_split, not by its regex.
_ANY_TEXT = frozenset({"[^/]+", "[^/]{1,}"})


def _strings_split(
    pieces: tuple[str, ...], names: tuple[str, ...]
) -> Callable[[str], dict[str, str] | None]:
    """The match of a segment made of variables that take any text but a
    slash (two or more) and static ``pieces`` around and between them
    (``pieces[0]`` before the first variable, ``pieces[-1]`` after the last;
    each "" where there is none), as a dict of ``names`` to the variables'
    texts, or None: what the segment's regex (``[^/]{1,}`` for each variable,
    each piece escaped, then ``\\Z``) matches, in O(length) steps.

    The regex backtracks: on a segment it does not match, such as
    ``"a-" * 700 + "a.y"`` for ``<y>-<m>-<d>.html``, its cost grows with the
    segment's length to the power of the number of variables (seconds for a
    1 KB segment, werkzeug's as kolba's); and where it matches, each greedy
    variable takes the most text that lets the rest match (``a-b-c-d.html``
    gives ``a-b``, ``c``, ``d``). Here: from the end, the latest place each
    separator can start so that what follows it matches (the rightmost one
    that leaves at least one character to each variable after it; a later
    start never matches if an earlier one does not, as a variable takes any
    text); the variables, left to right, then end exactly there."""
    first = pieces[0]
    last = pieces[-1]
    backwards = pieces[-2:0:-1]  # the separators, from the last one
    lead = len(first)
    trail = len(last)
    # (each variable's name but the last's, and the length of the separator
    # after it)
    forwards = tuple(zip(names[:-1], map(len, pieces[1:-1]), strict=True))
    final = names[-1]

    def split(text: str) -> dict[str, str] | None:
        if "/" in text or not text.startswith(first) or not text.endswith(last):
            return None
        end = len(text) - trail  # (where the last variable ends)
        starts = []  # each separator's start, from the last one
        limit = end - 1  # (the latest end of a separator: one character left)
        for sep in backwards:
            if limit <= lead:  # (so never a negative limit, read from the end)
                return None
            at = text.rfind(sep, lead + 1, limit)
            if at < 0:
                return None
            starts.append(at)
            limit = at - 1
        values = {}
        begin = lead
        for name, size in forwards:
            at = starts.pop()
            values[name] = text[begin:at]
            begin = at + size
        values[final] = text[begin:end]
        return values

    return split


#: The kinds of variable that _runs_split takes, by their regexes: any text
#: but a slash, decimal digits (an ``int``), a ``float``, a ``uuid``.
_ANY, _DIGITS, _FLOAT, _HEX_UUID = range(4)


def _runs_split(
    pieces: tuple[str, ...], kinds: tuple[int, ...], names: tuple[str, ...]
) -> Callable[[str], dict[str, str] | None]:
    """As _strings_split, for a segment whose variables are of the ``kinds``
    above, not all _ANY: what the segment's regex matches, in
    O(length log length) steps where the regex can take the length to the
    power of the number of variables (``<a>-<b>-<int:c>``, or ``<a><int:b>``
    with nothing between them).

    Where a variable starts, the places where it may end are those after
    ``lo`` up to ``hi`` (``reach``), and its greedy regex tries the last
    first: so the regex's first match ends each variable, from the first, at
    the last of them that leaves a match of the rest. From the last variable
    back: ``good[i]``, the places where variable ``i`` may end so that the
    rest matches (its separator there, then a place where the next one may
    start); variable ``i`` may start where one of them is in its reach."""
    first = pieces[0]
    last = pieces[-1]
    seps = pieces[1:-1]
    count = len(names)

    def split(text: str) -> dict[str, str] | None:
        if "/" in text or not text.startswith(first) or not text.endswith(last):
            return None
        begin = len(first)
        end = len(text) - len(last)  # (where the last variable ends)
        if end - begin < count:
            return None
        run = list(range(end + 1))  # run[j]: where the digits from j end
        for j in range(end - 1, begin - 1, -1):
            if text[j].isdecimal():
                run[j] = run[j + 1]

        def reach(i: int, j: int) -> tuple[int, int]:
            kind = kinds[i]
            if kind == _ANY:
                return j, end
            if kind == _DIGITS:
                return j, run[j]
            if kind == _FLOAT:  # (digits, all those from j, a dot, digits)
                dot = run[j]
                if j < dot < end and text[dot] == ".":
                    return dot + 1, run[dot + 1]
            elif _uuid_text(text, j, j + 36):
                return j + 35, j + 36
            return j, j

        good: list[list[int]] = [[] for _ in seps]

        def may_start(i: int, j: int) -> bool:
            """Variable ``i`` may start at ``j``, and the rest match."""
            lo, hi = reach(i, j)
            if i == count - 1:
                return lo < end <= hi
            ends = good[i]
            at = bisect_right(ends, lo)
            return at < len(ends) and ends[at] <= hi

        for i in range(count - 2, -1, -1):
            sep = seps[i]
            size = len(sep)
            # the ends of variable i: where its separator is (anywhere if none)
            at = begin + 1
            while at < end:
                if sep:
                    at = text.find(sep, at, end)
                    if at < 0:
                        break
                if may_start(i + 1, at + size):
                    good[i].append(at)
                at += 1
        values = {}
        start = begin
        for i in range(count - 1):
            ends = good[i]
            lo, hi = reach(i, start)
            at = bisect_right(ends, hi) - 1
            if at < 0 or ends[at] <= lo:
                return None
            values[names[i]] = text[start : ends[at]]
            start = ends[at] + len(seps[i])
        values[names[-1]] = text[start:end]
        return values

    return split


# -- converters -------------------------------------------------------------
#
# Werkzeug's converter classes, or kolba's subclasses of them: extensions that
# inspect ``rule._converters`` find the types they know.

BaseConverter = _wz.BaseConverter
UnicodeConverter = _wz.UnicodeConverter
PathConverter = _wz.PathConverter


class AnyConverter(_wz.AnyConverter):
    """``any(a, b)``: exactly one of the given items."""

    def __init__(self, map: Map, *items: str) -> None:
        BaseConverter.__init__(self, map)
        self.items = set(items)
        self.regex = "(?:" + "|".join(re.escape(x) for x in items) + ")"

    def to_url(self, value: Any) -> str:
        if value in self.items:
            return str(value)
        valid = ", ".join(repr(x) for x in sorted(self.items))
        raise ValueError(f"{value!r} is not one of {valid}")


class NumberConverter(_wz_converters.NumberConverter):
    """Shared logic of ``int`` and ``float``: digits, bounds, sign."""

    weight = 50
    num_convert: Callable[[str], Any] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        BaseConverter.__init__(self, map)
        if signed:
            self.regex = "-?" + self.regex
        self.fixed_digits = fixed_digits
        # werkzeug annotates the bounds as ints; its FloatConverter's are floats
        self.min = min  # type: ignore[assignment]
        self.max = max  # type: ignore[assignment]
        self.signed = signed
        if not (fixed_digits or min is not None or max is not None) and (
            type(self).to_python is NumberConverter.to_python
        ):
            # nothing to check: convert only (mypy does not model an instance
            # attribute that stands in for a method)
            self.to_python = self.num_convert  # type: ignore[method-assign,assignment]

    def to_python(self, value: str) -> Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        number = self.num_convert(value)
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        text = str(self.num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text


class IntegerConverter(NumberConverter, _wz.IntegerConverter):
    """``int``: decimal digits; ``signed=True`` allows a leading minus."""

    regex = r"\d+"


class FloatConverter(NumberConverter, _wz.FloatConverter):
    """``float``: digits, a dot, digits (``1.5``, not ``1``)."""

    regex = r"\d+\.\d+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


class UUIDConverter(_wz.UUIDConverter):
    """``uuid``: the canonical 8-4-4-4-12 hex form, as :class:`uuid.UUID`."""

    regex = (
        "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
    )

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        return str(value)


#: The regexes of the variables that _runs_split takes besides any text's
_RUN_KINDS = {r"\d+": _DIGITS, r"\d+\.\d+": _FLOAT, UUIDConverter.regex: _HEX_UUID}
#: A fullmatch of a uuid's regex, from and to the positions given (_runs_split)
_uuid_text = re.compile(UUIDConverter.regex).fullmatch


_IDENTITY = BaseConverter.to_python
_UUID_TO_PYTHON = UUIDConverter.to_python
_new_object = object.__new__
_UUID = uuid.UUID
# PERF: the setters of UUID's slots, not object.__setattr__ by name: a match
# of /u/<uuid:u> 14,335 -> 13,359 instructions
_set_int = vars(_UUID)["int"].__set__
_set_is_safe = vars(_UUID)["is_safe"].__set__
_UNKNOWN = uuid.SafeUUID.unknown


def _uuid(text: str) -> uuid.UUID:
    """``uuid.UUID(text)`` of a canonical 8-4-4-4-12 text, as the ``uuid``
    converter's regex takes it, without UUID's parsing of other forms."""
    value = _new_object(_UUID)
    _set_int(value, int(text.replace("-", ""), 16))
    _set_is_safe(value, _UNKNOWN)
    return value


def _to_python(conv: BaseConverter) -> Callable[[str], Any]:
    """What the matcher converts a variable's matched text with: its
    converter's ``to_python``, or the same answer made with less work
    (decided as the rule is added, as the bound method was taken)."""
    func = getattr(conv.to_python, "__func__", None)
    if func is _IDENTITY:
        # PERF: the text itself (matched text is a str: str() gives it
        # back), no call of a method: a match of /s/<s> 5,351 -> 5,134
        # instructions, of /p/<path:p> 20,320 -> 20,165
        return str
    if func is _UUID_TO_PYTHON and conv.regex == UUIDConverter.regex:
        # PERF: no parsing of the forms that the regex refuses: a match of
        # /u/<uuid:u> 19,349 -> 14,703 instructions
        return _uuid
    return conv.to_python


DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}


# -- exceptions -------------------------------------------------------------


#: (the view, the name of its one parameter) as the app last decided it
#: for a rule (see Flask._full_dispatch); nothing decided yet.
_NO_VIEW_CALL: tuple[Any, str | None] = (None, None)


class BuildError(_WerkzeugBuildError):
    """No URL can be built for an endpoint with the given values and method."""

    def __init__(
        self,
        endpoint: Any,
        values: Mapping[str, Any],
        method: str | None,
        adapter: Any = None,
        *,
        missing: Iterable[str] = (),
        suggestion: str | None = None,
        allowed_methods: Iterable[str] = (),
    ) -> None:
        super().__init__(endpoint, values, method, adapter)
        self.missing = sorted(missing)
        self.suggestion = suggestion
        #: The methods the endpoint's rules take, when none takes ``method``.
        self.allowed_methods = sorted(allowed_methods)

    def __str__(self) -> str:
        text = f"Could not build url for endpoint {self.endpoint!r}"
        if self.method:
            text += f" with method {self.method!r}"
        if self.suggestion is not None:
            return f"{text}: no such endpoint. Did you mean {self.suggestion!r}?"
        if self.allowed_methods:
            return (
                f"{text}: no rule of this endpoint takes that method."
                f" Did you mean to use methods {self.allowed_methods}?"
            )
        if self.missing:
            return f"{text}: missing values {self.missing}."
        if self.values:
            text += f" with values {sorted(self.values)}"
        return f"{text}: no rule of this endpoint fits."


class RequestRedirect(_WerkzeugRequestRedirect):
    """308 redirect raised by matching; ``new_url`` is the target path or URL."""


class _RedirectTo(RequestRedirect):
    """Internal: a rule's ``redirect_to`` target, which werkzeug joins to the
    script root's URL as a link (no query string added). A function target
    is called by whoever has the URL adapter, through :meth:`target`."""

    call: tuple[Callable[..., str], dict[str, Any]] | None = None

    def target(self, adapter: Any) -> str:
        """The target: a function's is ``redirect_to(adapter, **values)``,
        as werkzeug calls it."""
        if self.call is None:
            return self._url
        func, args = self.call
        return func(adapter, **args)

    @property
    def new_url(self) -> str:
        """The target (a function's called with no adapter: Map.match has none)."""
        return self.target(None)

    @new_url.setter
    def new_url(self, url: str) -> None:
        self._url = url


class _AliasRedirect(RequestRedirect):
    """Internal: an alias's redirect to its endpoint's URL, which werkzeug's
    URL adapter builds (a WebSocket rule's with ws:// or wss://), on the
    endpoint rule's domain (None: the default one)."""

    def __init__(self, path: str, websocket: bool, domain: str | None) -> None:
        super().__init__(path)
        self.websocket = websocket
        self.domain = domain


class _DefaultsRedirect(RequestRedirect):
    """Internal: a redirect to the rule that provides the matched rule's
    defaults, whose domain werkzeug's URL adapter redirects to; None: the
    default one (the app redirects on the request's host)."""

    def __init__(self, path: str, domain: str | None) -> None:
        super().__init__(path)
        self.domain = domain


def _redirect_host(redirect: RequestRedirect, url_map: Map, server_name: Any) -> Any:
    """The host of a redirect to a rule on a domain the map names (a host, or
    a subdomain of ``server_name``: SERVER_NAME with subdomain matching), as
    werkzeug's URL adapter builds it; None: the request's host (the default
    domain)."""
    domain = getattr(redirect, "domain", None)
    if domain is None:
        return None
    if url_map.host_matching:
        return domain
    return ".".join(filter(None, (domain, server_name))) if server_name else None


class _Seen(set[str]):
    """What a search saw besides its answer: the methods of the rules that
    refused the request's method (the set), and whether a rule refused the
    request for being, or not being, a WebSocket."""

    mismatch = False
    # a state whose parts with variables all refuse the search's path where
    # it reaches them (see Map._match)
    dead: _Node | None = None

    def __init__(self, websocket: bool) -> None:
        super().__init__()
        self.websocket = websocket


class _SlashRequired(Exception):
    """Internal: the path matches a rule only with a trailing slash added."""


# -- rules ------------------------------------------------------------------


class _Var:
    """A parsed ``<conv(args):name>`` placeholder."""

    __slots__ = ("name", "conv")

    def __init__(self, name: str, conv: BaseConverter) -> None:
        self.name = name
        self.conv = conv


_Tokens = list["str | _Var"]
if TYPE_CHECKING:
    # The compiled forms the matcher walks (tuples, for speed).
    _Match = Callable[[str], Any]  # a regex's match: a truthy match, or falsy
    _ToPython = Callable[[str], Any]
    # (match, kind, regex group names, child); kind: _ONE (one variable, the
    # whole segment: match is a test), _SEGMENT (one segment), _REST (the
    # rest of the path), _REST_SLASH (the same, with a trailing slash)
    _Dynamic = tuple[_Match, int, tuple[str, ...], "_Node"]
    _Weight = tuple[int, tuple[tuple[int, int], ...], int, tuple[float, ...]]

    # The entry of a path of static segments (see Map._heads): (its state,
    # the test of the state's first part with variables if that is one
    # variable, the whole segment (or _NEVER), the state's static parts (None
    # while it has none), the state after that part, its rule for GET, that
    # rule's variable's name and to_python).
    _Head = tuple[
        "_Node",
        _Match,
        "dict[str, _Node] | None",
        "_Node",
        "Rule | None",
        str,
        _ToPython,
    ]

_ONE, _SEGMENT, _REST, _REST_SLASH = range(4)  # (_ONE is 0: "not kind")
_NEVER: Callable[[str], bool] = ().__contains__  # (False, for any text)
_SLASH_GROUP = "_kolba_slash"
_REST_OF_PATH = r"(?P<_kolba0>[^/].*?)\Z"  # (see _rest_of_path)


class Rule(_wz.Rule):
    """One URL pattern mapped to an endpoint: werkzeug's ``Rule``, which kolba's
    :class:`Map` compiles into its own matcher and builder when it is added
    (any werkzeug ``Rule`` or rule factory can be added the same way)."""

    provide_automatic_options = False
    # Set by Map.add, on any werkzeug rule added (the matcher's types describe
    # those rules by this class).
    _path: _Tokens  # as matched: decoded static text
    _url: _Tokens  # as built: percent-encoded static text
    _domain: _Tokens
    _plain: bool  # no redirect to consider when it matches
    _lead: bool  # its built path may start with "//" (see _one_slash)
    _vars: tuple[tuple[str, _ToPython], ...]  # (name, to_python) as matched
    _reads_request: bool  # a request it matched made its Request (kolba.ctx)
    _default_redirects: tuple[Rule, ...]

    # werkzeug's rules compare by their parsed pattern and are unhashable;
    # kolba's stay usable in sets and as keys.
    __hash__ = object.__hash__  # type: ignore[assignment]  # werkzeug says: None

    @property  # (werkzeug's is a plain attribute)
    def redirect_to(self) -> str | Callable[..., str] | None:
        """Where the rule redirects to (werkzeug's), as a string or a function."""
        return self._redirect_to

    @redirect_to.setter
    def redirect_to(self, value: str | Callable[..., str] | None) -> None:
        # set after the rule was added: its map plans its redirects again, as
        # werkzeug reads it when it matches (the rules' matches pay nothing)
        self._redirect_to = value
        # PERF: getattr, not self.__dict__, which gave every rule a dict of its
        # own and made its attributes slower to read (hello 22,395 -> 21,091
        # instructions a request)
        map = getattr(self, "map", None)
        if isinstance(map, Map):
            for rules in map._by_endpoint.values():
                map._plan(rules)

    def build(
        self, values: Mapping[str, Any], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """werkzeug's: (domain part, path with the values the rule does not
        take as a query string), or None if a converter refuses."""
        return _rule_build(self, append_unknown, **values)

    def refresh(self) -> None:
        """Compile the rule again after it was changed in place: its map
        matches and builds it as it is now."""
        if isinstance(self.map, Map):
            self.map._recompile()
        else:
            super().refresh()


def _parse(rule: _wz.Rule, string: str, map: Map) -> _Tokens:
    """Split ``string`` into static text and variables (``rule``'s converters)."""
    tokens: _Tokens = []
    pos = 0
    for m in _VARIABLE.finditer(string):
        tokens.append(string[pos : m.start()])
        name = m["name"]
        if name in rule._converters:
            raise ValueError(f"URL rule {rule.rule!r}: variable {name!r} repeats")
        conv = _converter(rule, map, m["conv"] or "default", m["args"])
        rule._converters[name] = conv
        rule.arguments.add(name)
        tokens.append(_Var(name, conv))
        pos = m.end()
    tokens.append(string[pos:])
    for token in tokens:
        if isinstance(token, str) and ("<" in token or ">" in token):
            raise ValueError(f"URL rule {rule.rule!r} is malformed near {token!r}")
    return [t for t in tokens if t != ""]


def _converter(rule: _wz.Rule, map: Map, name: str, args: str | None) -> Any:
    if name not in map.converters:
        raise LookupError(f"URL rule {rule.rule!r}: no converter named {name!r}")
    pos: tuple[Any, ...] = ()
    kw: dict[str, Any] = {}
    if args is not None:
        try:
            pos, kw = _parse_args(args)
        except (SyntaxError, ValueError) as e:
            raise ValueError(
                f"URL rule {rule.rule!r}: bad converter arguments {args!r}"
            ) from e
    return map.converters[name](map, *pos, **kw)


def _trace(domain: _Tokens, path: _Tokens) -> list[tuple[bool, str]]:
    """werkzeug's ``rule._trace``: (is variable, name or static text) pieces,
    the domain part, ``|``, then the path with each slash on its own."""
    trace = []
    for tokens in (domain, ["|"], path):
        for t in tokens:
            if isinstance(t, _Var):
                trace.append((True, t.name))
            else:
                trace.extend((False, p) for p in re.split("(/)", t) if p)
    return trace


def _build(rule: Any, values: Mapping[str, Any]) -> tuple[str | None, str, str] | None:
    """(domain, path, query) from ``values``; None if a converter refuses."""
    full = {**rule.defaults, **values} if rule.defaults else values
    try:
        path = _fill_tokens(rule._url, full)
        domain = _fill_tokens(rule._domain, full) if rule._domain else None
    except ValidationError:
        return None
    items: list[tuple[str, Any]] = []
    for key, value in values.items():
        if key in rule.arguments:
            continue
        if isinstance(value, (list, tuple, set)):  # (werkzeug's iter_multi_items)
            items.extend((key, v) for v in value if v is not None)
        else:
            items.append((key, value))
    return domain, path, urlencode(items, safe=_QUERY_SAFE) if items else ""


def _one_slash(path: str) -> str:
    """A built path with one leading slash, as werkzeug's adapter makes it
    (an empty first variable, or a rule that keeps its double slashes)."""
    return "/" + path.lstrip("/") if path[1:2] == "/" else path


# -- fast building ----------------------------------------------------------
#
# An endpoint with one rule (the usual one) builds through a function made
# once (Map._builder): its static text joined, its variables converted inline
# when the converter is werkzeug's or kolba's own (an int written by str(),
# a str that needs no quoting as it is), the other values written as the
# query string when each needs no quoting; anything else (a value to
# quote, a converter's refusal, a missing value) builds by Map.build.

#: What quote() leaves as it is in a path (the converters' safe characters),
#: and quote_plus() in a query string (urlencode's, with _QUERY_SAFE).
_UNQUOTED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
_PATH_CHARS = frozenset(_UNQUOTED + _PATH_SAFE)
_QUERY_CHARS = frozenset(_UNQUOTED + _QUERY_SAFE)
_NUMBER_TO_URL = (NumberConverter.to_url, _wz_converters.NumberConverter.to_url)

if TYPE_CHECKING:
    # values -> the path and query string, or None: Map.build builds it
    _Builder = Callable[[dict[str, Any]], "str | None"]


class _Never:
    """The type of no value (a variable whose converter is always called)."""


def _no_builder(values: dict[str, Any]) -> str | None:
    """Builds nothing: Map.build does."""
    return None


def _plain_types(conv: BaseConverter) -> tuple[type, type]:
    """The type of the values that ``conv.to_url`` writes as ``str(value)``
    (an int: the ``int`` converter's, and those that quote ``str(value)``
    as ``string`` and ``path`` do), and of those it writes as they are when
    they need no quoting (a str: the latter's), or _Never."""
    func = getattr(conv.to_url, "__func__", None)
    if func is BaseConverter.to_url:
        return int, str
    if func in _NUMBER_TO_URL and conv.num_convert is int and not conv.fixed_digits:  # type: ignore[attr-defined]
        return int, _Never
    return _Never, _Never


def _with_query(path: str, values: dict[str, Any], arguments: Any) -> str | None:
    """``path`` and the query string of the values that are not
    ``arguments``, as _build writes it, when each is an int or a str and
    none needs quoting; None otherwise."""
    parts = []
    for key, value in values.items():
        if key in arguments or value is None:
            continue
        kind = type(value)
        if kind is int:
            value = str(value)
        elif kind is not str or not _QUERY_CHARS.issuperset(value):
            return None
        if not _QUERY_CHARS.issuperset(key):
            return None
        parts.append(f"{key}={value}")
    return f"{path}?{'&'.join(parts)}" if parts else path


def _fast_builder(rule: Rule) -> _Builder:
    """The fast builder of ``rule`` (see above), or _no_builder."""
    if (
        rule.defaults
        or rule._domain
        or type(rule).suitable_for is not _wz.Rule.suitable_for
    ):
        return _no_builder
    arguments = rule.arguments
    tokens = rule._url
    variables = [t for t in tokens if isinstance(t, _Var)]
    if {v.name for v in variables} != arguments:
        return _no_builder
    lead = rule._lead
    if not variables:
        path = "".join(tokens)  # type: ignore[arg-type]
        if lead:
            path = _one_slash(path)

        def build_static(values: dict[str, Any]) -> str | None:
            return _with_query(path, values, arguments) if values else path

        return build_static
    if len(variables) == 1:  # (PERF: a loop costs it 1,140 instructions)
        var = variables[0]
        i = tokens.index(var)
        head = "".join(tokens[:i])  # type: ignore[arg-type]
        tail = "".join(tokens[i + 1 :])  # type: ignore[arg-type]
        name = var.name
        conv = var.conv
        number, text_type = _plain_types(conv)
        own = conv.to_url

        def build_one(values: dict[str, Any]) -> str | None:
            value = values.get(name)
            if value is None:
                return None
            # (as werkzeug, the converter's to_url as it is now: one set on
            # it or its class since is called: 9,802 -> 10,509 instructions a
            # url_for("user", id=42), which the class's alone makes 10,080)
            to_url = conv.to_url
            kind = type(value)
            if kind is number and to_url == own:
                text = str(value)
            elif (
                kind is text_type and to_url == own and _PATH_CHARS.issuperset(value)
            ):
                text = value
            else:
                try:
                    text = to_url(value)
                except Exception:  # (as Map.build tells: a BuildError, maybe)
                    return None
            path = f"{head}{text}{tail}"
            if lead:
                path = _one_slash(path)
            if len(values) == 1:
                return path
            return _with_query(path, values, arguments)

        return build_one
    # (static text, then a variable: its name, the types of values it
    # writes itself (see _plain_types), its converter and its to_url), ...
    pieces = []
    static = ""
    for t in tokens:
        if isinstance(t, str):
            static += t
        else:
            conv = t.conv
            pieces.append((static, t.name, *_plain_types(conv), conv, conv.to_url))
            static = ""
    tail = static
    count = len(variables)

    def build_vars(values: dict[str, Any]) -> str | None:
        parts = []
        for static, name, number, text_type, conv, own in pieces:
            value = values.get(name)
            if value is None:
                return None
            to_url = conv.to_url  # (as build_one)
            kind = type(value)
            if kind is number and to_url == own:
                text = str(value)
            elif (
                kind is text_type and to_url == own and _PATH_CHARS.issuperset(value)
            ):
                text = value
            else:
                try:
                    text = to_url(value)
                except Exception:  # (as Map.build tells: a BuildError, maybe)
                    return None
            parts.append(static)
            parts.append(text)
        parts.append(tail)
        path = "".join(parts)
        if lead:
            path = _one_slash(path)
        if len(values) == count:
            return path
        return _with_query(path, values, arguments)

    return build_vars


def _rule_build(
    rule: Any, append_unknown: bool, /, **values: Any
) -> tuple[str, str] | None:
    """werkzeug's ``rule.build(values, append_unknown)``: (domain part, path
    with the values the rule does not take as a query string), or None if a
    converter refuses; the rule's defaults win over ``values``, a None
    value is left out of the query string."""
    args = rule.arguments
    values = {k: v for k, v in values.items() if v is not None or k in args}
    built = _build(rule, {**values, **rule.defaults} if rule.defaults else values)
    if built is None:
        return None
    domain, path, query = built
    if query and rule.map.sort_parameters:
        query = _sorted_query(rule, values)
    if domain is None:  # (the default domain: the rule's, as werkzeug's)
        domain = "" if rule.map.host_matching else rule.subdomain or ""
    return domain, f"{path}?{query}" if query and append_unknown else path


def _sorted_query(rule: Any, values: Mapping[str, Any]) -> str:
    """The query string of the values the rule does not take, sorted by
    its map's ``sort_key`` (werkzeug's ``sort_parameters``)."""
    args = rule.arguments
    items = [
        (k, v) for k, v in iter_multi_items(values) if k not in args and v is not None
    ]
    return urlencode(sorted(items, key=rule.map.sort_key), safe=_QUERY_SAFE)


def _fill(rule: Any, template: str, args: Mapping[str, Any]) -> str:
    """``template`` in rule syntax with the placeholders replaced by ``args``."""

    def put(m: re.Match[str]) -> str:
        conv = rule._converters.get(m["name"])
        value = args[m["name"]]
        return conv.to_url(value) if conv else quote(str(value), safe=_PATH_SAFE)

    return _VARIABLE.sub(put, template)


def _provides_defaults_for(rule: Any, other: Any) -> bool:
    return bool(
        not rule.build_only
        and rule.defaults
        and rule != other  # (werkzeug's equality: the same variables and text)
        and rule.arguments == other.arguments
    )


def _fill_tokens(tokens: _Tokens, values: Mapping[str, Any]) -> str:
    """Static text as is, variables through their converter's ``to_url``."""
    return "".join(
        [t if isinstance(t, str) else t.conv.to_url(values[t.name]) for t in tokens]
    )


def _parse_args(text: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Parse converter arguments: Python literals, bare words as strings."""
    call = ast.parse(f"f({text})", mode="eval").body
    if not isinstance(call, ast.Call):
        raise ValueError(f"not an argument list: {text!r}")

    def value(node: ast.expr) -> Any:
        return node.id if isinstance(node, ast.Name) else ast.literal_eval(node)

    if any(k.arg is None for k in call.keywords):
        raise ValueError("** arguments are not allowed")
    return (
        tuple(value(a) for a in call.args),
        {k.arg: value(k.value) for k in call.keywords if k.arg},
    )


def _pattern(
    segments: list[_Tokens], slash: bool
) -> tuple[str, tuple[str, ...], _Weight]:
    """The regex of a part of a rule (one segment, or the rest of the path
    from a variable that takes slashes), its group names and its weight.

    Parts are tried by weight, as in werkzeug: more static pieces first,
    longer ones first, then more variables, then lighter converters; the
    same weight keeps the order the rules were added in.
    """
    pattern = []
    names: list[str] = []
    statics: list[tuple[int, int]] = []
    weights: list[float] = []
    for i, seg in enumerate(segments):
        if i:
            pattern.append("/")
        for t in seg:
            if isinstance(t, str):
                statics.append((len(statics), -len(t)))
                pattern.append(re.escape(t))
            else:
                names.append(f"_kolba{len(names)}")
                pattern.append(f"(?P<{names[-1]}>{t.conv.regex})")
                weights.append(t.conv.weight)
    if slash:  # the trailing slash, caught to redirect to it when missing
        pattern.append(f"(?<!/)(?P<{_SLASH_GROUP}>/?)")
    pattern.append(r"\Z")
    weight = (-len(statics), tuple(statics), -len(weights), tuple(weights))
    return "".join(pattern), tuple(names), weight


# -- matcher ----------------------------------------------------------------


class _Node:
    """A state of the matcher: the rules ending here and the ways to go on."""

    __slots__ = ("static", "dynamic", "rules", "_keyed", "first", "any", "depth")

    def __init__(self, depth: int) -> None:
        # the path's segments taken to get here (through segments)
        self.depth = depth
        self.static: dict[str, _Node] = {}
        self.dynamic: list[_Dynamic] = []  # by weight, then as added
        self.rules: list[Rule] = []
        # (identity: regex, kind and weight; entry) for each of ``dynamic``
        self._keyed: list[tuple[tuple[str, int, _Weight], _Dynamic]] = []
        # The first of the HTTP rules that answers each method; any: the
        # first that answers every method (for the methods not in ``first``).
        self.first: dict[str, Rule] = {}
        self.any: Rule | None = None

    def add_rule(self, rule: Rule) -> None:
        self.rules.append(rule)
        if rule.websocket:  # (a WebSocket request takes the full search)
            return
        if self.any is None:
            if rule.methods is None:
                self.any = rule
            else:
                for method in rule.methods:
                    self.first.setdefault(method, rule)

    def dynamic_child(self, segments: list[_Tokens], kind: int) -> _Node:
        """The state after a part with variables; rules whose parts have the
        same regex and weight share it (whatever their variables' names)."""
        pattern, names, weight = _pattern(segments, kind == _REST_SLASH)
        key = (pattern, kind, weight)
        for known, entry in self._keyed:
            if known == key:
                return entry[3]
        child = _Node(self.depth + 1)
        match: _Match = re.compile(pattern).match
        if kind == _REST and pattern == _REST_OF_PATH:
            # PERF: no regex: a match of /p/a/b/c 17,073 -> 15,894
            # instructions, of /p/css/bootstrap.min.css ~6,000 fewer
            match = _rest_of_path
        elif kind == _ONE:
            var = segments[0][0]
            assert isinstance(var, _Var)
            match = _SEGMENT_TESTS.get(var.conv.regex) or match
        elif kind == _SEGMENT and len(names) > 1:
            tokens = segments[0]
            regexes = [t.conv.regex for t in tokens if isinstance(t, _Var)]
            if all("/" not in t for t in tokens if isinstance(t, str)) and all(
                r in _ANY_TEXT or r in _RUN_KINDS for r in regexes
            ):
                # no regex, whose backtracking is a CPU hang on a long segment
                # that it does not match (see _strings_split)
                pieces = [""]
                for t in tokens:
                    if isinstance(t, str):
                        pieces[-1] += t
                    else:
                        pieces.append("")
                kinds = tuple(_RUN_KINDS.get(r, _ANY) for r in regexes)
                if not any(kinds):
                    match = _strings_split(tuple(pieces), names)
                # PERF: the regex where it takes O(length) steps: with one
                # variable of any text, and separators that no variable's
                # digits run into (a match of /s/<slug>-<int:id> 1.2 µs, of
                # _runs_split 4.0)
                elif kinds.count(_ANY) > 1 or not all(
                    sep and not any(map(str.isdecimal, sep)) for sep in pieces[1:-1]
                ):
                    match = _runs_split(tuple(pieces), kinds, names)
        self._keyed.append((key, (match, kind, names, child)))
        self._keyed.sort(key=lambda k: k[0][2])  # (stable: ties keep their order)
        self.dynamic = [entry for _, entry in self._keyed]
        return child


def _split(tokens: _Tokens) -> list[_Tokens]:
    """Tokens of a path (leading slash included) grouped by segment."""
    segments: list[_Tokens] = []
    current: _Tokens = []
    for t in tokens:
        if isinstance(t, _Var):
            current.append(t)
            continue
        first, *rest = t.split("/")
        if first:
            current.append(first)
        for piece in rest:
            segments.append(current)
            current = [piece] if piece else []
    segments.append(current)
    return segments[1:]


def _isolated(t: str | _Var) -> bool:
    return isinstance(t, str) or t.conv.part_isolating


class Map(_wz.Map):
    """The set of rules of an application, with matching and URL building.

    It is a werkzeug ``Map`` to extensions (``bind()``, ``bind_to_environ()``,
    ``iter_rules()``, ``add()`` of any werkzeug rule or rule factory), while
    matching runs kolba's own compiled trie, built as rules are added.
    """

    default_converters = _wz.Map.default_converters
    encoding_errors = "replace"
    # plain attributes, set in __init__, instead of werkzeug's properties
    merge_slashes = True
    _rules: list[_wz.Rule] = []  # noqa: RUF012

    def __init__(  # (werkzeug's arguments, in its order)
        self,
        rules: Iterable[Rule] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: Mapping[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: Callable[[Any], Any] | None = None,
        host_matching: bool = False,
    ) -> None:
        self.converters: dict[str, type[BaseConverter]] = {
            **DEFAULT_CONVERTERS,
            **(converters or {}),
        }
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.redirect_defaults = redirect_defaults
        # (a built query string's parameters sorted, by sort_key)
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key
        self.host_matching = host_matching
        self.default_subdomain = default_subdomain
        self._reset()
        for rule in rules or ():
            self.add(rule)

    def _reset(self) -> None:
        """No rule yet: an empty matcher and builder."""
        self._rules = []
        self._by_endpoint: dict[Any, list[Rule]] = {}
        #: Each endpoint's fast builder, as _builder() made it.
        self._builders: dict[Any, _Builder] = {}
        # The first state: a domain (host or subdomain) leads to the state
        # before the path's first segment.
        self._top = _Node(-1)
        domain = "" if self.host_matching else self.default_subdomain
        self._root = self._top.static[domain] = _Node(0)
        # The static paths of the default domain (its rules without variables)
        # and the states reached through static segments only, by their path
        # ("/user" for "/user/<int:id>"'s last segment; "" for the root), as
        # _Head entries; only while no rule is on another domain (the
        # search's first choice).
        self._static: dict[str, _Node] = {}
        self._heads: dict[str, _Head] = {}
        self._one("", self._root)
        # (the drivers look a static rule up in it as match() does first: not
        # for a class or a map with its own match(), which they call)
        self._fast: dict[str, _Node] | None = (
            None
            if self.host_matching
            # (PERF: not "match" in self.__dict__, which made every read of
            # the map's attributes slower: hello 19,873 -> 20,224 instructions)
            or getattr(self.match, "__func__", None) is not Map.match
            else self._static
        )

    def _domain_changed(self) -> None:
        """``host_matching`` or ``default_subdomain`` was set. As werkzeug's
        rules, those already added keep the domain they were compiled with
        (set before the request's is matched against it): the static paths
        are the search's first choice no more."""
        if not self._rules:
            self._reset()  # (nothing compiled yet: the new domain's matcher)
            return
        if self.host_matching or self._root is not self._top.static.get(
            self.default_subdomain
        ):
            self._fast = None
        if not self.host_matching:
            for rule in self._rules:
                r: Any = rule
                if not r._domain and rule.subdomain != self.default_subdomain:
                    # (built on the subdomain it was added on, no more
                    # the default one)
                    r._domain = [rule.subdomain]

    def _recompile(self) -> None:
        """Compile every rule again, in the same order: ``rule.refresh()``
        after a rule was changed in place."""
        rules: list[Any] = self._rules
        self._reset()
        for rule in rules:
            if not rule._domain and rule.subdomain == self.default_subdomain:
                rule.subdomain = None  # (the default one, as when it came)
            rule.map = None
            rule._converters = {}  # (its arguments kept, as werkzeug's)
            self._add_rule(rule)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _BUILDS_DIFFERENTLY and hasattr(self, "_builders"):
            self._builders.clear()  # (decided again, by the map as it is now)
        # A match() set on the map itself (mock.patch.object) is called by the
        # drivers too: they stop looking static rules up themselves.
        if name == "match":
            object.__setattr__(self, "_fast", None)
        elif name in ("host_matching", "default_subdomain"):
            object.__setattr__(self, name, value)
            if hasattr(self, "_root"):  # (not while __init__ sets them)
                self._domain_changed()
            return
        elif name == "redirect_defaults":
            object.__setattr__(self, name, value)
            if hasattr(self, "_by_endpoint"):  # (not while __init__ sets it)
                for rules in self._by_endpoint.values():
                    self._plan(rules)
            return
        elif name == "sort_parameters":
            # PERF: a map that sorts builds through _build_sorted; the others
            # pay nothing (a check in _build cost url_for with a query 214
            # instructions, measured)
            if value:
                object.__setattr__(self, "build", self._build_sorted)
            elif self.build == self._build_sorted:
                # (PERF: not __dict__, which made every request's reads of
                # the map's attributes slower: hello +500 instructions)
                object.__delattr__(self, "build")
        object.__setattr__(self, name, value)

    @property  # werkzeug's is a plain attribute, of its own Rule type
    def _rules_by_endpoint(self) -> dict[Any, list[Rule]]:  # type: ignore[override]
        """werkzeug's name for the rules of each endpoint."""
        return self._by_endpoint

    def update(self) -> None:
        """Nothing to do: kolba compiles each rule as it is added."""

    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: Mapping[str, Any] | str | None = None,
    ) -> MapAdapter:
        """An adapter for one host, as werkzeug's, matching with kolba's trie."""
        return MapAdapter._of(
            super().bind(
                server_name,
                script_name,
                subdomain,
                url_scheme,
                default_method,
                path_info,
                query_args,
            )
        )

    def bind_to_environ(
        self,
        environ: Any,
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        """An adapter for the request that ``environ`` describes."""
        return MapAdapter._of(super().bind_to_environ(environ, server_name, subdomain))

    def __iter__(self) -> Iterator[_wz.Rule]:
        return iter(self._rules)

    def iter_rules(self, endpoint: Any = None) -> Iterator[Rule]:
        """All rules, or those of one endpoint, in werkzeug's order: endpoints
        as first registered, each endpoint's rules in the order they build."""
        if endpoint is None:
            return (r for rules in self._by_endpoint.values() for r in rules)
        return iter(list(self._by_endpoint[endpoint]))  # (KeyError: werkzeug's)

    def is_endpoint_expecting(self, endpoint: Any, *arguments: str) -> bool:
        """Whether a rule of ``endpoint`` takes all of ``arguments`` (for
        ``url_defaults`` functions that add a value only where it fits); an
        unknown endpoint is a KeyError, as werkzeug's."""
        wanted = set(arguments)
        return any(wanted <= r.arguments for r in self._by_endpoint[endpoint])

    def add(self, rulefactory: _wz.RuleFactory) -> None:
        """Compile a rule, or every rule a werkzeug rule factory (``Submount``,
        ``Subdomain``, ``EndpointPrefix``, ``RuleTemplate``) makes, and make
        it matchable and buildable."""
        for rule in rulefactory.get_rules(self):
            self._add_rule(rule)

    def _add_rule(self, rule: _wz.Rule) -> None:
        if rule.map is not None:
            raise ValueError(f"URL rule {rule.rule!r} is already in a map")
        if rule.strict_slashes is None:
            rule.strict_slashes = self.strict_slashes
        if rule.merge_slashes is None:
            rule.merge_slashes = self.merge_slashes
        if rule.defaults is not None and not isinstance(rule.defaults, dict):
            rule.defaults = dict(rule.defaults)
        string = rule.rule
        if rule.merge_slashes:
            string = _MANY_SLASHES.sub("/", string)
        r: Any = rule  # kolba's compiled form lives on werkzeug's object
        r._path = _parse(rule, string, self)
        r._url = [
            quote(t, safe=_PATH_SAFE) if isinstance(t, str) else t for t in r._path
        ]
        first = r._url[0]  # (a rule starts with a slash)
        r._lead = first[:2] == "//" or (first == "/" and len(r._url) > 1)
        if self.host_matching:
            domain = rule.host or ""
        else:
            domain = (
                self.default_subdomain if rule.subdomain is None else rule.subdomain
            )
        r._domain = []
        if domain and (self.host_matching or rule.subdomain is not None):
            r._domain = _parse(rule, domain, self)
        elif not self.host_matching and domain != self.default_subdomain:
            r._domain = [""]  # (built on the main domain, not the default one)
        if rule.subdomain is None:  # (werkzeug's, whether it matches or not)
            rule.subdomain = self.default_subdomain
        # werkzeug's: equality and repr (the default subdomain included)
        r._trace = _trace(r._domain or ([domain] if domain else []), r._path)
        if not isinstance(rule, Rule):  # (kolba's Rule has its own ones)
            r._build = partial(_rule_build, r, False)
            r._build_unknown = partial(_rule_build, r, True)
            r.refresh = self._recompile
        r._plain = True
        r._reads_request = False
        r._default_redirects = ()
        r._view_call = _NO_VIEW_CALL
        if not hasattr(r, "provide_automatic_options"):  # not from add_url_rule
            r.provide_automatic_options = False
        variables = [t for t in (*r._domain, *r._path) if isinstance(t, _Var)]
        for t in variables:
            if rule.defaults and t.name in rule.defaults:
                # (werkzeug's: a default its converter refuses, as to_url()'s
                # error, when the rule is added)
                t.conv.to_url(rule.defaults[t.name])
        r._vars = tuple((t.name, _to_python(t.conv)) for t in variables)
        rule.map = self
        self._rules.append(r)
        if not rule.build_only:
            self._insert(r, domain)
        self._index_endpoint(r)

    def _insert(self, rule: Rule, domain: str) -> None:
        """Add the states of ``rule``'s parts (its domain, then each segment
        of its path, or the rest of the path from a variable that takes
        slashes) and the rule to the last."""
        if any(isinstance(t, _Var) for t in rule._domain):
            node = self._top.dynamic_child([rule._domain], _SEGMENT)
        else:
            node = self._top.static.setdefault(domain, _Node(0))
        head: str | None = ""  # (None past a variable, or on another domain)
        if node is not self._root:
            self._fast = head = None
        # (the head whose state's parts with variables the rule changes: its
        # entry made again once the rule is in, which may be its GET rule)
        changed: tuple[str, _Node] | None = None
        segments = _split(rule._path)
        for i, seg in enumerate(segments):
            parent = node
            if not all(_isolated(t) for t in seg):
                rest = segments[i:]
                if rest[-1]:
                    node = node.dynamic_child(rest, _REST)
                else:  # (the rule's "/" becomes its own part, as werkzeug's)
                    node = node.dynamic_child(rest[:-1], _REST_SLASH)
                    node = node.static.setdefault("", _Node(node.depth))
                if head is not None:
                    changed = (head, parent)
                head = None
                break
            if all(isinstance(t, str) for t in seg):
                static = "".join(seg)  # type: ignore[arg-type]
                first = not node.static
                node = node.static.setdefault(static, _Node(node.depth + 1))
                if head is not None:
                    if first:  # (its entry's static parts: see _one)
                        self._one(head, parent)
                    head = f"{head}/{static}"
                    if head not in self._heads:
                        self._one(head, node)
            else:
                kind = _ONE if len(seg) == 1 else _SEGMENT
                node = node.dynamic_child([seg], kind)
                if head is not None:
                    changed = (head, parent)
                head = None
        node.add_rule(rule)
        if changed is not None:
            self._one(*changed)
        if head is not None and all(isinstance(t, str) for t in rule._path):
            path: str = "".join(rule._path)  # type: ignore[arg-type]
            # (only a path that a Request's path is as the server gave it: a
            # driver that finds one needs no check of it; any other is matched
            # by the search, which finds the same rule)
            if path.isascii() and not path.startswith("//"):
                self._static[path] = node

    def _one(self, head: str, node: _Node) -> None:
        """Make the entry of ``head``, the path of the static segments that
        lead to ``node``, as its state is now."""
        # (PERF: None for no static parts, not the empty dict, whose truth
        # costs a call: a match of /user/42 5,730 -> 5,689 instructions)
        static = node.static or None
        entry: _Head = (node, _NEVER, static, node, None, "", str)
        if node.dynamic:
            test, kind, _, last = node.dynamic[0]
            if kind == _ONE:
                rule = last.first.get("GET", last.any)
                name, to_python = ("", str) if rule is None else rule._vars[0]
                entry = (node, test, static, last, rule, name, to_python)
        self._heads[head] = entry

    def _index_endpoint(self, rule: Rule) -> None:
        self._builders.pop(rule.endpoint, None)
        rules = self._by_endpoint.setdefault(rule.endpoint, [])
        rules.append(rule)
        rules.sort(key=lambda r: (r.alias, -len(r.arguments), -len(r.defaults or ())))
        self._plan(rules)

    def _plan(self, rules: list[Rule]) -> None:
        """Which redirects the rules of one endpoint consider when they match
        (``redirect_defaults`` is read when they do, as werkzeug's)."""
        for i, r in enumerate(rules):
            r._default_redirects = (
                tuple(x for x in rules[:i] if _provides_defaults_for(x, r))
                if self.redirect_defaults
                else ()
            )
            r._plain = (
                r.redirect_to is None
                and not r._default_redirects
                and not (r.alias and self.redirect_defaults)
            )

    # -- matching -----------------------------------------------------------

    def match(
        self,
        path: str,
        method: str = "GET",
        host: str = "",
        subdomain: str | None = None,
        websocket: bool = False,
    ) -> tuple[Rule, dict[str, Any]]:
        """The rule for a decoded ``path`` and its arguments, as werkzeug's
        matcher finds it (``websocket``: for a WebSocket request, whose rules
        are those made with ``websocket=True``).

        Raises NotFound, MethodNotAllowed, RequestRedirect (trailing slash,
        merged slashes, ``redirect_to``, or a URL that has a canonical form),
        or WebsocketMismatch (a WebSocket request that only HTTP rules take).
        A plain HTTP request that only WebSocket rules take gets that rule
        (the driver answers 426, saying why). The drivers repeat its first
        step, the static lookup (Flask.__call__, asgi.handle).
        """
        rule: Rule | None
        if websocket:
            return self._match(path, method, host, subdomain, True)
        static = self._fast
        if static is not None and (
            subdomain is None or subdomain == self.default_subdomain
        ):
            # The search's first choice, found faster; anything else (no rule
            # for the method, a redirect, a part of several variables or of
            # the rest of the path, a converter's refusal) takes _match.
            node = static.get(path)
            if node is None:
                return self._match_segments(path, method, host, subdomain)
            # PERF: the rule that the search would take first, looked up
            # (~250 of 2,900 instructions on "/", as on "/user/42")
            rule = node.first.get(method, node.any)
            if rule is not None and rule._plain:
                return rule, dict(rule.defaults) if rule.defaults else {}
        return self._match(path, method, host, subdomain)

    def _match_segments(
        self, path: str, method: str, host: str, subdomain: str | None
    ) -> tuple[Rule, dict[str, Any]]:
        """``match()`` on the default domain of a path that is no static
        rule's (``_fast`` has none: the drivers look it up themselves)."""
        rule: Rule | None
        # PERF: a path whose segments but the last are static finds
        # the node of its last segment by one lookup, as the search
        # below would (static first, then the first part that takes
        # it), and its arguments' dict made at once: /user/42
        # 29,525 -> 28,149 instructions a request.
        # PERF: one lookup gives the state of the head and what its last
        # segment needs (_heads holds both since 2 lookups were one): a match
        # of /user/42 6,116 -> 5,723 instructions, /t/<a>/<int:b> 17,585 ->
        # 17,203, /p/<path:p> 19,717 -> 19,392; a WSGI request of /user/42
        # 26,955 -> 26,551
        head, sep, tail = path.rpartition("/")
        entry = self._heads.get(head)
        # (a head is "" or starts with "/": with a "/", so does the path.
        # PERF: no path[:1] here: /user/42 27,837 -> 27,294 instructions)
        if entry is not None and sep:
            # PERF: a last segment that the first part with variables of its
            # state takes whole (/user/<int:id>), from one entry: no loop,
            # no lookup of a segment in no static parts (a match 6,954 ->
            # 6,127 instructions; a WSGI request of /user/42 27,761 ->
            # 26,959, ASGI 33,833 -> 33,004)
            node, test, static, last, rule, name, to_python = entry
            # (a static segment first, as the search: see below)
            if static is None or tail not in static:
                if test(tail):
                    # (PERF: the rule for GET and its variable are the
                    # entry's, no lookup by method: a WSGI request of /user/42
                    # 28,563 -> 28,009 instructions)
                    if method != "GET":
                        rule = last.first.get(method, last.any)
                        if rule is not None:
                            name, to_python = rule._vars[0]
                    if rule is not None and rule._plain:
                        try:
                            args = {name: to_python(tail)}
                        except ValueError:
                            # (a 404 or 405: the search tells which, the
                            # value not converted again)
                            return self._match(
                                path, method, host, subdomain, refused=rule
                            )
                        if rule.defaults:  # they win over the path
                            args.update(rule.defaults)
                        return rule, args
                    # (no rule for the method, or a redirect: the search, as
                    # the walk below would end)
                    return self._match(path, method, host, subdomain)
                # (PERF: the state's other parts tried by another method,
                # this one's frame and jumps kept small: /user/42 +40
                # instructions a match otherwise)
                return self._match_others(
                    path, method, host, subdomain, node, test, tail
                )
        if path[:1] == "/":
            # PERF: the search's first choice at every segment, in
            # this frame (~0.3 µs on /user/42); _walk knows every way
            # around (backtracking, slashes, a redirect).
            node = self._root
            raw: list[str] = []
            parts = path[1:].split("/")
            for part in parts:
                # (PERF: no lookup in no static parts: a match of
                # /t/<a>/<int:b> 15,188 -> 14,828 instructions)
                child = node.static.get(part) if node.static else None
                if child is None:
                    for test, kind, names, child in node.dynamic:
                        # (PERF: _ONE is 0, no global read: a match of
                        # /t/<a>/<int:b> 13,407 -> 13,012 instructions)
                        if not kind:
                            if test(part):
                                raw.append(part)
                                break
                            continue
                        if kind == _SEGMENT:
                            m = test(part)
                            if m:
                                raw.extend(map(m.__getitem__, names))
                                break
                            continue
                        # PERF: the rest of the path, taken whole,
                        # its last part: /static/css/f.bin 205,994
                        # -> 194,826 instructions a request
                        # (PERF: cut from the path, not joined again:
                        # a match of /p/<path:p> 17,267 -> 17,073)
                        m = test(path.split("/", node.depth + 1)[-1])
                        if m:
                            if kind == _REST_SLASH and m[_SLASH_GROUP]:
                                child = child.static[""]
                            rule = child.first.get(method, child.any)
                            if rule is not None and rule._plain:
                                raw.extend(map(m.__getitem__, names))
                                # (PERF: _arguments' work in this frame, as
                                # below: /p/<path:p> 19,392 -> 17,325)
                                args = {}
                                i = 0
                                try:
                                    for name, to_python in rule._vars:
                                        args[name] = to_python(raw[i])
                                        i += 1
                                except ValueError:
                                    # (a 404 or 405: see above)
                                    return self._match(
                                        path, method, host, subdomain, refused=rule
                                    )
                                if rule.defaults:  # they win over the path
                                    args.update(rule.defaults)
                                return rule, args
                            return self._match(path, method, host, subdomain)
                    else:
                        # no part takes it: the search below, which tries
                        # this state's parts no more (see above)
                        return self._match(path, method, host, subdomain, dead=node)
                node = child
            else:
                rule = node.first.get(method, node.any)
                if rule is not None and rule._plain:
                    # (PERF: _arguments' work in this frame, no call: a
                    # match of /t/<a>/<int:b> 17,203 -> 15,188 instructions)
                    args = {}
                    i = 0
                    try:
                        for name, to_python in rule._vars:
                            args[name] = to_python(raw[i])
                            i += 1
                    except ValueError:
                        # (a 404 or 405: see above)
                        return self._match(path, method, host, subdomain, refused=rule)
                    if rule.defaults:  # they win over the path
                        args.update(rule.defaults)
                    return rule, args
        return self._match(path, method, host, subdomain)

    def _match_others(
        self,
        path: str,
        method: str,
        host: str,
        subdomain: str | None,
        node: _Node,
        test: _Match,
        tail: str,
    ) -> tuple[Rule, dict[str, Any]]:
        """_match_segments' search for the last segment of ``path``, ``tail``,
        whose static head leads to ``node``: among the parts with variables of
        ``node`` but the one whose ``test`` refused it, each tried once (the
        walk of _match_segments would take the same static segments to
        ``node`` and try the same parts; the search skips them: a regex that
        fails on a long segment may be dear)."""
        rule: Rule | None
        for other, kind, names, last in node.dynamic:
            if other is test:
                continue  # (failed above)
            if m := other(tail):
                # (none for the rest of the path with a slash: its
                # rules are a state further)
                rule = last.first.get(method, last.any)
                if rule is None or not rule._plain:
                    return self._match(path, method, host, subdomain)
                try:
                    # PERF: if kind, not if kind != _ONE (a global):
                    # /user/42 -100 instructions
                    if not kind:
                        name, to_python = rule._vars[0]
                        args = {name: to_python(tail)}
                    else:
                        # PERF: the rest of the path (the tail here,
                        # as /static/<path:filename>'s) or a segment of
                        # variables and text, in this frame: a static
                        # file 207,528 -> 181,642 instructions a
                        # request (the rule's variables are the
                        # segment's: those before it are static)
                        args = {}
                        i = 0
                        for name, to_python in rule._vars:
                            args[name] = to_python(m[names[i]])
                            i += 1
                except ValueError:
                    return self._match(path, method, host, subdomain, refused=rule)
                if rule.defaults:  # they win over the path
                    args.update(rule.defaults)
                return rule, args
        # (no part takes it)
        return self._match(path, method, host, subdomain, dead=node)

    def _match(
        self,
        path: str,
        method: str,
        host: str,
        subdomain: str | None,
        websocket: bool = False,
        upgrade: bool = True,
        *,
        dead: _Node | None = None,
        refused: Rule | None = None,
    ) -> tuple[Rule, dict[str, Any]]:
        """The full search, then the redirects: werkzeug's answer (but
        with ``upgrade``, a plain request that only WebSocket rules take
        gets one of them). From _match_segments, which tried the search's
        first way: ``dead``, a state none of whose parts with variables takes
        what the path has there; ``refused``, the rule found first, whose
        converters refused the path's values (each is not tried again)."""
        if path and path[0] != "/":
            path = "/" + path
        allowed = _Seen(websocket)
        if dead is not None:
            allowed.dead = dead
        found = self._search(path, method, host, subdomain, allowed)
        if found is None:
            merged = _MANY_SLASHES.sub("/", path) if self.merge_slashes else path
            # (the same path again would find nothing again)
            if merged != path:
                allowed.dead = None  # (another path)
                again = self._search(merged, method, host, subdomain, allowed)
                if again is not None and again[0].merge_slashes:
                    raise RequestRedirect(quote(merged, safe=_PATH_SAFE))
            if allowed:
                raise MethodNotAllowed(valid_methods=sorted(allowed))
            if allowed.mismatch:
                if websocket or not upgrade:
                    raise WebsocketMismatch()
                # werkzeug: a 400; kolba: the WebSocket rule, whose view
                # answers plain HTTP with a 426 that says what to do
                return self._match(path, method, host, subdomain, True)
            raise NotFound()
        rule, raw = found
        try:
            if rule is refused:  # (the same values: converted once)
                raise ValueError
            args = _arguments(rule, raw)
        except ValueError:
            # The rule that matched refused its values: werkzeug's matcher
            # stops there (a ValidationError); kolba also for any ValueError,
            # which werkzeug lets through (a 500), as a custom converter's.
            if allowed:
                raise MethodNotAllowed(valid_methods=sorted(allowed)) from None
            if allowed.mismatch and (websocket or not upgrade):
                raise WebsocketMismatch() from None
            raise NotFound() from None
        if not rule._plain:
            self._redirect(rule, args, method, host, path)
        return rule, args

    def _search(
        self,
        path: str,
        method: str,
        host: str,
        subdomain: str | None,
        allowed: _Seen,
    ) -> tuple[Rule, list[str]] | None:
        """The first rule for the domain and path, and its values as text.

        Raises RequestRedirect when the path matches only with a trailing
        slash added."""
        if self.host_matching:
            domain = host.lower()
        else:  # no subdomain given: the default one's rules, as werkzeug's bind()
            domain = self.default_subdomain if subdomain is None else subdomain
        # (an empty path has no segment: the rules of "/" redirect to it)
        parts = [domain, *path[1:].split("/")] if path else [domain]
        raw: list[str] = []
        try:
            rule = _walk(self._top, parts, 0, method, raw, allowed)
        except _SlashRequired:
            raise RequestRedirect(quote(path + "/", safe=_PATH_SAFE)) from None
        return None if rule is None else (rule, raw)

    def _redirect(
        self, rule: Rule, args: dict[str, Any], method: str, host: str, path: str
    ) -> None:
        """Raise the redirect a matched rule asks for, if any (``path``: the
        request's)."""
        if rule.alias and self.redirect_defaults:
            # an alias redirects to the endpoint's URL for the same values, as
            # werkzeug's (unless that is the request's: no endless redirect)
            try:
                canonical, domain, url, _ = (
                    self._build_on_host(rule.endpoint, args, method, host)
                    if self.host_matching  # (as werkzeug's adapter bound to it)
                    else self.build(rule.endpoint, args, method)
                )
            except (BuildError, ValueError):  # (Flask: a 500, as to_url's error)
                canonical, url = rule, path
            if canonical is not rule or unquote(url) != path:
                raise _AliasRedirect(url, canonical.websocket, domain)
        for other in rule._default_redirects:  # (before redirect_to, as werkzeug)
            if other.suitable_for(args, method):
                built = _build(other, args)
                if built is not None:
                    raise _DefaultsRedirect(built[1], built[0])
        target = rule.redirect_to
        if isinstance(target, str):
            raise _RedirectTo(_fill(rule, target, args))
        if target is not None:
            redirect = _RedirectTo("")
            redirect.call = (target, args)
            raise redirect

    # -- building -----------------------------------------------------------

    def build(
        self,
        endpoint: str,
        values: Mapping[str, Any],
        method: str | None = None,
        default_method: str = "GET",
    ) -> tuple[Rule, str | None, str, str]:
        """(rule, domain, path, query) for ``endpoint`` filled with ``values``.

        Values the rule does not use go to the query string; None values are
        dropped. With no ``method``, a rule for ``default_method`` first (the
        URL adapter's), then any. Raises BuildError when no rule fits.
        """
        rules = self._by_endpoint.get(endpoint)
        if not rules:
            close = difflib.get_close_matches(
                str(endpoint), [str(e) for e in self._by_endpoint], n=1
            )
            raise BuildError(
                endpoint, values, method, suggestion=close[0] if close else None
            )
        values = {k: v for k, v in values.items() if v is not None}
        # PERF: one rule is built by one pass (the default method's pass
        # finds no other; a POST's url_for of a GET rule: 30,650 -> 29,740
        # instructions)
        passes = (
            (method,)
            if method is not None or len(rules) == 1
            else (default_method, None)
        )
        for wanted in passes:
            for rule in rules:
                if rule.suitable_for(values, wanted):
                    built = _build(rule, values)
                    if built is not None:
                        if rule._lead:
                            return rule, built[0], _one_slash(built[1]), built[2]
                        # PERF: only a rule that may build "//" looks (two
                        # builds 51,138 -> 50,149 instructions)
                        return rule, *built
        fitting = [
            rule
            for rule in rules
            if method is None or rule.methods is None or method in rule.methods
        ]
        if not fitting:  # (each rule has methods, none of them this one)
            taken = set().union(*(rule.methods or () for rule in rules))
            raise BuildError(endpoint, values, method, allowed_methods=taken)
        given = set(values)
        missing = set().union(
            *(rule.arguments - given - set(rule.defaults or ()) for rule in fitting)
        )
        raise BuildError(endpoint, values, method, missing=missing)

    def _builder(self, endpoint: Any) -> _Builder:
        """The fast builder of ``endpoint`` (see _fast_builder), decided once
        for the map as it is: for an endpoint of one rule, when the map
        builds as Map.build does (no ``build`` of its own, no sorted query
        string, no host matching); none for a relative name (".name")."""
        rules = self._by_endpoint.get(endpoint)
        if not rules or (isinstance(endpoint, str) and endpoint[:1] == "."):
            # (not kept: any name may be asked for; a relative one is the
            # current blueprint's, in a request, as the caller sees first)
            return _no_builder
        builder: _Builder = _no_builder
        if (
            len(rules) == 1
            and not self.host_matching
            # (not vars(self), which would make reads of the map's
            # attributes slower: see _reset)
            and getattr(self.build, "__func__", None) is Map.build
        ):
            builder = _fast_builder(rules[0])
        self._builders[endpoint] = builder
        return builder

    def _build_sorted(
        self,
        endpoint: str,
        values: Mapping[str, Any],
        method: str | None = None,
        default_method: str = "GET",
    ) -> tuple[Rule, str | None, str, str]:
        """``build()`` with the query string's parameters sorted."""
        rule, domain, path, query = type(self).build(
            self, endpoint, values, method, default_method
        )
        if query:
            query = _sorted_query(rule, values)
        return rule, domain, path, query

    def _build_on_host(
        self,
        endpoint: str,
        values: Mapping[str, Any],
        method: str | None,
        host: str,
        default_method: str = "GET",
    ) -> tuple[Rule, str | None, str, str]:
        """``build()``, with host matching: a rule on ``host`` before the
        first that fits, as werkzeug's URL adapter bound to ``host`` builds."""
        found = self.build(endpoint, values, method, default_method)
        if found[1] != host:
            values = {k: v for k, v in values.items() if v is not None}
            if method is None and found[0].suitable_for(values, default_method):
                method = default_method  # (the methods that found it, as build())
            for rule in self._by_endpoint[endpoint]:
                if rule.suitable_for(values, method):
                    built = _build(rule, values)
                    if built is not None and built[0] == host:
                        query = built[2]
                        if query and self.sort_parameters:
                            query = _sorted_query(rule, values)
                        return rule, host, _one_slash(built[1]), query
        return found


class MapAdapter(_wz.MapAdapter):
    """werkzeug's ``MapAdapter`` (what ``url_map.bind()`` gives), with
    ``match()`` and ``build()`` answered by kolba's :class:`Map`."""

    map: Map

    @classmethod
    def _of(cls, adapter: _wz.MapAdapter) -> MapAdapter:
        return cls(
            adapter.map,
            adapter.server_name,
            adapter.script_name,
            adapter.subdomain,
            adapter.url_scheme,
            adapter.path_info,
            adapter.default_method,
            adapter.query_args,
        )

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: Mapping[str, Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """(endpoint or rule, arguments) for a path; raises NotFound,
        MethodNotAllowed or RequestRedirect (with a full URL) as werkzeug."""
        path = self.path_info if path_info is None else path_info
        if path:  # (leading slashes merged, as werkzeug's adapter)
            path = "/" + path.lstrip("/")
        method = (method or self.default_method).upper()
        host = self.server_name if self.map.host_matching else ""
        if websocket is None:
            websocket = self.websocket
        try:
            # (not the map's match(): werkzeug's adapter answers a plain
            # request that only WebSocket rules take with WebsocketMismatch)
            rule, args = self.map._match(
                path, method, host, self.subdomain, websocket, upgrade=False
            )
        except _RedirectTo as e:
            netloc = self.server_name
            if self.subdomain:
                netloc = f"{self.subdomain}.{netloc}"
            base = f"{self.url_scheme or 'http'}://{netloc}{self.script_name}"
            raise RequestRedirect(urljoin(base, e.target(self))) from None
        except _AliasRedirect as e:
            # (werkzeug's: the endpoint's URL built external, the request's
            # query string added)
            secure = self.url_scheme in ("https", "wss")
            if e.websocket:
                scheme = "wss" if secure else "ws"
            else:
                scheme = "https" if secure else "http"
            host = self.get_host(self._domain(e.domain))
            url = f"{scheme}://{host}{self.script_name[:-1]}{e.new_url}"
            if query_args is None:
                query_args = self.query_args
            if query_args:
                url += f"?{self.encode_query_args(query_args)}"
            raise RequestRedirect(url) from None
        except RequestRedirect as e:
            if "://" in e.new_url:
                raise
            domain = None
            if isinstance(e, _DefaultsRedirect):
                domain = self._domain(e.domain)
            url = self.make_redirect_url(e.new_url.lstrip("/"), query_args, domain)
            raise RequestRedirect(url) from None
        return (rule if return_rule else rule.endpoint), args

    def _domain(self, domain: str | None) -> str:
        """A built domain; None: the map's default one."""
        if domain is None:
            return "" if self.map.host_matching else self.map.default_subdomain
        return domain

    def build(
        self,
        endpoint: Any,
        values: Mapping[str, Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        """The URL of ``endpoint``, as werkzeug's adapter builds it: a path
        under ``script_name``, or a full URL when external, for a WebSocket
        rule, or on another host or subdomain than the adapter's."""
        if isinstance(values, MultiDict):  # (a key's one value, or its list)
            values = {k: v if len(v) > 1 else v[0] for k, v in values.lists() if v}
        if self.map.host_matching:
            built = self.map._build_on_host(
                endpoint, values or {}, method, self.server_name, self.default_method
            )
        else:
            built = self.map.build(endpoint, values or {}, method, self.default_method)
        rule, domain, path, query = built
        if domain is None and not self.map.host_matching:
            domain = rule.subdomain or ""  # (the default one)
        host = self.get_host(domain)
        scheme = url_scheme or self.url_scheme
        secure = scheme in ("https", "wss")
        if rule.websocket:
            force_external = True
            scheme = "wss" if secure else "ws"
        elif scheme:
            scheme = "https" if secure else "http"
        if query and append_unknown:
            path += "?" + query
        if not force_external and (
            host == self.server_name
            if self.map.host_matching
            else domain == self.subdomain
        ):
            return self.script_name.rstrip("/") + path
        url = self.script_name[:-1] + path  # (werkzeug's: it ends with "/")
        return f"{scheme}://{host}{url}" if scheme else f"//{host}{url}"


_ANOTHER_SLASH = [""]  # (what is left after a trailing slash)


def _arguments(rule: Rule, raw: list[str]) -> dict[str, Any]:
    """The matched text of each variable through its converter, then the
    rule's defaults; a converter refuses with a ValueError (ValidationError
    is one)."""
    # PERF: a loop, not a dict comprehension (its own function's frame): a
    # match of /p/<path:p> 20,165 -> 19,100 instructions, /t/<a>/<int:b>
    # 18,130 -> 17,084; an index, not zip() (whose call is dear: the loop
    # ~4,100 -> ~2,700 on two variables)
    args: dict[str, Any] = {}
    i = 0
    for name, to_python in rule._vars:
        args[name] = to_python(raw[i])
        i += 1
    if rule.defaults:  # they win over the path, as in werkzeug
        args.update(rule.defaults)
    return args


def _walk(
    node: _Node,
    parts: list[str],
    i: int,
    method: str,
    raw: list[str],
    allowed: _Seen,
) -> Rule | None:
    """Depth-first search from ``node`` for ``parts[i:]``, in werkzeug's
    order: a static part first, then the dynamic ones by weight, the rest of
    the path taken whole by a variable that takes slashes. Appends each
    variable's text to ``raw``; the methods of rules that refused ``method``
    go to ``allowed``; a rule of the other kind (WebSocket or not) sets
    ``allowed.mismatch``."""
    rule: Rule | None
    if i == len(parts):
        for rule in node.rules:
            if rule.methods is None or method in rule.methods:
                if rule.websocket == allowed.websocket:
                    return rule
                allowed.mismatch = True
            else:
                allowed.update(rule.methods)
        slashed = node.static.get("")
        if slashed is not None:
            for rule in slashed.rules:
                if rule.websocket == allowed.websocket and (
                    rule.methods is None or method in rule.methods
                ):
                    if rule.strict_slashes:
                        raise _SlashRequired()
                    return rule
        return None
    part = parts[i]
    child = node.static.get(part)
    if child is not None:
        rule = _walk(child, parts, i + 1, method, raw, allowed)
        if rule is not None:
            return rule
    mark = len(raw)
    # (a dead state's parts were tried on this path: see Map._match)
    for match, kind, names, child in () if node is allowed.dead else node.dynamic:
        if kind <= _SEGMENT:
            m = match(part)
            if not m:
                continue
            if kind == _ONE:
                raw.append(part)
            else:
                raw.extend(map(m.__getitem__, names))
            rule = _walk(child, parts, i + 1, method, raw, allowed)
        else:
            m = match("/".join(parts[i:]))
            if m is None:
                continue
            raw.extend(map(m.__getitem__, names))
            if kind == _REST_SLASH and m[_SLASH_GROUP]:
                rule = _walk(child, _ANOTHER_SLASH, 0, method, raw, allowed)
            else:
                rule = _walk(child, parts, len(parts), method, raw, allowed)
        if rule is not None:
            return rule
        del raw[mark:]
    if part == "" and i == len(parts) - 1:
        # a trailing slash that no rule has: the rules ending here that
        # do not insist on their slashes
        for rule in node.rules:
            if not rule.strict_slashes:
                if rule.methods is None or method in rule.methods:
                    if rule.websocket == allowed.websocket:
                        return rule
                    allowed.mismatch = True
                else:
                    allowed.update(rule.methods)
    return None
