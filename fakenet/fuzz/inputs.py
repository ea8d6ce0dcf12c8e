"""Seeded generators of hostile input: JSON values, JSON-RPC bodies, swarm frames and messages.

Everything draws from one `random.Random`, so a seed replays the same inputs in the same order.
"""

from __future__ import annotations

import json
import random
import struct

SCALARS = (0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 0.5, -0.0, 1e308, "", "x", "é\u2028\x00", "/ip4/1/tcp/0",
           "12D3KooW", "kjzl6cwe1jw14", "bafyreib", True, False, None)
SPECIAL_NUMBERS = ("NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" * 400, "1" * 5000)
MESSAGE_TYPES = ("sq", "sr", "bq", "br", "su", "ar", "ch", "cp", "cs", "cr", "ping", "pong", "hello", "auth",
                 "blocks", "getblocks", "inv", "tip", "x")


def json_value(rng: random.Random, depth: int = 3):
    """A random JSON value; containers nest up to `depth`."""
    roll = rng.random()
    if depth <= 0 or roll < 0.5:
        return rng.choice(SCALARS) if rng.random() < 0.6 else _random_scalar(rng)
    if roll < 0.75:
        return [json_value(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(("a", "id", "t", "qid", "stream", "cids", "blocks", "tip", "entry", "x" * rng.randint(1, 9))):
            json_value(rng, depth - 1) for _ in range(rng.randint(0, 4))}


def _random_scalar(rng: random.Random):
    kind = rng.randrange(4)
    if kind == 0:
        return rng.randint(-(2**70), 2**70)
    if kind == 1:
        return rng.uniform(-1e6, 1e6)
    if kind == 2:
        return "".join(chr(rng.choice((rng.randint(0, 0x7f), rng.randint(0x80, 0x2fff)))) for _ in range(rng.randint(0, 12)))
    return rng.random() < 0.5


def nested(depth: int, opener: str = "[") -> str:
    closer = {"[": "]", "{": "}"}[opener]
    inner = '{"a":' if opener == "{" else "["
    return inner * depth + "1" + ("}" if opener == "{" else closer) * depth


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _with_special_numbers(rng: random.Random, text: str) -> str:
    """Swap a number in `text` for a token Python's json reads but JSON does not allow."""
    return text.replace("0", rng.choice(SPECIAL_NUMBERS), 1)


def rpc_request(rng: random.Random, methods: list[str]) -> dict:
    method = rng.choice(methods) if rng.random() < 0.9 else json_value(rng, 1)
    params = [json_value(rng, 2) for _ in range(rng.randint(0, 4))] if rng.random() < 0.8 else json_value(rng, 2)
    request = {"method": method, "params": params, "id": rng.choice((0, "x", None, [1], {"a": 1}, 1.5))}
    if rng.random() < 0.5:
        request["jsonrpc"] = rng.choice(("2.0", "1.0", 2, None))
    return request


def rpc_body(rng: random.Random, methods: list[str]) -> bytes:
    """One HTTP body for the JSON-RPC port: mostly requests, some batches, broken and hostile JSON."""
    roll = rng.random()
    if roll < 0.55:
        text = _dumps(rpc_request(rng, methods))
    elif roll < 0.7:
        text = _dumps([rpc_request(rng, methods) for _ in range(rng.randint(0, 20))])
    elif roll < 0.8:
        text = _with_special_numbers(rng, _dumps({**rpc_request(rng, methods), "id": 0}))
    elif roll < 0.87:
        text = nested(rng.choice((50, 1000, 100_000)), rng.choice("[{"))
    elif roll < 0.95:
        text = _dumps(rpc_request(rng, methods))[: rng.randint(0, 40)]
    else:
        return rng.randbytes(rng.randint(0, 64))
    return text.encode()


def swarm_message(rng: random.Random) -> dict:
    """A message object of a type the swarm knows, with fields of random shape."""
    message = {"t": rng.choice(MESSAGE_TYPES)}
    for field in rng.sample(("qid", "gid", "stream", "cids", "blocks", "tip", "log", "hops", "entry", "entries",
                             "origin", "seq", "boot", "report", "mac", "n"), rng.randint(0, 6)):
        message[field] = json_value(rng, 2)
    return message


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def swarm_bytes(rng: random.Random) -> bytes:
    """Bytes for an unauthenticated swarm connection: broken frames and broken hellos."""
    roll = rng.random()
    if roll < 0.25:
        return rng.randbytes(rng.randint(0, 64))
    if roll < 0.35:
        return struct.pack(">I", rng.choice((2**32 - 1, 4 * 1024 * 1024 + 1, 64 * 1024 + 1))) + b"{"
    if roll < 0.5:
        return frame(nested(rng.choice((100, 10_000, 60_000)), rng.choice("[{")).encode())
    hello = {"t": "hello", "proto": "fakenet/1", "peer_id": json_value(rng, 1), "name": json_value(rng, 1),
             "announce": json_value(rng, 1), "network": rng.choice(("fakenet", json_value(rng, 1))),
             "nonce": json_value(rng, 1), "psk": None, "height": json_value(rng, 1)}
    for key in rng.sample(sorted(hello), rng.randint(0, 2)):
        del hello[key]
    text = _dumps(hello)
    if rng.random() < 0.2:
        text = _with_special_numbers(rng, text)
    return frame(text.encode())
