"""Whether a Model really implements an interface Model it names in `implements`, as js-ceramic's
stream-model-handler decides it (interfaces-utils.ts, read and written anew here).

An implementation must offer everything the interface promises, and may only narrow it:

- schema: every property the interface has, with a compatible schema, and every field it
  requires required too. Compatible, by type: the same `type` (or matching allOf / anyOf / oneOf
  lists); the same `title`, `const` and `pattern` where the interface gives one; bounds at least as
  tight (maximum, minimum, their exclusive forms, maxLength, minLength, maxItems, minItems; a
  `const` within them counts); an `enum` that is a subset of the interface's; array items
  compatible. `$ref`s are resolved against each side's own root schema.
- relations and views: the implementation has each of the interface's, with the same fields
  (it may have more), as lodash's isMatch compares them.
- immutableFields: each the interface lists is immutable in the implementation too.

Every difference is listed, with its path, in one CommitRejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jsonpointer

from fakenet.node.streams.errors import CommitRejected

_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")  # the implementation's may not be larger
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems")  # nor these smaller
_SCALAR_BOUNDS = {"integer": ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"),
                  "number": ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"),
                  "string": ("maxLength", "minLength"), "array": ("maxItems", "minItems")}
_TYPES = {"array", "object", "integer", "number", "string", "boolean", "null"}
_CONSTANTS = {"integer", "number", "string", "boolean"}  # the types whose `const` an implementation must keep


def check_implementation(interface_id: str, interface: dict, model: dict) -> None:
    """CommitRejected listing every way `model` fails to implement `interface` (both definitions)."""
    problems = [f"schema: {p}" for p in schema_differences(interface["schema"], model["schema"])]
    if not is_match(model.get("relations") or {}, interface.get("relations") or {}):
        problems.append("relations: the interface's relations are not all implemented as it defines them")
    if not is_match(model.get("views") or {}, interface.get("views") or {}):
        problems.append("views: the interface's views are not all implemented as it defines them")
    missing = _immutable_missing(interface, model)
    if missing:
        problems.append(f"immutableFields: {', '.join(missing)} must be immutable as in the interface")
    if problems:
        raise CommitRejected(f"Invalid implementation of interface {interface_id}: " + "; ".join(problems))


def schema_differences(interface: Any, model: Any) -> list[str]:
    """Each way `model`'s JSON Schema is not a compatible narrowing of `interface`'s, with its path."""
    return _Compare(interface if isinstance(interface, dict) else {}, model if isinstance(model, dict) else {}) \
        .schema((), interface, model)


@dataclass
class _Compare:
    interface_root: dict
    model_root: dict
    found: list[str] = field(default_factory=list)

    def schema(self, path: tuple, expected: Any, implemented: Any) -> list[str]:
        if isinstance(expected, bool) or isinstance(implemented, bool) or not isinstance(expected, dict) \
                or not isinstance(implemented, dict):
            return [] if expected == implemented else [_say(path, "schema", expected, implemented)]
        errors = []
        if expected.get("title") is not None and implemented.get("title") != expected["title"]:
            errors.append(_say(path, "title", expected["title"], implemented.get("title")))
        for combinator, compare in (("allOf", self._all), ("anyOf", self._any), ("oneOf", self._all)):
            if isinstance(expected.get(combinator), list):
                return errors + compare(path + (combinator,), combinator, expected[combinator], implemented)
        if implemented.get("type") != expected.get("type"):
            return errors + [_say(path, "type", expected.get("type"), implemented.get("type"))]
        kind = expected.get("type")
        if kind not in _TYPES:
            return errors + [f"{_where(path)}: unsupported schema type {kind!r}"]
        return errors + self._typed(path, kind, expected, implemented)

    def _typed(self, path: tuple, kind: str, expected: dict, implemented: dict) -> list[str]:
        errors = []
        if kind in _CONSTANTS and expected.get("const") is not None and implemented.get("const") != expected["const"]:
            errors.append(_say(path, "const", expected["const"], implemented.get("const")))
        for bound in _SCALAR_BOUNDS.get(kind, ()):
            if expected.get(bound) is not None and not _within(bound, expected[bound], implemented):
                errors.append(_say(path, bound, expected[bound], implemented.get(bound, implemented.get("const"))))
        if kind == "string":
            errors += _string(path, expected, implemented)
        elif kind == "array":
            errors += self._items(path, expected, implemented)
        elif kind == "object":
            errors += self._object(path, expected, implemented)
        return errors

    def _object(self, path: tuple, expected: dict, implemented: dict) -> list[str]:
        required = set(implemented.get("required") or [])
        errors = [f"{_where(path)}: {name!r} must be required, as the interface requires it"
                  for name in expected.get("required") or [] if name not in required]
        properties = implemented.get("properties") or {}
        for name, schema in (expected.get("properties") or {}).items():
            if name not in properties:
                errors.append(f"{_where(path)}: property {name!r} of the interface is missing")
                continue
            errors += self._resolved(path + (name,), schema, properties[name])
        return errors

    def _items(self, path: tuple, expected: dict, implemented: dict) -> list[str]:
        if expected.get("items") is None or implemented.get("items") is None:
            return [_say(path, "items", expected.get("items"), implemented.get("items"))]
        return self._resolved(path + ("items",), expected["items"], implemented["items"])

    def _resolved(self, path: tuple, expected: Any, implemented: Any) -> list[str]:
        """Compare two subschemas once each side's $ref points into its own root."""
        try:
            return self.schema(path, _resolve(expected, self.interface_root), _resolve(implemented, self.model_root))
        except jsonpointer.JsonPointerException as exc:
            return [f"{_where(path)}: cannot resolve $ref: {exc}"]

    def _all(self, path: tuple, combinator: str, expected: list, implemented: dict) -> list[str]:
        """allOf / oneOf: the same number of subschemas, each of the interface's matched by one."""
        candidates = implemented.get(combinator)
        if not isinstance(candidates, list):
            return [_say(path[:-1], combinator, f"{len(expected)} subschemas", candidates)]
        if len(candidates) != len(expected):
            return [_say(path, "length", len(expected), len(candidates))]
        return [f"{_where(path)}: subschema {index} of the interface has no compatible implementation"
                for index, schema in enumerate(expected)
                if not any(not self.schema(path, schema, candidate) for candidate in candidates)]

    def _any(self, path: tuple, combinator: str, expected: list, implemented: dict) -> list[str]:
        """anyOf: one of the interface's subschemas matched by one of the implementation's (or by it)."""
        candidates = implemented["anyOf"] if isinstance(implemented.get("anyOf"), list) else [implemented]
        if any(not self.schema(path, schema, candidate) for schema in expected for candidate in candidates):
            return []
        return [f"{_where(path)}: none of the interface's {len(expected)} subschemas is implemented"]


def _string(path: tuple, expected: dict, implemented: dict) -> list[str]:
    errors = []
    if expected.get("pattern") is not None and implemented.get("pattern") != expected["pattern"]:
        errors.append(_say(path, "pattern", expected["pattern"], implemented.get("pattern")))
    allowed = expected.get("enum")
    if allowed is None:
        return errors
    if implemented.get("const") is not None:
        offered = [implemented["const"]]
    else:
        offered = implemented.get("enum")
    if offered is None or not offered or any(value not in allowed for value in offered):
        errors.append(_say(path, "enum", allowed, offered))
    return errors


def _within(bound: str, limit: Any, implemented: dict) -> bool:
    """The implementation's own bound is at least as tight, or its const lies within the limit."""
    const = implemented.get("const")
    if const is not None and bound not in ("maxItems", "minItems"):
        value = len(const) if bound in ("maxLength", "minLength") and isinstance(const, str) else const
        if not isinstance(value, (int, float)):
            return False
        return {"maximum": value <= limit, "minimum": value >= limit, "exclusiveMaximum": value < limit,
                "exclusiveMinimum": value > limit, "maxLength": value <= limit, "minLength": value >= limit}[bound]
    own = implemented.get(bound)
    if not isinstance(own, (int, float)):
        return False
    return own <= limit if bound in _UPPER else own >= limit


def _resolve(schema: Any, root: dict) -> Any:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if not isinstance(ref, str):
        return schema
    if not ref.startswith("#"):
        raise jsonpointer.JsonPointerException(f"only references within the schema are followed, not {ref!r}")
    return jsonpointer.resolve_pointer(root, ref[1:])


def is_match(obj: Any, source: Any) -> bool:
    """lodash's isMatch: `obj` has every key of `source` with a matching value (deeply, partially)."""
    if isinstance(source, dict):
        return isinstance(obj, dict) and all(key in obj and is_match(obj[key], value) for key, value in source.items())
    if isinstance(source, list):
        return isinstance(obj, list) and all(any(is_match(item, wanted) for item in obj) for wanted in source)
    return obj == source


def _immutable_missing(interface: dict, model: dict) -> list[str]:
    if interface.get("version") == "1.0":
        return []
    expected = interface.get("immutableFields") or []
    offered = [] if model.get("version") == "1.0" else model.get("immutableFields") or []
    return [name for name in expected if name not in offered]


def _where(path: tuple) -> str:
    return "/" + "/".join(path) if path else "(root)"


def _say(path: tuple, what: str, expected: Any, actual: Any) -> str:
    return f"{_where(path)}: {what} must be {expected!r}, is {actual!r}"
