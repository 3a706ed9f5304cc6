"""apikeys_contract's value plans: every value produced is valid against its schema."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from apikeys_contract import NoValue, ValuePlan, header_text, plan_value


def plan(schema: Any, **extra: Any) -> ValuePlan | NoValue:
    document = {"components": {"schemas": {"S": schema, **extra}}}
    return plan_value(document, "/components/schemas/S", where="/s")


def strict(schema: Any) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "format": f}
        for f in [
            "date-time",
            "date",
            "time",
            "duration",
            "uuid",
            "email",
            "uri",
            "hostname",
            "ipv4",
            "ipv6",
            "uri-reference",
            "json-pointer",
            "regex",
            "idn-email",
        ]
    ]
    + [
        {"type": "string", "pattern": "^key_[a-z0-9]{24}$"},
        {"type": "string", "pattern": "\\S+", "minLength": 150, "maxLength": 150},
        {"type": "string", "minLength": 0, "maxLength": 0},
        {"type": "integer", "minimum": 1, "maximum": 365, "multipleOf": 7},
        {"type": "integer", "exclusiveMinimum": 10, "exclusiveMaximum": 12},
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.001},
        {"type": "number", "multipleOf": 0.25, "minimum": 0.3},
        {"enum": ["a", 2, None]},
        {"const": {"x": 1}},
        {"type": ["null", "boolean"]},
        {"type": "array", "minItems": 3, "items": {"type": "integer", "minimum": 5}},
        {
            "type": "object",
            "required": ["a"],
            "additionalProperties": False,
            "properties": {"a": {"type": "string", "format": "email"}, "b": {"type": "integer"}},
        },
        {
            "anyOf": [
                {"type": "string", "minLength": 5, "maxLength": 3},
                {"type": "integer", "minimum": 4},
            ]
        },
        {
            "allOf": [
                {"type": "object", "required": ["a"], "properties": {"a": {"const": 1}}},
                {"required": ["b"], "properties": {"b": {"type": "boolean"}}},
            ]
        },
        {"type": "string", "x-unique": True, "pattern": "^[A-Z]{3}-[0-9]{6}$"},
        {"type": "integer", "x-unique": True, "minimum": 10},
        {"type": "string", "x-mock": "now", "format": "date"},
    ],
)
def test_produced_values_are_valid(schema: dict[str, Any]) -> None:
    found = plan(schema)
    assert isinstance(found, ValuePlan), found
    check = strict(schema)
    for _ in range(5):
        value = found.produce()
        assert check.is_valid(value), (schema, value)


def test_a_valid_example_is_used_and_an_invalid_one_is_not() -> None:
    ok = plan({"type": "string", "format": "date-time", "example": "2024-05-01T12:30:00Z"})
    assert isinstance(ok, ValuePlan)
    assert ok.produce() == "2024-05-01T12:30:00Z"
    bad = plan({"type": "string", "format": "date-time", "example": "yesterday"})
    assert isinstance(bad, ValuePlan)
    assert bad.produce() != "yesterday"


def test_fresh_plans_give_new_values() -> None:
    for schema in ({"type": "string", "x-mock": "uuid"}, {"type": "string", "x-unique": True}):
        found = plan(schema)
        assert isinstance(found, ValuePlan)
        assert found.fresh
        assert len({found.produce() for _ in range(20)}) == 20


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"type": "string", "minLength": 5, "maxLength": 3}, "/s: no candidate"),
        (
            {
                "type": "object",
                "required": ["r"],
                "properties": {"r": {"type": "integer", "minimum": 3, "maximum": 2}},
            },
            "/s/r",
        ),
        ({"type": "string", "x-mock": "magic"}, "x-mock 'magic' is not one of"),
        ({"type": "integer", "x-mock": "uuid"}, "gives values the schema refuses"),
        ({"type": "string", "x-mock": "example"}, "has no example"),
        (False, "the schema is false"),
    ],
)
def test_what_cannot_be_produced_is_said(schema: Any, words: str) -> None:
    found = plan(schema)
    assert isinstance(found, NoValue)
    assert words in found.message()
    assert "\n" not in found.message()


def test_recursive_schemas_end() -> None:
    tree = {
        "type": "object",
        "properties": {"kids": {"type": "array", "items": {"$ref": "#/components/schemas/S"}}},
    }
    found = plan(tree)
    assert isinstance(found, ValuePlan)
    assert isinstance(found.produce(), dict)


def test_header_text() -> None:
    assert [header_text(v) for v in (3, True, ["a", 1], None)] == ["3", "true", "a,1", ""]


def test_an_impossible_override_is_never_skipped() -> None:
    found = plan({"type": "object", "properties": {"o": {"type": "string", "x-mock": "magic"}}})
    assert isinstance(found, NoValue)
    assert found.where == "/s/o"
    assert found.explicit
    impossible = {"type": "string", "minLength": 5, "maxLength": 3}
    skipped = plan({"type": "object", "properties": {"o": impossible}})
    assert isinstance(skipped, ValuePlan)
    assert skipped.produce() == {}  # an optional property no value fits is left out
