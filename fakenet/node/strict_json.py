"""JSON as RFC 8259 defines it, for what a client or a peer sends the node.

Python's json reads NaN, Infinity and -Infinity, which are not JSON: no other language's encoder
writes them and JSON.parse (js-ceramic, every browser) refuses them. Let in, a NaN passes every
range check written with `<` and `>`: a multiquery "timeout": NaN went into asyncio's timer heap,
whose order it breaks, and delayed every timer of the node by seconds, past the peers' timeout.
A number too large for a float (1e999) is read as infinity the same way. So every body and frame
is read with a decoder that refuses them all, as bad JSON (a JSONDecodeError, which each edge
already answers: 400, a refused frame). The JSON-RPC port reads with the same two hooks
(rpc/dispatch.py). Strings, integers and structure still go through json's C scanner alone."""

from __future__ import annotations

import json
import math


class NotJSON(json.JSONDecodeError):
    """NaN, an infinity or an out-of-range number where a number should be. Raised from the
    scanner's hooks, which are not told where the number was: no position is claimed."""

    def __init__(self, message: str):
        ValueError.__init__(self, message)
        self.msg, self.doc, self.pos, self.lineno, self.colno = message, "", None, None, None

    def __reduce__(self):
        return NotJSON, (self.msg,)


def refuse_constant(constant: str):
    """json's parse_constant hook: NaN, Infinity and -Infinity are not JSON."""
    raise NotJSON(f"{constant} is not a JSON number (RFC 8259 has no NaN or Infinity)")


def finite_float(text: str) -> float:
    """json's parse_float hook: a number that a float holds only as infinity is refused."""
    value = float(text)
    if not math.isfinite(value):
        raise NotJSON(f"number {text[:20]} is out of range")
    return value


DECODER = json.JSONDecoder(parse_constant=refuse_constant, parse_float=finite_float)


def loads(text: str | bytes | bytearray):
    """json.loads, refusing NaN and the infinities (NotJSON, a JSONDecodeError)."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    return DECODER.decode(text)
