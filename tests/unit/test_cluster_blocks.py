"""Block items of the cluster: keys for any CID, UnixFS files as `ipfs add` builds them, DAG pins."""

import asyncio

import pytest
from multiformats import CID

from fakenet.node.cluster import blocks, items, unixfs
from fakenet.node.streams import PinStore

HELLO = b"hello world\n"


@pytest.mark.parametrize("given, want", [
    ("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"),
    ("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA",
     "bafkreidon73zkcrwdb5iafqtijxildoonbwnpv7dyd6ef3qdgads2jc4su"),
])
def test_cids_keep_their_version_and_print_as_ipfs_cluster_prints_them(given, want):
    assert items.canonical(given) == want
    assert items.block_cid(want).version == 1


@pytest.mark.parametrize("bad", ["", "QmNotACid", "/ipfs/x", "k2t6"])
def test_anything_else_is_a_value_error(bad):
    with pytest.raises(ValueError, match="neither a CID nor a stream id"):
        items.canonical(bad)


@pytest.mark.parametrize("data, version, want", [
    (HELLO, 0, "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"),  # `echo "hello world" | ipfs add`
    (b"", 0, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),  # the empty file
    (HELLO, 1, "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"),  # --cid-version 1: a raw leaf
])
def test_one_chunk_files_get_kubos_cids(data, version, want):
    assert str(unixfs.build(data, version).root) == want


def test_a_file_of_several_chunks_links_its_leaves_in_order():
    data = bytes(range(256)) * 1200  # 300 KiB: two chunks
    dag = unixfs.build(data)
    root = dag.root.set(version=1, base="base32")
    children = unixfs.links(dag.blocks[root])
    assert len(children) == 2 and set(children) | {root} == set(dag.blocks)


def test_files_too_big_for_one_level_are_refused():
    with pytest.raises(ValueError, match="largest"):
        unixfs.build(bytes(unixfs.CHUNK * unixfs.MAX_LINKS + 1))


class Network:
    """Peers holding some blocks, as StreamNetwork.fetch answers: (blocks found, how the search went)."""

    def __init__(self, held):
        self.held = held

    async def fetch(self, cids):
        return {cid: self.held[cid] for cid in cids if cid in self.held}, None


def test_a_dag_missing_here_is_fetched_from_peers_pinned_whole_and_unpinned_whole(tmp_path):
    dag = unixfs.build(bytes(range(256)) * 1200)
    root = items.block_cid(str(dag.root))
    with PinStore(tmp_path / "state.sqlite") as pins:
        assert asyncio.run(blocks.pin(pins, Network(dag.blocks), root, 1.0)) == 3
        assert set(pins.pinned_blocks()) == set(dag.blocks)
        assert blocks.unpin(pins, root) and pins.pinned_blocks() == []


def test_a_block_nobody_has_or_a_peer_forged_is_unavailable(tmp_path):
    cid = CID.decode("bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")
    with PinStore(tmp_path / "state.sqlite") as pins:
        with pytest.raises(blocks.BlockUnavailable, match="not found"):
            asyncio.run(blocks.pin(pins, Network({}), cid, 0.1))
        with pytest.raises(blocks.BlockUnavailable, match="does not match"):
            asyncio.run(blocks.pin(pins, Network({cid: b"forged"}), cid, 0.1))
