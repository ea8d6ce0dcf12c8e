"""Parameter reading with bitcoin-core's errors, so clients see the codes and texts they know.

bitcoin-core 0.21 reads parameters through UniValue's get_int/get_str/get_obj, whose type
errors surface as RPC_MISC_ERROR (-1) "JSON value is not … as expected"; hashes go through
ParseHashV, which answers RPC_INVALID_PARAMETER (-8).
"""

from __future__ import annotations

import string

from fakenet.node.rpc.errors import INVALID_PARAMETER, MISC_ERROR, RpcFailure

_KINDS = {int: "an integer", str: "a string", dict: "an object", list: "an array", bool: "a boolean"}


def expect(value, kind: type):
    """`value` if it has JSON type `kind` (a bool is not an integer), else core's -1 error."""
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise RpcFailure(MISC_ERROR, f"JSON value is not {_KINDS[kind]} as expected")


def block_hash(value, name: str) -> str:
    """A 64-digit hex hash, lower-cased, or ParseHashV's error naming the parameter."""
    text = expect(value, str)
    if len(text) != 64:
        raise RpcFailure(INVALID_PARAMETER, f"{name} must be of length 64 (not {len(text)}, for '{text}')")
    if not all(c in string.hexdigits for c in text):
        raise RpcFailure(INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{text}')")
    return text.lower()
