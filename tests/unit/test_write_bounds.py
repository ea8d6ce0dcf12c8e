"""The harness's bound of what a write costs a node's byte-limited cache (harness/write_bounds.py)
holds over the blocks the node really makes: built here with the node's own commit code (a test may
import both; the harness may not) and counted as its cache counts them."""

import random

import pytest

from fakenet.harness.write_bounds import create_bound, update_bound
from fakenet.node.streams import commits, state as states
from fakenet.node.streams.cache import entry_bytes
from fakenet.node.streams.keys import ControllerKey

KEY = ControllerKey.generate()
LONG = "k" * 200


def node_bytes(versions: list) -> int:
    """entry_bytes of a stream created with versions[0] and updated to each later one."""
    cid, data = commits.make_genesis(KEY, versions[0])
    blocks, stream = {cid: data}, states.apply_genesis(cid, data, local=True)
    for content in versions[1:]:
        cid, data = commits.make_update(KEY, stream, content)
        blocks[cid] = data
        stream = states.apply_commit(stream, cid, data, local=True)
    return entry_bytes(blocks)


def harness_bound(versions: list) -> int:
    return create_bound(versions[0]) + sum(update_bound(old, new) for old, new in zip(versions, versions[1:]))


def random_json(rng: random.Random, depth: int = 0):
    kind = rng.choice(["int", "float", "str", "list", "dict", "bool"] if depth < 4 else ["int", "float", "str"])
    if kind == "int":
        return rng.randint(-10**6, 10**6)
    if kind == "float":
        return rng.random()
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "str":
        return "".join(rng.choice("ab/~é\"") for _ in range(rng.randint(0, 30)))
    if kind == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 8))]
    return {"".join(rng.choice("xy/~") for _ in range(rng.randint(1, 12))): random_json(rng, depth + 1)
            for _ in range(rng.randint(0, 6))}


@pytest.mark.parametrize("versions", [
    [{"title": "hello"}],
    [{LONG: [0] * 2000}, {LONG: [1] * 2000}, {LONG: [0] * 2000}],  # a patch of 2,000 long paths
    [{"a": [0.5] * 3000}],  # floats: 9 bytes of dag-cbor each
    [{"a": list(range(500))}, {"a": list(range(500))[::-1]}],  # reordered: moves
    [{"n": {"deep": {"er": {"still": ["x"] * 300}}}}, {}, {"n": {"deep": {"er": {"still": ["y"] * 300}}}}],
], ids=["small", "long-paths", "floats", "reversed", "emptied"])
def test_the_bound_covers_the_nodes_blocks(versions):
    assert node_bytes(versions) <= harness_bound(versions)


def test_the_bound_covers_random_histories():
    rng = random.Random(7)
    for _ in range(60):
        versions = [random_json(rng) for _ in range(rng.randint(1, 4))]
        versions = [v if isinstance(v, dict) else {"v": v} for v in versions]
        assert node_bytes(versions) <= harness_bound(versions), versions
