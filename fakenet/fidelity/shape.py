"""The structure of a JSON answer, and the differences between two structures.

Values that legitimately differ between two chains (hashes, times, PoW, address prefixes)
are reduced to their JSON type; keys, nesting and types are what a client's code depends on.
A list's shape is the union of its elements' shapes, so one entry with an extra key counts.
"""

from __future__ import annotations

from typing import Any


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            merged = _merge(merged, shape(item))
        return [merged] if value else []
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"  # JSON has one number type: 0 and 0.0 are the same to a client
    return "null" if value is None else "string"


def _merge(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if isinstance(a, dict) and isinstance(b, dict):
        return {key: _merge(a.get(key), b.get(key)) if key in a and key in b else a.get(key, b.get(key))
                for key in {**a, **b}}
    return a if a == b else f"{a}|{b}"


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Human-readable differences of fakenet's shape (`ours`) from Litecoin Core's (`theirs`)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = [f"{path}.{key}: only in Litecoin Core" for key in theirs if key not in ours]
        found += [f"{path}.{key}: only in fakenet" for key in ours if key not in theirs]
        for key in ours.keys() & theirs.keys():
            found += differences(ours[key], theirs[key], f"{path}.{key}")
        return sorted(found)
    if isinstance(ours, list) and isinstance(theirs, list):
        if ours and theirs:
            return differences(ours[0], theirs[0], f"{path}[]")
        return [] if not ours and not theirs else [f"{path}: empty list on one side only"]
    if ours != theirs:
        return [f"{path or 'result'}: fakenet {_name(ours)}, Litecoin Core {_name(theirs)}"]
    return []


def _name(shape_value: Any) -> str:
    if isinstance(shape_value, dict):
        return "object"
    if isinstance(shape_value, list):
        return "array"
    return shape_value
