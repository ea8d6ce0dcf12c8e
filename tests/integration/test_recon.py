"""Issue 26, item 3: Recon on real node processes. Events posted to one node's /ceramic/events
reach the feed of every node interested in their Model, never a node that is not, and a node cut
off while they were written catches up once its links are back. Issue 24: a peer flooding Recon
frames is cut off by its work budget while the node keeps answering.
"""

import asyncio
import contextlib
import json
import os
import re

import requests
from multiformats import multibase

from support import local_nodes as local
from fakenet.fuzz.peer import RoguePeer
from fakenet.harness.waits import wait_for
from fakenet.node.ceramic_one import event_id, ranges
from fakenet.node.ceramic_one.recon import MAX_RANGES
from fakenet.node.settings import SWARM_PORT
from fakenet.node.streams import StreamID, jose
from fakenet.node.streams.model_stream import META_MODEL
from support.ceramic_models import definition, mid_genesis, mid_update, model_genesis
from support.ceramic_events import ALICE, car, create_on_7007, one, post_event

FLOOD = 5_000  # rcr frames the rogue sends at most
SYNC_BOUND = 30  # seconds; README: an interested node holds an event within this of being connected


def feed_cids(node) -> set[str]:
    found, resume = set(), "0"
    while True:
        page = requests.get(f"{one(node)}/ceramic/feed/events", params={"resumeAt": resume, "limit": 1000},
                            timeout=10).json()
        found |= {event["id"] for event in page["events"]}
        if page["resumeToken"] == resume:
            return found
        resume = page["resumeToken"]


def interest(node, model: str) -> None:
    answer = requests.post(f"{one(node)}/ceramic/interests/model/{model}", json={}, timeout=10)
    assert answer.status_code == 204, answer.text


def post_notes(writer, model: str, count: int, first: int = 0) -> set[str]:
    commits = [mid_genesis(ALICE, model, {"title": str(n)}, unique=n.to_bytes(12, "big"))
               for n in range(first, first + count)]
    for commit in commits:
        post_event(writer, commit)
    return {str(cid) for cid, _ in commits}


def wait_synced(nodes, posted: set[str], why: str) -> None:
    for node in nodes:
        wait_for(lambda node=node: feed_cids(node), lambda seen: posted <= seen, timeout=SYNC_BOUND,
                 expected=f"{node.name}'s feed to hold all {len(posted)} events posted ({why})",
                 logs=lambda node=node: node.logs())


def test_events_reach_every_interested_node_and_no_other(tmp_path, start_nodes):
    writer, reader, bystander = start_nodes(local.full_mesh(tmp_path, 3))
    model = create_on_7007(writer, 2, model_genesis(ALICE, definition()))["streamId"]
    for node in (writer, reader):
        interest(node, model)
    posted = post_notes(writer, model, 20)
    wait_synced([reader], posted, "the reader shares the writer's interest")
    assert not posted & feed_cids(bystander), "a node with no interest in the model took its events"
    metrics = requests.get(f"{one(reader)}/metrics", timeout=10).text
    assert f'ceramic_recon_value_insert_count_total{{peer="{writer.name}"}}' in metrics, metrics


def anchored_creations(node) -> tuple[int, int]:
    """(streams created here that requested an anchor, those that did not), from the node's log."""
    created = [line for line in node.log_path.read_text().splitlines() if "event=stream_created" in line]
    return sum("anchor=True" in line for line in created), sum("anchor=False" in line for line in created)


def event_data(node, cid: str) -> str | None:
    answer = requests.get(f"{one(node)}/ceramic/events/{cid}", timeout=10)
    assert answer.status_code == 200, f"{node.name} lost event {cid}: {answer.status_code} {answer.text}"
    return answer.json().get("data")


def test_events_outlive_the_stream_cache_and_only_their_writer_anchors_them(tmp_path, start_nodes):
    """Issue 26: an acknowledged event is kept by the feed, not by the stream cache (5 streams
    here, 20 MIDs written), so it is served, and synced to a peer that registers its interest
    later, after eviction and after a restart. A peer that syncs an event requests no anchor."""
    writer, reader = start_nodes(local.full_mesh(tmp_path, 2, settings={"cache_limit": 5}))
    pinned_model = {"type": 2, "genesis": jose.to_wire(*model_genesis(ALICE, definition())), "opts": {"pin": True}}
    model = requests.post(f"{writer.api_url}/api/v0/streams", json=pinned_model, timeout=30).json()["streamId"]
    interest(writer, model)
    commits = [mid_genesis(ALICE, model, {"title": str(n)}, unique=n.to_bytes(12, "big")) for n in range(20)]
    for commit in commits:
        post_event(writer, commit)
    posted = {str(cid) for cid, _ in commits}
    first = str(commits[0][0])
    assert event_data(writer, first) == car(*commits[0]), "the first event's data is gone with its stream"
    interest(reader, model)
    wait_synced([reader], posted, "the reader registered its interest after the writer's cache evicted them")
    assert anchored_creations(writer) == (len(commits) + 1, 0), "the writer anchors what was written to it"
    assert anchored_creations(reader)[0] == 0, "the reader requested anchors for events it only synced"
    writer.stop()
    writer.start()
    writer.wait_ready()
    assert event_data(writer, first) == car(*commits[0]), "the first event's data did not survive a restart"


def test_an_interest_in_the_meta_model_syncs_every_model(tmp_path, start_nodes):
    """ceramic-one indexes Models by an interest in the meta-model (it has no genesis: no
    loadable stream id); the node refused it with a 400 about a genesis CID."""
    writer, reader = start_nodes(local.full_mesh(tmp_path, 2))
    for node in (writer, reader):
        interest(node, META_MODEL)
    models = [model_genesis(ALICE, definition(name=f"Note{n}")) for n in range(3)]
    for commit in models:
        post_event(writer, commit)
    wait_synced([reader], {str(cid) for cid, _ in models}, "both are interested in every Model")


def stream_content(node, stream: str) -> dict:
    """A stream's content as GET /ceramic/streams/{id} gives it (base64url JSON of metadata and content)."""
    answer = requests.get(f"{one(node)}/ceramic/streams/{stream}", timeout=30)
    assert answer.status_code == 200, f"{node.name} has no state of {stream}: {answer.status_code} {answer.text}"
    return json.loads(multibase.decode(answer.json()["data"]))["content"]


def test_an_update_of_a_stream_the_cache_evicted_is_taken_and_synced(tmp_path, start_nodes):
    """Issue 26: 20 MIDs on nodes whose stream cache holds 5. An update of the first is taken by
    its writer (its state rebuilt from the events the feed holds), reaches the interested reader
    by Recon (which had evicted it too), and both serve the updated state; a MID neither node
    holds any more is served from its events as well."""
    writer, reader = start_nodes(local.full_mesh(tmp_path, 2, settings={"cache_limit": 5}))
    model = create_on_7007(writer, 2, model_genesis(ALICE, definition()))["streamId"]
    for node in (writer, reader):
        interest(node, model)
    commits = [mid_genesis(ALICE, model, {"title": str(n)}, unique=n.to_bytes(12, "big")) for n in range(20)]
    for commit in commits:
        post_event(writer, commit)
    wait_synced([reader], {str(cid) for cid, _ in commits}, "the reader shares the writer's interest")
    first, second = (StreamID(3, cid).encode() for cid, _ in commits[:2])
    update = mid_update(ALICE, commits[0][0], commits[0][0], [{"op": "replace", "path": "/title", "value": "updated"}])
    post_event(writer, update)
    wait_synced([reader], {str(update[0])}, "posted after both nodes evicted the first MID")
    for node in (writer, reader):
        assert stream_content(node, first) == {"title": "updated"}, f"{node.name} serves the first MID unchanged"
        assert stream_content(node, second) == {"title": "1"}, f"{node.name} lost an evicted MID's state"


def test_a_node_cut_off_during_the_writes_catches_up_after_heal(tmp_path, start_nodes):
    writer, relay, cut = start_nodes(local.full_mesh(tmp_path, 3))
    model = create_on_7007(writer, 2, model_genesis(ALICE, definition()))["streamId"]
    for node in (writer, relay, cut):
        interest(node, model)
    before = post_notes(writer, model, 5)
    wait_synced([relay, cut], before, "all three connected")
    cut.rpc.setlinkfilter([writer.name, relay.name])
    for node in (writer, relay):
        node.rpc.setlinkfilter([cut.name])
    during = post_notes(writer, model, 30, first=5)
    wait_synced([relay], during, "the relay is still connected to the writer")
    assert not during & feed_cids(cut), "the cut-off node got events through a partition"
    for node in (writer, relay, cut):
        node.rpc.setlinkfilter([])
    wait_synced([cut], before | during, "the partition healed")


def range_flood(model: str) -> dict:
    """An rcr frame of MAX_RANGES ranges over the model's interest, every print wrong: each range
    costs the node a read of its keys, their hashes and an answer listing them."""
    prefix = event_id.interest_prefix(event_id.local_network_id("fakenet"), "model", StreamID.parse(model).to_bytes())
    lo, hi = ranges.interest_range(prefix)
    bounds = [lo, *sorted(prefix + os.urandom(40) for _ in range(MAX_RANGES - 1)), hi]
    return {"t": "rcr", "i": prefix.hex(), "r": [[x.hex(), y.hex(), 1, "11" * 32] for x, y in zip(bounds, bounds[1:])]}


def test_a_peer_flooding_recon_frames_is_cut_off_and_the_node_keeps_answering(tmp_path, start_nodes):
    (node,) = start_nodes(local.full_mesh(tmp_path, 1), wait_peers=False)
    model = create_on_7007(node, 2, model_genesis(ALICE, definition()))["streamId"]
    interest(node, model)
    post_notes(node, model, 40)
    frame = range_flood(model)

    async def until_closed(rogue) -> bool:
        """Reads what the node answers until it closes the link (EOF, or a reset over unread data)."""
        with contextlib.suppress(ConnectionError):
            await rogue.reader.read()
        return True

    async def flood():
        rogue = await RoguePeer.connect(node.ip, SWARM_PORT)
        closed = asyncio.ensure_future(until_closed(rogue))
        answered = None
        with contextlib.suppress(ConnectionError):
            for sent in range(FLOOD):
                await rogue.send(frame)
                if sent == 50:  # asked mid-flood: the node must answer while the frames pour in
                    answered = asyncio.ensure_future(asyncio.to_thread(node.rpc.call, "getblockcount", timeout=1.0))
                if closed.done():
                    break
        return await answered, await asyncio.wait_for(closed, 30)

    answered, closed = asyncio.run(flood())
    assert answered is not None and closed, "the node answers within 1 s and the link ends"
    metrics = requests.get(f"{one(node)}/metrics", timeout=10).text
    handled = int(re.search(r'received_count_total\{peer="mallory",message_type="rcr"\} (\d+)', metrics)[1])
    assert 'ceramic_recon_peer_over_budget_count_total{peer="mallory"}' in metrics and handled < FLOOD, (
        f"the flooder was not cut off by its work budget: {handled} of {FLOOD} frames handled\n{metrics}")
