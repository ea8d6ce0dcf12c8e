"""fakenet.node.relay_budget: what a node passes on for its peers, and the replies it asked for."""

from types import SimpleNamespace

from fakenet.node import clock, stream_frames
from fakenet.node.relay_budget import ALIVE_FREE, Relay, Solicited


def link(conn_id):
    return SimpleNamespace(id=conn_id)


def test_a_source_gets_its_share_and_a_link_its_cap_whatever_the_sources_send(monkeypatch):
    monkeypatch.setattr(clock, "monotonic", lambda: 100.0)  # no refill: bursts only
    relay = Relay(link_rate=1, link_burst=10, share_rate=1, share_burst=6)
    rogue, honest, out = link(1), link(2), link(3)
    passed = [relay.onward(rogue, [rogue, honest, out], 1) for _ in range(8)]
    assert [len(links) for links, _ in passed] == [2] * 6 + [0] * 2, "the rogue's share is 6 units"
    assert passed[-1] == ([], 2), "what is not passed on counts every other link"
    honest_passed = [relay.onward(honest, [rogue, honest, out], 1)[0] for _ in range(6)]
    assert [out in links for links in honest_passed] == [True] * 4 + [False] * 2, "the link's cap is 10 units"


def test_replies_to_a_request_are_free_up_to_what_an_honest_peer_sends():
    solicited = Solicited(tips_per_link=2)
    solicited.asked("q", 7, {"t": "sq", "qid": "q", "stream": "s"})
    sr = {"t": "sr", "qid": "q", "stream": "s", "tip": "t", "log": ["c"] * 1024, "length": 1024}
    assert [solicited.take("q", 7, sr) for _ in range(3)] == [True, True, False], "TIPS_PER_LINK full answers"
    alive = {"t": "qa", "qid": "q"}
    assert [solicited.take("q", 7, alive) for _ in range(ALIVE_FREE + 1)] == [True] * ALIVE_FREE + [False]
    assert not solicited.take("q", 8, alive), "a link that was not asked"
    assert not solicited.take("other", 7, alive), "a search the link was not asked"
    done = {"t": "qd", "qid": "q", "nodes": 1, "lost": 0}
    assert solicited.take("q", 7, done) and not solicited.take("q", 7, done), "one done, then the search is closed"


def test_a_fetch_reply_carries_free_only_the_blocks_asked_for():
    solicited = Solicited(tips_per_link=8)
    solicited.asked("q", 7, {"t": "bq", "qid": "q", "cids": ["a", "b"]})
    assert solicited.asked_for("q", 7, {"a": "00", "z": "ff"}) == {"a": "00"}
    assert solicited.asked_for("q", 9, {"a": "00"}) == {}
    # Both blocks at their size limit, in one `br`: what an honest holder may send for two CIDs.
    full = {"t": "br", "qid": "q", "blocks": {"a": "0" * stream_frames.MAX_BLOCK_HEX, "b": "0" * stream_frames.MAX_BLOCK_HEX}}
    assert solicited.take("q", 7, full)
    assert not solicited.take("q", 7, full), "the free allowance for two blocks is spent"
