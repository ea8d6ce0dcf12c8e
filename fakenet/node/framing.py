"""Length-framed JSON messages: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.

Frames over the size limit or that do not decode to a JSON object are a protocol error: the
connection is dropped, the node keeps running.
"""

from __future__ import annotations

import asyncio
import json
import struct

MAX_FRAME = 4 * 1024 * 1024
_LENGTH = struct.Struct(">I")


class FrameError(Exception):
    """A peer sent something that is not a well-formed frame."""


def encode(message: dict) -> bytes:
    payload = json.dumps(message, separators=(",", ":")).encode()
    if len(payload) > MAX_FRAME:
        raise FrameError(f"outgoing frame of {len(payload)} bytes exceeds the {MAX_FRAME}-byte limit")
    return _LENGTH.pack(len(payload)) + payload


async def read(reader: asyncio.StreamReader, max_size: int = MAX_FRAME) -> tuple[dict, int]:
    """Return the next message and its size on the wire."""
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if length > max_size:
        raise FrameError(f"frame of {length} bytes exceeds the {max_size}-byte limit")
    payload = await reader.readexactly(length)
    try:
        message = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FrameError(f"frame is not JSON: {exc}") from exc
    except RecursionError as exc:  # json's C scanner refuses deep nesting this way
        raise FrameError("frame nests too deeply") from exc
    if not isinstance(message, dict) or not isinstance(message.get("t"), str):
        raise FrameError("frame is not a message object with a type")
    return message, _LENGTH.size + length
