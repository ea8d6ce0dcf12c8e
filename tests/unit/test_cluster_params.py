"""What clients may ask: replication factors and stream ids, and `cli clusterpin`'s calls."""

import pytest

from fakenet.node.cluster import ctl, params
from fakenet.node.streams import ControllerKey, apply_genesis, make_genesis


def stream_ids(count: int) -> list[str]:
    key = ControllerKey.from_seed(bytes(32))
    genesis = (make_genesis(key, {"n": n}, unique=n.to_bytes(12, "big")) for n in range(count))
    return [apply_genesis(cid, data, local=True).stream_id.encode() for cid, data in genesis]


IDS = stream_ids(6)


@pytest.mark.parametrize("given, want", [((None, None), (-1, -1)), ((2, None), (2, 2)), ((None, 3), (3, 3)),
                                         (("1", "3"), (1, 3)), ((-1, -1), (-1, -1)), ((2.0, 2), (2, 2))])
def test_factors(given, want):
    assert params.factors(*given) == want


@pytest.mark.parametrize("given", [(3, 2), (0, 1), (True, 2), ("two", 2), (1.5, 2)])
def test_bad_factors(given):
    with pytest.raises(ValueError):
        params.factors(*given)


def test_stream_ids_are_made_canonical_and_garbage_is_a_value_error():
    assert params.stream_id(IDS[0]) == IDS[0]
    with pytest.raises(ValueError, match="base36"):
        params.stream_id("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")


@pytest.mark.parametrize("argv, want", [
    (["add", IDS[0], "--rmin", "2", "--rmax", "3"], ("clusterpinadd", [f"streamid={IDS[0]}", "rmin=2", "rmax=3"])),
    (["add", IDS[0]], ("clusterpinadd", [f"streamid={IDS[0]}"])),
    (["rm", IDS[0]], ("clusterpinrm", [f"streamid={IDS[0]}"])),
    (["ls"], ("clusterpinls", [])),
    (["status", IDS[0]], ("clusterpinstatus", [f"streamid={IDS[0]}"])),
    (["recover"], ("clusterrecover", [])),
    (["peers"], ("clusterpeers", [])),
])
def test_clusterpin_subcommands_make_one_rpc_call(argv, want):
    calls = []
    assert ctl.main(argv, lambda method, args: calls.append((method, args)) or 0) == 0
    assert calls == [want]
