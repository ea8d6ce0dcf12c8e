"""Length-framed JSON messages: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.

Frames over the size limit or that do not decode to a JSON object are a protocol error: the
connection is dropped, the node keeps running. After the handshake the payload travels sealed
(secure_channel.py); `payload` and `decode` are the halves it wraps.
"""

from __future__ import annotations

import asyncio
import json
import struct

MAX_FRAME = 4 * 1024 * 1024
LENGTH = struct.Struct(">I")


class FrameError(Exception):
    """A peer sent something that is not a well-formed frame."""


def payload(message: dict) -> bytes:
    """A message as the JSON bytes a frame carries, refused when over the limit."""
    data = json.dumps(message, separators=(",", ":")).encode()
    if len(data) > MAX_FRAME:
        raise FrameError(f"outgoing frame of {len(data)} bytes exceeds the {MAX_FRAME}-byte limit")
    return data


def encode(message: dict) -> bytes:
    data = payload(message)
    return LENGTH.pack(len(data)) + data


def decode(data: bytes) -> dict:
    """A frame's payload as a message object with a type, or FrameError."""
    try:
        message = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FrameError(f"frame is not JSON: {exc}") from exc
    except RecursionError as exc:  # json's C scanner refuses deep nesting this way
        raise FrameError("frame nests too deeply") from exc
    if not isinstance(message, dict) or not isinstance(message.get("t"), str):
        raise FrameError("frame is not a message object with a type")
    return message


async def read_raw(reader: asyncio.StreamReader, max_size: int) -> tuple[bytes, bytes]:
    """The next frame's length prefix and body, the length checked before the body is read."""
    prefix = await reader.readexactly(LENGTH.size)
    (length,) = LENGTH.unpack(prefix)
    if length > max_size:
        raise FrameError(f"frame of {length} bytes exceeds the {max_size}-byte limit")
    return prefix, await reader.readexactly(length)


async def read(reader: asyncio.StreamReader, max_size: int = MAX_FRAME) -> tuple[dict, int]:
    """Return the next message and its size on the wire."""
    prefix, body = await read_raw(reader, max_size)
    return decode(body), len(prefix) + len(body)
