"""stream_frames.cost: what a frame is charged against what handling it makes a node do (issue 24).

Measured on the receiving node (a real StreamService over a SQLite pin store holding a pinned
1,101-commit stream; a StreamNetwork with a link on to a third node), one frame of each type at its
limits, time.process_time (all threads) and wall time, best of 3, on the shared 2-core machine
under load (2026-12-06):

    frame                                   before  after  CPU ms  wall ms
    bq 256 unknown CIDs                       257    257    42.9     68.6   (201 in another run)
      the same, not printing the CIDs passed on 257    257    10.2     10.5   (now)
    bq 256 CIDs the node holds                257    257     4.7     18.8
    sq, stream held (1,101 commits)             1      1     6.1      6.2   the pinned stream read whole;
                                                         3.6      3.6   now its state row alone (find_state)
    sq end, a page of it                        1      1     5.7     20.7
    sq, stream not held                         1      1     0.7      6.7
    sr unsolicited, 1,024 log entries        1025   1025     0.2      0.2   dropped: no such search
    br unsolicited, 1 MB (2 blocks)             3     64     0.8      4.9
    su held stream, 1,024 blocks (960 KB)    1025   1079     5.9     16.4
    su held stream, an older tip, no blocks     1      1     4.0      4.0   was 494.5 (587.8 first): now a lookup
    su held stream, 1 new commit on the tip     2      2    13.4     14.5   was 515.3: checks the new commit only
    su held stream, 1 bad commit on the tip     2      2     4.7      4.8   was 487.7: refused on its own check
    su held stream, a losing fork (1 commit)    2      2     5.0      5.0   was 524.0: the conflict rules say no
                                                                          before any replay
    su unknown stream, 1,024 blocks (886 KB) 1025   1075    19.2     40.7
    qd, qa                                      1      1     0.1      0.1
    ar, stream not held                         1      1     0.7      2.4

An `su` for a held stream used to make the holder replay its whole log from genesis (an older
tip, one bad commit on top of the tip, an honest update alike): 1 unit for ~0.5-0.6 s of CPU on a
1,101-commit log. Now (issue 24, stream_service.receive_update and streams.state.gossip_steps) a
tip the held log has is ignored, an extension applies only its new commits to the held state, and
a fork is checked on its own commits (signatures, links, anchor proofs) and replayed only if the
conflict rules would keep it, which a fork of forged commits never is (and then from the state
this node held at the fork point, if it is among the last StreamService EARLIER_MEMORY it left). The su rows' "was" figures
are the old replay planted back, measured by the same benchmarks/frame_work.py (2026-12-06,
process_time, best of 3). What is left is linear in the log with a small constant: a pinned stream not in the cache is
read from the pin store (~4 ms for 1,101 commits; an `sq` or `ar` reads only the state row, whose
log is still parsed: 13.9 ms of CPU for state and commits against 3.7 ms for the state, best of
15, /tmp script beside frame_work.py), and an accepted update writes its state (~9 ms).

A unit is about one frame's own handling (an `sq` the node cannot answer). What a `bq` costs is
the part that grew: its CIDs are each up to three reads of the pin store, behind one lock,
at every node the fetch reaches.
"""

from fakenet.node import stream_frames
from fakenet.node.stream_network import PACE, WORK_BURST, WORK_RATE


def test_a_fetch_costs_at_least_a_unit_per_cid_and_fits_an_honest_pace():
    """A max-size fetch is ~10 ms of CPU (the table): at a unit a CID a peer at its budget causes
    at most ~40 ms of lookups a second per node."""
    fetch = {"t": "bq", "qid": "q", "cids": ["c"] * stream_frames.MAX_CIDS}
    assert stream_frames.cost(fetch) > stream_frames.MAX_CIDS, "every CID a fetch asks for is charged"
    assert stream_frames.cost(fetch) <= WORK_BURST * PACE * 1.1, \
        "an honest node's own fetch of MAX_CIDS fits about its pace's burst"


def test_frames_carrying_blocks_are_charged_by_their_bytes():
    few_large = {"t": "br", "qid": "q", "blocks": {"a": "0" * (BYTES := 500_000), "b": "0" * BYTES}}
    assert stream_frames.cost(few_large) >= 2 * BYTES // stream_frames.HEX_PER_UNIT
    assert stream_frames.cost({"t": "br", "qid": "q", "blocks": {}}) == 1


def test_a_walk_back_of_a_1101_commit_log_is_paced_within_a_load_timeout():
    """The long-stream load fetches every commit once: paced at PACE of WORK_RATE, it waits
    seconds, not the minutes a load may take (stream_service's walk back)."""
    units = sum(stream_frames.cost({"t": "bq", "cids": range(n)}) + 1
                for n in (stream_frames.MAX_CIDS,) * 4 + (1_101 - 4 * stream_frames.MAX_CIDS,))
    waited = max(0.0, units - WORK_BURST * PACE) / (WORK_RATE * PACE)
    assert waited < 20, f"{units} units of fetches wait {waited:.1f}s at the pace"
