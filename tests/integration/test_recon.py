"""Issue 26, item 3: Recon on real node processes. Events posted to one node's /ceramic/events
reach the feed of every node interested in their Model, never a node that is not, and a node cut
off while they were written catches up once its links are back.
"""

import requests

from support import local_nodes as local
from fakenet.harness.waits import wait_for
from support.ceramic_models import definition, mid_genesis, model_genesis
from support.ceramic_events import ALICE, create_on_7007, one, post_event

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
