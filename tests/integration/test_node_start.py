"""A process node answers RPC before it has built its stream layer, cluster and swarm listener
(daemon.py): what it must still do for a client and a peer that come in that moment."""

import re

from support import local_nodes as local
from fakenet.harness.waits import wait_for


def _events(node) -> list[str]:
    return re.findall(r"event=(\S+)", node.log_path.read_text())


def test_a_stream_call_made_as_rpc_first_answers_is_served_and_a_peer_dialling_then_gets_in(tmp_path):
    first, second = local.full_mesh(tmp_path, 2)
    try:
        second.start()  # dials `first` before it listens: its dials must land once it does
        first.start()
        wait_for(first.rpc.getblockcount, lambda height: height == 0, timeout=30, max_interval=0.02,
                 expected="node answers RPC", logs=first.logs)
        # The harness waits for networkactive (kinds/fakenet_kind.py): true only once the swarm listens.
        active = first.rpc.getnetworkinfo()["networkactive"]
        assert not active or "swarm_listening" in _events(first), (active, _events(first))
        # At once, without waiting for `ready`: the call waits for the stream layer, not fail as unknown.
        state = first.rpc.createstream({"title": "made as the node came up"})
        assert state["streamId"], state
        events, _ = wait_for(lambda: _events(first), lambda names: "ready" in names, timeout=30,
                             expected="node logs ready", logs=first.logs)
        assert events.index("rpc_answering") < events.index("swarm_listening") < events.index("ready"), events
        cpu_ms = int(re.search(r"event=rpc_answering .*cpu_ms=(\d+)", first.log_path.read_text()).group(1))
        assert 0 < cpu_ms < 10_000, cpu_ms
        second.wait_ready()
        wait_for(lambda: {p["name"] for p in first.rpc.getpeerinfo()}, lambda names: names == {"node2"}, timeout=30,
                 expected="node and node2 connected", logs=lambda: [*first.logs(20), *second.logs(20)])
        assert second.rpc.loadstream(state["streamId"])["state"]["content"] == {"title": "made as the node came up"}
    finally:
        first.close()
        second.close()


def test_a_stop_as_rpc_first_answers_ends_the_node_cleanly(tmp_path):
    """`stop` before the stream layer is built: nothing of it to close, the swarm socket bound
    but never served, the aiohttp ports' sockets never used; the node exits 0 and says why not."""
    (node,) = local.full_mesh(tmp_path, 1)
    try:
        node.start()
        wait_for(node.rpc.getblockcount, lambda height: height == 0, timeout=30, max_interval=0.02,
                 expected="node answers RPC", logs=node.logs)
        node.rpc.stop()
        wait_for(node.process.poll, lambda code: code is not None, timeout=30,
                 expected="node exits after stop", logs=node.logs)
        text = node.log_path.read_text()
        assert node.process.returncode == 0 and "Traceback" not in text and "level=error" not in text, text
    finally:
        node.close()


def test_a_request_in_an_unknown_http_method_is_one_log_line_not_a_traceback(tmp_path):
    """Anyone on a published port can send `FOO /`: aiohttp answered 400 but, with no handler of its own,
    Python's last resort wrote "Error handling request" and a 12-line traceback into the node's log for
    each one. The log is one logfmt line per event; a client's malformed request is a bounded field."""
    import socket
    from urllib.parse import urlparse

    (node,) = local.full_mesh(tmp_path, 1)
    try:
        node.start()
        node.wait_ready()
        api = urlparse(node.api_url)
        for _ in range(3):
            with socket.create_connection((api.hostname, api.port), timeout=10) as client:
                # aiohttp logs an unknown method at debug on a connection's first request, and as an
                # error with its traceback on any later one: keep-alive, a good request, then FOO.
                client.sendall(b"GET /api/v0/node/healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
                wait_for(lambda: client.recv(4096), lambda head: head.split(b" ")[1] == b"200", timeout=10,
                         expected="the health check's answer", logs=node.logs)
                client.sendall(b"FOO /api/v0/streams HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                assert client.recv(1024).split(b" ")[1] == b"400", "aiohttp's answer to an unknown method"
        lines, _ = wait_for(lambda: node.log_path.read_text().splitlines(),
                            lambda found: sum("bad_request=" in line for line in found) == 3, timeout=20,
                            expected="three library_log lines with bad_request", logs=node.logs)
        assert not any("Traceback" in line or not line.startswith("ts=") for line in lines), lines[-20:]
        assert node.rpc.getblockcount() == 0
    finally:
        node.close()


def test_ready_counts_the_peers_a_node_dials_not_its_own_address(tmp_path):
    """Each node is handed the whole list (compose's FAKENET_PEERS names all four to every node): a 2-node
    network said peers=2 on each node's ready line, itself among them."""
    nodes = local.nodes(tmp_path, {"node": ["node", "node2"], "node2": ["node", "node2"]})
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            text, _ = wait_for(node.log_path.read_text, lambda text: "event=ready" in text, timeout=30,
                               expected=f"{node.name} logs ready", logs=node.logs)
            assert re.search(r"event=ready .*peers=(\d+)", text).group(1) == "1", text
    finally:
        for node in nodes:
            node.close()
