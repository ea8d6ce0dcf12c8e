"""A stream longer than one answer's window (stream_frames.MAX_LOG commits) loads from the network
on node processes, and the holder that answers is not dropped for it."""

from fakenet.harness.waits import wait_for
from fakenet.node import stream_frames
from support import local_nodes as local

UPDATES = stream_frames.MAX_LOG + 76  # 1,101 commits with the genesis: past one window


def drops(node) -> list[str]:
    """The links `node` has seen end (a peer dropped as malformed or over budget ends with that reason)."""
    return [line for line in node.logs(tail=1_000_000) if "event=peer_disconnected" in line]


def test_a_stream_longer_than_one_answer_loads_across_a_relay_and_the_holder_stays_connected(tmp_path, start_nodes):
    """Before: the holder's answer listed all 1,101 commits, over MAX_LOG and sr's byte limit; the
    relay dropped the honest holder as malformed and the load failed."""
    # The loader replays and verifies 1,101 commits on its event loop (about 1 CPU-s, several on a
    # loaded machine), silent to its relay meanwhile: this test is about the walk, not liveness, so
    # the relay waits longer than the default 5 s before it calls the loader dead.
    writer, relay, loader = nodes = start_nodes(local.line(tmp_path, ["writer", "relay", "loader"],
                                                           {"peer_timeout": 20}))
    stream_id = writer.rpc.createstream({"n": 0})["streamId"]
    # Written cut off, so 1,100 updates do not each gossip a megabyte of blocks to nodes without the stream.
    writer.rpc.setlinkfilter([relay.name])
    relay.rpc.setlinkfilter([writer.name])
    wait_for(writer.rpc.getconnectioncount, lambda n: n == 0, timeout=15,
             expected="the writer cut off from the relay", logs=writer.logs)
    for n in range(1, UPDATES + 1):
        written = writer.rpc.updatestream(stream_id, {"n": n})
    assert len(written["state"]["log"]) == UPDATES + 1
    for node in (writer, relay):
        node.rpc.setlinkfilter([])
    wait_for(relay.rpc.getconnectioncount, lambda n: n == 2, timeout=15,
             expected="the relay connected to the writer and the loader again", logs=relay.logs)
    before = {node.name: drops(node) for node in nodes}

    loaded = loader.rpc.loadstream(stream_id)["state"]

    assert loaded["content"] == {"n": UPDATES}
    assert loaded["log"] == written["state"]["log"], "the loader holds the writer's whole log"
    after = {node.name: drops(node) for node in nodes}
    assert after == before, f"links dropped during the load: {[a[len(before[n]):] for n, a in after.items()]}"
    assert [node.rpc.getconnectioncount() for node in nodes] == [1, 2, 1]
