"""Issue 27 item 9 on node processes: an honest but overloaded neighbour is waited for, while an
injected delay of a sync timeout or more still cuts the link for loads, exactly as the model says.

The overload is SIGSTOP/SIGCONT bursts of the middle node of a line: each pause outlasts the
sync timeout (so a node that waits only the sync timeout gives up on it) and, with the gap before
it, the peer timeout (so the connection would be closed), but is shorter than the bounds the node
grants once it has measured the lag (fakenet.node.lag).
"""

import signal
import threading
from contextlib import contextmanager

import pytest

from fakenet.errors import RpcError
from fakenet.harness.network import Network
from fakenet.harness.waits import wait_for

SYNC_TIMEOUT = 1.0
# Seconds the middle node is stopped, then runs, in turn: a period that is no multiple of the 1 s
# keepalive, so some ping is sent just as a pause begins and its round trip measures all of it.
# A pause plus the gap before it reaches the 3 s peer timeout tests use: without the stretch, the
# connection would be closed as dead.
PAUSE, RUN = 2.5, 0.7
MEASURED = 0.9 * PAUSE  # grants 1 + 2.25 s of silence to a load, 3 + 2.25 s to the connection
SETTINGS = {"sync_timeout": SYNC_TIMEOUT}
LOADS = 6


@contextmanager
def bursts(runtime):
    """Pause `runtime` for PAUSE seconds out of every PAUSE + RUN until the block ends; yields an
    Event set as each pause begins."""
    stop, paused = threading.Event(), threading.Event()

    def pulse():
        while not stop.is_set():
            runtime.process.signal(signal.SIGSTOP)
            paused.set()
            stop.wait(PAUSE)  # the pause itself is what this test applies, not a wait for a condition
            runtime.process.signal(signal.SIGCONT)
            stop.wait(RUN)

    thread = threading.Thread(target=pulse, daemon=True)
    thread.start()
    try:
        yield paused
    finally:
        stop.set()
        thread.join()
        runtime.process.signal(signal.SIGCONT)


def loads_in_pauses(net, node, streams, paused) -> list[str]:
    """Load each stream once at `node`, each as a pause of its neighbour begins; the errors of those
    that failed."""
    failed = []
    for stream_id in streams:
        paused.clear()
        assert paused.wait(timeout=10 * (PAUSE + RUN)), "the pauses stopped"
        try:
            net.streams.load(node, stream_id)
        except RpcError as exc:
            failed.append(str(exc))
    return failed


def connection_id(net, node) -> int:
    """The id of `node`'s one connection (its only peer is the middle node): a new id is a reconnect."""
    (peer,) = net.runtime(node).rpc.getpeerinfo()
    return peer["id"]


@pytest.mark.slow
def test_a_paused_neighbour_is_waited_for_and_an_injected_delay_still_cuts(tmp_path):
    with Network(3, backend="local", topology="line", settings=SETTINGS, workdir=tmp_path) as net:
        asker, middle, holder = net.names
        streams = [net.streams.create(holder, {"n": i}, pin=True) for i in range(LOADS + 1)]
        with bursts(net.runtime(middle)) as paused:
            # The asker has measured a pause once a ping to the middle node waited through one (getpeerinfo's lag).
            wait_for(lambda: max((p["lag"] for p in net.runtime(asker).rpc.getpeerinfo()), default=0),
                     lambda seconds: seconds >= MEASURED, timeout=20 * (PAUSE + RUN),
                     expected=f"{asker} measured a lag of at least {MEASURED}s on its link to the paused {middle}",
                     logs=lambda: net.logs(5))
            link = connection_id(net, asker)
            assert all(net.oracle.model.available(s, asker) for s in streams[:LOADS])
            failed = loads_in_pauses(net, asker, streams[:LOADS], paused)
            assert not failed, f"{len(failed)} of {LOADS} loads gave up on an honest paused neighbour: {failed}"
            assert connection_id(net, asker) == link, f"{asker} closed its connection to the paused {middle}"


        # A round trip of 1.5 sync timeouts injected on the same link, while the asker still grants
        # it the lag it measured: the link is cut for loads, exactly as the model says.
        net.degrade(asker, middle, delay_ms=750)
        assert net.oracle.model.availability(streams[LOADS], asker) is False
        assert max(p["lag"] for p in net.runtime(asker).rpc.getpeerinfo()) >= MEASURED, "the lag is still granted"
        with pytest.raises(RpcError, match=r"gave up on 1 link\(s\) silent"):
            net.streams.load(asker, streams[LOADS])
