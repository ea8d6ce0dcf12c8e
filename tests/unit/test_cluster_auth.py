"""S2: only members (holders of the cluster secret) change the pinset or count as live peers."""

import asyncio
from types import SimpleNamespace

from fakenet.node.cluster.auth import ClusterSecret
from fakenet.node.cluster.gossip import ClusterGossip
from fakenet.node.cluster.pinset import Pinset

MEMBERS = ClusterSecret.derive("s3cret", None, "fakenet")
STREAM = "kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s"


class FakeSwarm:
    def __init__(self):
        self.handlers, self.on_connect, self.sent = {}, [], []

    def handle(self, message_type, handler):
        self.handlers[message_type] = handler

    async def broadcast(self, message, exclude=None):
        self.sent.append(message)


class FakeCluster:
    peer_id = "me"

    def __init__(self):
        self.pinset, self.beats, self.recovered = Pinset(), [], []

    def receive_entries(self, entries):
        return self.pinset.merge_all(entries)

    async def receive_beat(self, beat, conn):
        self.beats.append(beat)

    def receive_recover(self, stream_id):
        self.recovered.append(stream_id)


def write(gid="g1", removed=False):
    entry = {"stream_id": STREAM, "rmin": -1, "rmax": -1, "name": "x", "added_at": 1.0, "clock": 5,
             "origin": "12D3KooWattacker", "removed": removed, "allocations": []}
    return {"t": "cp", "gid": gid, "entry": entry, "hops": 8}


def deliver(secret, *messages):
    swarm, cluster = FakeSwarm(), FakeCluster()
    ClusterGossip(swarm, cluster, secret)
    conn = SimpleNamespace(id=1, name="stranger", peer_id="12D3KooWattacker")

    async def run():
        for message in messages:
            await swarm.handlers[message["t"]](conn, message)

    asyncio.run(run())
    return cluster, swarm


def test_a_write_sealed_by_a_member_is_merged_and_forwarded_with_its_mac():
    cluster, swarm = deliver(MEMBERS, MEMBERS.seal(write()))
    assert cluster.pinset.get(STREAM) is not None
    assert swarm.sent and MEMBERS.opens(swarm.sent[0]) and swarm.sent[0]["hops"] == 7


def test_writes_state_and_recover_from_a_non_member_change_nothing():
    outsider = ClusterSecret.derive("guess", None, "fakenet")
    state = {"t": "cs", "entries": [write()["entry"]]}
    recover = {"t": "cr", "gid": "r1", "stream": None, "hops": 8}
    cluster, swarm = deliver(MEMBERS, write(), outsider.seal(write("g2")), state, outsider.seal(state), recover,
                             {**MEMBERS.seal(write("g3")), "entry": {**write()["entry"], "removed": True}})
    assert cluster.pinset.entries() == [] and cluster.recovered == [] and swarm.sent == []


def test_the_secret_comes_from_configuration_then_the_swarm_key_then_the_network_name():
    assert ClusterSecret.derive("x", b"k" * 32, "net").source == "configured"
    assert ClusterSecret.derive(None, b"k" * 32, "net").source == "swarm key"
    fallback = ClusterSecret.derive(None, None, "net")
    assert fallback.guessable and fallback.key == ClusterSecret.derive(None, None, "net").key
    assert ClusterSecret.derive(None, b"k" * 32, "net").key != ClusterSecret.derive(None, b"j" * 32, "net").key


def test_a_message_that_is_not_plain_json_never_opens():
    assert not MEMBERS.opens({"t": "cp", "mac": "00", "x": float("nan")})
    assert not MEMBERS.opens({"t": "cp", "mac": "é"})
    assert not MEMBERS.opens({"t": "cp", "mac": 5})


class CountingSecret:
    """The members' secret, counting the MACs checked."""

    def __init__(self, secret):
        self.secret, self.checked = secret, 0

    def seal(self, message):
        return self.secret.seal(message)

    def opens(self, message):
        self.checked += 1
        return self.secret.opens(message)


def test_another_copy_of_a_flood_is_neither_checked_nor_handled_again():
    counting = CountingSecret(MEMBERS)
    sealed = MEMBERS.seal(write())
    cluster, swarm = deliver(counting, sealed, sealed, {**sealed, "hops": 3})
    assert cluster.pinset.get(STREAM) is not None
    assert counting.checked == 1 and len(swarm.sent) == 1, (counting.checked, swarm.sent)


def test_a_strangers_message_with_a_members_gid_does_not_keep_the_members_out():
    """Only a message that opened marks its gid as seen: one that did not cannot shadow the real one."""
    outsider = ClusterSecret.derive("guess", None, "fakenet")
    cluster, swarm = deliver(MEMBERS, outsider.seal(write("g1", removed=True)), write("g1", removed=True),
                             MEMBERS.seal(write("g1")))
    assert cluster.pinset.get(STREAM) is not None and len(swarm.sent) == 1
