"""What one write through the harness can cost a fakenet node's byte-limited stream cache, from the
harness's own record of the content (never from the node, nor from its code): an upper bound.

The node counts a cached stream as twice its commit blocks' bytes (the blocks, and the state decoded
from them; README, "Node settings"). A genesis block holds the content; an update's holds a JSON
Patch from the old content to the new, whose ops each carry a full JSON Pointer path (a "move" or
"copy" a second one, "from"), so an update of a long-keyed array can cost far more than either
content: `{"k"*200: [0]*2000}` to `[1]*2000` is 2,000 ops of 200-byte paths. The bound therefore
counts an op at every node of both trees, each with two paths as long as the node's pointer, plus the
new content once for the ops' values; dag-cbor writes a path as its bytes and a 9-byte header at
most, and a value in at most 5× its JSON (9 bytes for a float that JSON writes in 4, as "1.5,"); each
write may bring an envelope, an anchor commit and its proof path (8 KiB). tests/unit/test_write_bounds.py
builds the node's real blocks and checks the bound holds over them.
"""

from __future__ import annotations

import json

CBOR_FACTOR, WRITE_OVERHEAD, DECODED = 5, 8 * 1024, 2
OP_KEYS = 48  # {"op": "replace", "path": …, "from": …, "value": …} in dag-cbor, less the paths and the value
TEXT_HEADER = 9  # dag-cbor's longest header of a text string


def json_length(content) -> int:
    """The bytes of content's JSON (ASCII-escaped: never shorter than its UTF-8)."""
    return len(json.dumps(content))


def create_bound(content) -> int:
    return DECODED * (CBOR_FACTOR * json_length(content) + WRITE_OVERHEAD)


def update_bound(old, new) -> int:
    values = CBOR_FACTOR * json_length(new)  # the ops' values: parts of the new content
    return DECODED * (values + _ops(old) + _ops(new) + WRITE_OVERHEAD)


def _ops(content) -> int:
    """An op at every node of the tree, each with its JSON Pointer twice (path and from)."""
    total, stack = 0, [(content, 0)]
    while stack:  # by hand, not recursion: a deeply nested content must not hit the recursion limit
        value, pointer = stack.pop()
        total += OP_KEYS + 2 * (pointer + TEXT_HEADER)
        if isinstance(value, dict):
            stack.extend((child, pointer + 1 + _escaped(key)) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, pointer + 1 + len(str(index))) for index, child in enumerate(value))
    return total


def _escaped(key) -> int:
    """A key's bytes in a JSON Pointer (RFC 6901: "~" is "~0", "/" is "~1")."""
    return len(str(key).replace("~", "~0").replace("/", "~1").encode())
