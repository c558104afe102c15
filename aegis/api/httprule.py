"""Path templates of `google.api.http` rules: parsed once at startup, matched per request.

A real grammar instead of ad-hoc regexes, so a malformed template in a .proto fails the server at
startup with the position of the mistake rather than silently never matching. The grammar is
grpc-gateway's (internal/httprule/parse.go), itself taken from google/api/http.proto:

    Template  = "/" Segments [ Verb ] ;
    Segments  = Segment { "/" Segment } ;
    Segment   = "*" | "**" | LITERAL | Variable ;
    Variable  = "{" FieldPath [ "=" Segments ] "}" ;
    FieldPath = IDENT { "." IDENT } ;
    Verb      = ":" LITERAL ;

Example:

    >>> parse_template("/v1/{name=shelves/*/books/*}:publish").match("/v1/shelves/1/books/2:publish")
    {'name': 'shelves/1/books/2'}

Matching takes the raw (still percent-encoded) request path, so an encoded "/" (%2F) inside a
variable never splits a segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import unquote

__all__ = [
    "DeepWildcard",
    "Literal",
    "PathTemplate",
    "Segment",
    "TemplateError",
    "Variable",
    "Wildcard",
    "parse_template",
]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# RFC 3986 pchar: unreserved / pct-encoded / sub-delims / ":" / "@".
_PCHARS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+")
_ENCODED_SLASH = re.compile(r"%2[Ff]")


class TemplateError(ValueError):
    """A path template that does not follow the grammar; the message says where and why."""

    def __init__(self, template: str, reason: str) -> None:
        super().__init__(f"invalid path template {template!r}: {reason}")
        self.template = template
        self.reason = reason


@dataclass(frozen=True)
class Literal:
    """A fixed segment; `text` is percent-decoded, as request segments are before comparing."""

    text: str


@dataclass(frozen=True)
class Wildcard:
    """`*`: exactly one non-empty segment."""


@dataclass(frozen=True)
class DeepWildcard:
    """`**`: zero or more segments."""


@dataclass(frozen=True)
class Variable:
    """`{field.path=segments}`: captures what `segments` match (`*` when omitted)."""

    field_path: str
    segments: tuple[Literal | Wildcard | DeepWildcard, ...]

    @property
    def is_single_segment(self) -> bool:
        """Single-segment values are fully percent-decoded; longer ones keep %2F (http.proto)."""
        return len(self.segments) == 1 and not isinstance(self.segments[0], DeepWildcard)


Segment = Literal | Wildcard | DeepWildcard | Variable


@dataclass(frozen=True)
class _Slot:
    """One path segment position after flattening variables: what matches, who captures it."""

    matcher: Literal | Wildcard | DeepWildcard
    variable: int | None


@dataclass(frozen=True)
class PathTemplate:
    """A parsed template; `match` returns the captured variables or None."""

    source: str
    segments: tuple[Segment, ...]
    verb: str | None
    _slots: tuple[_Slot, ...] = field(init=False, repr=False, compare=False)
    _variables: tuple[Variable, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        slots: list[_Slot] = []
        variables: list[Variable] = []
        for segment in self.segments:
            if isinstance(segment, Variable):
                slots.extend(_Slot(inner, len(variables)) for inner in segment.segments)
                variables.append(segment)
            else:
                slots.append(_Slot(segment, None))
        object.__setattr__(self, "_slots", tuple(slots))
        object.__setattr__(self, "_variables", tuple(variables))

    def __str__(self) -> str:
        return self.source

    @property
    def variables(self) -> tuple[Variable, ...]:
        return self._variables

    @property
    def shape(self) -> str:
        """The template with variable names erased: two templates of one shape match the same paths."""
        parts = [_shape_of(slot.matcher) for slot in self._slots]
        return "/" + "/".join(parts) + (f":{self.verb}" if self.verb is not None else "")

    def match(self, raw_path: str) -> dict[str, str] | None:
        """Match a raw request path (percent-encoded, without the query string).

        Empty segments ("//", a trailing "/") never match: `*` and variables need a non-empty
        segment, so "/v1/slo/" is not "/v1/slo/{id}" with an empty id.
        """
        if not raw_path.startswith("/"):
            return None
        if self.verb is not None:
            suffix = ":" + self.verb
            if not raw_path.endswith(suffix):
                return None
            raw_path = raw_path[: -len(suffix)]
        components = [] if raw_path == "/" else raw_path[1:].split("/")
        if "" in components:
            return None
        assigned = self._assign(components)
        if assigned is None:
            return None
        captured: list[list[str]] = [[] for _ in self._variables]
        for slot, component in assigned:
            if isinstance(slot.matcher, Literal) and unquote(component) != slot.matcher.text:
                return None
            if slot.variable is not None:
                captured[slot.variable].append(component)
        return {
            variable.field_path: _decode_value(variable, parts)
            for variable, parts in zip(self._variables, captured, strict=True)
        }

    def _assign(self, components: list[str]) -> list[tuple[_Slot, str]] | None:
        """Pair each component with the slot it falls into; `**` takes whatever the others leave."""
        deep = next((i for i, s in enumerate(self._slots) if isinstance(s.matcher, DeepWildcard)), None)
        if deep is None:
            if len(components) != len(self._slots):
                return None
            return list(zip(self._slots, components, strict=True))
        tail = len(self._slots) - deep - 1
        spread = len(components) - deep - tail
        if spread < 0:
            return None
        slots = [*self._slots[:deep], *[self._slots[deep]] * spread, *self._slots[deep + 1 :]]
        return list(zip(slots, components, strict=True))


def _shape_of(matcher: Literal | Wildcard | DeepWildcard) -> str:
    if isinstance(matcher, Literal):
        return matcher.text
    return "**" if isinstance(matcher, DeepWildcard) else "*"


def _decode_value(variable: Variable, parts: list[str]) -> str:
    if variable.is_single_segment:
        return unquote(parts[0])
    return "/".join(unquote(_ENCODED_SLASH.sub("%252F", part)) for part in parts)


def parse_template(template: str) -> PathTemplate:
    """Parse a `google.api.http` path template; raises TemplateError naming the position of a fault."""
    body, verb = _split_verb(template)
    parser = _Parser(template, body)
    segments = parser.template()
    _check_semantics(template, segments)
    return PathTemplate(template, tuple(segments), verb)


def _split_verb(template: str) -> tuple[str, str | None]:
    """Split off ":verb" the way grpc-gateway's tokenizer does.

    LITERAL may itself contain ":", so the verb is the text after the LAST colon of the final
    literal, but after the FIRST colon when the template ends in a variable ("{name}:a:b" has
    the verb "a:b").
    """
    cut = max(template.rfind("/"), template.rfind("}"))
    tail = template[cut + 1 :]
    after_variable = cut >= 0 and template[cut] == "}"
    colon = tail.find(":") if after_variable else tail.rfind(":")
    if colon < 0:
        return template, None
    verb = tail[colon + 1 :]
    if not _PCHARS.fullmatch(verb):
        raise TemplateError(template, f"invalid verb {verb!r} after ':'")
    body = template[: cut + 1 + colon]
    if body == "/":
        raise TemplateError(template, "a verb needs at least one segment before it")
    return body, verb


class _Parser:
    """Recursive descent over the template without its verb; positions refer to the template."""

    def __init__(self, template: str, text: str) -> None:
        self._template = template
        self._text = text
        self._pos = 0

    def template(self) -> list[Segment]:
        if not self._text.startswith("/"):
            raise TemplateError(self._template, "must start with '/'")
        if self._text == "/":
            return []
        self._pos = 1
        segments = self._segments(nested=False)
        if self._pos < len(self._text):
            self._fail(f"unexpected {self._text[self._pos]!r}")
        return segments

    def _segments(self, *, nested: bool) -> list[Segment]:
        segments = [self._segment(nested=nested)]
        while self._peek() == "/":
            self._pos += 1
            segments.append(self._segment(nested=nested))
        return segments

    def _segment(self, *, nested: bool) -> Segment:
        for token, wildcard in (("**", DeepWildcard()), ("*", Wildcard())):
            end = self._pos + len(token)
            if self._text.startswith(token, self._pos) and (
                end == len(self._text) or self._text[end] in "/}"
            ):
                self._pos = end
                return wildcard
        if self._peek() == "{":
            if nested:
                self._fail("variables cannot be nested")
            return self._variable()
        literal = _PCHARS.match(self._text, self._pos)
        if literal is None:
            char = self._peek()
            empty = char in ("", "/") or (nested and char == "}")
            self._fail("empty segment" if empty else f"unexpected {char!r}")
        self._pos = literal.end()
        return Literal(unquote(literal.group()))

    def _variable(self) -> Variable:
        start = self._pos
        self._pos += 1  # "{"
        names = [self._ident()]
        while self._peek() == ".":
            self._pos += 1
            names.append(self._ident())
        field_path = ".".join(names)
        inner: list[Segment] = [Wildcard()]
        if self._peek() == "=":
            self._pos += 1
            inner = self._segments(nested=True)
        if self._peek() != "}":
            self._fail(f"variable {{{field_path}}} opened at position {start} is not closed with '}}'")
        self._pos += 1
        return Variable(field_path, tuple(s for s in inner if not isinstance(s, Variable)))

    def _ident(self) -> str:
        ident = _IDENT.match(self._text, self._pos)
        if ident is None:
            self._fail("expected a field name (letters, digits, '_'; not starting with a digit)")
        self._pos = ident.end()
        return ident.group()

    def _peek(self) -> str:
        return self._text[self._pos] if self._pos < len(self._text) else ""

    def _fail(self, reason: str) -> NoReturn:
        raise TemplateError(self._template, f"{reason} at position {self._pos}")


def _check_semantics(template: str, segments: list[Segment]) -> None:
    """Rules beyond the grammar: one `**` at most (else matching is ambiguous), unique variables."""
    deep = sum(isinstance(s, DeepWildcard) for s in _flatten(segments))
    if deep > 1:
        raise TemplateError(template, "'**' may appear only once")
    seen: set[str] = set()
    for segment in segments:
        if isinstance(segment, Variable):
            if segment.field_path in seen:
                raise TemplateError(template, f"variable {{{segment.field_path}}} appears twice")
            seen.add(segment.field_path)


def _flatten(segments: list[Segment]) -> list[Literal | Wildcard | DeepWildcard]:
    flat: list[Literal | Wildcard | DeepWildcard] = []
    for segment in segments:
        flat.extend(segment.segments if isinstance(segment, Variable) else (segment,))
    return flat
