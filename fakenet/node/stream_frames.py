"""What a stream frame may hold, checked before any of it is decoded or does work.

A frame arrives as JSON (the swarm's framing caps it at 4 MiB); before a handler turns text into
CIDs, looks anything up or forwards it, its fields are checked here for type, count and length.
A frame that breaks a limit is the sender's fault: FrameRefused, and the swarm drops the peer.

Counts are sized for honest traffic with room to spare: a fetch names at most MAX_CIDS commits
(a longer log is fetched in several), an answer lists a log of at most MAX_LOG commits, gossip
carries at most MAX_BLOCKS blocks of at most MAX_BLOCK_HEX hex digits each.

A stream's log may be longer than MAX_LOG (a counter updated every minute has 1,440 commits a
day): an `sr` carries the newest MAX_LOG entries of it and the log's `length`, and the asker pages
back with `sq {stream, end}` (the window of the log that ends at commit `end`), following the
prev links of the commits it fetched (fakenet.node.stream_service: the walk back).

Before any of that, each type has a byte limit (MAX_BYTES) that the swarm checks on the raw
payload, before the JSON is decoded (fakenet.node.framing.check_size): the most its fields may
hold by the limits above, so a frame within its field limits is never refused for its size.
Frames that carry blocks (br, su) are held to BLOCKS_BYTES, under the 4 MiB frame limit; the
sender splits a fetch's answer into several `br` and trims gossip to the newest blocks that fit
(fakenet.node.stream_network).
"""

from __future__ import annotations

from typing import Any, Callable

from fakenet.node.errors import NodeError

MAX_ID = 128  # stream ids, CIDs, search ids: a kjzl6… id is 63 characters, a bafy… CID 59
MAX_CIDS = 256
MAX_LOG = 1024
MAX_BLOCKS = 1024
MAX_BLOCK_HEX = 2 * 256 * 1024

ENVELOPE = 1024  # a frame's type, ids, tip, counts and field names: under 700 bytes at their limits
LISTED = MAX_ID + 3  # one string of a list: its characters, quotes and comma
BLOCKS_BYTES = 1024 * 1024  # a br or su payload: one block at its limit fits with room to spare
MAX_BYTES = {
    "sq": ENVELOPE, "qd": ENVELOPE, "qa": ENVELOPE, "ar": ENVELOPE,
    "sr": ENVELOPE + MAX_LOG * LISTED,  # 135,168
    "bq": ENVELOPE + MAX_CIDS * LISTED,  # 34,560 (the 3.8 MB fetch of issue 24 is refused unread)
    "br": BLOCKS_BYTES, "su": BLOCKS_BYTES,
}

# Component news (component_news.py, which checks its frames): its type, the ids a frame carries at
# most, an id's length at most, and the byte limit: {"t":"cn","ids":["<32 hex>",...]} with
# NEWS_BATCH ids is 1,138 bytes; unknown fields are not worth carrying.
NEWS_FRAME = "cn"
NEWS_BATCH = 32
NEWS_ID_CHARS = 32
NEWS_MAX_BYTES = len('{"t":"cn","ids":[]}') + NEWS_BATCH * (NEWS_ID_CHARS + 3) - 1


class FrameRefused(NodeError):
    """A stream frame that breaks its limits; the message says which."""


def _text(message: dict, name: str, limit: int = MAX_ID) -> None:
    value = message.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise FrameRefused(f"{message['t']}.{name} must be a string of 1-{limit} characters")


def _texts(message: dict, name: str, limit: int) -> None:
    value = message.get(name)
    if not isinstance(value, list) or len(value) > limit:
        raise FrameRefused(f"{message['t']}.{name} must be a list of at most {limit} entries")
    if not all(isinstance(item, str) and 0 < len(item) <= MAX_ID for item in value):
        raise FrameRefused(f"{message['t']}.{name} entries must be strings of 1-{MAX_ID} characters")


def _blocks(message: dict) -> None:
    value = message.get("blocks")
    if not isinstance(value, dict) or len(value) > MAX_BLOCKS:
        raise FrameRefused(f"{message['t']}.blocks must be a map of at most {MAX_BLOCKS} blocks")
    if not all(isinstance(k, str) and 0 < len(k) <= MAX_ID and isinstance(v, str) and len(v) <= MAX_BLOCK_HEX
               for k, v in value.items()):
        raise FrameRefused(f"{message['t']}.blocks maps CIDs to hex of at most {MAX_BLOCK_HEX} digits")


def _optional_text(message: dict, name: str) -> None:
    if name in message:
        _text(message, name)


def _count(message: dict, name: str) -> None:
    value = message.get(name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
        raise FrameRefused(f"{message['t']}.{name} must be a count")


CHECKS: dict[str, Callable[[dict], Any]] = {
    "sq": lambda m: (_text(m, "qid"), _text(m, "stream"), _optional_text(m, "end")),
    "sr": lambda m: (_text(m, "qid"), _text(m, "stream"), _text(m, "tip"), _texts(m, "log", MAX_LOG),
                     _count(m, "length")),
    "bq": lambda m: (_text(m, "qid"), _texts(m, "cids", MAX_CIDS)),
    "br": lambda m: (_text(m, "qid"), _blocks(m)),
    "qd": lambda m: (_text(m, "qid"), _count(m, "nodes"), _count(m, "lost")),
    "qa": lambda m: _text(m, "qid"),
    "su": lambda m: (_text(m, "gid", 2 * MAX_ID + 1), _text(m, "stream"), _text(m, "tip"), _blocks(m)),
    "ar": lambda m: (_text(m, "stream"), _text(m, "tip")),
}


def check(message: dict) -> None:
    CHECKS[message["t"]](message)


FIELDS = {"sq": ("qid", "stream", "end"), "bq": ("qid", "cids"), "su": ("gid", "stream", "tip", "blocks"),
          "ar": ("stream", "tip")}


def known(message: dict) -> dict:
    """What of a flooded frame (sq, bq, su, ar) is passed on: its type and the fields it is checked
    for. Unknown fields are tolerated (a newer peer may add some) but not carried: a peer padding
    its frames to the byte limit must not make every node forward the padding."""
    return {"t": message["t"], **{name: message[name] for name in FIELDS[message["t"]] if name in message}}


# What a frame costs its sender's work budget (fakenet.node.stream_network: WORK_RATE units a
# second), by what handling it makes the node do, measured with process_time and wall time on the
# receiving node (issue 24; the numbers are in tests/unit/test_frame_costs.py's docstring). One
# unit is about a frame's own handling: an `sq` for a stream the node does not hold, ~1 ms.
# A CID a `bq` asks for is parsed and looked up in the pin store (up to three SQLite reads off the
# event loop): a max-size fetch of unknown CIDs was 43 ms of CPU while the node printed each CID it
# passed on again, and is 10 ms now it passes on the peer's own text (test_frame_costs). So a CID is
# LOOKUP units: at one, a max-size fetch already costs 25 times the handling an `sq` unit stands
# for. Four units a CID (tried) made an honest first load of a 1,101-commit stream 3x slower (7 s
# -> 22 s, its fetches paced at PACE) to guard against 30 ms of reads a second.
LOOKUP = 1
# Frames that carry blocks (br, su) are bytes to decrypt, decode and hex-decode: a unit per
# HEX_PER_UNIT hex digits on top of the unit per block (a 1 MiB `br` of two blocks was 3 units).
HEX_PER_UNIT = 16 * 1024


def cost(message: dict) -> int:
    """Work units a frame may cause: one, plus LOOKUP per CID a fetch asks for, one per block and
    per HEX_PER_UNIT hex digits of blocks carried, one per log entry an answer lists."""
    blocks = message.get("blocks") or {}
    hex_digits = sum(len(data) for data in blocks.values()) if isinstance(blocks, dict) else 0
    return (1 + LOOKUP * len(message.get("cids") or ()) + len(blocks) + hex_digits // HEX_PER_UNIT
            + len(message.get("log") or ()))

