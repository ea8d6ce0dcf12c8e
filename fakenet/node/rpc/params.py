"""Reading RPC parameters with the errors clients know from bitcoin-core.

Types: bitcoin-core 0.21 reads parameters through UniValue's get_int/get_str/get_obj, whose type
errors surface as RPC_MISC_ERROR (-1) "JSON value is not … as expected" (`expect`); hashes go
through ParseHashV, which answers RPC_INVALID_PARAMETER (-8) (`block_hash`).

Ranges: fakenet's own admin parameters of the wrong type or out of range are answered with
RPC_INVALID_PARAMETER (-8) naming the parameter, never used as is (`number`, `integer`, …).
JSON has no NaN or Infinity (the dispatcher refuses them at parse time), but a method may be
called from inside the node too, so every number is also checked to be finite here.
"""

from __future__ import annotations

import math
from string import hexdigits
from typing import Any

from fakenet.node import excerpt
from fakenet.node.rpc.errors import INVALID_PARAMETER, MISC_ERROR, RpcFailure

_KINDS = {int: "an integer", str: "a string", dict: "an object", list: "an array", bool: "a boolean"}


def expect(value, kind: type):
    """`value` if it has JSON type `kind` (a bool is not an integer), else core's -1 error."""
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise RpcFailure(MISC_ERROR, f"JSON value is not {_KINDS[kind]} as expected")


INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def int32(value) -> int:
    """UniValue's get_int: an integer that fits 32 bits, else core's -1 "JSON integer out of range"
    (Litecoin Core 0.21 answers so for generatetoaddress 2^31 and 2^64, and for 1.5)."""
    return _fitting(value, INT32)


def int64(value) -> int:
    """UniValue's get_int64: as int32, for 64 bits (setban's bantime)."""
    return _fitting(value, INT64)


def _fitting(value, bounds: tuple[int, int]) -> int:
    if isinstance(value, float):
        raise RpcFailure(MISC_ERROR, "JSON integer out of range")
    number = expect(value, int)
    if not bounds[0] <= number <= bounds[1]:
        raise RpcFailure(MISC_ERROR, "JSON integer out of range")
    return number


def block_hash(value, name: str) -> str:
    """A 64-digit hex hash, lower-cased, or ParseHashV's error naming the parameter."""
    text = expect(value, str)
    if len(text) != 64:
        raise RpcFailure(INVALID_PARAMETER, f"{name} must be of length 64 (not {len(text)}, for {excerpt.quoted(text)})")
    if not all(c in hexdigits for c in text):
        raise RpcFailure(INVALID_PARAMETER, f"{name} must be hexadecimal string (not {excerpt.quoted(text)})")
    return text.lower()


def _fail(name: str, want: str, value: Any) -> RpcFailure:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return RpcFailure(INVALID_PARAMETER, f"Invalid parameter {name}: expected {want}, got {shown}")


def number(name: str, value: Any, low: float, high: float) -> float:
    """A finite real number in [low, high] (booleans are not numbers, as in bitcoin-core)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(name, f"a number from {low:g} to {high:g}", value)
    if not math.isfinite(value) or not low <= value <= high:
        raise _fail(name, f"a number from {low:g} to {high:g}", value)
    return float(value)


def integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(name, f"an integer from {low} to {high}", value)
    return value


def string(name: str, value: Any, max_length: int = 1000) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise _fail(name, f"a string of at most {max_length} characters", value)
    return value


def strings(name: str, value: Any, max_items: int = 1000) -> list[str]:
    if not isinstance(value, list) or len(value) > max_items or not all(isinstance(v, str) for v in value):
        raise _fail(name, f"a list of at most {max_items} strings", value)
    return value


def mapping(name: str, value: Any, max_items: int = 1000) -> dict:
    """A JSON object (null reads as empty) with string keys."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > max_items:
        raise _fail(name, f"an object of at most {max_items} entries", value)
    return value
