"""How an answer or a log line quotes what a client sent: a short excerpt, never the whole of it.

An error names what was wrong and shows enough of the input to recognise it. Echoing all of it
made every port an amplifier and a log filler: an 8 kB query argument came back as an 8 kB error
(Kubo's `invalid path "…"`, bitcoin-core's `for '…'`, aiohttp's `b'…'` of a request line), and
bytes came back as Python's `bytearray(b'…')`. So input is quoted through `quoted` (at most
LIMIT characters, an ellipsis and the full size when cut), bytes are shown as text (`readable`),
and every error answer of every port passes through `bounded`, which cuts the middle of any
message still too long (a library's text that quotes its input, a repr in an internal error).
"""

from __future__ import annotations

import ast
import re

LIMIT = 200  # characters of a client's input an answer or a log line quotes
MESSAGE_LIMIT = 600  # characters of a whole error message: its words, an excerpt or two, a reason
_TAIL = 120  # of a message cut in its middle, the end kept: the reason often comes after the input


def clip(text: str, limit: int = LIMIT) -> str:
    """`text`, or its first `limit` characters, an ellipsis and its full size."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def quoted(value, limit: int = LIMIT, quote: str | None = None) -> str:
    """`value` quoted in a message: as repr (text between `quote`s if given; bytes as `readable`), at
    most `limit` characters of it; when cut, an ellipsis and the full size after it."""
    if isinstance(value, (bytes, bytearray)):
        return f'"{readable(value, limit)}"'
    text = value if isinstance(value, str) else repr(value)
    shown = text[:limit] + ("…" if len(text) > limit else "")
    body = shown if not isinstance(value, str) else repr(shown) if quote is None else f"{quote}{shown}{quote}"
    return body + (f" ({len(text)} characters)" if len(text) > limit else "")


def readable(data: bytes | bytearray, limit: int = LIMIT) -> str:
    """Bytes as text a person reads: printable ASCII as itself, a backslash, a double quote and
    anything else escaped (\\xNN), at most `limit` bytes of it (then an ellipsis and the full size)."""
    shown = "".join(_ESCAPES.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}") for b in data[:limit])
    return shown if len(data) <= limit else f"{shown}… ({len(data)} bytes)"


_ESCAPES = {0x5C: "\\\\", 0x22: '\\"'}


# Python's reprs of bytes in a library's message: h11's `bytearray(b'HELLO')`, aiohttp's `b'HELLO'`.
_BYTES_REPR = re.compile(r"""bytearray\((b'(?:[^'\\]|\\.)*'|b"(?:[^"\\]|\\.)*")\)|(?<![\w'"])(b'(?:[^'\\]|\\.)*'|b"(?:[^"\\]|\\.)*")""")


def readable_message(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """A library's message on one line, every repr of bytes in it shown as quoted, readable, bounded
    text; the caret line under a repr (aiohttp's parser points into it) goes with the repr."""
    def text(match: re.Match) -> str:
        literal = match.group(1) or match.group(2)
        try:
            data = ast.literal_eval(literal)  # a literal only: never code
        except (ValueError, SyntaxError):
            return match.group(0)
        return f'"{readable(data)}"'
    lines = _BYTES_REPR.sub(text, message).splitlines()
    return bounded(" ".join(line.strip() for line in lines if line.strip() and set(line.strip()) != {"^"}), limit)


def bounded(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """`message`, or its start and end with the middle cut and said, `limit` characters in all: what
    every error answer sends."""
    if len(message) <= limit:
        return message
    tail = min(_TAIL, limit // 4)
    longest_mark = len(f"… ({len(message)} of {len(message)} characters cut) …")
    head = max(limit - tail - longest_mark, 0)
    return f"{message[:head]}… ({len(message) - head - tail} of {len(message)} characters cut) …{message[-tail:]}"
