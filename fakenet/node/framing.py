"""Length-framed JSON messages: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.

Frames over the size limit or that do not decode to a JSON object are a protocol error: the
connection is dropped, the node keeps running. After the handshake the payload travels sealed
(secure_channel.py); `payload` and `decode` are the halves it wraps.

A payload begins with its type, `{"t":"<type>",` (`payload` writes it so), so that a reader can
hold a frame to its type's byte limit (`decode`'s `limits`, registered with the swarm's
handlers) before it parses a byte of JSON: an oversized `bq` costs a length comparison, not the
decoding of 60,000 strings. With limits, a frame that does not begin with its type, or whose
decoded type differs from the one it begins with (a repeated "t" key), is refused.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
from collections.abc import Mapping

from fakenet.node import strict_json

MAX_FRAME = 4 * 1024 * 1024
LENGTH = struct.Struct(">I")


class FrameError(Exception):
    """A peer sent something that is not a well-formed frame."""


# json.dumps(message, separators=(",", ":")) builds this encoder anew on every call, and even a kept
# JSONEncoder's encode() builds its C encoder (and a dict for cycle checks) anew: half the cost of a
# ping. Messages are trees of JSON values, never cyclic, so the C encoder is made once, without the
# cycle check (json's check_circular=False: the same bytes). NaN and the infinities are refused here
# as the reader refuses them (strict_json): a bug of ours that puts one in a message fails where it
# is sent, not as a peer's refusal of an honest node's frame.
_COMPACT = json.JSONEncoder(separators=(",", ":"), check_circular=False, allow_nan=False)
_ENCODE = (json.encoder.c_make_encoder(None, _COMPACT.default, json.encoder.encode_basestring_ascii, None, ":", ",",
                                       False, False, False)
           if json.encoder.c_make_encoder is not None else None)
TYPE_PREFIX = b'{"t":"'
MAX_TYPE = 32  # characters of a type the reader looks for before it gives up


def payload(message: dict) -> bytes:
    """A message as the JSON bytes a frame carries, its type first, refused when over the limit."""
    if next(iter(message), None) != "t" and "t" in message:
        message = {"t": message["t"], **message}
    data = ("".join(_ENCODE(message, 0)) if _ENCODE is not None else _COMPACT.encode(message)).encode()
    if len(data) > MAX_FRAME:
        raise FrameError(f"outgoing frame of {len(data)} bytes exceeds the {MAX_FRAME}-byte limit")
    return data


def encode(message: dict) -> bytes:
    data = payload(message)
    return LENGTH.pack(len(data)) + data


def leading_type(data: bytes) -> str | None:
    """The type a payload begins with (`{"t":"sq",…` → "sq"), read without decoding it; None if
    it does not begin with one."""
    match = _LEADING_TYPE(data)
    return match[1].decode() if match is not None else None


# `{"t":"`, then the type up to the first quote: 1-MAX_TYPE characters, ASCII, no backslash (an
# escape would make the type the JSON decodes to another string). One match in C, where a find,
# three tests and a slice were most of the type's cost (read on every frame).
_LEADING_TYPE = re.compile(re.escape(TYPE_PREFIX) + rb'([^"\\\x80-\xff]{1,%d})"' % MAX_TYPE).match


def check_size(data: bytes, limits: Mapping[str, int]) -> str:
    """The payload's type, once its size is within that type's limit (types without one have the
    frame limit); FrameError otherwise. Nothing is decoded."""
    match = _LEADING_TYPE(data)  # leading_type, inline: every frame read passes here
    if match is None:
        raise FrameError("frame does not begin with its type")
    kind = match[1].decode()
    limit = limits.get(kind)
    if limit is not None and len(data) > limit:
        raise FrameError(f"{kind} frame of {len(data)} bytes exceeds its {limit}-byte limit")
    return kind


def decode(data: bytes, limits: Mapping[str, int] | None = None) -> dict:
    """A frame's payload as a message object with a type, or FrameError; with `limits`, the size
    is checked against its type's limit before anything is decoded (`check_size`)."""
    kind = check_size(data, limits) if limits is not None else None
    try:
        message = _loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FrameError(f"frame is not JSON: {exc}") from exc
    except RecursionError as exc:  # json's C scanner refuses deep nesting this way
        raise FrameError("frame nests too deeply") from exc
    if not isinstance(message, dict) or not isinstance(message.get("t"), str):
        raise FrameError("frame is not a message object with a type")
    if kind is not None and message["t"] != kind:
        raise FrameError(f"frame begins as {kind} but decodes as {message['t'][:MAX_TYPE]}")
    return message


def _loads(data: bytes):
    """strict_json.loads(data) (no NaN or infinities: a peer's numbers reach timers), without its
    encoding sniff for what can only be UTF-8: a JSON object whose second byte is not NUL
    (json.detect_encoding's own rule), as every frame is, and without JSONDecoder's two Python
    layers around its C scanner (no leading whitespace to skip before a "{"; the same errors after
    it). Those were half of decoding a small frame, and a simulation decodes millions."""
    if data[:1] != b"{" or data[1:2] == b"\x00":
        return strict_json.loads(data)
    text = data.decode("utf-8", "surrogatepass")  # what json.loads does with them
    try:
        value, end = _SCAN(text, 0)
    except StopIteration as exc:  # JSONDecoder.raw_decode's own translation
        raise json.JSONDecodeError("Expecting value", text, exc.value) from None
    if end != len(text):
        end = _WHITESPACE(text, end).end()
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
    return value


_SCAN = strict_json.DECODER.scan_once  # NaN, the infinities and 1e999 refused
_WHITESPACE = json.decoder.WHITESPACE.match


async def read_raw(reader: asyncio.StreamReader, max_size: int) -> tuple[bytes, bytes]:
    """The next frame's length prefix and body, the length checked before the body is read."""
    prefix = await reader.readexactly(LENGTH.size)
    return prefix, await reader.readexactly(body_length(prefix, max_size))


def body_length(prefix: bytes, max_size: int) -> int:
    """The length a frame's prefix announces, or FrameError when it is over `max_size`."""
    (length,) = LENGTH.unpack(prefix)
    if length > max_size:
        raise FrameError(f"frame of {length} bytes exceeds the {max_size}-byte limit")
    return length


async def read(reader: asyncio.StreamReader, max_size: int = MAX_FRAME) -> tuple[dict, int]:
    """Return the next message and its size on the wire."""
    prefix, body = await read_raw(reader, max_size)
    return decode(body), len(prefix) + len(body)
