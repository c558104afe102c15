"""Path template grammar (grpc-gateway's parse.go) and matching of raw request paths."""

from __future__ import annotations

import pytest

from aegis.api.httprule import (
    DeepWildcard,
    Literal,
    PathTemplate,
    TemplateError,
    Variable,
    Wildcard,
    parse_template,
)


@pytest.mark.parametrize(
    ("template", "segments", "verb"),
    [
        ("/", (), None),
        ("/v1/slo", (Literal("v1"), Literal("slo")), None),
        ("/v1/slo/{id}", (Literal("v1"), Literal("slo"), Variable("id", (Wildcard(),))), None),
        (
            "/v1/state/{service}/{environment}",
            (
                Literal("v1"),
                Literal("state"),
                Variable("service", (Wildcard(),)),
                Variable("environment", (Wildcard(),)),
            ),
            None,
        ),
        ("/v1/{a.b_c.d2}", (Literal("v1"), Variable("a.b_c.d2", (Wildcard(),))), None),
        (
            "/v1/{name=shelves/*/books/*}",
            (Literal("v1"), Variable("name", (Literal("shelves"), Wildcard(), Literal("books"), Wildcard()))),
            None,
        ),
        ("/v1/{name=**}:undelete", (Literal("v1"), Variable("name", (DeepWildcard(),))), "undelete"),
        ("/v1/*/x/**", (Literal("v1"), Wildcard(), Literal("x"), DeepWildcard()), None),
        ("/v1/ops/{name}:cancel", (Literal("v1"), Literal("ops"), Variable("name", (Wildcard(),))), "cancel"),
        # After a variable the verb starts at the FIRST colon, after a literal at the LAST one.
        ("/v1/{name}:a:b", (Literal("v1"), Variable("name", (Wildcard(),))), "a:b"),
        ("/v1/a:b:c", (Literal("v1"), Literal("a:b")), "c"),
        ("/v1/%41~b.c-d_e", (Literal("v1"), Literal("A~b.c-d_e")), None),
        ("/v1/a*b", (Literal("v1"), Literal("a*b")), None),
    ],
)
def test_parse_template_valid(template: str, segments: tuple[object, ...], verb: str | None) -> None:
    parsed = parse_template(template)

    assert parsed.segments == segments
    assert parsed.verb == verb
    assert str(parsed) == template


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("", "must start with '/'"),
        ("v1/slo", "must start with '/'"),
        ("/v1/", "empty segment at position 4"),
        ("//v1", "empty segment at position 1"),
        ("/v1//slo", "empty segment at position 4"),
        ("/v1/{id", "is not closed with '}'"),
        ("/v1/{id=}", "empty segment at position 8"),
        ("/v1/{}", "expected a field name"),
        ("/v1/{1id}", "expected a field name"),
        ("/v1/{a.}", "expected a field name"),
        ("/v1/{a-b}", "is not closed with '}'"),
        ("/v1/{a={b}}", "variables cannot be nested"),
        ("/v1/{a}x", "unexpected 'x' at position 7"),
        ("/v1/}", "unexpected '}'"),
        ("/v1/a b", "unexpected ' ' at position 5"),
        ("/v1/%zz", "unexpected '%'"),
        ("/v1/**/x/**", "'**' may appear only once"),
        ("/v1/{a=**}/{b=**}", "'**' may appear only once"),
        ("/v1/{id}/{id}", "variable {id} appears twice"),
        ("/v1:", "invalid verb ''"),
        ("/v1:a b", "invalid verb 'a b'"),
        ("/:verb", "a verb needs at least one segment"),
    ],
)
def test_parse_template_rejects_malformed(template: str, reason: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(template)

    assert reason in str(caught.value)
    assert caught.value.template == template
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/", "/", {}),
        ("/", "/v1", None),
        ("/v1/slo", "/v1/slo", {}),
        ("/v1/slo", "/v1/slos", None),
        ("/v1/slo/{id}", "/v1/slo/api-availability", {"id": "api-availability"}),
        (
            "/v1/state/{service}/{environment}",
            "/v1/state/api/prod",
            {"service": "api", "environment": "prod"},
        ),
        ("/v1/state/{service}/{environment}", "/v1/state/api", None),
        ("/v1/state/{service}/{environment}", "/v1/state/api/prod/extra", None),
        # Values are percent-decoded; an encoded "/" stays inside its segment.
        ("/v1/slo/{id}", "/v1/slo/a%20b", {"id": "a b"}),
        ("/v1/slo/{id}", "/v1/slo/a%2Fb", {"id": "a/b"}),
        ("/v1/slo/{id}", "/v1/slo/pr%C3%B6d", {"id": "pröd"}),
        # Literals compare decoded.
        ("/v1/%41", "/v1/A", {}),
        ("/v1/A", "/v1/%41", {}),
        # Trailing and doubled slashes never match: an empty segment is no segment.
        ("/v1/slo", "/v1/slo/", None),
        ("/v1/slo/{id}", "/v1/slo/", None),
        ("/v1/slo/{id}", "/v1//slo/x", None),
        ("/v1/slo", "v1/slo", None),
        # Multi-segment variables keep %2F encoded (google/api/http.proto).
        (
            "/v1/{name=shelves/*/books/*}",
            "/v1/shelves/s%2F1/books/b%201",
            {"name": "shelves/s%2F1/books/b 1"},
        ),
        ("/v1/{name=shelves/*/books/*}", "/v1/shelves/1/novels/2", None),
        ("/v1/*/x", "/v1/anything/x", {}),
        ("/v1/**", "/v1", {}),
        ("/v1/**", "/v1/a/b/c", {}),
        ("/v1/{path=**}", "/v1/a/b/c", {"path": "a/b/c"}),
        ("/v1/{path=**}", "/v1", {"path": ""}),
        ("/v1/{path=**}/raw", "/v1/a/b/raw", {"path": "a/b"}),
        ("/v1/{path=**}/raw", "/v1/raw", {"path": ""}),
        ("/v1/{path=**}/raw", "/v1/a/b", None),
        ("/v1/files/{path=**}", "/v1/files/a//b", None),
        # Verbs.
        ("/v1/ops/{name}:cancel", "/v1/ops/op-1:cancel", {"name": "op-1"}),
        ("/v1/ops/{name}:cancel", "/v1/ops/op-1", None),
        ("/v1/ops/{name}:cancel", "/v1/ops/op-1:undo", None),
        ("/v1/ops/{name}:cancel", "/v1/ops/:cancel", None),
        ("/v1/{name}:a:b", "/v1/x:a:b", {"name": "x"}),
        # Without a verb in the template, a colon is part of the value.
        ("/v1/slo/{id}", "/v1/slo/a:b", {"id": "a:b"}),
    ],
)
def test_path_template_match(template: str, path: str, expected: dict[str, str] | None) -> None:
    assert parse_template(template).match(path) == expected


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("/v1/{a}/x", "/v1/{b}/x", True),
        ("/v1/{a=shelves/*}", "/v1/shelves/{b}", True),
        ("/v1/{a}:go", "/v1/{a}", False),
        ("/v1/{a}", "/v1/a", False),
        ("/v1/{a=**}", "/v1/*", False),
    ],
)
def test_path_template_shape_erases_variable_names(first: str, second: str, same: bool) -> None:
    assert (parse_template(first).shape == parse_template(second).shape) is same


def test_path_template_variables_lists_field_paths_in_order() -> None:
    template = parse_template("/v1/{parent.name}/items/{item_id}")

    assert [v.field_path for v in template.variables] == ["parent.name", "item_id"]
    assert isinstance(template, PathTemplate)
